/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The doctor's GVT-g checks: an iGPU of a generation that has GVT-g, i915
 * running with enable_gvt=1 and without GuC submission, the modules that
 * make the mediated devices (now and after a reboot), an IOMMU, the types
 * i915 offers and their room (read by host/mdev.c, as `mdevctl types`),
 * and for each domain that uses <oemkvm:gvt> what its vGPU needs.  They count only
 * when GVT-g is wanted (--gvt, or a domain uses it); otherwise every line
 * says N/A and keeps what it found, for whoever plans to.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "host/doctor.h"
#include "host/host.h"
#include "host/mdev.h"
#include "host/probe.h"
#include "util/util.h"

#define GROUP "gvt"
#define SUDO_FIX "run it as root: 'sudo oemkvm doctor'"
#define GRUB_FIX "add %s to GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, run 'sudo update-grub' and reboot"

static const char *const gvt_modules[] = { "kvmgt", "vfio_iommu_type1", "mdev" };

static void check_wanted(struct doctor *d)
{
        struct oemkvm_check *c = check_new(d, "gvt.wanted", GROUP, NULL,
                                           "a use for GVT-g (--gvt, or a tag with <oemkvm:gvt>)");

        for (size_t i = 0; i < d->in->n_domains; i++)
                if (d->in->domains[i].gvt) {
                        check_set(d, c, OEMKVM_PASS, "domain '%s' uses <oemkvm:gvt>", d->in->domains[i].name);
                        return;
                }
        if (d->in->gvt)
                check_set(d, c, OEMKVM_PASS, "--gvt asks for the GVT-g checks");
        else if (d->in->daemon == OEMKVM_DAEMON_OK)
                check_set(d, c, OEMKVM_NA, "no --gvt, and no tagged domain uses <oemkvm:gvt>: the lines below only inform");
        else
                check_set(d, c, OEMKVM_NA, "no --gvt, and libvirt was not asked which domains use <oemkvm:gvt>: the lines below only inform");
}

/* false when this machine cannot have GVT-g whatever is set: no iGPU of a generation with it. */
static bool check_igpu(struct doctor *d)
{
        struct oemkvm_check *c = check_new(d, "gvt.igpu", GROUP, NULL,
                                           "an Intel iGPU with GVT-g at " IGPU_PCI_ADDRESS);
        const struct igpu_gen *gen;
        struct igpu g = {};
        bool possible = false;
        int r;

        r = igpu_read(d->ctx, &g);
        if (r < 0) {
                check_set(d, c, OEMKVM_FAIL, "cannot read /sys/bus/pci/devices/" IGPU_PCI_ADDRESS ": %s", strerror(-r));
                return true;
        }
        if (!g.present) {
                check_set(d, c, OEMKVM_FAIL, "no PCI device at " IGPU_PCI_ADDRESS ": this machine has no Intel iGPU, or the firmware setup turned it off");
                check_fix(d, c, "none on this host unless the iGPU is off in the firmware setup: GVT-g shares an Intel iGPU of 5th to 10th generation Core (Broadwell to Comet Lake)");
                goto out;
        }
        if (g.vendor != 0x8086 || (g.class >> 8) != 0x0300) {
                check_set(d, c, OEMKVM_FAIL, IGPU_PCI_ADDRESS " is %04x:%04x of class %06x, not an Intel VGA controller",
                          g.vendor, g.device, g.class);
                check_fix(d, c, "none on this host: GVT-g shares an Intel iGPU of 5th to 10th generation Core (Broadwell to Comet Lake)");
                goto out;
        }
        gen = igpu_gen_find(g.device);
        if (!gen || !gen->gvt) {
                if (gen && gen->later)
                        check_set(d, c, OEMKVM_FAIL, "%s (8086:%04x): GVT-g does not exist on this GPU — it ends with Comet Lake; Tiger Lake and later iGPUs share through SR-IOV instead, which oemkvm does not drive yet",
                                  gen->name, g.device);
                else if (gen)
                        check_set(d, c, OEMKVM_FAIL, "%s (8086:%04x): i915 offers no GVT-g on this GPU", gen->name, g.device);
                else
                        check_set(d, c, OEMKVM_FAIL, "Intel GPU 8086:%04x is none of the generations with GVT-g (Broadwell, Skylake, Apollo Lake, Kaby Lake, Coffee/Whiskey Lake, Comet Lake)",
                                  g.device);
                check_fix(d, c, "none on this host: no setting adds GVT-g to this GPU; keep <oemkvm:gvt> off its domains");
                goto out;
        }
        possible = true;
        if (!g.driver || strcmp(g.driver, "i915")) {
                check_set(d, c, OEMKVM_FAIL, "%s (8086:%04x) has GVT-g, but %s%s%s drives it, not i915",
                          gen->name, g.device, g.driver ? "'" : "", g.driver ? g.driver : "no driver",
                          g.driver ? "'" : "");
                if (g.driver)
                        check_fix(d, c, "let i915 have it: remove what binds it to '%s' (e.g. vfio-pci.ids= on the kernel command line) and reboot",
                                  g.driver);
                else
                        check_fix(d, c, "sudo modprobe i915");
                goto out;
        }
        check_set(d, c, OEMKVM_PASS, "%s (8086:%04x), driven by i915", gen->name, g.device);
out:
        igpu_clear(&g);
        return possible;
}

