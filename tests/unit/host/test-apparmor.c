/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AppArmor rule reader behind the hook's check: when AppArmor counts
 * (the kernel's switch, qemu.conf's security_driver), and which rules of
 * the libvirt-qemu abstraction and its local include grant or deny QEMU a
 * file — AppArmor's globbing (*, **, ?, [..], {a,b}), quoted paths,
 * qualifiers, tunables, resolved symlinks — over a sysroot of the test's.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "host/host.h"

static char *join(const char *a, const char *b)
{
        char *s;

        if (asprintf(&s, "%s/%s", a, b) < 0)
                abort();
        return s;
}

static void write_file(const char *root, const char *rel, const char *text)
{
        char *path = join(root, rel), cmd[8192];
        FILE *f;

        snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
        CHECK_INT(system(cmd), 0);
        f = fopen(path, "we");
        CHECK(f != NULL);
        if (f) {
                fputs(text, f);
                fclose(f);
        }
        free(path);
}

static struct oemkvm_ctx *ctx_on(const char *root)
{
        struct oemkvm_ctx *ctx = NULL;

        if (oemkvm_ctx_new(root, &ctx) < 0)
                abort();
        return ctx;
}

TEST(when_apparmor_counts)
{
        const char *root = check_tmpdir();
        struct oemkvm_ctx *ctx = ctx_on(root);
        struct oemkvm_error err = {};

        CHECK_INT(apparmor_confines_qemu(ctx, &err), 0);        /* no AppArmor in the kernel */
        write_file(root, "sys/module/apparmor/parameters/enabled", "N\n");
        CHECK_INT(apparmor_confines_qemu(ctx, &err), 0);
        write_file(root, "sys/module/apparmor/parameters/enabled", "Y\n");
        CHECK_INT(apparmor_confines_qemu(ctx, &err), 1);
        write_file(root, "etc/libvirt/qemu.conf", "# security_driver = \"none\"\nsecurity_driver = \"apparmor\"\n");
        CHECK_INT(apparmor_confines_qemu(ctx, &err), 1);
        write_file(root, "etc/libvirt/qemu.conf", "security_driver = 'none'  # no confinement\n");
        CHECK_INT(apparmor_confines_qemu(ctx, &err), 0);
        oemkvm_ctx_free(ctx);
}

/* Rules in the local include, then the verdict for path. */
static int verdict(const char *rules, const char *path, struct oemkvm_error *err)
{
        const char *root = check_tmpdir();
        struct oemkvm_ctx *ctx = ctx_on(root);
        int r;

        write_file(root, "etc/apparmor.d/local/abstractions/libvirt-qemu", rules);
        *err = (struct oemkvm_error){};
        r = apparmor_check_readable(ctx, path, false, err);
        oemkvm_ctx_free(ctx);
        return r;
}

