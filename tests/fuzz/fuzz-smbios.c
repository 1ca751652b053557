/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SMBIOS as sysfs hands it: input = one byte N, N bytes of entry point
 * (smbios_entry_point), then the structure table (DMI).  Parses the entry
 * point, walks the table, finds types 0 and 1 and decodes them.
 * Properties: a structure the walk hands out passes the single-structure
 * check of a dump file and lies inside the table; its strings are
 * terminated inside it.
 */
#include <string.h>

#include "fuzz.h"

static void check_string(const char *s, const uint8_t *buf, size_t len, const char *what)
{
        if (!s)
                return;
        if ((const uint8_t *)s < buf || (const uint8_t *)s >= buf + len ||
            !memchr(s, 0, len - (size_t)((const uint8_t *)s - buf)))
                fuzz_fail("SMBIOS %s string lies outside its structure", what);
}

static void decode(const uint8_t *s, size_t len, uint8_t type, unsigned version)
{
        struct oemkvm_error err = {};

        if (oemkvm_smbios_struct_check(s, len, type, "fuzz", &err) < 0)
                fuzz_fail("the walk hands out a type %u structure the dump check refuses: %s", type, err.message);
        if (type == 0) {
                struct oemkvm_smbios_bios b;

                if (oemkvm_smbios_bios_decode(s, len, &b) < 0)
                        fuzz_fail("a checked type 0 does not decode");
                check_string(b.vendor, s, len, "vendor");
                check_string(b.version, s, len, "BIOS version");
                check_string(b.date, s, len, "date");
        } else {
                struct oemkvm_smbios_system sys;

                if (oemkvm_smbios_system_decode(s, len, version, &sys) < 0)
                        fuzz_fail("a checked type 1 does not decode");
                check_string(sys.manufacturer, s, len, "manufacturer");
                check_string(sys.product, s, len, "product");
                check_string(sys.serial, s, len, "serial");
                check_string(sys.sku, s, len, "SKU");
                check_string(sys.family, s, len, "family");
                if (sys.uuid[0] && strlen(sys.uuid) != 36)
                        fuzz_fail("UUID '%s' is not 36 characters", sys.uuid);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct oemkvm_smbios *smbios = NULL;
        struct oemkvm_error err = {};
        size_t ep_len;

        if (size < 1)
                return 0;
        ep_len = data[0] < size - 1 ? data[0] : size - 1;
        if (oemkvm_smbios_parse(data + 1, ep_len, data + 1 + ep_len, size - 1 - ep_len, &smbios, &err) >= 0) {
                for (uint8_t type = 0; type <= 1; type++) {
                        const uint8_t *s;
                        size_t len;

                        if (oemkvm_smbios_find(smbios, type, &s, &len) < 0)
                                continue;
                        decode(s, len, type, oemkvm_smbios_version(smbios));
                }
                oemkvm_smbios_free(smbios);
        }

        /* The table bytes as a dump file of either type. */
        for (uint8_t type = 0; type <= 1; type++)
                if (oemkvm_smbios_struct_check(data + 1, size - 1, type, "fuzz", &err) >= 0)
                        decode(data + 1, size - 1, type, 0x0300);
        return 0;
}
