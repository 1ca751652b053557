/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <oemkvm:virtio storage="scsi" network="virtio" drivers=ISO>: disks onto
 * an explicit virtio-scsi controller, NICs onto virtio-net, and a SATA
 * CD-ROM with the virtio-win drivers so Windows can load them.  Each
 * attribute is optional; storage and network default to the only value
 * they take, drivers to no CD-ROM.
 */
#include <string.h>

#include "domain/domain.h"

int patch_virtio(struct patch *p, const xmlNode *feature)
{
        const char *iso = NULL;
        int r;

        if (feature) {
                const char *storage = xml_attr(feature, "storage");
                const char *network = xml_attr(feature, "network");
                char shown[DOMAIN_SHOWN_MAX];

                if (storage && strcmp(storage, "scsi")) {
                        domain_shown(storage, shown);
                        return oemkvm_error_set(p->err, -EINVAL,
                                                "<oemkvm:virtio storage='%s'>: the storage bus is 'scsi' (virtio-scsi) — fix or drop the attribute",
                                                shown);
                }
                if (network && strcmp(network, "virtio")) {
                        domain_shown(network, shown);
                        return oemkvm_error_set(p->err, -EINVAL,
                                                "<oemkvm:virtio network='%s'>: the NIC model is 'virtio' — fix or drop the attribute",
                                                shown);
                }
                iso = xml_attr(feature, "drivers");
                if (iso) {
                        r = domain_check_path("<oemkvm:virtio drivers=>", iso, p->err);
                        if (r < 0)
                                return r;
                }
        }

        /* Disks before the controller: a revert removes the controller only
         * once no disk is left on it. */
        r = patch_disks(p, feature != NULL);
        if (r < 0)
                return r;
        r = patch_scsi_controller(p, feature != NULL);
        if (r < 0)
                return r;
        r = patch_nics(p, feature != NULL);
        if (r < 0)
                return r;
        return patch_cdrom(p, iso);
}
