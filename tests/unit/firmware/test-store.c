/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The store: qemu.conf lookups; collecting placeholder and SLIC-only
 * firmware; loading without blocking; dump load/write edge cases.
 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "oemkvm.h"

static struct oemkvm_ctx *ctx_with_conf(const char *conf)
{
        const char *root = check_tmpdir();
        struct oemkvm_ctx *ctx = NULL;
        char path[4096];
        FILE *f;

        snprintf(path, sizeof(path), "%s/etc", root);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/etc/libvirt", root);
        mkdir(path, 0755);
        if (conf) {
                snprintf(path, sizeof(path), "%s/etc/libvirt/qemu.conf", root);
                f = fopen(path, "we");
                fputs(conf, f);
                fclose(f);
        }
        if (oemkvm_ctx_new(root, &ctx) < 0)
                abort();
        return ctx;
}

TEST(qemu_group_from_conf)
{
        struct oemkvm_error err = {};
        struct oemkvm_ctx *ctx;
        char *name = NULL;
        gid_t gid = 4242;

        ctx = ctx_with_conf("#group = \"nobody\"\n  group   =  'root'  # the admin's choice\nuser = \"+0\"\n");
        CHECK_INT(oemkvm_qemu_group(ctx, &gid, &name, &err), 0);
        CHECK_INT(gid, 0);
        CHECK_STR(name, "root");
        free(name);
        oemkvm_ctx_free(ctx);

        /* "+N" is a numeric id, as libvirt reads it. */
        ctx = ctx_with_conf("group = \"+0\"\n");
        gid = 4242;
        CHECK_INT(oemkvm_qemu_group(ctx, &gid, NULL, &err), 0);
        CHECK_INT(gid, 0);
        oemkvm_ctx_free(ctx);
}

TEST(qemu_user_from_conf)
{
        struct oemkvm_error err = {};
        struct oemkvm_ctx *ctx = ctx_with_conf("user = \"+0\"\n");
        uid_t uid = 4242;

        CHECK_INT(oemkvm_qemu_user(ctx, &uid, NULL, &err), 0);
        CHECK_INT(uid, 0);
        oemkvm_ctx_free(ctx);
}

TEST(qemu_group_missing)
{
        struct oemkvm_error err = {};
        struct oemkvm_ctx *ctx = ctx_with_conf("group = \"oemkvm-no-such-group\"\n");
        gid_t gid = 4242;

        CHECK_INT(oemkvm_qemu_group(ctx, &gid, NULL, &err), -ENOENT);
        CHECK_INT(gid, 4242);
        CHECK_CONTAINS(err.message, "'oemkvm-no-such-group'");
        CHECK_CONTAINS(err.message, "/etc/libvirt/qemu.conf");
        oemkvm_ctx_free(ctx);
}

/* Without qemu.conf the compiled-in default applies (it exists on this host or not). */
TEST(qemu_group_default)
{
        struct oemkvm_error err = {};
        struct oemkvm_ctx *ctx = ctx_with_conf(NULL);
        char *name = NULL;
        gid_t gid;
        int r;

        r = oemkvm_qemu_group(ctx, &gid, &name, &err);
        if (getgrnam(OEMKVM_QEMU_GROUP)) {
                CHECK_INT(r, 0);
                CHECK_STR(name, OEMKVM_QEMU_GROUP);
        } else
                CHECK_INT(r, -ENOENT);
        free(name);
        oemkvm_ctx_free(ctx);
}

TEST(dump_write_refuses_incomplete)
{
        struct oemkvm_error err = {};
        struct oemkvm_dump dump = {};
        char dir[4096];
        struct stat st;

        snprintf(dir, sizeof(dir), "%s/store", check_tmpdir());
        CHECK_INT(oemkvm_dump_write(&dump, dir, (gid_t)-1, &err), -EINVAL);
        CHECK_CONTAINS(err.message, "incomplete");
        CHECK(stat(dir, &st) < 0);
        CHECK_INT(oemkvm_dump_write(&dump, "relative", (gid_t)-1, &err), -EINVAL);
}

TEST(dump_load_roundtrip)
{
        struct oemkvm_error err = {};
        struct oemkvm_ctx *ctx = check_fixture_ctx("legacy-smbios2-slic");
        struct oemkvm_dump a = {}, b = {};
        char dir[4096];

        snprintf(dir, sizeof(dir), "%s/store", check_tmpdir());
        CHECK_INT(oemkvm_dump_collect(ctx, &a, &err), 0);
        CHECK_INT(oemkvm_dump_write(&a, dir, (gid_t)-1, &err), 4);
        CHECK_INT(oemkvm_dump_write(&a, dir, (gid_t)-1, &err), 0);
        CHECK_INT(oemkvm_dump_load(dir, &b, &err), 0);
        CHECK_MEM(a.msdm.data, a.msdm.len, b.msdm.data, b.msdm.len);
        CHECK_MEM(a.slic.data, a.slic.len, b.slic.data, b.slic.len);
        CHECK_MEM(a.smbios0.data, a.smbios0.len, b.smbios0.data, b.smbios0.len);
        CHECK_MEM(a.smbios1.data, a.smbios1.len, b.smbios1.data, b.smbios1.len);
        oemkvm_dump_clear(&a);
        oemkvm_dump_clear(&b);
        oemkvm_ctx_free(ctx);
}

