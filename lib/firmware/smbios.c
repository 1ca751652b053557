/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SMBIOS: the entry point (_SM_ 2.x, _SM3_ 3.0) and the structure table
 * from sysfs, walked with dmidecode's bounds checks, and the structures QEMU
 * takes with -smbios file= extracted byte-exactly: formatted area, string
 * set and the string set's terminating NUL.
 *
 * Layouts: DMTF DSP0134 (SMBIOS Reference Specification) 3.x; the walk
 * follows dmidecode's dmi_table_decode() and the kernel's dmi_decode_table().
 */
#include <stdio.h>
#include <string.h>

#include "firmware/firmware.h"
#include "util/util.h"

#define DMI_TABLES_DIR "/sys/firmware/dmi/tables"
#define SMBIOS_EP_PATH DMI_TABLES_DIR "/smbios_entry_point"
#define SMBIOS_DMI_PATH DMI_TABLES_DIR "/DMI"

/* An entry point is at most 0x20 bytes; a 3.0 table's size is a u32 but
 * nothing real comes close to this. */
#define SMBIOS_EP_MAX 64
#define SMBIOS_TABLE_MAX (16 * 1024 * 1024)

#define SMBIOS_TYPE_EOT 127

struct smbios_struct {
        size_t offset;
        size_t len;             /* formatted area + strings + final NUL */
        uint8_t type;
};

struct oemkvm_smbios {
        unsigned version;
        uint8_t *table;
        size_t table_len;
        struct smbios_struct *structs;
        size_t n_structs;
};

/* What the entry point says about the table. */
struct entry_point {
        unsigned version;
        size_t table_len;       /* 2.x: exact length; 3.0: maximum length */
        unsigned count;         /* 2.x only; 0 for 3.0 (stop at type 127) */
        size_t len_offset;      /* where table_len lives, for messages */
        bool v3;
};

static int entry_point_parse(const uint8_t *ep, size_t ep_len, const char *ep_origin,
                             struct entry_point *ret, struct oemkvm_error *err)
{
        if (ep_len >= 0x18 && memcmp(ep, "_SM3_", 5) == 0) {
                uint8_t len = ep[0x06];

                if (len < 0x18 || len > 0x20 || len > ep_len)
                        return oemkvm_error_set(err, -EBADMSG,
                                                "SMBIOS: bad entry point length in '%s' (offset 6): %u, file has %zu bytes — " CORRUPT,
                                                ep_origin, len, ep_len);
                if (!checksum_ok(ep, len))
                        return oemkvm_error_set(err, -EBADMSG,
                                                "SMBIOS: entry point checksum mismatch in '%s' (offset 5) — " CORRUPT,
                                                ep_origin);
                *ret = (struct entry_point) {
                        .version = (unsigned)(ep[0x07] << 8 | ep[0x08]),
                        .table_len = le32(ep + 0x0C),
                        .len_offset = 0x0C,
                        .v3 = true,
                };
                return 0;
        }

        /* dmidecode also wants 31 bytes before it trusts an _SM_ anchor. */
        if (ep_len >= 0x1F && memcmp(ep, "_SM_", 4) == 0) {
                uint8_t len = ep[0x05];
                unsigned version;

                /* 0x1E is a mistake in the 2.1 specification that firmware copied. */
                if (len < 0x1E || len > 0x20 || len > ep_len)
                        return oemkvm_error_set(err, -EBADMSG,
                                                "SMBIOS: bad entry point length in '%s' (offset 5): %u, file has %zu bytes — " CORRUPT,
                                                ep_origin, len, ep_len);
                if (!checksum_ok(ep, len))
                        return oemkvm_error_set(err, -EBADMSG,
                                                "SMBIOS: entry point checksum mismatch in '%s' (offset 4) — " CORRUPT,
                                                ep_origin);
                if (memcmp(ep + 0x10, "_DMI_", 5) != 0)
                        return oemkvm_error_set(err, -EBADMSG,
                                                "SMBIOS: no _DMI_ anchor in '%s' (offset 16) — " CORRUPT, ep_origin);
                if (!checksum_ok(ep + 0x10, 0x0F))
                        return oemkvm_error_set(err, -EBADMSG,
                                                "SMBIOS: intermediate (_DMI_) checksum mismatch in '%s' (offset 21) — " CORRUPT,
                                                ep_origin);

                /* Versions some firmware got wrong; dmidecode fixes them the same way
                 * and the UUID byte order depends on it. */
                version = (unsigned)(ep[0x06] << 8 | ep[0x07]);
                if (version == 0x021F || version == 0x0221)
                        version = 0x0203;
                else if (version == 0x0233)
                        version = 0x0206;

                *ret = (struct entry_point) {
                        .version = version,
                        .table_len = le16(ep + 0x16),
                        .count = le16(ep + 0x1C),
                        .len_offset = 0x16,
                };
                return 0;
        }

