/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ACPI tables the guest needs for OEM activation: MSDM (the Windows 8+
 * product key) and SLIC (the Vista/7 marker).  A table's structure is
 * validated before anything is handed on, because QEMU rewrites length and
 * checksum and would happily pass a corrupt table to the guest as if it were
 * good.  Its payload is only decoded, never judged: vendors ship tables that
 * are structurally sound but blank (all 0x00 or 0xFF), and the guest must
 * see exactly what the host has.
 *
 * Layouts: Microsoft, "Software Licensing Tables (SLIC and MSDM)".
 */
#include <stdio.h>
#include <string.h>

#include "firmware/firmware.h"
#include "util/util.h"

#define ACPI_TABLES_DIR "/sys/firmware/acpi/tables"
/* Real tables are a few hundred bytes; anything larger is not ours. */
#define ACPI_TABLE_MAX (1024 * 1024)

/* MSDM: header, then the "software licensing data structure". */
#define MSDM_VERSION      36
#define MSDM_DATA_TYPE    44
#define MSDM_DATA_LENGTH  52
#define MSDM_DATA         56
#define MSDM_KEY_LEN      29
#define MSDM_MIN_SIZE     (MSDM_DATA + MSDM_KEY_LEN)

/* SLIC: header, OEM public key structure, SLIC marker structure. */
#define SLIC_PUBKEY        36
#define SLIC_PUBKEY_LEN    0x9C
#define SLIC_MARKER        (SLIC_PUBKEY + SLIC_PUBKEY_LEN)
#define SLIC_MARKER_LEN    0xB6
#define SLIC_MARKER_VER    (SLIC_MARKER + 8)
#define SLIC_MARKER_OEMID  (SLIC_MARKER + 12)
#define SLIC_MARKER_TBLID  (SLIC_MARKER + 18)
#define SLIC_MARKER_WINDOWS (SLIC_MARKER + 26)
#define SLIC_MIN_SIZE      (SLIC_MARKER + SLIC_MARKER_LEN)

/* " in 'origin'" when there is an origin; parse-from-buffer callers may have none. */
#define IN_FMT " in %s%s%s"
#define IN_ARGS(origin) (origin) ? "'" : "", (origin) ? (origin) : "the buffer", (origin) ? "'" : ""

static bool signature_valid(const char *signature)
{
        return signature && strlen(signature) == 4;
}

/* Four bytes as text for a message, with anything unprintable escaped. */
static void signature_format(const uint8_t *p, char out[17])
{
        size_t n = 0;

        for (size_t i = 0; i < 4; i++) {
                if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
                        out[n++] = (char)p[i];
                else
                        n += (size_t)snprintf(out + n, 5, "\\x%02x", p[i]);
        }
        out[n] = '\0';
}

/* Copies a fixed-width, space-padded ACPI field without its padding. */
static void field_copy(char *dst, const uint8_t *src, size_t n)
{
        while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\0'))
                n--;
        for (size_t i = 0; i < n; i++)
                dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
        dst[n] = '\0';
}

/* Are all n bytes at p 0x00, or all 0xFF: a vendor's blank placeholder? */
static bool blank(const uint8_t *p, size_t n)
{
        bool zero = true, ones = true;

        for (size_t i = 0; i < n; i++) {
                zero = zero && p[i] == 0x00;
                ones = ones && p[i] == 0xFF;
        }
        return zero || ones;
}

#define NO_KEY_CONSEQUENCE "Windows Setup will ask for a key"
#define NO_MARKER_CONSEQUENCE "Windows Vista/7 OEM activation will not work"

/* What the MSDM's licensing data holds; the table itself was checked. */
static void msdm_payload(const uint8_t *buf, struct oemkvm_msdm *m)
{
        const uint8_t *key = buf + MSDM_DATA;

        m->payload = OEMKVM_PAYLOAD_MALFORMED;
        if (blank(key, MSDM_KEY_LEN)) {
                m->payload = OEMKVM_PAYLOAD_BLANK;
                snprintf(m->note, sizeof(m->note),
                         "no product key (blank placeholder from the firmware vendor) — " NO_KEY_CONSEQUENCE);
                return;
        }
        if (m->data_length != MSDM_KEY_LEN) {
                snprintf(m->note, sizeof(m->note),
                         "no product key (data length %u at offset %d, expected %d) — " NO_KEY_CONSEQUENCE,
                         m->data_length, MSDM_DATA_LENGTH, MSDM_KEY_LEN);
                return;
        }
        /* Five groups of five letters or digits separated by dashes. */
        for (size_t i = 0; i < MSDM_KEY_LEN; i++) {
                uint8_t c = key[i];
                bool ok = i % 6 == 5 ? c == '-' : ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));

                if (!ok) {
                        snprintf(m->note, sizeof(m->note),
                                 "no product key (unexpected byte 0x%02x at offset %zu) — " NO_KEY_CONSEQUENCE,
                                 c, MSDM_DATA + i);
                        return;
                }
        }
        m->payload = OEMKVM_PAYLOAD_VALID;
        memcpy(m->product_key, key, MSDM_KEY_LEN);
}

