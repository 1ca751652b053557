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

/* Parses and finds the tag and the record; errors only for XML that is
 * not a domain. */
static int patch_parse(struct patch *p, const char *xml, size_t len)
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
        p->config = xml_child(p->metadata, OEMKVM_NS_CONFIG, "config");
        p->record = xml_child(p->metadata, OEMKVM_NS_STATE, "state");
        if (!p->record)
                return 0;
        r = state_check(p);
        return r < 0 ? r : state_index(p);
}

/* Anything else in the tag's namespace inside <metadata> is a tag gone
 * wrong; two of a kind cannot come from libvirt, which keeps one element
 * per namespace, and the engine would act on one and leave the other. */
static int check_metadata(struct patch *p)
{
        if (p->metadata && xml_next(p->metadata, NULL, "metadata"))
                return oemkvm_error_set(p->err, -EINVAL,
                                        "domain XML: two <metadata> elements — libvirt reads only the first; merge them into one");
        xml_foreach(m, p->metadata, OEMKVM_NS_CONFIG, NULL)
                if (!xml_is(m, OEMKVM_NS_CONFIG, "config"))
                        return oemkvm_error_set(p->err, -EINVAL,
                                                "<metadata> holds <%s> in namespace %s; the oemkvm tag is <oemkvm:config> with <oemkvm:%s/> inside it",
                                                (const char *)m->name, OEMKVM_NS_CONFIG, (const char *)m->name);
        if (p->config && xml_next(p->config, OEMKVM_NS_CONFIG, NULL))
                return oemkvm_error_set(p->err, -EINVAL,
                                        "<metadata> holds two oemkvm tags (<config> in %s) — libvirt keeps one element per namespace; delete one",
                                        OEMKVM_NS_CONFIG);
        if (p->record && xml_next(p->record, OEMKVM_NS_STATE, NULL))
                return oemkvm_error_set(p->err, -EINVAL,
                                        "<metadata> holds two oemkvm records (<state> in %s) — libvirt keeps one element per namespace; delete the one that does not match the definition",
                                        OEMKVM_NS_STATE);
        return 0;
}

/* 0: something to do, 1: neither a tag nor a record. */
static int patch_load(struct patch *p, const char *xml, size_t len)
{
        int r = patch_parse(p, xml, len);

        if (r >= 0)
                r = check_metadata(p);
        if (r < 0)
                return r;
        return p->config || p->record ? 0 : 1;
}

static void patch_done(struct patch *p)
{
        free(p->gvt.rom);
        state_index_free(p);
        state_entries_free(p);
        if (p->new_record)
                xmlFreeNode(p->new_record);
        if (p->doc)
                xmlFreeDoc(p->doc);
        oemkvm_strv_free(p->notes);
        free(p->summary);
}

/*
 * The features, in the order they run: each brings the definition in line
 * with its tag child, or reverts what it set when the child is gone.  The
 * driver checks each child's attributes against `attrs` before the feature
 * sees it.
 */
static const struct feature {
        const char *name;
        const char *const *attrs;
        int (*run)(struct patch *p, const xmlNode *tag);
} features[] = {
        { "license",  (const char *const[]){ "source", NULL },                      patch_license },
        { "topology", (const char *const[]){ "edition", NULL },                     patch_topology },
        { "virtio",   (const char *const[]){ "storage", "network", "drivers", NULL }, patch_virtio },
        { "gvt",      (const char *const[]){ "parent", "type", "uuid", "rom", "display", "opregion", NULL },
                                                                                    patch_gvt },
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
                if ((r = check_attrs(p, c, features[i].attrs)) < 0)
                        return r;
                tag[i] = c;
        }
        return 0;
}

/* What each feature did in this run, for the summary. */
enum action {
        ACTION_PATCHED = 1 << 0,
        ACTION_REVERTED = 1 << 1,
        ACTION_USER = 1 << 2,
};

/* "patched license, topology; reverted virtio; …" from the actions. */
static int summarize(struct patch *p, const unsigned done[static ARRAY_SIZE(features)])
{
        static const struct {
                unsigned action;
                const char *words;
        } parts[] = {
                { ACTION_PATCHED,  "patched " },
                { ACTION_REVERTED, "reverted " },
                { ACTION_USER,     "marked a value as the user's in " },
        };
        char buf[256] = "";

        for (size_t k = 0; k < ARRAY_SIZE(parts); k++) {
                bool first = true;

                for (size_t i = 0; i < ARRAY_SIZE(features); i++) {
                        if (!(done[i] & parts[k].action))
                                continue;
                        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s%s",
                                 first && *buf ? "; " : "", first ? parts[k].words : ", ", features[i].name);
                        first = false;
                }
        }
        p->summary = strdup(*buf ? buf : "updated oemkvm's record");
        return p->summary ? 0 : -ENOMEM;
}

