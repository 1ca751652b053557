/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The oemkvm command's libvirt client code, shared by apply, tag and watch:
 * connecting, and the one function that patches and redefines a domain.
 */
#ifndef OEMKVM_VIRT_H
#define OEMKVM_VIRT_H

#include <stdbool.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "oemkvm.h"

/* The inactive definition, with secrets: what a redefine must carry over. */
#define VIRT_XML_FLAGS (VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE)

/*
 * Opens uri (NULL: libvirt's default, as virsh does).  libvirt's own
 * printing of errors is silenced so each error reaches the user once; on
 * failure the error is reported (when report) and NULL returned.
 */
virConnectPtr virt_connect(const char *uri, bool report);
/* The message of the last libvirt error in this thread, one line. */
const char *virt_error(void);

/* What virt_apply did. */
struct virt_applied {
        unsigned flags;         /* the engine's OEMKVM_PATCH_* verdict */
        bool defined;           /* a define was made (never on a dry run) */
        bool collected;         /* the store was missing and was made from firmware */
        char *before;           /* with want_diff: both sides through one serializer */
        char *after;
};
void virt_applied_clear(struct virt_applied *a);

/*
 * Patches dom's inactive definition and defines the result when the engine
 * says it changed — unless the definition changed while it was being
 * patched (libvirt has no compare-and-swap: it is re-read just before the
 * define); then the new definition is patched in turn, a few times at
 * most, before -EAGAIN with nothing defined.  A transient domain is
 * left alone (-EPERM): defining it would make it persistent behind the
 * user's back.  A tag that needs the host store when there is none yet
 * makes it first (oemkvm_store_refresh), when run as root and not a dry
 * run.  Errors are one line in err naming the domain.
 */
int virt_apply(virDomainPtr dom, const struct oemkvm_ctx *ctx, bool dry_run, bool want_diff,
               struct virt_applied *ret, struct oemkvm_error *err);

/*
 * virt_apply for a person (apply, tag): the diff and one status line on
 * stdout, the vioscsi warning on stderr; an error is left in err for the
 * caller to report.  quiet_untagged keeps --all from listing every
 * untagged domain.
 */
int virt_apply_print(virDomainPtr dom, const struct oemkvm_ctx *ctx, bool dry_run, bool quiet_untagged,
                     struct oemkvm_error *err);

/*
 * What a person must know about a patch: a disk that leaves SATA needs the
 * vioscsi driver first, and a running domain gets a defined change only
 * when it is started again.
 */
void virt_warn_changes(virDomainPtr dom, unsigned flags, bool defined);

#endif
