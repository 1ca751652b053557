/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SMBIOS: entry points and table walk from buffers, reads through a context,
 * byte-exact structures, strings and the UUID. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "oemkvm.h"

#define ROOTS "tests/fixtures/roots/"

/* ------------------------------------------------------------ builders */

struct tbl {
        uint8_t d[1024];
        size_t n;
        unsigned count;
};

static void add(struct tbl *t, const void *p, size_t n)
{
        memcpy(t->d + t->n, p, n);
        t->n += n;
}

/* Appends a structure: `len` bytes of formatted area (header included, the
 * rest zero) then `strings`, a string set written out with its NULs. */
static size_t add_struct(struct tbl *t, uint8_t type, uint8_t len, const void *strings, size_t strings_len)
{
        size_t off = t->n;

        memset(t->d + t->n, 0, len);
        t->d[t->n] = type;
        t->d[t->n + 1] = len;
        t->d[t->n + 2] = (uint8_t)t->count;
        t->n += len;
        add(t, strings, strings_len);
        t->count++;
        return off;
}

/* type 0 (vendor "V", version "1.0", date "01/02/2003"; the literal's own
 * NUL ends the set) at 0, type 1 (no strings) at T0_LEN, type 127 at T1_END;
 * BASIC_LEN bytes in all. */
#define T0_LEN (0x18 + 18)
#define T1_END (T0_LEN + 0x1B + 2)
#define BASIC_LEN (T1_END + 6)
static void table_basic(struct tbl *t)
{
        size_t off;

        memset(t, 0, sizeof(*t));
        off = add_struct(t, 0, 0x18, "V\0" "1.0\0" "01/02/2003\0", T0_LEN - 0x18);
        t->d[off + 4] = 1;
        t->d[off + 5] = 2;
        t->d[off + 8] = 3;
        add_struct(t, 1, 0x1B, "\0", 2);
        add_struct(t, 127, 4, "\0", 2);
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
        uint8_t s = 0;

        for (size_t i = 0; i < n; i++)
                s = (uint8_t)(s + p[i]);
        return s;
}

static void ep3(uint8_t ep[24], uint32_t max_len)
{
        memset(ep, 0, 24);
        memcpy(ep, "_SM3_", 5);
        ep[6] = 0x18;
        ep[7] = 3;
        ep[8] = 2;
        ep[10] = 1;
        for (int i = 0; i < 4; i++)
                ep[12 + i] = (uint8_t)(max_len >> (8 * i));
        ep[5] = (uint8_t)(0x100 - sum8(ep, 24));
}

static void ep2(uint8_t ep[31], uint8_t minor, uint16_t len, uint16_t count)
{
        memset(ep, 0, 31);
        memcpy(ep, "_SM_", 4);
        ep[5] = 0x1F;
        ep[6] = 2;
        ep[7] = minor;
        memcpy(ep + 16, "_DMI_", 5);
        ep[22] = (uint8_t)len;
        ep[23] = (uint8_t)(len >> 8);
        ep[28] = (uint8_t)count;
        ep[29] = (uint8_t)(count >> 8);
        ep[21] = (uint8_t)(0x100 - sum8(ep + 16, 15));
        ep[4] = (uint8_t)(0x100 - sum8(ep, 31));
}

static int parse(const uint8_t *ep, size_t ep_len, const struct tbl *t, size_t len,
                 struct oemkvm_smbios **ret, struct oemkvm_error *err)
{
        return oemkvm_smbios_parse(ep, ep_len, t->d, len, ret, err);
}

static void expect_refused(const uint8_t *ep, size_t ep_len, const struct tbl *t, size_t len,
                           const char *frag1, const char *frag2)
{
        struct oemkvm_smbios *s = NULL;
        struct oemkvm_error err = {};

        CHECK_INT(parse(ep, ep_len, t, len, &s, &err), -EBADMSG);
        CHECK(s == NULL);
        CHECK_INT(err.code, -EBADMSG);
        CHECK_CONTAINS(err.message, frag1);
        CHECK_CONTAINS(err.message, frag2);
        CHECK(!strchr(err.message, '\n'));
}

