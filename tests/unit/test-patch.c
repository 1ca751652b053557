/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The patch engine against golden files: tests/patch/<case>/in.xml gives
 * out.xml, or error.txt for a refused definition.  "@STORE@" in them stands
 * for the test's dump directory (copies of a fixture's expected dump, with
 * a saved SLIC-carrying dump in @STORE@/saved).  OEMKVM_REGENERATE=1
 * rewrites the expected files.  Over every case it also checks the
 * properties: output patched again comes back byte-identical, and removing
 * the tag reverts to what the untagged input patches to.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "check.h"
#include "oemkvm.h"
#include "xml-priv.h"

static char store[4096];

static void copy_file(const char *from, const char *to)
{
        size_t len;
        uint8_t *buf = check_read_file(from, &len);
        FILE *f = fopen(to, "we");

        if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
                abort();
        free(buf);
}

static void copy_dump(const char *fixture, const char *to)
{
        static const char *const names[] = { "msdm.bin", "slic.bin", "smbios_type_0.bin", "smbios_type_1.bin" };
        char from[4096], dst[4096];
        struct stat st;

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                snprintf(from, sizeof(from), "%s/%s", check_srcpath(fixture), names[i]);
                snprintf(dst, sizeof(dst), "%s/%s", to, names[i]);
                if (stat(from, &st) == 0)
                        copy_file(from, dst);
        }
}

static const char *setup_store(void)
{
        char saved[4200];

        if (store[0])
                return store;
        snprintf(store, sizeof(store), "%s", check_tmpdir());
        copy_dump("tests/fixtures/roots/thinkpad-smbios3/expected", store);
        snprintf(saved, sizeof(saved), "%s/saved", store);
        if (mkdir(saved, 0755) < 0)
                abort();
        copy_dump("tests/fixtures/roots/legacy-smbios2-slic/expected", saved);
        return store;
}

static struct oemkvm_ctx *new_ctx(const char *dir)
{
        struct oemkvm_ctx *ctx = NULL;

        if (oemkvm_ctx_new(NULL, &ctx) < 0 || oemkvm_ctx_set_store_dir(ctx, dir) < 0)
                abort();
        return ctx;
}

/* malloc'd copy of s with every `from` replaced by `to`. */
static char *replace(const char *s, const char *from, const char *to)
{
        size_t lf = strlen(from), lt = strlen(to), n = 0;
        char *out, *o;

        for (const char *p = s; (p = strstr(p, from)); p += lf)
                n++;
        out = o = malloc(strlen(s) + n * (lt > lf ? lt - lf : 0) + 1);
        if (!out)
                abort();
        for (const char *p = s;;) {
                const char *q = strstr(p, from);

                if (!q) {
                        strcpy(o, p);
                        return out;
                }
                memcpy(o, p, (size_t)(q - p));
                o += q - p;
                memcpy(o, to, lt);
                o += lt;
                p = q + lf;
        }
}

static char *read_case(const char *name, const char *file)
{
        char rel[512];
        size_t len;
        struct stat st;
        char *raw, *s;

        snprintf(rel, sizeof(rel), "tests/patch/%s/%s", name, file);
        if (stat(check_srcpath(rel), &st) < 0)
                return NULL;
        raw = (char *)check_read_file(check_srcpath(rel), &len);
        s = replace(raw, "@STORE@", setup_store());
        free(raw);
        return s;
}

static void write_case(const char *name, const char *file, const char *content)
{
        char rel[512];
        char *s = replace(content, setup_store(), "@STORE@");
        FILE *f;

        snprintf(rel, sizeof(rel), "tests/patch/%s/%s", name, file);
        f = fopen(check_srcpath(rel), "we");
        if (!f || fputs(s, f) < 0 || fclose(f) != 0)
                abort();
        free(s);
}

