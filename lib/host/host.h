/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the host looks like to QEMU, for the layers above: who QEMU runs as
 * and whether it can read a file (access.c), the store refreshed from the
 * firmware for QEMU's group (refresh.c), and whether libvirt holds a
 * persistent definition of a domain (transient.c).  Not exported.
 */
#ifndef OEMKVM_HOST_H
#define OEMKVM_HOST_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "oemkvm.h"

/* Who QEMU runs as: user, group and the user's supplementary groups. */
struct qemu_cred {
        uid_t uid;
        gid_t gid;
        char *user;
        char *group;
        gid_t *groups;
        int n_groups;
};

/* From qemu.conf (through ctx's sysroot) and the passwd/group databases. */
int qemu_cred_load(const struct oemkvm_ctx *ctx, struct qemu_cred *ret, struct oemkvm_error *err);
void qemu_cred_clear(struct qemu_cred *cred);

/* Would QEMU be granted `want` (4 read, 2 write, 1 search) on st by its mode bits and groups? */
bool qemu_may(const struct qemu_cred *cred, const struct stat *st, unsigned want);

/*
 * Can QEMU open path: every directory above it searchable and the file a
 * regular file it may read, by mode bits and groups (root's access(2) would
 * say yes to everything).  On failure one line naming the file and the
 * chgrp/chmod that fixes it; `remedy` is the fix for a missing file.
 */
int qemu_check_readable(const struct qemu_cred *cred, const char *path, const char *remedy,
                        struct oemkvm_error *err);

/*
 * The parse layer of qemu.conf: `key = "value"` (or 'value') in text,
 * comments after '#', spaces around '='.  1 and a malloc'd *ret, 0 when
 * the key is not set (a list value such as [ "a" ] reads as not set).
 */
int qemu_conf_lookup(const char *text, size_t len, const char *key, char **ret);

/* qemu.conf's `security_driver =` (a single quoted value), NULL when unset. */
int qemu_security_driver(const struct oemkvm_ctx *ctx, char **ret, struct oemkvm_error *err);

/*
 * 1 when libvirt confines QEMU with AppArmor: the kernel's AppArmor is on
 * (<sysroot>/sys/module/apparmor/parameters/enabled) and qemu.conf does
 * not set security_driver = "none"; else 0.
 */
int apparmor_confines_qemu(const struct oemkvm_ctx *ctx, struct oemkvm_error *err);

/*
 * The parse layer: what the rules in text (an AppArmor abstraction) say
 * about QEMU reading path.  GAVE_UP: a rule too costly to follow matched
 * perhaps (taken as granting); DENIED sets *ret_line.
 */
enum apparmor_verdict { NO_RULE, ALLOWED, DENIED, GAVE_UP };
enum apparmor_verdict apparmor_rules_verdict(const char *text, size_t len, const char *path,
                                            unsigned *ret_line);

/*
 * Would the libvirt-qemu abstraction or its local include (under ctx's
 * sysroot) let QEMU read path (resolved)?  -EACCES with one line naming the
 * rules to add — or, for a file of the store (in_store), the install step
 * that adds them — or the deny rule in the way.
 */
int apparmor_check_readable(const struct oemkvm_ctx *ctx, const char *path, bool in_store,
                            struct oemkvm_error *err);

/* Is path below dir (dir itself excluded)? */
bool path_in_dir(const char *path, const char *dir);

/* Collects the firmware's tables and writes them as ctx's store, group gid
 * ((gid_t)-1: unchanged); oemkvm_store_refresh with the group given. */
int store_refresh(const struct oemkvm_ctx *ctx, gid_t gid, struct oemkvm_error *err);

/*
 * 1 when libvirt holds no persistent definition of domain `name` (it was
 * started with virDomainCreateXML, as virt-manager's installer does), 0
 * when it does.
 */
int domain_is_transient(const struct oemkvm_ctx *ctx, const char *name, struct oemkvm_error *err);

#endif
