/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The doctor's stack checks: KVM for QEMU, libvirt and QEMU new enough for
 * what the tags in use ask of them, oemkvm's hook where libvirt runs it,
 * the watcher that patches tagged domains, and each domain's definition
 * patched to match its tag (the hook refuses to start one that is not).
 * What only the daemon knows comes from the caller (oemkvm_doctor_in).
 */
#include <ctype.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "host/doctor.h"
#include "host/host.h"
#include "host/probe.h"
#include "util/util.h"

#ifndef OEMKVM_HOOKDIR
#error "OEMKVM_HOOKDIR must be defined by the build"
#endif

#define GROUP "stack"
#define HOOK OEMKVM_HOOKDIR "/qemu.d/oemkvm"
#define KVM_MISC_MINOR 232

/* Does /proc/cpuinfo's flags line name flag? */
static bool cpu_has(const char *cpuinfo, const char *flag)
{
        size_t n = strlen(flag);

        for (const char *p = strstr(cpuinfo, "\nflags"); p; p = strstr(p + 1, "\nflags")) {
                const char *eol = strchr(p + 1, '\n');

                for (const char *f = strstr(p, flag); f && (!eol || f < eol); f = strstr(f + 1, flag))
                        if (isspace((unsigned char)f[-1]) && (isspace((unsigned char)f[n]) || !f[n]))
                                return true;
        }
        return false;
}

static bool module_loaded(const struct doctor *d, const char *name)
{
        char rel[64];
        struct stat st;

        snprintf(rel, sizeof(rel), "/sys/module/%s", name);
        return host_stat(d->ctx, rel, &st) >= 0 && S_ISDIR(st.st_mode);
}

/* "user:group" of a file, by name where the databases have one. */
static void owner_name(const struct stat *st, char *out, size_t size)
{
        struct passwd *pw = getpwuid(st->st_uid);
        struct group *gr = getgrgid(st->st_gid);
        char uid[16], gid[16];

        snprintf(uid, sizeof(uid), "%u", (unsigned)st->st_uid);
        snprintf(gid, sizeof(gid), "%u", (unsigned)st->st_gid);
        snprintf(out, size, "%s:%s", pw ? pw->pw_name : uid, gr ? gr->gr_name : gid);
}

static void check_kvm(struct doctor *d)
{
        struct oemkvm_check *c = check_new(d, "stack.kvm", GROUP, NULL, "/dev/kvm, usable by QEMU");
        _cleanup_free_ char *cpuinfo = NULL;
        struct oemkvm_error err = {};
        struct qemu_cred cred = {};
        char owner[128];
        struct stat st;

        if (host_stat(d->ctx, "/dev/kvm", &st) < 0) {
                bool vmx, svm;

                if (host_read(d->ctx, "/proc/cpuinfo", 4 * 1024 * 1024, &cpuinfo, NULL) < 0)
                        cpuinfo = NULL;
                vmx = cpuinfo && cpu_has(cpuinfo, "vmx");
                svm = cpuinfo && cpu_has(cpuinfo, "svm");
                if (cpuinfo && !vmx && !svm) {
                        check_set(d, c, OEMKVM_FAIL, "no /dev/kvm, and the CPU offers no hardware virtualization (no vmx or svm in /proc/cpuinfo)");
                        check_fix(d, c, "turn on Intel VT-x (\"Intel Virtualization Technology\") in the firmware setup");
                } else if (!module_loaded(d, "kvm_intel") && !module_loaded(d, "kvm_amd")) {
                        check_set(d, c, OEMKVM_FAIL, "no /dev/kvm: neither kvm_intel nor kvm_amd is loaded");
                        check_fix(d, c, "sudo modprobe %s", svm ? "kvm_amd" : "kvm_intel");
                } else {
                        check_set(d, c, OEMKVM_FAIL, "no /dev/kvm, though %s is loaded", module_loaded(d, "kvm_intel") ? "kvm_intel" : "kvm_amd");
                        check_fix(d, c, "see why with 'sudo dmesg | grep -i kvm' (often VT-x is off in the firmware setup)");
                }
                return;
        }
        if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 10 || minor(st.st_rdev) != KVM_MISC_MINOR) {
                check_set(d, c, OEMKVM_FAIL, "/dev/kvm is not the KVM device (character device 10:%d)", KVM_MISC_MINOR);
                check_fix(d, c, "sudo rm /dev/kvm && sudo modprobe -r kvm_intel && sudo modprobe kvm_intel");
                return;
        }
        if (qemu_cred_load(d->ctx, &cred, &err) < 0) {
                check_set_message(d, c, OEMKVM_FAIL, err.message, NULL);
                return;
        }
        owner_name(&st, owner, sizeof(owner));
        if (!qemu_may(&cred, &st, 6)) {
                check_set(d, c, OEMKVM_FAIL, "QEMU (user %s, group %s) may not open /dev/kvm (mode %04o, owner %s)",
                          cred.user, cred.group, (unsigned)(st.st_mode & 07777), owner);
        {
                struct group *gr = getgrgid(st.st_gid);

                /* systemd's udev rules make it 0666 root:kvm. */
                if (gr)
                        check_fix(d, c, "sudo chmod 0666 /dev/kvm (as udev makes it), or put %s in group %s: sudo usermod -aG %s %s && sudo systemctl restart libvirtd",
                                  cred.user, gr->gr_name, gr->gr_name, cred.user);
                else
                        check_fix(d, c, "sudo chgrp kvm /dev/kvm && sudo chmod 0666 /dev/kvm (as udev makes it)");
        }
        } else
                check_set(d, c, OEMKVM_PASS, "character device 10:%d, mode %04o, owner %s: QEMU (user %s, group %s) may open it",
                          KVM_MISC_MINOR, (unsigned)(st.st_mode & 07777), owner, cred.user, cred.group);
        qemu_cred_clear(&cred);
}

