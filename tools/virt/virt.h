/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The oemkvm command's libvirt client code, shared by apply, tag and watch:
 * connecting, finding a domain as virsh does, libvirt's errors in
 * oemkvm's words, and the one function that patches and redefines a
 * domain.
 */
#ifndef OEMKVM_VIRT_H
#define OEMKVM_VIRT_H

#include <stdbool.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "oemkvm.h"

/* The inactive definition, with secrets: what a redefine must carry over. */
#define VIRT_XML_FLAGS (VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE)

/* libvirt takes every event callback as the generic type and calls it with
 * the event's own signature.  VIR_DOMAIN_EVENT_CALLBACK casts directly,
 * which clang >= 19 flags under -Wextra (-Wcast-function-type-mismatch);
 * a cast through void (*)(void), C's "any function", says it is meant. */
#define EVENT_CALLBACK(cb) ((virConnectDomainEventGenericCallback)(void (*)(void))(cb))

/*
 * Opens uri (NULL: libvirt's default, as virsh does).  libvirt's own
 * printing of errors is silenced so each error reaches the user once; on
 * failure the error is reported (when report) and NULL returned.
 */
virConnectPtr virt_connect(const char *uri, bool report);
/*
 * The last libvirt error of this thread as one line, with what to do when
 * oemkvm knows it (not root, no daemon): for "…: %s" after oemkvm's own
 * words.  Points into a static buffer.
 */
const char *virt_error(void);
/*
 * A domain by name, UUID or ID, in virsh's order; reports "domain 'x' not
 * found" (or the connection's trouble) and returns NULL when there is none.
 */
virDomainPtr virt_lookup(virConnectPtr conn, const char *name);

/* What to do to a domain. */
struct virt_request {
        bool dry_run;           /* patch and show, define nothing */
        bool want_diff;         /* both sides for a diff */
        bool verbose;           /* the diff shows oemkvm's record too */
        bool set_tag;           /* set the tag to `tag` first (NULL: remove it) */
        const struct oemkvm_tag *tag;
};

/* What virt_apply did, measured against the definition as it was when it
 * started: before the user's action, even when another client (the
 * watcher) defined the same change first. */
struct virt_applied {
        struct oemkvm_patch_result patch;       /* the engine's verdict: flags, summary, notes */
        bool changed;           /* the definition needed a define */
        bool tag_changed;       /* set_tag changed the tag */
        bool defined;           /* oemkvm defined it (never on a dry run) */
        bool raced;             /* another client defined the change meanwhile */
        bool collected;         /* the store was missing and was made from firmware */
        char *before;           /* with want_diff: both sides through one serializer */
        char *after;
};
void virt_applied_clear(struct virt_applied *a);

/*
 * Patches dom's inactive definition (with the tag set first when asked)
 * and defines the result when it changed — unless the definition changed
 * while it was being patched (libvirt has no compare-and-swap: it is
 * re-read just before the define); then the new definition is patched in
 * turn, a few times at most, before -EAGAIN with nothing defined.  A
 * transient domain is left alone (-EPERM): defining it would make it
 * persistent behind the user's back.  A tag that needs the host store
 * when there is none yet makes it first (oemkvm_store_refresh), when run
 * as root and not a dry run.  Errors are one line in err naming the
 * domain.
 */
int virt_apply(virDomainPtr dom, const struct oemkvm_ctx *ctx, const struct virt_request *req,
               struct virt_applied *ret, struct oemkvm_error *err);

/*
 * virt_apply for a person (apply, tag): the diff and one status line that
 * sums it up on stdout, notes and warnings on stderr; an error is left in
 * err for the caller to report.  quiet_untagged keeps --all from listing
 * every untagged domain.  *ret_outcome (may be NULL) says which line it
 * printed.
 */
enum virt_outcome {
        VIRT_UNTAGGED,
        VIRT_UP_TO_DATE,
        VIRT_DEFINED,
        VIRT_DRY_RUN,
};
int virt_apply_print(virDomainPtr dom, const struct oemkvm_ctx *ctx, const struct virt_request *req,
                     bool quiet_untagged, enum virt_outcome *ret_outcome, struct oemkvm_error *err);

/*
 * What a person must know about a patch, on stderr: the engine's notes
 * (a pair taken over or kept, the topology following <vcpu>), a disk that
 * left SATA needs the vioscsi driver first, a running domain gets a
 * defined change only when it is started again.
 */
void virt_warn_changes(virDomainPtr dom, const struct oemkvm_patch_result *res, bool defined);

#endif
