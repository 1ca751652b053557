/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The doctor's install checks: what installing and running Windows 11 in
 * a guest takes besides the license — UEFI firmware (OVMF) with a Secure
 * Boot build, swtpm for the TPM 2.0, and the virtio-win drivers ISO a
 * <oemkvm:virtio drivers=…> tag names.  Missing pieces FAIL when a tagged
 * domain uses them, WARN otherwise (Windows 10 installs without them).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "host/doctor.h"
#include "host/probe.h"
#include "util/util.h"

#define GROUP "install"

/* Where the distributions put OVMF's code images (Debian/Ubuntu, Fedora, Arch). */
static const char *const ovmf_plain[] = {
        "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_CODE.fd",
        "/usr/share/edk2/ovmf/OVMF_CODE.fd", "/usr/share/edk2/x64/OVMF_CODE.4m.fd",
};
static const char *const ovmf_secboot[] = {
        "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", "/usr/share/OVMF/OVMF_CODE.secboot.fd",
        "/usr/share/OVMF/OVMF_CODE_4M.ms.fd", "/usr/share/edk2/ovmf/OVMF_CODE.secboot.fd",
        "/usr/share/edk2/x64/OVMF_CODE.secboot.4m.fd",
};

#define OVMF_PACKAGE "sudo apt-get install ovmf (Debian/Ubuntu; Fedora: sudo dnf install edk2-ovmf)"

