/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the firmware readers (acpi.c, smbios.c) share: the words that end a
 * message about a broken table, and the byte-sum check both formats use.
 */
#ifndef OEMKVM_FIRMWARE_H
#define OEMKVM_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CORRUPT "firmware table is corrupt; refusing to pass it to the guest"
/* Why reading a firmware table was denied, and what to do. */
#define FIRMWARE_ROOT_ONLY "firmware tables are readable by root only; run with sudo"

/* ACPI tables and SMBIOS entry points are valid when their bytes sum to 0. */
static inline bool checksum_ok(const uint8_t *p, size_t n)
{
        uint8_t sum = 0;

        for (size_t i = 0; i < n; i++)
                sum = (uint8_t)(sum + p[i]);
        return sum == 0;
}

#endif
