/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oemkvm tag: opt a libvirt domain in (or out) through its metadata, then apply. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "virt.h"

static const char tag_usage[] =
        "[-c URI] DOMAIN [--license[=DIR]] [--topology EDITION] [--virtio[=ISO]] | --remove";

static void tag_help(void)
{
        printf("Usage: oemkvm tag %s\n\n"
               "Sets the domain's <oemkvm:config> tag to exactly the features given (on the\n"
               "persistent definition, and on the running one when the domain runs), then\n"
               "applies it as 'oemkvm apply' does.  If the apply fails, the old tag is put back.\n\n"
               "  -c, --connect URI     libvirt connection (default: libvirt's default, as virsh)\n"
               "      --license[=DIR]   pass the host's license data (or the dump saved in DIR)\n"
               "      --topology EDITION  1 socket x N cores within the Windows edition's caps:\n"
               "                        home, pro, education, workstations, enterprise\n"
               "      --virtio[=ISO]    disks on VirtIO SCSI, virtio NICs, and the virtio-win\n"
               "                        ISO as a second CD-ROM\n"
               "      --remove          remove the tag; applying restores what oemkvm changed\n\n"
               "The same with virsh:\n"
               "  virsh metadata DOMAIN --config --uri urn:oemkvm:domain:1 --key oemkvm \\\n"
               "        --set '<config><license/><topology edition=\"pro\"/></config>'\n",
               tag_usage);
}

/* Sets (config non-NULL) or removes the tag; live too when the domain runs. */
static int tag_set(virDomainPtr dom, const char *config)
{
        unsigned flags = VIR_DOMAIN_AFFECT_CONFIG;

        if (virDomainIsActive(dom) == 1)
                flags |= VIR_DOMAIN_AFFECT_LIVE;
        return virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, config,
                                    config ? "oemkvm" : NULL, OEMKVM_NS_CONFIG, flags);
}

TOOL_PLUGIN_EXPORT int cmd_tag(int argc, char **argv)
{
        static const struct option options[] = {
                { "connect",  required_argument, NULL, 'c' },
                { "license",  optional_argument, NULL, 'l' },
                { "topology", required_argument, NULL, 't' },
                { "virtio",   optional_argument, NULL, 'v' },
                { "remove",   no_argument,       NULL, 'r' },
                { "help",     no_argument,       NULL, 'h' },
                {}
        };
        const char *uri = NULL, *license_dir = NULL, *edition = NULL, *iso = NULL;
        bool license = false, virtio = false, remove = false;
        struct oemkvm_error err = {};
        struct oemkvm_ctx *ctx = NULL;
        virConnectPtr conn = NULL;
        virDomainPtr dom = NULL;
        char *config = NULL, *old = NULL;
        int c, r, ret = 1;

        while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        uri = optarg;
                        break;
                case 'l':
                        license = true;
                        license_dir = optarg;
                        break;
                case 't':
                        edition = optarg;
                        break;
                case 'v':
                        virtio = true;
                        iso = optarg;
                        break;
                case 'r':
                        remove = true;
                        break;
                case 'h':
                        tag_help();
                        return 0;
                default:
                        return tool_usage_error("tag", tag_usage);
                }
        if (optind + 1 != argc || remove == (license || edition || virtio))
                return tool_usage_error("tag", tag_usage);
        if (!remove) {
                const struct oemkvm_tag tag = {
                        .license = license, .license_dir = license_dir, .edition = edition,
                        .virtio = virtio, .drivers_iso = iso,
                };

                r = oemkvm_tag_build(&tag, &config, &err);
                if (r < 0) {
                        tool_report(&err, r);
                        return 2;
                }
        }

        ctx = tool_ctx_new(NULL);
        if (!ctx)
                goto out;
        conn = virt_connect(uri, true);
        if (!conn)
                goto out;
        dom = virDomainLookupByName(conn, argv[optind]);
        if (!dom) {
                tool_error("domain '%s': %s", argv[optind], virt_error());
                goto out;
        }

        /* Kept to put back when the apply fails: nothing is left half-done. */
        old = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, OEMKVM_NS_CONFIG, VIR_DOMAIN_AFFECT_CONFIG);
        if (!old && virGetLastErrorCode() != VIR_ERR_NO_DOMAIN_METADATA) {
                tool_error("domain '%s': cannot read its metadata: %s", argv[optind], virt_error());
                goto out;
        }
        if (tag_set(dom, config) < 0) {
                tool_error("domain '%s': cannot set the tag: %s", argv[optind], virt_error());
                goto out;
        }
        r = virt_apply_print(dom, ctx, false, false, &err);
        if (r >= 0)
                ret = 0;
        else if (tag_set(dom, old) < 0)
                tool_error("%s (and the old tag could not be put back: %s)", err.message, virt_error());
        else
                tool_error("%s (the tag was left as it was)", err.message);
out:
        free(config);
        free(old);
        if (dom)
                virDomainFree(dom);
        if (conn)
                virConnectClose(conn);
        oemkvm_ctx_free(ctx);
        return ret;
}