/* libvirt's version encoding: 1000000 * major + 1000 * minor + micro. */
static void version_str(unsigned long v, char out[static 32])
{
        snprintf(out, 32, "%lu.%lu.%lu", v / 1000000, v / 1000 % 1000, v % 1000);
}

/* The newest libvirt the domains in use need, and why. */
static unsigned long libvirt_needed(const struct doctor *d, char *why, size_t size)
{
        unsigned long need = 6005000;

        snprintf(why, size, "libvirt runs hooks from qemu.d since 6.5");
        for (size_t i = 0; i < d->in->n_domains; i++) {
                const struct oemkvm_needs *nd = &d->in->domains[i];

                if (!nd->tagged)
                        continue;
                if ((nd->gvt || nd->qemu_override) && need < 8002000) {
                        need = 8002000;
                        snprintf(why, size, "domain '%s' needs <qemu:override> (libvirt 8.2)", nd->name);
                }
                if (nd->mdev_ramfb && need < 5010000) {
                        need = 5010000;
                        snprintf(why, size, "domain '%s' needs ramfb on a vGPU (libvirt 5.10)", nd->name);
                }
        }
        return need;
}

static const char *uri_name(const struct doctor *d)
{
        return d->in->uri ? d->in->uri : "libvirt's default URI";
}

static void check_daemon(struct doctor *d)
{
        struct oemkvm_check *c = check_new(d, "stack.libvirt", GROUP, NULL, "libvirt, new enough for the tags in use");
        struct oemkvm_check *q;
        char why[256], have[32], need_s[32];
        unsigned long need = libvirt_needed(d, why, sizeof(why));

        switch (d->in->daemon) {
        case OEMKVM_DAEMON_NOT_ASKED:
                check_set(d, c, OEMKVM_NA, "not asked: with --sysroot doctor reads files only (-c URI asks a daemon)");
                break;
        case OEMKVM_DAEMON_UNREACHABLE:
                check_set(d, c, d->in->domain ? OEMKVM_FAIL : OEMKVM_WARN, "no answer from %s: %s",
                          uri_name(d), d->in->daemon_error ? d->in->daemon_error : "unknown error");
                check_fix(d, c, "start it: sudo systemctl start libvirtd (or virtqemud)");
                break;
        case OEMKVM_DAEMON_OK:
                version_str(d->in->libvirt_version, have);
                version_str(need, need_s);
                if (d->in->libvirt_version < need) {
                        check_set(d, c, OEMKVM_FAIL, "libvirt %s at %s; %s", have, uri_name(d), why);
                        check_fix(d, c, "upgrade libvirt to %s or later", need_s);
                } else
                        check_set(d, c, OEMKVM_PASS, "libvirt %s at %s (%s)", have, uri_name(d), why);
                break;
        }

        q = check_new(d, "stack.qemu", GROUP, NULL, "QEMU");
        if (d->in->daemon != OEMKVM_DAEMON_OK || !d->in->qemu_version)
                check_set(d, q, OEMKVM_NA, "only libvirt can tell (see above)");
        else {
                version_str(d->in->qemu_version, have);
                check_set(d, q, OEMKVM_PASS, "QEMU %s (libvirt checks what each domain needs of it when it is defined)", have);
        }
}

