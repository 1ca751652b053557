/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/host/mdev.c against the real kernel's mdev core: run inside the mdev
 * guest (tests/guest/test-mdev-lib.sh) with mbochs' budget at 80 MB, so
 * mbochs-large (64 MB) fits once and mbochs-medium (16 MB) five times.
 * Types as the kernel lists them, create/active/remove, the kernel's errno
 * for a full type and a UUID in use, and the mdevctl-defined path through
 * the real mdevctl binary, with `mdevctl list` telling the same story.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "host/mdev.h"
#include "oemkvm.h"

#define A "6d5f9c1e-0a7b-4c3d-8e2f-1a2b3c4d5e6f"
#define B "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
#define C "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"

/* The running machine, for every test. */
static struct oemkvm_ctx *ctx;

__attribute__((constructor)) static void ctx_open(void)
{
        if (oemkvm_ctx_new("/", &ctx) < 0)
                abort();
}

__attribute__((destructor)) static void ctx_close(void)
{
        oemkvm_ctx_free(ctx);
}

static unsigned available(const char *parent, const char *type)
{
        struct oemkvm_mdev_type t = {};
        unsigned n;

        if (oemkvm_mdev_type_read(ctx, parent, type, &t, NULL) < 0) {
                fprintf(stderr, "cannot read %s/%s\n", parent, type);
                abort();
        }
        n = t.available;
        oemkvm_mdev_type_clear(&t);
        return n;
}

static bool active(const char *uuid)
{
        struct oemkvm_mdev_device dev = {};
        int r = oemkvm_mdev_device_read(ctx, uuid, &dev, NULL);

        oemkvm_mdev_device_clear(&dev);
        return r == 0;
}

/* Does `cmd`'s output hold `line` as a whole line? */
static bool output_has_line(const char *cmd, const char *line)
{
        char buf[512];
        bool found = false;
        FILE *f = popen(cmd, "re");

        if (!f)
                abort();
        while (fgets(buf, sizeof(buf), f)) {
                buf[strcspn(buf, "\n")] = '\0';
                found = found || !strcmp(buf, line);
        }
        pclose(f);
        return found;
}

TEST(types)
{
        struct oemkvm_mdev_type *t = NULL;
        struct oemkvm_error err = {};
        size_t n = 0;

        CHECK_INT(oemkvm_mdev_types_read(ctx, NULL, &t, &n, &err), 0);
        CHECK_INT(n, 5);
        if (n == 5) {
                static const char *const want[][2] = {
                        { "mbochs", "mbochs-large" }, { "mbochs", "mbochs-medium" }, { "mbochs", "mbochs-small" },
                        { "mtty", "mtty-1" }, { "mtty", "mtty-2" },
                };
                for (size_t i = 0; i < 5; i++) {
                        CHECK_STR(t[i].parent, want[i][0]);
                        CHECK_STR(t[i].type, want[i][1]);
                        CHECK_STR(t[i].device_api, "vfio-pci");
                }
                CHECK_STR(t[0].name, "mbochs-large");
                CHECK_STR(t[0].description, "virtual display, 64 MB video memory");
                CHECK_INT(t[0].available, 1);
                CHECK_INT(t[1].available, 5);
                CHECK_INT(t[2].available, 20);
                CHECK_STR(t[4].name, "Dual port serial");
                CHECK(t[4].description == NULL);
        }
        oemkvm_mdev_types_free(t, n);

        CHECK_INT(oemkvm_mdev_types_read(ctx, "mbochs", &t, &n, &err), 0);
        CHECK_INT(n, 3);
        oemkvm_mdev_types_free(t, n);
        CHECK_INT(oemkvm_mdev_types_read(ctx, "0000:00:02.0", &t, &n, &err), -ENODEV);
        CHECK_CONTAINS(err.message, "no mdev parent '0000:00:02.0'");
}

TEST(create_active_remove)
{
        struct oemkvm_mdev_device dev = {}, *devs = NULL;
        struct oemkvm_error err = {};
        size_t n = 0;

        CHECK(!active(A));
        CHECK_INT(oemkvm_mdev_create(ctx, "mbochs", "mbochs-large", A, &err), 0);
        CHECK_INT(oemkvm_mdev_device_read(ctx, A, &dev, &err), 0);
        CHECK_STR(dev.parent, "mbochs");
        CHECK_STR(dev.type, "mbochs-large");
        oemkvm_mdev_device_clear(&dev);
        /* One budget: 16 MB left for every type. */
        CHECK_INT(available("mbochs", "mbochs-large"), 0);
        CHECK_INT(available("mbochs", "mbochs-medium"), 1);
        CHECK_INT(available("mbochs", "mbochs-small"), 4);

        CHECK_INT(oemkvm_mdev_devices_read(ctx, "mbochs", &devs, &n, &err), 0);
        CHECK_INT(n, 1);
        if (n == 1)
                CHECK_STR(devs[0].uuid, A);
        oemkvm_mdev_devices_free(devs, n);
        CHECK_INT(oemkvm_mdev_devices_read(ctx, "mtty", &devs, &n, &err), 0);
        CHECK_INT(n, 0);
        oemkvm_mdev_devices_free(devs, n);

        /* The kernel's errno comes back: a full type, a UUID in use. */
        CHECK_INT(oemkvm_mdev_create(ctx, "mbochs", "mbochs-large", B, &err), -ENOSPC);
        CHECK_CONTAINS(err.message, "creating mdev " B " of type mbochs-large on mbochs failed");
        CHECK_CONTAINS(err.message, "No space left on device");
        CHECK(!active(B));
        CHECK_INT(oemkvm_mdev_create(ctx, "mbochs", "mbochs-small", A, &err), -EEXIST);
        CHECK_INT(oemkvm_mdev_create(ctx, "mbochs", "mbochs-huge", B, &err), -ENOENT);
        CHECK_CONTAINS(err.message, "mdev parent 'mbochs' has no type 'mbochs-huge'");
        CHECK_INT(oemkvm_mdev_create(ctx, "mdpy", "mdpy-vga", B, &err), -ENODEV);

        CHECK_INT(oemkvm_mdev_remove(ctx, A, &err), 0);
        CHECK(!active(A));
        CHECK_INT(available("mbochs", "mbochs-large"), 1);
        CHECK_INT(oemkvm_mdev_remove(ctx, A, &err), -ENOENT);
        CHECK_CONTAINS(err.message, "mdev " A " is not active");

        /* An uppercase UUID makes the device sysfs names in lowercase. */
        CHECK_INT(oemkvm_mdev_create(ctx, "mtty", "mtty-2", "9A8B7C6D-5E4F-4A3B-9C2D-1E0F9A8B7C6D", &err), 0);
        CHECK(active(C));
        CHECK_INT(oemkvm_mdev_remove(ctx, C, &err), 0);
}

