/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The unit-test harness behind check.h. */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "oemkvm.h"

int check_failures;

static char *tmpdirs[64];
static size_t n_tmpdirs;

static void remove_tmpdirs(void)
{
        for (size_t i = 0; i < n_tmpdirs; i++) {
                char cmd[4200];

                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdirs[i]);
                if (system(cmd) != 0)
                        fprintf(stderr, "warning: could not remove %s\n", tmpdirs[i]);
                free(tmpdirs[i]);
        }
}

int check_main(const struct check_test *tests, size_t n)
{
        int failed_tests = 0;

        atexit(remove_tmpdirs);
        for (size_t i = 0; i < n; i++) {
                int before = check_failures;

                tests[i].fn();
                if (check_failures != before) {
                        printf("not ok %zu %s\n", i + 1, tests[i].name);
                        failed_tests++;
                } else
                        printf("ok %zu %s\n", i + 1, tests[i].name);
        }
        printf("%zu passed, %d failed\n", n - (size_t)failed_tests, failed_tests);
        return failed_tests ? 1 : 0;
}

const char *check_srcpath(const char *rel)
{
        static char buf[4096];
        const char *src = getenv("OEMKVM_SRCDIR");

        snprintf(buf, sizeof(buf), "%s/%s", src ? src : ".", rel);
        return buf;
}

uint8_t *check_read_file(const char *path, size_t *ret_len)
{
        FILE *f = fopen(path, "rbe");
        uint8_t *buf;
        long len;

        if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
                fprintf(stderr, "cannot read test file %s\n", path);
                abort();
        }
        buf = malloc((size_t)len + 1);
        if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
                abort();
        buf[len] = 0;
        fclose(f);
        *ret_len = (size_t)len;
        return buf;
}

const char *check_tmpdir(void)
{
        return check_tmpdir_on(NULL);
}

const char *check_tmpdir_on(const char *base)
{
        char *d;

        if (!base)
                base = getenv("TMPDIR");
        if (n_tmpdirs == sizeof(tmpdirs) / sizeof(tmpdirs[0]))
                abort();
        if (asprintf(&d, "%s/oemkvm-test.XXXXXX", base ? base : "/tmp") < 0 || !mkdtemp(d))
                abort();
        tmpdirs[n_tmpdirs++] = d;
        return d;
}

const char *check_copy_tree(const char *rel)
{
        const char *dir = check_tmpdir();
        char cmd[8400];

        snprintf(cmd, sizeof(cmd), "cp -a '%s/.' '%s'", check_srcpath(rel), dir);
        if (system(cmd) != 0) {
                fprintf(stderr, "cannot copy '%s'\n", rel);
                abort();
        }
        return dir;
}

struct oemkvm_ctx *check_fixture_ctx(const char *name)
{
        struct oemkvm_ctx *ctx = NULL;
        char rel[4096], *root;

        /* The context wants an absolute sysroot; OEMKVM_SRCDIR may be relative. */
        snprintf(rel, sizeof(rel), "tests/fixtures/roots/%s", name);
        root = realpath(check_srcpath(rel), NULL);
        if (!root || oemkvm_ctx_new(root, &ctx) < 0) {
                fprintf(stderr, "cannot open fixture root '%s'\n", rel);
                abort();
        }
        free(root);
        return ctx;
}