/* The same XML with <oemkvm:config> taken out, as a user untagging would. */
static char *untag(const char *xml)
{
        xmlDoc *doc = NULL;
        xmlNode *config;
        char *out;
        size_t len;

        if (xml_parse(xml, strlen(xml), "test input", &doc, NULL) < 0)
                abort();
        config = xml_child(xml_child(xmlDocGetRootElement(doc), NULL, "metadata"),
                           OEMKVM_NS_CONFIG, "config");
        if (config)
                xml_remove(config);
        if (xml_serialize(doc, xml, strlen(xml), &out, &len) < 0)
                abort();
        xmlFreeDoc(doc);
        return out;
}

/* Device addresses are libvirt's to assign: a switched disk loses its
 * drive address and libvirt gives it a new one on define (the issue lets
 * addresses libvirt added stay), so they do not count in a revert. */
static void drop_addresses(xmlNode *n)
{
        xmlNode *c = xml_child(n, NULL, NULL);

        while (c) {
                /* The next element: xml_remove() may free blank text. */
                xmlNode *next = xml_next(c, NULL, NULL);

                if (xml_is(c, NULL, "address"))
                        xml_remove(c);
                else
                        drop_addresses(c);
                c = next;
        }
}

static bool same_xml(const char *a, const char *b)
{
        xmlDoc *da = NULL, *db = NULL;
        bool eq;

        if (xml_parse(a, strlen(a), "a", &da, NULL) < 0 || xml_parse(b, strlen(b), "b", &db, NULL) < 0)
                abort();
        drop_addresses(xmlDocGetRootElement(da));
        drop_addresses(xmlDocGetRootElement(db));
        eq = xml_equal(xmlDocGetRootElement(da), xmlDocGetRootElement(db));
        xmlFreeDoc(da);
        xmlFreeDoc(db);
        return eq;
}

static int patch_str(const struct oemkvm_ctx *ctx, const char *xml, struct oemkvm_patch_result *res,
                     struct oemkvm_error *err)
{
        *err = (struct oemkvm_error){};
        return oemkvm_patch(ctx, xml, strlen(xml), res, err);
}

static void run_case(const struct oemkvm_ctx *ctx, const char *name)
{
        bool regen = getenv("OEMKVM_REGENERATE") && !strcmp(getenv("OEMKVM_REGENERATE"), "1");
        struct oemkvm_patch_result res = {}, again = {}, rev_out = {}, rev_in = {};
        struct oemkvm_error err;
        char *in = read_case(name, "in.xml"), *out = read_case(name, "out.xml");
        char *error = read_case(name, "error.txt");
        char *u_out = NULL, *u_in = NULL;
        int r;

        if (!in) {
                fprintf(stderr, "%s: no in.xml\n", name);
                check_failures++;
                goto done;
        }
        r = patch_str(ctx, in, &res, &err);
        if (r < 0) {
                char line[OEMKVM_ERROR_MAX + 2];

                snprintf(line, sizeof(line), "%s\n", err.message);
                if (regen)
                        write_case(name, "error.txt", line);
                else if (!error || strcmp(error, line)) {
                        fprintf(stderr, "%s: error \"%s\", expected %s", name, err.message,
                                error ? error : "success\n");
                        check_failures++;
                }
                goto done;
        }
        if (regen)
                write_case(name, "out.xml", res.xml);
        else if (!out || strcmp(out, res.xml)) {
                fprintf(stderr, "%s: output differs from out.xml%s\n", name,
                        error ? " (error.txt expected an error)" : "");
                check_failures++;
                goto done;
        }

        /* Idempotent: the output needs nothing, byte for byte. */
        CHECK_INT(patch_str(ctx, res.xml, &again, &err), 0);
        CHECK_STR(again.xml, res.xml);
        CHECK(!(again.flags & OEMKVM_PATCH_CHANGED));

        /* Exact revert: untagging the output gives what untagging the
         * input gives (for an input without a record: the input itself). */
        u_out = untag(res.xml);
        u_in = untag(in);
        CHECK_INT(patch_str(ctx, u_out, &rev_out, &err), 0);
        CHECK_INT(patch_str(ctx, u_in, &rev_in, &err), 0);
        if (rev_out.xml && rev_in.xml && !same_xml(rev_out.xml, rev_in.xml)) {
                fprintf(stderr, "%s: untagged output reverts to\n%s\nbut the untagged input gives\n%s\n",
                        name, rev_out.xml, rev_in.xml);
                check_failures++;
        }
        CHECK(!(rev_in.flags & OEMKVM_PATCH_TAGGED));
done:
        oemkvm_patch_result_clear(&res);
        oemkvm_patch_result_clear(&again);
        oemkvm_patch_result_clear(&rev_out);
        oemkvm_patch_result_clear(&rev_in);
        free(in);
        free(out);
        free(error);
        free(u_out);
        free(u_in);
}

