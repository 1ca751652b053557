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
 * The hook's question in one parse: the engine's verdict, flags as
 * oemkvm_patch gives them, and — when the definition needs no change — the
 * files it makes QEMU read for oemkvm (as oemkvm_patch_files; NULL
 * otherwise) and its vGPU (ret_vgpu may be NULL).
 */
int patch_verify(const struct oemkvm_ctx *ctx, const char *xml, size_t len,
                 unsigned *ret_flags, char ***ret_files, struct patch_vgpu *ret_vgpu,
                 struct oemkvm_error *err);

#endif
