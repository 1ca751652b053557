/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The context: sysroot and store paths. */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "oemkvm.h"

TEST(default_sysroot)
{
        struct oemkvm_ctx *ctx = NULL;
        char *p = NULL;

        CHECK_INT(oemkvm_ctx_new(NULL, &ctx), 0);
        CHECK_STR(oemkvm_ctx_get_sysroot(ctx), "/");
        CHECK_INT(oemkvm_ctx_path(ctx, "/sys/firmware", &p), 0);
        CHECK_STR(p, "/sys/firmware");
        CHECK_STR(oemkvm_ctx_get_store_dir(ctx), oemkvm_default_store_dir());
        free(p);
        oemkvm_ctx_free(ctx);
}

TEST(fixture_sysroot)
{
        struct oemkvm_ctx *ctx = NULL;
        char *p = NULL;

        CHECK_INT(oemkvm_ctx_new("/tmp/root/", &ctx), 0);
        CHECK_INT(oemkvm_ctx_path(ctx, "/sys/firmware/acpi/tables/MSDM", &p), 0);
        CHECK_STR(p, "/tmp/root/sys/firmware/acpi/tables/MSDM");
        CHECK_INT(oemkvm_ctx_path(ctx, "relative", &p), -EINVAL);
        CHECK_INT(oemkvm_ctx_set_store_dir(ctx, "relative"), -EINVAL);
        CHECK_INT(oemkvm_ctx_set_store_dir(ctx, "/srv/store"), 0);
        CHECK_STR(oemkvm_ctx_get_store_dir(ctx), "/srv/store");
        free(p);
        oemkvm_ctx_free(ctx);
}

TEST(relative_sysroot_refused)
{
        struct oemkvm_ctx *ctx = NULL;

        CHECK_INT(oemkvm_ctx_new("fixtures", &ctx), -EINVAL);
        CHECK(ctx == NULL);
}

TESTS(T(default_sysroot), T(fixture_sysroot), T(relative_sysroot_refused))