/* ------------------------------------------------------------ parse from buffers */

TEST(parse_basic)
{
        struct tbl t;
        uint8_t ep[31];
        struct oemkvm_smbios *s = NULL;
        const uint8_t *p;
        size_t len;

        table_basic(&t);
        ep3(ep, (uint32_t)t.n);
        CHECK_INT(t.n, BASIC_LEN);
        CHECK_INT(parse(ep, 24, &t, t.n, &s, NULL), 0);
        if (!s)
                return;
        CHECK_INT(oemkvm_smbios_version(s), 0x0302);
        CHECK_INT(oemkvm_smbios_find(s, 0, &p, &len), 0);
        CHECK_MEM(p, len, t.d, T0_LEN);
        CHECK_INT(oemkvm_smbios_find(s, 1, &p, &len), 0);
        CHECK_MEM(p, len, t.d + T0_LEN, 0x1B + 2);
        CHECK_INT(oemkvm_smbios_find(s, 127, &p, &len), 0);
        CHECK_INT(len, 6);
        CHECK_INT(oemkvm_smbios_find(s, 2, &p, &len), -ENOENT);
        oemkvm_smbios_free(s);

        ep2(ep, 8, (uint16_t)t.n, 3);
        CHECK_INT(parse(ep, 31, &t, t.n, &s, NULL), 0);
        CHECK_INT(oemkvm_smbios_version(s), 0x0208);
        oemkvm_smbios_free(s);

        /* The dmidecode dump pads the entry point to 32 bytes. */
        uint8_t padded[32] = {};
        memcpy(padded, ep, 31);
        CHECK_INT(parse(padded, 32, &t, t.n, &s, NULL), 0);
        oemkvm_smbios_free(s);
        oemkvm_smbios_free(NULL);
}

TEST(entry_point_checks)
{
        struct tbl t;
        uint8_t ep[32];

        table_basic(&t);

        ep3(ep, (uint32_t)t.n);
        ep[5]++;
        expect_refused(ep, 24, &t, t.n, "SMBIOS: entry point checksum mismatch in 'smbios_entry_point' (offset 5)", "corrupt");
        ep3(ep, (uint32_t)t.n);
        ep[6] = 0x21;
        expect_refused(ep, 24, &t, t.n, "SMBIOS: bad entry point length in 'smbios_entry_point' (offset 6)", "33");
        ep3(ep, (uint32_t)t.n);
        ep[6] = 0x19;                   /* longer than the file */
        expect_refused(ep, 24, &t, t.n, "bad entry point length", "file has 24 bytes");
        ep3(ep, (uint32_t)t.n);
        expect_refused(ep, 23, &t, t.n, "SMBIOS: no _SM_ or _SM3_ anchor in 'smbios_entry_point' (offset 0)", "23 bytes");

        ep2(ep, 7, (uint16_t)t.n, 3);
        ep[4]++;
        expect_refused(ep, 31, &t, t.n, "SMBIOS: entry point checksum mismatch in 'smbios_entry_point' (offset 4)", "");
        ep2(ep, 7, (uint16_t)t.n, 3);
        ep[21]++;
        ep[4]--;                        /* outer checksum still right */
        expect_refused(ep, 31, &t, t.n, "SMBIOS: intermediate (_DMI_) checksum mismatch in 'smbios_entry_point' (offset 21)", "");
        ep2(ep, 7, (uint16_t)t.n, 3);
        ep[16] = '-';
        ep[21] = (uint8_t)(ep[21] + '_' - '-');
        expect_refused(ep, 31, &t, t.n, "SMBIOS: no _DMI_ anchor in 'smbios_entry_point' (offset 16)", "");
        ep2(ep, 7, (uint16_t)t.n, 3);
        expect_refused(ep, 30, &t, t.n, "no _SM_ or _SM3_ anchor", "30 bytes");
        ep2(ep, 7, (uint16_t)t.n, 3);
        ep[5] = 0x1D;
        ep[4] = (uint8_t)(ep[4] + 2);
        expect_refused(ep, 31, &t, t.n, "SMBIOS: bad entry point length in 'smbios_entry_point' (offset 5): 29", "");
        memset(ep, 0, sizeof(ep));
        expect_refused(ep, 32, &t, t.n, "no _SM_ or _SM3_ anchor", "");
}

