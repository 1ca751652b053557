/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * oemkvm_hook_run on a fixture sysroot and temp stores: what libvirt's
 * calls do for untagged, unpatched, transient and patched domains, the
 * QEMU-readability check, and the migrate/restore filter.  The sysroot's
 * qemu.conf makes QEMU run as 'daemon' with the test's own group, so the
 * store can be written with QEMU's group by root and by an unprivileged
 * user alike (make check runs the unit tests as both).
 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "oemkvm.h"

#define FIXTURE "tests/fixtures/roots/thinkpad-smbios3"
#define NAME "win11"

static const char *const every_op[][2] = {
        { "prepare", "begin" }, { "start", "begin" }, { "started", "begin" },
        { "stopped", "end" },   { "release", "end" }, { "migrate", "begin" },
        { "restore", "begin" }, { "reconnect", "begin" }, { "attach", "begin" },
};

/* A temp dir QEMU's user may enter (mkdtemp makes it 0700). */
static char *open_tmpdir(void)
{
        char *d = strdup(check_tmpdir());

        if (!d || chmod(d, 0755) < 0)
                abort();
        return d;
}

static char *join(const char *a, const char *b)
{
        char *s;

        if (asprintf(&s, "%s/%s", a, b) < 0)
                abort();
        return s;
}

/*
 * A sysroot: the fixture's firmware (or none) and libvirt's config
 * directory, holding NAME.xml when the domain is persistent.
 */
static char *make_root_from(const char *fixture, bool persistent)
{
        char *root = open_tmpdir();
        char *p = join(root, "etc/libvirt/qemu");
        char cmd[8192];

        snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && printf 'user = \"daemon\"\\ngroup = \"+%u\"\\n' >'%s/../qemu.conf'",
                 p, (unsigned)getegid(), p);
        CHECK_INT(system(cmd), 0);
        free(p);
        if (fixture) {
                char *sys = join(root, "sys"), *from = join(fixture, "sys");
                char *target = realpath(check_srcpath(from), NULL);

                CHECK(target != NULL);
                CHECK_INT(symlink(target, sys), 0);
                free(target);
                free(from);
                free(sys);
        }
        if (persistent) {
                FILE *f;

                p = join(root, "etc/libvirt/qemu/" NAME ".xml");
                f = fopen(p, "we");
                CHECK(f != NULL);
                if (f)
                        fclose(f);
                free(p);
        }
        return root;
}

static char *make_root(bool firmware, bool persistent)
{
        return make_root_from(firmware ? FIXTURE : NULL, persistent);
}

static struct oemkvm_ctx *make_ctx(const char *root, const char *store)
{
        struct oemkvm_ctx *ctx = NULL;

        CHECK_INT(oemkvm_ctx_new(root, &ctx), 0);
        CHECK_INT(oemkvm_ctx_set_store_dir(ctx, store), 0);
        return ctx;
}

/* The fixture domain with a tag whose <license> carries license_attrs. */
static char *tagged_xml(const char *license_attrs)
{
        size_t len;
        char *xml = (char *)check_read_file(check_srcpath("tests/fixtures/hook/win11.xml"), &len);
        char *at = strstr(xml, "<metadata>") + strlen("<metadata>");
        char *out;

        if (asprintf(&out, "%.*s<oemkvm:config xmlns:oemkvm=\"urn:oemkvm:domain:1\"><oemkvm:license%s/></oemkvm:config>%s",
                     (int)(at - xml), xml, license_attrs, at) < 0)
                abort();
        free(xml);
        return out;
}

static char *patched_xml(const struct oemkvm_ctx *ctx, const char *xml)
{
        struct oemkvm_patch_result res = {};
        struct oemkvm_error err = {};
        char *xml_out;

        CHECK_INT(oemkvm_patch(ctx, xml, strlen(xml), &res, &err), 0);
        CHECK(res.flags & OEMKVM_PATCH_CHANGED);
        if (!res.xml) {
                fprintf(stderr, "patch failed: %s\n", err.message);
                abort();
        }
        xml_out = res.xml;
        res.xml = NULL;
        oemkvm_patch_result_clear(&res);
        return xml_out;
}

