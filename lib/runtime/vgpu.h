/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vGPU's life around its domain's (vgpu.c), for the hook's steps
 * (hook.c).  Not exported.
 */
#ifndef OEMKVM_RUNTIME_VGPU_H
#define OEMKVM_RUNTIME_VGPU_H

#include <stdbool.h>

#include "oemkvm.h"

/*
 * prepare begin: makes mdev parent/type/uuid active for domain `name`
 * (UUID domain_uuid).  A device already active with that parent and type
 * is used as it is (the user's, or oemkvm's from this domain's earlier
 * run that never got its release); otherwise oemkvm records that it starts
 * one, then starts it.  *ret_started says whether oemkvm owns it now.
 * Refusals are one line without the domain's name, saying what to do.
 */
int vgpu_start(const struct oemkvm_ctx *ctx, const char *name, const char *domain_uuid,
               const char *parent, const char *type, const char *uuid, bool *ret_started,
               struct oemkvm_error *err);

/*
 * release end (and the undo of vgpu_start): stops the device oemkvm
 * started for domain_uuid, if it started one, and forgets it.  Nothing
 * recorded: nothing to do.
 */
int vgpu_stop(const struct oemkvm_ctx *ctx, const char *domain_uuid, struct oemkvm_error *err);

#endif
