/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The oemkvm command: dispatch to one subcommand, report errors once. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "oemkvm.h"
#include "tool.h"

static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *summary;
} commands[] = {
        { "dump",  cmd_dump,  "copy the host's OEM license tables into the store" },
        { "show",  cmd_show,  "print what would be passed to the guest" },
        { "patch", cmd_patch, "patch a domain XML to match its <oemkvm:config> (stdin to stdout)" },
        { "apply", cmd_apply, "patch and redefine tagged libvirt domains" },
        { "tag",   cmd_tag,   "opt a libvirt domain in (or out) and apply" },
        { "watch", cmd_watch, "patch tagged domains whenever libvirt defines them" },
};

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

static void usage(FILE *f)
{
        fputs("Usage: oemkvm COMMAND [OPTIONS]\n\nCommands:\n", f);
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                fprintf(f, "  %-6s  %s\n", commands[i].name, commands[i].summary);
        fputs("\n'oemkvm COMMAND --help' describes a command; see also oemkvm(1), oemkvm(7).\n", f);
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
                usage(stdout);
                return 0;
        }
        if (!strcmp(argv[1], "--version")) {
                puts("oemkvm " OEMKVM_VERSION);
                return 0;
        }
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (!strcmp(argv[1], commands[i].name))
                        return commands[i].run(argc - 1, argv + 1);

        tool_error("unknown command '%s'; run 'oemkvm --help' for the list", argv[1]);
        return 2;
}