TEST(start_stop_sysfs)
{
        enum oemkvm_mdev_via via = 0;
        struct oemkvm_error err = {};

        CHECK_INT(oemkvm_mdev_via(ctx, "mbochs", "mbochs-medium", A, &via, &err), 0);
        CHECK_INT(via, OEMKVM_MDEV_VIA_SYSFS);
        CHECK_INT(oemkvm_mdev_start(ctx, "mbochs", "mbochs-medium", A, via, &err), 0);
        CHECK(active(A));
        /* mdevctl sees it, as a device it does not define. */
        CHECK(output_has_line("mdevctl list", A " mbochs mbochs-medium manual"));
        CHECK_INT(oemkvm_mdev_stop(ctx, "mbochs", A, via, &err), 0);
        CHECK(!active(A));
}

TEST(start_stop_mdevctl)
{
        struct oemkvm_mdev_config cfg = {};
        enum oemkvm_mdev_via via = 0;
        struct oemkvm_error err = {};

        /* The manual recipe: `mdevctl define`. */
        CHECK_INT(system("mdevctl define -u " B " -p mbochs -t mbochs-medium"), 0);
        CHECK_INT(oemkvm_mdev_config_read(ctx, "mbochs", B, &cfg, &err), 0);
        CHECK_STR(cfg.type, "mbochs-medium");
        CHECK(!cfg.autostart);
        oemkvm_mdev_config_clear(&cfg);

        CHECK_INT(oemkvm_mdev_via(ctx, "mbochs", "mbochs-medium", B, &via, &err), 0);
        CHECK_INT(via, OEMKVM_MDEV_VIA_MDEVCTL);
        CHECK_INT(oemkvm_mdev_start(ctx, "mbochs", "mbochs-medium", B, via, &err), 0);
        if (err.code)
                fprintf(stderr, "%s\n", err.message);
        CHECK(active(B));
        CHECK(output_has_line("mdevctl list", B " mbochs mbochs-medium manual (defined)"));
        CHECK_INT(oemkvm_mdev_stop(ctx, "mbochs", B, via, &err), 0);
        CHECK(!active(B));
        /* Stopped, still defined. */
        CHECK(output_has_line("mdevctl list -d", B " mbochs mbochs-medium manual"));

        /*
         * Stopping what is not active is -ENOENT (the release path's "gone
         * already") whether mdevctl says so by errno (1.2) or not (1.4).
         */
        err = (struct oemkvm_error){};
        CHECK_INT(oemkvm_mdev_stop(ctx, "mbochs", B, OEMKVM_MDEV_VIA_MDEVCTL, &err), -ENOENT);
        CHECK_CONTAINS(err.message, "mdev " B " is not active ('/sys/bus/mdev/devices/" B "' does not exist): 'mdevctl stop -u " B "' failed (exit 1)");

        /* Its definition decides the type. */
        CHECK_INT(oemkvm_mdev_via(ctx, "mbochs", "mbochs-small", B, &via, &err), -EINVAL);
        CHECK_CONTAINS(err.message, "/etc/mdevctl.d/mbochs/" B "' defines mdev " B " with type 'mbochs-medium', not 'mbochs-small'");
        CHECK(!active(B));

        /* A full type: -ENOSPC before mdevctl, nothing created. */
        CHECK_INT(oemkvm_mdev_create(ctx, "mbochs", "mbochs-large", A, &err), 0);
        CHECK_INT(oemkvm_mdev_create(ctx, "mbochs", "mbochs-medium", C, &err), 0);
        CHECK_INT(available("mbochs", "mbochs-medium"), 0);
        CHECK_INT(oemkvm_mdev_start(ctx, "mbochs", "mbochs-medium", B, OEMKVM_MDEV_VIA_MDEVCTL, &err), -ENOSPC);
        CHECK_CONTAINS(err.message, "mdev type mbochs-medium on mbochs has no available instance left");
        CHECK(!active(B));
        CHECK_INT(oemkvm_mdev_remove(ctx, A, &err), 0);
        CHECK_INT(oemkvm_mdev_remove(ctx, C, &err), 0);
        CHECK_INT(system("mdevctl undefine -u " B), 0);
}

TESTS(T(types), T(create_active_remove), T(start_stop_sysfs), T(start_stop_mdevctl))
