/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <oemkvm:license>: pass the dump to QEMU as
 *   <qemu:commandline> -acpitable file=DIR/msdm.bin [-acpitable file=DIR/slic.bin]
 *                      -smbios file=DIR/smbios_type_0.bin -smbios file=DIR/smbios_type_1.bin
 * whatever the libvirt version (native <acpi><table type='msdm'> needs
 * 11.2), so the engine, the hook and an offline patch always agree.  A
 * native <os><acpi><table> of the file's own type naming the same file
 * counts as present (the user's, never recorded nor removed).  A native
 * table that would hand the guest a dump file under another signature, or
 * a second table of the dump's signature, is refused.
 *
 * QEMU gets one table per signature and one structure per SMBIOS type from
 * it, never two.  A domain set up by hand with the widespread recipe
 * carries the user's own -acpitable/-smbios file= pairs: when it is tagged,
 * each pair QEMU would load as an MSDM, a SLIC or an SMBIOS type 0/1
 * structure is taken over — its value now names the dump's file, in its
 * place in the command line — and the user's exact value is recorded, so
 * removing the tag puts it back.  A pair of oemkvm's that the user edited
 * into another file of the same kind is the user's from then on: oemkvm
 * adds no second one.  "-smbios type=0|1,…" fields are refused: QEMU
 * cannot take them next to a structure file of the same type.
 *
 * The dump directory (the store, or source=) is loaded and validated as
 * `oemkvm show --input` does, and decides which files are named: MSDM and
 * SLIC are each optional (a SLIC alone is a Windows 7 era machine).
 *
 * Record: <license dir=DIR [commandline="added"] [qemu-ns="added"]> with
 * one <arg option=… file=DIR/NAME [was-value=…]/> per pair oemkvm set
 * (was-value: the user's value it took over), and <arg option=…
 * file=DIR/NAME owner="user"/> for a kind the user's own pair provides.
 * A pair the user wrote that names the dump's file is theirs and never
 * recorded, so never removed.
 */
#include <string.h>
#include <sys/stat.h>

#include "domain/domain.h"

/* Indexed by enum license_kind. */
static const struct license_file {
        const char *option;
        const char *name;
        const char *what;       /* for messages */
        const char *table;      /* libvirt's <acpi><table type=…> for it */
        size_t offset;          /* of the file's blob in struct oemkvm_dump */
} license_files[] = {
        [LICENSE_MSDM]    = { "-acpitable", OEMKVM_STORE_MSDM,    "an MSDM",                   "msdm", offsetof(struct oemkvm_dump, msdm) },
        [LICENSE_SLIC]    = { "-acpitable", OEMKVM_STORE_SLIC,    "a SLIC",                    "slic", offsetof(struct oemkvm_dump, slic) },
        [LICENSE_SMBIOS0] = { "-smbios",    OEMKVM_STORE_SMBIOS0, "an SMBIOS type 0 (BIOS)",   NULL,   offsetof(struct oemkvm_dump, smbios0) },
        [LICENSE_SMBIOS1] = { "-smbios",    OEMKVM_STORE_SMBIOS1, "an SMBIOS type 1 (system)", NULL,   offsetof(struct oemkvm_dump, smbios1) },
};

/* Does the dump hold this file? */
static bool dump_has(const struct oemkvm_dump *d, const struct license_file *lf)
{
        return ((const struct oemkvm_blob *)((const char *)d + lf->offset))->data != NULL;
}

/* The <qemu:arg> after a, when it is one. */
static xmlNode *arg_value(const xmlNode *a)
{
        xmlNode *next = xml_next(a, NULL, NULL);

        return next && xml_is(next, OEMKVM_NS_QEMU, "arg") ? next : NULL;
}

/* The first <qemu:arg value=option/> directly followed by value=file=path. */
static xmlNode *arg_pair_find(const struct patch *p, const char *option, const char *path)
{
        xml_foreach(cl, p->domain, OEMKVM_NS_QEMU, "commandline")
                xml_foreach(a, cl, OEMKVM_NS_QEMU, "arg") {
                        const char *v = xml_attr(arg_value(a), "value");

                        if (qemuarg_option_is(a, option) && v && !strncmp(v, "file=", 5) &&
                            !strcmp(v + 5, path))
                                return a;
                }
        return NULL;
}

#define native_foreach(t, p) \
        xml_foreach(t, xml_child(xml_child((p)->domain, NULL, "os"), NULL, "acpi"), NULL, "table")

/* Does an <os><acpi><table type=lf->table> name path (libvirt's native
 * form of -acpitable: QEMU gets sig=TYPE)? */
static bool native_table(const struct patch *p, const struct license_file *lf, const char *path)
{
        if (!lf->table)
                return false;
        native_foreach(t, p) {
                _cleanup_xml_str_ xmlChar *text = xmlNodeGetContent(t);

                if (xml_attr_is(t, "type", lf->table) && text && !strcmp((const char *)text, path))
                        return true;
        }
        return false;
}

/* QEMU's sig= overrides a table's own signature, and the guest keeps
 * every table it is given: a dump file under another type arrives
 * mislabelled, and a second file of the dump's type arrives twice. */
static int check_native_tables(struct patch *p, char *const *paths)
{
        native_foreach(t, p) {
                _cleanup_xml_str_ xmlChar *text = xmlNodeGetContent(t);
                const char *type = xml_attr(t, "type"), *file = (const char *)text;

                if (!type || !file)
                        continue;
                for (size_t i = 0; i < ARRAY_SIZE(license_files); i++) {
                        const struct license_file *lf = &license_files[i];

                        if (!lf->table || !paths[i])
                                continue;
                        if (!strcmp(file, paths[i]) && strcmp(type, lf->table))
                                return oemkvm_error_set(p->err, -EINVAL,
                                                        "license: <os><acpi><table type='%s'> names '%s', the dump's %s table, which QEMU would hand the guest as '%s' — set type='%s' or remove the element",
                                                        type, file, lf->table, type, lf->table);
                        if (strcmp(file, paths[i]) && !strcmp(type, lf->table))
                                return oemkvm_error_set(p->err, -EINVAL,
                                                        "license: <os><acpi><table type='%s'> passes '%s', so the guest would get two '%s' tables — point it at '%s' or remove the element",
                                                        type, file, type, paths[i]);
                }
        }
        return 0;
}

static bool present(const struct patch *p, const struct license_file *lf, const char *path)
{
        return arg_pair_find(p, lf->option, path) || native_table(p, lf, path);
}

/* QEMU refuses an -smbios file= of a type whose fields are also set: by
 * libvirt from <sysinfo>/<smbios mode>, or by the user's own -smbios
 * type=N,… ("can't load type N struct, fields already specified"). */
static int check_smbios_conflict(struct patch *p)
{
        xml_foreach(cl, p->domain, OEMKVM_NS_QEMU, "commandline")
                xml_foreach(a, cl, OEMKVM_NS_QEMU, "arg") {
                        const char *v = xml_attr(arg_value(a), "value");
                        int type;

                        if (!v || !qemuarg_option_is(a, "-smbios"))
                                continue;
                        type = qemuarg_smbios_fields(v);
                        if (type == -ENOMEM)
                                return type;
                        if (type == 0 || type == 1)
                                return oemkvm_error_set(p->err, -EINVAL,
                                                        "license: your -smbios '%s' sets SMBIOS type %d fields, which QEMU refuses next to the dump's smbios_type_%d.bin (\"can't load type %d struct, fields already specified\") — remove that <qemu:arg> pair: the dump carries the laptop's own type %d",
                                                        v, type, type, type, type);
                }

        const xmlNode *sm = xml_child(xml_child(p->domain, NULL, "os"), NULL, "smbios");

        if (xml_attr_is(sm, "mode", "host"))
                return oemkvm_error_set(p->err, -EINVAL,
                                        "license: <os><smbios mode='host'> passes the host's SMBIOS types 0 and 1, which QEMU refuses next to the dump's smbios_type_N.bin — remove <smbios mode='host'/> from <os>");
        if (!xml_attr_is(sm, "mode", "sysinfo"))
                return 0;
        xml_foreach(si, p->domain, NULL, "sysinfo") {
                if (!xml_attr_is(si, "type", "smbios"))
                        continue;
                xml_foreach(part, si, NULL, NULL) {
                        int type = xml_is(part, NULL, "bios") ? 0 : xml_is(part, NULL, "system") ? 1 : -1;

                        if (type >= 0 && xml_child(part, NULL, "entry"))
                                return oemkvm_error_set(p->err, -EINVAL,
                                                        "license: <sysinfo type='smbios'><%s> entries with <os><smbios mode='sysinfo'> set SMBIOS type %d, which QEMU refuses next to the dump's smbios_type_%d.bin — remove the <%s> entries (or <smbios mode='sysinfo'/>)",
                                                        (const char *)part->name, type, type, (const char *)part->name);
                }
        }
        return 0;
}

/*
 * Loads and validates the dump in dir, as `oemkvm show --input` does: a
 * zeroed, oversized or foreign file, a link, a FIFO, a missing one —
 * refused here, not found out by QEMU or the guest.
 */
static int dump_check(struct patch *p, const char *dir, bool store, struct oemkvm_dump *ret)
{
        struct oemkvm_error sub = {};
        int r = oemkvm_dump_load(dir, ret, &sub);

        /* Its own code: apply and the hook make the store or say why not.
         * What is missing matters less than the one command that makes it. */
        if (r == -ENOENT && store) {
                const bool other = strcmp(dir, oemkvm_default_store_dir()) != 0;

                return oemkvm_error_set(p->err, -ENODATA,
                                        "license: the store '%s' holds no complete dump — run 'sudo oemkvm dump%s%s' first",
                                        dir, other ? " --output " : "", other ? dir : "");
        }
        if (r == -ELOOP || r == -EINVAL)
                return oemkvm_error_set(p->err, r, "license: %s — the dump must hold plain files, not links or devices: %s",
                                        sub.message, store ? "run 'sudo oemkvm dump'"
                                                           : "point source= at a directory written by 'oemkvm dump'");
        if (r < 0)
                return oemkvm_error_set(p->err, r, "license: %s", sub.message[0] ? sub.message : strerror(-r));
        return 0;
}

/* An existing dump directory must be one (symlinks followed: QEMU only
 * reads it); a missing one is explained by the missing files. */
static int check_dir(struct patch *p, const char *dir, bool source)
{
        struct stat st;

        if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
                return oemkvm_error_set(p->err, -ENOTDIR, "%s: '%s' is not a directory — %s",
                                        source ? "<oemkvm:license source=>" : "the store directory", dir,
                                        source ? "point source= at a directory written by 'oemkvm dump'"
                                               : "remove it and run 'sudo oemkvm dump'");
        return 0;
}

static int add_pair(struct patch *p, xmlNode *entry, const struct license_file *lf, const char *path)
{
        _cleanup_free_ char *value = NULL;
        xmlNode *cl = xml_child(p->domain, OEMKVM_NS_QEMU, "commandline");
        xmlNode *a, *b;

        if (!cl) {
                xmlNs *ns = xmlSearchNsByHref(p->doc, p->domain, BAD_CAST OEMKVM_NS_QEMU);
                bool ns_added = !ns;

                if (!ns) {
                        ns = xmlNewNs(p->domain, BAD_CAST OEMKVM_NS_QEMU, BAD_CAST "qemu");
                        if (!ns)
                                return oemkvm_error_set(p->err, -EINVAL,
                                                        "license: the prefix 'qemu' on <domain> is bound to another namespace — rename that prefix");
                }
                cl = xml_new(ns, "commandline", NULL);
                if (!cl || xml_attr_set(entry, "commandline", "added") < 0 ||
                    (ns_added && xml_attr_set(entry, "qemu-ns", "added") < 0))
                        return -ENOMEM;
                xml_append(p->domain, cl);
        }
        if (asprintf(&value, "file=%s", path) < 0)
                return -ENOMEM;
        a = xml_new(cl->ns, "arg", "value", lf->option, NULL);
        b = xml_new(cl->ns, "arg", "value", value, NULL);
        if (!a || !b) {
                xmlFreeNode(a);
                xmlFreeNode(b);
                return -ENOMEM;
        }
        xml_append(cl, a);
        xml_append(cl, b);
        patch_touch(p);
        return 0;
}

static void remove_pair(struct patch *p, xmlNode *a)
{
        xml_remove(xml_next(a, NULL, NULL));
        xml_remove(a);
        patch_touch(p);
}

/* After a revert: drop what oemkvm created only to hold its args. */
static void remove_scaffolding(struct patch *p, const xmlNode *old)
{
        if (xml_attr_is(old, "commandline", "added")) {
                xmlNode *cl = xml_child(p->domain, OEMKVM_NS_QEMU, "commandline");

                while (cl) {
                        xmlNode *next = xml_next(cl, OEMKVM_NS_QEMU, "commandline");

                        if (!xml_child(cl, NULL, NULL)) {
                                xml_remove(cl);
                                patch_touch(p);
                        }
                        cl = next;
                }
        }
        if (xml_attr_is(old, "qemu-ns", "added"))
                for (xmlNs **pp = &p->domain->nsDef; *pp; pp = &(*pp)->next) {
                        xmlNs *ns = *pp;

                        if (!xmlStrEqual(ns->href, BAD_CAST OEMKVM_NS_QEMU) || xml_ns_used(p->domain, ns))
                                continue;
                        *pp = ns->next;
                        ns->next = NULL;
                        xmlFreeNs(ns);
                        patch_touch(p);
                        break;
                }
}

static void paths_freep(char *(*paths)[ARRAY_SIZE(license_files)])
{
        for (size_t i = 0; i < ARRAY_SIZE(license_files); i++)
                free((*paths)[i]);
}

/* The kind a record entry stands for: its option and file name. */
static int entry_kind(const xmlNode *arg)
{
        const char *option = xml_attr(arg, "option"), *file = xml_attr(arg, "file");
        const char *base = file ? strrchr(file, '/') : NULL;

        for (size_t i = 0; base && option && i < ARRAY_SIZE(license_files); i++)
                if (!strcmp(option, license_files[i].option) && !strcmp(base + 1, license_files[i].name))
                        return (int)i;
        return LICENSE_NONE;
}

/* A pair of oemkvm's, as its record entry names it; NULL when gone. */
static xmlNode *entry_pair(const struct patch *p, const xmlNode *arg)
{
        const char *option = xml_attr(arg, "option"), *file = xml_attr(arg, "file");

        if (state_is_user(arg) || !option || !file)
                return NULL;
        return arg_pair_find(p, option, file);
}

/* A license-shaped pair the user wrote, and what QEMU makes of it. */
struct user_pair {
        xmlNode *option;
        xmlNode *value;
        int kind;
        bool missing_nul;
        char *smbios_file;      /* an SMBIOS type 0/1 file's path */
};

struct user_pairs {
        struct user_pair *v;
        size_t n;
        bool judged;
};

static void user_pairs_clear(struct user_pairs *u)
{
        for (size_t i = 0; i < u->n; i++)
                free(u->v[i].smbios_file);
        free(u->v);
}

/* Every -acpitable/-smbios pair that is not one of oemkvm's recorded ones. */
static int user_pairs_collect(struct patch *p, const xmlNode *old, struct user_pairs *u)
{
        xml_foreach(cl, p->domain, OEMKVM_NS_QEMU, "commandline")
                xml_foreach(a, cl, OEMKVM_NS_QEMU, "arg") {
                        xmlNode *v = arg_value(a);
                        bool ours = false;
                        void *grown;

                        if (!xml_attr(v, "value") ||
                            !(qemuarg_option_is(a, "-acpitable") || qemuarg_option_is(a, "-smbios")))
                                continue;
                        xml_foreach(arg, old, OEMKVM_NS_STATE, "arg")
                                ours = ours || entry_pair(p, arg) == a;
                        if (ours)
                                continue;
                        grown = realloc(u->v, (u->n + 1) * sizeof(*u->v));
                        if (!grown)
                                return -ENOMEM;
                        u->v = grown;
                        u->v[u->n++] = (struct user_pair){ .option = a, .value = v, .kind = LICENSE_NONE };
                }
        return 0;
}

/* Reads the files only once a kind needs deciding. */
static int user_pairs_judge(struct patch *p, struct user_pairs *u)
{
        if (u->judged)
                return 0;
        for (size_t i = 0; i < u->n; i++) {
                int r = qemuarg_judge(p, u->v[i].option, xml_attr(u->v[i].value, "value"),
                                      &u->v[i].kind, &u->v[i].missing_nul, &u->v[i].smbios_file);

                if (r < 0)
                        return r;
        }
        u->judged = true;
        return 0;
}
static struct user_pair *user_pair_of(struct user_pairs *u, int kind)
{
        for (size_t i = 0; i < u->n; i++)
                if (u->v[i].kind == kind)
                        return &u->v[i];
        return NULL;
}

/* One <arg/> in the new license entry; NULL values are left out. */
static int record_arg(xmlNode *entry, const char *option, const char *file, const char *was_value,
                      const char *owner)
{
        xmlNode *a = xmlNewChild(entry, entry->ns, BAD_CAST "arg", NULL);

        if (!a || xml_attr_set(a, "option", option) < 0 || xml_attr_set(a, "file", file) < 0 ||
            xml_attr_set(a, "was-value", was_value) < 0 || xml_attr_set(a, "owner", owner) < 0)
                return -ENOMEM;
        return 0;
}

static int note_missing_nul(struct patch *p, const struct user_pair *u, bool kept)
{
        if (!u->missing_nul)
                return 0;
        return patch_note(p,
                          "license: your '%s' lacks the SMBIOS structure's final NUL (the 'dmidecode -u | xxd -r -p' recipe drops it), so QEMU glued the next structure onto it: that is why the guest showed no system information%s",
                          u->smbios_file, kept ? " — fix the file, or delete that pair to get the dump's" : "");
}

/* The user's pair provides kind for good: record it as theirs. */
static int keep_user(struct patch *p, xmlNode *entry, const struct user_pair *u, int kind, const char *path)
{
        const struct license_file *lf = &license_files[kind];
        int r;

        r = record_arg(entry, lf->option, path, NULL, "user");
        if (r < 0)
                return r;
        p->flags |= OEMKVM_PATCH_USER_KEPT;
        p->user_marks++;
        r = patch_note(p, "license: kept your %s '%s' (%s) in place of oemkvm's — no second one is added; delete that pair to get the dump's",
                       lf->option, xml_attr(u->value, "value"), lf->what);
        return r < 0 ? r : note_missing_nul(p, u, true);
}

/* Takes the user's pair over in its place: its value names the dump's file. */
static int adopt(struct patch *p, xmlNode *entry, const struct user_pair *u, int kind, const char *path)
{
        const struct license_file *lf = &license_files[kind];
        _cleanup_free_ char *was = strdup(xml_attr(u->value, "value")), *value = NULL;
        int r;

        if (!was || asprintf(&value, "file=%s", path) < 0)
                return -ENOMEM;
        r = record_arg(entry, lf->option, path, was, NULL);
        if (r < 0 || (r = xml_attr_set(u->value, "value", value)) < 0)
                return r;
        patch_touch(p);
        r = patch_note(p, "license: took over your %s '%s' (%s): it now names the dump's %s; removing <oemkvm:license/> puts yours back",
                       lf->option, was, lf->what, path);
        return r < 0 ? r : note_missing_nul(p, u, false);
}

/* A pair of oemkvm's that is no longer wanted: the user's value back, or gone. */
static int unset_pair(struct patch *p, const xmlNode *arg, xmlNode *a)
{
        const char *was;
        int r = state_get(p, arg, "was-value", STATE_ARG, &was);

        if (r < 0)
                return r;
        if (!was) {
                remove_pair(p, a);
                return 0;
        }
        r = xml_attr_set(arg_value(a), "value", was);
        patch_touch(p);
        return r;
}

/* Decides one kind of the dump: oemkvm's pair, the user's, or a new one. */
static int license_kind(struct patch *p, const xmlNode *old, xmlNode *entry, struct user_pairs *users,
                        int kind, const char *path)
{
        const struct license_file *lf = &license_files[kind];
        const xmlNode *ours = NULL, *theirs = NULL;
        struct user_pair *u;
        int r;

        xml_foreach(arg, old, OEMKVM_NS_STATE, "arg") {
                if (entry_kind(arg) != kind)
                        continue;
                if (state_is_user(arg))
                        theirs = arg;
                else if (xml_attr_is(arg, "file", path))
                        ours = arg;
        }
        if (present(p, lf, path)) {
                /* Unrecorded, it is a pair the user wrote naming the dump. */
                return ours ? record_arg(entry, lf->option, path, xml_attr(ours, "was-value"), NULL) : 0;
        }

        r = user_pairs_judge(p, users);
        if (r < 0)
                return r;
        u = user_pair_of(users, kind);
        if (theirs && u)
                return record_arg(entry, lf->option, path, NULL, "user");
        /* Ours is gone and a pair of the user's loads the same kind: they
         * edited ours, and it is theirs now. */
        if (ours && u)
                return keep_user(p, entry, u, kind, path);
        if (u)
                return adopt(p, entry, u, kind, path);
        r = add_pair(p, entry, lf, path);
        return r < 0 ? r : record_arg(entry, lf->option, path, NULL, NULL);
}

int patch_license(struct patch *p, const xmlNode *feature)
{
        _cleanup_(paths_freep) char *paths[ARRAY_SIZE(license_files)] = {};
        _cleanup_(user_pairs_clear) struct user_pairs users = {};
        const xmlNode *old = state_find(p, "license", NULL, NULL);
        const char *dir = NULL;
        xmlNode *entry;
        int r;

        if (feature) {
                const char *source = xml_attr(feature, "source");
                struct oemkvm_dump dump = {};

                dir = source ? source : oemkvm_ctx_get_store_dir(p->ctx);
                r = domain_check_path(source ? "<oemkvm:license source=>" : "the store directory", dir, p->err);
                if (r >= 0)
                        r = domain_check_link(source ? "<oemkvm:license source=>" : "the store directory", dir, p->err);
                if (r < 0)
                        return r;
                r = check_dir(p, dir, source != NULL);
                if (r < 0)
                        return r;
                r = check_smbios_conflict(p);
                if (r < 0)
                        return r;
                r = dump_check(p, dir, !source, &dump);
                if (r < 0)
                        return r;
                for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(license_files); i++) {
                        if (!dump_has(&dump, &license_files[i]))
                                continue;
                        paths[i] = path_join(dir, license_files[i].name);
                        if (!paths[i])
                                r = -ENOMEM;
                }
                oemkvm_dump_clear(&dump);
                if (r >= 0)
                        r = check_native_tables(p, paths);
                if (r < 0)
                        return r;
        }

        /* Unset the pairs oemkvm set that are no longer wanted (the feature
         * is gone, the dump moved, a SLIC left the store). */
        xml_foreach(arg, old, OEMKVM_NS_STATE, "arg") {
                xmlNode *a = entry_pair(p, arg);
                int kind = entry_kind(arg);

                if (a && !(kind != LICENSE_NONE && paths[kind] && xml_attr_is(arg, "file", paths[kind]))) {
                        r = unset_pair(p, arg, a);
                        if (r < 0)
                                return r;
                }
        }
        if (!feature) {
                if (old)
                        remove_scaffolding(p, old);
                return 0;
        }

        entry = state_add(p, "license", "dir", dir,
                          "commandline", old ? xml_attr(old, "commandline") : NULL,
                          "qemu-ns", old ? xml_attr(old, "qemu-ns") : NULL, NULL);
        if (!entry)
                return -ENOMEM;
        r = user_pairs_collect(p, old, &users);
        for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(license_files); i++)
                if (paths[i])
                        r = license_kind(p, old, entry, &users, (int)i, paths[i]);
        return r;
}

