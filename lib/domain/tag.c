/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tag builder: the <config> element for virDomainSetMetadata, and the
 * same tag set into (or read from) a whole domain definition, which is
 * how `oemkvm tag` sets it: one define carrying the tag and the patch.
 * Built as libxml2 trees and checked with the same rules the engine
 * applies, so a tag the engine would refuse is never set.
 */
#include <stdarg.h>
#include <string.h>

#include "domain/domain.h"

/* A child of config with attributes name, value, … (NULL values left out). */
static int add_feature(xmlNode *config, const char *name, ...) __attribute__((sentinel));
static int add_feature(xmlNode *config, const char *name, ...)
{
        xmlNode *c = xmlNewChild(config, config->ns, BAD_CAST name, NULL);
        const char *k;
        va_list ap;
        int r = c ? 0 : -ENOMEM;

        va_start(ap, name);
        while (r >= 0 && (k = va_arg(ap, const char *))) {
                const char *v = va_arg(ap, const char *);

                if (v && !xmlNewProp(c, BAD_CAST k, BAD_CAST v))
                        r = -ENOMEM;
        }
        va_end(ap);
        return r;
}

static int check(const struct oemkvm_tag *tag, struct oemkvm_error *err)
{
        int r = 0;

        if (tag->license_dir)
                r = domain_check_path("<oemkvm:license source=>", tag->license_dir, err);
        if (r >= 0 && tag->edition)
                r = edition_check(tag->edition, err);
        if (r >= 0 && tag->drivers_iso)
                r = domain_check_path("<oemkvm:virtio drivers=>", tag->drivers_iso, err);
        if (r >= 0 && (tag->gvt_parent || tag->gvt_rom) && !tag->gvt_type)
                r = oemkvm_error_set(err, -EINVAL, "<oemkvm:gvt> needs a type= — 'oemkvm gvt types' lists them");
        if (r >= 0 && tag->gvt_rom)
                r = domain_check_path("<oemkvm:gvt rom=>", tag->gvt_rom, err);
        return r;
}

/* <config> with the features, in namespace prefix (NULL: none). */
static int build(const struct oemkvm_tag *tag, const char *prefix, xmlNode **ret)
{
        xmlNode *config = xmlNewNode(NULL, BAD_CAST "config");
        int r = config ? 0 : -ENOMEM;

        if (r >= 0 && prefix) {
                xmlNs *ns = xmlNewNs(config, BAD_CAST OEMKVM_NS_CONFIG, BAD_CAST prefix);

                if (ns)
                        xmlSetNs(config, ns);
                else
                        r = -ENOMEM;
        }
        if (r >= 0 && (tag->license || tag->license_dir))
                r = add_feature(config, "license", "source", tag->license_dir, NULL);
        if (r >= 0 && tag->edition)
                r = add_feature(config, "topology", "edition", tag->edition, NULL);
        if (r >= 0 && (tag->virtio || tag->drivers_iso))
                r = add_feature(config, "virtio", "storage", "scsi", "network", "virtio",
                                "drivers", tag->drivers_iso, NULL);
        if (r >= 0 && tag->gvt_type)
                r = add_feature(config, "gvt", "parent", tag->gvt_parent, "type", tag->gvt_type,
                                "rom", tag->gvt_rom, NULL);
        if (r < 0) {
                xmlFreeNode(config);
                return r;
        }
        *ret = config;
        return 0;
}

OEMKVM_EXPORT int oemkvm_tag_build(const struct oemkvm_tag *tag, char **ret_xml, struct oemkvm_error *err)
{
        xmlNode *config = NULL;
        xmlBuffer *buf = NULL;
        int r;

        r = check(tag, err);
        if (r < 0)
                return r;
        /* No namespace: virDomainSetMetadata puts the element in the one it is given. */
        r = build(tag, NULL, &config);
        if (r >= 0 && !(buf = xmlBufferCreate()))
                r = -ENOMEM;
        if (r >= 0 && xmlNodeDump(buf, NULL, config, 0, 0) < 0)
                r = -ENOMEM;
        if (r >= 0 && !(*ret_xml = strdup((const char *)xmlBufferContent(buf))))
                r = -ENOMEM;
        if (buf)
                xmlBufferFree(buf);
        xmlFreeNode(config);
        return r < 0 ? oemkvm_error_set(err, r, "out of memory building the tag") : 0;
}

/* <metadata> where libvirt writes it: after name, uuid, genid, title and
 * description. */
static xmlNode *metadata_of(xmlNode *domain)
{
        static const char *const before[] = { "name", "uuid", "genid", "title", "description" };
        xmlNode *m = xml_child(domain, NULL, "metadata"), *ref = NULL;

        if (m)
                return m;
        m = xml_new(NULL, "metadata", NULL);
        if (!m)
                return NULL;
        for (size_t i = 0; i < ARRAY_SIZE(before); i++) {
                xmlNode *c = xml_child(domain, NULL, before[i]);

                if (c)
                        ref = c;
        }
        xml_insert_after_or_append(domain, ref, m);
        return m;
}