static void check_kernel(struct doctor *d)
{
        struct oemkvm_check *c = check_new(d, "gvt.kernel", GROUP, NULL,
                                           "a kernel built with GVT-g (CONFIG_DRM_I915_GVT_KVMGT)");
        _cleanup_free_ char *gvt = NULL, *kvmgt = NULL, *path = NULL, *path2 = NULL;
        int r;

        r = kconfig_read(d->ctx, "CONFIG_DRM_I915_GVT", &gvt, &path);
        if (r >= 0)
                r = kconfig_read(d->ctx, "CONFIG_DRM_I915_GVT_KVMGT", &kvmgt, &path2);
        if (r < 0)
                check_set(d, c, OEMKVM_NA, "no /boot/config of the running kernel to tell (the module checks below do)");
        else if (!strcmp(gvt, "n") || !strcmp(kvmgt, "n")) {
                check_set(d, c, OEMKVM_FAIL, "%s has CONFIG_DRM_I915_GVT=%s, CONFIG_DRM_I915_GVT_KVMGT=%s", path, gvt, kvmgt);
                check_fix(d, c, "boot a kernel built with CONFIG_DRM_I915_GVT=y and CONFIG_DRM_I915_GVT_KVMGT=m (Debian's and Ubuntu's stock kernels are)");
        } else
                check_set(d, c, OEMKVM_PASS, "%s has CONFIG_DRM_I915_GVT=%s, CONFIG_DRM_I915_GVT_KVMGT=%s", path, gvt, kvmgt);
}

/* Where a parameter is set, for a detail: "; set on … / in …". */
static void where_set(const struct kparam *p, const char *param, char *out, size_t size)
{
        if (p->cmdline)
                snprintf(out, size, "; the kernel command line has i915.%s=%s", param, p->cmdline);
        else if (p->modprobe)
                snprintf(out, size, "; %s has 'options i915 %s=%s'", p->modprobe_file, param, p->modprobe);
        else if (p->grub)
                snprintf(out, size, "; /etc/default/grub has i915.%s=%s, but the running kernel was booted without it",
                         param, p->grub);
        else
                snprintf(out, size, "; nothing sets it");
}

static bool truthy(const char *v)
{
        return v && (!strcmp(v, "Y") || !strcmp(v, "y") || !strcmp(v, "1"));
}

static void check_enable_gvt(struct doctor *d)
{
        struct oemkvm_check *c = check_new(d, "gvt.enable_gvt", GROUP, NULL, "i915.enable_gvt=1");
        struct kparam p = {};
        char where[512];

        if (kparam_read(d->ctx, "i915", "enable_gvt", &p) < 0) {
                check_set(d, c, OEMKVM_FAIL, "out of memory");
                return;
        }
        where_set(&p, "enable_gvt", where, sizeof(where));
        if (!p.loaded) {
                check_set(d, c, OEMKVM_FAIL, "the i915 driver is not loaded%s", where);
                check_fix(d, c, "sudo modprobe i915 (and see the iGPU check above)");
        } else if (p.live_r == -ENOENT) {
                check_set(d, c, OEMKVM_FAIL, "i915 has no enable_gvt parameter: this kernel is built without GVT-g");
                check_fix(d, c, "boot a kernel built with CONFIG_DRM_I915_GVT=y and CONFIG_DRM_I915_GVT_KVMGT=m (Debian's and Ubuntu's stock kernels are)");
        } else if (p.live_r < 0) {
                check_set(d, c, OEMKVM_WARN, "cannot read /sys/module/i915/parameters/enable_gvt (%s)%s",
                          strerror(-p.live_r), where);
                check_fix(d, c, SUDO_FIX);
        } else if (truthy(p.live))
                check_set(d, c, OEMKVM_PASS, "i915 runs with enable_gvt=%s%s", p.live, where);
        else {
                check_set(d, c, OEMKVM_FAIL, "i915 runs with enable_gvt=%s%s", p.live, where);
                if (p.modprobe && truthy(p.modprobe))
                        check_fix(d, c, "i915 was loaded before %s was read (from the initramfs): run 'sudo update-initramfs -u' and reboot",
                                  p.modprobe_file);
                else if (!p.cmdline && truthy(p.grub))
                        check_fix(d, c, "run 'sudo update-grub' and reboot");
                else
                        check_fix(d, c, GRUB_FIX, "i915.enable_gvt=1");
        }
        kparam_clear(&p);
}

