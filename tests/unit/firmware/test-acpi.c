/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ACPI MSDM/SLIC: parse from buffers, read through a context, decode. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "oemkvm.h"

#define ROOTS "tests/fixtures/roots/"

static uint8_t *fixture(const char *rel, size_t *len)
{
        return check_read_file(check_srcpath(rel), len);
}

static void fix_checksum(uint8_t *buf, size_t len)
{
        uint8_t sum = 0;

        buf[9] = 0;
        for (size_t i = 0; i < len; i++)
                sum = (uint8_t)(sum + buf[i]);
        buf[9] = (uint8_t)(0x100 - sum);
}

static void set_le32(uint8_t *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

/* Parses buf and expects failure with code and every fragment in the message. */
static void expect_refused(const uint8_t *buf, size_t len, const char *sig, int code,
                           const char *frag1, const char *frag2)
{
        struct oemkvm_error err = {};

        CHECK_INT(oemkvm_acpi_parse(buf, len, sig, "/fw/T", &err), code);
        CHECK_INT(err.code, code);
        CHECK_CONTAINS(err.message, frag1);
        CHECK_CONTAINS(err.message, frag2);
        CHECK(!strchr(err.message, '\n'));
}

TEST(parse_good_fixtures)
{
        static const char *const tables[] = {
                ROOTS "thinkpad-smbios3/sys/firmware/acpi/tables/MSDM",
                ROOTS "legacy-smbios2-slic/sys/firmware/acpi/tables/MSDM",
                ROOTS "legacy-smbios2-slic/sys/firmware/acpi/tables/SLIC",
                ROOTS "type1-nostrings/sys/firmware/acpi/tables/MSDM",
        };

        for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
                struct oemkvm_error err = {};
                size_t len;
                uint8_t *buf = fixture(tables[i], &len);

                CHECK_INT(oemkvm_acpi_parse(buf, len, strrchr(tables[i], '/') + 1, tables[i], &err), 0);
                CHECK_INT(err.code, 0);
                free(buf);
        }
}

TEST(parse_header_checks)
{
        size_t len;
        uint8_t *good = fixture(ROOTS "thinkpad-smbios3/expected/msdm.bin", &len);
        uint8_t buf[256];

        CHECK_INT(len, 85);

        /* Shorter than a header, by one and by everything. */
        expect_refused(good, 35, "MSDM", -EBADMSG, "MSDM: table shorter than its header in '/fw/T'", "(offset 35)");
        expect_refused(good, 0, "MSDM", -EBADMSG, "table shorter than its header", "0 bytes");

        memcpy(buf, good, len);
        memcpy(buf, "MDSM", 4);
        expect_refused(buf, len, "MSDM", -EBADMSG, "MSDM: wrong signature in '/fw/T' (offset 0)", "found \"MDSM\"");
        memcpy(buf, "MS\x01M", 4);
        expect_refused(buf, len, "MSDM", -EBADMSG, "wrong signature", "found \"MS\\x01M\"");

        /* Header length one more / one less than the file. */
        memcpy(buf, good, len);
        set_le32(buf + 4, (uint32_t)len + 1);
        fix_checksum(buf, len);
        expect_refused(buf, len, "MSDM", -EBADMSG, "MSDM: table truncated in '/fw/T' (offset 4)", "header length is 86 bytes, only 85 present");
        set_le32(buf + 4, (uint32_t)len - 1);
        fix_checksum(buf, len);
        expect_refused(buf, len, "MSDM", -EBADMSG, "MSDM: length mismatch in '/fw/T' (offset 4)", "header length is 84 bytes, but 85 present");

        /* A consistent table one byte below the MSDM minimum. */
        memcpy(buf, good, len);
        set_le32(buf + 4, 84);
        fix_checksum(buf, 84);
        expect_refused(buf, 84, "MSDM", -EBADMSG, "MSDM: table too short in '/fw/T' (offset 84)", "at least 85");

        /* Checksum off by one. */
        memcpy(buf, good, len);
        buf[9]++;
        expect_refused(buf, len, "MSDM", -EBADMSG,
                       "MSDM: checksum mismatch in '/fw/T' (offset 9) — firmware table is corrupt; refusing to pass it to the guest", "");
        free(good);
}

