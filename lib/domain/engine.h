/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's entry points for the layer above (the hook's runtime policy)
 * that are not part of the library's API.
 */
#ifndef OEMKVM_DOMAIN_ENGINE_H
#define OEMKVM_DOMAIN_ENGINE_H

#include "host/mdev.h"
#include "oemkvm.h"

/* The vGPU a patched definition asks for: <oemkvm:gvt>'s parent and type,
 * and the UUID of the mdev its hostdev names. */
struct patch_vgpu {
        char *parent;                   /* NULL: no vGPU */
        char *type;
        char uuid[OEMKVM_UUID_SIZE];
};
void patch_vgpu_clear(struct patch_vgpu *v);

/* The domain's own <uuid>, lowercase: -EINVAL when it has none. */
int patch_domain_uuid(const char *xml, size_t len, char ret[OEMKVM_UUID_SIZE], struct oemkvm_error *err);

/*
 * The hook's questions in one parse, in the order it asks them: is the
 * domain tagged at all (an <oemkvm:config> in <metadata>; nothing else
 * happens for one that is not), and then the engine's verdict.
 */
struct patch;
/* Parses; fails only for XML that is not a domain definition. */
int patch_open(const char *xml, size_t len, struct patch **ret, struct oemkvm_error *err);
bool patch_tagged(const struct patch *p);
/*
 * The verdict, flags as oemkvm_patch gives them, and — when the definition
 * needs no change — the files it makes QEMU read for oemkvm (as
 * oemkvm_patch_files; NULL otherwise) and its vGPU (ret_vgpu may be NULL).
 * Once per patch_open.
 */
int patch_verify(const struct oemkvm_ctx *ctx, struct patch *p, unsigned *ret_flags,
                 char ***ret_files, struct patch_vgpu *ret_vgpu, struct oemkvm_error *err);
void patch_free(struct patch *p);

#endif
