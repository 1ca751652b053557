/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The oemkvm command: dispatch to one subcommand.  The offline ones (dump,
 * show, patch, gvt) are built in and never load libvirt — a patch costs about
 * what parsing the XML costs; doctor is built in too and loads libvirt only
 * for the questions it asks the daemon.  The ones that talk to libvirt live in a
 * plugin linked against it, dlopen()ed only when one of them runs.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

/* Installed beside liboemkvm in $(PKGLIBDIR); found through RUNPATH. */
#define VIRT_PLUGIN "oemkvm-virt.so"

static const struct {
        const char *name;
        tool_cmd_fn *run;               /* NULL: in the libvirt plugin */
        const char *summary;
} commands[] = {
        { "dump",  cmd_dump,  "copy the host's OEM license tables into the store" },
        { "show",  cmd_show,  "print what would be passed to the guest" },
        { "patch", cmd_patch, "patch a domain XML to match its <oemkvm:config> (stdin to stdout)" },
        { "gvt",   cmd_gvt,   "the vGPU types this host offers; copy in the GVT-g UEFI ROM" },
        { "doctor", cmd_doctor, "check that this host can give Windows its license and its iGPU" },
        { "apply", NULL,      "patch and redefine tagged libvirt domains" },
        { "tag",   NULL,      "opt a libvirt domain in (or out) and apply" },
        { "watch", NULL,      "patch tagged domains whenever libvirt defines them" },
        { "install", NULL,    "create a licensed Windows 11 domain and start its Setup" },
};

static void usage(FILE *f)
{
        fputs("Usage: oemkvm COMMAND [OPTIONS]\n\nCommands:\n", f);
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                fprintf(f, "  %-7s  %s\n", commands[i].name, commands[i].summary);
        fputs("\n'oemkvm help COMMAND' (or 'oemkvm COMMAND --help') describes a command; see also\noemkvm(1), oemkvm(7).\n", f);
}

/* The plugin stays loaded until exit: the subcommands' code lives in it. */
void *tool_plugin_symbol(const char *symbol, char *errbuf, size_t size)
{
        static void *plugin;
        void *sym;

        if (!plugin)
                plugin = dlopen(VIRT_PLUGIN, RTLD_NOW | RTLD_LOCAL);
        if (!plugin) {
                snprintf(errbuf, size, "cannot load the libvirt part of oemkvm (%s) — oemkvm is installed wrong: reinstall it ('sudo make install')",
                         dlerror());
                return NULL;
        }
        sym = dlsym(plugin, symbol);
        if (!sym)
                snprintf(errbuf, size, "%s lacks '%s': it is from another version of oemkvm — reinstall it ('sudo make install')",
                         VIRT_PLUGIN, symbol);
        return sym;
}

static int run_plugin(const char *name, int argc, char **argv)
{
        char symbol[32], why[512];
        tool_cmd_fn *run;

        snprintf(symbol, sizeof(symbol), "cmd_%s", name);
        run = (tool_cmd_fn *)tool_plugin_symbol(symbol, why, sizeof(why));
        if (!run) {
                tool_error("%s", why);
                return 1;
        }
        return run(argc, argv);
}

/*
 * Runs a command with argv[0] = "oemkvm VERB", the name getopt puts in
 * front of its own messages ("oemkvm dump: unrecognized option '--x'").
 */
static int run_command(size_t i, int argc, char **argv)
{
        char name[32];

        snprintf(name, sizeof(name), "oemkvm %s", commands[i].name);
        argv[0] = name;
        return commands[i].run ? commands[i].run(argc, argv) : run_plugin(commands[i].name, argc, argv);
}

static int find_command(const char *name)
{
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (!strcmp(name, commands[i].name))
                        return (int)i;
        return -1;
}

int main(int argc, char **argv)
{
        int i;

        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
            (!strcmp(argv[1], "help") && argc == 2)) {
                usage(stdout);
                return 0;
        }
        if (!strcmp(argv[1], "--version")) {
                puts("oemkvm " OEMKVM_VERSION);
                return 0;
        }
        /* `oemkvm help VERB` is `oemkvm VERB --help`. */
        if (!strcmp(argv[1], "help")) {
                char *help_argv[] = { NULL, (char *)"--help", NULL };

                if (argc != 3 || (i = find_command(argv[2])) < 0) {
                        tool_error("usage: oemkvm help [COMMAND]; the commands are listed by 'oemkvm --help'");
                        return 2;
                }
                return run_command((size_t)i, 2, help_argv);
        }
        i = find_command(argv[1]);
        if (i >= 0)
                return run_command((size_t)i, argc - 1, argv + 1);

        tool_error("unknown command '%s'; run 'oemkvm --help' for the list", argv[1]);
        return 2;
}