OEMKVM_EXPORT int oemkvm_tag_set(const struct oemkvm_tag *tag, const char *xml, size_t len,
                                 char **ret_xml, struct oemkvm_error *err)
{
        xmlDoc *doc = NULL;
        xmlNode *domain, *metadata, *config = NULL, *old = NULL;
        char *out = NULL;
        size_t out_len;
        bool same;
        int r;

        if (tag) {
                r = check(tag, err);
                if (r < 0)
                        return r;
        }
        r = xml_parse(xml, len, "domain XML", &doc, err);
        if (r < 0)
                return r;
        domain = xmlDocGetRootElement(doc);
        if (!xml_is(domain, NULL, "domain")) {
                r = oemkvm_error_set(err, -EINVAL, "domain XML: the root element is <%s>, expected <domain>",
                                     (const char *)domain->name);
                goto out;
        }
        /* Its children in the namespace too, as the README shows the tag. */
        if (tag && (r = build(tag, "oemkvm", &config)) < 0)
                goto out;
        metadata = xml_child(domain, NULL, "metadata");
        old = xml_child(metadata, OEMKVM_NS_CONFIG, "config");
        same = old ? config && xml_equal(old, config) && !xml_next(old, OEMKVM_NS_CONFIG, "config") : !config;
        if (same) {
                out = strndup(xml, len);
                r = out ? 0 : -ENOMEM;
                goto out;
        }
        while ((old = xml_child(metadata, OEMKVM_NS_CONFIG, NULL)))
                xml_remove(old);
        if (config) {
                metadata = metadata_of(domain);
                if (!metadata) {
                        r = -ENOMEM;
                        goto out;
                }
                xml_append(metadata, TAKE_PTR(config));
        } else if (metadata && !xml_child(metadata, NULL, NULL))
                /* Nothing but the tag was there: libvirt would keep <metadata/>. */
                xml_remove(metadata);
        r = xml_serialize(doc, xml, len, &out, &out_len);
        if (r >= 0)
                r = 1;
out:
        if (config)
                xmlFreeNode(config);
        xmlFreeDoc(doc);
        if (r == -ENOMEM)
                return oemkvm_error_set(err, r, "out of memory setting the tag");
        if (r < 0) {
                free(out);
                return r;
        }
        *ret_xml = out;
        return r;
}

static int dup_attr(const xmlNode *n, const char *name, const char **ret)
{
        const char *v = xml_attr(n, name);

        *ret = NULL;
        if (!v)
                return 0;
        *ret = strdup(v);
        return *ret ? 0 : -ENOMEM;
}

OEMKVM_EXPORT int oemkvm_tag_get(const char *xml, size_t len, struct oemkvm_tag **ret_tag,
                                 struct oemkvm_error *err)
{
        xmlDoc *doc = NULL;
        xmlNode *config;
        struct oemkvm_tag *tag = NULL;
        int r;

        r = xml_parse(xml, len, "domain XML", &doc, err);
        if (r < 0)
                return r;
        config = xml_child(xml_child(xmlDocGetRootElement(doc), NULL, "metadata"), OEMKVM_NS_CONFIG, "config");
        if (config && !(tag = calloc(1, sizeof(*tag))))
                r = -ENOMEM;
        xml_foreach(c, config, NULL, NULL) {
                /* virsh metadata --set leaves the children without a namespace. */
                if (r < 0 || (c->ns && !xml_is(c, OEMKVM_NS_CONFIG, NULL)))
                        continue;
                if (xmlStrEqual(c->name, BAD_CAST "license")) {
                        tag->license = true;
                        r = dup_attr(c, "source", &tag->license_dir);
                } else if (xmlStrEqual(c->name, BAD_CAST "topology"))
                        r = dup_attr(c, "edition", &tag->edition);
                else if (xmlStrEqual(c->name, BAD_CAST "virtio")) {
                        tag->virtio = true;
                        r = dup_attr(c, "drivers", &tag->drivers_iso);
                } else if (xmlStrEqual(c->name, BAD_CAST "gvt")) {
                        r = dup_attr(c, "parent", &tag->gvt_parent);
                        if (r >= 0)
                                r = dup_attr(c, "type", &tag->gvt_type);
                        if (r >= 0)
                                r = dup_attr(c, "rom", &tag->gvt_rom);
                }
        }
        xmlFreeDoc(doc);
        if (r < 0) {
                oemkvm_tag_free(tag);
                return oemkvm_error_set(err, r, "out of memory reading the tag");
        }
        *ret_tag = tag;
        return 0;
}

OEMKVM_EXPORT void oemkvm_tag_free(struct oemkvm_tag *tag)
{
        if (!tag)
                return;
        free((char *)tag->license_dir);
        free((char *)tag->edition);
        free((char *)tag->drivers_iso);
        free((char *)tag->gvt_parent);
        free((char *)tag->gvt_type);
        free((char *)tag->gvt_rom);
        free(tag);
}
