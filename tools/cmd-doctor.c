/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * oemkvm doctor [--sysroot DIR] [--json] [--gvt] [-c URI] [DOMAIN]: one
 * report on whether this host can give Windows its license and its iGPU,
 * line by line in virt-host-validate's shape, with the fix under every
 * line that is not PASS.  The checks are the library's (lib/host); this
 * file asks libvirt what only the daemon knows — through the plugin, and
 * only on the live host, with -c or with DOMAIN — and prints.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const char doctor_usage[] = "[--sysroot DIR] [--json] [--gvt] [-c URI] [DOMAIN]";

static void doctor_help(void)
{
        printf("Usage: oemkvm doctor %s\n\n"
               "Checks, line by line, whether this host can give a Windows guest the laptop's\n"
               "license and its Intel iGPU (GVT-g), and prints the exact fix under every line\n"
               "that is not PASS.  Exits 0 when nothing FAILs, 1 otherwise.\n\n"
               "The GVT-g lines count only when GVT-g is wanted: with --gvt, or when the\n"
               "domain asked about (or, without DOMAIN, any tagged domain) uses <oemkvm:gvt>;\n"
               "otherwise they say N/A.\n\n"
               "  --sysroot DIR  read /sys, /proc, /dev, /etc and /boot under DIR (another\n"
               "                 machine's root, a test tree); libvirt is then asked only with -c\n"
               "  --json         one JSON object: every check's id, verdict, detail and fix\n"
               "  --gvt          check GVT-g as if a domain used it\n"
               "  -c, --connect URI  the libvirt daemon to ask (default: libvirt's default)\n"
               "  DOMAIN         check this domain's tag against the host, not every tagged one\n",
               doctor_usage);
}

static const struct {
        const char *group;
        const char *title;
} groups[] = {
        { "license", "License: the laptop's Windows license for the guest" },
        { "gvt", "GVT-g: the iGPU shared with the guest" },
        { "install", "Install: what Windows 11 needs besides the license" },
        { "confinement", "Confinement: AppArmor and SELinux let QEMU read oemkvm's files" },
        { "stack", "Stack: KVM, libvirt, QEMU, oemkvm's hook and watcher" },
};

static const char *group_title(const char *group)
{
        for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
                if (!strcmp(groups[i].group, group))
                        return groups[i].title;
        return group;
}

static void count(const struct oemkvm_report *rep, unsigned n[4])
{
        n[OEMKVM_PASS] = n[OEMKVM_WARN] = n[OEMKVM_FAIL] = n[OEMKVM_NA] = 0;
        for (size_t i = 0; i < rep->n; i++)
                n[rep->checks[i].verdict]++;
}

static void print_text(const struct oemkvm_report *rep)
{
        const char *group = NULL;
        unsigned n[4];

        for (size_t i = 0; i < rep->n; i++) {
                const struct oemkvm_check *c = &rep->checks[i];
                char line[1024];

                if (!group || strcmp(group, c->group)) {
                        printf("%s%s\n", group ? "\n" : "", group_title(c->group));
                        group = c->group;
                }
                snprintf(line, sizeof(line), "Checking for %s", c->what);
                printf("oemkvm: %-69s: %s\n", line, oemkvm_verdict_name(c->verdict));
                if (c->detail)
                        printf("        %s\n", c->detail);
                if (c->fix)
                        printf("        fix: %s\n", c->fix);
        }
        count(rep, n);
        printf("\noemkvm: %u PASS, %u WARN, %u FAIL, %u N/A: %s\n", n[OEMKVM_PASS], n[OEMKVM_WARN],
               n[OEMKVM_FAIL], n[OEMKVM_NA],
               n[OEMKVM_FAIL] ? "not ready; the fix is under each FAIL line" :
               n[OEMKVM_WARN] ? "ready; the WARN lines say what could still go wrong" : "ready");
}

static void json_member(const char *name, const char *value, bool last)
{
        printf("      \"%s\": ", name);
        tool_json_string(stdout, value);
        puts(last ? "" : ",");
}

static void print_json(const struct oemkvm_report *rep, const char *sysroot)
{
        unsigned n[4];

        count(rep, n);
        printf("{\n  \"sysroot\": ");
        tool_json_string(stdout, sysroot);
        printf(",\n  \"ready\": %s,\n", n[OEMKVM_FAIL] ? "false" : "true");
        printf("  \"summary\": { \"pass\": %u, \"warn\": %u, \"fail\": %u, \"na\": %u },\n",
               n[OEMKVM_PASS], n[OEMKVM_WARN], n[OEMKVM_FAIL], n[OEMKVM_NA]);
        puts("  \"checks\": [");
        for (size_t i = 0; i < rep->n; i++) {
                const struct oemkvm_check *c = &rep->checks[i];

                puts("    {");
                json_member("id", c->id, false);
                json_member("group", c->group, false);
                json_member("domain", c->domain, false);
                json_member("check", c->what, false);
                json_member("verdict", oemkvm_verdict_name(c->verdict), false);
                json_member("detail", c->detail, false);
                json_member("fix", c->fix, true);
                printf("    }%s\n", i + 1 < rep->n ? "," : "");
        }
        puts("  ]\n}");
}

