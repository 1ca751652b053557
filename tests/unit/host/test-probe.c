/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The doctor's readers: kernel command line, modprobe.d and
 * /etc/default/grub parsing, modules-load.d, the iGPU's generation by PCI
 * ID, AppArmor globs and rules — from buffers — and the readers that put
 * them together over small sysroot trees made here.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "host/host.h"
#include "host/probe.h"

/* Writes root/rel (directories made as needed). */
static void put(const char *root, const char *rel, const char *text)
{
        char path[4096];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
                *p = '\0';
                mkdir(path, 0755);
                *p = '/';
        }
        f = fopen(path, "we");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0)
                abort();
}

static struct oemkvm_ctx *ctx_on(const char *root)
{
        struct oemkvm_ctx *ctx = NULL;

        if (oemkvm_ctx_new(root, &ctx) < 0)
                abort();
        return ctx;
}

TEST(cmdline)
{
        char *v = NULL;

        CHECK_INT(cmdline_find("quiet i915.enable_gvt=1 splash", "i915.enable_gvt", &v), 1);
        CHECK_STR(v, "1");
        free(v);
        /* The last one wins, as in the kernel; '-' and '_' are the same. */
        CHECK_INT(cmdline_find("i915.enable_guc=3 i915.enable-guc=0", "i915.enable_guc", &v), 1);
        CHECK_STR(v, "0");
        free(v);
        CHECK_INT(cmdline_find("a=\"x y\" intel_iommu", "intel_iommu", &v), 1);
        CHECK_STR(v, "");
        free(v);
        CHECK_INT(cmdline_find("a=\"x y\" b", "a", &v), 1);
        CHECK_STR(v, "x y");
        free(v);
        /* What follows "--" is init's, not the kernel's. */
        CHECK_INT(cmdline_find("ro -- i915.enable_gvt=1", "i915.enable_gvt", &v), 0);
        CHECK_INT(cmdline_find("i915.enable_gvtx=1", "i915.enable_gvt", &v), 0);
        CHECK_INT(cmdline_find("", "x", &v), 0);
}

TEST(modprobe)
{
        const char *conf =
                "# options i915 enable_gvt=0\n"
                "options kvm ignore_msrs=1\n"
                "options i915 enable_gvt=1 enable_guc=0 # for GVT-g\n"
                "options  i915   enable_guc=2\n"
                "optionsi915 enable_guc=7\n";
        char *v = NULL;

        CHECK_INT(modprobe_find(conf, "i915", "enable_gvt", &v), 1);
        CHECK_STR(v, "1");
        free(v);
        CHECK_INT(modprobe_find(conf, "i915", "enable_guc", &v), 1);
        CHECK_STR(v, "2");
        free(v);
        CHECK_INT(modprobe_find(conf, "kvm", "enable_gvt", &v), 0);
        CHECK_INT(modprobe_find("options vfio-pci ids=8086:3ea0\n", "vfio_pci", "ids", &v), 1);
        CHECK_STR(v, "8086:3ea0");
        free(v);
}

TEST(grub)
{
        const char *grub =
                "GRUB_DEFAULT=0\n"
                "# GRUB_CMDLINE_LINUX_DEFAULT=\"i915.enable_gvt=0\"\n"
                "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"
                "  GRUB_CMDLINE_LINUX_DEFAULT='quiet i915.enable_gvt=1'\n"
                "GRUB_CMDLINE_LINUX=\n";
        char *v = NULL;

        CHECK_INT(shell_var_find(grub, "GRUB_CMDLINE_LINUX_DEFAULT", &v), 1);
        CHECK_STR(v, "quiet i915.enable_gvt=1");
        free(v);
        CHECK_INT(shell_var_find(grub, "GRUB_CMDLINE_LINUX", &v), 1);
        CHECK_STR(v, "");
        free(v);
        CHECK_INT(shell_var_find(grub, "GRUB_TIMEOUT", &v), 0);
}

TEST(modules_load)
{
        char **m = NULL;

        CHECK_INT(modules_load_parse("# GVT-g\nkvmgt\n; old\n  vfio-iommu-type1  \n\nmdev opt=1\n", &m), 0);
        CHECK_STR(m[0], "kvmgt");
        CHECK_STR(m[1], "vfio_iommu_type1");
        CHECK_STR(m[2], "mdev");
        CHECK(m[3] == NULL);
        oemkvm_strv_free(m);
        CHECK_INT(modules_load_parse("", &m), 0);
        CHECK(m[0] == NULL);
        oemkvm_strv_free(m);
}