static void check_enable_guc(struct doctor *d)
{
        struct oemkvm_check *c = check_new(d, "gvt.enable_guc", GROUP, NULL,
                                           "i915.enable_guc=0 (no GuC submission)");
        struct kparam p = {};
        const char *value;
        char where[512];
        long v;

        if (kparam_read(d->ctx, "i915", "enable_guc", &p) < 0) {
                check_set(d, c, OEMKVM_FAIL, "out of memory");
                return;
        }
        where_set(&p, "enable_guc", where, sizeof(where));
        /* The value i915 runs with; without one, what the next load gets. */
        value = p.live ? p.live : p.cmdline ? p.cmdline : p.modprobe;
        v = value ? strtol(value, NULL, 10) : -1;
        if (!p.live && p.live_r != -ENOENT && p.loaded) {
                check_set(d, c, OEMKVM_WARN, "cannot read /sys/module/i915/parameters/enable_guc (%s)%s",
                          strerror(-p.live_r), where);
                check_fix(d, c, SUDO_FIX);
        } else if (v > 0 && (v & 1)) {
                check_set(d, c, OEMKVM_FAIL, "GuC submission is on (enable_guc=%ld)%s: i915 refuses GVT-g with it (\"Graphics virtualization is not yet supported with GuC submission\")",
                          v, where);
                if (p.cmdline || (!p.modprobe && p.grub))
                        check_fix(d, c, "change i915.enable_guc=%s to i915.enable_guc=0 in GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, run 'sudo update-grub' and reboot",
                                  p.cmdline ? p.cmdline : p.grub);
                else if (p.modprobe)
                        check_fix(d, c, "change 'options i915 enable_guc=%s' to enable_guc=0 in %s, run 'sudo update-initramfs -u' and reboot",
                                  p.modprobe, p.modprobe_file);
                else
                        check_fix(d, c, GRUB_FIX, "i915.enable_guc=0");
        } else if (v < 0) {
                check_set(d, c, OEMKVM_WARN, "enable_guc is unset (-1, auto)%s: i915 turns GuC submission on by itself only from Gen12 (Alder Lake) on, so GVT-g works today; 0 keeps a kernel update from changing that",
                          where);
                check_fix(d, c, GRUB_FIX, "i915.enable_guc=0");
        } else
                check_set(d, c, OEMKVM_PASS, "enable_guc=%ld: no GuC submission%s", v, where);
        kparam_clear(&p);
}