/* Writes a fixture's dump into dir as `oemkvm dump` does. */
static void write_dump_of(const char *fixture, const char *dir)
{
        struct oemkvm_ctx *ctx = NULL;
        struct oemkvm_dump dump = {};
        struct oemkvm_error err = {};
        char *root = realpath(check_srcpath(fixture), NULL);

        CHECK(root != NULL);
        CHECK_INT(oemkvm_ctx_new(root, &ctx), 0);
        free(root);
        CHECK_INT(oemkvm_dump_collect(ctx, &dump, &err), 0);
        /* QEMU's group in make_root's qemu.conf. */
        CHECK(oemkvm_dump_write(&dump, dir, getegid(), &err) >= 0);
        oemkvm_dump_clear(&dump);
        oemkvm_ctx_free(ctx);
}

static void write_dump(const char *dir)
{
        write_dump_of(FIXTURE, dir);
}

static int run(const struct oemkvm_ctx *ctx, const char *op, const char *subop, const char *xml,
               char **ret_out, struct oemkvm_error *err)
{
        *err = (struct oemkvm_error){};
        *ret_out = (char *)"unset";
        return oemkvm_hook_run(ctx, NAME, op, subop, xml, strlen(xml), ret_out, err);
}

TEST(is_tagged)
{
        const char *tagged = "<domain><metadata><c:config xmlns:c=\"urn:oemkvm:domain:1\"/></metadata></domain>";
        const char *state = "<domain><metadata><s:state xmlns:s=\"urn:oemkvm:state:1\"/></metadata></domain>";

        CHECK(oemkvm_xml_is_tagged(tagged, strlen(tagged)));
        CHECK(!oemkvm_xml_is_tagged(state, strlen(state)));
        CHECK(!oemkvm_xml_is_tagged("", 0));
        /* Cut short of the whole URI: no match. */
        CHECK(!oemkvm_xml_is_tagged(tagged, (size_t)(strstr(tagged, ":1") - tagged)));
}

TEST(untagged_does_nothing)
{
        char *root = make_root(true, true), *store = join(root, "store");
        struct oemkvm_ctx *ctx = make_ctx(root, store);
        size_t len;
        char *xml = (char *)check_read_file(check_srcpath("tests/fixtures/hook/win11.xml"), &len);
        struct oemkvm_error err;
        struct stat st;
        char *out;

        for (size_t i = 0; i < sizeof(every_op) / sizeof(every_op[0]); i++) {
                CHECK_INT(run(ctx, every_op[i][0], every_op[i][1], xml, &out, &err), 0);
                CHECK(out == NULL);
        }
        CHECK(stat(store, &st) < 0 && errno == ENOENT);
        free(xml);
        free(store);
        free(root);
        oemkvm_ctx_free(ctx);
}

TEST(unpatched_refused_store_refreshed)
{
        char *root = make_root(true, true), *store = join(root, "store");
        struct oemkvm_ctx *ctx = make_ctx(root, store);
        char *xml = tagged_xml(""), *msdm = join(store, "msdm.bin"), *out;
        struct oemkvm_error err;
        uint8_t *got, *want;
        size_t got_len, want_len;

        CHECK_INT(run(ctx, "prepare", "begin", xml, &out, &err), -ESTALE);
        CHECK_CONTAINS(err.message, "domain 'win11' is tagged for oemkvm but its definition is not patched");
        CHECK_CONTAINS(err.message, "run 'sudo oemkvm apply win11'");
        /* A running watcher saw no define to act on: it is no remedy. */
        CHECK(strstr(err.message, "oemkvm-watch") == NULL);
        CHECK(strchr(err.message, '\n') == NULL);

        got = check_read_file(msdm, &got_len);
        want = check_read_file(check_srcpath(FIXTURE "/expected/msdm.bin"), &want_len);
        CHECK_MEM(got, got_len, want, want_len);

        /* stopped and release still run after a refused prepare. */
        CHECK_INT(run(ctx, "stopped", "end", xml, &out, &err), 0);
        CHECK_INT(run(ctx, "release", "end", xml, &out, &err), 0);
        CHECK(out == NULL);
        free(got);
        free(want);
        free(msdm);
        free(xml);
        free(store);
        free(root);
        oemkvm_ctx_free(ctx);
}

