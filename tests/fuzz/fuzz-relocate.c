/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The migrate/restore filter on any domain XML, relocating into the
 * fuzz store's "saved" dump ("@STORE@" stands for the store).  Properties:
 * libvirt checks ABI stability on what the hook hands back, so relocation
 * changes nothing but the values of <qemu:arg> and of oemkvm's record;
 * relocating the output again gives the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/xml.h"

/* Drops the attributes relocation may change: qemu:arg values and the record. */
static void strip_paths(xmlNode *n)
{
        xmlNode *c = xml_child(n, NULL, NULL);

        if (xml_is(n, OEMKVM_NS_QEMU, "arg"))
                xmlUnsetProp(n, BAD_CAST "value");
        while (c) {
                xmlNode *next = xml_next(c, NULL, NULL);

                if (xml_is(c, OEMKVM_NS_STATE, "state"))
                        xml_remove(c);
                else
                        strip_paths(c);
                c = next;
        }
}

static xmlDoc *stripped(const char *xml, size_t len)
{
        xmlDoc *doc = NULL;

        if (xml_parse(xml, len, "fuzz", &doc, NULL) < 0)
                fuzz_fail("relocation's input or output does not parse");
        strip_paths(xmlDocGetRootElement(doc));
        return doc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct oemkvm_ctx *ctx;
        struct oemkvm_patch_result res = {}, again = {};
        struct oemkvm_error err = {};
        xmlDoc *a, *b;
        size_t len;
        char *xml;

        if (!ctx) {
                char saved[4200];

                snprintf(saved, sizeof(saved), "%s/saved", fuzz_store());
                ctx = fuzz_ctx(saved);
        }
        xml = fuzz_xml(data, size, &len);
        if (oemkvm_patch_relocate(ctx, xml, len, &res, &err) < 0)
                goto done;
        if (res.flags & OEMKVM_PATCH_CHANGED) {
                a = stripped(xml, len);
                b = stripped(res.xml, res.len);
                if (!xml_equal(xmlDocGetRootElement(a), xmlDocGetRootElement(b)))
                        fuzz_fail("relocation changed more than file paths:\n--- in\n%s\n--- out\n%s", xml, res.xml);
                xmlFreeDoc(a);
                xmlFreeDoc(b);
        } else if (res.len != len || memcmp(res.xml, xml, len))
                fuzz_fail("an unchanged relocation did not hand back the input bytes");
        if (oemkvm_patch_relocate(ctx, res.xml, res.len, &again, &err) < 0)
                fuzz_fail("relocating the output again fails: %s", err.message);
        if (again.len != res.len || memcmp(again.xml, res.xml, res.len))
                fuzz_fail("relocating the output again changes it");
done:
        oemkvm_patch_result_clear(&res);
        oemkvm_patch_result_clear(&again);
        free(xml);
        return 0;
}
