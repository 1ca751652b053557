/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The patch engine's driver: parse, read the tag, let each feature of the
 * table below apply or revert, commit the record, and hand back either the
 * input bytes (nothing to do) or the edited tree serialised without
 * reformatting.
 */
#include <stdio.h>
#include <string.h>

#include "domain/domain.h"
#include "domain/engine.h"

static int patch_load(struct patch *p, const char *xml, size_t len)
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
        if (!p->config && !p->record)
                return 1;
        return state_index(p);
}

static void patch_done(struct patch *p)
{
        state_index_free(p);
        if (p->new_record)
                xmlFreeNode(p->new_record);
        if (p->doc)
                xmlFreeDoc(p->doc);
}

/*
 * The features, in the order they run: each brings the definition in line
 * with its tag child, or reverts what it set when the child is gone.  The
 * driver checks each child's attributes against `attrs` before the feature
 * sees it.  gvt is a reserved slot: recognised, its attributes belong to a
 * later version and are not checked, nothing is done.
 */
static const struct feature {
        const char *name;
        const char *const *attrs;
        int (*run)(struct patch *p, const xmlNode *tag);
} features[] = {
        { "license",  (const char *const[]){ "source", NULL },                      patch_license },
        { "topology", (const char *const[]){ "edition", NULL },                     patch_topology },
        { "virtio",   (const char *const[]){ "storage", "network", "drivers", NULL }, patch_virtio },
        { "gvt",      NULL,                                                         NULL },
};

static int check_attrs(struct patch *p, const xmlNode *tag, const char *const *known)
{
        for (const xmlAttr *a = tag->properties; a; a = a->next) {
                bool ok = false;
                char list[128] = "";

                for (const char *const *k = known; *k; k++) {
                        if (!a->ns && xmlStrEqual(a->name, BAD_CAST *k))
                                ok = true;
                        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
                                 *list ? ", " : "", *k);
                }
                if (!ok)
                        return oemkvm_error_set(p->err, -EINVAL,
                                                "<oemkvm:%s> has no attribute '%s' — it takes %s",
                                                (const char *)tag->name, (const char *)a->name,
                                                *list ? list : "none");
        }
        return 0;
}

/* Finds each feature's child of <oemkvm:config>; unknown or doubled children are errors. */
static int read_tag(struct patch *p, const xmlNode *tag[static ARRAY_SIZE(features)])
{
        if (!p->config)
                return 0;
        xml_foreach(c, p->config, NULL, NULL) {
                /* virsh metadata --set and virDomainSetMetadata put only the
                 * top element into the namespace: accept children without
                 * one as well. */
                const char *ns = c->ns ? OEMKVM_NS_CONFIG : NULL;
                size_t i = 0;
                int r;

                while (i < ARRAY_SIZE(features) && !xml_is(c, ns, features[i].name))
                        i++;
                if (i == ARRAY_SIZE(features))
                        return oemkvm_error_set(p->err, -EINVAL,
                                                "<oemkvm:config> holds an unknown <%s> — its children are <oemkvm:license>, <oemkvm:topology>, <oemkvm:virtio> and <oemkvm:gvt> in namespace %s",
                                                (const char *)c->name, OEMKVM_NS_CONFIG);
                if (tag[i])
                        return oemkvm_error_set(p->err, -EINVAL,
                                                "<oemkvm:config> holds <oemkvm:%s> twice — keep one",
                                                (const char *)c->name);
                if (features[i].attrs && (r = check_attrs(p, c, features[i].attrs)) < 0)
                        return r;
                tag[i] = c;
        }
        return 0;
}

static int patch_run(struct patch *p)
{
        const xmlNode *tag[ARRAY_SIZE(features)] = {};
        xmlNs *ns;
        int r;

        r = read_tag(p, tag);
        if (r < 0)
                return r;

        p->new_record = xml_new(NULL, "state", NULL);
        if (!p->new_record)
                return -ENOMEM;
        ns = xmlNewNs(p->new_record, BAD_CAST OEMKVM_NS_STATE, BAD_CAST STATE_PREFIX);
        if (!ns)
                return -ENOMEM;
        xmlSetNs(p->new_record, ns);

        for (size_t i = 0; i < ARRAY_SIZE(features); i++) {
                if (!features[i].run) {
                        if (tag[i])
                                p->flags |= OEMKVM_PATCH_RESERVED;
                        continue;
                }
                r = features[i].run(p, tag[i]);
                if (r < 0)
                        return r;
        }
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

int oemkvm_patch_relocate(const struct oemkvm_ctx *ctx, const char *xml, size_t len,
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

int oemkvm_patch_files(const char *xml, size_t len, char ***ret_paths,
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