TEST(entry_point_version_fixups)
{
        struct tbl t;
        uint8_t ep[31];
        struct oemkvm_smbios *s = NULL;

        table_basic(&t);
        ep2(ep, 0x33, (uint16_t)t.n, 3);        /* "2.51" meant 2.6 */
        CHECK_INT(parse(ep, 31, &t, t.n, &s, NULL), 0);
        CHECK_INT(oemkvm_smbios_version(s), 0x0206);
        oemkvm_smbios_free(s);
        ep2(ep, 0x1F, (uint16_t)t.n, 3);        /* "2.31" meant 2.3 */
        CHECK_INT(parse(ep, 31, &t, t.n, &s, NULL), 0);
        CHECK_INT(oemkvm_smbios_version(s), 0x0203);
        oemkvm_smbios_free(s);

        /* The 2.1 specification's 0x1E entry point length is accepted. */
        ep2(ep, 1, (uint16_t)t.n, 3);
        ep[5] = 0x1E;
        ep[4] = 0;
        ep[4] = (uint8_t)(0x100 - sum8(ep, 0x1E));
        CHECK_INT(parse(ep, 31, &t, t.n, &s, NULL), 0);
        oemkvm_smbios_free(s);
}

TEST(structure_checks)
{
        struct tbl t;
        uint8_t ep[24];

        /* Length 3, and 0: shorter than a header. */
        table_basic(&t);
        t.d[T0_LEN + 1] = 3;
        ep3(ep, (uint32_t)t.n);
        expect_refused(ep, 24, &t, t.n, "SMBIOS: structure shorter than 4 bytes in 'DMI' (offset 42)", "type 1 says length 3");
        t.d[1] = 0;
        expect_refused(ep, 24, &t, t.n, "structure shorter than 4 bytes in 'DMI' (offset 0)", "type 0 says length 0");

        /* Length exactly 4 is a structure (type 127 is one). */
        table_basic(&t);
        ep3(ep, (uint32_t)t.n);
        struct oemkvm_smbios *s = NULL;
        CHECK_INT(parse(ep, 24, &t, t.n, &s, NULL), 0);
        oemkvm_smbios_free(s);

        /* Formatted area past the end: by one, and by a lot. */
        table_basic(&t);
        t.n -= 6;                       /* drop type 127 */
        add_struct(&t, 2, 8, "", 0);
        t.n -= 1;                       /* the formatted area itself is cut */
        ep3(ep, (uint32_t)t.n);
        expect_refused(ep, 24, &t, t.n, "SMBIOS: structure runs past the end of the table in 'DMI' (offset 71)", "type 2 has length 8, 7 bytes left");
}

TEST(string_set_checks)
{
        struct tbl t;
        uint8_t ep[24];
        struct oemkvm_smbios *s = NULL;

        /* Formatted area ends exactly at the end: no string set at all. */
        table_basic(&t);
        t.n -= 6;
        add_struct(&t, 11, 5, "", 0);
        ep3(ep, (uint32_t)t.n);
        expect_refused(ep, 24, &t, t.n, "SMBIOS: string set runs off the end of the table in 'DMI' (offset 76)", "type 11 structure has no terminating double NUL");

        /* A string set one NUL short... */
        table_basic(&t);
        t.n -= 6;
        add_struct(&t, 11, 5, "abc\0", 4);
        ep3(ep, (uint32_t)t.n);
        expect_refused(ep, 24, &t, t.n, "string set runs off the end", "(offset 76)");
        /* ...and a string set with no strings one NUL short. */
        table_basic(&t);
        ep3(ep, (uint32_t)t.n - 1);
        expect_refused(ep, 24, &t, t.n - 1, "string set runs off the end", "(offset 75): type 127");

        /* Ending exactly on the double NUL, without type 127, is a whole table
         * when the entry point says that is all there is (3.0). */
        table_basic(&t);
        t.n -= 6;
        add_struct(&t, 11, 5, "abc\0\0", 5);
        ep3(ep, (uint32_t)t.n);
        CHECK_INT(parse(ep, 24, &t, t.n, &s, NULL), 0);
        oemkvm_smbios_free(s);
}

