/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The patch engine's insides, shared by patch*.c.
 *
 * One run reads the tag (<oemkvm:config>) and the record of the previous
 * run (<oemkvm-state:state>, urn:oemkvm:state:1), lets each feature bring
 * the definition in line — or revert what it set when its tag child is gone
 * — and builds a new record.  Each record entry names one value oemkvm set
 * and what was there before; an entry with owner="user" marks a value the
 * user changed after oemkvm set it: it is theirs and left alone.  A value
 * that still equals the entry is oemkvm's; one without an entry (a new
 * device, or a stale redefine that brought no record) is patched afresh.
 */
#ifndef OEMKVM_PATCH_PRIV_H
#define OEMKVM_PATCH_PRIV_H

#include "xml-priv.h"

#define STATE_PREFIX "oemkvm-state"

struct patch {
        const struct oemkvm_ctx *ctx;
        struct oemkvm_error *err;
        xmlDoc *doc;
        xmlNode *domain;
        xmlNode *metadata;
        xmlNode *config;        /* <oemkvm:config>; NULL when untagged */
        xmlNode *record;        /* the input's record; NULL when none */
        xmlNode *new_record;    /* the record this run writes, unlinked until committed */
        bool changed;           /* the definition itself was edited */
        unsigned flags;
};

/* Parses the input and finds domain, metadata, tag and record.  Returns 1
 * when the input has neither tag nor record (nothing for oemkvm to do). */
int patch_load(struct patch *p, const char *xml, size_t len);
void patch_done(struct patch *p);

/*
 * The hook's question in one parse (patch.c): the engine's verdict, flags as
 * oemkvm_patch gives them, and — when the definition needs no change — the
 * license files it makes QEMU read (as oemkvm_patch_files; NULL otherwise).
 */
int patch_verify(const struct oemkvm_ctx *ctx, const char *xml, size_t len,
                 unsigned *ret_flags, char ***ret_files, struct oemkvm_error *err);

/* ---- the record (patch-state.c) */

/* The old record's entry `kind` whose attribute key equals value (key
 * NULL: the first `kind`); NULL when there is none. */
xmlNode *state_find(const struct patch *p, const char *kind, const char *key, const char *value);
bool state_is_user(const xmlNode *entry);
/* A new entry in the new record, attributes as name, value, …, NULL. */
xmlNode *state_add(struct patch *p, const char *kind, ...) __attribute__((sentinel));
/* Carries an old entry over unchanged. */
int state_keep(struct patch *p, const xmlNode *entry);
/* Records that the user owns the value entry described (key=value names
 * the device); flags USER_KEPT the first time. */
int state_user(struct patch *p, const xmlNode *old, const char *key, const char *value);
/* Writes the new record in place of the old one when they differ. */
int state_commit(struct patch *p);

/* ---- helpers on the definition (patch.c) */

/* <devices>, created when missing: call only to add a device. */
xmlNode *patch_devices(struct patch *p);
/* Marks the definition edited. */
static inline void patch_touch(struct patch *p)
{
        p->changed = true;
}
/* -EINVAL unless path is absolute, has no ".." component and (when
 * no_comma) no comma; the message names what and the fix. */
int patch_check_path(struct patch *p, const char *what, const char *path, bool no_comma);
/* Rejects attributes of a tag child other than those listed (NULL-terminated). */
int patch_check_attrs(struct patch *p, const xmlNode *feature, const char *const *known);

/* ---- the features; each applies (feature non-NULL) or reverts (NULL) */

int patch_license(struct patch *p, const xmlNode *feature);
int patch_topology(struct patch *p, const xmlNode *feature);
int patch_virtio(struct patch *p, const xmlNode *feature);

/* virtio's parts (patch-disk.c, patch-nic.c, patch-cdrom.c) */
int patch_disks(struct patch *p, bool apply);
int patch_scsi_controller(struct patch *p, bool apply);
int patch_nics(struct patch *p, bool apply);
int patch_cdrom(struct patch *p, const char *iso);
/* The first "sdX" no disk uses; -ENOSPC with a message when all are. */
int patch_free_sd(struct patch *p, char ret[static 8]);

/* License relocation for migrate/restore (patch-license.c). */
int patch_license_relocate(struct patch *p);
/* The license files the definition makes QEMU read (patch-license.c). */
int patch_license_files(struct patch *p, char ***ret);

#endif