TEST(golden)
{
        struct oemkvm_ctx *ctx = new_ctx(setup_store());
        struct dirent **names = NULL;
        int n = scandir(check_srcpath("tests/patch"), &names, NULL, alphasort);

        CHECK(n > 2);
        for (int i = 0; i < n; i++) {
                if (names[i]->d_name[0] != '.')
                        run_case(ctx, names[i]->d_name);
                free(names[i]);
        }
        free(names);
        oemkvm_ctx_free(ctx);
}

/* A case's output, patched with the test store. */
static char *golden_out(const char *name)
{
        struct oemkvm_ctx *ctx = new_ctx(setup_store());
        struct oemkvm_patch_result res = {};
        struct oemkvm_error err;
        char *in = read_case(name, "in.xml");

        if (patch_str(ctx, in, &res, &err) < 0)
                abort();
        free(in);
        oemkvm_ctx_free(ctx);
        return res.xml;
}

TEST(flags)
{
        struct oemkvm_ctx *ctx = new_ctx(setup_store());
        struct oemkvm_patch_result res = {};
        struct oemkvm_error err;
        char *in = read_case("win11-uefi", "in.xml"), *edit = read_case("user-edit", "in.xml");
        char *untagged = read_case("untagged", "in.xml"), *gvt = read_case("gvt-reserved", "in.xml");

        CHECK_INT(patch_str(ctx, in, &res, &err), 0);
        CHECK_INT(res.flags, OEMKVM_PATCH_CHANGED | OEMKVM_PATCH_TAGGED | OEMKVM_PATCH_BUS_SWITCHED);
        oemkvm_patch_result_clear(&res);
        CHECK_INT(patch_str(ctx, edit, &res, &err), 0);
        CHECK_INT(res.flags, OEMKVM_PATCH_CHANGED | OEMKVM_PATCH_TAGGED | OEMKVM_PATCH_USER_KEPT);
        oemkvm_patch_result_clear(&res);
        CHECK_INT(patch_str(ctx, untagged, &res, &err), 0);
        CHECK_INT(res.flags, 0);
        oemkvm_patch_result_clear(&res);
        CHECK_INT(patch_str(ctx, gvt, &res, &err), 0);
        CHECK_INT(res.flags, OEMKVM_PATCH_TAGGED | OEMKVM_PATCH_RESERVED);
        CHECK_STR(res.xml, gvt);
        oemkvm_patch_result_clear(&res);
        free(in);
        free(edit);
        free(untagged);
        free(gvt);
        oemkvm_ctx_free(ctx);
}

