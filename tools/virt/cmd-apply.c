/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oemkvm apply: patch and redefine tagged libvirt domains. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "tool.h"
#include "virt.h"

static const char apply_usage[] = "[-c URI] DOMAIN... | --all [--dry-run]";

static void apply_help(void)
{
        printf("Usage: oemkvm apply %s\n\n"
               "Patches each domain's persistent definition to match its <oemkvm:config> tag,\n"
               "defines it when something changed, and prints the change as a unified diff.\n"
               "The definition is re-read just before the define: one that changed meanwhile\n"
               "is left alone.\n\n"
               "  -c, --connect URI  libvirt connection (default: libvirt's default, as virsh)\n"
               "      --all          every persistent domain (untagged ones are left as they are)\n"
               "  -n, --dry-run      print the diff, define nothing\n",
               apply_usage);
}

/* Returns 1 when the domain failed (reported), 0 otherwise. */
static int apply_report(virDomainPtr dom, const struct oemkvm_ctx *ctx, bool dry_run, bool quiet_untagged)
{
        struct oemkvm_error err = {};
        int r = virt_apply_print(dom, ctx, dry_run, quiet_untagged, &err);

        if (r < 0)
                tool_report(&err, r);
        return r < 0;
}

TOOL_PLUGIN_EXPORT int cmd_apply(int argc, char **argv)
{
        static const struct option options[] = {
                { "connect", required_argument, NULL, 'c' },
                { "all",     no_argument,       NULL, 'a' },
                { "dry-run", no_argument,       NULL, 'n' },
                { "help",    no_argument,       NULL, 'h' },
                {}
        };
        const char *uri = NULL;
        bool all = false, dry_run = false;
        struct oemkvm_ctx *ctx = NULL;
        virConnectPtr conn = NULL;
        int c, failed = 0;

        while ((c = getopt_long(argc, argv, "c:nh", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        uri = optarg;
                        break;
                case 'a':
                        all = true;
                        break;
                case 'n':
                        dry_run = true;
                        break;
                case 'h':
                        apply_help();
                        return 0;
                default:
                        return tool_usage_error("apply", apply_usage);
                }
        if (all == (optind < argc))
                return tool_usage_error("apply", apply_usage);

        ctx = tool_ctx_new(NULL);
        if (!ctx)
                return 1;
        conn = virt_connect(uri, true);
        if (!conn) {
                oemkvm_ctx_free(ctx);
                return 1;
        }

        if (all) {
                virDomainPtr *doms = NULL;
                int n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_PERSISTENT);

                if (n < 0) {
                        tool_error("cannot list domains: %s", virt_error());
                        failed++;
                }
                for (int i = 0; i < n; i++) {
                        failed += apply_report(doms[i], ctx, dry_run, true);
                        virDomainFree(doms[i]);
                }
                free(doms);
        } else
                for (int i = optind; i < argc; i++) {
                        virDomainPtr dom = virDomainLookupByName(conn, argv[i]);

                        if (!dom) {
                                tool_error("domain '%s': %s", argv[i], virt_error());
                                failed++;
                                continue;
                        }
                        failed += apply_report(dom, ctx, dry_run, false);
                        virDomainFree(dom);
                }

        virConnectClose(conn);
        oemkvm_ctx_free(ctx);
        return failed ? 1 : 0;
}
