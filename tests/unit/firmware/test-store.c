/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The store: qemu.conf lookups; collecting placeholder and SLIC-only
 * firmware; loading through one directory handle without blocking; and
 * the writer's contract — a set switched as a whole, into a directory that
 * is missing, empty or an oemkvm store, leftovers of a killed write
 * removed, a user's files never.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

static void touch(const char *dir, const char *name, const char *text)
{
        char *p = sub(dir, name);
        FILE *f = fopen(p, "we");

        if (!f || fputs(text, f) < 0 || fclose(f) != 0)
                abort();
        free(p);
}

/* The names in dir, sorted, space-separated ("" when empty). */
static char *listing(const char *dir)
{
        struct dirent **list = NULL;
        char *out = calloc(1, 4096);
        int n = scandir(dir, &list, NULL, alphasort);

        for (int i = 0; i < n; i++) {
                if (strcmp(list[i]->d_name, ".") && strcmp(list[i]->d_name, "..")) {
                        if (out[0])
                                strcat(out, " ");
                        strncat(out, list[i]->d_name, 4096 - strlen(out) - 1);
                }
                free(list[i]);
        }
        free(list);
        return out;
}

#define SET_WITH_SLIC ".oemkvm-store msdm.bin slic.bin smbios_type_0.bin smbios_type_1.bin"
#define SET_NO_SLIC ".oemkvm-store msdm.bin smbios_type_0.bin smbios_type_1.bin"

TEST(write_switches_the_whole_set)
{
        const char *top = check_tmpdir();
        char *dir = sub(top, "store"), *l;
        struct oemkvm_dump a = {}, b = {}, back = {};
        struct oemkvm_error err = {};
        struct stat st1, st2;

        collect("legacy-smbios2-slic", &a);
        collect("thinkpad-smbios3", &b);
        CHECK_INT(oemkvm_dump_write(&a, dir, (gid_t)-1, &err), 4);
        l = listing(dir);
        CHECK_STR(l, SET_WITH_SLIC);
        free(l);
        l = listing(top);
        CHECK_STR(l, "store");          /* nothing left beside it */
        free(l);
        CHECK_INT(stat(dir, &st1), 0);
        CHECK_INT(st1.st_mode & 07777, 0750);

        /* Unchanged: nothing is touched. */
        CHECK_INT(oemkvm_dump_write(&a, dir, (gid_t)-1, &err), 0);
        CHECK_INT(stat(dir, &st2), 0);
        CHECK_INT(st2.st_ino, st1.st_ino);

        /* Another machine: a new directory in the same place, the old one gone. */
        CHECK_INT(oemkvm_dump_write(&b, dir, (gid_t)-1, &err), 4);   /* 3 changed, slic.bin gone */
        CHECK_INT(stat(dir, &st2), 0);
        CHECK(st2.st_ino != st1.st_ino);
        l = listing(dir);
        CHECK_STR(l, SET_NO_SLIC);
        free(l);
        l = listing(top);
        CHECK_STR(l, "store");
        free(l);
        CHECK_INT(oemkvm_dump_load(dir, &back, &err), 0);
        check_dump_is("thinkpad-smbios3", &back);

        /* Its own directory's mode, if someone changed it, is put back in place. */
        CHECK_INT(chmod(dir, 0700), 0);
        CHECK_INT(oemkvm_dump_write(&b, dir, (gid_t)-1, &err), 0);
        CHECK_INT(stat(dir, &st1), 0);
        CHECK_INT(st1.st_mode & 07777, 0750);
        CHECK_INT(st1.st_ino, st2.st_ino);

        /* A file of the set changed by hand: the set is rewritten. */
        {
                char *p = sub(dir, "smbios_type_1.bin");

                CHECK_INT(chmod(p, 0600), 0);
                CHECK_INT(oemkvm_dump_write(&b, dir, (gid_t)-1, &err), 1);
                CHECK_INT(stat(p, &st1), 0);
                CHECK_INT(st1.st_mode & 07777, 0640);
                free(p);
        }
        oemkvm_dump_clear(&back);
        oemkvm_dump_clear(&a);
        oemkvm_dump_clear(&b);
        free(dir);
}