        return oemkvm_error_set(err, -EBADMSG,
                                "SMBIOS: no _SM_ or _SM3_ anchor in '%s' (offset 0): not an SMBIOS entry point (%zu bytes) — " CORRUPT,
                                ep_origin, ep_len);
}

/*
 * Length of the structure at p (at most `left` bytes): formatted area, then
 * the string set up to and including its double NUL.  0 when the string set
 * runs off the end; the formatted area must fit already.
 */
static size_t struct_span(const uint8_t *p, size_t left)
{
        size_t i = p[1];

        /* dmidecode's loop: the first NUL followed by NUL ends the set. */
        while (i + 1 < left && (p[i] != 0 || p[i + 1] != 0))
                i++;
        if (i + 2 > left)
                return 0;
        return i + 2;
}

static int table_walk(const struct entry_point *ep, const uint8_t *table, size_t table_len,
                      const char *ep_origin, const char *table_origin,
                      struct smbios_struct **ret_structs, size_t *ret_n, size_t *ret_used,
                      struct oemkvm_error *err)
{
        _cleanup_free_ struct smbios_struct *structs = NULL;
        size_t n = 0, cap = 0, off = 0, len;
        bool complete = false;

        /* The kernel trims DMI to the structures it walked, so a table shorter
         * than announced is normal as long as it holds everything announced;
         * that is decided after the walk. */
        len = ep->table_len < table_len ? ep->table_len : table_len;

        while (off + 4 <= len) {
                const uint8_t *p = table + off;
                size_t span;

                if (p[1] < 4)
                        return oemkvm_error_set(err, -EBADMSG,
                                                "SMBIOS: structure shorter than 4 bytes in '%s' (offset %zu): type %u says length %u — " CORRUPT,
                                                table_origin, off, p[0], p[1]);
                if (p[1] > len - off)
                        return oemkvm_error_set(err, -EBADMSG,
                                                "SMBIOS: structure runs past the end of the table in '%s' (offset %zu): type %u has length %u, %zu bytes left — " CORRUPT,
                                                table_origin, off, p[0], p[1], len - off);
                span = struct_span(p, len - off);
                if (span == 0)
                        return oemkvm_error_set(err, -EBADMSG,
                                                "SMBIOS: string set runs off the end of the table in '%s' (offset %zu): type %u structure has no terminating double NUL — " CORRUPT,
                                                table_origin, off + p[1], p[0]);

                if (n == cap) {
                        struct smbios_struct *s;

                        cap = cap ? cap * 2 : 32;
                        s = realloc(structs, cap * sizeof(*s));
                        if (!s)
                                return oemkvm_error_set(err, -ENOMEM, "SMBIOS: out of memory");
                        structs = s;
                }
                structs[n++] = (struct smbios_struct) { .offset = off, .len = span, .type = p[0] };
                off += span;

                /* 2.x has a count and OEM structures may follow type 127 (the
                 * kernel does not trust it either); 3.0 has only type 127. */
                if (ep->v3 ? p[0] == SMBIOS_TYPE_EOT : n == ep->count) {
                        complete = true;
                        break;
                }
        }

        if (!complete && ep->table_len > table_len)
                return oemkvm_error_set(err, -EBADMSG,
                                        "SMBIOS: entry point says the table is longer than the DMI table in '%s' (offset %zu): %zu bytes announced, '%s' has %zu and ends after %zu structures — firmware tables are inconsistent; refusing to pass them to the guest",
                                        ep_origin, ep->len_offset, ep->table_len, table_origin, table_len, n);

        *ret_structs = TAKE_PTR(structs);
        *ret_n = n;
        *ret_used = off;
        return 0;
}

static int smbios_parse(const uint8_t *ep_buf, size_t ep_len, const uint8_t *table, size_t table_len,
                        const char *ep_origin, const char *table_origin,
                        struct oemkvm_smbios **ret, struct oemkvm_error *err)
{
        _cleanup_free_ struct smbios_struct *structs = NULL;
        _cleanup_free_ uint8_t *copy = NULL;
        struct oemkvm_smbios *s;
        struct entry_point ep = {};
        size_t n = 0, used = 0;
        int r;

