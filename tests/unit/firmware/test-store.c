/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The store: qemu.conf lookups, dump load/write edge cases. */
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
        CHECK_CONTAINS(err.message, "msdm.bin' is missing");

        /* A dump whose MSDM file is garbage is refused, naming the file. */
        snprintf(path, sizeof(path), "%s/msdm.bin", dir);
        f = fopen(path, "we");
        fputs("not an ACPI table at all, just text that is long enough to have a header", f);
        fclose(f);
        CHECK(oemkvm_dump_load(dir, &d, &err) < 0);
        CHECK_CONTAINS(err.message, "msdm.bin");
        CHECK(d.msdm.data == NULL);
}

static void put(const char *path, const void *data, size_t len)
{
        FILE *f = fopen(path, "we");

        if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
                abort();
}

TEST(gvt_rom_install)
{
        static const uint8_t rom[] = { 0x55, 0xaa, 0x40, 0xe9, 'n', 'o', 't', ' ', 'I', 'n', 't', 'e', 'l' };
        const char *dir = check_tmpdir();
        struct oemkvm_error err = {};
        struct oemkvm_ctx *ctx = NULL;
        char src[4200], link[4200], store[4200], dest[4300], sha[65];
        uint8_t *got;
        size_t len;
        struct stat st;

        snprintf(src, sizeof(src), "%s/vbios.rom", dir);
        snprintf(link, sizeof(link), "%s/link.rom", dir);
        snprintf(store, sizeof(store), "%s/store", dir);
        snprintf(dest, sizeof(dest), "%s/" OEMKVM_STORE_GVT_ROM, store);
        put(src, rom, sizeof(rom));
        CHECK_INT(symlink(src, link), 0);
        CHECK_INT(oemkvm_ctx_new(NULL, &ctx), 0);
        CHECK_INT(oemkvm_ctx_set_store_dir(ctx, store), 0);

        /* A link to the ROM is followed: it is only read. */
        CHECK_INT(oemkvm_gvt_rom_install(ctx, link, (gid_t)-1, sha, &err), 1);
        got = check_read_file(dest, &len);
        CHECK_MEM(got, len, rom, sizeof(rom));
        free(got);
        CHECK_INT(lstat(dest, &st), 0);
        CHECK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0640);
        CHECK_INT(stat(store, &st), 0);
        CHECK_INT(st.st_mode & 07777, 0750);
        CHECK_STR(sha, "c3077710873c13756b602d57d87fee0db9be6c100e21280f632490754298bff6");
        CHECK(strcmp(sha, OEMKVM_GVT_ROM_SHA256));
        /* The same bytes again: nothing written. */
        CHECK_INT(oemkvm_gvt_rom_install(ctx, src, (gid_t)-1, sha, &err), 0);

        /* Not an option ROM: refused, the store's copy kept. */
        put(src, "MZ\x90", 3);
        CHECK_INT(oemkvm_gvt_rom_install(ctx, src, (gid_t)-1, sha, &err), -EINVAL);
        CHECK_CONTAINS(err.message, "is not a PCI option ROM (it does not start with 55 AA)");
        got = check_read_file(dest, &len);
        CHECK_MEM(got, len, rom, sizeof(rom));
        free(got);
        CHECK_INT(oemkvm_gvt_rom_install(ctx, dir, (gid_t)-1, sha, &err), -EINVAL);
        CHECK_CONTAINS(err.message, "is not a regular file");
        CHECK_INT(oemkvm_gvt_rom_install(ctx, "/nonexistent.rom", (gid_t)-1, sha, &err), -ENOENT);
        oemkvm_ctx_free(ctx);
}

TESTS(T(gvt_rom_install), T(qemu_group_from_conf), T(qemu_user_from_conf), T(qemu_group_missing), T(qemu_group_default),
      T(dump_write_refuses_incomplete), T(dump_load_roundtrip), T(dump_load_rejects_bad_file))
