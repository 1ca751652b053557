/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The patch engine's driver: parse, read the tag, let each feature apply or
 * revert, commit the record, and hand back either the input bytes (nothing
 * to do) or the edited tree serialised without reformatting.
 */
#include <string.h>

#include "patch-priv.h"

int patch_load(struct patch *p, const char *xml, size_t len)
{
        xmlNode *root;
        int r;

        r = xml_parse(xml, len, "domain XML", &p->doc, p->err);
        if (r < 0)
                return r;
        root = xmlDocGetRootElement(p->doc);
        if (!xml_is(root, NULL, "domain"))
                return oemkvm_error_set(p->err, -EINVAL,
                                        "domain XML: the root element is <%s>, expected <domain>",
                                        (const char *)root->name);
        p->domain = root;
        p->metadata = xml_child(root, NULL, "metadata");

        xml_foreach(m, p->metadata, OEMKVM_NS_CONFIG, NULL) {
                if (!xml_is(m, OEMKVM_NS_CONFIG, "config"))
                        return oemkvm_error_set(p->err, -EINVAL,
                                                "<metadata> holds <%s> in namespace %s; the oemkvm tag is <oemkvm:config> with <oemkvm:%s/> inside it",
                                                (const char *)m->name, OEMKVM_NS_CONFIG, (const char *)m->name);
                if (!p->config)
                        p->config = m;
        }
        p->record = xml_child(p->metadata, OEMKVM_NS_STATE, "state");
        return p->config || p->record ? 0 : 1;
}

void patch_done(struct patch *p)
{
        if (p->new_record)
                xmlFreeNode(p->new_record);
        if (p->doc)
                xmlFreeDoc(p->doc);
}

xmlNode *patch_devices(struct patch *p)
{
        xmlNode *d = xml_child(p->domain, NULL, "devices");

        if (d)
                return d;
        d = xml_new(NULL, "devices", NULL);
        if (d) {
                xml_append(p->domain, d);
                patch_touch(p);
        }
        return d;
}

int patch_check_path(struct patch *p, const char *what, const char *path, bool no_comma)
{
        if (path[0] != '/')
                return oemkvm_error_set(p->err, -EINVAL, "%s: '%s' is not an absolute path — give the full path", what, path);
        for (const char *s = path; (s = strstr(s, "..")); s += 2)
                if (s[-1] == '/' && (s[2] == '/' || s[2] == 0))
                        return oemkvm_error_set(p->err, -EINVAL, "%s: '%s' has a '..' component — give the path without it", what, path);
        if (no_comma && strchr(path, ','))
                return oemkvm_error_set(p->err, -EINVAL,
                                        "%s: '%s' contains a comma, where QEMU would split its option — use a directory without commas",
                                        what, path);
        return 0;
}

int patch_check_attrs(struct patch *p, const xmlNode *feature, const char *const *known)
{
        for (const xmlAttr *a = feature->properties; a; a = a->next) {
                bool ok = false;
                char list[128] = "";

                for (const char *const *k = known; *k; k++) {
                        if (!a->ns && xmlStrEqual(a->name, BAD_CAST *k))
                                ok = true;
                        if (*list)
                                strncat(list, ", ", sizeof(list) - strlen(list) - 1);
                        strncat(list, *k, sizeof(list) - strlen(list) - 1);
                }
                if (!ok)
                        return oemkvm_error_set(p->err, -EINVAL,
                                                "<oemkvm:%s> has no attribute '%s' — it takes %s",
                                                (const char *)feature->name, (const char *)a->name,
                                                *list ? list : "none");
        }
        return 0;
}

struct tag {
        const xmlNode *license, *topology, *virtio, *gvt;
};

static int read_tag(struct patch *p, struct tag *t)
{
        if (!p->config)
                return 0;
        xml_foreach(c, p->config, NULL, NULL) {
                /* virsh metadata --set and virDomainSetMetadata put only the
                 * top element into the namespace: accept children without
                 * one as well. */
                const char *ns = c->ns ? OEMKVM_NS_CONFIG : NULL;
                const xmlNode **slot = NULL;

                if (xml_is(c, ns, "license"))
                        slot = &t->license;
                else if (xml_is(c, ns, "topology"))
                        slot = &t->topology;
                else if (xml_is(c, ns, "virtio"))
                        slot = &t->virtio;
                else if (xml_is(c, ns, "gvt"))
                        slot = &t->gvt;
                if (!slot)
                        return oemkvm_error_set(p->err, -EINVAL,
                                                "<oemkvm:config> holds an unknown <%s> — its children are <oemkvm:license>, <oemkvm:topology>, <oemkvm:virtio> and <oemkvm:gvt> in namespace %s",
                                                (const char *)c->name, OEMKVM_NS_CONFIG);
                if (*slot)
                        return oemkvm_error_set(p->err, -EINVAL,
                                                "<oemkvm:config> holds <oemkvm:%s> twice — keep one",
                                                (const char *)c->name);
                *slot = c;
        }
        /* <oemkvm:gvt> is a reserved slot: its attributes belong to a later
         * version, so they are not checked here. */
        return 0;
}

