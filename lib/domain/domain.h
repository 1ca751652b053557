/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The patch engine's insides, shared by the driver (engine.c), the record
 * (record.c), the helpers (helpers.c, edition.c) and one file per feature.
 * Calls go driver -> features -> record/helpers, never back up.
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
#ifndef OEMKVM_DOMAIN_H
#define OEMKVM_DOMAIN_H

#include "host/mdev.h"
#include "util/xml.h"

#define STATE_PREFIX "oemkvm-state"

/* What <oemkvm:gvt> asks the hook to run (gvt.c fills it in, the runtime reads it). */
struct patch_gvt {
        const char *parent;             /* NULL: the domain has no vGPU; points into the tag */
        const char *type;
        char uuid[OEMKVM_UUID_SIZE];    /* the device the definition names */
        char *rom;                      /* the romfile QEMU reads; NULL: none */
};

struct patch {
        const struct oemkvm_ctx *ctx;
        struct oemkvm_error *err;
        xmlDoc *doc;
        xmlNode *domain;
        xmlNode *metadata;
        xmlNode *config;        /* <oemkvm:config>; NULL when untagged */
        xmlNode *record;        /* the input's record; NULL when none */
        xmlNode *new_record;    /* the record this run writes, unlinked until committed */
        /* The new record's entries in order: its own new ones, and old
         * ones carried over uncopied (record.c). */
        const xmlNode **entries;
        size_t n_entries, entries_cap;
        bool changed;           /* the definition (record included) was edited */
        unsigned edits;         /* edits outside the record */
        unsigned user_marks;    /* values marked as the user's */
        bool checking_new;      /* state_refuse: the value came from the definition */
        unsigned follows;       /* record updates that follow the user's own edit */
        unsigned flags;
        char **notes;           /* what a person should read about this run */
        size_t n_notes;
        char *summary;          /* what was done, once the run changed something */
        struct state_slot *index; /* the record's keyed entries (record.c) */
        size_t index_cap;
        struct patch_gvt gvt;
};

/* ---- the record (record.c) */

/* Indexes the input's record for state_find; once per run, after parsing. */
int state_index(struct patch *p);
void state_index_free(struct patch *p);

/* The old record's entry `kind` whose attribute key equals value (key
 * NULL: the first `kind`); NULL when there is none. */
xmlNode *state_find(const struct patch *p, const char *kind, const char *key, const char *value);
bool state_is_user(const xmlNode *entry);
/* A new entry in the new record, attributes as name, value, …, NULL. */
xmlNode *state_add(struct patch *p, const char *kind, ...) __attribute__((sentinel));
/* Takes back an entry state_add made (scaffolding that is not kept). */
void state_drop(struct patch *p, xmlNode *entry);
/* Carries an old entry over unchanged. */
int state_keep(struct patch *p, const xmlNode *entry);
/* Carries an old entry's child over unchanged, into a new entry. */
int state_keep_child(xmlNode *new_entry, const xmlNode *old_child);
/* Records that the user owns the value entry described (key=value names
 * the device); flags USER_KEPT the first time. */
int state_user(struct patch *p, const xmlNode *old, const char *key, const char *value);
/* Writes the new record in place of the old one when they differ. */
int state_commit(struct patch *p);
void state_entries_free(struct patch *p);

/* What a record value must look like before a revert writes it back into
 * the definition, or anything finds, compares or acts on it: the record
 * sits in the domain XML, where anyone who edits the definition can edit
 * it too. */
enum state_grammar {
        STATE_BUS,              /* a libvirt disk bus: sata, ide, … */
        STATE_TARGET,           /* a disk target name: hdc, sdb, vda, … */
        STATE_MODEL,            /* a device model name: e1000e, lsilogic, … */
        STATE_MODEL_OR_EMPTY,   /* the same, or "" for "there was none" */
        STATE_COUNT,            /* a topology count, 1…4096 */
        STATE_ARG,              /* a QEMU argument: printable, one line */
        STATE_INDEX,            /* a controller index: plain decimal, 0…65535 */
        STATE_MAC,              /* a MAC address: six hex pairs, colons */
        STATE_PATH,             /* a path: domain_check_path's rules */
        STATE_UUID,             /* a UUID, 8-4-4-4-12 hex digits */
        STATE_MDEV_PARENT,      /* an mdev parent: a PCI address or device name */
        STATE_MDEV_TYPE,        /* an mdev type name: i915-GVTg_V5_4, … */
};
/*
 * The attribute's value (NULL when absent) if it fits the grammar; else
 * -EINVAL with one line naming the entry, the value and the fix.
 */
int state_get(struct patch *p, const xmlNode *entry, const char *attr, enum state_grammar g,
              const char **ret);
/* -EINVAL with state_get's line: entry's attr is not `what` ("a disk bus"). */
int state_refuse(struct patch *p, const xmlNode *entry, const char *attr, const char *what);
/*
 * -EINVAL with state_get's line for the first attribute of the record
 * that is not of its grammar: the ones the engine reads only to find
 * entries and devices, to compare, or as flags.  Once per run, after
 * parsing, before anything reads the record.
 */