/* Expects a write into dir to be refused with frag, and dir left exactly as it was. */
static void expect_write_refused(const struct oemkvm_dump *d, const char *dir, const char *frag)
{
        struct oemkvm_error err = {};
        struct stat before, after;
        char *l1, *l2;

        CHECK_INT(lstat(dir, &before), 0);
        l1 = listing(dir);
        CHECK(oemkvm_dump_write(d, dir, (gid_t)-1, &err) < 0);
        CHECK_CONTAINS(err.message, dir);
        CHECK_CONTAINS(err.message, frag);
        CHECK(!strchr(err.message, '\n'));
        CHECK_INT(lstat(dir, &after), 0);
        CHECK_INT(after.st_ino, before.st_ino);
        CHECK_INT(after.st_mode, before.st_mode);
        CHECK_INT(after.st_uid, before.st_uid);
        CHECK_INT(after.st_gid, before.st_gid);
        l2 = listing(dir);
        CHECK_STR(l2, l1);
        free(l1);
        free(l2);
}

TEST(write_refuses_what_is_not_a_store)
{
        const char *top = check_tmpdir();
        char *sticky = sub(top, "tmp"), *mine = sub(top, "mine"), *shared = sub(top, "shared"),
             *link = sub(top, "link"), *file = sub(top, "file"), *other = sub(top, "other"),
             *sub_store = NULL, *open_parent = sub(top, "open");
        struct oemkvm_dump d = {};
        struct oemkvm_error err = {};

        collect("thinkpad-smbios3", &d);

        /* `--output /tmp`: everyone may write there. */
        CHECK_INT(mkdir(sticky, 0700), 0);
        CHECK_INT(chmod(sticky, 01777), 0);
        expect_write_refused(&d, sticky, "everyone may write there (mode 1777)");

        /* A directory holding someone's files. */
        CHECK_INT(mkdir(mine, 0755), 0);
        touch(mine, "notes.txt", "mine\n");
        touch(mine, "msdm.bin", "not even a table\n");
        expect_write_refused(&d, mine, "it holds 'notes.txt', which is not part of an oemkvm store");

        /* A directory named like a store file is not a store file. */
        CHECK_INT(mkdir(shared, 0755), 0);
        {
                char *p = sub(shared, "smbios_type_0.bin");

                CHECK_INT(mkdir(p, 0755), 0);
                free(p);
        }
        expect_write_refused(&d, shared, "which is not part of an oemkvm store");

        CHECK_INT(symlink(mine, link), 0);
        expect_write_refused(&d, link, "it is a symbolic link");
        touch(top, "file", "x");
        expect_write_refused(&d, file, "it is a regular file");

        /* Owned by another user who is not root. */
        if (geteuid() == 0) {
                CHECK_INT(mkdir(other, 0755), 0);
                CHECK_INT(chown(other, 65534, 65534), 0);
                expect_write_refused(&d, other, "it belongs to another user (uid 65534)");
        }

        /* A parent where everyone may rename entries (no sticky bit). */
        CHECK_INT(mkdir(open_parent, 0700), 0);
        CHECK_INT(chmod(open_parent, 0777), 0);
        sub_store = sub(open_parent, "store");
        CHECK(oemkvm_dump_write(&d, sub_store, (gid_t)-1, &err) < 0);
        CHECK_CONTAINS(err.message, "everyone may rename entries of the directory above it (mode 0777)");
        CHECK(access(sub_store, F_OK) < 0);

        oemkvm_dump_clear(&d);
        free(open_parent);
        free(sub_store);
        free(other);
        free(file);
        free(link);
        free(shared);
        free(mine);
        free(sticky);
}

TEST(write_takes_empty_and_legacy_directories)
{
        const char *top = check_tmpdir();
        char *empty = sub(top, "empty"), *legacy = sub(top, "legacy"), *l;
        struct oemkvm_dump d = {}, back = {};
        struct oemkvm_error err = {};
        struct stat st;

        collect("legacy-smbios2-slic", &d);

        /* An empty directory becomes the store (a directory of oemkvm's). */
        CHECK_INT(mkdir(empty, 0700), 0);
        CHECK_INT(oemkvm_dump_write(&d, empty, (gid_t)-1, &err), 4);
        CHECK_INT(stat(empty, &st), 0);
        CHECK_INT(st.st_mode & 07777, 0750);
        l = listing(empty);
        CHECK_STR(l, SET_WITH_SLIC);
        free(l);

        /* A store of the earlier per-file writer: no marker, the files renamed in one by
         * one, the temp files of killed writes (one holding a key) left. */
        CHECK_INT(mkdir(legacy, 0750), 0);
        touch(legacy, "msdm.bin", "an old MSDM");
        touch(legacy, "smbios_type_0.bin", "old");
        touch(legacy, ".msdm.bin.00000000", "TESTK-EYNOT-REAL0-OEMKV-M0002");
        touch(legacy, ".smbios_type_1.bin.1a2b3c4d", "half");
        touch(legacy, "." OEMKVM_STORE_GVT_ROM ".0badcafe", "half a ROM");
        CHECK_INT(oemkvm_dump_write(&d, legacy, (gid_t)-1, &err), 4);
        l = listing(legacy);
        CHECK_STR(l, SET_WITH_SLIC);
        free(l);
        l = listing(top);
        CHECK_STR(l, "empty legacy");
        free(l);
        CHECK_INT(oemkvm_dump_load(legacy, &back, &err), 0);
        check_dump_is("legacy-smbios2-slic", &back);
        oemkvm_dump_clear(&back);
        oemkvm_dump_clear(&d);
        free(legacy);
        free(empty);
}

