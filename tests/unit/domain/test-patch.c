/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The patch engine against golden files: tests/patch/<case>/in.xml gives
 * out.xml, or error.txt for a refused definition.  "@STORE@" in them stands
 * for the test's dump directory, made by tests/lib/patch-store (a fixture's
 * dump, a saved SLIC-carrying one in @STORE@/saved, a SLIC-only one in
 * @STORE@/slic-only, broken ones in @STORE@/zeroed and @STORE@/oversized, a
 * hand-made recipe setup in @STORE@/recipe, a virtio-win ISO; the dumps hold
 * a stand-in for the GVT-g UEFI ROM, vbios_gvt_uefi.rom).  OEMKVM_REGENERATE=1
 * rewrites the expected files.  Over every case it also checks the
 * properties: output patched again comes back byte-identical, and removing
 * the tag reverts to what the untagged input patches to.  An error.txt
 * ending in "...\n" gives the start of the message: where it quotes
 * libxml2, whose own words change between versions.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "oemkvm.h"
#include "util/xml.h"

static char store[4096];

/* The dump directories the cases name, built by tests/lib/patch-store. */
static const char *setup_store(void)
{
        char cmd[8400];

        if (store[0])
                return store;
        snprintf(store, sizeof(store), "%s", check_tmpdir());
        snprintf(cmd, sizeof(cmd), "'%s' '%s'", check_srcpath("tests/lib/patch-store"), store);
        if (system(cmd) != 0) {
                fprintf(stderr, "tests/lib/patch-store failed\n");
                abort();
        }
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

/* libvirt keeps an empty <metadata/> when its last element goes (virsh
 * metadata --remove); the engine drops one that held only its own. */
static void drop_empty_metadata(xmlNode *domain)
{
        xmlNode *m = xml_child(domain, NULL, "metadata");

        if (m && !xml_child(m, NULL, NULL))
                xml_remove(m);
}

static bool same_xml(const char *a, const char *b)
{
        xmlDoc *da = NULL, *db = NULL;
        bool eq;

        if (xml_parse(a, strlen(a), "a", &da, NULL) < 0 || xml_parse(b, strlen(b), "b", &db, NULL) < 0)
                abort();
        drop_addresses(xmlDocGetRootElement(da));
        drop_addresses(xmlDocGetRootElement(db));
        drop_empty_metadata(xmlDocGetRootElement(da));
        drop_empty_metadata(xmlDocGetRootElement(db));
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

/* The same XML without the n-th element for which pick() is true, or NULL
 * when there are fewer. */
static bool is_device(const xmlNode *n)
{
        return n->type == XML_ELEMENT_NODE && n->parent && xml_is(n->parent, NULL, "devices");
}

static bool is_qemu_arg(const xmlNode *n)
{
        return xml_is(n, OEMKVM_NS_QEMU, "arg");
}

static xmlNode *nth(xmlNode *n, bool (*pick)(const xmlNode *), size_t *i)
{
        for (; n; n = n->next) {
                xmlNode *found;

                if (n->type != XML_ELEMENT_NODE)
                        continue;
                if (pick(n) && (*i)-- == 0)
                        return n;
                found = nth(n->children, pick, i);
                if (found)
                        return found;
        }
        return NULL;
}

static char *without_nth(const char *xml, bool (*pick)(const xmlNode *), size_t i)
{
        xmlDoc *doc = NULL;
        xmlNode *victim;
        char *out = NULL;
        size_t len;

        if (xml_parse(xml, strlen(xml), "test input", &doc, NULL) < 0)
                abort();
        victim = nth(xmlDocGetRootElement(doc), pick, &i);
        if (victim) {
                xml_remove(victim);
                if (xml_serialize(doc, xml, strlen(xml), &out, &len) < 0)
                        abort();
        }
        xmlFreeDoc(doc);
        return out;
}

/*
 * A user deletes a device (or one of the <qemu:arg>s) from a patched
 * definition: whatever the engine makes of it, it must make it in one
 * pass — patching its output again changes nothing.
 */
static void check_deletions(const struct oemkvm_ctx *ctx, const char *name, const char *patched)
{
        static bool (*const picks[])(const xmlNode *) = { is_device, is_qemu_arg };

        for (size_t k = 0; k < sizeof(picks) / sizeof(picks[0]); k++)
                for (size_t i = 0;; i++) {
                        struct oemkvm_patch_result once = {}, twice = {};
                        struct oemkvm_error err;
                        char *edited = without_nth(patched, picks[k], i);

                        if (!edited)
                                break;
                        if (patch_str(ctx, edited, &once, &err) == 0) {
                                CHECK_INT(patch_str(ctx, once.xml, &twice, &err), 0);
                                if (twice.xml && (strcmp(once.xml, twice.xml) || (twice.flags & OEMKVM_PATCH_CHANGED))) {
                                        fprintf(stderr, "%s: without %s #%zu, a second pass changes\n%s\ninto\n%s\n",
                                                name, k ? "<qemu:arg>" : "device", i, once.xml, twice.xml);
                                        check_failures++;
                                }
                        }
                        oemkvm_patch_result_clear(&once);
                        oemkvm_patch_result_clear(&twice);
                        free(edited);
                }
}


/* Does the message (one line, with its newline) match error.txt? */
static bool error_matches(const char *expected, const char *line)
{
        size_t n = strlen(expected);

        if (n >= 4 && !strcmp(expected + n - 4, "...\n"))
                return !strncmp(expected, line, n - 4);
        return !strcmp(expected, line);
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

        if (!in || (out && error)) {
                fprintf(stderr, "%s: %s\n", name, !in ? "no in.xml" : "both out.xml and error.txt: keep the one that is right");
                check_failures++;
                goto done;
        }
        r = patch_str(ctx, in, &res, &err);
        if (r < 0) {
                char line[OEMKVM_ERROR_MAX + 2];

                snprintf(line, sizeof(line), "%s\n", err.message);
                if (regen)
                        write_case(name, "error.txt", line);
                else if (!error || !error_matches(error, line)) {
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
        check_deletions(ctx, name, res.xml);

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
        char *in = read_case(name, "in.xml"), *xml_out;

        if (patch_str(ctx, in, &res, &err) < 0)
                abort();
        free(in);
        oemkvm_ctx_free(ctx);
        xml_out = res.xml;
        res.xml = NULL;
        oemkvm_patch_result_clear(&res);
        return xml_out;
}

TEST(flags)
{
        struct oemkvm_ctx *ctx = new_ctx(setup_store());
        struct oemkvm_patch_result res = {};
        struct oemkvm_error err;
        char *in = read_case("win11-uefi", "in.xml"), *edit = read_case("user-edit", "in.xml");
        char *untagged = read_case("untagged", "in.xml"), *gvt = read_case("gvt-spice-gl-bios", "in.xml");
        char *follow = read_case("vcpus-follow-libvirt9", "in.xml"), *revert = read_case("revert-all", "in.xml");

        CHECK_INT(patch_str(ctx, in, &res, &err), 0);
        CHECK_INT(res.flags, OEMKVM_PATCH_CHANGED | OEMKVM_PATCH_TAGGED | OEMKVM_PATCH_BUS_SWITCHED |
                             OEMKVM_PATCH_PATCHED);
        CHECK_STR(res.summary, "patched license, topology, virtio");
        CHECK(res.notes == NULL);
        oemkvm_patch_result_clear(&res);
        CHECK_INT(patch_str(ctx, edit, &res, &err), 0);
        CHECK_INT(res.flags, OEMKVM_PATCH_CHANGED | OEMKVM_PATCH_TAGGED | OEMKVM_PATCH_USER_KEPT);
        CHECK_STR(res.summary, "marked a value as the user's in topology, virtio");
        oemkvm_patch_result_clear(&res);
        CHECK_INT(patch_str(ctx, follow, &res, &err), 0);
        CHECK_INT(res.flags, OEMKVM_PATCH_CHANGED | OEMKVM_PATCH_TAGGED | OEMKVM_PATCH_PATCHED);
        CHECK_STR(res.summary, "patched topology");
        CHECK(res.notes && res.notes[0] && !res.notes[1]);
        CHECK_STR(res.notes ? res.notes[0] : NULL,
                  "topology follows the new maximum of 8 vCPUs: 1 socket × 8 cores × 1 thread");
        oemkvm_patch_result_clear(&res);
        CHECK_INT(patch_str(ctx, revert, &res, &err), 0);
        CHECK_INT(res.flags, OEMKVM_PATCH_CHANGED | OEMKVM_PATCH_REVERTED);
        CHECK_STR(res.summary, "reverted license, topology, virtio");
        oemkvm_patch_result_clear(&res);
        CHECK_INT(patch_str(ctx, untagged, &res, &err), 0);
        CHECK_INT(res.flags, 0);
        oemkvm_patch_result_clear(&res);
        CHECK_INT(patch_str(ctx, gvt, &res, &err), 0);
        CHECK_INT(res.flags, OEMKVM_PATCH_CHANGED | OEMKVM_PATCH_TAGGED | OEMKVM_PATCH_PATCHED);
        oemkvm_patch_result_clear(&res);
        free(gvt);
        gvt = read_case("gvt-user-edit", "in.xml");
        CHECK_INT(patch_str(ctx, gvt, &res, &err), 0);
        CHECK_INT(res.flags, OEMKVM_PATCH_CHANGED | OEMKVM_PATCH_TAGGED | OEMKVM_PATCH_USER_KEPT);
        oemkvm_patch_result_clear(&res);
        free(in);
        free(edit);
        free(untagged);
        free(gvt);
        free(follow);
        free(revert);
        oemkvm_ctx_free(ctx);
}

/* What the person is told: which args were taken over, which kept, why a
 * hand-made type 1 showed nothing. */
TEST(notes)
{
        struct oemkvm_ctx *ctx = new_ctx(setup_store());
        struct oemkvm_patch_result res = {};
        struct oemkvm_error err;
        char *adopt = read_case("adopt-recipe", "in.xml"), *kept = read_case("user-edited-license-arg", "in.xml");
        char want[8800];

        CHECK_INT(patch_str(ctx, adopt, &res, &err), 0);
        CHECK_INT(res.flags, OEMKVM_PATCH_CHANGED | OEMKVM_PATCH_TAGGED | OEMKVM_PATCH_PATCHED);
        CHECK_STR(res.summary, "patched license");
        CHECK(res.notes && res.notes[0] && res.notes[1] && res.notes[2] && res.notes[3] && !res.notes[4]);
        if (res.notes && res.notes[0] && res.notes[1] && res.notes[2] && res.notes[3]) {
                snprintf(want, sizeof(want),
                         "license: took over your -acpitable 'file=%s/recipe/msdm.bin' (an MSDM): it now names the dump's %s/msdm.bin; removing <oemkvm:license/> puts yours back",
                         store, store);
                CHECK_STR(res.notes[0], want);
                CHECK_CONTAINS(res.notes[1], "took over your -smbios 'file=");
                CHECK_CONTAINS(res.notes[1], "(an SMBIOS type 0 (BIOS))");
                CHECK_CONTAINS(res.notes[2], "(an SMBIOS type 1 (system))");
                snprintf(want, sizeof(want),
                         "license: your '%s/recipe/smbios_type_1.bin' lacks the SMBIOS structure's final NUL (the 'dmidecode -u | xxd -r -p' recipe drops it), so QEMU glued the next structure onto it: that is why the guest showed no system information",
                         store);
                CHECK_STR(res.notes[3], want);
        }
        oemkvm_patch_result_clear(&res);

        CHECK_INT(patch_str(ctx, kept, &res, &err), 0);
        CHECK_INT(res.flags, OEMKVM_PATCH_CHANGED | OEMKVM_PATCH_TAGGED | OEMKVM_PATCH_USER_KEPT);
        CHECK_STR(res.summary, "marked a value as the user's in license");
        snprintf(want, sizeof(want),
                 "license: kept your -acpitable 'file=%s/recipe/msdm.bin' (an MSDM) in place of oemkvm's — no second one is added; delete that pair to get the dump's",
                 store);
        CHECK(res.notes && !res.notes[1]);
        CHECK_STR(res.notes ? res.notes[0] : NULL, want);
        CHECK(!strstr(res.xml, "file=@STORE@/msdm.bin\"/>"));
        oemkvm_patch_result_clear(&res);
        free(adopt);
        free(kept);
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

        /* The vGPU's ROM is a file QEMU reads for oemkvm too; its licence files come first. */
        free(out);
        out = golden_out("gvt-all-uefi");
        CHECK_INT(oemkvm_patch_files(out, strlen(out), &files, &err), 0);
        snprintf(want, sizeof(want), "%s/msdm.bin", store);
        CHECK_STR(files[0], want);
        snprintf(want, sizeof(want), "%s/" OEMKVM_STORE_GVT_ROM, store);
        CHECK_STR(files[3], want);
        CHECK(files[4] == NULL);
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

/* A SLIC alone is a complete dump: patched with it, moved to a host whose
 * store has it too, refused where the store has no SLIC. */
TEST(relocate_slic_only)
{
        const char *xml = "<domain><name>w7</name><metadata><o:config xmlns:o='urn:oemkvm:domain:1'>"
                          "<o:license/></o:config></metadata><os><type>hvm</type></os></domain>";
        struct oemkvm_patch_result res = {}, moved = {};
        struct oemkvm_error err;
        struct oemkvm_ctx *ctx;
        char dir[4200], other[4200], want[4400];

        setup_store();
        snprintf(dir, sizeof(dir), "%s/slic-only", store);
        ctx = new_ctx(dir);
        CHECK_INT(patch_str(ctx, xml, &res, &err), 0);
        snprintf(want, sizeof(want), "file=%s/slic.bin", dir);
        CHECK_CONTAINS(res.xml, want);
        CHECK(!strstr(res.xml, "msdm.bin"));
        oemkvm_ctx_free(ctx);

        /* The saved dump has a SLIC too (and an MSDM the definition never asked for). */
        snprintf(other, sizeof(other), "%s/saved", store);
        ctx = new_ctx(other);
        CHECK_INT(oemkvm_patch_relocate(ctx, res.xml, res.len, &moved, &err), 0);
        snprintf(want, sizeof(want), "file=%s/slic.bin", other);
        CHECK_CONTAINS(moved.xml, want);
        CHECK(!strstr(moved.xml, "msdm.bin"));
        oemkvm_patch_result_clear(&moved);
        oemkvm_ctx_free(ctx);

        /* The main store has no SLIC. */
        ctx = new_ctx(store);
        CHECK_INT(oemkvm_patch_relocate(ctx, res.xml, res.len, &moved, &err), -ENOENT);
        snprintf(want, sizeof(want), "this host has no dump file '%s/slic.bin'", store);
        CHECK_CONTAINS(err.message, want);
        oemkvm_ctx_free(ctx);
        oemkvm_patch_result_clear(&res);
}

TEST(untagged_bytes_and_doctype)
{
        static const char odd[] =
                "<?xml version='1.0' encoding='UTF-8'?>\r\n"
                "<domain type='kvm'  ><name>&#x61;&amp;b</name><!-- c --><![CDATA[x]]></domain>\n\n";
        static const char tagged[] =
                "<!DOCTYPE domain [<!ENTITY n SYSTEM \"file:///etc/passwd\">]>\n"
                "<domain type='kvm'><name>&n;</name><metadata><o:config xmlns:o='urn:oemkvm:domain:1'>"
                "<o:topology edition='pro'/></o:config></metadata><vcpu>2</vcpu></domain>";
        struct oemkvm_ctx *ctx = new_ctx(setup_store());
        struct oemkvm_patch_result res = {};
        struct oemkvm_error err;

        /* Untagged: the input bytes back, however they are written. */
        CHECK_INT(patch_str(ctx, odd, &res, &err), 0);
        CHECK_MEM(res.xml, res.len, odd, strlen(odd));
        oemkvm_patch_result_clear(&res);

        /* A DOCTYPE (the only place entities are declared) is refused:
         * nothing is read or expanded. */
        CHECK_INT(patch_str(ctx, tagged, &res, &err), -EINVAL);
        CHECK_STR(err.message, "domain XML: line 1: a DOCTYPE is not accepted (it can declare entities) — libvirt never writes one; remove it");
        CHECK(res.xml == NULL);
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
                { "<o:license/></o:config><o:config xmlns:o='urn:oemkvm:domain:1'><o:topology edition='pro'/>",
                  "holds two oemkvm tags" },
                { "<o:gvt/>", "<oemkvm:gvt> needs parent= and type=" },
                { "<o:gvt parent='0000:00:02.0' type='t' x='1'/>", "<oemkvm:gvt> has no attribute 'x'" },
                { "<o:gvt parent='../x' type='t'/>", "parent='../x'>: not a PCI address" },
                { "<o:gvt parent='mb/ochs' type='t'/>", "parent='mb/ochs'>: not a PCI address" },
                { "<o:gvt parent='0000:00:02.0' type='a,b'/>", "type='a,b'>: not an mdev type name" },
                { "<o:gvt parent='0000:00:02.0' type='i915-GVTg_V5_4/..'/>", "not an mdev type name" },
                { "<o:gvt parent='0000:00:02.0' type='t' uuid='nope'/>", "uuid='nope'>: not a UUID" },
                { "<o:gvt parent='0000:00:02.0' type='t' display='sdl'/>", "spice-gl, vnc or none" },
                { "<o:gvt parent='0000:00:02.0' type='t' opregion='maybe'/>", "opregion is yes or no" },
                { "<o:gvt parent='0000:00:02.0' type='t' rom='vbios.rom'/>", "rom=>: 'vbios.rom' is not an absolute path" },
                { "<o:gvt parent='0000:00:02.0' type='t' rom='/x/../vbios.rom'/>", "has a '..' component" },
                { "<o:gvt parent='0000:00:02.0' type='t' rom='/tmp/a,romfile=/etc/shadow'/>", "contains a comma" },
                { "<o:gvt parent='0000:00:02.0' type='t' rom='/tmp/x&quot;y'/>", "contains '\"'" },
                { "<o:gvt parent='0000:00:02.0' type='t' rom='/tmp/x&lt;y'/>", "contains '<'" },
                { "<o:gvt parent='0000:00:02.0' type='t' rom='/proc/self/environ'/>", "is in the kernel's /proc" },
                { "<o:gvt parent='0000:00:02.0' type='t' rom='/dev/null'/>", "is in the kernel's /dev" },
                { "<o:gvt parent='0000:00:02.0' type='t' rom='/'/>", "not a regular file" },
        };
        struct oemkvm_ctx *ctx = new_ctx(setup_store());

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct oemkvm_patch_result res = {};
                struct oemkvm_error err;
                char xml[1024];

                snprintf(xml, sizeof(xml),
                         "<domain><uuid>cafc6799-0b7e-49a8-876f-29cb380f9904</uuid>"
                         "<metadata><o:config xmlns:o='urn:oemkvm:domain:1'>%s</o:config></metadata>"
                         "<os><smbios mode='emulate'/></os></domain>", cases[i].config);
                CHECK_INT(patch_str(ctx, xml, &res, &err), -EINVAL);
                if (!strstr(err.message, cases[i].message))
                        fprintf(stderr, "%s: %s\n", cases[i].config, err.message);
                CHECK_CONTAINS(err.message, cases[i].message);
                CHECK(!strchr(err.message, '\n'));
                CHECK(res.xml == NULL);
        }
        oemkvm_ctx_free(ctx);
}

/* Values no grammar should take: huge, missing files, a domain without a UUID. */
TEST(gvt_refusals)
{
        struct oemkvm_ctx *ctx = new_ctx(setup_store());
        struct oemkvm_patch_result res = {};
        struct oemkvm_error err;
        char *xml, *big = malloc(5000);

        memset(big, 'a', 4096);
        big[4096] = 0;
        CHECK(asprintf(&xml, "<domain><uuid>cafc6799-0b7e-49a8-876f-29cb380f9904</uuid><metadata>"
                             "<o:config xmlns:o='urn:oemkvm:domain:1'><o:gvt parent='%s' type='t'/></o:config>"
                             "</metadata></domain>", big) > 0);
        CHECK_INT(patch_str(ctx, xml, &res, &err), -EINVAL);
        CHECK_CONTAINS(err.message, "not a PCI address");
        CHECK(strlen(err.message) < 400);       /* the value is cut short in the message */
        free(xml);

        CHECK_INT(patch_str(ctx, "<domain><os firmware='efi'/><metadata><o:config xmlns:o='urn:oemkvm:domain:1'>"
                                 "<o:gvt parent='0000:00:02.0' type='t'/></o:config></metadata></domain>", &res, &err), -EINVAL);
        CHECK_CONTAINS(err.message, "the domain has no valid <uuid>");

        CHECK_INT(patch_str(ctx, "<domain><uuid>cafc6799-0b7e-49a8-876f-29cb380f9904</uuid><os firmware='efi'/>"
                                 "<metadata><o:config xmlns:o='urn:oemkvm:domain:1'><o:gvt parent='0000:00:02.0' type='t' "
                                 "rom='/nonexistent/vbios_gvt_uefi.rom'/></o:config></metadata></domain>", &res, &err), -ENOENT);
        CHECK_CONTAINS(err.message, "rom='/nonexistent/vbios_gvt_uefi.rom'>: No such file or directory");
        CHECK_CONTAINS(err.message, "oemkvm gvt rom");
        CHECK(res.xml == NULL);
        free(big);
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
        CHECK_CONTAINS(err.message, "it is a directory, not a regular file");

        /* A FIFO: refused at once, not waited on. */
        CHECK_INT(rmdir(path), 0);
        CHECK_INT(mkfifo(path, 0644), 0);
        alarm(10);
        CHECK_INT(patch_str(ctx, xml, &res, &err), -EINVAL);
        alarm(0);
        CHECK_CONTAINS(err.message, "it is a FIFO, not a regular file");
        CHECK(res.xml == NULL);
        oemkvm_ctx_free(ctx);
}

/* A drivers ISO with a typo, a FIFO, a file that is no ISO: refused with
 * the fix, whether the CD-ROM is to be added or already there. */
TEST(drivers_iso_checked)
{
        static const struct {
                const char *iso;
                const char *message;
        } cases[] = {
                { "virtio-wn.iso", "virtio: the drivers ISO '%s/virtio-wn.iso' does not exist — fix <oemkvm:virtio drivers=> ('oemkvm tag DOMAIN --virtio=/path/to/virtio-win.iso'), or leave the ISO out (--virtio)" },
                { "recipe/fifo.bin", "virtio: the drivers ISO '%s/recipe/fifo.bin' is not a regular file — fix" },
                { "msdm.bin", "virtio: the drivers ISO '%s/msdm.bin' is not an ISO 9660 image (no CD001 volume descriptor at byte 32769) — point drivers= at the virtio-win ISO" },
        };
        struct oemkvm_ctx *ctx = new_ctx(setup_store());

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct oemkvm_patch_result res = {};
                struct oemkvm_error err;
                char xml[8800], want[8800];

                snprintf(xml, sizeof(xml),
                         "<domain><metadata><o:config xmlns:o='urn:oemkvm:domain:1'><o:virtio drivers='%s/%s'/></o:config></metadata>"
                         "<devices/></domain>", store, cases[i].iso);
                snprintf(want, sizeof(want), cases[i].message, store);
                CHECK_INT(patch_str(ctx, xml, &res, &err) < 0, 1);
                CHECK_CONTAINS(err.message, want);
                CHECK(res.xml == NULL);
        }
        oemkvm_ctx_free(ctx);
}

TESTS(T(golden), T(flags), T(notes), T(files), T(relocate), T(relocate_slic_only), T(untagged_bytes_and_doctype), T(refusals),
      T(gvt_refusals), T(non_regular_dump_file), T(drivers_iso_checked))
