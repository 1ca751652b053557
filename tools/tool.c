/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How every subcommand reports: one line on stderr, "oemkvm: …"; and what
 * the command and its libvirt plugin share besides. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

void tool_error(const char *fmt, ...)
{
        va_list ap;

        fputs("oemkvm: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

void tool_report(const struct oemkvm_error *err, int r)
{
        if (err && err->message[0])
                tool_error("%s", err->message);
        else
                tool_error("%s", strerror(r < 0 ? -r : r));
}

struct oemkvm_ctx *tool_ctx_new(const char *sysroot)
{
        struct oemkvm_ctx *ctx = NULL;
        int r;

        r = oemkvm_ctx_new(sysroot, &ctx);
        if (r == -EINVAL)
                tool_error("--sysroot '%s' must be an absolute path", sysroot);
        else if (r < 0)
                tool_report(NULL, r);
        return ctx;
}

int tool_usage_error(const char *cmd, const char *usage)
{
        tool_error("usage: oemkvm %s %s", cmd, usage);
        return 2;
}

void tool_daemon_clear(struct tool_daemon *d)
{
        for (size_t i = 0; i < d->n_domains; i++) {
                free(d->domains[i].name);
                free(d->domains[i].xml);
        }
        free(d->domains);
        *d = (struct tool_daemon){};
}

/*
 * The length of the well-formed UTF-8 sequence at p (1–4) and its code
 * point, or 0 when p starts none (overlong forms, surrogates and code
 * points past U+10FFFF are not UTF-8).
 */
static size_t utf8_next(const unsigned char *p, unsigned *ret_cp)
{
        unsigned cp, min;
        size_t n;

        if (p[0] < 0x80) {
                *ret_cp = p[0];
                return 1;
        }
        if ((p[0] & 0xE0) == 0xC0) {
                n = 2, cp = p[0] & 0x1F, min = 0x80;
        } else if ((p[0] & 0xF0) == 0xE0) {
                n = 3, cp = p[0] & 0x0F, min = 0x800;
        } else if ((p[0] & 0xF8) == 0xF0) {
                n = 4, cp = p[0] & 0x07, min = 0x10000;
        } else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((p[i] & 0xC0) != 0x80)      /* also stops at the NUL */
                        return 0;
                cp = cp << 6 | (p[i] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return 0;
        *ret_cp = cp;
        return n;
}

/* C0 and C1 control characters and DEL: what moves a terminal. */
static bool is_control(unsigned cp)
{
        return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

void tool_json_string(FILE *f, const char *s)
{
        if (!s) {
                fputs("null", f);
                return;
        }
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *)s; *p;) {
                unsigned cp;
                size_t n = utf8_next(p, &cp);

                if (n == 0) {
                        fputs("\\ufffd", f);
                        p++;
                        continue;
                }
                if (cp == '"' || cp == '\\')
                        fprintf(f, "\\%c", (char)cp);
                else if (is_control(cp))
                        fprintf(f, "\\u%04x", cp);
                else
                        fwrite(p, 1, n, f);
                p += n;
        }
        fputc('"', f);
}

void tool_text_print(FILE *f, const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p;) {
                unsigned cp;
                size_t n = utf8_next(p, &cp);

                if (n == 0 || is_control(cp)) {
                        fputc('?', f);
                        p += n ? n : 1;
                        continue;
                }
                fwrite(p, 1, n, f);
                p += n;
        }
}