TEST(table_length_v3)
{
        struct tbl t;
        uint8_t ep[24];
        struct oemkvm_smbios *s = NULL;
        struct oemkvm_error err = {};
        const uint8_t *p;
        size_t len;

        /* A maximum larger than DMI is normal (the kernel trims DMI after
         * type 127), and whatever follows type 127 is nobody's. */
        table_basic(&t);
        add_struct(&t, 2, 8, "\0", 2);
        ep3(ep, 0x1000);
        CHECK_INT(parse(ep, 24, &t, t.n, &s, &err), 0);
        CHECK_INT(oemkvm_smbios_find(s, 2, &p, &len), -ENOENT);
        oemkvm_smbios_free(s);

        /* The maximum bounds the walk even when DMI is longer. */
        table_basic(&t);
        ep3(ep, T0_LEN);
        CHECK_INT(parse(ep, 24, &t, t.n, &s, &err), 0);
        CHECK_INT(oemkvm_smbios_find(s, 0, &p, &len), 0);
        CHECK_INT(oemkvm_smbios_find(s, 1, &p, &len), -ENOENT);
        oemkvm_smbios_free(s);
        ep3(ep, T0_LEN + 1);         /* one byte into type 1: not even a header */
        CHECK_INT(parse(ep, 24, &t, t.n, &s, &err), 0);
        oemkvm_smbios_free(s);

        /* DMI cut at a structure boundary, no type 127, maximum larger: the
         * table was cut short. */
        table_basic(&t);
        ep3(ep, (uint32_t)t.n + 100);
        expect_refused(ep, 24, &t, t.n - 6,
                       "SMBIOS: entry point says the table is longer than the DMI table in 'smbios_entry_point' (offset 12)",
                       "177 bytes announced, 'DMI' has 71 and ends after 2 structures");
}

TEST(table_length_v2)
{
        struct tbl t;
        uint8_t ep[31];
        struct oemkvm_smbios *s = NULL;
        struct oemkvm_error err = {};
        const uint8_t *p;
        size_t len;

        /* Length larger than DMI but every counted structure is there: the
         * kernel trimmed the slack. */
        table_basic(&t);
        ep2(ep, 7, (uint16_t)(t.n + 64), 3);
        CHECK_INT(parse(ep, 31, &t, t.n, &s, &err), 0);
        oemkvm_smbios_free(s);

        /* Length larger by one and a structure missing: the entry point lies. */
        ep2(ep, 7, (uint16_t)(t.n + 1), 4);
        expect_refused(ep, 31, &t, t.n,
                       "SMBIOS: entry point says the table is longer than the DMI table in 'smbios_entry_point' (offset 22)",
                       "78 bytes announced, 'DMI' has 77 and ends after 3 structures");

        /* The count ends the walk; 2.x may have OEM structures after 127. */
        table_basic(&t);
        add_struct(&t, 2, 8, "\0", 2);
        ep2(ep, 7, (uint16_t)t.n, 4);
        CHECK_INT(parse(ep, 31, &t, t.n, &s, &err), 0);
        CHECK_INT(oemkvm_smbios_find(s, 2, &p, &len), 0);
        CHECK_INT(len, 10);
        oemkvm_smbios_free(s);
        ep2(ep, 7, (uint16_t)t.n, 2);
        CHECK_INT(parse(ep, 31, &t, t.n, &s, &err), 0);
        CHECK_INT(oemkvm_smbios_find(s, 127, &p, &len), -ENOENT);
        oemkvm_smbios_free(s);

        /* A table length shorter than DMI bounds the walk. */
        ep2(ep, 7, T0_LEN, 4);
        CHECK_INT(parse(ep, 31, &t, t.n, &s, &err), 0);
        CHECK_INT(oemkvm_smbios_find(s, 1, &p, &len), -ENOENT);
        oemkvm_smbios_free(s);
}