/* What a killed write leaves beside the store goes with the next write; a
 * look-alike holding anything else stays. */
TEST(write_removes_leftovers_only)
{
        const char *top = check_tmpdir();
        char *dir = sub(top, "host"), *dead = sub(top, ".host.oemkvm-99999.0.00000000"),
             *half = sub(top, ".host.oemkvm-99999.1.00000000"), *users = sub(top, ".host.oemkvm-mine"),
             *emptyleft = sub(top, ".host.oemkvm-99998.0.00000000"), *l;
        struct oemkvm_dump d = {};
        struct oemkvm_error err = {};

        collect("thinkpad-smbios3", &d);
        CHECK_INT(oemkvm_dump_write(&d, dir, (gid_t)-1, &err), 3);

        CHECK_INT(mkdir(dead, 0700), 0);                /* marked, complete */
        touch(dead, ".oemkvm-store", "x");
        touch(dead, "msdm.bin", "key");
        touch(dead, "smbios_type_0.bin", "x");
        CHECK_INT(mkdir(half, 0700), 0);                /* killed while taken down: files, no marker */
        touch(half, "msdm.bin", "key");
        CHECK_INT(mkdir(emptyleft, 0700), 0);           /* killed right after mkdir */
        CHECK_INT(mkdir(users, 0755), 0);               /* someone's, named like ours */
        touch(users, ".oemkvm-store", "x");
        touch(users, "thesis.tex", "precious");

        CHECK_INT(oemkvm_dump_write(&d, dir, (gid_t)-1, &err), 0);
        l = listing(top);
        /* The half-removed one has data but no marker: not provably ours, kept. */
        CHECK_STR(l, ".host.oemkvm-99999.1.00000000 .host.oemkvm-mine host");
        free(l);
        l = listing(users);
        CHECK_STR(l, ".oemkvm-store thesis.tex");
        free(l);
        oemkvm_dump_clear(&d);
        free(emptyleft);
        free(users);
        free(half);
        free(dead);
        free(dir);
}

