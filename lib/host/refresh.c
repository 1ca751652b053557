/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Refreshing the host's store from its firmware: what the hook does at
 * every start of a tagged domain, and what apply, tag and the watcher do
 * when a tag needs the store and there is none yet — collect the tables,
 * then write the store readable by the group QEMU runs under.  A store
 * whose bytes are current is left as it is.
 */
#include <unistd.h>

#include "host/host.h"
#include "util/util.h"

int store_refresh(const struct oemkvm_ctx *ctx, gid_t gid, struct oemkvm_error *err)
{
        struct oemkvm_dump dump = {};
        int r;

        r = oemkvm_dump_collect(ctx, &dump, err);
        if (r >= 0)
                r = oemkvm_dump_write(&dump, oemkvm_ctx_get_store_dir(ctx), gid, err);
        oemkvm_dump_clear(&dump);
        return r;
}

OEMKVM_EXPORT int oemkvm_store_refresh(const struct oemkvm_ctx *ctx, struct oemkvm_error *err)
{
        gid_t gid = (gid_t)-1;
        int r;

        /* Only root can give the files to QEMU's group (and read the tables). */
        if (geteuid() == 0) {
                r = oemkvm_qemu_group(ctx, &gid, NULL, err);
                if (r < 0)
                        return r;
        }
        return store_refresh(ctx, gid, err);
}