TEST(files)
{
        char *out = golden_out("win11-multi"), *native = golden_out("native-slic-table");
        char *native_msdm = golden_out("native-msdm-table");
        char *untagged = read_case("untagged", "in.xml"), *unpatched = read_case("win11-uefi", "in.xml");
        char **files = NULL;
        struct oemkvm_error err = {};
        char want[4200];

        CHECK_INT(oemkvm_patch_files(out, strlen(out), &files, &err), 0);
        snprintf(want, sizeof(want), "%s/saved/msdm.bin", store);
        CHECK_STR(files[0], want);
        snprintf(want, sizeof(want), "%s/saved/slic.bin", store);
        CHECK_STR(files[1], want);
        snprintf(want, sizeof(want), "%s/saved/smbios_type_1.bin", store);
        CHECK_STR(files[3], want);
        CHECK(files[4] == NULL);
        oemkvm_strv_free(files);

        /* The SLIC comes from the native <acpi><table>: still read by QEMU. */
        CHECK_INT(oemkvm_patch_files(native, strlen(native), &files, &err), 0);
        snprintf(want, sizeof(want), "%s/saved/slic.bin", store);
        CHECK_STR(files[1], want);
        CHECK(files[4] == NULL);
        oemkvm_strv_free(files);

        /* So does an MSDM from a native table (libvirt >= 11.2). */
        CHECK_INT(oemkvm_patch_files(native_msdm, strlen(native_msdm), &files, &err), 0);
        snprintf(want, sizeof(want), "%s/saved/msdm.bin", store);
        CHECK_STR(files[0], want);
        snprintf(want, sizeof(want), "%s/saved/slic.bin", store);
        CHECK_STR(files[1], want);
        CHECK(files[4] == NULL);
        oemkvm_strv_free(files);

        /* Untagged, or tagged but not patched yet: nothing. */
        CHECK_INT(oemkvm_patch_files(untagged, strlen(untagged), &files, &err), 0);
        CHECK(files[0] == NULL);
        oemkvm_strv_free(files);
        CHECK_INT(oemkvm_patch_files(unpatched, strlen(unpatched), &files, &err), 0);
        CHECK(files[0] == NULL);
        oemkvm_strv_free(files);

        CHECK_INT(oemkvm_patch_files("<domain>", 8, &files, &err), -EINVAL);
        CHECK_CONTAINS(err.message, "malformed XML at line 1");
        free(out);
        free(native);
        free(native_msdm);
        free(untagged);
        free(unpatched);
}

TEST(relocate)
{
        char *out = golden_out("win11-uefi"), *saved = golden_out("win11-multi");
        char other[4200], want[4300];
        struct oemkvm_ctx *ctx;
        struct oemkvm_patch_result res = {}, again = {};
        struct oemkvm_error err = {};

        /* Same store: nothing to rewrite, the input bytes back. */
        ctx = new_ctx(store);
        CHECK_INT(oemkvm_patch_relocate(ctx, out, strlen(out), &res, &err), 0);
        CHECK_STR(res.xml, out);
        CHECK(!(res.flags & OEMKVM_PATCH_CHANGED));
        oemkvm_patch_result_clear(&res);
        oemkvm_ctx_free(ctx);

        /* Another host's store: only the paths move, and patch agrees. */
        snprintf(other, sizeof(other), "%s/saved", store);
        ctx = new_ctx(other);
        CHECK_INT(oemkvm_patch_relocate(ctx, out, strlen(out), &res, &err), 0);
        CHECK(res.flags & OEMKVM_PATCH_CHANGED);
        snprintf(want, sizeof(want), "<qemu:arg value=\"file=%s/msdm.bin\"/>", other);
        CHECK_CONTAINS(res.xml, want);
        CHECK_CONTAINS(res.xml, "<target dev=\"sda\" bus=\"scsi\"/>");
        CHECK(!strstr(res.xml, "slic.bin"));    /* no device appears */
        CHECK_INT(oemkvm_patch(ctx, res.xml, res.len, &again, &err), 0);
        CHECK(again.flags & OEMKVM_PATCH_CHANGED); /* patch adds the SLIC this store has */
        oemkvm_patch_result_clear(&again);
        oemkvm_patch_result_clear(&res);

        /* A source= dump stays where it is. */
        CHECK_INT(oemkvm_patch_relocate(ctx, saved, strlen(saved), &res, &err), 0);
        CHECK_STR(res.xml, saved);
        oemkvm_patch_result_clear(&res);
        oemkvm_ctx_free(ctx);

        /* A host without the dump. */
        snprintf(other, sizeof(other), "%s/nowhere", store);
        ctx = new_ctx(other);
        CHECK_INT(oemkvm_patch_relocate(ctx, out, strlen(out), &res, &err), -ENOENT);
        CHECK_CONTAINS(err.message, "oemkvm dump");
        CHECK_CONTAINS(err.message, other);
        CHECK(res.xml == NULL);
        oemkvm_ctx_free(ctx);
        free(out);
        free(saved);
}