TEST(write_creates_parents_traversable)
{
        const char *top = check_tmpdir();
        char *dir = sub(top, "a/b/c/store"), *a = sub(top, "a"), *c = sub(top, "a/b/c");
        struct oemkvm_dump d = {};
        struct oemkvm_error err = {};
        struct stat st;
        mode_t old = umask(077);

        collect("thinkpad-smbios3", &d);
        CHECK_INT(oemkvm_dump_write(&d, dir, (gid_t)-1, &err), 3);
        umask(old);
        CHECK_INT(stat(a, &st), 0);
        CHECK_INT(st.st_mode & 07777, 0755);
        CHECK_INT(stat(c, &st), 0);
        CHECK_INT(st.st_mode & 07777, 0755);
        CHECK_INT(stat(dir, &st), 0);
        CHECK_INT(st.st_mode & 07777, 0750);
        /* A directory that was there keeps its mode. */
        CHECK_INT(chmod(c, 0711), 0);
        CHECK_INT(oemkvm_dump_write(&d, dir, (gid_t)-1, &err), 0);
        CHECK_INT(stat(c, &st), 0);
        CHECK_INT(st.st_mode & 07777, 0711);
        oemkvm_dump_clear(&d);
        free(c);
        free(a);
        free(dir);
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

#define READERS_ROUNDS 2000

/*
 * Readers never see a mix: a child switches the store between two
 * machines' sets as fast as it can while the parent loads it, many times;
 * every load is one set or the other, whole.
 */
TEST(readers_see_one_set)
{
        /* tmpfs when there is one: thousands of synced writes on a disk take long. */
        const char *top = check_tmpdir_on(access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NULL);
        char *dir = sub(top, "host");
        struct oemkvm_dump a = {}, b = {};
        struct oemkvm_error err = {};
        unsigned seen_a = 0, seen_b = 0;
        pid_t child;
        int status;

        collect("legacy-smbios2-slic", &a);
        collect("thinkpad-smbios3", &b);
        CHECK(oemkvm_dump_write(&a, dir, (gid_t)-1, &err) > 0);
        child = fork();
        if (child == 0) {
                for (int i = 0; i < READERS_ROUNDS; i++)
                        if (oemkvm_dump_write(i % 2 ? &a : &b, dir, (gid_t)-1, NULL) < 0)
                                _exit(1);
                _exit(0);
        }
        for (int i = 0; i < READERS_ROUNDS; i++) {
                struct oemkvm_dump got = {};
                int r = oemkvm_dump_load(dir, &got, &err);

                CHECK_INT(r, 0);
                if (r < 0) {
                        fprintf(stderr, "load %d: %s\n", i, err.message);
                        break;
                }
                if (got.msdm.len == a.msdm.len && !memcmp(got.msdm.data, a.msdm.data, a.msdm.len)) {
                        seen_a++;
                        CHECK(got.slic.data != NULL);
                        CHECK_MEM(got.smbios1.data, got.smbios1.len, a.smbios1.data, a.smbios1.len);
                } else {
                        seen_b++;
                        CHECK_MEM(got.msdm.data, got.msdm.len, b.msdm.data, b.msdm.len);
                        CHECK(got.slic.data == NULL);
                        CHECK_MEM(got.smbios1.data, got.smbios1.len, b.smbios1.data, b.smbios1.len);
                }
                oemkvm_dump_clear(&got);
        }
        CHECK_INT(waitpid(child, &status, 0), child);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK(seen_a + seen_b == READERS_ROUNDS);
        {
                char *l = listing(top);

                CHECK_STR(l, "host");
                free(l);
        }
        oemkvm_dump_clear(&a);
        oemkvm_dump_clear(&b);
        free(dir);
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

/* The ROM `oemkvm gvt rom` copies in belongs to the set: a dump that
 * switches the set keeps it, and installing it keeps the dump. */
TEST(gvt_rom_travels_with_the_set)
{
        static const uint8_t rom[] = { 0x55, 0xaa, 0x01, 0x02 };
        const char *top = check_tmpdir();
        char *dir = sub(top, "host"), *src = sub(top, "vbios.rom"), *dest, *l, sha[65];
        struct oemkvm_dump a = {}, b = {}, back = {};
        struct oemkvm_error err = {};
        struct oemkvm_ctx *ctx = NULL;
        uint8_t *got;
        size_t len;

        collect("legacy-smbios2-slic", &a);
        collect("thinkpad-smbios3", &b);
        dest = sub(dir, OEMKVM_STORE_GVT_ROM);
        put(src, rom, sizeof(rom));
        CHECK_INT(oemkvm_ctx_new(NULL, &ctx), 0);
        CHECK_INT(oemkvm_ctx_set_store_dir(ctx, dir), 0);

        CHECK_INT(oemkvm_dump_write(&a, dir, (gid_t)-1, &err), 4);
        CHECK_INT(oemkvm_gvt_rom_install(ctx, src, (gid_t)-1, sha, &err), 1);
        CHECK_INT(oemkvm_dump_load(dir, &back, &err), 0);
        check_dump_is("legacy-smbios2-slic", &back);
        oemkvm_dump_clear(&back);

        CHECK_INT(oemkvm_dump_write(&b, dir, (gid_t)-1, &err), 4);
        got = check_read_file(dest, &len);
        CHECK_MEM(got, len, rom, sizeof(rom));
        free(got);
        l = listing(dir);
        CHECK_STR(l, ".oemkvm-store msdm.bin smbios_type_0.bin smbios_type_1.bin " OEMKVM_STORE_GVT_ROM);
        free(l);
        l = listing(top);
        CHECK_STR(l, "host vbios.rom");
        free(l);
        CHECK_INT(oemkvm_gvt_rom_install(ctx, src, (gid_t)-1, sha, &err), 0);
        oemkvm_ctx_free(ctx);
        oemkvm_dump_clear(&a);
        oemkvm_dump_clear(&b);
        free(dest);
        free(src);
        free(dir);
}

TESTS(T(gvt_rom_install), T(gvt_rom_travels_with_the_set), T(qemu_group_from_conf), T(qemu_user_from_conf),
      T(qemu_group_missing), T(qemu_group_default),
      T(dump_write_refuses_incomplete), T(dump_load_roundtrip), T(dump_load_rejects_bad_file),
      T(collect_placeholders_and_slic_only), T(collect_needs_msdm_or_slic), T(write_switches_the_whole_set),
      T(write_refuses_what_is_not_a_store), T(write_takes_empty_and_legacy_directories),
      T(write_removes_leftovers_only), T(write_creates_parents_traversable), T(load_never_blocks),
      T(readers_see_one_set))
