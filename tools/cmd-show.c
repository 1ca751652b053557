/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oemkvm show: print what would be passed to the guest. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

static const char show_usage[] = "[--sysroot DIR | --input DIR] [--reveal] [--json]";

/* SMBIOS as QEMU presents it (2.8/3.0): the guest reads UUIDs in 2.6+ order. */
#define GUEST_SMBIOS_VERSION 0x0300

struct shown {
        struct oemkvm_msdm msdm;
        struct oemkvm_slic slic;
        bool has_slic;
        struct oemkvm_smbios_bios bios;
        struct oemkvm_smbios_system sys;
};

static void show_help(void)
{
        printf("Usage: oemkvm show %s\n\n"
               "Prints the license data a tagged guest gets: the MSDM product key (masked but\n"
               "for its last group), the SLIC marker, SMBIOS type 0 (BIOS) and type 1 (system),\n"
               "as the guest reads them (QEMU presents SMBIOS 3.0: a UUID from firmware older\n"
               "than SMBIOS 2.6 reads differently there).\n\n"
               "  --sysroot DIR  read firmware from DIR/sys/firmware (default: /)\n"
               "  --input DIR    read a dump written by 'oemkvm dump' instead (e.g. %s)\n"
               "  --reveal       print the whole product key\n"
               "  --json         machine-readable output\n",
               show_usage, oemkvm_default_store_dir());
}

/* Hides every group of the key but the last: enough to tell keys apart. */
static void mask_key(const char *key, char *out, size_t size)
{
        const char *last = strrchr(key, '-');

        snprintf(out, size, "%s", key);
        if (!last)
                last = key + strlen(key) - (strlen(key) > 5 ? 5 : strlen(key));
        for (size_t i = 0; i < (size_t)(last - key) && i < size - 1; i++)
                if (out[i] != '-')
                        out[i] = '*';
}

static const char *or_unset(const char *s)
{
        return s && *s ? s : "(not set)";
}

static void print_text(const struct shown *s, const char *key, const char *source)
{
        printf("License data for the guest (from %s)\n\n", source);
        printf("ACPI MSDM      product key  %s\n", key);
        if (s->has_slic)
                printf("ACPI SLIC      OEM ID '%s', table ID '%s', marker version %u.%u\n",
                       s->slic.oem_id, s->slic.oem_table_id,
                       s->slic.marker_version >> 16, s->slic.marker_version & 0xffff);
        else
                printf("ACPI SLIC      not present (only Windows Vista/7 OEM activation uses it)\n");

        printf("\nSMBIOS type 0  BIOS\n");
        printf("  vendor        %s\n", or_unset(s->bios.vendor));
        printf("  version       %s\n", or_unset(s->bios.version));
        printf("  date          %s\n", or_unset(s->bios.date));
        printf("\nSMBIOS type 1  System\n");
        printf("  manufacturer  %s\n", or_unset(s->sys.manufacturer));
        printf("  product       %s\n", or_unset(s->sys.product));
        printf("  version       %s\n", or_unset(s->sys.version));
        printf("  serial        %s\n", or_unset(s->sys.serial));
        printf("  UUID          %s\n", or_unset(s->sys.uuid));
        printf("  SKU           %s\n", or_unset(s->sys.sku));
        printf("  family        %s\n", or_unset(s->sys.family));
}

static void json_field(const char *indent, const char *name, const char *value, bool last)
{
        printf("%s\"%s\": ", indent, name);
        tool_json_string(stdout, value);
        puts(last ? "" : ",");
}

