/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio network: every interface's model to virtio (NetKVM).  Interfaces
 * are matched by MAC — libvirt gives each one a MAC on define, and it
 * survives reordering; one without a MAC yet is left for the next run.
 * Passed-through host devices have no model and are skipped.
 *
 * Record: <interface mac model="virtio" [was-model]/> (no was-model: there
 * was no <model> element).
 */
#include <string.h>

#include "domain/domain.h"

static int switch_nic(struct patch *p, xmlNode *iface, xmlNode *model, const char *mac)
{
        if (!state_add(p, "interface", "mac", mac, "model", "virtio",
                       "was-model", model ? xml_attr(model, "type") : NULL, NULL))
                return -ENOMEM;
        if (!model) {
                model = xml_new(NULL, "model", "type", "virtio", NULL);
                if (!model)
                        return -ENOMEM;
                xml_insert_after(xml_child(iface, NULL, "mac"), model);
        } else if (xml_attr_set(model, "type", "virtio") < 0)
                return -ENOMEM;
        patch_touch(p);
        return 0;
}

static int revert_nic(struct patch *p, const xmlNode *old, xmlNode *model)
{
        const char *was;
        int r = state_get(p, old, "was-model", STATE_MODEL, &was);

        if (r < 0)
                return r;
        patch_touch(p);
        if (!was) {
                xml_remove(model);
                return 0;
        }
        return xml_attr_set(model, "type", was);
}

int patch_nics(struct patch *p, bool apply)
{
        xml_foreach(iface, xml_child(p->domain, NULL, "devices"), NULL, "interface") {
                const xmlNode *mac_el = xml_child(iface, NULL, "mac");
                const char *mac = mac_el ? xml_attr(mac_el, "address") : NULL;
                xmlNode *model = xml_child(iface, NULL, "model");
                bool virtio = model && xml_attr_is(model, "type", "virtio");
                const xmlNode *old;
                int r = 0;

                if (!mac || xml_attr_is(iface, "type", "hostdev"))
                        continue;
                old = state_find(p, "interface", "mac", mac);
                if (old && state_is_user(old))
                        r = apply ? state_keep(p, old) : 0;
                else if (old && !virtio)
                        /* Another model after oemkvm set virtio: the user's choice. */
                        r = apply ? state_user(p, old, "mac", mac) : 0;
                else if (old)
                        r = apply ? state_keep(p, old) : revert_nic(p, old, model);
                else if (apply && !virtio)
                        r = switch_nic(p, iface, model, mac);
                if (r < 0)
                        return r;
        }
        return 0;
}