static void check_modules(struct doctor *d)
{
        struct oemkvm_check *now = check_new(d, "gvt.modules", GROUP, NULL,
                                             "the modules kvmgt, vfio_iommu_type1 and mdev, loaded");
        struct oemkvm_check *boot;
        char loaded[256] = "", missing[256] = "", listed[512] = "", unlisted[256] = "", unlisted_nl[256] = "";
        struct kmod_state s[ARRAY_SIZE(gvt_modules)] = {};

        for (size_t i = 0; i < ARRAY_SIZE(gvt_modules); i++) {
                const char *m = gvt_modules[i];

                if (kmod_read(d->ctx, m, &s[i]) < 0) {
                        check_set(d, now, OEMKVM_FAIL, "out of memory");
                        goto out;
                }
                if (s[i].loaded)
                        list_add(loaded, sizeof(loaded), "%s%s", m, s[i].builtin ? " (built in)" : "");
                else
                        list_add(missing, sizeof(missing), "%s", m);
                if (s[i].builtin || s[i].load_file)
                        list_add(listed, sizeof(listed), "%s (%s)", m, s[i].builtin ? "built in" : s[i].load_file);
                else {
                        list_add(unlisted, sizeof(unlisted), "%s", m);
                        snprintf(unlisted_nl + strlen(unlisted_nl), sizeof(unlisted_nl) - strlen(unlisted_nl),
                                 "%s\\n", m);
                }
        }
        if (missing[0]) {
                check_set(d, now, OEMKVM_FAIL, "not loaded: %s%s%s", missing, loaded[0] ? "; loaded: " : "", loaded);
                check_fix(d, now, "sudo modprobe -a kvmgt vfio_iommu_type1 mdev");
        } else
                check_set(d, now, OEMKVM_PASS, "loaded: %s", loaded);

        boot = check_new(d, "gvt.modules-boot", GROUP, NULL,
                         "the same modules loaded at boot (modules-load.d)");
        if (unlisted[0]) {
                check_set(d, boot, OEMKVM_WARN, "no modules-load.d file (nor /etc/modules) names %s: %s after a reboot%s%s",
                          unlisted, strchr(unlisted, ',') ? "they are gone" : "it is gone",
                          listed[0] ? "; named: " : "", listed);
                check_fix(d, boot, "printf '%s' | sudo tee -a /etc/modules-load.d/oemkvm-gvt.conf", unlisted_nl);
        } else
                check_set(d, boot, OEMKVM_PASS, "%s", listed);
out:
        for (size_t i = 0; i < ARRAY_SIZE(gvt_modules); i++)
                kmod_state_clear(&s[i]);
}

static void check_iommu(struct doctor *d)
{
        struct oemkvm_check *c = check_new(d, "gvt.iommu", GROUP, NULL, "an IOMMU (/sys/class/iommu)");
        _cleanup_free_ char *cmdline = NULL, *setting = NULL;
        char **units = NULL;
        struct stat st;
        int r;

        r = host_list(d->ctx, "/sys/class/iommu", &units);
        if (r < 0 && r != -ENOENT) {
                check_set(d, c, OEMKVM_FAIL, "cannot list /sys/class/iommu: %s", strerror(-r));
                return;
        }
        if (r >= 0 && units[0]) {
                char list[256] = "";

                for (char **u = units; *u; u++)
                        list_add(list, sizeof(list), "%s", *u);
                check_set(d, c, OEMKVM_PASS, "on: %s", list);
                oemkvm_strv_free(units);
                return;
        }
        oemkvm_strv_free(units);
        if (host_read(d->ctx, "/proc/cmdline", 64 * 1024, &cmdline, NULL) >= 0 &&
            cmdline_find(cmdline, "intel_iommu", &setting) > 0 && !strncmp(setting, "off", 3)) {
                check_set(d, c, OEMKVM_FAIL, "no IOMMU is on: the kernel command line has intel_iommu=%s", setting);
                check_fix(d, c, "replace intel_iommu=%s by intel_iommu=on in GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, run 'sudo update-grub' and reboot",
                          setting);
        } else if (host_stat(d->ctx, "/sys/firmware/acpi/tables/DMAR", &st) < 0) {
                check_set(d, c, OEMKVM_FAIL, "no IOMMU is on, and the firmware has no DMAR table: VT-d is off in its setup");
                check_fix(d, c, "turn on VT-d (\"Intel Virtualization Technology for Directed I/O\") in the firmware setup; then, if /sys/class/iommu stays empty, " GRUB_FIX,
                          "intel_iommu=on");
        } else {
                check_set(d, c, OEMKVM_FAIL, "no IOMMU is on (/sys/class/iommu is empty), though the firmware describes one (DMAR)");
                check_fix(d, c, GRUB_FIX, "intel_iommu=on");
        }
}

/* "type: N left" of each type (with_room: only those with room), as `oemkvm gvt types` counts them. */
static void types_list(const struct oemkvm_mdev_type *t, size_t n, bool with_room, char *out, size_t size)
{
        out[0] = '\0';
        for (size_t i = 0; i < n; i++)
                if (!with_room || t[i].available)
                        list_add(out, size, "%s: %u left", t[i].type, t[i].available);
}

#define KVMGT_FIX "once the lines above PASS, 'sudo modprobe kvmgt' makes i915 offer its vGPU types"

