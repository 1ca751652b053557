/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oemkvm apply: patch and redefine tagged libvirt domains. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "tool.h"
#include "virt.h"

static const char apply_usage[] = "[-c URI] [--dry-run] [--verbose] DOMAIN... | --all";

static void apply_help(void)
{
        printf("Usage: oemkvm apply %s\n\n"
               "Patches each domain's persistent definition to match its <oemkvm:config> tag,\n"
               "defines it when something changed, and prints the change as a unified diff\n"
               "that ends with one line saying what was done.  The change is measured against\n"
               "the definition as it was when apply started, also when oemkvm-watch defined\n"
               "it first; the definition is re-read just before the define, and one that\n"
               "changed meanwhile is patched in turn.  A domain is named as virsh names it:\n"
               "by name, UUID or ID.\n\n"
               "  -c, --connect URI  libvirt connection (default: libvirt's default, as virsh)\n"
               "  -a, --all          every persistent domain (untagged ones are left as they\n"
               "                     are; a leftover record of a removed tag is reverted)\n"
               "  -n, --dry-run      print the diff, define nothing\n"
               "  -v, --verbose      show oemkvm's record (urn:oemkvm:state:1) in the diff too\n"
               "  -h, --help         this text\n",
               apply_usage);
}

TOOL_PLUGIN_EXPORT int cmd_apply(int argc, char **argv)
{
        static const struct option options[] = {
                { "connect", required_argument, NULL, 'c' },
                { "all",     no_argument,       NULL, 'a' },
                { "dry-run", no_argument,       NULL, 'n' },
                { "verbose", no_argument,       NULL, 'v' },
                { "help",    no_argument,       NULL, 'h' },
                {}
        };
        struct virt_request req = {};
        unsigned counts[VIRT_DRY_RUN + 1] = {};
        const char *uri = NULL;
        bool all = false;
        struct oemkvm_ctx *ctx = NULL;
        virConnectPtr conn = NULL;
        int c, failed = 0, n = 0;
        virDomainPtr *doms = NULL;

        while ((c = getopt_long(argc, argv, "c:anvh", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        uri = optarg;
                        break;
                case 'a':
                        all = true;
                        break;
                case 'n':
                        req.dry_run = true;
                        break;
                case 'v':
                        req.verbose = true;
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
                n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_PERSISTENT);
                if (n < 0) {
                        tool_error("cannot list domains: %s", virt_error());
                        failed++;
                }
        } else {
                n = argc - optind;
                doms = calloc((size_t)n, sizeof(*doms));
                if (!doms) {
                        tool_error("out of memory");
                        n = 0;
                        failed++;
                }
                for (int i = 0; i < n; i++)
                        if (!(doms[i] = virt_lookup(conn, argv[optind + i])))
                                failed++;
        }
        for (int i = 0; i < n; i++) {
                struct oemkvm_error err = {};
                enum virt_outcome outcome;

                if (!doms[i])
                        continue;
                if (virt_apply_print(doms[i], ctx, &req, all, &outcome, &err) < 0) {
                        tool_report(&err, -EIO);
                        failed++;
                } else
                        counts[outcome]++;
                virDomainFree(doms[i]);
        }
        free(doms);
        if (all && n >= 0)
                printf("looked at %d domain%s: %u %s, %u up to date, %u not tagged, %d failed\n", n,
                       n == 1 ? "" : "s", req.dry_run ? counts[VIRT_DRY_RUN] : counts[VIRT_DEFINED],
                       req.dry_run ? "to define (dry run)" : "defined", counts[VIRT_UP_TO_DATE],
                       counts[VIRT_UNTAGGED], failed);

        virConnectClose(conn);
        oemkvm_ctx_free(ctx);
        return failed ? 1 : 0;
}
