/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's entry points for the layer above (the hook's runtime policy)
 * that are not part of the library's API.
 */
#ifndef OEMKVM_DOMAIN_ENGINE_H
#define OEMKVM_DOMAIN_ENGINE_H

#include "oemkvm.h"

/*
 * The hook's question in one parse: the engine's verdict, flags as
 * oemkvm_patch gives them, and — when the definition needs no change — the
 * license files it makes QEMU read (as oemkvm_patch_files; NULL otherwise).
 */
int patch_verify(const struct oemkvm_ctx *ctx, const char *xml, size_t len,
                 unsigned *ret_flags, char ***ret_files, struct oemkvm_error *err);

#endif