static void print_json(const struct shown *s, const char *key)
{
        const char *in = "    ";

        puts("{");
        printf("  \"msdm\": {\n");
        json_field(in, "product_key", key, false);
        printf("%s\"version\": %u,\n%s\"data_type\": %u\n  },\n", in, s->msdm.version, in, s->msdm.data_type);
        if (s->has_slic) {
                printf("  \"slic\": {\n");
                json_field(in, "oem_id", s->slic.oem_id, false);
                json_field(in, "oem_table_id", s->slic.oem_table_id, false);
                printf("%s\"marker_version\": \"%u.%u\"\n  },\n", in,
                       s->slic.marker_version >> 16, s->slic.marker_version & 0xffff);
        } else
                puts("  \"slic\": null,");
        printf("  \"bios\": {\n");
        json_field(in, "vendor", s->bios.vendor, false);
        json_field(in, "version", s->bios.version, false);
        json_field(in, "date", s->bios.date, true);
        printf("  },\n  \"system\": {\n");
        json_field(in, "manufacturer", s->sys.manufacturer, false);
        json_field(in, "product", s->sys.product, false);
        json_field(in, "version", s->sys.version, false);
        json_field(in, "serial", s->sys.serial, false);
        json_field(in, "uuid", s->sys.uuid[0] ? s->sys.uuid : NULL, false);
        json_field(in, "sku", s->sys.sku, false);
        json_field(in, "family", s->sys.family, true);
        puts("  }\n}");
}

static int decode(const struct oemkvm_dump *d, struct shown *s, struct oemkvm_error *err)
{
        int r;

        r = oemkvm_msdm_decode(d->msdm.data, d->msdm.len, &s->msdm, err);
        if (r < 0)
                return r;
        s->has_slic = d->slic.data != NULL;
        if (s->has_slic) {
                r = oemkvm_slic_decode(d->slic.data, d->slic.len, &s->slic, err);
                if (r < 0)
                        return r;
        }
        /* The structures were checked when read: decoding cannot meet a surprise. */
        r = oemkvm_smbios_bios_decode(d->smbios0.data, d->smbios0.len, &s->bios);
        if (r >= 0)
                r = oemkvm_smbios_system_decode(d->smbios1.data, d->smbios1.len,
                                                GUEST_SMBIOS_VERSION, &s->sys);
        return r;
}

int cmd_show(int argc, char **argv)
{
        static const struct option options[] = {
                { "sysroot", required_argument, NULL, 's' },
                { "input",   required_argument, NULL, 'i' },
                { "reveal",  no_argument,       NULL, 'r' },
                { "json",    no_argument,       NULL, 'j' },
                { "help",    no_argument,       NULL, 'h' },
                {}
        };
        const char *sysroot = NULL, *input = NULL;
        bool reveal = false, json = false;
        struct oemkvm_error err = {};
        struct oemkvm_ctx *ctx = NULL;
        struct oemkvm_dump dump = {};
        struct shown shown = {};
        char key[sizeof(shown.msdm.product_key)];
        int c, r, ret = 1;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 's':
                        sysroot = optarg;
                        break;
                case 'i':
                        input = optarg;
                        break;
                case 'r':
                        reveal = true;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'h':
                        show_help();
                        return 0;
                default:
                        return tool_usage_error("show", show_usage);
                }
        }
        if (optind != argc || (sysroot && input))
                return tool_usage_error("show", show_usage);

        if (input)
                r = oemkvm_dump_load(input, &dump, &err);
        else {
                ctx = tool_ctx_new(sysroot);
                if (!ctx)
                        return 2;
                r = oemkvm_dump_collect(ctx, &dump, &err);
        }
        if (r >= 0)
                r = decode(&dump, &shown, &err);
        if (r < 0) {
                tool_report(&err, r);
                goto out;
        }

        if (reveal)
                snprintf(key, sizeof(key), "%s", shown.msdm.product_key);
        else
                mask_key(shown.msdm.product_key, key, sizeof(key));

        if (json)
                print_json(&shown, key);
        else
                print_text(&shown, key, input ? input : sysroot ? sysroot : "this machine's firmware");
        ret = 0;
out:
        oemkvm_dump_clear(&dump);
        oemkvm_ctx_free(ctx);
        return ret;
}