TEST(transient_refused_with_the_way_forward)
{
        char *root = make_root(true, false), *store = join(root, "store");
        struct oemkvm_ctx *ctx = make_ctx(root, store);
        char *xml = tagged_xml(""), *out;
        struct oemkvm_error err;

        CHECK_INT(run(ctx, "prepare", "begin", xml, &out, &err), -ESTALE);
        CHECK_CONTAINS(err.message, "domain 'win11'");
        CHECK_CONTAINS(err.message, "transient");
        CHECK_CONTAINS(err.message, "install with 'sudo oemkvm install win11 --iso WINDOWS.iso'");
        CHECK_CONTAINS(err.message, "tag it afterwards ('sudo oemkvm tag win11 --license')");
        free(xml);
        free(store);
        free(root);
        oemkvm_ctx_free(ctx);
}

TEST(patched_starts_and_store_is_not_rewritten)
{
        char *root = make_root(true, true), *store = join(root, "store");
        struct oemkvm_ctx *ctx = make_ctx(root, store);
        char *msdm = join(store, "msdm.bin"), *xml, *patched, *out;
        struct oemkvm_error err;
        struct stat before, after;

        write_dump(store);
        xml = tagged_xml("");
        patched = patched_xml(ctx, xml);
        CHECK_INT(stat(msdm, &before), 0);
        CHECK_INT(run(ctx, "prepare", "begin", patched, &out, &err), 0);
        CHECK(out == NULL);
        CHECK_INT(stat(msdm, &after), 0);
        /* Unchanged bytes are not rewritten (a rename would change the inode). */
        CHECK_INT(after.st_ino, before.st_ino);
        free(patched);
        free(xml);
        free(msdm);
        free(store);
        free(root);
        oemkvm_ctx_free(ctx);
}

TEST(host_without_firmware)
{
        char *root = make_root(false, true), *store = join(root, "store"), *dump = join(root, "dump");
        struct oemkvm_ctx *ctx = make_ctx(root, store);
        char *attrs, *xml, *patched, *out;
        struct oemkvm_error err;

        /* A saved dump (source=) needs nothing from this host. */
        write_dump(dump);
        if (asprintf(&attrs, " source=\"%s\"", dump) < 0)
                abort();
        xml = tagged_xml(attrs);
        patched = patched_xml(ctx, xml);
        CHECK_INT(run(ctx, "prepare", "begin", patched, &out, &err), 0);
        free(patched);
        free(xml);

        /* The host store does, and cannot be refreshed here. */
        write_dump(store);
        xml = tagged_xml("");
        patched = patched_xml(ctx, xml);
        CHECK(run(ctx, "prepare", "begin", patched, &out, &err) < 0);
        CHECK_CONTAINS(err.message, "domain 'win11': cannot refresh the license store");
        CHECK_CONTAINS(err.message, store);
        free(patched);
        free(xml);
        free(attrs);
        free(dump);
        free(store);
        free(root);
        oemkvm_ctx_free(ctx);
}