/* What the SLIC's public key and marker structures hold. */
static void slic_payload(const uint8_t *buf, size_t len, struct oemkvm_slic *s)
{
        static const struct {
                size_t offset;
                uint32_t expected;
                const char *what;
        } fields[] = {
                { SLIC_PUBKEY, 0, "public key structure type" },
                { SLIC_PUBKEY + 4, SLIC_PUBKEY_LEN, "public key structure length" },
                { SLIC_MARKER, 1, "marker structure type" },
                { SLIC_MARKER + 4, SLIC_MARKER_LEN, "marker structure length" },
        };

        s->payload = OEMKVM_PAYLOAD_MALFORMED;
        if (blank(buf + OEMKVM_ACPI_HEADER_SIZE, len - OEMKVM_ACPI_HEADER_SIZE)) {
                s->payload = OEMKVM_PAYLOAD_BLANK;
                snprintf(s->note, sizeof(s->note), "blank placeholder (marker absent) — " NO_MARKER_CONSEQUENCE);
                return;
        }
        for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
                uint32_t v = le32(buf + fields[i].offset);

                if (v != fields[i].expected) {
                        snprintf(s->note, sizeof(s->note),
                                 "no usable marker (%s is 0x%x at offset %zu, expected 0x%x) — " NO_MARKER_CONSEQUENCE,
                                 fields[i].what, v, fields[i].offset, fields[i].expected);
                        return;
                }
        }
        if (memcmp(buf + SLIC_MARKER_WINDOWS, "WINDOWS ", 8) != 0) {
                snprintf(s->note, sizeof(s->note),
                         "no usable marker (no \"WINDOWS \" flag at offset %d) — " NO_MARKER_CONSEQUENCE,
                         SLIC_MARKER_WINDOWS);
                return;
        }
        s->payload = OEMKVM_PAYLOAD_VALID;
        /* The marker's IDs, not the header's: those are what Windows compares
         * with the RSDT/XSDT. */
        field_copy(s->oem_id, buf + SLIC_MARKER_OEMID, 6);
        field_copy(s->oem_table_id, buf + SLIC_MARKER_TBLID, 8);
        s->marker_version = le32(buf + SLIC_MARKER_VER);
}

/* The minimum sizes of the tables whose layout we know. */
static const struct {
        const char *signature;
        size_t min_size;
} known_tables[] = {
        { "MSDM", MSDM_MIN_SIZE },
        { "SLIC", SLIC_MIN_SIZE },
};

static int acpi_check(const uint8_t *buf, size_t len, const char *signature, const char *origin,
                      struct oemkvm_error *err)
{
        size_t min_size = OEMKVM_ACPI_HEADER_SIZE;
        char found[17];
        uint32_t hdr_len;

        if (!signature_valid(signature))
                return oemkvm_error_set(err, -EINVAL, "invalid ACPI signature '%s': must be 4 characters",
                                        signature ? signature : "");

        for (size_t i = 0; i < ARRAY_SIZE(known_tables); i++)
                if (strcmp(known_tables[i].signature, signature) == 0)
                        min_size = known_tables[i].min_size;

        if (len < OEMKVM_ACPI_HEADER_SIZE)
                return oemkvm_error_set(err, -EBADMSG,
                                        "%s: table shorter than its header" IN_FMT " (offset %zu): %zu bytes, an ACPI header is %d — " CORRUPT,
                                        signature, IN_ARGS(origin), len, len, OEMKVM_ACPI_HEADER_SIZE);

        if (memcmp(buf, signature, 4) != 0) {
                signature_format(buf, found);
                return oemkvm_error_set(err, -EBADMSG,
                                        "%s: wrong signature" IN_FMT " (offset 0): found \"%s\", expected \"%s\" — not the %s table; refusing to pass it to the guest",
                                        signature, IN_ARGS(origin), found, signature, signature);
        }

