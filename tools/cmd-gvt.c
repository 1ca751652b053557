/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * oemkvm gvt: the host side of GVT-g, offline.
 *   gvt types [--sysroot DIR] [--json]   what vGPU types the host offers
 *   gvt rom [--store DIR] FILE           copy Intel's UEFI ROM into the store
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static const char gvt_usage[] = "types [--sysroot DIR] [--json] | rom [--store DIR] FILE";

static void gvt_help(void)
{
        printf("Usage: oemkvm gvt %s\n\n"
               "  types   the mediated device (vGPU) types each parent offers, as\n"
               "          /sys/class/mdev_bus shows them: the parent and type to give\n"
               "          <oemkvm:gvt parent=… type=…/>, and how many instances are free\n"
               "    --sysroot DIR  read DIR/sys instead of /sys\n"
               "    --json         machine-readable output\n"
               "  rom     copy FILE (Intel's vbios_gvt_uefi.rom, which you download\n"
               "          yourself) into the store, readable by QEMU's group; UEFI\n"
               "          domains tagged <oemkvm:gvt> use it from their next patch on.\n"
               "          A file other than the known one is copied with a warning.\n"
               "    --store DIR    the store (default: %s)\n\n"
               "See oemkvm(7), GVT-G.\n",
               gvt_usage, oemkvm_default_store_dir());
}

/* mdevctl's form of a description: one line, ", " between its lines. */
static void print_joined(const char *s)
{
        for (; *s; s++)
                if (*s == '\n')
                        fputs(", ", stdout);
                else
                        putchar(*s);
}

static void json_string(const char *s)
{
        if (!s) {
                fputs("null", stdout);
                return;
        }
        putchar('"');
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p == '"' || *p == '\\')
                        printf("\\%c", *p);
                else if (*p == '\n')
                        fputs("\\n", stdout);
                else if (*p < 0x20 || *p == 0x7f)
                        printf("\\u%04x", *p);
                else
                        putchar(*p);
        }
        putchar('"');
}

static void print_types_json(const struct oemkvm_mdev_type *t, size_t n)
{
        puts("[");
        for (size_t i = 0; i < n; i++) {
                fputs("  {\"parent\": ", stdout);
                json_string(t[i].parent);
                fputs(", \"type\": ", stdout);
                json_string(t[i].type);
                fputs(", \"name\": ", stdout);
                json_string(t[i].name);
                fputs(", \"description\": ", stdout);
                json_string(t[i].description);
                fputs(", \"device_api\": ", stdout);
                json_string(t[i].device_api);
                printf(", \"available_instances\": %u}%s\n", t[i].available, i + 1 < n ? "," : "");
        }
        puts("]");
}

static void print_types(const struct oemkvm_mdev_type *t, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (i == 0 || strcmp(t[i].parent, t[i - 1].parent))
                        printf("%s\n", t[i].parent);
                printf("  %s\n    Available instances: %u\n    Device API: %s\n", t[i].type, t[i].available,
                       t[i].device_api);
                if (t[i].name)
                        printf("    Name: %s\n", t[i].name);
                if (t[i].description) {
                        fputs("    Description: ", stdout);
                        print_joined(t[i].description);
                        putchar('\n');
                }
        }
}

static int gvt_types(int argc, char **argv)
{
        static const struct option options[] = {
                { "sysroot", required_argument, NULL, 's' },
                { "json",    no_argument,       NULL, 'j' },
                { "help",    no_argument,       NULL, 'h' },
                {}
        };
        const char *sysroot = "/";
        struct oemkvm_mdev_type *t = NULL;
        struct oemkvm_error err = {};
        struct oemkvm_ctx *ctx;
        bool json = false;
        size_t n = 0;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 's':
                        sysroot = optarg;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'h':
                        gvt_help();
                        return 0;
                default:
                        return tool_usage_error("gvt", gvt_usage);
                }
        }
        if (optind != argc)
                return tool_usage_error("gvt", gvt_usage);
        ctx = tool_ctx_new(sysroot);
        if (!ctx)
                return 2;
        r = oemkvm_mdev_types_read(ctx, NULL, &t, &n, &err);
        oemkvm_ctx_free(ctx);
        if (r < 0) {
                tool_report(&err, r);
                return 1;
        }
        if (json)
                print_types_json(t, n);
        else if (n)
                print_types(t, n);
        else
                tool_error("this host offers no mdev types — GVT-g needs an 8th to 10th generation Intel Core with i915.enable_gvt=1 and the kvmgt module (see oemkvm(7), GVT-G)");
        oemkvm_mdev_types_free(t, n);
        return json || n ? 0 : 1;
}

static int gvt_rom(int argc, char **argv)
{
        static const struct option options[] = {
                { "store", required_argument, NULL, 'o' },
                { "help",  no_argument,       NULL, 'h' },
                {}
        };
        const char *store = NULL;
        struct oemkvm_error err = {};
        struct oemkvm_ctx *ctx;
        gid_t gid = (gid_t)-1;
        char sha[65], *group = NULL;
        int c, r, ret = 1;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'o':
                        store = optarg;
                        break;
                case 'h':
                        gvt_help();
                        return 0;
                default:
                        return tool_usage_error("gvt", gvt_usage);
                }
        }
        if (optind + 1 != argc)
                return tool_usage_error("gvt", gvt_usage);
        ctx = tool_ctx_new("/");
        if (!ctx)
                return 2;
        if (store && oemkvm_ctx_set_store_dir(ctx, store) < 0) {
                tool_error("--store '%s': give an absolute directory", store);
                goto out;
        }
        /* QEMU reads the ROM: its group, as for the dump (root only can give it). */
        if (geteuid() == 0) {
                r = oemkvm_qemu_group(ctx, &gid, &group, &err);
                if (r < 0) {
                        tool_report(&err, r);
                        goto out;
                }
        }
        r = oemkvm_gvt_rom_install(ctx, argv[optind], gid, sha, &err);
        if (r < 0) {
                tool_report(&err, r);
                goto out;
        }
        if (strcmp(sha, OEMKVM_GVT_ROM_SHA256))
                tool_error("warning: '%s' is not the known vbios_gvt_uefi.rom (sha256 %s, expected %s); copied anyway",
                           argv[optind], sha, OEMKVM_GVT_ROM_SHA256);
        printf("%s/%s %s%s%s%s\n", oemkvm_ctx_get_store_dir(ctx), OEMKVM_STORE_GVT_ROM,
               r ? "written" : "is up to date", group ? " (readable by group '" : "", group ? group : "",
               group ? "')" : "");
        if (r)
                puts("UEFI domains tagged <oemkvm:gvt> without rom= use it once patched again: run 'sudo oemkvm apply --all'");
        ret = 0;
out:
        free(group);
        oemkvm_ctx_free(ctx);
        return ret;
}

/* Runs a subcommand with argv[0] = "oemkvm gvt SUB", the name getopt puts
 * in its own messages. */
static int gvt_sub(int (*sub)(int, char **), char *name, int argc, char **argv)
{
        argv[1] = name;
        return sub(argc - 1, argv + 1);
}

int cmd_gvt(int argc, char **argv)
{
        static char types[] = "oemkvm gvt types", rom[] = "oemkvm gvt rom";

        if (argc >= 2 && !strcmp(argv[1], "types"))
                return gvt_sub(gvt_types, types, argc, argv);
        if (argc >= 2 && !strcmp(argv[1], "rom"))
                return gvt_sub(gvt_rom, rom, argc, argv);
        if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
                gvt_help();
                return 0;
        }
        return tool_usage_error("gvt", gvt_usage);
}