        r = entry_point_parse(ep_buf, ep_len, ep_origin, &ep, err);
        if (r < 0)
                return r;
        r = table_walk(&ep, table, table_len, ep_origin, table_origin, &structs, &n, &used, err);
        if (r < 0)
                return r;

        /* Only what was walked: bytes past the end are nobody's structure. */
        copy = malloc(used ? used : 1);
        s = calloc(1, sizeof(*s));
        if (!copy || !s) {
                free(s);
                return oemkvm_error_set(err, -ENOMEM, "SMBIOS: out of memory");
        }
        memcpy(copy, table, used);
        s->version = ep.version;
        s->table = TAKE_PTR(copy);
        s->table_len = used;
        s->structs = TAKE_PTR(structs);
        s->n_structs = n;
        *ret = s;
        return 0;
}

int oemkvm_smbios_parse(const uint8_t *entry_point, size_t ep_len,
                        const uint8_t *table, size_t table_len,
                        struct oemkvm_smbios **ret, struct oemkvm_error *err)
{
        return smbios_parse(entry_point, ep_len, table, table_len, "smbios_entry_point", "DMI", ret, err);
}

static int dmi_file_read(const struct oemkvm_ctx *ctx, const char *rel, size_t max, char **ret_path,
                         uint8_t **ret_buf, size_t *ret_len, struct oemkvm_error *err)
{
        _cleanup_free_ char *path = NULL;
        int r;

        r = oemkvm_ctx_path(ctx, rel, &path);
        if (r < 0)
                return oemkvm_error_set(err, r, "SMBIOS: cannot build the path of '%s'", rel);
        r = read_full_file(path, max, ret_buf, ret_len, err);
        if (r == -ENOENT)
                return oemkvm_error_set(err, r,
                                        "SMBIOS: '%s' does not exist — the kernel exposes no SMBIOS tables (no DMI firmware, or CONFIG_DMI_SYSFS is off)",
                                        path);
        if (errno_is_denied(r))
                return oemkvm_error_set(err, r, "cannot read '%s': permission denied — " FIRMWARE_ROOT_ONLY, path);
        if (r < 0)
                return r;
        *ret_path = TAKE_PTR(path);
        return 0;
}

int oemkvm_smbios_read(const struct oemkvm_ctx *ctx, struct oemkvm_smbios **ret,
                       struct oemkvm_error *err)
{
        _cleanup_free_ char *ep_path = NULL, *dmi_path = NULL;
        _cleanup_free_ uint8_t *ep = NULL, *table = NULL;
        size_t ep_len, table_len;
        int r;

        r = dmi_file_read(ctx, SMBIOS_EP_PATH, SMBIOS_EP_MAX, &ep_path, &ep, &ep_len, err);
        if (r < 0)
                return r;
        r = dmi_file_read(ctx, SMBIOS_DMI_PATH, SMBIOS_TABLE_MAX, &dmi_path, &table, &table_len, err);
        if (r < 0)
                return r;
        return smbios_parse(ep, ep_len, table, table_len, ep_path, dmi_path, ret, err);
}

void oemkvm_smbios_free(struct oemkvm_smbios *smbios)
{
        if (!smbios)
                return;
        free(smbios->table);
        free(smbios->structs);
        free(smbios);
}

unsigned oemkvm_smbios_version(const struct oemkvm_smbios *smbios)
{
        return smbios->version;
}

int oemkvm_smbios_find(const struct oemkvm_smbios *smbios, uint8_t type,
                       const uint8_t **ret_buf, size_t *ret_len)
{
        for (size_t i = 0; i < smbios->n_structs; i++)
                if (smbios->structs[i].type == type) {
                        *ret_buf = smbios->table + smbios->structs[i].offset;
                        *ret_len = smbios->structs[i].len;
                        return 0;
                }
        return -ENOENT;
}

