/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the fuzz targets share: failing a property, the store they patch against. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#ifndef FUZZ_SRCDIR
#error "FUZZ_SRCDIR (the source tree, for the fixtures) must be defined by the build"
#endif

void fuzz_fail(const char *fmt, ...)
{
        va_list ap;

        fputs("property failed: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        abort();
}

static char store[PATH_MAX];

static void remove_store(void)
{
        char cmd[PATH_MAX + 16];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", store);
        if (system(cmd) != 0)
                fprintf(stderr, "warning: could not remove %s\n", store);
}

const char *fuzz_store(void)
{
        const char *tmp = getenv("TMPDIR"), *src = getenv("OEMKVM_SRCDIR");
        char cmd[2 * PATH_MAX + 64];

        if (store[0])
                return store;
        snprintf(store, sizeof(store), "%s/oemkvm-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(store))
                abort();
        atexit(remove_store);
        /* The golden cases' own store, so their files are where seeds say. */
        snprintf(cmd, sizeof(cmd), "'%s/tests/lib/patch-store' '%s'", src ? src : FUZZ_SRCDIR, store);
        if (system(cmd) != 0) {
                fprintf(stderr, "fuzz: '%s' failed\n", cmd);
                abort();
        }
        return store;
}

struct oemkvm_ctx *fuzz_ctx(const char *dir)
{
        struct oemkvm_ctx *ctx = NULL;

        if (oemkvm_ctx_new(NULL, &ctx) < 0 || oemkvm_ctx_set_store_dir(ctx, dir) < 0)
                abort();
        return ctx;
}

char *fuzz_xml(const uint8_t *data, size_t size, size_t *ret_len)
{
        static const char token[] = "@STORE@";
        const char *s = fuzz_store();
        size_t ls = strlen(s), n = 0, out_len = 0;
        char *out;

        for (size_t i = 0; i + sizeof(token) - 1 <= size; i++)
                if (!memcmp(data + i, token, sizeof(token) - 1))
                        n++;
        out = malloc(size + n * ls + 1);
        if (!out)
                abort();
        for (size_t i = 0; i < size;) {
                if (i + sizeof(token) - 1 <= size && !memcmp(data + i, token, sizeof(token) - 1)) {
                        memcpy(out + out_len, s, ls);
                        out_len += ls;
                        i += sizeof(token) - 1;
                } else
                        out[out_len++] = (char)data[i++];
        }
        out[out_len] = 0;
        *ret_len = out_len;
        return out;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        /* Made before the first input, so no input pays for it. */
        fuzz_store();
        return 0;
}