TEST(igpu_generations)
{
        /* Whiskey Lake and Amber Lake-Y are Coffee Lake to i915; Kaby Lake R is Kaby Lake. */
        CHECK_STR(igpu_gen_find(0x3EA0)->name, "Whiskey Lake");
        CHECK(igpu_gen_find(0x3EA0)->gvt);
        CHECK(igpu_gen_find(0x87CA)->gvt);
        CHECK_STR(igpu_gen_find(0x5917)->name, "Kaby Lake");
        CHECK(igpu_gen_find(0x9BC4)->gvt);
        CHECK(igpu_gen_find(0x5A85)->gvt);
        CHECK(igpu_gen_find(0x1616)->gvt);
        CHECK(igpu_gen_find(0x1916)->gvt);
        /* Gen9 without GVT-g, and the generations after Comet Lake. */
        CHECK(!igpu_gen_find(0x3185)->gvt && !igpu_gen_find(0x3185)->later);
        CHECK_STR(igpu_gen_find(0x9A49)->name, "Tiger Lake");
        CHECK(!igpu_gen_find(0x9A49)->gvt && igpu_gen_find(0x9A49)->later);
        CHECK(igpu_gen_find(0x8A52)->later);
        CHECK(igpu_gen_find(0x46A6)->later);
        CHECK(igpu_gen_find(0x0416) == NULL);
        CHECK(igpu_gen_find(0x1234) == NULL);
}

/* The doctor reads the local rules with the hook's reader (apparmor.c,
 * tested in test-apparmor.c): a rule it cannot follow counts as granting. */
static bool grants(const char *rules, const char *path)
{
        unsigned line;
        enum apparmor_verdict v = apparmor_rules_verdict(rules, strlen(rules), path, &line);

        return v == ALLOWED || v == GAVE_UP;
}

TEST(aa_rules)
{
        const char *rules =
                "# BEGIN oemkvm\n"
                "  /var/lib/oemkvm/host/ r,\n"
                "  /var/lib/oemkvm/host/*.bin r,\n"
                "#include <abstractions/base>\n"
                "  \"/srv/my dumps/*.bin\" r,  # a comment\n"
                "  owner /srv/owned/** r,\n"
                "  deny /srv/secret/** r,\n"
                "  /srv/** r, /srv/w/x w,\n"
                "  /usr/bin/foo ix,\n";

        CHECK(grants(rules, "/var/lib/oemkvm/host/msdm.bin"));
        CHECK(grants(rules, "/srv/my dumps/msdm.bin"));
        CHECK(grants(rules, "/srv/owned/x"));      /* the /srv rule grants it */
        CHECK(!grants(rules, "/srv/secret/msdm.bin"));
        CHECK(!grants(rules, "/var/lib/other/msdm.bin"));
        /* oemkvm's files are root's: an owner rule does not let QEMU read them. */
        CHECK(!grants("  owner /srv/owned/** r,\n", "/srv/owned/x"));
        CHECK(!grants("  /srv/w/x w,\n", "/srv/w/x"));
        CHECK(!grants("# /srv/x r,\n", "/srv/x"));
        CHECK(!grants("", "/srv/x"));
}

TEST(kparam_tree)
{
        const char *root = check_tmpdir();
        struct oemkvm_ctx *ctx = ctx_on(root);
        struct kparam p = {};

        put(root, "sys/module/i915/parameters/enable_gvt", "N\n");
        put(root, "sys/module/i915/parameters/enable_guc", "3\n");
        put(root, "proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/sda1 i915.enable_guc=3\n");
        put(root, "etc/modprobe.d/i915.conf", "options i915 enable_gvt=1\n");
        put(root, "etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet i915.enable_gvt=1\"\n");

        CHECK_INT(kparam_read(ctx, "i915", "enable_gvt", &p), 0);
        CHECK(p.loaded);
        CHECK_STR(p.live, "N");
        CHECK(p.cmdline == NULL);
        CHECK_STR(p.modprobe, "1");
        CHECK_STR(p.modprobe_file, "/etc/modprobe.d/i915.conf");
        CHECK_STR(p.grub, "1");
        kparam_clear(&p);

        CHECK_INT(kparam_read(ctx, "i915", "enable_guc", &p), 0);
        CHECK_STR(p.live, "3");
        CHECK_STR(p.cmdline, "3");
        CHECK(p.modprobe == NULL && p.grub == NULL);
        kparam_clear(&p);

        CHECK_INT(kparam_read(ctx, "kvmgt", "x", &p), 0);
        CHECK(!p.loaded);
        CHECK_INT(p.live_r, -ENOENT);
        kparam_clear(&p);
        oemkvm_ctx_free(ctx);
}