int patch_license_relocate(struct patch *p)
{
        const xmlNode *feature = xml_child(p->config, OEMKVM_NS_CONFIG, "license");
        xmlNode *old = state_find(p, "license", NULL, NULL);
        const char *dir = oemkvm_ctx_get_store_dir(p->ctx);
        struct oemkvm_dump dump = {};
        bool loaded;
        int r;

        /* A source= dump is wherever the user put it: keep its paths. */
        if (!feature || !old || xml_attr(feature, "source"))
                return 0;
        r = domain_check_path("the store directory", dir, p->err);
        if (r < 0)
                return r;
        /* This host's store, validated; a file the definition names must be in it. */
        loaded = oemkvm_dump_load(dir, &dump, NULL) >= 0;

        xml_foreach(arg, old, OEMKVM_NS_STATE, "arg") {
                const char *file = xml_attr(arg, "file");
                const char *base = file ? strrchr(file, '/') : NULL;
                _cleanup_free_ char *path = NULL, *value = NULL;
                xmlNode *a = entry_kind(arg) != LICENSE_NONE ? entry_pair(p, arg) : NULL;
                bool have = false;

                if (!a || !base)
                        continue;
                for (size_t i = 0; loaded && i < ARRAY_SIZE(license_files); i++)
                        if (!strcmp(base + 1, license_files[i].name))
                                have = dump_has(&dump, &license_files[i]);
                path = path_join(dir, base + 1);
                if (!path || asprintf(&value, "file=%s", path) < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (!have) {
                        r = oemkvm_error_set(p->err, -ENOENT,
                                             "license: this host has no dump file '%s' — run 'sudo oemkvm dump' here first",
                                             path);
                        break;
                }
                if (!strcmp(path, file))
                        continue;
                if (xml_attr_set(xml_next(a, NULL, NULL), "value", value) < 0 ||
                    xml_attr_set(arg, "file", path) < 0) {
                        r = -ENOMEM;
                        break;
                }
                patch_touch(p);
        }
        oemkvm_dump_clear(&dump);
        if (r < 0)
                return r;
        return p->changed ? xml_attr_set(old, "dir", dir) : 0;
}

int patch_license_files(struct patch *p, char ***ret)
{
        const xmlNode *old = state_find(p, "license", NULL, NULL);
        const char *dir = old ? xml_attr(old, "dir") : NULL;
        char **list = calloc(ARRAY_SIZE(license_files) + 1, sizeof(char *));
        size_t n = 0;

        if (!list)
                return -ENOMEM;
        for (size_t i = 0; dir && i < ARRAY_SIZE(license_files); i++) {
                char *path = path_join(dir, license_files[i].name);

                if (!path) {
                        oemkvm_strv_free(list);
                        return -ENOMEM;
                }
                if (present(p, &license_files[i], path))
                        list[n++] = path;
                else
                        free(path);
        }
        *ret = list;
        return 0;
}