static bool is_file(const struct doctor *d, const char *abs)
{
        struct stat st;

        return host_stat(d->ctx, abs, &st) >= 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

static const char *first_file(const struct doctor *d, const char *const *paths, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (is_file(d, paths[i]))
                        return paths[i];
        return NULL;
}

static bool any_domain(const struct doctor *d, bool (*pred)(const struct oemkvm_needs *))
{
        for (size_t i = 0; i < d->in->n_domains; i++)
                if (d->in->domains[i].tagged && pred(&d->in->domains[i]))
                        return true;
        return false;
}

static bool uses_uefi(const struct oemkvm_needs *n)
{
        return n->uefi;
}

static bool uses_tpm(const struct oemkvm_needs *n)
{
        return n->tpm_emulator;
}

static void check_ovmf(struct doctor *d)
{
        struct oemkvm_check *c = check_new(d, "install.ovmf", GROUP, NULL, "UEFI firmware for guests (OVMF)");
        struct oemkvm_check *sb;
        const char *plain = first_file(d, ovmf_plain, ARRAY_SIZE(ovmf_plain));
        const char *secboot = first_file(d, ovmf_secboot, ARRAY_SIZE(ovmf_secboot));
        bool needed = any_domain(d, uses_uefi);

        if (plain || secboot)
                check_set(d, c, OEMKVM_PASS, "%s", plain ? plain : secboot);
        else {
                check_set(d, c, needed ? OEMKVM_FAIL : OEMKVM_WARN,
                          "no OVMF image in /usr/share/OVMF or /usr/share/edk2: %s",
                          needed ? "a tagged domain boots with UEFI" : "Windows 11 needs UEFI");
                check_fix(d, c, OVMF_PACKAGE);
        }

        sb = check_new(d, "install.ovmf-secboot", GROUP, NULL, "OVMF with Secure Boot (Windows 11 asks for it)");
        if (secboot)
                check_set(d, sb, OEMKVM_PASS, "%s", secboot);
        else {
                check_set(d, sb, OEMKVM_WARN, "no Secure Boot build of OVMF: Windows 11's installer refuses a machine without Secure Boot");
                check_fix(d, sb, OVMF_PACKAGE);
        }
}

/* A UEFI domain's loader exists; a Secure Boot one may not run the vGPU's unsigned ROM. */
static void check_loader(struct doctor *d, const struct oemkvm_needs *nd)
{
        struct oemkvm_check *c;

        if (!nd->tagged || !nd->uefi || !nd->loader)
                return;
        c = check_new(d, "install.loader", GROUP, nd->name, "the UEFI loader of domain '%s'", nd->name);
        if (!is_file(d, nd->loader)) {
                check_set(d, c, OEMKVM_FAIL, "'%s' is missing", nd->loader);
                check_fix(d, c, OVMF_PACKAGE ", or point <loader> at an OVMF image that exists");
        } else if (nd->gvt && nd->gvt_rom && nd->secure_boot) {
                check_set(d, c, OEMKVM_WARN, "'%s' boots with Secure Boot: OVMF built for it may refuse the vGPU's unsigned option ROM '%s' (PcdOptionRomImageVerificationPolicy)",
                          nd->loader, nd->gvt_rom);
                check_fix(d, c, "give the domain a firmware without Secure Boot (<loader secure='no'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>), or drop rom= from its <oemkvm:gvt>");
        } else
                check_set(d, c, OEMKVM_PASS, "'%s'%s", nd->loader, nd->secure_boot ? " (Secure Boot)" : "");
}

static void check_swtpm(struct doctor *d)
{
        struct oemkvm_check *c = check_new(d, "install.swtpm", GROUP, NULL, "swtpm (the TPM 2.0 Windows 11 needs)");
        struct stat st;
        bool needed = any_domain(d, uses_tpm);

        if (host_stat(d->ctx, "/usr/bin/swtpm", &st) >= 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
                check_set(d, c, OEMKVM_PASS, "/usr/bin/swtpm");
        else {
                check_set(d, c, needed ? OEMKVM_FAIL : OEMKVM_WARN, "no /usr/bin/swtpm: %s",
                          needed ? "a tagged domain has an emulated TPM, which libvirt cannot start" : "Windows 11 needs a TPM 2.0, which libvirt emulates with swtpm");
                check_fix(d, c, "sudo apt-get install swtpm swtpm-tools (Fedora: sudo dnf install swtpm swtpm-tools)");
        }
}

/* ISO 9660: the primary volume descriptor's "CD001" at 32769. */
static int iso_check(const struct doctor *d, const char *abs)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        char magic[5];
        struct stat st;

        if (oemkvm_ctx_path(d->ctx, abs, &path) < 0)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if (pread(fd, magic, sizeof(magic), 32769) != (ssize_t)sizeof(magic) || memcmp(magic, "CD001", 5))
                return -EBADMSG;
        return 0;
}

static void check_iso(struct doctor *d, struct oemkvm_check *c, const char *iso)
{
        int r = iso_check(d, iso);

        if (r == -EBADMSG || r == -EINVAL) {
                check_set(d, c, OEMKVM_FAIL, "'%s' is not an ISO 9660 image", iso);
                check_fix(d, c, "download virtio-win.iso again from https://fedorapeople.org/groups/virt/virtio-win/direct-downloads/stable-virtio/virtio-win.iso");
        } else if (r < 0) {
                check_set(d, c, OEMKVM_FAIL, "'%s': %s", iso, strerror(-r));
                check_fix(d, c, "download virtio-win.iso from https://fedorapeople.org/groups/virt/virtio-win/direct-downloads/stable-virtio/virtio-win.iso to '%s', or change the tag's drivers=",
                          iso);
        } else
                check_set(d, c, OEMKVM_PASS, "'%s' (ISO 9660)", iso);
}

/* Where the ISO usually is: Fedora's virtio-win package, and virt-manager's pool. */
static const char *const iso_places[] = {
        "/usr/share/virtio-win/virtio-win.iso", "/var/lib/libvirt/images/virtio-win.iso",
};

static void check_drivers(struct doctor *d)
{
        bool named = false;

        for (size_t i = 0; i < d->in->n_domains; i++) {
                const struct oemkvm_needs *nd = &d->in->domains[i];

                if (!nd->tagged || !nd->drivers_iso)
                        continue;
                named = true;
                check_iso(d, check_new(d, "install.virtio-win", GROUP, nd->name,
                                       "the virtio-win drivers ISO of domain '%s'", nd->name),
                          nd->drivers_iso);
        }
        if (!named) {
                struct oemkvm_check *c = check_new(d, "install.virtio-win", GROUP, NULL,
                                                   "the virtio-win drivers ISO");
                const char *found = first_file(d, iso_places, ARRAY_SIZE(iso_places));

                if (found)
                        check_iso(d, c, found);
                else
                        check_set(d, c, OEMKVM_NA, "no tagged domain names one (<oemkvm:virtio drivers=…>), and none is in %s or %s",
                                  iso_places[0], iso_places[1]);
        }
}

void doctor_install(struct doctor *d)
{
        check_ovmf(d);
        for (size_t i = 0; i < d->in->n_domains; i++)
                check_loader(d, &d->in->domains[i]);
        check_swtpm(d);
        check_drivers(d);
}