TEST(files_must_be_readable_by_qemu)
{
        char *root = make_root(true, true), *store = join(root, "store"), *dump = join(root, "dump");
        struct oemkvm_ctx *ctx = make_ctx(root, store);
        char *msdm = join(dump, "msdm.bin"), *attrs, *xml, *patched, *out;
        struct oemkvm_error err;

        write_dump(dump);
        if (asprintf(&attrs, " source=\"%s\"", dump) < 0)
                abort();
        xml = tagged_xml(attrs);
        patched = patched_xml(ctx, xml);

        /* The owner may read it; QEMU's user, neither owner nor in the group bits' reach, may not. */
        CHECK_INT(chmod(msdm, 0600), 0);
        CHECK_INT(run(ctx, "prepare", "begin", patched, &out, &err), -EACCES);
        CHECK_CONTAINS(err.message, "domain 'win11': QEMU (user ");
        CHECK_CONTAINS(err.message, msdm);
        CHECK_CONTAINS(err.message, "mode 0600");
        CHECK_INT(chmod(msdm, 0640), 0);
        CHECK_INT(run(ctx, "prepare", "begin", patched, &out, &err), 0);

        /* A directory on the way that QEMU cannot enter. */
        CHECK_INT(chmod(dump, 0700), 0);
        CHECK_INT(run(ctx, "prepare", "begin", patched, &out, &err), -EACCES);
        CHECK_CONTAINS(err.message, "cannot enter directory");
        CHECK_CONTAINS(err.message, dump);
        CHECK_INT(chmod(dump, 0750), 0);

        /* Others may read: fine whatever the group (only root can give the
         * file a group QEMU is not in). */
        if (geteuid() == 0)
                CHECK_INT(chown(msdm, 0, 0), 0);
        CHECK_INT(chmod(msdm, 0644), 0);
        CHECK_INT(chmod(dump, 0755), 0);
        CHECK_INT(run(ctx, "prepare", "begin", patched, &out, &err), 0);
        free(patched);
        free(xml);
        free(attrs);
        free(msdm);
        free(dump);
        free(store);
        free(root);
        oemkvm_ctx_free(ctx);
}

TEST(relocate_filter)
{
        char *root = make_root(true, true), *store = join(root, "store"), *other = join(root, "other");
        struct oemkvm_ctx *ctx = make_ctx(root, store), *here = make_ctx(root, other);
        char *bare = make_root(false, true), *empty = join(bare, "store");
        struct oemkvm_ctx *nothing = make_ctx(bare, empty);
        char *xml, *patched, *out;
        struct oemkvm_error err;

        write_dump(store);
        xml = tagged_xml("");
        patched = patched_xml(ctx, xml);

        /* Same store: print nothing, which libvirt takes as "unchanged". */
        CHECK_INT(run(ctx, "migrate", "begin", patched, &out, &err), 0);
        CHECK(out == NULL);

        /* Another host's store: paths rewritten, store made from its firmware. */
        CHECK_INT(run(here, "restore", "begin", patched, &out, &err), 0);
        CHECK(out != NULL);
        if (out) {
                char *want = join(other, "msdm.bin");

                CHECK_CONTAINS(out, want);
                CHECK(strstr(out, store) == NULL);
                CHECK(access(want, R_OK) == 0);
                free(want);
                free(out);
        }

        /* A host without the dump and without firmware to make it. */
        CHECK(run(nothing, "migrate", "begin", patched, &out, &err) < 0);
        CHECK_CONTAINS(err.message, "domain 'win11' cannot run on this host");
        free(patched);
        free(xml);
        free(empty);
        free(bare);
        free(other);
        free(store);
        free(root);
        oemkvm_ctx_free(nothing);
        oemkvm_ctx_free(here);
        oemkvm_ctx_free(ctx);
}

/*
 * Mentioning the tag's namespace is not a tag: only an <oemkvm:config> in
 * <metadata> makes the hook do anything.  Nothing is written (no store
 * directory, no refresh) and every operation lets the domain go on.
 */
TEST(namespace_without_a_tag)
{
        static const char *const xmls[] = {
                "<domain type='kvm'><name>win11</name>"
                "<description>tag it with urn:oemkvm:domain:1 later</description></domain>",
                /* in <metadata>, but not the config element */
                "<domain type='kvm'><name>win11</name><metadata>"
                "<o:license xmlns:o='urn:oemkvm:domain:1'/></metadata></domain>",
                /* a config element outside <metadata> */
                "<domain type='kvm'><name>win11</name>"
                "<o:config xmlns:o='urn:oemkvm:domain:1'><o:license/></o:config></domain>",
                /* a leftover record: the user took the tag away */
                "<domain type='kvm'><name>win11</name><metadata>"
                "<s:state xmlns:s='urn:oemkvm:state:1'><s:license dir='/nowhere'/></s:state></metadata>"
                "<description>urn:oemkvm:domain:1</description></domain>",
        };
        char *root = make_root(true, true), *store = join(root, "store");
        struct oemkvm_ctx *ctx = make_ctx(root, store);
        struct oemkvm_error err;
        struct stat st;
        char *out;

        for (size_t x = 0; x < sizeof(xmls) / sizeof(xmls[0]); x++)
                for (size_t i = 0; i < sizeof(every_op) / sizeof(every_op[0]); i++) {
                        CHECK_INT(run(ctx, every_op[i][0], every_op[i][1], xmls[x], &out, &err), 0);
                        CHECK(out == NULL);
                }
        CHECK(stat(store, &st) < 0 && errno == ENOENT);
        free(store);
        free(root);
        oemkvm_ctx_free(ctx);
}