static void check_hook(struct doctor *d)
{
        struct oemkvm_check *c = check_new(d, "stack.hook", GROUP, NULL, "oemkvm's hook in " OEMKVM_HOOKDIR "/qemu.d");
        struct stat st;

        if (host_stat(d->ctx, HOOK, &st) < 0) {
                check_set(d, c, OEMKVM_FAIL, "'" HOOK "' is missing: libvirt starts tagged domains without oemkvm's checks");
                check_fix(d, c, "sudo make install (in oemkvm's source tree), then sudo systemctl restart libvirtd (or virtqemud)");
        } else if (!S_ISREG(st.st_mode) || !(st.st_mode & 0100)) {
                check_set(d, c, OEMKVM_FAIL, "'" HOOK "' is not an executable file (mode %04o): libvirt skips it",
                          (unsigned)(st.st_mode & 07777));
                check_fix(d, c, "sudo chmod 0755 " HOOK);
        } else
                check_set(d, c, OEMKVM_PASS, "'" HOOK "', mode %04o", (unsigned)(st.st_mode & 07777));
}

/* Is /proc/<pid>/cmdline (argv, NUL-separated) "…/oemkvm watch …"? */
static bool is_watcher(const char *cmdline, size_t len)
{
        size_t n0 = strnlen(cmdline, len);
        const char *base = strrchr(cmdline, '/');

        base = base ? base + 1 : cmdline;
        return n0 + 1 < len && !strcmp(base, "oemkvm") && !strcmp(cmdline + n0 + 1, "watch");
}

static void check_watcher(struct doctor *d)
{
        struct oemkvm_check *c = check_new(d, "stack.watcher", GROUP, NULL, "the watcher (oemkvm watch)");
        char **pids = NULL;
        long found = 0;

        if (host_list(d->ctx, "/proc", &pids) >= 0)
                for (char **p = pids; *p && !found; p++) {
                        _cleanup_free_ char *rel = NULL, *cmdline = NULL;
                        size_t len;

                        if (strspn(*p, "0123456789") != strlen(*p))
                                continue;
                        if (asprintf(&rel, "/proc/%s/cmdline", *p) < 0)
                                break;
                        if (host_read(d->ctx, rel, 64 * 1024, &cmdline, &len) >= 0 && is_watcher(cmdline, len))
                                found = strtol(*p, NULL, 10);
                }
        oemkvm_strv_free(pids);
        if (found)
                check_set(d, c, OEMKVM_PASS, "running (pid %ld): a domain tagged in virt-manager is patched as soon as it is defined",
                          found);
        else {
                check_set(d, c, OEMKVM_WARN, "not running: a domain tagged in virt-manager is patched only by 'sudo oemkvm apply DOMAIN'");
                check_fix(d, c, "sudo systemctl enable --now oemkvm-watch");
        }
}

static void check_domain(struct doctor *d, const struct oemkvm_needs *nd)
{
        struct oemkvm_check *c = check_new(d, "stack.domain", GROUP, nd->name,
                                           "domain '%s' patched to match its tag", nd->name);

        if (!nd->tagged) {
                check_set(d, c, OEMKVM_WARN, "it carries no <oemkvm:config> tag: oemkvm leaves it alone");
                check_fix(d, c, "sudo oemkvm tag %s --license (see 'oemkvm tag --help')", nd->name);
        } else if (nd->patch_error)
                check_set_message(d, c, OEMKVM_FAIL, nd->patch_error, NULL);
        else if (nd->patch_flags & OEMKVM_PATCH_CHANGED) {
                check_set(d, c, OEMKVM_FAIL, "its definition does not match its tag: the hook refuses to start it");
                check_fix(d, c, "sudo oemkvm apply %s (the watcher does it by itself when it runs)", nd->name);
        } else
                check_set(d, c, OEMKVM_PASS, "%s", nd->active ? "running, defined as its tag asks" : "defined as its tag asks");
}

void doctor_stack(struct doctor *d)
{
        check_kvm(d);
        check_daemon(d);
        check_hook(d);
        check_watcher(d);
        if (d->in->domain && d->in->domain_error) {
                struct oemkvm_check *c = check_new(d, "stack.domain", GROUP, d->in->domain,
                                                   "domain '%s' patched to match its tag", d->in->domain);

                check_set(d, c, OEMKVM_FAIL, "no domain '%s' at %s: %s", d->in->domain, uri_name(d),
                          d->in->domain_error);
                check_fix(d, c, "'virsh%s%s list --all' lists the domains there", d->in->uri ? " -c " : "",
                          d->in->uri ? d->in->uri : "");
        } else if (d->in->domain && d->in->daemon != OEMKVM_DAEMON_OK) {
                struct oemkvm_check *c = check_new(d, "stack.domain", GROUP, d->in->domain,
                                                   "domain '%s' patched to match its tag", d->in->domain);

                check_set(d, c, OEMKVM_FAIL, "cannot look it up: libvirt did not answer (see above)");
                check_fix(d, c, "start libvirt: sudo systemctl start libvirtd (or virtqemud)");
        }
        for (size_t i = 0; i < d->in->n_domains; i++)
                check_domain(d, &d->in->domains[i]);
}