/* Asks the daemon through the plugin; an unloadable plugin reads as a daemon that did not answer. */
static void ask_daemon(const char *uri, const char *domain, struct tool_daemon *d)
{
        tool_daemon_ask_fn *ask = (tool_daemon_ask_fn *)tool_plugin_symbol("doctor_ask", d->error, sizeof(d->error));

        if (ask)
                ask(uri, domain, d);
}

static int needs_cmp(const void *a, const void *b)
{
        return strcmp(((const struct oemkvm_needs *)a)->name ? ((const struct oemkvm_needs *)a)->name : "",
                      ((const struct oemkvm_needs *)b)->name ? ((const struct oemkvm_needs *)b)->name : "");
}

/* The engine reads what each domain needs; untagged ones matter only when
 * asked about.  Sorted by name: libvirt lists domains in no set order. */
static int domains_needs(const struct oemkvm_ctx *ctx, const struct tool_daemon *daemon, bool asked,
                         struct oemkvm_needs **ret, size_t *ret_n)
{
        struct oemkvm_needs *list = calloc(daemon->n_domains + 1, sizeof(*list));
        size_t n = 0;

        if (!list)
                return -ENOMEM;
        for (size_t i = 0; i < daemon->n_domains; i++) {
                const struct tool_domain_xml *x = &daemon->domains[i];
                struct oemkvm_error err = {};
                int r;

                r = oemkvm_domain_needs(ctx, x->xml, strlen(x->xml), &list[n], &err);
                if (r < 0) {
                        tool_error("domain '%s': %s", x->name, err.message);
                        continue;
                }
                if (!list[n].tagged && !asked) {
                        oemkvm_needs_clear(&list[n]);
                        continue;
                }
                list[n++].active = x->active;
        }
        qsort(list, n, sizeof(*list), needs_cmp);
        *ret = list;
        *ret_n = n;
        return 0;
}

int cmd_doctor(int argc, char **argv)
{
        static const struct option options[] = {
                { "sysroot", required_argument, NULL, 's' },
                { "json",    no_argument,       NULL, 'j' },
                { "gvt",     no_argument,       NULL, 'g' },
                { "connect", required_argument, NULL, 'c' },
                { "help",    no_argument,       NULL, 'h' },
                {}
        };
        const char *sysroot = NULL, *uri = NULL, *domain = NULL;
        struct oemkvm_needs *needs = NULL;
        struct tool_daemon daemon = {};
        struct oemkvm_report report = {};
        struct oemkvm_error err = {};
        struct oemkvm_ctx *ctx;
        struct oemkvm_doctor_in in = {};
        bool json = false;
        size_t n_needs = 0;
        int c, r, ret = 1;

        while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
                switch (c) {
                case 's':
                        sysroot = optarg;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'g':
                        in.gvt = true;
                        break;
                case 'c':
                        uri = optarg;
                        break;
                case 'h':
                        doctor_help();
                        return 0;
                default:
                        return tool_usage_error("doctor", doctor_usage);
                }
        if (argc - optind > 1)
                return tool_usage_error("doctor", doctor_usage);
        if (optind < argc)
                domain = argv[optind];

        ctx = tool_ctx_new(sysroot);
        if (!ctx)
                return 2;

        /* The daemon belongs to the live host: under --sysroot only -c asks one. */
        if (uri || domain || !sysroot) {
                ask_daemon(uri, domain, &daemon);
                in.daemon = daemon.reached ? OEMKVM_DAEMON_OK : OEMKVM_DAEMON_UNREACHABLE;
                in.daemon_error = daemon.error;
                in.libvirt_version = daemon.libvirt_version;
                in.qemu_version = daemon.qemu_version;
                in.domain_error = daemon.domain_error[0] ? daemon.domain_error : NULL;
                if (domains_needs(ctx, &daemon, domain != NULL, &needs, &n_needs) < 0) {
                        tool_error("out of memory");
                        goto out;
                }
        }
        in.uri = uri;
        in.domain = domain;
        in.domains = needs;
        in.n_domains = n_needs;

        r = oemkvm_doctor_run(ctx, &in, &report, &err);
        if (r < 0) {
                tool_report(&err, r);
                goto out;
        }
        if (json)
                print_json(&report, sysroot ? sysroot : "/");
        else
                print_text(&report);
        ret = 0;
        for (size_t i = 0; i < report.n; i++)
                if (report.checks[i].verdict == OEMKVM_FAIL)
                        ret = 1;
out:
        oemkvm_report_clear(&report);
        for (size_t i = 0; i < n_needs; i++)
                oemkvm_needs_clear(&needs[i]);
        free(needs);
        tool_daemon_clear(&daemon);
        oemkvm_ctx_free(ctx);
        return ret;
}
