/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio storage: SATA/IDE disks onto bus scsi, served by an explicit
 * <controller type='scsi' model='virtio-scsi'/> (without one libvirt would
 * add an lsilogic controller Windows has no driver for).  Disks are matched
 * by target; a renamed hdX gets the first free sdX and the record keeps
 * the old name.  CD-ROMs stay where they are: install media must boot
 * before vioscsi is installed.
 *
 * Records: <disk target bus="scsi" [was-bus] [was-target]/>,
 *          <controller index model="virtio-scsi" (added="yes" | was-model)/>.
 */
#include <stdio.h>
#include <string.h>

#include "domain/domain.h"

/* The bus a target is on; libvirt infers a missing one from the name. */
static const char *disk_bus(const xmlNode *target)
{
        const char *bus = xml_attr(target, "bus"), *dev = xml_attr(target, "dev");

        if (bus || !dev)
                return bus;
        if (!strncmp(dev, "hd", 2))
                return "ide";
        if (!strncmp(dev, "sd", 2))
                return "scsi";
        if (!strncmp(dev, "vd", 2))
                return "virtio";
        return NULL;
}

/* A drive address names a unit on the old bus's controller: let libvirt
 * assign one on the new bus. */
static void drop_drive_address(xmlNode *disk)
{
        xmlNode *a = xml_child(disk, NULL, "address");

        if (a && xml_attr_is(a, "type", "drive"))
                xml_remove(a);
}

static int switch_disk(struct patch *p, xmlNode *disk, xmlNode *target, const char *dev)
{
        char newdev[8];
        int r;

        if (!strncmp(dev, "sd", 2))
                snprintf(newdev, sizeof(newdev), "%.7s", dev);
        else {
                r = patch_free_sd(p, newdev);
                if (r < 0)
                        return r;
        }
        if (!state_add(p, "disk", "target", newdev, "bus", "scsi", "was-bus", xml_attr(target, "bus"),
                       "was-target", strcmp(newdev, dev) ? dev : NULL, NULL))
                return -ENOMEM;
        if (xml_attr_set(target, "dev", newdev) < 0 || xml_attr_set(target, "bus", "scsi") < 0)
                return -ENOMEM;
        drop_drive_address(disk);
        p->flags |= OEMKVM_PATCH_BUS_SWITCHED;
        patch_touch(p);
        return 0;
}

static int revert_disk(struct patch *p, const xmlNode *old, xmlNode *disk, xmlNode *target)
{
        const char *was_bus, *was_target;
        int r;

        if ((r = state_get(p, old, "was-bus", STATE_BUS, &was_bus)) < 0 ||
            (r = state_get(p, old, "was-target", STATE_TARGET, &was_target)) < 0)
                return r;
        if (xml_attr_set(target, "bus", was_bus) < 0)
                return -ENOMEM;
        if (was_target && !patch_target_used(p, was_target) && xml_attr_set(target, "dev", was_target) < 0)
                return -ENOMEM;
        drop_drive_address(disk);
        patch_touch(p);
        return 0;
}