TEST(kmod_tree)
{
        const char *root = check_tmpdir();
        struct oemkvm_ctx *ctx = ctx_on(root);
        struct kmod_state s = {};
        char *v = NULL, *path = NULL;

        put(root, "proc/sys/kernel/osrelease", "6.1.0-57-amd64\n");
        put(root, "lib/modules/6.1.0-57-amd64/modules.builtin", "kernel/drivers/vfio/vfio_iommu_type1.ko\n");
        put(root, "sys/module/kvmgt/refcnt", "0\n");
        put(root, "etc/modules-load.d/gvt.conf", "# GVT-g\nkvmgt\n");
        put(root, "etc/modules", "mdev\n");
        put(root, "boot/config-6.1.0-57-amd64",
            "CONFIG_DRM_I915=m\nCONFIG_DRM_I915_GVT_KVMGT=m\n# CONFIG_DRM_I915_GVT is not set\n");

        CHECK_INT(kmod_read(ctx, "kvmgt", &s), 0);
        CHECK(s.loaded && !s.builtin);
        CHECK_STR(s.load_file, "/etc/modules-load.d/gvt.conf");
        kmod_state_clear(&s);
        CHECK_INT(kmod_read(ctx, "vfio_iommu_type1", &s), 0);
        CHECK(s.loaded && s.builtin);
        kmod_state_clear(&s);
        CHECK_INT(kmod_read(ctx, "mdev", &s), 0);
        CHECK(!s.loaded);
        CHECK_STR(s.load_file, "/etc/modules");
        kmod_state_clear(&s);

        CHECK_INT(kconfig_read(ctx, "CONFIG_DRM_I915_GVT_KVMGT", &v, &path), 0);
        CHECK_STR(v, "m");
        CHECK_STR(path, "/boot/config-6.1.0-57-amd64");
        free(v);
        free(path);
        CHECK_INT(kconfig_read(ctx, "CONFIG_DRM_I915_GVT", &v, &path), 0);
        CHECK_STR(v, "n");
        free(v);
        free(path);
        oemkvm_ctx_free(ctx);
}

TEST(igpu_tree)
{
        const char *root = check_tmpdir();
        struct oemkvm_ctx *ctx = ctx_on(root);
        struct igpu g = {};
        char path[4096];

        CHECK_INT(igpu_read(ctx, &g), 0);
        CHECK(!g.present);

        put(root, "sys/devices/pci0000:00/0000:00:02.0/vendor", "0x8086\n");
        put(root, "sys/devices/pci0000:00/0000:00:02.0/device", "0x3ea0\n");
        put(root, "sys/devices/pci0000:00/0000:00:02.0/class", "0x030000\n");
        put(root, "sys/bus/pci/drivers/i915/new_id", "");
        put(root, "sys/bus/pci/devices/.keep", "");
        snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:00:02.0", root);
        CHECK_INT(symlink("../../../devices/pci0000:00/0000:00:02.0", path), 0);
        snprintf(path, sizeof(path), "%s/sys/devices/pci0000:00/0000:00:02.0/driver", root);
        CHECK_INT(symlink("../../../bus/pci/drivers/i915", path), 0);

        CHECK_INT(igpu_read(ctx, &g), 0);
        CHECK(g.present);
        CHECK_INT(g.vendor, 0x8086);
        CHECK_INT(g.device, 0x3ea0);
        CHECK_INT(g.class, 0x030000);
        CHECK_STR(g.driver, "i915");
        igpu_clear(&g);
        oemkvm_ctx_free(ctx);
}

/* The guests' QEMU profiles, not their helpers' child profiles (libvirt
 * 11 runs passt under libvirt-<uuid>//passt): only QEMU reads the store. */
TEST(aa_profiles_tree)
{
        const char *root = check_tmpdir();
        struct oemkvm_ctx *ctx = ctx_on(root);
        char **list = NULL;

        put(root, "sys/kernel/security/apparmor/profiles",
            "libvirt-5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d//passt (enforce)\n"
            "libvirt-5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d (enforce)\n"
            "virt-aa-helper (enforce)\n"
            "libvirt-0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0 (complain)\n");
        CHECK_INT(aa_profiles_loaded(ctx, "libvirt-", &list), 0);
        CHECK(list && list[0] && list[1] && !list[2]);
        if (list && list[0] && list[1]) {
                CHECK_STR(list[0], "libvirt-5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d");
                CHECK_STR(list[1], "libvirt-0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0");
        }
        oemkvm_strv_free(list);
        oemkvm_ctx_free(ctx);
}

TESTS(T(cmdline), T(modprobe), T(grub), T(modules_load), T(igpu_generations), T(aa_rules),
      T(kparam_tree), T(kmod_tree), T(igpu_tree), T(aa_profiles_tree))