/* ------------------------------------------------------------ fixtures */

static int read_root(const char *rcase, struct oemkvm_smbios **ret, struct oemkvm_error *err)
{
        struct oemkvm_ctx *ctx = check_fixture_ctx(rcase);
        int r;

        r = oemkvm_smbios_read(ctx, ret, err);
        oemkvm_ctx_free(ctx);
        return r;
}

static void expect_struct(const struct oemkvm_smbios *s, uint8_t type, const char *expected_rel)
{
        const uint8_t *p = NULL;
        size_t len = 0, exp_len;
        uint8_t *exp = check_read_file(check_srcpath(expected_rel), &exp_len);

        CHECK_INT(oemkvm_smbios_find(s, type, &p, &len), 0);
        CHECK_MEM(p, len, exp, exp_len);
        CHECK_INT(oemkvm_smbios_struct_check(p, len, type, expected_rel, NULL), 0);
        free(exp);
}

TEST(read_thinkpad)
{
        struct oemkvm_smbios *s = NULL;
        struct oemkvm_error err = {};
        struct oemkvm_smbios_bios b;
        struct oemkvm_smbios_system y;
        const uint8_t *p;
        size_t len;

        CHECK_INT(read_root("thinkpad-smbios3", &s, &err), 0);
        if (!s)
                return;
        CHECK_INT(oemkvm_smbios_version(s), 0x0300);
        expect_struct(s, 0, ROOTS "thinkpad-smbios3/expected/smbios_type_0.bin");
        expect_struct(s, 1, ROOTS "thinkpad-smbios3/expected/smbios_type_1.bin");

        CHECK_INT(oemkvm_smbios_find(s, 0, &p, &len), 0);
        CHECK_INT(oemkvm_smbios_bios_decode(p, len, &b), 0);
        CHECK_STR(b.vendor, "LENOVO");
        CHECK_STR(b.version, "N22ET80W (1.57 )");
        CHECK_STR(b.date, "02/27/2024");

        CHECK_INT(oemkvm_smbios_find(s, 1, &p, &len), 0);
        CHECK_INT(oemkvm_smbios_system_decode(p, len, oemkvm_smbios_version(s), &y), 0);
        CHECK_STR(y.manufacturer, "LENOVO");
        CHECK_STR(y.product, "20L8S2N800");
        CHECK_STR(y.version, "ThinkPad T480s");
        CHECK_STR(y.serial, "PF1TEST0");
        CHECK_STR(y.uuid, "4c3b2a19-6e5d-807f-91a2-b3c4d5e6f708");
        CHECK_STR(y.sku, "LENOVO_MT_20L8_BU_Think_FM_ThinkPad T480s");
        CHECK_STR(y.family, "ThinkPad T480s");

        /* Every other structure is there too, and 127 ends it. */
        CHECK_INT(oemkvm_smbios_find(s, 4, &p, &len), 0);
        CHECK_INT(len, 131);
        CHECK_INT(oemkvm_smbios_find(s, 11, &p, &len), 0);
        CHECK_INT(oemkvm_smbios_find(s, 127, &p, &len), 0);
        CHECK_INT(len, 6);
        CHECK(p[4] == 0 && p[5] == 0);
        oemkvm_smbios_free(s);
}