static int patch_run(struct patch *p)
{
        const xmlNode *tag[ARRAY_SIZE(features)] = {};
        unsigned done[ARRAY_SIZE(features)] = {};
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
                unsigned edits = p->edits, follows = p->follows, users = p->user_marks;

                r = features[i].run(p, tag[i]);
                if (r < 0)
                        return r;
                if (p->edits != edits || p->follows != follows)
                        done[i] |= tag[i] ? ACTION_PATCHED : ACTION_REVERTED;
                if (p->user_marks != users)
                        done[i] |= ACTION_USER;
                p->flags |= done[i] & ACTION_PATCHED ? OEMKVM_PATCH_PATCHED : 0;
                p->flags |= done[i] & ACTION_REVERTED ? OEMKVM_PATCH_REVERTED : 0;
        }
        if (p->config)
                p->flags |= OEMKVM_PATCH_TAGGED;
        r = state_commit(p);
        if (r >= 0 && p->changed)
                r = summarize(p, done);
        return r;
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
        ret->summary = TAKE_PTR(p->summary);
        ret->notes = TAKE_PTR(p->notes);
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

int patch_open(const char *xml, size_t len, struct patch **ret, struct oemkvm_error *err)
{
        struct patch *p = calloc(1, sizeof(*p));
        int r;

        if (!p)
                return oemkvm_error_set(err, -ENOMEM, "out of memory reading the domain XML");
        p->err = err;
        r = patch_parse(p, xml, len);
        if (r < 0) {
                patch_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

bool patch_tagged(const struct patch *p)
{
        return p->config != NULL;
}

void patch_free(struct patch *p)
{
        if (!p)
                return;
        patch_done(p);
        free(p);
}

int patch_domain_uuid(const char *xml, size_t len, char ret[OEMKVM_UUID_SIZE], struct oemkvm_error *err)
{
        struct patch p = { .err = err };
        xmlChar *text = NULL;
        int r;

        r = xml_parse(xml, len, "domain XML", &p.doc, err);
        if (r >= 0) {
                const xmlNode *n = xml_child(xmlDocGetRootElement(p.doc), NULL, "uuid");

                text = n ? xmlNodeGetContent(n) : NULL;
                if (!text || oemkvm_mdev_uuid_parse((const char *)text, ret) < 0)
                        r = oemkvm_error_set(err, -EINVAL, "domain XML: no valid <uuid>");
        }
        if (text)
                xmlFree(text);
        patch_done(&p);
        return r < 0 ? r : 0;
}

void patch_vgpu_clear(struct patch_vgpu *v)
{
        free(v->parent);
        free(v->type);
        *v = (struct patch_vgpu){};
}

int patch_verify(const struct oemkvm_ctx *ctx, struct patch *p, unsigned *ret_flags, char ***ret_files,
                 struct patch_vgpu *ret_vgpu, struct oemkvm_error *err)
{
        struct patch_vgpu vgpu = {};
        char **files = NULL;
        int r;

        p->ctx = ctx;
        p->err = err;
        r = check_metadata(p);
        if (r >= 0)
                r = patch_run(p);
        /* Nothing to change but the record (a value marked as the user's,
         * the topology following <vcpu>): what boots is what the tag asks
         * for, so the start may go on. */
        if (r >= 0 && !p->edits)
                r = patch_license_files(p, &files);
        if (r >= 0 && !p->edits)
                r = patch_gvt_files(p, &files);
        if (r >= 0 && !p->edits && p->gvt.parent) {
                vgpu.parent = strdup(p->gvt.parent);
                vgpu.type = strdup(p->gvt.type);
                memcpy(vgpu.uuid, p->gvt.uuid, sizeof(vgpu.uuid));
                if (!vgpu.parent || !vgpu.type)
                        r = -ENOMEM;
        }
        if (r == -ENOMEM && err && !err->message[0])
                oemkvm_error_set(err, r, "out of memory checking the domain XML");
        if (r < 0) {
                oemkvm_strv_free(files);
                patch_vgpu_clear(&vgpu);
                return r;
        }
        *ret_flags = p->flags | (p->edits ? OEMKVM_PATCH_CHANGED : 0);
        *ret_files = files;
        if (ret_vgpu)
                *ret_vgpu = vgpu;
        else
                patch_vgpu_clear(&vgpu);
        return 0;
}

OEMKVM_EXPORT void oemkvm_patch_result_clear(struct oemkvm_patch_result *res)
{
        if (!res)
                return;
        free(res->xml);
        free(res->summary);
        oemkvm_strv_free(res->notes);
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
        if (r >= 0)
                r = patch_gvt_files(&p, &list);
        patch_done(&p);
        if (r < 0)
                return r == -ENOMEM ? oemkvm_error_set(err, r, "out of memory listing the license files") : r;
        *ret_paths = list;
        return 0;
}

