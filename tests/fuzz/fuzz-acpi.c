/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ACPI tables as the firmware hands them: the structural checks for MSDM
 * and SLIC, then the decoders.  Property: a table the checks accept
 * decodes, and its fields stay inside their buffers (NUL-terminated,
 * printable where the decoder promises it).
 */
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct oemkvm_error err = {};
        struct oemkvm_msdm msdm;
        struct oemkvm_slic slic;
        int r;

        r = oemkvm_acpi_parse(data, size, "MSDM", "fuzz", &err);
        if (oemkvm_msdm_decode(data, size, &msdm, &err) >= 0) {
                if (r < 0)
                        fuzz_fail("MSDM decodes but does not parse: %s", err.message);
                if (strlen(msdm.product_key) != 29)
                        fuzz_fail("MSDM key of %zu characters", strlen(msdm.product_key));
        } else if (r >= 0)
                fuzz_fail("MSDM parses but does not decode: %s", err.message);

        r = oemkvm_acpi_parse(data, size, "SLIC", NULL, &err);
        if (oemkvm_slic_decode(data, size, &slic, &err) >= 0) {
                if (r < 0)
                        fuzz_fail("SLIC decodes but does not parse: %s", err.message);
                if (memchr(slic.oem_id, 0, sizeof(slic.oem_id)) == NULL ||
                    memchr(slic.oem_table_id, 0, sizeof(slic.oem_table_id)) == NULL)
                        fuzz_fail("SLIC IDs are not terminated");
                for (const char *c = slic.oem_id; *c; c++)
                        if (*c < 0x20 || *c >= 0x7f)
                                fuzz_fail("SLIC OEM ID holds byte 0x%02x", (unsigned char)*c);
        } else if (r >= 0)
                fuzz_fail("SLIC parses but does not decode: %s", err.message);

        /* Any other signature: the header checks alone. */
        if (size >= 4) {
                char sig[5];

                memcpy(sig, data, 4);
                sig[4] = 0;
                if (strlen(sig) == 4)
                        (void)oemkvm_acpi_parse(data, size, sig, "fuzz", &err);
        }
        if (err.message[sizeof(err.message) - 1] != 0)
                fuzz_fail("error message not terminated");
        return 0;
}
