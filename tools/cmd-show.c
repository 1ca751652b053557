/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * oemkvm show: print what would be passed to the guest.  Firmware strings
 * are bytes, not text: plain output replaces control characters and bytes
 * that are not UTF-8, so a table cannot drive the terminal; --json escapes
 * them, so every parser accepts the output.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

static const char show_usage[] = "[--sysroot DIR | --input DIR] [--reveal] [--json]";

/* SMBIOS as QEMU presents it (2.8/3.0): the guest reads UUIDs in 2.6+ order. */
#define GUEST_SMBIOS_VERSION 0x0300

struct shown {
        bool has_msdm;
        struct oemkvm_msdm msdm;
        bool has_slic;
        struct oemkvm_slic slic;
        struct oemkvm_smbios_bios bios;
        struct oemkvm_smbios_system sys;
};

static void show_help(void)
{
        printf("Usage: oemkvm show %s\n\n"
               "Prints the license data a tagged guest gets: the MSDM product key (masked but\n"
               "for its last group), the SLIC marker, SMBIOS type 0 (BIOS) and type 1 (system),\n"
               "as the guest reads them (QEMU presents SMBIOS 3.0: a UUID from firmware older\n"
               "than SMBIOS 2.6 reads differently there).  A table whose payload is a vendor's\n"
               "blank placeholder is still passed on byte for byte; show says what it holds.\n\n"
               "  --sysroot DIR  read firmware from DIR/sys/firmware (default: /)\n"
               "  --input DIR    read a dump written by 'oemkvm dump' instead (e.g. %s)\n"
               "  --reveal       print the whole product key\n"
               "  --json         machine-readable output\n",
               show_usage, oemkvm_default_store_dir());
}

static void text_field(const char *label, const char *value)
{
        printf("  %-12s  ", label);
        tool_text_print(stdout, value && *value ? value : "(not set)");
        putchar('\n');
}

static void print_text(const struct shown *s, const char *key, const char *source)
{
        printf("License data for the guest (from ");
        tool_text_print(stdout, source);
        printf(")\n\n");
        if (!s->has_msdm)
                printf("ACPI MSDM      not present (no Windows 8+ product key: Windows Setup will ask for one)\n");
        else if (s->msdm.payload == OEMKVM_PAYLOAD_VALID)
                printf("ACPI MSDM      product key  %s\n", key);
        else
                printf("ACPI MSDM      %s\n", s->msdm.note);
        if (!s->has_slic)
                printf("ACPI SLIC      not present (only Windows Vista/7 OEM activation uses it)\n");
        else if (s->slic.payload == OEMKVM_PAYLOAD_VALID)
                printf("ACPI SLIC      OEM ID '%s', table ID '%s', marker version %u.%u\n",
                       s->slic.oem_id, s->slic.oem_table_id,
                       s->slic.marker_version >> 16, s->slic.marker_version & 0xffff);
        else
                printf("ACPI SLIC      %s\n", s->slic.note);

        printf("\nSMBIOS type 0  BIOS\n");
        text_field("vendor", s->bios.vendor);
        text_field("version", s->bios.version);
        text_field("date", s->bios.date);
        printf("\nSMBIOS type 1  System\n");
        text_field("manufacturer", s->sys.manufacturer);
        text_field("product", s->sys.product);
        text_field("version", s->sys.version);
        text_field("serial", s->sys.serial);
        text_field("UUID", s->sys.uuid);
        text_field("SKU", s->sys.sku);
        text_field("family", s->sys.family);
}

static void json_field(const char *indent, const char *name, const char *value, bool last)
{
        printf("%s\"%s\": ", indent, name);
        tool_json_string(stdout, value);
        puts(last ? "" : ",");
}

static const char *payload_name(enum oemkvm_payload p)
{
        return p == OEMKVM_PAYLOAD_VALID ? "valid" : p == OEMKVM_PAYLOAD_BLANK ? "blank" : "malformed";
}

static void print_json(const struct shown *s, const char *key)
{
        const char *in = "    ";

        puts("{");
        if (s->has_msdm) {
                const bool valid = s->msdm.payload == OEMKVM_PAYLOAD_VALID;

                printf("  \"msdm\": {\n");
                json_field(in, "payload", payload_name(s->msdm.payload), false);
                json_field(in, "product_key", valid ? key : NULL, false);
                json_field(in, "note", valid ? NULL : s->msdm.note, false);
                printf("%s\"version\": %u,\n%s\"data_type\": %u,\n%s\"data_length\": %u\n  },\n",
                       in, s->msdm.version, in, s->msdm.data_type, in, s->msdm.data_length);
        } else
                puts("  \"msdm\": null,");
        if (s->has_slic) {
                const bool valid = s->slic.payload == OEMKVM_PAYLOAD_VALID;
                char version[32];

                snprintf(version, sizeof(version), "%u.%u",
                         s->slic.marker_version >> 16, s->slic.marker_version & 0xffff);
                printf("  \"slic\": {\n");
                json_field(in, "payload", payload_name(s->slic.payload), false);
                json_field(in, "oem_id", valid ? s->slic.oem_id : NULL, false);
                json_field(in, "oem_table_id", valid ? s->slic.oem_table_id : NULL, false);
                json_field(in, "marker_version", valid ? version : NULL, false);
                json_field(in, "note", valid ? NULL : s->slic.note, true);
                puts("  },");
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

        /* Structure was checked when read; the payload is reported, never fatal. */
        s->has_msdm = d->msdm.data != NULL;
        if (s->has_msdm) {
                r = oemkvm_msdm_decode(d->msdm.data, d->msdm.len, &s->msdm, err);
                if (r < 0)
                        return r;
        }
        s->has_slic = d->slic.data != NULL;
        if (s->has_slic) {
                r = oemkvm_slic_decode(d->slic.data, d->slic.len, &s->slic, err);
                if (r < 0)
                        return r;
        }
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
                oemkvm_product_key_mask(shown.msdm.product_key, key, sizeof(key));

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