TEST(globbing)
{
        static const struct {
                const char *rule;
                const char *path;
                int want;
        } cases[] = {
                { "  /srv/dump/*.bin r,\n",                 "/srv/dump/msdm.bin",         0 },
                { "  /srv/dump/*.bin r,\n",                 "/srv/dump/sub/msdm.bin",     -EACCES },
                { "  /srv/** r,\n",                         "/srv/dump/sub/msdm.bin",     0 },
                { "  /srv/dump/?sdm.bin r,\n",              "/srv/dump/msdm.bin",         0 },
                { "  /srv/dump/[a-m]sdm.bin r,\n",          "/srv/dump/msdm.bin",         0 },
                { "  /srv/dump/[^m]sdm.bin r,\n",           "/srv/dump/msdm.bin",         -EACCES },
                { "  /srv/{old,dump}/*.bin r,\n",           "/srv/dump/msdm.bin",         0 },
                { "  /srv/{old,new}/*.bin r,\n",            "/srv/dump/msdm.bin",         -EACCES },
                { "  /srv/d{u{m,x},y}p/*.bin r,\n",         "/srv/dump/msdm.bin",         0 },
                { "  \"/srv/my dumps/*.bin\" r,\n",         "/srv/my dumps/msdm.bin",     0 },
                /* owner covers files QEMU's user owns; oemkvm's are root's */
                { "  owner /srv/dump/* r,\n",               "/srv/dump/msdm.bin",         -EACCES },
                /* several rules on one line */
                { "  /srv/w/x w, /srv/dump/{a,msdm}.bin r,\n", "/srv/dump/msdm.bin",      0 },
                { "  audit /srv/dump/* rk,\n",              "/srv/dump/msdm.bin",         0 },
                { "  /srv/dump/* w,\n",                     "/srv/dump/msdm.bin",         -EACCES },
                { "  r /srv/dump/*,\n",                     "/srv/dump/msdm.bin",         0 },
                { "  @{HOME}/dump/* r,\n",                  "/home/ann/dump/msdm.bin",    0 },
                { "  @{HOME}/dump/* r,\n",                  "/root/dump/msdm.bin",        0 },
                { "  @{HOME}/dump/* r,\n",                  "/srv/dump/msdm.bin",         -EACCES },
                /* A variable this reader does not know grants: never a false refusal. */
                { "  @{VMDIR}/*.bin r,\n",                  "/srv/dump/msdm.bin",         0 },
                { "  # /srv/dump/*.bin r,\n",               "/srv/dump/msdm.bin",         -EACCES },
                { "  capability dac_override,\n  network inet stream,\n", "/srv/dump/msdm.bin", -EACCES },
                { "  /srv/** r,\n  deny /srv/dump/msdm.bin r,\n", "/srv/dump/msdm.bin",  -EACCES },
                { "  deny /srv/dump/msdm.bin w,\n  /srv/** r,\n", "/srv/dump/msdm.bin",  0 },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct oemkvm_error err;
                int r = verdict(cases[i].rule, cases[i].path, &err);

                if (r != cases[i].want)
                        fprintf(stderr, "rule %s  path %s: %d, expected %d (%s)\n", cases[i].rule,
                                cases[i].path, r, cases[i].want, err.message);
                CHECK_INT(r, cases[i].want);
                CHECK(!strchr(err.message, '\n'));
        }
}

TEST(messages)
{
        const char *root = check_tmpdir();
        struct oemkvm_ctx *ctx = ctx_on(root);
        struct oemkvm_error err = {};
        char *dir = join(root, "real"), *link = join(root, "link"), *file = join(root, "link/msdm.bin");
        char want[8192];

        /* The abstraction itself counts too, and a deny names its line. */
        write_file(root, "etc/apparmor.d/abstractions/libvirt-qemu", "  /srv/** r,\n\n  deny /srv/secret/* r,\n");
        CHECK_INT(apparmor_check_readable(ctx, "/srv/dump/msdm.bin", false, &err), 0);
        CHECK_INT(apparmor_check_readable(ctx, "/srv/secret/msdm.bin", false, &err), -EACCES);
        CHECK_CONTAINS(err.message, "line 3 of '/etc/apparmor.d/abstractions/libvirt-qemu' denies it reading '/srv/secret/msdm.bin'");

        /* The store: the install step.  Elsewhere: the two rules, for the resolved path. */
        CHECK_INT(apparmor_check_readable(ctx, "/var/lib/oemkvm/host/msdm.bin", true, &err), -EACCES);
        CHECK_CONTAINS(err.message, "lacks the rules 'make install' adds for the store");
        CHECK_INT(mkdir(dir, 0755), 0);
        CHECK_INT(symlink(dir, link), 0);
        write_file(root, "real/msdm.bin", "");
        CHECK_INT(apparmor_check_readable(ctx, file, false, &err), -EACCES);
        snprintf(want, sizeof(want), "no rule lets it read '%s/msdm.bin' — add the lines '%s/ r,' and '%s/*.bin r,' to '/etc/apparmor.d/local/abstractions/libvirt-qemu'",
                 dir, dir, dir);
        CHECK_CONTAINS(err.message, want);
        free(dir);
        free(link);
        free(file);
        oemkvm_ctx_free(ctx);
}

TESTS(T(when_apparmor_counts), T(globbing), T(messages))
