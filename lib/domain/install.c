/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The definition `oemkvm install` defines: virt-install's own XML for a
 * Windows 11 guest (UEFI, TPM 2.0, Hyper-V enlightenments — its choices,
 * not ours), in its first-boot form (install medium, then disk), tagged
 * and run through the engine, so the very first start is already
 * patched.  One change virt-install's install-phase XML needs: it sets
 * on_reboot=destroy because virt-install redefines the domain itself after
 * the first boot; defined as it is, Setup's first reboot would end the
 * install.
 */
#include <string.h>

#include "domain/domain.h"

/* Windows 11 Setup refuses a machine without UEFI or TPM 2.0: say which
 * package gives libvirt what virt-install could not find. */
static int check_windows11(const xmlNode *domain, struct oemkvm_error *err)
{
        const xmlNode *os = xml_child(domain, NULL, "os");
        const xmlNode *loader = xml_child(os, NULL, "loader");
        bool tpm = false;

        if (!xml_attr_is(os, "firmware", "efi") && !xml_attr_is(loader, "type", "pflash"))
                return oemkvm_error_set(err, -ENODEV,
                                        "virt-install chose no UEFI firmware, which Windows 11 needs: libvirt finds no UEFI firmware on this host — install it (Debian/Ubuntu: sudo apt install ovmf) and restart libvirtd");
        xml_foreach(t, xml_child(domain, NULL, "devices"), NULL, "tpm")
                if (xml_attr_is(xml_child(t, NULL, "backend"), "type", "emulator"))
                        tpm = true;
        if (!tpm)
                return oemkvm_error_set(err, -ENODEV,
                                        "virt-install added no TPM 2.0, which Windows 11 needs: libvirt offers no TPM emulator on this host — install swtpm (Debian/Ubuntu: sudo apt install swtpm swtpm-tools) and restart libvirtd");
        return 0;
}

static int set_on_reboot(xmlNode *domain)
{
        xmlNode *n = xml_child(domain, NULL, "on_reboot");

        /* Absent means restart to libvirt. */
        if (!n)
                return 0;
        xmlNodeSetContent(n, BAD_CAST "restart");
        return 0;
}

OEMKVM_EXPORT int oemkvm_install_build(const struct oemkvm_ctx *ctx, const char *xml, size_t len,
                                       const struct oemkvm_tag *tag, struct oemkvm_patch_result *ret,
                                       struct oemkvm_error *err)
{
        _cleanup_free_ char *restarting = NULL, *tagged = NULL;
        size_t restarting_len;
        xmlDoc *doc = NULL;
        xmlNode *domain;
        int r;

        r = xml_parse(xml, len, "virt-install's domain XML", &doc, err);
        if (r < 0)
                return r;
        domain = xmlDocGetRootElement(doc);
        if (!xml_is(domain, NULL, "domain"))
                r = oemkvm_error_set(err, -EINVAL, "virt-install's XML has no <domain>");
        if (r >= 0)
                r = check_windows11(domain, err);
        if (r >= 0)
                r = set_on_reboot(domain);
        if (r >= 0)
                r = xml_serialize(doc, xml, len, &restarting, &restarting_len);
        xmlFreeDoc(doc);
        if (r >= 0)
                r = oemkvm_tag_set(tag, restarting, restarting_len, &tagged, err);
        if (r >= 0)
                r = oemkvm_patch(ctx, tagged, strlen(tagged), ret, err);
        if (r == -ENOMEM && err && !err->message[0])
                oemkvm_error_set(err, r, "out of memory building the domain XML");
        return r < 0 ? r : 0;
}

OEMKVM_EXPORT int oemkvm_install_boot_disk(const char *xml, size_t len, char **ret_xml,
                                           struct oemkvm_error *err)
{
        xmlDoc *doc = NULL;
        xmlNode *os;
        size_t out_len;
        bool changed = false;
        int r;

        r = xml_parse(xml, len, "domain XML", &doc, err);
        if (r < 0)
                return r;
        os = xml_child(xmlDocGetRootElement(doc), NULL, "os");
        for (xmlNode *b = xml_child(os, NULL, "boot"), *next; b; b = next) {
                next = xml_next(b, NULL, "boot");
                if (xml_attr_is(b, "dev", "cdrom")) {
                        xml_remove(b);
                        changed = true;
                }
        }
        /* Never leave <os> without a boot device: libvirt would pick one. */
        if (changed && !xml_child(os, NULL, "boot")) {
                xmlNode *hd = xml_new(NULL, "boot", "dev", "hd", NULL);

                if (!hd)
                        r = -ENOMEM;
                else
                        xml_append(os, hd);
        }
        if (r >= 0 && changed)
                r = xml_serialize(doc, xml, len, ret_xml, &out_len);
        xmlFreeDoc(doc);
        if (r < 0)
                return oemkvm_error_set(err, r, "out of memory editing the boot order");
        return changed;
}

/* <disk> elements whose <source> names a file or device. */
static const char *disk_source(const xmlNode *disk)
{
        const xmlNode *s = xml_child(disk, NULL, "source");
        const char *file = xml_attr(s, "file");

        return file ? file : xml_attr(s, "dev");
}

OEMKVM_EXPORT int oemkvm_install_disk_path(const char *xml, size_t len, char **ret_path,
                                           struct oemkvm_error *err)
{
        xmlDoc *doc = NULL;
        char *path = NULL;
        int r;

        r = xml_parse(xml, len, "virt-install's domain XML", &doc, err);
        if (r < 0)
                return r;
        xml_foreach(d, xml_child(xmlDocGetRootElement(doc), NULL, "devices"), NULL, "disk")
                if (!path && xml_attr_is(d, "device", "disk") && disk_source(d))
                        path = strdup(disk_source(d));
        xmlFreeDoc(doc);
        if (!path)
                return oemkvm_error_set(err, -ENOENT, "virt-install's XML names no disk image");
        *ret_path = path;
        return 0;
}

OEMKVM_EXPORT bool oemkvm_domain_uses_disk(const char *xml, size_t len, const char *path)
{
        xmlDoc *doc = NULL;
        bool used = false;

        if (xml_parse(xml, len, "domain XML", &doc, NULL) < 0)
                return false;
        xml_foreach(d, xml_child(xmlDocGetRootElement(doc), NULL, "devices"), NULL, "disk")
                if (disk_source(d) && !strcmp(disk_source(d), path))
                        used = true;
        xmlFreeDoc(doc);
        return used;
}