TEST(dump_load_rejects_bad_file)
{
        struct oemkvm_error err = {};
        struct oemkvm_dump d = {};
        char path[4096];
        const char *dir = check_tmpdir();
        FILE *f;

        CHECK_INT(oemkvm_dump_load(dir, &d, &err), -ENOENT);
        CHECK_CONTAINS(err.message, "holds neither msdm.bin nor slic.bin — not a complete oemkvm dump");

        /* A dump whose MSDM file is garbage is refused, naming the file. */
        snprintf(path, sizeof(path), "%s/msdm.bin", dir);
        f = fopen(path, "we");
        fputs("not an ACPI table at all, just text that is long enough to have a header", f);
        fclose(f);
        CHECK(oemkvm_dump_load(dir, &d, &err) < 0);
        CHECK_CONTAINS(err.message, "msdm.bin");
        CHECK(d.msdm.data == NULL);
}


static void collect(const char *rcase, struct oemkvm_dump *d)
{
        struct oemkvm_error err = {};
        struct oemkvm_ctx *ctx = check_fixture_ctx(rcase);

        CHECK_INT(oemkvm_dump_collect(ctx, d, &err), 0);
        if (err.message[0])
                fprintf(stderr, "%s: %s\n", rcase, err.message);
        oemkvm_ctx_free(ctx);
}

/* The blob equals tests/fixtures/roots/<rcase>/expected/<name>, or is absent with it. */
static void check_expected(const char *rcase, const char *name, const struct oemkvm_blob *b)
{
        char rel[512];
        struct stat st;

        snprintf(rel, sizeof(rel), "tests/fixtures/roots/%s/expected/%s", rcase, name);
        if (stat(check_srcpath(rel), &st) < 0) {
                CHECK(b->data == NULL);
                return;
        }
        {
                size_t len;
                uint8_t *want = check_read_file(check_srcpath(rel), &len);

                CHECK_MEM(b->data, b->len, want, len);
                free(want);
        }
}

static void check_dump_is(const char *rcase, const struct oemkvm_dump *d)
{
        check_expected(rcase, "msdm.bin", &d->msdm);
        check_expected(rcase, "slic.bin", &d->slic);
        check_expected(rcase, "smbios_type_0.bin", &d->smbios0);
        check_expected(rcase, "smbios_type_1.bin", &d->smbios1);
}

/* Placeholders are passed on as they are; a SLIC alone is a whole dump. */
TEST(collect_placeholders_and_slic_only)
{
        static const char *const cases[] = { "slic-placeholder", "msdm-placeholder", "msdm-zero-slic", "slic-only" };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct oemkvm_dump d = {}, back = {};
                struct oemkvm_error err = {};
                char dir[4200];

                collect(cases[i], &d);
                check_dump_is(cases[i], &d);
                snprintf(dir, sizeof(dir), "%s/store", check_tmpdir());
                CHECK(oemkvm_dump_write(&d, dir, (gid_t)-1, &err) > 0);
                CHECK_INT(oemkvm_dump_load(dir, &back, &err), 0);
                check_dump_is(cases[i], &back);
                oemkvm_dump_clear(&back);
                oemkvm_dump_clear(&d);
        }
}

TEST(collect_needs_msdm_or_slic)
{
        struct oemkvm_error err = {};
        struct oemkvm_ctx *ctx = check_fixture_ctx("no-msdm");
        struct oemkvm_dump d = {};

        CHECK_INT(oemkvm_dump_collect(ctx, &d, &err), -ENOENT);
        CHECK_CONTAINS(err.message, "no-msdm/sys/firmware/acpi/tables' holds neither an MSDM nor a SLIC table");
        CHECK_CONTAINS(err.message, "no OEM Windows license");
        CHECK(d.msdm.data == NULL && d.smbios0.data == NULL);
        oemkvm_ctx_free(ctx);

        /* A structurally broken SLIC fails the dump even next to a good MSDM. */
        ctx = check_fixture_ctx("slic-bad-checksum");
        CHECK_INT(oemkvm_dump_collect(ctx, &d, &err), -EBADMSG);
        CHECK_CONTAINS(err.message, "SLIC: checksum mismatch");
        oemkvm_ctx_free(ctx);
}

static char *sub(const char *dir, const char *name)
{
        char *p;

        if (asprintf(&p, "%s/%s", dir, name) < 0)
                abort();
        return p;
}

TEST(load_never_blocks)
{
        const char *dir = check_tmpdir();
        char *fifo = sub(dir, "smbios_type_0.bin"), *msdm = sub(dir, "msdm.bin");
        struct oemkvm_dump d = {};
        struct oemkvm_error err = {};
        size_t len;
        uint8_t *buf = check_read_file(check_srcpath("tests/fixtures/roots/thinkpad-smbios3/expected/msdm.bin"), &len);
        FILE *f = fopen(msdm, "we");

        /* A good MSDM next to a FIFO. */
        CHECK(f && fwrite(buf, 1, len, f) == len);
        if (f)
                fclose(f);
        CHECK_INT(mkfifo(fifo, 0644), 0);
        alarm(10);
        CHECK_INT(oemkvm_dump_load(dir, &d, &err), -EINVAL);
        alarm(0);
        CHECK_CONTAINS(err.message, fifo);
        CHECK_CONTAINS(err.message, "a FIFO");
        CHECK(d.msdm.data == NULL);
        free(buf);
        free(msdm);
        free(fifo);
}


TESTS(T(qemu_group_from_conf), T(qemu_user_from_conf), T(qemu_group_missing), T(qemu_group_default),
      T(dump_write_refuses_incomplete), T(dump_load_roundtrip), T(dump_load_rejects_bad_file),
      T(collect_placeholders_and_slic_only), T(collect_needs_msdm_or_slic), T(load_never_blocks))
