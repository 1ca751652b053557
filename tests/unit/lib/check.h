/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A very small unit-test harness: each test file defines its tests with
 * TEST(name) and lists them in a TESTS(...) table; main() runs them all and
 * fails when any CHECK failed.  Output is one "ok"/"not ok" line per test.
 */
#ifndef OEMKVM_CHECK_H
#define OEMKVM_CHECK_H

/* Test-only: the Makefile defines OEMKVM_TEST for test objects alone. */
#ifndef OEMKVM_TEST
#error "check.h is the unit-test harness; production code must not include it"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

extern int check_failures;

#define CHECK(cond)                                                              \
        do {                                                                     \
                if (!(cond)) {                                                   \
                        fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__,   \
                                __LINE__, #cond);                                \
                        check_failures++;                                        \
                }                                                                \
        } while (0)

#define CHECK_INT(a, b)                                                          \
        do {                                                                     \
                long long _a = (long long)(a), _b = (long long)(b);              \
                if (_a != _b) {                                                  \
                        fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
                                __FILE__, __LINE__, #a, _a, #b, _b);             \
                        check_failures++;                                        \
                }                                                                \
        } while (0)

#define CHECK_STR(a, b)                                                          \
        do {                                                                     \
                const char *_a = (a), *_b = (b);                                 \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                         \
                        fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", \
                                __FILE__, __LINE__, #a, _a ? _a : "(null)",      \
                                _b ? _b : "(null)");                             \
                        check_failures++;                                        \
                }                                                                \
        } while (0)

/* Substring match, for error messages. */
#define CHECK_CONTAINS(hay, needle)                                              \
        do {                                                                     \
                const char *_h = (hay), *_n = (needle);                          \
                if (!_h || !strstr(_h, _n)) {                                    \
                        fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", \
                                __FILE__, __LINE__, _h ? _h : "(null)", _n);     \
                        check_failures++;                                        \
                }                                                                \
        } while (0)

#define CHECK_MEM(a, alen, b, blen)                                              \
        do {                                                                     \
                size_t _al = (alen), _bl = (blen);                               \
                if (_al != _bl || memcmp((a), (b), _al) != 0) {                  \
                        fprintf(stderr, "%s:%d: %s (%zu bytes) differs from %s (%zu bytes)\n", \
                                __FILE__, __LINE__, #a, _al, #b, _bl);           \
                        check_failures++;                                        \
                }                                                                \
        } while (0)

struct check_test {
        const char *name;
        void (*fn)(void);
};

#define TEST(name) static void test_##name(void)
#define T(name) { #name, test_##name }

int check_main(const struct check_test *tests, size_t n);

#define TESTS(...)                                                               \
        int main(void)                                                           \
        {                                                                        \
                static const struct check_test _tests[] = { __VA_ARGS__ };       \
                return check_main(_tests, sizeof(_tests) / sizeof(_tests[0]));   \
        }

/* Path of a file in the source tree ($OEMKVM_SRCDIR, else "."); static buffer. */
const char *check_srcpath(const char *rel);
/* Reads a whole file; aborts the test program when it cannot. */
uint8_t *check_read_file(const char *path, size_t *ret_len);
/* A context on tests/fixtures/roots/<name> as an absolute sysroot; aborts on failure. */
struct oemkvm_ctx *check_fixture_ctx(const char *name);
/* A new empty directory under $TMPDIR, removed at exit. */
const char *check_tmpdir(void);
/* The same under base (NULL: $TMPDIR). */
const char *check_tmpdir_on(const char *base);
/* A copy of the source tree's directory `rel` (links kept), for tests that write; removed at exit. */
const char *check_copy_tree(const char *rel);

#endif
