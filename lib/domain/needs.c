/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a domain needs from the host, for `oemkvm doctor`: the engine's
 * verdict on its definition (patched to match its tag?), the files its
 * license arguments name, and what its tag and definition ask of the
 * host — a drivers ISO, a vGPU of some type, a UEFI loader, an emulated
 * TPM, libvirt features of a certain age.  The doctor (lib/host) checks
 * these against the host without knowing the tag's grammar.
 */
#include <string.h>

#include "domain/domain.h"
#include "domain/engine.h"

/* The default parent of <oemkvm:gvt>: the iGPU's place on every Intel laptop. */
#define GVT_PARENT "0000:00:02.0"

OEMKVM_EXPORT void oemkvm_needs_clear(struct oemkvm_needs *n)
{
        if (!n)
                return;
        free(n->name);
        free(n->patch_error);
        oemkvm_strv_free(n->license_files);
        free(n->drivers_iso);
        free(n->gvt_parent);
        free(n->gvt_type);
        free(n->gvt_uuid);
        free(n->gvt_rom);
        free(n->loader);
        *n = (struct oemkvm_needs){};
}

static int dup_attr(const xmlNode *n, const char *name, char **ret)
{
        const char *v = xml_attr(n, name);

        if (!v)
                return 0;
        *ret = strdup(v);
        return *ret ? 0 : -ENOMEM;
}

static int dup_text(const xmlNode *n, char **ret)
{
        _cleanup_xml_str_ xmlChar *text = n ? xmlNodeGetContent(n) : NULL;
        size_t start, len;

        if (!text)
                return 0;
        start = strspn((const char *)text, " \t\r\n");
        len = strlen((const char *)text + start);
        while (len && strchr(" \t\r\n", ((const char *)text)[start + len - 1]))
                len--;
        if (!len)
                return 0;
        *ret = strndup((const char *)text + start, len);
        return *ret ? 0 : -ENOMEM;
}

/* The tag's children: virsh metadata --set leaves them without a namespace. */
static int read_tag(const xmlNode *config, struct oemkvm_needs *n)
{
        int r = 0;

        xml_foreach(c, config, NULL, NULL) {
                const char *name = (const char *)c->name;

                if (c->ns && !xmlStrEqual(c->ns->href, BAD_CAST OEMKVM_NS_CONFIG))
                        continue;
                if (!strcmp(name, "virtio"))
                        r = dup_attr(c, "drivers", &n->drivers_iso);
                else if (!strcmp(name, "gvt")) {
                        n->gvt = true;
                        r = dup_attr(c, "parent", &n->gvt_parent);
                        if (r >= 0 && !n->gvt_parent && !(n->gvt_parent = strdup(GVT_PARENT)))
                                r = -ENOMEM;
                        if (r >= 0)
                                r = dup_attr(c, "type", &n->gvt_type);
                        if (r >= 0)
                                r = dup_attr(c, "uuid", &n->gvt_uuid);
                        if (r >= 0)
                                r = dup_attr(c, "rom", &n->gvt_rom);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* What libvirt's own elements ask of the host. */
static int read_definition(const xmlNode *domain, struct oemkvm_needs *n)
{
        const xmlNode *os = xml_child(domain, NULL, "os");
        const xmlNode *loader = xml_child(os, NULL, "loader");
        const xmlNode *devices = xml_child(domain, NULL, "devices");
        int r;

        r = dup_text(xml_child(domain, NULL, "name"), &n->name);
        if (r >= 0) {
                char *uuid = NULL;

                r = dup_text(xml_child(domain, NULL, "uuid"), &uuid);
                if (uuid && strlen(uuid) < sizeof(n->uuid))
                        strcpy(n->uuid, uuid);
                free(uuid);
        }
        if (r >= 0)
                r = dup_text(loader, &n->loader);
        if (r < 0)
                return r;
        n->uefi = xml_attr_is(os, "firmware", "efi") || xml_attr_is(loader, "type", "pflash");
        n->secure_boot = xml_attr_is(loader, "secure", "yes");
        xml_foreach(f, xml_child(os, NULL, "firmware"), NULL, "feature")
                if (xml_attr_is(f, "name", "secure-boot") && xml_attr_is(f, "enabled", "yes"))
                        n->secure_boot = true;
        xml_foreach(t, devices, NULL, "tpm")
                if (xml_attr_is(xml_child(t, NULL, "backend"), "type", "emulator"))
                        n->tpm_emulator = true;
        xml_foreach(h, devices, NULL, "hostdev") {
                if (!xml_attr_is(h, "type", "mdev"))
                        continue;
                if (xml_attr_is(h, "ramfb", "on"))
                        n->mdev_ramfb = true;
                if (!n->gvt_uuid && (r = dup_attr(xml_child(xml_child(h, NULL, "source"), NULL, "address"),
                                                   "uuid", &n->gvt_uuid)) < 0)
                        return r;
        }
        n->qemu_override = xml_child(domain, OEMKVM_NS_QEMU, "override") != NULL;
        return 0;
}

OEMKVM_EXPORT int oemkvm_domain_needs(const struct oemkvm_ctx *ctx, const char *xml, size_t len,
                                      struct oemkvm_needs *ret, struct oemkvm_error *err)
{
        struct oemkvm_needs n = {};
        struct oemkvm_error sub = {};
        xmlDoc *doc = NULL;
        const xmlNode *domain, *config;
        int r;

        r = xml_parse(xml, len, "domain XML", &doc, err);
        if (r < 0)
                return r;
        domain = xmlDocGetRootElement(doc);
        if (!xml_is(domain, NULL, "domain")) {
                xmlFreeDoc(doc);
                return oemkvm_error_set(err, -EINVAL, "domain XML: the root element is <%s>, expected <domain>",
                                        (const char *)domain->name);
        }
        config = xml_child(xml_child(domain, NULL, "metadata"), OEMKVM_NS_CONFIG, "config");
        n.tagged = config != NULL;
        r = read_definition(domain, &n);
        if (r >= 0)
                r = read_tag(config, &n);
        xmlFreeDoc(doc);
        if (r >= 0 && n.tagged) {
                /* The hook's own question: would it let this definition start? */
                struct patch *p = NULL;

                r = patch_open(xml, len, &p, &sub);
                if (r >= 0)
                        r = patch_verify(ctx, p, &n.patch_flags, &n.license_files, NULL, &sub);
                patch_free(p);
                if (r == -ENOMEM)
                        goto fail;
                if (r < 0 && !(n.patch_error = strdup(sub.message[0] ? sub.message : strerror(-r))))
                        r = -ENOMEM;
                else
                        r = 0;
        }
        if (r < 0)
                goto fail;
        *ret = n;
        return 0;
fail:
        oemkvm_needs_clear(&n);
        return oemkvm_error_set(err, r, "out of memory reading the domain XML");
}