/* A structurally sound MSDM whose payload is not a key: accepted, reported. */
static void expect_msdm_note(const uint8_t *buf, size_t len, enum oemkvm_payload payload, const char *frag)
{
        struct oemkvm_error err = {};
        struct oemkvm_msdm m;

        CHECK_INT(oemkvm_acpi_parse(buf, len, "MSDM", "/fw/T", &err), 0);
        CHECK_INT(oemkvm_msdm_decode(buf, len, &m, &err), 0);
        CHECK_INT(m.payload, payload);
        CHECK_STR(m.product_key, "");
        CHECK_CONTAINS(m.note, frag);
        CHECK_CONTAINS(m.note, "Windows Setup will ask for a key");
        CHECK(!strchr(m.note, '\n'));
}

TEST(payload_msdm)
{
        size_t len;
        uint8_t *good = fixture(ROOTS "thinkpad-smbios3/expected/msdm.bin", &len);
        uint8_t buf[256];

        memcpy(buf, good, len);
        set_le32(buf + 52, 28);
        fix_checksum(buf, len);
        expect_msdm_note(buf, len, OEMKVM_PAYLOAD_MALFORMED, "no product key (data length 28 at offset 52, expected 29)");

        memcpy(buf, good, len);
        buf[56 + 5] = 'X';              /* the first dash */
        fix_checksum(buf, len);
        expect_msdm_note(buf, len, OEMKVM_PAYLOAD_MALFORMED, "no product key (unexpected byte 0x58 at offset 61)");

        memcpy(buf, good, len);
        buf[84] = 'a';                  /* lower case is not a product key character */
        fix_checksum(buf, len);
        expect_msdm_note(buf, len, OEMKVM_PAYLOAD_MALFORMED, "at offset 84");

        /* Blank key bytes, whatever the data length says. */
        memcpy(buf, good, len);
        memset(buf + 56, 0xFF, 29);
        fix_checksum(buf, len);
        expect_msdm_note(buf, len, OEMKVM_PAYLOAD_BLANK,
                         "no product key (blank placeholder from the firmware vendor) — Windows Setup will ask for a key");
        memset(buf + 36, 0x00, len - 36);
        fix_checksum(buf, len);
        expect_msdm_note(buf, len, OEMKVM_PAYLOAD_BLANK, "blank placeholder");
        free(good);
}

TEST(payload_slic)
{
        static const struct {
                size_t offset;
                const char *frag;
        } fields[] = {
                { 36, "no usable marker (public key structure type is 0x1 at offset 36, expected 0x0)" },
                { 40, "public key structure length is 0x9d at offset 40, expected 0x9c" },
                { 192, "marker structure type is 0x2 at offset 192, expected 0x1" },
                { 196, "marker structure length is 0xb7 at offset 196, expected 0xb6" },
        };
        size_t len;
        uint8_t *good = fixture(ROOTS "legacy-smbios2-slic/expected/slic.bin", &len);
        uint8_t buf[512];
        struct oemkvm_error err = {};
        struct oemkvm_slic s;

        CHECK_INT(len, 374);
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
                memcpy(buf, good, len);
                buf[fields[i].offset]++;
                fix_checksum(buf, len);
                CHECK_INT(oemkvm_acpi_parse(buf, len, "SLIC", "/fw/T", &err), 0);
                CHECK_INT(oemkvm_slic_decode(buf, len, &s, &err), 0);
                CHECK_INT(s.payload, OEMKVM_PAYLOAD_MALFORMED);
                CHECK_CONTAINS(s.note, fields[i].frag);
                CHECK_CONTAINS(s.note, "Windows Vista/7 OEM activation will not work");
                CHECK_STR(s.oem_id, "");
        }

        memcpy(buf, good, len);
        memcpy(buf + 218, "WINDOWZ ", 8);
        fix_checksum(buf, len);
        CHECK_INT(oemkvm_slic_decode(buf, len, &s, &err), 0);
        CHECK_CONTAINS(s.note, "no usable marker (no \"WINDOWS \" flag at offset 218)");

        /* The minimum size is structure: still refused. */
        memcpy(buf, good, len);
        set_le32(buf + 4, 373);
        fix_checksum(buf, 373);
        expect_refused(buf, 373, "SLIC", -EBADMSG, "SLIC: table too short in '/fw/T' (offset 373)", "at least 374");
        free(good);
}