TEST(read_dell)
{
        struct oemkvm_smbios *s = NULL;
        struct oemkvm_error err = {};
        struct oemkvm_smbios_bios b;
        struct oemkvm_smbios_system y;
        const uint8_t *p;
        size_t len;

        CHECK_INT(read_root("legacy-smbios2-slic", &s, &err), 0);
        if (!s)
                return;
        CHECK_INT(oemkvm_smbios_version(s), 0x0207);
        expect_struct(s, 0, ROOTS "legacy-smbios2-slic/expected/smbios_type_0.bin");
        expect_struct(s, 1, ROOTS "legacy-smbios2-slic/expected/smbios_type_1.bin");

        CHECK_INT(oemkvm_smbios_find(s, 0, &p, &len), 0);
        CHECK_INT(oemkvm_smbios_bios_decode(p, len, &b), 0);
        CHECK_STR(b.vendor, "Dell Inc.");
        CHECK_STR(b.version, "A28");
        CHECK_STR(b.date, "10/28/2019");

        CHECK_INT(oemkvm_smbios_find(s, 1, &p, &len), 0);
        CHECK_INT(oemkvm_smbios_system_decode(p, len, oemkvm_smbios_version(s), &y), 0);
        CHECK_STR(y.manufacturer, "Dell Inc.");
        CHECK_STR(y.product, "Latitude E7440");
        CHECK_STR(y.version, "01");
        CHECK_STR(y.serial, "4TSTJ12");
        CHECK_STR(y.uuid, "4c4c4544-0054-5310-8054-b4c04f4a3132");
        CHECK_STR(y.sku, "05CA");
        CHECK(y.family == NULL);
        oemkvm_smbios_free(s);
}

TEST(read_type1_nostrings)
{
        struct oemkvm_smbios *s = NULL;
        struct oemkvm_error err = {};
        struct oemkvm_smbios_system y;
        const uint8_t *p;
        size_t len;

        CHECK_INT(read_root("type1-nostrings", &s, &err), 0);
        if (!s)
                return;
        CHECK_INT(oemkvm_smbios_version(s), 0x0205);
        expect_struct(s, 0, ROOTS "type1-nostrings/expected/smbios_type_0.bin");
        expect_struct(s, 1, ROOTS "type1-nostrings/expected/smbios_type_1.bin");

        CHECK_INT(oemkvm_smbios_find(s, 1, &p, &len), 0);
        /* Formatted area and exactly two NULs. */
        CHECK_INT(len, 0x1B + 2);
        CHECK(p[len - 1] == 0 && p[len - 2] == 0);
        CHECK_INT(oemkvm_smbios_system_decode(p, len, oemkvm_smbios_version(s), &y), 0);
        CHECK(!y.manufacturer && !y.product && !y.version && !y.serial && !y.sku && !y.family);
        /* Before 2.6 the UUID is stored in network byte order. */
        CHECK_STR(y.uuid, "03000200-0400-0500-0006-000700080009");
        oemkvm_smbios_free(s);
}

