/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mediated devices (mdev) on the host, the kernel side of GVT-g: the types
 * each parent device offers, whether a device is active, creating and
 * removing one through sysfs, and starting and stopping one that mdevctl's
 * configuration defines with the mdevctl binary.
 *
 * Every path is built from the context's sysroot and names that passed the
 * grammars below, under /sys/class/mdev_bus, /sys/bus/mdev/devices and
 * /etc/mdevctl.d only.  A write to sysfs returns the kernel's errno
 * (-ENOSPC: the type has no room left; -EEXIST: the UUID is in use).
 */
#ifndef OEMKVM_HOST_MDEV_H
#define OEMKVM_HOST_MDEV_H

#include "oemkvm.h"

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" and its NUL. */
#define OEMKVM_UUID_SIZE 37

/* ---------------------------------------------------------------- names */

/*
 * A UUID in the 8-4-4-4-12 hex form, either case; out (may be NULL) gets
 * the lowercase form sysfs and mdevctl use.  0 or -EINVAL.
 */
int oemkvm_mdev_uuid_parse(const char *s, char out[OEMKVM_UUID_SIZE]);
/* A PCI address as sysfs spells it, "0000:00:02.0" (lowercase hex). */
bool oemkvm_mdev_parent_is_pci(const char *s);
/*
 * A parent: a PCI address, or a plain device name as the kernel's sample
 * drivers register ("mbochs", "mtty"): letters, digits, '_', '-', '.', ':',
 * starting with a letter or digit, at most 64 characters, no "..".
 */
bool oemkvm_mdev_parent_valid(const char *s);
/* A type directory's name ("i915-GVTg_V5_4", "mbochs-medium"): the same
 * characters and '+', at most 96, no "..". */
bool oemkvm_mdev_type_valid(const char *s);

/* ---------------------------------------------------------------- parse */

/* available_instances: decimal digits and an optional newline. */
int oemkvm_mdev_parse_count(const char *buf, size_t len, const char *origin, unsigned *ret,
                            struct oemkvm_error *err);

/*
 * The resolved target of a device's mdev_type link,
 * ".../<parent>/mdev_supported_types/<type>": its parent and type (malloc'd).
 */
int oemkvm_mdev_parse_type_path(const char *path, char **ret_parent, char **ret_type,
                                struct oemkvm_error *err);

/* What mdevctl's definition of a device says (/etc/mdevctl.d/<parent>/<uuid>). */
struct oemkvm_mdev_config {
        char *type;                     /* "mdev_type" */
        bool autostart;                 /* "start": "auto" (else "manual") */
};

/*
 * mdevctl's JSON: an object with "mdev_type" (a string, required), "start"
 * ("auto" or "manual", optional) and members oemkvm does not use ("attrs").
 */
int oemkvm_mdev_config_parse(const char *buf, size_t len, const char *origin,
                             struct oemkvm_mdev_config *ret, struct oemkvm_error *err);
void oemkvm_mdev_config_clear(struct oemkvm_mdev_config *cfg);

/* ---------------------------------------------------------------- read */

/* One type; -ENODEV when the parent is not there, -ENOENT when the type is not. */
int oemkvm_mdev_type_read(const struct oemkvm_ctx *ctx, const char *parent, const char *type,
                          struct oemkvm_mdev_type *ret, struct oemkvm_error *err);
void oemkvm_mdev_type_clear(struct oemkvm_mdev_type *t);

/* An active device: /sys/bus/mdev/devices/<uuid> and its mdev_type link. */
struct oemkvm_mdev_device {
        char uuid[OEMKVM_UUID_SIZE];
        char *parent;
        char *type;
};

/* -ENOENT (with a message) when the device is not active. */
int oemkvm_mdev_device_read(const struct oemkvm_ctx *ctx, const char *uuid,
                            struct oemkvm_mdev_device *ret, struct oemkvm_error *err);
void oemkvm_mdev_device_clear(struct oemkvm_mdev_device *dev);

/* Every active device of `parent` (NULL: all), sorted by UUID. */
int oemkvm_mdev_devices_read(const struct oemkvm_ctx *ctx, const char *parent,
                             struct oemkvm_mdev_device **ret, size_t *ret_n,
                             struct oemkvm_error *err);
void oemkvm_mdev_devices_free(struct oemkvm_mdev_device *devs, size_t n);

/* mdevctl's definition of parent/uuid; -ENOENT when mdevctl defines none. */
int oemkvm_mdev_config_read(const struct oemkvm_ctx *ctx, const char *parent, const char *uuid,
                            struct oemkvm_mdev_config *ret, struct oemkvm_error *err);

/* ---------------------------------------------------------------- act */

/* Writes the UUID to the type's `create`: the kernel's errno on failure. */
int oemkvm_mdev_create(const struct oemkvm_ctx *ctx, const char *parent, const char *type,
                       const char *uuid, struct oemkvm_error *err);
/* Writes 1 to the device's `remove`; -ENOENT when it is not active. */
int oemkvm_mdev_remove(const struct oemkvm_ctx *ctx, const char *uuid, struct oemkvm_error *err);

/* How a device was started, so it is stopped the same way. */
enum oemkvm_mdev_via {
        OEMKVM_MDEV_VIA_SYSFS = 1,
        OEMKVM_MDEV_VIA_MDEVCTL = 2,
};

/*
 * How parent/uuid is to be started: with mdevctl when mdevctl's
 * configuration defines it (so `mdevctl list` stays true), else through
 * sysfs.  A definition of another type than `type` is -EINVAL.
 */
int oemkvm_mdev_via(const struct oemkvm_ctx *ctx, const char *parent, const char *type,
                    const char *uuid, enum oemkvm_mdev_via *ret_via, struct oemkvm_error *err);

/*
 * Starts parent/type/uuid the way oemkvm_mdev_via said: sysfs create, or
 * `mdevctl start` (-ENOSPC when the type has no available instance, which
 * mdevctl refuses without an errno).  mdevctl acts on this machine only:
 * -EXDEV under another sysroot.
 */
int oemkvm_mdev_start(const struct oemkvm_ctx *ctx, const char *parent, const char *type,
                      const char *uuid, enum oemkvm_mdev_via via, struct oemkvm_error *err);
/* Stops a device the way it was started. */
int oemkvm_mdev_stop(const struct oemkvm_ctx *ctx, const char *parent, const char *uuid,
                     enum oemkvm_mdev_via via, struct oemkvm_error *err);

/*
 * The running domain whose QEMU holds device uuid: a process under
 * <sysroot>/proc whose command line names /sys/bus/mdev/devices/<uuid>,
 * and its `-name guest=NAME`.  *ret_name is malloc'd; -ENOENT when no
 * process holds it.
 */
int oemkvm_mdev_holder(const struct oemkvm_ctx *ctx, const char *uuid, char **ret_name);

#endif
