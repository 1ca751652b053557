/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AppArmor rule reader the hook runs at every tagged start on an
 * AppArmor host: the input is an abstraction's text, asked about a few
 * store and dump paths.  Properties: the answer is the same twice (no
 * state, no reading outside the text) and a deny names a line the text has.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "host/host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const paths[] = {
                "/var/lib/oemkvm/host/msdm.bin",
                "/home/ann/my dumps/t480s/smbios_type_1.bin",
                "/srv/oem/slic.bin",
        };
        unsigned lines = 1;

        for (size_t i = 0; i < size; i++)
                lines += data[i] == '\n';
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
                unsigned line = 0, again_line = 0;
                enum apparmor_verdict v = apparmor_rules_verdict((const char *)data, size, paths[i], &line);
                enum apparmor_verdict again = apparmor_rules_verdict((const char *)data, size, paths[i], &again_line);

                if (v != again || line != again_line)
                        fuzz_fail("two readings of the same rules disagree about '%s'", paths[i]);
                if (v == DENIED && (line == 0 || line > lines))
                        fuzz_fail("a deny on line %u of %u", line, lines);
        }
        return 0;
}