TEST(untagged_bytes_and_entities)
{
        static const char odd[] =
                "<?xml version='1.0' encoding='UTF-8'?>\r\n<!DOCTYPE domain [<!ENTITY n SYSTEM \"file:///etc/passwd\">]>"
                "<domain type='kvm'  ><name>&n;</name><!-- c --></domain>\n\n";
        static const char tagged[] =
                "<!DOCTYPE domain [<!ENTITY n SYSTEM \"file:///etc/passwd\">]>\n"
                "<domain type='kvm'><name>&n;</name><metadata><o:config xmlns:o='urn:oemkvm:domain:1'>"
                "<o:topology edition='pro'/></o:config></metadata><vcpu>2</vcpu></domain>";
        struct oemkvm_ctx *ctx = new_ctx(setup_store());
        struct oemkvm_patch_result res = {};
        struct oemkvm_error err;

        CHECK_INT(patch_str(ctx, odd, &res, &err), 0);
        CHECK_MEM(res.xml, res.len, odd, strlen(odd));
        oemkvm_patch_result_clear(&res);

        /* Patched, the entity stays a reference: nothing is read or expanded. */
        CHECK_INT(patch_str(ctx, tagged, &res, &err), 0);
        CHECK_CONTAINS(res.xml, "<name>&n;</name>");
        CHECK(!strstr(res.xml, "root:"));
        CHECK_CONTAINS(res.xml, "<cpu>\n");
        CHECK_CONTAINS(res.xml, "cores=\"2\"");
        oemkvm_patch_result_clear(&res);
        oemkvm_ctx_free(ctx);
}

TEST(refusals)
{
        static const struct {
                const char *config;
                const char *message;
        } cases[] = {
                { "<o:license source='saved'/>", "is not an absolute path" },
                { "<o:license typo='1'/>", "has no attribute 'typo'" },
                { "<o:topology edition='server'/>", "the edition is one of home, pro" },
                { "<o:virtio storage='ide'/>", "the storage bus is 'scsi'" },
                { "<o:virtio network='e1000'/>", "the NIC model is 'virtio'" },
                { "<o:virtio drivers='virtio-win.iso'/>", "drivers=>: 'virtio-win.iso' is not an absolute path" },
                { "<o:license/><o:license/>", "holds <oemkvm:license> twice" },
                { "<o:usb/>", "holds an unknown <usb>" },
        };
        struct oemkvm_ctx *ctx = new_ctx(setup_store());

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct oemkvm_patch_result res = {};
                struct oemkvm_error err;
                char xml[1024];

                snprintf(xml, sizeof(xml),
                         "<domain><metadata><o:config xmlns:o='urn:oemkvm:domain:1'>%s</o:config></metadata>"
                         "<os><smbios mode='emulate'/></os></domain>", cases[i].config);
                CHECK_INT(patch_str(ctx, xml, &res, &err), -EINVAL);
                CHECK_CONTAINS(err.message, cases[i].message);
                CHECK(!strchr(err.message, '\n'));
                CHECK(res.xml == NULL);
        }
        oemkvm_ctx_free(ctx);
}

TEST(non_regular_dump_file)
{
        char dir[4200], path[4300], xml[8600];
        struct oemkvm_ctx *ctx = new_ctx(setup_store());
        struct oemkvm_patch_result res = {};
        struct oemkvm_error err;

        snprintf(dir, sizeof(dir), "%s/dirdump", store);
        CHECK_INT(mkdir(dir, 0755), 0);
        snprintf(path, sizeof(path), "%s/msdm.bin", dir);
        CHECK_INT(mkdir(path, 0755), 0);
        snprintf(xml, sizeof(xml),
                 "<domain><metadata><o:config xmlns:o='urn:oemkvm:domain:1'><o:license source='%s'/></o:config></metadata></domain>",
                 dir);
        CHECK_INT(patch_str(ctx, xml, &res, &err), -EINVAL);
        CHECK_CONTAINS(err.message, "is not a regular file");
        oemkvm_ctx_free(ctx);
}

TESTS(T(golden), T(flags), T(files), T(relocate), T(untagged_bytes_and_entities), T(refusals),
      T(non_regular_dump_file))