TEST(read_bad_fixtures)
{
        static const struct {
                const char *rcase, *frag1, *frag2;
        } cases[] = {
                { "smbios-short-structure", "SMBIOS: structure shorter than 4 bytes in '",
                  "smbios-short-structure/sys/firmware/dmi/tables/DMI' (offset 278): type 3 says length 2 — firmware table is corrupt; refusing to pass it to the guest" },
                { "smbios-string-overrun", "SMBIOS: string set runs off the end of the table in '",
                  "smbios-string-overrun/sys/firmware/dmi/tables/DMI' (offset 521): type 11 structure has no terminating double NUL" },
                { "smbios-ep-lies", "SMBIOS: entry point says the table is longer than the DMI table in '",
                  "smbios-ep-lies/sys/firmware/dmi/tables/smbios_entry_point' (offset 22): 460 bytes announced, '" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct oemkvm_smbios *s = NULL;
                struct oemkvm_error err = {};

                CHECK_INT(read_root(cases[i].rcase, &s, &err), -EBADMSG);
                CHECK(s == NULL);
                CHECK_CONTAINS(err.message, cases[i].frag1);
                CHECK_CONTAINS(err.message, cases[i].frag2);
        }

        {
                struct oemkvm_smbios *s = NULL;
                struct oemkvm_error err = {};

                CHECK_INT(read_root("smbios-ep-lies", &s, &err), -EBADMSG);
                CHECK_CONTAINS(err.message, "smbios-ep-lies/sys/firmware/dmi/tables/DMI' has 404 and ends after 5 structures");
        }

        /* The MSDM roots have good SMBIOS. */
        {
                struct oemkvm_smbios *s = NULL;

                CHECK_INT(read_root("msdm-bad-checksum", &s, NULL), 0);
                oemkvm_smbios_free(s);
        }
}

TEST(read_missing)
{
        const char *root = check_tmpdir();
        struct oemkvm_ctx *ctx = NULL;
        struct oemkvm_smbios *s = NULL;
        struct oemkvm_error err = {};

        CHECK_INT(oemkvm_ctx_new(root, &ctx), 0);
        CHECK_INT(oemkvm_smbios_read(ctx, &s, &err), -ENOENT);
        CHECK(s == NULL);
        CHECK_CONTAINS(err.message, "SMBIOS: '");
        CHECK_CONTAINS(err.message, "/sys/firmware/dmi/tables/smbios_entry_point' does not exist");
        oemkvm_ctx_free(ctx);
}

/* ------------------------------------------------------------ one structure */

TEST(struct_check)
{
        static const uint8_t good[] = { 1, 8, 0, 0, 1, 0, 0, 0, 'a', 0, 0 };
        struct oemkvm_error err = {};
        uint8_t buf[32];

        CHECK_INT(oemkvm_smbios_struct_check(good, sizeof(good), 1, "t1.bin", &err), 0);

        CHECK_INT(oemkvm_smbios_struct_check(good, sizeof(good), 0, "t1.bin", &err), -EBADMSG);
        CHECK_STR(err.message, "SMBIOS type 0: wrong structure type in 't1.bin' (offset 0): found type 1 — not a type 0 structure; refusing to pass it to the guest");

        /* What the dmidecode|xxd recipe produces: the final NUL is missing. */
        CHECK_INT(oemkvm_smbios_struct_check(good, sizeof(good) - 1, 1, "t1.bin", &err), -EBADMSG);
        CHECK_CONTAINS(err.message, "SMBIOS type 1: string set runs off the end of the file in 't1.bin' (offset 8)");

        memcpy(buf, good, sizeof(good));
        buf[sizeof(good)] = 0;
        CHECK_INT(oemkvm_smbios_struct_check(buf, sizeof(good) + 1, 1, "t1.bin", &err), -EBADMSG);
        CHECK_CONTAINS(err.message, "SMBIOS type 1: trailing bytes after the structure in 't1.bin' (offset 11): 1 bytes more");

        CHECK_INT(oemkvm_smbios_struct_check(good, 3, 1, "t1.bin", &err), -EBADMSG);
        CHECK_CONTAINS(err.message, "file too short in 't1.bin' (offset 3)");

        memcpy(buf, good, sizeof(good));
        buf[1] = 3;
        CHECK_INT(oemkvm_smbios_struct_check(buf, sizeof(good), 1, "t1.bin", &err), -EBADMSG);
        CHECK_CONTAINS(err.message, "SMBIOS type 1: structure shorter than 4 bytes in 't1.bin' (offset 1): length 3");
        buf[1] = 12;
        CHECK_INT(oemkvm_smbios_struct_check(buf, sizeof(good), 1, "t1.bin", &err), -EBADMSG);
        CHECK_CONTAINS(err.message, "structure runs past the end of the file in 't1.bin' (offset 1): length 12, file has 11 bytes");
        buf[1] = 11;
        CHECK_INT(oemkvm_smbios_struct_check(buf, sizeof(good), 1, "t1.bin", &err), -EBADMSG);
        CHECK_CONTAINS(err.message, "string set runs off the end");
}

TEST(strings)
{
        static const uint8_t s[] = { 11, 5, 0, 0, 3, 'o', 'n', 'e', 0, 't', 'w', 'o', 0, 'x', 0, 0 };

        CHECK(oemkvm_smbios_string(s, sizeof(s), 0) == NULL);
        CHECK_STR(oemkvm_smbios_string(s, sizeof(s), 1), "one");
        CHECK_STR(oemkvm_smbios_string(s, sizeof(s), 2), "two");
        CHECK_STR(oemkvm_smbios_string(s, sizeof(s), 3), "x");
        CHECK(oemkvm_smbios_string(s, sizeof(s), 4) == NULL);
        CHECK(oemkvm_smbios_string(s, sizeof(s), 255) == NULL);
        /* An unchecked buffer never reads past its end. */
        CHECK(oemkvm_smbios_string(s, 7, 1) == NULL);
        CHECK(oemkvm_smbios_string(s, 3, 1) == NULL);
        CHECK(oemkvm_smbios_string(s, 5, 1) == NULL);
}

TEST(system_decode_uuid)
{
        uint8_t t1[0x1B + 2] = { 1, 0x1B };
        struct oemkvm_smbios_system y;
        struct oemkvm_smbios_bios b;

        for (int i = 0; i < 16; i++)
                t1[8 + i] = (uint8_t)(0x11 * i);
        CHECK_INT(oemkvm_smbios_system_decode(t1, sizeof(t1), 0x0206, &y), 0);
        CHECK_STR(y.uuid, "33221100-5544-7766-8899-aabbccddeeff");
        CHECK_INT(oemkvm_smbios_system_decode(t1, sizeof(t1), 0x0205, &y), 0);
        CHECK_STR(y.uuid, "00112233-4455-6677-8899-aabbccddeeff");

        /* All 0xFF: "Not Present" (settable); all 0x00: "Not Settable". */
        memset(t1 + 8, 0xFF, 16);
        CHECK_INT(oemkvm_smbios_system_decode(t1, sizeof(t1), 0x0300, &y), 0);
        CHECK_STR(y.uuid, "");
        memset(t1 + 8, 0x00, 16);
        CHECK_INT(oemkvm_smbios_system_decode(t1, sizeof(t1), 0x0300, &y), 0);
        CHECK_STR(y.uuid, "");
        t1[23] = 1;
        CHECK_INT(oemkvm_smbios_system_decode(t1, sizeof(t1), 0x0300, &y), 0);
        CHECK_STR(y.uuid, "00000000-0000-0000-0000-000000000001");

        /* SMBIOS 2.0's type 1 stops after the serial: no UUID, SKU, family. */
        {
                static const uint8_t old[] = { 1, 8, 0, 0, 1, 2, 0, 0, 'M', 0, 'P', 0, 0 };

                CHECK_INT(oemkvm_smbios_system_decode(old, sizeof(old), 0x0200, &y), 0);
                CHECK_STR(y.manufacturer, "M");
                CHECK_STR(y.product, "P");
                CHECK(!y.version && !y.serial && !y.sku && !y.family);
                CHECK_STR(y.uuid, "");
        }
        /* 2.1 to 2.3: a UUID, but no SKU or family. */
        {
                uint8_t v21[0x19 + 2] = { 1, 0x19 };

                v21[8] = 0xAB;
                CHECK_INT(oemkvm_smbios_system_decode(v21, sizeof(v21), 0x0203, &y), 0);
                CHECK_STR(y.uuid, "ab000000-0000-0000-0000-000000000000");
                CHECK(!y.sku && !y.family);
        }

        /* Wrong type or a broken structure is refused. */
        CHECK_INT(oemkvm_smbios_bios_decode(t1, sizeof(t1), &b), -EBADMSG);
        CHECK_INT(oemkvm_smbios_system_decode(t1, sizeof(t1) - 1, 0x0300, &y), -EBADMSG);
}

TEST(bios_decode_short)
{
        /* SMBIOS 2.0 type 0: 0x12 bytes; fields from the formatted area only. */
        static const uint8_t t0[] = { 0, 0x12, 0, 0, 1, 0, 0, 0xF0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                      'V', 0, 'D', 0, 0 };
        struct oemkvm_smbios_bios b;

        CHECK_INT(oemkvm_smbios_bios_decode(t0, sizeof(t0), &b), 0);
        CHECK_STR(b.vendor, "V");
        CHECK(b.version == NULL);
        CHECK_STR(b.date, "D");
}

TESTS(T(parse_basic), T(entry_point_checks), T(entry_point_version_fixups), T(structure_checks),
      T(string_set_checks), T(table_length_v3), T(table_length_v2), T(read_thinkpad), T(read_dell),
      T(read_type1_nostrings), T(read_bad_fixtures), T(read_missing), T(struct_check), T(strings),
      T(system_decode_uuid), T(bios_decode_short))