        hdr_len = le32(buf + 4);
        if (hdr_len > len)
                return oemkvm_error_set(err, -EBADMSG,
                                        "%s: table truncated" IN_FMT " (offset 4): header length is %u bytes, only %zu present — " CORRUPT,
                                        signature, IN_ARGS(origin), hdr_len, len);
        if (hdr_len < len)
                return oemkvm_error_set(err, -EBADMSG,
                                        "%s: length mismatch" IN_FMT " (offset 4): header length is %u bytes, but %zu present — " CORRUPT,
                                        signature, IN_ARGS(origin), hdr_len, len);

        if (len < min_size)
                return oemkvm_error_set(err, -EBADMSG,
                                        "%s: table too short" IN_FMT " (offset %zu): %zu bytes, a %s table has at least %zu — " CORRUPT,
                                        signature, IN_ARGS(origin), len, len, signature, min_size);

        if (!checksum_ok(buf, len))
                return oemkvm_error_set(err, -EBADMSG,
                                        "%s: checksum mismatch" IN_FMT " (offset 9) — " CORRUPT,
                                        signature, IN_ARGS(origin));

        return 0;
}

int oemkvm_acpi_parse(const uint8_t *buf, size_t len, const char *signature,
                      const char *origin, struct oemkvm_error *err)
{
        return acpi_check(buf, len, signature, origin, err);
}

int oemkvm_acpi_read(const struct oemkvm_ctx *ctx, const char *signature,
                     uint8_t **ret_buf, size_t *ret_len, struct oemkvm_error *err)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ uint8_t *buf = NULL;
        char rel[sizeof(ACPI_TABLES_DIR) + 8];
        size_t len;
        int r;

        /* The signature becomes a file name: nothing but four plain characters. */
        if (!signature_valid(signature) || strchr(signature, '/') || signature[0] == '.')
                return oemkvm_error_set(err, -EINVAL, "invalid ACPI signature '%s': must be 4 characters",
                                        signature ? signature : "");

        snprintf(rel, sizeof(rel), "%s/%s", ACPI_TABLES_DIR, signature);
        r = oemkvm_ctx_path(ctx, rel, &path);
        if (r < 0)
                return oemkvm_error_set(err, r, "%s: cannot build the path of the table", signature);

        r = read_full_file(path, ACPI_TABLE_MAX, &buf, &len, err);
        if (r == -ENOENT) {
                if (strcmp(signature, "MSDM") == 0)
                        return oemkvm_error_set(err, r,
                                                "MSDM: '%s' does not exist — this machine has no OEM Windows product key table (MSDM) in firmware",
                                                path);
                return oemkvm_error_set(err, r, "%s: '%s' does not exist — the firmware has no %s table",
                                        signature, path, signature);
        }
        if (errno_is_denied(r))
                return oemkvm_error_set(err, r, "cannot read '%s': permission denied — " FIRMWARE_ROOT_ONLY, path);
        if (r < 0)
                return r;

        r = acpi_check(buf, len, signature, path, err);
        if (r < 0)
                return r;

        *ret_buf = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

OEMKVM_EXPORT int oemkvm_msdm_decode(const uint8_t *buf, size_t len, struct oemkvm_msdm *ret,
                                     struct oemkvm_error *err)
{
        struct oemkvm_msdm m = {};
        int r;

        r = acpi_check(buf, len, "MSDM", NULL, err);
        if (r < 0)
                return r;

        m.version = le32(buf + MSDM_VERSION);
        m.data_type = le32(buf + MSDM_DATA_TYPE);
        m.data_length = le32(buf + MSDM_DATA_LENGTH);
        msdm_payload(buf, &m);
        *ret = m;
        return 0;
}

OEMKVM_EXPORT void oemkvm_product_key_mask(const char *key, char *out, size_t size)
{
        const char *last = strrchr(key, '-');

        snprintf(out, size, "%s", key);
        if (!last)
                last = key + strlen(key) - (strlen(key) > 5 ? 5 : strlen(key));
        for (size_t i = 0; i < (size_t)(last - key) && i < size - 1; i++)
                if (out[i] != '-')
                        out[i] = '*';
}

OEMKVM_EXPORT int oemkvm_slic_decode(const uint8_t *buf, size_t len, struct oemkvm_slic *ret,
                                     struct oemkvm_error *err)
{
        struct oemkvm_slic s = {};
        int r;

        r = acpi_check(buf, len, "SLIC", NULL, err);
        if (r < 0)
                return r;

        slic_payload(buf, len, &s);
        *ret = s;
        return 0;
}