/* Vendors' placeholders, shaped on real machines: passed on, explained. */
TEST(placeholder_fixtures)
{
        static const struct {
                const char *table;
                enum oemkvm_payload payload;
                const char *note;
        } cases[] = {
                { ROOTS "slic-placeholder/expected/slic.bin", OEMKVM_PAYLOAD_BLANK, "blank placeholder (marker absent)" },
                { ROOTS "slic-placeholder/expected/msdm.bin", OEMKVM_PAYLOAD_VALID, "" },
                { ROOTS "msdm-placeholder/expected/msdm.bin", OEMKVM_PAYLOAD_BLANK,
                  "no product key (blank placeholder from the firmware vendor) — Windows Setup will ask for a key" },
                { ROOTS "msdm-zero-slic/expected/msdm.bin", OEMKVM_PAYLOAD_BLANK, "blank placeholder from the firmware vendor" },
                { ROOTS "msdm-zero-slic/expected/slic.bin", OEMKVM_PAYLOAD_VALID, "" },
                { ROOTS "slic-only/expected/slic.bin", OEMKVM_PAYLOAD_VALID, "" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct oemkvm_error err = {};
                const char *sig = strstr(cases[i].table, "msdm.bin") ? "MSDM" : "SLIC";
                size_t len;
                uint8_t *buf = fixture(cases[i].table, &len);

                CHECK_INT(oemkvm_acpi_parse(buf, len, sig, cases[i].table, &err), 0);
                if (!strcmp(sig, "MSDM")) {
                        struct oemkvm_msdm m;

                        CHECK_INT(oemkvm_msdm_decode(buf, len, &m, &err), 0);
                        CHECK_INT(m.payload, cases[i].payload);
                        CHECK_CONTAINS(m.note, cases[i].note);
                        if (cases[i].payload == OEMKVM_PAYLOAD_BLANK)
                                CHECK_STR(m.product_key, "");
                        else
                                CHECK_STR(m.product_key, "TESTK-EYNOT-REAL0-OEMKV-M0004");
                } else {
                        struct oemkvm_slic s;

                        CHECK_INT(oemkvm_slic_decode(buf, len, &s, &err), 0);
                        CHECK_INT(s.payload, cases[i].payload);
                        CHECK_CONTAINS(s.note, cases[i].note);
                        if (cases[i].payload == OEMKVM_PAYLOAD_VALID)
                                CHECK_STR(s.note, "");
                }
                free(buf);
        }
}

TEST(parse_other_signatures)
{
        size_t len;
        uint8_t *good = fixture(ROOTS "thinkpad-smbios3/expected/msdm.bin", &len);
        uint8_t buf[64];
        struct oemkvm_error err = {};

        /* A bare header is a whole table for a signature we know no layout of. */
        memcpy(buf, good, 36);
        memcpy(buf, "XSDT", 4);
        set_le32(buf + 4, 36);
        fix_checksum(buf, 36);
        CHECK_INT(oemkvm_acpi_parse(buf, 36, "XSDT", "x", &err), 0);
        /* ...but a known signature has a minimum. */
        CHECK_INT(oemkvm_acpi_parse(good, len, "SLIC", "x", &err), -EBADMSG);
        CHECK_CONTAINS(err.message, "SLIC: wrong signature");

        CHECK_INT(oemkvm_acpi_parse(good, len, "MSD", "x", &err), -EINVAL);
        CHECK_INT(oemkvm_acpi_parse(good, len, NULL, "x", &err), -EINVAL);

        /* No origin: the message still reads. */
        good[9]++;
        CHECK_INT(oemkvm_acpi_parse(good, len, "MSDM", NULL, &err), -EBADMSG);
        CHECK_STR(err.message, "MSDM: checksum mismatch in the buffer (offset 9) — firmware table is corrupt; refusing to pass it to the guest");
        /* err is optional. */
        CHECK_INT(oemkvm_acpi_parse(good, len, "MSDM", NULL, NULL), -EBADMSG);
        free(good);
}

static int read_table(const char *rcase, const char *sig, uint8_t **buf, size_t *len, struct oemkvm_error *err)
{
        struct oemkvm_ctx *ctx = check_fixture_ctx(rcase);
        int r;

        r = oemkvm_acpi_read(ctx, sig, buf, len, err);
        oemkvm_ctx_free(ctx);
        return r;
}

TEST(read_good_fixtures)
{
        static const struct {
                const char *rcase, *sig, *expected;
        } cases[] = {
                { "thinkpad-smbios3", "MSDM", ROOTS "thinkpad-smbios3/expected/msdm.bin" },
                { "legacy-smbios2-slic", "MSDM", ROOTS "legacy-smbios2-slic/expected/msdm.bin" },
                { "legacy-smbios2-slic", "SLIC", ROOTS "legacy-smbios2-slic/expected/slic.bin" },
                { "type1-nostrings", "MSDM", ROOTS "type1-nostrings/expected/msdm.bin" },
                { "slic-placeholder", "SLIC", ROOTS "slic-placeholder/expected/slic.bin" },
                { "msdm-placeholder", "MSDM", ROOTS "msdm-placeholder/expected/msdm.bin" },
                { "msdm-zero-slic", "MSDM", ROOTS "msdm-zero-slic/expected/msdm.bin" },
                { "slic-only", "SLIC", ROOTS "slic-only/expected/slic.bin" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct oemkvm_error err = {};
                uint8_t *buf = NULL, *exp;
                size_t len = 0, exp_len;

                CHECK_INT(read_table(cases[i].rcase, cases[i].sig, &buf, &len, &err), 0);
                exp = fixture(cases[i].expected, &exp_len);
                CHECK_MEM(buf, len, exp, exp_len);
                free(buf);
                free(exp);
        }
}

TEST(read_absent)
{
        struct oemkvm_error err = {};
        uint8_t *buf = NULL;
        size_t len = 7;

        CHECK_INT(read_table("no-msdm", "MSDM", &buf, &len, &err), -ENOENT);
        CHECK_INT(err.code, -ENOENT);
        CHECK_CONTAINS(err.message, "MSDM: '");
        CHECK_CONTAINS(err.message, "no-msdm/sys/firmware/acpi/tables/MSDM' does not exist");
        CHECK_CONTAINS(err.message, "this machine has no OEM Windows product key table (MSDM) in firmware");
        CHECK(buf == NULL);
        CHECK_INT(len, 7);

        /* No SLIC is normal; the caller decides it is not an error. */
        CHECK_INT(read_table("thinkpad-smbios3", "SLIC", &buf, &len, &err), -ENOENT);
        CHECK_CONTAINS(err.message, "SLIC: '");
        CHECK_CONTAINS(err.message, "the firmware has no SLIC table");

        CHECK_INT(read_table("thinkpad-smbios3", "../x", &buf, &len, &err), -EINVAL);
        CHECK_INT(read_table("thinkpad-smbios3", "a/bc", &buf, &len, &err), -EINVAL);
}

TEST(read_bad_fixtures)
{
        static const struct {
                const char *rcase, *sig, *frag1, *frag2;
        } cases[] = {
                { "msdm-bad-checksum", "MSDM", "MSDM: checksum mismatch in '",
                  "msdm-bad-checksum/sys/firmware/acpi/tables/MSDM' (offset 9) — firmware table is corrupt; refusing to pass it to the guest" },
                { "msdm-truncated", "MSDM", "MSDM: table truncated in '",
                  "/MSDM' (offset 4): header length is 85 bytes, only 60 present" },
                { "msdm-wrong-signature", "MSDM", "MSDM: wrong signature in '",
                  "/MSDM' (offset 0): found \"MDSM\", expected \"MSDM\"" },
                { "slic-bad-checksum", "SLIC", "SLIC: checksum mismatch in '",
                  "slic-bad-checksum/sys/firmware/acpi/tables/SLIC' (offset 9)" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct oemkvm_error err = {};
                uint8_t *buf = NULL;
                size_t len = 0;

                CHECK_INT(read_table(cases[i].rcase, cases[i].sig, &buf, &len, &err), -EBADMSG);
                CHECK_CONTAINS(err.message, cases[i].frag1);
                CHECK_CONTAINS(err.message, cases[i].frag2);
                CHECK(buf == NULL);
        }

        /* The MSDM next to the bad SLIC is fine: one bad table spoils only itself. */
        {
                struct oemkvm_error err = {};
                uint8_t *buf = NULL;
                size_t len = 0;

                CHECK_INT(read_table("slic-bad-checksum", "MSDM", &buf, &len, &err), 0);
                free(buf);
        }
}

TEST(read_refuses_symlink_and_unreadable)
{
        const char *root = check_tmpdir();
        char dir[2048], path[2100], target[2100], cmd[2200];
        struct oemkvm_ctx *ctx = NULL;
        struct oemkvm_error err = {};
        uint8_t *buf = NULL;
        size_t len = 0;
        FILE *f;

        snprintf(dir, sizeof(dir), "%s/sys/firmware/acpi/tables", root);
        snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dir);
        CHECK_INT(system(cmd), 0);
        snprintf(target, sizeof(target), "%s/elsewhere", root);
        f = fopen(target, "we");
        CHECK(f != NULL);
        fclose(f);
        snprintf(path, sizeof(path), "%s/MSDM", dir);
        CHECK_INT(symlink(target, path), 0);

        CHECK_INT(oemkvm_ctx_new(root, &ctx), 0);
        CHECK_INT(oemkvm_acpi_read(ctx, "MSDM", &buf, &len, &err), -ELOOP);
        CHECK_CONTAINS(err.message, "symbolic link");

        /* 0400 root in real life; root reads anything, so only test as a user. */
        if (geteuid() != 0) {
                snprintf(path, sizeof(path), "%s/SLIC", dir);
                f = fopen(path, "we");
                CHECK(f != NULL);
                fclose(f);
                CHECK_INT(chmod(path, 0), 0);
                CHECK_INT(oemkvm_acpi_read(ctx, "SLIC", &buf, &len, &err), -EACCES);
                CHECK_CONTAINS(err.message, "run with sudo");
        }
        oemkvm_ctx_free(ctx);
}

/* A FIFO in place of a table: refused at once, not waited on. */
TEST(read_fifo_refused)
{
        const char *root = check_tmpdir();
        char dir[2048], path[2100], cmd[2200];
        struct oemkvm_ctx *ctx = NULL;
        struct oemkvm_error err = {};
        uint8_t *buf = NULL;
        size_t len = 0;

        snprintf(dir, sizeof(dir), "%s/sys/firmware/acpi/tables", root);
        snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dir);
        CHECK_INT(system(cmd), 0);
        snprintf(path, sizeof(path), "%s/MSDM", dir);
        CHECK_INT(mkfifo(path, 0400), 0);
        CHECK_INT(oemkvm_ctx_new(root, &ctx), 0);
        alarm(10);
        CHECK_INT(oemkvm_acpi_read(ctx, "MSDM", &buf, &len, &err), -EINVAL);
        alarm(0);
        CHECK_CONTAINS(err.message, path);
        CHECK_CONTAINS(err.message, "it is a FIFO, not a regular file");
        oemkvm_ctx_free(ctx);
}

TEST(decode_msdm)
{
        size_t len;
        uint8_t *buf = fixture(ROOTS "thinkpad-smbios3/expected/msdm.bin", &len);
        struct oemkvm_msdm m = {}, untouched;
        struct oemkvm_error err = {};

        CHECK_INT(oemkvm_msdm_decode(buf, len, &m, &err), 0);
        CHECK_STR(m.product_key, "TESTK-EYNOT-REAL0-OEMKV-M0001");
        CHECK_INT(m.payload, OEMKVM_PAYLOAD_VALID);
        CHECK_STR(m.note, "");
        CHECK_INT(m.version, 1);
        CHECK_INT(m.data_type, 1);
        CHECK_INT(m.data_length, 29);

        /* A corrupt buffer is refused and the result is left alone. */
        buf[20] ^= 0x20;
        memset(&untouched, 0x5a, sizeof(untouched));
        memcpy(&m, &untouched, sizeof(m));
        CHECK_INT(oemkvm_msdm_decode(buf, len, &m, &err), -EBADMSG);
        CHECK_CONTAINS(err.message, "MSDM: checksum mismatch");
        CHECK(memcmp(&m, &untouched, sizeof(m)) == 0);

        /* A SLIC is not an MSDM. */
        free(buf);
        buf = fixture(ROOTS "legacy-smbios2-slic/expected/slic.bin", &len);
        CHECK_INT(oemkvm_msdm_decode(buf, len, &m, &err), -EBADMSG);
        CHECK_CONTAINS(err.message, "found \"SLIC\", expected \"MSDM\"");
        free(buf);

        buf = fixture(ROOTS "legacy-smbios2-slic/expected/msdm.bin", &len);
        CHECK_INT(oemkvm_msdm_decode(buf, len, &m, NULL), 0);
        CHECK_STR(m.product_key, "TESTK-EYNOT-REAL0-OEMKV-M0002");
        free(buf);
}

TEST(decode_slic)
{
        size_t len;
        uint8_t *buf = fixture(ROOTS "legacy-smbios2-slic/expected/slic.bin", &len);
        struct oemkvm_slic s = {}, untouched;
        struct oemkvm_error err = {};

        CHECK_INT(oemkvm_slic_decode(buf, len, &s, &err), 0);
        CHECK_STR(s.oem_id, "DELL");
        CHECK_STR(s.oem_table_id, "CBX3");
        CHECK_INT(s.marker_version, 0x00020001);
        CHECK_INT(s.payload, OEMKVM_PAYLOAD_VALID);
        CHECK_STR(s.note, "");

        buf[0x100] ^= 1;
        memset(&untouched, 0x5a, sizeof(untouched));
        memcpy(&s, &untouched, sizeof(s));
        CHECK_INT(oemkvm_slic_decode(buf, len, &s, &err), -EBADMSG);
        CHECK_CONTAINS(err.message, "SLIC: checksum mismatch in the buffer (offset 9)");
        CHECK(memcmp(&s, &untouched, sizeof(s)) == 0);
        free(buf);
}

/* show and doctor print the key with every group but the last hidden. */
TEST(product_key_mask)
{
        char out[30], small[8];

        oemkvm_product_key_mask("ABCDE-FGHIJ-KLMNO-PQRST-UVWXY", out, sizeof(out));
        CHECK_STR(out, "*****-*****-*****-*****-UVWXY");
        oemkvm_product_key_mask("ABCDEFGHIJ", out, sizeof(out));
        CHECK_STR(out, "*****FGHIJ");
        oemkvm_product_key_mask("ABCDE-FGHIJ", small, sizeof(small));
        CHECK_STR(small, "*****-F");
        oemkvm_product_key_mask("", out, sizeof(out));
        CHECK_STR(out, "");
}

TESTS(T(product_key_mask), T(parse_good_fixtures), T(parse_header_checks), T(payload_msdm), T(payload_slic), T(placeholder_fixtures),
      T(parse_other_signatures), T(read_good_fixtures), T(read_absent), T(read_bad_fixtures),
      T(read_refuses_symlink_and_unreadable), T(read_fifo_refused), T(decode_msdm), T(decode_slic))