int patch_disks(struct patch *p, bool apply)
{
        xml_foreach(disk, xml_child(p->domain, NULL, "devices"), NULL, "disk") {
                xmlNode *target = xml_child(disk, NULL, "target");
                const char *dev = target ? xml_attr(target, "dev") : NULL;
                const char *bus = target ? disk_bus(target) : NULL;
                const xmlNode *old;
                int r = 0;

                if (!xml_attr_is(disk, "device", NULL) && !xml_attr_is(disk, "device", "disk"))
                        continue;
                if (!dev)
                        continue;
                old = state_find(p, "disk", "target", dev);
                if (old && state_is_user(old))
                        r = apply ? state_keep(p, old) : 0;
                else if (old && !(bus && !strcmp(bus, "scsi")))
                        /* Moved off SCSI after oemkvm put it there: the user's. */
                        r = apply ? state_user(p, old, "target", dev) : 0;
                else if (old)
                        r = apply ? state_keep(p, old) : revert_disk(p, old, disk, target);
                else if (apply && bus && (!strcmp(bus, "sata") || !strcmp(bus, "ide")))
                        r = switch_disk(p, disk, target, dev);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool is_scsi_controller(const xmlNode *c)
{
        return xml_attr_is(c, "type", "scsi");
}

/* libvirt numbers controllers of a type from 0; a missing index is 0 for
 * the first one. */
static const char *controller_index(const xmlNode *c)
{
        const char *i = xml_attr(c, "index");

        return i ? i : "0";
}

static bool any_scsi_disk(const struct patch *p)
{
        xml_foreach(disk, xml_child(p->domain, NULL, "devices"), NULL, "disk") {
                const xmlNode *t = xml_child(disk, NULL, "target");
                const char *bus = t ? disk_bus(t) : NULL;

                if (bus && !strcmp(bus, "scsi"))
                        return true;
        }
        return false;
}

static xmlNode *add_controller(struct patch *p)
{
        xmlNode *devices = patch_devices(p);
        xmlNode *c, *ref = NULL;

        if (!devices)
                return NULL;
        c = xml_new(NULL, "controller", "type", "scsi", "index", "0", "model", "virtio-scsi", NULL);
        if (!c)
                return NULL;
        xml_foreach(d, devices, NULL, "disk")
                ref = d;
        xml_foreach(d, devices, NULL, "controller")
                ref = d;
        xml_insert_after_or_append(devices, ref, c);
        patch_touch(p);
        return c;
}

static int revert_controller(struct patch *p, const xmlNode *old, xmlNode *c)
{
        const char *was_model;
        int r;

        if (xml_attr_is(old, "added", "yes")) {
                /* Controllers serving the user's own SCSI devices stay. */
                if (!any_scsi_disk(p)) {
                        xml_remove(c);
                        patch_touch(p);
                }
                return 0;
        }
        r = state_get(p, old, "was-model", STATE_MODEL_OR_EMPTY, &was_model);
        if (r < 0)
                return r;
        patch_touch(p);
        return xml_attr_set(c, "model", was_model && *was_model ? was_model : NULL);
}

int patch_scsi_controller(struct patch *p, bool apply)
{
        const xmlNode *devices = xml_child(p->domain, NULL, "devices");
        const xmlNode *old = state_find(p, "controller", NULL, NULL);
        xmlNode *first = NULL;

        if (old) {
                const char *index = xml_attr(old, "index");
                xmlNode *c = NULL;

                xml_foreach(d, devices, NULL, "controller")
                        if (!c && is_scsi_controller(d) && index && !strcmp(controller_index(d), index))
                                c = d;
                /* Deleted: its record goes, and the definition is looked at
                 * afresh below — in this pass, so the next one agrees. */
                if (c && state_is_user(old))
                        return apply ? state_keep(p, old) : 0;
                if (c && !xml_attr_is(c, "model", "virtio-scsi"))
                        return apply ? state_user(p, old, "index", index) : 0;
                if (c)
                        return apply ? state_keep(p, old) : revert_controller(p, old, c);
        }
        if (!apply || !any_scsi_disk(p))
                return 0;

        xml_foreach(d, devices, NULL, "controller") {
                if (!is_scsi_controller(d))
                        continue;
                if (xml_attr_is(d, "model", "virtio-scsi"))
                        return 0;
                if (!first)
                        first = d;
        }
        if (first) {
                const char *model = xml_attr(first, "model");

                /* was-model="" records that there was no model attribute. */
                if (!state_add(p, "controller", "index", controller_index(first), "model", "virtio-scsi",
                               "was-model", model ? model : "", NULL) ||
                    xml_attr_set(first, "model", "virtio-scsi") < 0)
                        return -ENOMEM;
                patch_touch(p);
                return 0;
        }
        if (!add_controller(p) ||
            !state_add(p, "controller", "index", "0", "model", "virtio-scsi", "added", "yes", NULL))
                return -ENOMEM;
        return 0;
}