static void check_mdev(struct doctor *d)
{
        struct oemkvm_check *c = check_new(d, "gvt.mdev", GROUP, NULL,
                                           "vGPU types with room on " IGPU_PCI_ADDRESS " (mdev)");
        struct oemkvm_mdev_type *types = NULL;
        struct oemkvm_error err = {};
        char list[1024];
        size_t n = 0;
        int r;

        r = oemkvm_mdev_types_read(d->ctx, IGPU_PCI_ADDRESS, &types, &n, &err);
        if (r == -ENODEV) {
                check_set(d, c, OEMKVM_FAIL, "i915 offers no vGPU: /sys/class/mdev_bus/" IGPU_PCI_ADDRESS " does not exist");
                check_fix(d, c, KVMGT_FIX);
        } else if (r < 0)
                check_set_message(d, c, OEMKVM_FAIL, err.message, NULL);
        else if (!n) {
                check_set(d, c, OEMKVM_FAIL, IGPU_PCI_ADDRESS " offers no vGPU type (mdev_supported_types is empty)");
                check_fix(d, c, KVMGT_FIX);
        } else {
                types_list(types, n, true, list, sizeof(list));
                if (list[0])
                        check_set(d, c, OEMKVM_PASS, "%s", list);
                else {
                        types_list(types, n, false, list, sizeof(list));
                        check_set(d, c, OEMKVM_WARN, "every type is full (%s): the vGPUs that exist hold all of the iGPU's memory", list);
                        check_fix(d, c, "stop a guest that holds one, or remove a vGPU no guest uses: 'mdevctl list' names them, 'echo 1 | sudo tee /sys/bus/mdev/devices/UUID/remove' removes one");
                }
        }
        oemkvm_mdev_types_free(types, n);
}

/* "uuid (domain 'x')" of every vGPU of parent/type, naming the tagged domains that use them. */
static void holders(const struct doctor *d, const char *parent, const char *type, char *out, size_t size)
{
        struct oemkvm_mdev_device *devs = NULL;
        size_t n = 0;

        out[0] = '\0';
        if (oemkvm_mdev_devices_read(d->ctx, parent, &devs, &n, NULL) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                const char *dom = NULL;

                if (strcmp(devs[i].type, type))
                        continue;
                for (size_t j = 0; j < d->in->n_domains && !dom; j++)
                        if (d->in->domains[j].gvt_uuid && !strcasecmp(d->in->domains[j].gvt_uuid, devs[i].uuid))
                                dom = d->in->domains[j].name;
                list_add(out, size, "%s%s%s%s", devs[i].uuid, dom ? " (domain '" : "", dom ? dom : "", dom ? "')" : "");
        }
        oemkvm_mdev_devices_free(devs, n);
}

/* The vGPU a domain asks for: its type on its parent, with room — or its own device there already. */
static void check_room(struct doctor *d, const struct oemkvm_needs *nd)
{
        struct oemkvm_check *c;
        struct oemkvm_mdev_type t = {}, *types = NULL;
        struct oemkvm_mdev_device dev = {};
        struct oemkvm_error err = {};
        char list[1024], held[1024];
        size_t n = 0;
        int r;

        if (!nd->tagged || !nd->gvt)
                return;
        c = check_new(d, "gvt.room", GROUP, nd->name, "room for the vGPU of domain '%s'", nd->name);
        if (!nd->gvt_type) {
                check_set(d, c, OEMKVM_FAIL, "its <oemkvm:gvt> names no type");
                check_fix(d, c, "add type=\"…\" to its <oemkvm:gvt>: one of the types above");
                return;
        }
        if (nd->gvt_uuid && oemkvm_mdev_device_read(d->ctx, nd->gvt_uuid, &dev, NULL) >= 0) {
                if (!strcmp(dev.parent, nd->gvt_parent) && !strcmp(dev.type, nd->gvt_type))
                        check_set(d, c, OEMKVM_PASS, "its vGPU %s exists already, a %s on %s%s", dev.uuid, dev.type,
                                  dev.parent, nd->active ? " (the domain runs with it)" : "");
                else {
                        check_set(d, c, OEMKVM_FAIL, "its vGPU %s exists as a %s on %s, not the %s on %s its tag asks for",
                                  dev.uuid, dev.type, dev.parent, nd->gvt_type, nd->gvt_parent);
                        check_fix(d, c, "remove it ('echo 1 | sudo tee /sys/bus/mdev/devices/%s/remove') or change the tag's type= and parent=",
                                  dev.uuid);
                }
                oemkvm_mdev_device_clear(&dev);
                return;
        }
        r = oemkvm_mdev_type_read(d->ctx, nd->gvt_parent, nd->gvt_type, &t, &err);
        if (r == -ENODEV) {
                check_set(d, c, OEMKVM_FAIL, "no mdev parent '%s': /sys/class/mdev_bus/%s does not exist", nd->gvt_parent,
                          nd->gvt_parent);
                if (!strcmp(nd->gvt_parent, IGPU_PCI_ADDRESS))
                        check_fix(d, c, KVMGT_FIX);
                else
                        check_fix(d, c, "load the driver of '%s', or change the tag's parent=", nd->gvt_parent);
        } else if (r == -ENOENT && oemkvm_mdev_types_read(d->ctx, nd->gvt_parent, &types, &n, NULL) >= 0) {
                types_list(types, n, false, list, sizeof(list));
                check_set(d, c, OEMKVM_FAIL, "'%s' has no type '%s'; it offers %s", nd->gvt_parent, nd->gvt_type,
                          list[0] ? list : "none");
                check_fix(d, c, "change type= in the domain's <oemkvm:gvt> to one of them");
        } else if (r < 0)
                check_set_message(d, c, OEMKVM_FAIL, err.message, NULL);
        else if (t.available)
                check_set(d, c, OEMKVM_PASS, "%s on %s has room for %u more", t.type, t.parent, t.available);
        else {
                holders(d, nd->gvt_parent, nd->gvt_type, held, sizeof(held));
                if (oemkvm_mdev_types_read(d->ctx, nd->gvt_parent, &types, &n, NULL) >= 0)
                        types_list(types, n, true, list, sizeof(list));
                else
                        list[0] = '\0';
                check_set(d, c, OEMKVM_FAIL, "%s on %s has no room left%s%s", t.type, t.parent,
                          held[0] ? ": held by " : "", held);
                if (list[0])
                        check_fix(d, c, "stop a guest that holds one, or choose a type that still has room: %s", list);
                else
                        check_fix(d, c, "stop a guest that holds a vGPU on %s: no type there has room", t.parent);
        }
        oemkvm_mdev_type_clear(&t);
        oemkvm_mdev_types_free(types, n);
}

