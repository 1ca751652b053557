/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tag builder: the <config> element `oemkvm tag` hands to
 * virDomainSetMetadata, built as a libxml2 tree and checked with the same
 * rules the engine applies, so a tag the engine would refuse is never set.
 */
#include <stdarg.h>
#include <string.h>

#include "domain/domain.h"

/* A child of config with attributes name, value, … (NULL values left out). */
static int add_feature(xmlNode *config, const char *name, ...) __attribute__((sentinel));
static int add_feature(xmlNode *config, const char *name, ...)
{
        xmlNode *c = xmlNewChild(config, NULL, BAD_CAST name, NULL);
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
        return r;
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
        config = xmlNewNode(NULL, BAD_CAST "config");
        r = config ? 0 : -ENOMEM;
        if (r >= 0 && (tag->license || tag->license_dir))
                r = add_feature(config, "license", "source", tag->license_dir, NULL);
        if (r >= 0 && tag->edition)
                r = add_feature(config, "topology", "edition", tag->edition, NULL);
        if (r >= 0 && (tag->virtio || tag->drivers_iso))
                r = add_feature(config, "virtio", "storage", "scsi", "network", "virtio",
                                "drivers", tag->drivers_iso, NULL);
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