int oemkvm_smbios_struct_check(const uint8_t *buf, size_t len, uint8_t type,
                               const char *origin, struct oemkvm_error *err)
{
        size_t span;

        if (len < 4)
                return oemkvm_error_set(err, -EBADMSG,
                                        "SMBIOS type %u: file too short in '%s' (offset %zu): %zu bytes, a structure header is 4 — " CORRUPT,
                                        type, origin, len, len);
        if (buf[0] != type)
                return oemkvm_error_set(err, -EBADMSG,
                                        "SMBIOS type %u: wrong structure type in '%s' (offset 0): found type %u — not a type %u structure; refusing to pass it to the guest",
                                        type, origin, buf[0], type);
        if (buf[1] < 4)
                return oemkvm_error_set(err, -EBADMSG,
                                        "SMBIOS type %u: structure shorter than 4 bytes in '%s' (offset 1): length %u — " CORRUPT,
                                        type, origin, buf[1]);
        if (buf[1] > len)
                return oemkvm_error_set(err, -EBADMSG,
                                        "SMBIOS type %u: structure runs past the end of the file in '%s' (offset 1): length %u, file has %zu bytes — " CORRUPT,
                                        type, origin, buf[1], len);
        span = struct_span(buf, len);
        if (span == 0)
                return oemkvm_error_set(err, -EBADMSG,
                                        "SMBIOS type %u: string set runs off the end of the file in '%s' (offset %u): no terminating double NUL — " CORRUPT,
                                        type, origin, buf[1]);
        /* QEMU takes one structure per file and would glue the rest on. */
        if (span != len)
                return oemkvm_error_set(err, -EBADMSG,
                                        "SMBIOS type %u: trailing bytes after the structure in '%s' (offset %zu): %zu bytes more — a dump holds exactly one structure; refusing to pass it to the guest",
                                        type, origin, span, len - span);
        return 0;
}

const char *oemkvm_smbios_string(const uint8_t *buf, size_t len, uint8_t index)
{
        size_t off;

        /* Index 0 means "no string" (dmidecode prints "Not Specified"). */
        if (index == 0 || len < 4 || buf[1] < 4 || buf[1] >= len)
                return NULL;

        off = buf[1];
        for (uint8_t i = 1; off < len && buf[off] != 0; i++) {
                const uint8_t *end = memchr(buf + off, 0, len - off);

                if (!end)
                        return NULL;
                if (i == index)
                        return (const char *)buf + off;
                off = (size_t)(end - buf) + 1;
        }
        /* Past the last string: dmidecode's "<BAD INDEX>". */
        return NULL;
}

/* A string field at `offset` of the formatted area, when the area has it. */
static const char *string_field(const uint8_t *buf, size_t len, size_t offset)
{
        if (offset >= buf[1])
                return NULL;
        return oemkvm_smbios_string(buf, len, buf[offset]);
}

OEMKVM_EXPORT int oemkvm_smbios_bios_decode(const uint8_t *buf, size_t len,
                                            struct oemkvm_smbios_bios *ret)
{
        if (oemkvm_smbios_struct_check(buf, len, 0, "type 0", NULL) < 0)
                return -EBADMSG;

        *ret = (struct oemkvm_smbios_bios) {
                .vendor = string_field(buf, len, 0x04),
                .version = string_field(buf, len, 0x05),
                .date = string_field(buf, len, 0x08),
        };
        return 0;
}

/*
 * The UUID as RFC 4122 text, lower case (as the kernel's product_uuid,
 * libvirt and systemd print it; dmidecode prints upper case).  Since SMBIOS
 * 2.6 the first three fields are little-endian (dmidecode: version >= 2.6).
 * All 0xFF ("Not Present", settable) and all 0x00 ("Not Settable") identify
 * nothing, so both become "".
 */
static void uuid_format(const uint8_t *p, unsigned version, char out[37])
{
        bool all_ff = true, all_00 = true;

        for (size_t i = 0; i < 16; i++) {
                all_ff = all_ff && p[i] == 0xFF;
                all_00 = all_00 && p[i] == 0x00;
        }
        if (all_ff || all_00) {
                out[0] = '\0';
                return;
        }

        if (version >= 0x0206)
                snprintf(out, 37,
                         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                         p[3], p[2], p[1], p[0], p[5], p[4], p[7], p[6],
                         p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15]);
        else
                snprintf(out, 37,
                         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                         p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7],
                         p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15]);
}

OEMKVM_EXPORT int oemkvm_smbios_system_decode(const uint8_t *buf, size_t len, unsigned smbios_version,
                                              struct oemkvm_smbios_system *ret)
{
        struct oemkvm_smbios_system s = {};

        if (oemkvm_smbios_struct_check(buf, len, 1, "type 1", NULL) < 0)
                return -EBADMSG;

        s.manufacturer = string_field(buf, len, 0x04);
        s.product = string_field(buf, len, 0x05);
        s.version = string_field(buf, len, 0x06);
        s.serial = string_field(buf, len, 0x07);
        /* UUID since 2.1 (length 0x19), SKU and family since 2.4 (0x1B). */
        if (buf[1] >= 0x18)
                uuid_format(buf + 0x08, smbios_version, s.uuid);
        s.sku = string_field(buf, len, 0x19);
        s.family = string_field(buf, len, 0x1A);

        *ret = s;
        return 0;
}