/* The vGPU ROM a UEFI domain names: QEMU reads it; AppArmor is checked with the other rules. */
static void check_rom(struct doctor *d, const struct oemkvm_needs *nd)
{
        struct oemkvm_check *c;
        struct oemkvm_error err = {};
        struct qemu_cred cred = {};
        _cleanup_free_ char *path = NULL;

        if (!nd->gvt || !nd->gvt_rom)
                return;
        c = check_new(d, "gvt.rom", GROUP, nd->name, "the vGPU's option ROM of domain '%s'", nd->name);
        if (oemkvm_ctx_path(d->ctx, nd->gvt_rom, &path) < 0)
                check_set(d, c, OEMKVM_FAIL, "out of memory");
        else if (qemu_cred_load(d->ctx, &cred, &err) < 0 ||
                 qemu_check_readable(&cred, path, "put the ROM there with 'sudo oemkvm gvt rom FILE', or change the tag's rom=", &err) < 0)
                check_set_message(d, c, OEMKVM_FAIL, err.message, NULL);
        else
                check_set(d, c, OEMKVM_PASS, "QEMU (user %s, group %s) can read '%s'", cred.user, cred.group, nd->gvt_rom);
        qemu_cred_clear(&cred);
}

/* The checks from `from` on say N/A: nothing there can fail the host.  They keep what they found. */
static void inform_only(struct doctor *d, size_t from)
{
        for (size_t i = from; i < d->report.n; i++) {
                d->report.checks[i].verdict = OEMKVM_NA;
                free(d->report.checks[i].fix);
                d->report.checks[i].fix = NULL;
        }
}

void doctor_gvt(struct doctor *d)
{
        size_t first = d->report.n, after_igpu;
        bool possible;

        check_wanted(d);
        possible = check_igpu(d);
        after_igpu = d->report.n;
        check_kernel(d);
        check_enable_gvt(d);
        check_enable_guc(d);
        check_modules(d);
        check_iommu(d);
        check_mdev(d);
        /* No setting gives this GPU GVT-g: fixes for it would only mislead. */
        if (!possible)
                inform_only(d, after_igpu);
        for (size_t i = 0; i < d->in->n_domains; i++) {
                const struct oemkvm_needs *nd = &d->in->domains[i];
                size_t before = d->report.n;

                check_room(d, nd);
                check_rom(d, nd);
                /* A vGPU of another parent (the kernel's sample drivers) does not need the iGPU. */
                if (!possible && nd->gvt_parent && !strcmp(nd->gvt_parent, IGPU_PCI_ADDRESS))
                        inform_only(d, before);
        }
        if (!d->want_gvt)
                inform_only(d, first + 1);
}