/* The topology followed a vCPU change (virt-manager's define under
 * libvirt 9): only the record is behind, what boots is what the tag asks
 * for — the start goes on. */
TEST(record_only_change_starts)
{
        char *root = make_root(true, true), *store = join(root, "store");
        struct oemkvm_ctx *ctx = make_ctx(root, store);
        size_t len;
        char *xml = (char *)check_read_file(check_srcpath("tests/patch/vcpus-follow-libvirt9/in.xml"), &len);
        struct oemkvm_error err;
        char *out;

        CHECK_INT(run(ctx, "prepare", "begin", xml, &out, &err), 0);
        CHECK_STR(err.message, "");
        free(xml);
        free(store);
        free(root);
        oemkvm_ctx_free(ctx);
}

/* Windows 7 era firmware: a SLIC and no MSDM is everything the guest needs. */
TEST(slic_only_host)
{
        char *root = make_root_from("tests/fixtures/roots/slic-only", true), *store = join(root, "store");
        struct oemkvm_ctx *ctx = make_ctx(root, store);
        char *xml = tagged_xml(""), *msdm = join(store, "msdm.bin"), *slic = join(store, "slic.bin");
        char *patched, *out;
        struct oemkvm_error err;

        /* Unpatched: refused as such, with the store made from the SLIC-only firmware. */
        CHECK_INT(run(ctx, "prepare", "begin", xml, &out, &err), -ESTALE);
        CHECK(access(slic, R_OK) == 0);
        CHECK(access(msdm, F_OK) < 0);
        patched = patched_xml(ctx, xml);
        CHECK_CONTAINS(patched, slic);
        CHECK(!strstr(patched, msdm));
        CHECK_INT(run(ctx, "prepare", "begin", patched, &out, &err), 0);
        CHECK_INT(run(ctx, "migrate", "begin", patched, &out, &err), 0);
        CHECK(out == NULL);
        free(patched);
        free(slic);
        free(msdm);
        free(xml);
        free(store);
        free(root);
        oemkvm_ctx_free(ctx);
}

/* The refresh failed and the store is empty: the refusal says why the
 * refresh failed, not only that a file is missing. */
TEST(refusal_keeps_the_refresh_cause)
{
        char *root = make_root_from("tests/fixtures/roots/no-msdm", true), *store = join(root, "store");
        char *good = join(root, "good");
        struct oemkvm_ctx *ctx = make_ctx(root, store), *made = make_ctx(root, good);
        char *xml = tagged_xml(""), *patched, *out;
        struct oemkvm_error err;

        /* A definition patched where the store was whole, started here. */
        write_dump(good);
        patched = patched_xml(made, xml);
        {
                char *moved = NULL;
                size_t n = strlen(patched);

                /* The same paths, in this host's (empty) store. */
                moved = malloc(n + strlen(store) + 1);
                CHECK(moved != NULL);
                if (moved) {
                        const char *p = strstr(patched, good);
                        char *o = moved;
                        const char *q = patched;

                        while (p) {
                                memcpy(o, q, (size_t)(p - q));
                                o += p - q;
                                memcpy(o, store, strlen(store));
                                o += strlen(store);
                                q = p + strlen(good);
                                p = strstr(q, good);
                        }
                        strcpy(o, q);
                        free(patched);
                        patched = moved;
                }
        }
        CHECK(run(ctx, "prepare", "begin", patched, &out, &err) < 0);
        CHECK_CONTAINS(err.message, "domain 'win11': cannot make the license store");
        CHECK_CONTAINS(err.message, "holds neither an MSDM nor a SLIC table");
        CHECK(!strchr(err.message, '\n'));
        free(patched);
        free(xml);
        free(good);
        free(store);
        free(root);
        oemkvm_ctx_free(made);
        oemkvm_ctx_free(ctx);
}

