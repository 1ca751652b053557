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

void tool_json_string(FILE *f, const char *s)
{
        if (!s) {
                fputs("null", f);
                return;
        }
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p == '"' || *p == '\\')
                        fprintf(f, "\\%c", *p);
                else if (*p < 0x20 || *p == 0x7f)
                        fprintf(f, "\\u%04x", *p);
                else
                        fputc(*p, f);
        }
        fputc('"', f);
}
