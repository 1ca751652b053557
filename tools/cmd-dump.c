/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oemkvm dump: copy the host's license tables into the store. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tool.h"

static const char dump_usage[] = "[--sysroot DIR] [--output DIR]";

static void dump_help(void)
{
        printf("Usage: oemkvm dump %s\n\n"
               "Reads the ACPI MSDM and SLIC (whichever the firmware has; at least one) and the\n"
               "SMBIOS type 0 and 1 structures from firmware and writes them byte-exactly, as\n"
               "QEMU takes them:\n"
               "  msdm.bin  slic.bin  smbios_type_0.bin  smbios_type_1.bin\n"
               "A table whose payload is a vendor's blank placeholder is written as it is, with\n"
               "a note.  The directory is replaced as a whole, so it holds the old set or the\n"
               "new one, never a mix; it must be missing, empty or an earlier dump.\n\n"
               "  --sysroot DIR  read firmware from DIR/sys/firmware (default: /)\n"
               "  --output DIR   where to write (default: %s)\n\n"
               "Firmware tables are readable by root only: run it with sudo.\n",
               dump_usage, oemkvm_default_store_dir());
}

/* What the license tables hold when it is not a key or a marker. */
static void print_notes(const struct oemkvm_dump *dump)
{
        struct oemkvm_msdm msdm;
        struct oemkvm_slic slic;

        if (dump->msdm.data && oemkvm_msdm_decode(dump->msdm.data, dump->msdm.len, &msdm, NULL) >= 0 &&
            msdm.payload != OEMKVM_PAYLOAD_VALID)
                printf("note: MSDM: %s\n", msdm.note);
        if (dump->slic.data && oemkvm_slic_decode(dump->slic.data, dump->slic.len, &slic, NULL) >= 0 &&
            slic.payload != OEMKVM_PAYLOAD_VALID)
                printf("note: SLIC: %s\n", slic.note);
}

int cmd_dump(int argc, char **argv)
{
        static const struct option options[] = {
                { "sysroot", required_argument, NULL, 's' },
                { "output",  required_argument, NULL, 'o' },
                { "help",    no_argument,       NULL, 'h' },
                {}
        };
        const char *sysroot = "/", *output = NULL;
        struct oemkvm_error err = {};
        struct oemkvm_ctx *ctx = NULL;
        struct oemkvm_dump dump = {};
        gid_t gid = (gid_t)-1;
        char *group = NULL;
        int c, r, ret = 1;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 's':
                        sysroot = optarg;
                        break;
                case 'o':
                        output = optarg;
                        break;
                case 'h':
                        dump_help();
                        return 0;
                default:
                        return tool_usage_error("dump", dump_usage);
                }
        }
        if (optind != argc)
                return tool_usage_error("dump", dump_usage);

        ctx = tool_ctx_new(sysroot);
        if (!ctx)
                return 2;
        if (!output)
                output = oemkvm_ctx_get_store_dir(ctx);
        if (output[0] != '/') {
                tool_error("--output '%s' must be an absolute path", output);
                goto out;
        }

        /* Everything is read and checked before anything is written. */
        r = oemkvm_dump_collect(ctx, &dump, &err);
        if (r < 0) {
                tool_report(&err, r);
                goto out;
        }

        /*
         * QEMU must be able to read the files.  Without root we cannot give
         * them to its group; that only happens for test dumps of fixtures.
         */
        if (geteuid() == 0) {
                r = oemkvm_qemu_group(ctx, &gid, &group, &err);
                if (r < 0) {
                        tool_report(&err, r);
                        goto out;
                }
        }

        r = oemkvm_dump_write(&dump, output, gid, &err);
        if (r < 0) {
                tool_report(&err, r);
                goto out;
        }
        if (r == 0)
                printf("%s is up to date\n", output);
        else
                printf("updated %d file%s in %s%s%s%s\n", r, r == 1 ? "" : "s", output,
                       group ? " (readable by group '" : "", group ? group : "", group ? "')" : "");
        print_notes(&dump);
        ret = 0;
out:
        free(group);
        oemkvm_dump_clear(&dump);
        oemkvm_ctx_free(ctx);
        return ret;
}