/* A source= dump is validated like `oemkvm show --input`: a zeroed
 * msdm.bin, a FIFO — refused, never handed to QEMU or waited on. */
TEST(source_dump_validated)
{
        char *root = make_root(false, true), *store = join(root, "store"), *dump = join(root, "dump");
        struct oemkvm_ctx *ctx = make_ctx(root, store);
        char *msdm = join(dump, "msdm.bin"), *attrs, *xml, *patched, *out;
        struct oemkvm_error err;
        FILE *f;

        write_dump(dump);
        if (asprintf(&attrs, " source=\"%s\"", dump) < 0)
                abort();
        xml = tagged_xml(attrs);
        patched = patched_xml(ctx, xml);
        CHECK_INT(run(ctx, "prepare", "begin", patched, &out, &err), 0);

        CHECK_INT(unlink(msdm), 0);
        f = fopen(msdm, "we");
        CHECK(f != NULL);
        if (f) {
                for (int i = 0; i < 85; i++)
                        fputc(0, f);
                fclose(f);
        }
        CHECK_INT(chmod(msdm, 0644), 0);
        CHECK_INT(run(ctx, "prepare", "begin", patched, &out, &err), -EBADMSG);
        CHECK_CONTAINS(err.message, "domain 'win11': license: MSDM: wrong signature");
        CHECK_CONTAINS(err.message, msdm);

        CHECK_INT(unlink(msdm), 0);
        CHECK_INT(mkfifo(msdm, 0644), 0);
        alarm(10);
        CHECK_INT(run(ctx, "prepare", "begin", patched, &out, &err), -EINVAL);
        CHECK_CONTAINS(err.message, "it is a FIFO");
        CHECK(run(ctx, "migrate", "begin", patched, &out, &err) == 0);       /* paths of a source= dump stay */
        alarm(0);
        free(patched);
        free(xml);
        free(attrs);
        free(msdm);
        free(dump);
        free(store);
        free(root);
        oemkvm_ctx_free(ctx);
}

/* A FIFO in the host store: the refresh replaces the set it sits in; with
 * no firmware to refresh from, the start is refused at once. */
TEST(store_fifo_never_blocks)
{
        char *root = make_root(true, true), *store = join(root, "store");
        char *bare = make_root(false, true);
        struct oemkvm_ctx *ctx = make_ctx(root, store), *nofw = make_ctx(bare, store);
        char *xml = tagged_xml(""), *msdm = join(store, "msdm.bin"), *patched, *out;
        struct oemkvm_error err;
        struct stat st;

        write_dump(store);
        patched = patched_xml(ctx, xml);
        CHECK_INT(unlink(msdm), 0);
        CHECK_INT(mkfifo(msdm, 0640), 0);
        alarm(10);
        CHECK(run(nofw, "prepare", "begin", patched, &out, &err) < 0);
        CHECK_CONTAINS(err.message, "it is a FIFO");
        CHECK(run(nofw, "migrate", "begin", patched, &out, &err) < 0);
        CHECK_CONTAINS(err.message, "domain 'win11' cannot run on this host");
        CHECK_INT(run(ctx, "prepare", "begin", patched, &out, &err), 0);
        alarm(0);
        CHECK_INT(lstat(msdm, &st), 0);
        CHECK(S_ISREG(st.st_mode));
        free(patched);
        free(msdm);
        free(xml);
        free(bare);
        free(store);
        free(root);
        oemkvm_ctx_free(nofw);
        oemkvm_ctx_free(ctx);
}

TESTS(T(is_tagged), T(untagged_does_nothing), T(unpatched_refused_store_refreshed),
      T(transient_refused_with_the_way_forward), T(patched_starts_and_store_is_not_rewritten),
      T(host_without_firmware), T(files_must_be_readable_by_qemu), T(relocate_filter),
      T(namespace_without_a_tag), T(record_only_change_starts), T(slic_only_host),
      T(refusal_keeps_the_refresh_cause), T(source_dump_validated), T(store_fifo_never_blocks))
