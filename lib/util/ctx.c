/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library context: where the machine's files are (the sysroot, "/" on a
 * real host, a fixture tree in tests) and where the store lives.  No global
 * state: two contexts never see each other.
 */
#include <string.h>

#include "util/util.h"

#ifndef OEMKVM_STORE_DIR
#error "OEMKVM_STORE_DIR must be defined by the build"
#endif

struct oemkvm_ctx {
        char *sysroot;
        char *store_dir;
};

OEMKVM_EXPORT const char *oemkvm_default_store_dir(void)
{
        return OEMKVM_STORE_DIR;
}

OEMKVM_EXPORT int oemkvm_ctx_new(const char *sysroot, struct oemkvm_ctx **ret)
{
        struct oemkvm_ctx *ctx;

        if (!sysroot || !*sysroot)
                sysroot = "/";
        if (sysroot[0] != '/')
                return -EINVAL;

        ctx = calloc(1, sizeof(*ctx));
        if (!ctx)
                return -ENOMEM;
        ctx->sysroot = strdup(sysroot);
        ctx->store_dir = strdup(OEMKVM_STORE_DIR);
        if (!ctx->sysroot || !ctx->store_dir) {
                oemkvm_ctx_free(ctx);
                return -ENOMEM;
        }
        *ret = ctx;
        return 0;
}

OEMKVM_EXPORT void oemkvm_ctx_free(struct oemkvm_ctx *ctx)
{
        if (!ctx)
                return;
        free(ctx->sysroot);
        free(ctx->store_dir);
        free(ctx);
}

const char *oemkvm_ctx_get_sysroot(const struct oemkvm_ctx *ctx)
{
        return ctx->sysroot;
}

int oemkvm_ctx_path(const struct oemkvm_ctx *ctx, const char *abs_path, char **ret)
{
        char *p;

        if (abs_path[0] != '/')
                return -EINVAL;
        p = path_join(ctx->sysroot, abs_path);
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

OEMKVM_EXPORT int oemkvm_ctx_set_store_dir(struct oemkvm_ctx *ctx, const char *dir)
{
        char *d;

        if (!dir || dir[0] != '/')
                return -EINVAL;
        d = strdup(dir);
        if (!d)
                return -ENOMEM;
        free(ctx->store_dir);
        ctx->store_dir = d;
        return 0;
}

OEMKVM_EXPORT const char *oemkvm_ctx_get_store_dir(const struct oemkvm_ctx *ctx)
{
        return ctx->store_dir;
}