static int patch_run(struct patch *p)
{
        struct tag t = {};
        xmlNs *ns;
        int r;

        r = read_tag(p, &t);
        if (r < 0)
                return r;

        p->new_record = xml_new(NULL, "state", NULL);
        if (!p->new_record)
                return -ENOMEM;
        ns = xmlNewNs(p->new_record, BAD_CAST OEMKVM_NS_STATE, BAD_CAST STATE_PREFIX);
        if (!ns)
                return -ENOMEM;
        xmlSetNs(p->new_record, ns);

        r = patch_license(p, t.license);
        if (r < 0)
                return r;
        r = patch_topology(p, t.topology);
        if (r < 0)
                return r;
        r = patch_virtio(p, t.virtio);
        if (r < 0)
                return r;
        if (t.gvt)
                p->flags |= OEMKVM_PATCH_RESERVED;
        if (p->config)
                p->flags |= OEMKVM_PATCH_TAGGED;
        return state_commit(p);
}

static int result_set(struct patch *p, const char *xml, size_t len, struct oemkvm_patch_result *ret)
{
        char *out;
        size_t out_len;
        int r;

        if (p->changed) {
                r = xml_serialize(p->doc, xml, len, &out, &out_len);
                if (r < 0)
                        return oemkvm_error_set(p->err, r, "out of memory writing the domain XML");
                p->flags |= OEMKVM_PATCH_CHANGED;
        } else {
                out = malloc(len + 1);
                if (!out)
                        return oemkvm_error_set(p->err, -ENOMEM, "out of memory");
                memcpy(out, xml, len);
                out[len] = 0;
                out_len = len;
        }
        ret->xml = out;
        ret->len = out_len;
        ret->flags = p->flags;
        return 0;
}

OEMKVM_EXPORT int oemkvm_patch(const struct oemkvm_ctx *ctx, const char *xml, size_t len,
                               struct oemkvm_patch_result *ret, struct oemkvm_error *err)
{
        struct patch p = { .ctx = ctx, .err = err };
        int r;

        r = patch_load(&p, xml, len);
        if (r == 0)
                r = patch_run(&p);
        if (r >= 0)
                r = result_set(&p, xml, len, ret);
        if (r == -ENOMEM && err && !err->message[0])
                oemkvm_error_set(err, r, "out of memory patching the domain XML");
        patch_done(&p);
        return r < 0 ? r : 0;
}

int patch_verify(const struct oemkvm_ctx *ctx, const char *xml, size_t len,
                 unsigned *ret_flags, char ***ret_files, struct oemkvm_error *err)
{
        struct patch p = { .ctx = ctx, .err = err };
        char **files = NULL;
        int r;

        r = patch_load(&p, xml, len);
        if (r == 0)
                r = patch_run(&p);
        /* Unchanged: the tree is still the input, record included. */
        if (r >= 0 && !p.changed)
                r = patch_license_files(&p, &files);
        if (r == -ENOMEM && err && !err->message[0])
                oemkvm_error_set(err, r, "out of memory checking the domain XML");
        patch_done(&p);
        if (r < 0)
                return r;
        *ret_flags = p.flags | (p.changed ? OEMKVM_PATCH_CHANGED : 0);
        *ret_files = files;
        return 0;
}

OEMKVM_EXPORT void oemkvm_patch_result_clear(struct oemkvm_patch_result *res)
{
        if (!res)
                return;
        free(res->xml);
        *res = (struct oemkvm_patch_result){};
}

OEMKVM_EXPORT int oemkvm_patch_relocate(const struct oemkvm_ctx *ctx, const char *xml, size_t len,
                                        struct oemkvm_patch_result *ret, struct oemkvm_error *err)
{
        struct patch p = { .ctx = ctx, .err = err };
        int r;

        r = patch_load(&p, xml, len);
        if (r == 0)
                r = patch_license_relocate(&p);
        if (r >= 0)
                r = result_set(&p, xml, len, ret);
        patch_done(&p);
        return r < 0 ? r : 0;
}

OEMKVM_EXPORT int oemkvm_patch_files(const char *xml, size_t len, char ***ret_paths,
                                     struct oemkvm_error *err)
{
        struct patch p = { .err = err };
        char **list = NULL;
        int r;

        r = patch_load(&p, xml, len);
        if (r >= 0)
                r = patch_license_files(&p, &list);
        patch_done(&p);
        if (r < 0)
                return r == -ENOMEM ? oemkvm_error_set(err, r, "out of memory listing the license files") : r;
        *ret_paths = list;
        return 0;
}

OEMKVM_EXPORT void oemkvm_strv_free(char **strv)
{
        for (char **s = strv; s && *s; s++)
                free(*s);
        free(strv);
}