int state_check(struct patch *p);

/* ---- helpers on the definition (helpers.c) */

/* <devices>, created when missing: call only to add a device. */
xmlNode *patch_devices(struct patch *p);
/* Does a disk use target dev? */
bool patch_target_used(const struct patch *p, const char *dev);
/* The first "sdX" no disk uses; -ENOSPC with a message when all are. */
int patch_free_sd(struct patch *p, char ret[static 8]);
/* Marks the definition edited. */
static inline void patch_touch(struct patch *p)
{
        p->changed = true;
        p->edits++;
}
/* Adds one line for the person running oemkvm (what was kept, adopted,
 * followed); -ENOMEM. */
int patch_note(struct patch *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Reads up to len bytes at off from path without blocking (O_NONBLOCK, and
 * fstat must say regular file): the number read, or -errno with "<what>
 * '<path>' …" in err.  For files the user names in the definition.
 */
int domain_read_file(const char *what, const char *path, off_t off, void *buf, size_t len,
                     struct oemkvm_error *err);
/* The longest path a tag may name (bytes). */
#define DOMAIN_PATH_MAX 1024
/*
 * -EINVAL unless a path from metadata is absolute, has no ".." component,
 * is at most DOMAIN_PATH_MAX bytes, holds no control character and none of
 * , = " ' < > & \ * ? [ ] { }, and is not under /proc, /sys or /dev; the
 * message names `what` (the attribute) and the fix.
 */
int domain_check_path(const char *what, const char *path, struct oemkvm_error *err);
/*
 * A path from metadata that QEMU only reads may be a link (Fedora's
 * virtio-win.iso names the versioned file): where it leads must pass
 * domain_check_path too, or a link would carry the read into /proc, /sys
 * or /dev.  0 also when nothing is there (the caller's open says so).
 */
int domain_check_link(const char *what, const char *path, struct oemkvm_error *err);
/* A value from metadata as messages show it: control characters escaped,
 * cut at DOMAIN_SHOWN_MAX bytes, so a message stays one short line. */
#define DOMAIN_SHOWN_MAX 96
void domain_shown(const char *value, char out[static DOMAIN_SHOWN_MAX]);

/* ---- Windows editions (edition.c) */

struct edition {
        const char *name;       /* as in <oemkvm:topology edition=…> */
        const char *label;      /* as Microsoft names it */
        unsigned sockets;       /* the most sockets it uses */
        unsigned cores;         /* the most cores it uses, all sockets together */
};
const struct edition *edition_find(const char *name);
/* The i-th edition, NULL past the end: for lists in messages. */
const struct edition *edition_at(size_t i);
/* -EINVAL with the list of editions unless name is one. */
int edition_check(const char *name, struct oemkvm_error *err);

/* ---- the features (engine.c's table); each applies (tag child non-NULL) or
 * reverts (NULL).  The driver has checked the child's attribute names. */

int patch_license(struct patch *p, const xmlNode *feature);
int patch_topology(struct patch *p, const xmlNode *feature);
int patch_virtio(struct patch *p, const xmlNode *feature);
int patch_gvt(struct patch *p, const xmlNode *feature);

/* virtio's parts (disk.c, nic.c, cdrom.c) */
int patch_disks(struct patch *p, bool apply);
int patch_scsi_controller(struct patch *p, bool apply);
int patch_nics(struct patch *p, bool apply);
int patch_cdrom(struct patch *p, const char *iso);

/* What a license-shaped <qemu:arg> pair the user wrote makes QEMU load
 * (qemuargs.c); the order of license.c's files. */
enum license_kind {
        LICENSE_NONE = -1,
        LICENSE_MSDM,
        LICENSE_SLIC,
        LICENSE_SMBIOS0,
        LICENSE_SMBIOS1,
};
/* Is arg <qemu:arg value="-option"/> (or "--option")? */
bool qemuarg_option_is(const xmlNode *arg, const char *option);
/* The SMBIOS type whose fields "-smbios type=N,…" sets; -1 for a file=
 * (or no type); -ENOMEM. */
int qemuarg_smbios_fields(const char *value);
/*
 * The license kind QEMU loads from the pair option/value, reading the file
 * it names without blocking when the value alone does not tell; for an
 * SMBIOS type 0/1 file, whether it lacks the structure's final NUL, and
 * the file (malloc'd).  A file that cannot be read is -errno with one line
 * in p->err.
 */
int qemuarg_judge(struct patch *p, const xmlNode *option, const char *value, int *ret_kind,
                  bool *ret_missing_nul, char **ret_file);

/* License relocation for migrate/restore (license.c). */
int patch_license_relocate(struct patch *p);
/* The license files the definition makes QEMU read (license.c). */
int patch_license_files(struct patch *p, char ***ret);
/* Appends the vGPU ROM the definition makes QEMU read, if any, to *list
 * (a NULL-terminated array from patch_license_files; gvt.c). */
int patch_gvt_files(struct patch *p, char ***list);

#endif
