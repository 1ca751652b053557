/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <oemkvm:license>: pass the dump to QEMU as
 *   <qemu:commandline> -acpitable file=DIR/msdm.bin [-acpitable file=DIR/slic.bin]
 *                      -smbios file=DIR/smbios_type_0.bin -smbios file=DIR/smbios_type_1.bin
 * whatever the libvirt version (native <acpi><table type='msdm'> needs
 * 11.2), so the engine, the hook and an offline patch always agree.  A
 * native <os><acpi><table> of the file's own type naming the same file
 * counts as present (the user's, never recorded nor removed).  A native
 * table that would hand the guest a table under another signature, or a
 * second table of the same signature, is refused.
 *
 * Record: <license dir=DIR [commandline="added"] [qemu-ns="added"]> with
 * one <arg option=… file=…/> per pair oemkvm added; a pair the user wrote
 * is theirs and never recorded, so never removed.
 */
#include <string.h>
#include <sys/stat.h>

#include "patch-priv.h"

static const struct license_file {
        const char *option;
        const char *name;
        const char *table;      /* libvirt's <acpi><table type=…> for it */
        bool optional;
} license_files[] = {
        { "-acpitable", OEMKVM_STORE_MSDM,    "msdm", false },
        { "-acpitable", OEMKVM_STORE_SLIC,    "slic", true  },
        { "-smbios",    OEMKVM_STORE_SMBIOS0, NULL,   false },
        { "-smbios",    OEMKVM_STORE_SMBIOS1, NULL,   false },
};

/* The first <qemu:arg value=option/> directly followed by value=file=path. */
static xmlNode *arg_pair_find(const struct patch *p, const char *option, const char *path)
{
        xml_foreach(cl, p->domain, OEMKVM_NS_QEMU, "commandline")
                xml_foreach(a, cl, OEMKVM_NS_QEMU, "arg") {
                        xmlNode *next = xml_next(a, NULL, NULL);
                        const char *v = next && xml_is(next, OEMKVM_NS_QEMU, "arg") ? xml_attr(next, "value") : NULL;

                        if (xml_attr_is(a, "value", option) && v && !strncmp(v, "file=", 5) &&
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

/* QEMU refuses an -smbios file= of a type whose fields libvirt also sets. */
static int check_smbios_conflict(struct patch *p)
{
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

/* 1 when the dump file is there, 0 when an optional one is not. */
static int check_file(struct patch *p, const struct license_file *lf, const char *path, bool store)
{
        struct stat st;

        if (lstat(path, &st) < 0) {
                int r = -errno;

                if (r == -ENOENT && lf->optional)
                        return 0;
                if (r == -ENOENT)
                        return oemkvm_error_set(p->err, r, "license: dump file '%s' is missing — %s", path,
                                                store ? "run 'sudo oemkvm dump' first"
                                                      : "point source= at a directory written by 'oemkvm dump'");
                return oemkvm_error_set(p->err, r, "license: cannot stat dump file '%s': %s", path, strerror(-r));
        }
        if (!S_ISREG(st.st_mode))
                return oemkvm_error_set(p->err, -EINVAL,
                                        "license: dump file '%s' is not a regular file — the dump must hold plain files, not links or devices",
                                        path);
        return 1;
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

int patch_license(struct patch *p, const xmlNode *feature)
{
        static const char *const attrs[] = { "source", NULL };
        _cleanup_(paths_freep) char *paths[ARRAY_SIZE(license_files)] = {};
        const xmlNode *old = state_find(p, "license", NULL, NULL);
        const char *dir = NULL;
        xmlNode *entry;
        int r;

        if (feature) {
                const char *source = xml_attr(feature, "source");

                r = patch_check_attrs(p, feature, attrs);
                if (r < 0)
                        return r;
                dir = source ? source : oemkvm_ctx_get_store_dir(p->ctx);
                r = patch_check_path(p, source ? "<oemkvm:license source=>" : "the store directory", dir, true);
                if (r < 0)
                        return r;
                r = check_smbios_conflict(p);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < ARRAY_SIZE(license_files); i++) {
                        _cleanup_free_ char *path = path_join(dir, license_files[i].name);

                        if (!path)
                                return -ENOMEM;
                        r = check_file(p, &license_files[i], path, !source);
                        if (r < 0)
                                return r;
                        if (r > 0)
                                paths[i] = TAKE_PTR(path);
                }
                r = check_native_tables(p, paths);
                if (r < 0)
                        return r;
        }

        /* Remove the pairs oemkvm added that are no longer wanted. */
        xml_foreach(arg, old, OEMKVM_NS_STATE, "arg") {
                const char *option = xml_attr(arg, "option"), *file = xml_attr(arg, "file");
                xmlNode *a = option && file ? arg_pair_find(p, option, file) : NULL;
                bool wanted = false;

                for (size_t i = 0; i < ARRAY_SIZE(license_files); i++)
                        if (paths[i] && !strcmp(paths[i], file ? file : ""))
                                wanted = true;
                if (a && !wanted)
                        remove_pair(p, a);
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
        for (size_t i = 0; i < ARRAY_SIZE(license_files); i++) {
                const struct license_file *lf = &license_files[i];
                bool ours = false;

                if (!paths[i])
                        continue;
                xml_foreach(arg, old, OEMKVM_NS_STATE, "arg")
                        if (xml_attr_is(arg, "option", lf->option) && xml_attr_is(arg, "file", paths[i]))
                                ours = true;
                if (present(p, lf, paths[i])) {
                        /* Already there: ours if recorded, else the user's. */
                        if (!ours)
                                continue;
                } else {
                        r = add_pair(p, entry, lf, paths[i]);
                        if (r < 0)
                                return r;
                }
                if (!xmlNewChild(entry, entry->ns, BAD_CAST "arg", NULL) ||
                    xml_attr_set(entry->last, "option", lf->option) < 0 ||
                    xml_attr_set(entry->last, "file", paths[i]) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int patch_license_relocate(struct patch *p)
{
        const xmlNode *feature = xml_child(p->config, OEMKVM_NS_CONFIG, "license");
        xmlNode *old = state_find(p, "license", NULL, NULL);
        const char *dir = oemkvm_ctx_get_store_dir(p->ctx);
        int r;

        /* A source= dump is wherever the user put it: keep its paths. */
        if (!feature || !old || xml_attr(feature, "source"))
                return 0;
        r = patch_check_path(p, "the store directory", dir, true);
        if (r < 0)
                return r;

        xml_foreach(arg, old, OEMKVM_NS_STATE, "arg") {
                const char *option = xml_attr(arg, "option"), *file = xml_attr(arg, "file");
                const char *base = file ? strrchr(file, '/') : NULL;
                _cleanup_free_ char *path = NULL, *value = NULL;
                xmlNode *a = option && file ? arg_pair_find(p, option, file) : NULL;
                struct stat st;

                if (!a || !base)
                        continue;
                path = path_join(dir, base + 1);
                if (!path || asprintf(&value, "file=%s", path) < 0)
                        return -ENOMEM;
                if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
                        return oemkvm_error_set(p->err, -ENOENT,
                                                "license: this host has no dump file '%s' — run 'sudo oemkvm dump' here first",
                                                path);
                if (!strcmp(path, file))
                        continue;
                if (xml_attr_set(xml_next(a, NULL, NULL), "value", value) < 0 ||
                    xml_attr_set(arg, "file", path) < 0)
                        return -ENOMEM;
                patch_touch(p);
        }
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
