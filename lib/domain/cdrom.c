/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio drivers: one extra SATA CD-ROM holding the virtio-win ISO, so
 * Windows (setup or an installed one) can load vioscsi and NetKVM.  SATA,
 * not SCSI: the drivers must be readable before vioscsi is installed.
 * A CD-ROM the user already points at the ISO is theirs and enough.
 *
 * The ISO is checked whenever oemkvm points a CD-ROM at it (exists, is a
 * regular file, has an ISO 9660 volume descriptor), so a typo in drivers=
 * is refused by `tag`, `apply` and the watcher with the fix, not found by
 * libvirt at the next start.
 *
 * Record: <cdrom target file/>.  If the user ejects, swaps or removes it,
 * it is theirs and not added back.
 */
#include <string.h>

#include "domain/domain.h"

/* ISO 9660: the volume descriptors start at sector 16 (byte 32768), each
 * "<type>CD001<version>". */
#define ISO9660_ID_OFFSET (16 * 2048 + 1)

static int check_iso(struct patch *p, const char *iso)
{
        struct oemkvm_error sub = {};
        char id[5];
        int n;

        n = domain_read_file("virtio: the drivers ISO", iso, ISO9660_ID_OFFSET, id, sizeof(id), &sub);
        if (n < 0)
                return oemkvm_error_set(p->err, n,
                                        "%s — fix <oemkvm:virtio drivers=> ('oemkvm tag DOMAIN --virtio=/path/to/virtio-win.iso'), or leave the ISO out (--virtio)",
                                        sub.message);
        if (n != sizeof(id) || memcmp(id, "CD001", sizeof(id)))
                return oemkvm_error_set(p->err, -EINVAL,
                                        "virtio: the drivers ISO '%s' is not an ISO 9660 image (no CD001 volume descriptor at byte %d) — point drivers= at the virtio-win ISO",
                                        iso, ISO9660_ID_OFFSET);
        return 0;
}

static xmlNode *find_cdrom(const struct patch *p, const char *dev, const char *file)
{
        xml_foreach(d, xml_child(p->domain, NULL, "devices"), NULL, "disk") {
                const xmlNode *t = xml_child(d, NULL, "target");
                const xmlNode *s = xml_child(d, NULL, "source");

                if (!xml_attr_is(d, "device", "cdrom"))
                        continue;
                if (dev && !(t && xml_attr_is(t, "dev", dev)))
                        continue;
                if (file && !(s && xml_attr_is(s, "file", file)))
                        continue;
                return d;
        }
        return NULL;
}

static int add_cdrom(struct patch *p, const char *iso)
{
        xmlNode *devices, *d, *ref = NULL;
        char dev[8];
        int r;

        r = patch_free_sd(p, dev);
        if (r < 0)
                return r;
        devices = patch_devices(p);
        d = xml_new(NULL, "disk", "type", "file", "device", "cdrom", NULL);
        if (!devices || !d ||
            !xmlAddChild(d, xml_new(NULL, "driver", "name", "qemu", "type", "raw", NULL)) ||
            !xmlAddChild(d, xml_new(NULL, "source", "file", iso, NULL)) ||
            !xmlAddChild(d, xml_new(NULL, "target", "dev", dev, "bus", "sata", NULL)) ||
            !xmlAddChild(d, xml_new(NULL, "readonly", NULL))) {
                xmlFreeNode(d);
                return -ENOMEM;
        }
        xml_foreach(x, devices, NULL, "disk")
                ref = x;
        xml_insert_after_or_append(devices, ref, d);
        patch_touch(p);
        return state_add(p, "cdrom", "target", dev, "file", iso, NULL) ? 0 : -ENOMEM;
}

int patch_cdrom(struct patch *p, const char *iso)
{
        const xmlNode *old = state_find(p, "cdrom", NULL, NULL);
        const char *dev, *file;
        xmlNode *d;

        if (old && state_is_user(old))
                return iso ? state_keep(p, old) : 0;
        if (iso) {
                int r = check_iso(p, iso);

                if (r < 0)
                        return r;
        }
        if (!old)
                return iso && !find_cdrom(p, NULL, iso) ? add_cdrom(p, iso) : 0;

        dev = xml_attr(old, "target");
        file = xml_attr(old, "file");
        d = dev && file ? find_cdrom(p, dev, file) : NULL;
        if (!d)
                return iso ? state_user(p, old, "target", dev) : 0;
        if (!iso) {
                xml_remove(d);
                patch_touch(p);
                return 0;
        }
        if (strcmp(iso, file)) {
                if (xml_attr_set(xml_child(d, NULL, "source"), "file", iso) < 0)
                        return -ENOMEM;
                patch_touch(p);
        }
        return state_add(p, "cdrom", "target", dev, "file", iso, NULL) ? 0 : -ENOMEM;
}
