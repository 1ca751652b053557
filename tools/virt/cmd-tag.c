/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * oemkvm tag: show a libvirt domain's tag, or opt it in (or out) — the tag
 * and the patch it asks for go into the definition with one define, so
 * nothing is left half-done when the patch is refused and no watcher can
 * define in between.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "virt.h"

static const char tag_usage[] =
        "[-c URI] DOMAIN [--json] | DOMAIN [--license[=DIR]] [--topology EDITION] [--virtio[=ISO]] | DOMAIN --remove";

static void tag_help(void)
{
        printf("Usage: oemkvm tag %s\n\n"
               "With DOMAIN alone, prints its tag as the options that set it.  Otherwise sets\n"
               "the domain's <oemkvm:config> tag to exactly the features given and patches\n"
               "the definition to match, in one define, printing the change as 'oemkvm\n"
               "apply' does; when the domain runs, its running definition gets the tag too.\n"
               "If the patch is refused, nothing is defined.  A domain is named as virsh\n"
               "names it: by name, UUID or ID.\n\n"
               "  -c, --connect URI       libvirt connection (default: libvirt's default, as virsh)\n"
               "  -l, --license[=DIR]     pass the host's license data (the store 'oemkvm dump'\n"
               "                          writes), or the dump saved in DIR\n"
               "  -t, --topology EDITION  1 socket x N cores within the Windows edition's caps:\n"
               "                          home, pro, education, enterprise, workstations\n"
               "      --virtio[=ISO]      disks on VirtIO SCSI, virtio NICs, and the virtio-win\n"
               "                          ISO as a second CD-ROM (checked: it must exist)\n"
               "  -r, --remove            remove the tag; the patch restores what oemkvm changed\n"
               "  -v, --verbose           show oemkvm's record in the diff too\n"
               "  -j, --json              with DOMAIN alone: the tag as JSON\n"
               "  -h, --help              this text\n\n"
               "The same with virsh (then run 'oemkvm apply DOMAIN', or let oemkvm-watch):\n"
               "  virsh metadata DOMAIN --config --uri urn:oemkvm:domain:1 --key oemkvm \\\n"
               "        --set '<config><license/><topology edition=\"pro\"/></config>'\n",
               tag_usage);
}

static void json_string(const char *s)
{
        putchar('"');
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        printf("\\%c", *s);
                else if ((unsigned char)*s < 0x20)
                        printf("\\u%04x", (unsigned char)*s);
                else
                        putchar(*s);
        }
        putchar('"');
}

/* `oemkvm tag DOMAIN`: the tag of the persistent definition. */
static int tag_show(virDomainPtr dom, bool json)
{
        const char *name = virDomainGetName(dom);
        _cleanup_free_ char *xml = virDomainGetXMLDesc(dom, VIRT_XML_FLAGS);
        struct oemkvm_error err = {};
        struct oemkvm_tag *tag = NULL;
        int r;

        if (!xml) {
                tool_error("domain '%s': cannot read its definition: %s", name, virt_error());
                return 1;
        }
        r = oemkvm_tag_get(xml, strlen(xml), &tag, &err);
        if (r < 0) {
                tool_error("domain '%s': %s", name, err.message);
                return 1;
        }
        if (json) {
                printf("{\"domain\":");
                json_string(name);
                printf(",\"tagged\":%s", tag ? "true" : "false");
                if (tag && tag->license) {
                        printf(",\"license\":{\"source\":");
                        if (tag->license_dir)
                                json_string(tag->license_dir);
                        else
                                printf("null");
                        printf("}");
                }
                if (tag && tag->edition) {
                        printf(",\"topology\":{\"edition\":");
                        json_string(tag->edition);
                        printf("}");
                }
                if (tag && tag->virtio) {
                        printf(",\"virtio\":{\"drivers\":");
                        if (tag->drivers_iso)
                                json_string(tag->drivers_iso);
                        else
                                printf("null");
                        printf("}");
                }
                printf("}\n");
        } else if (!tag)
                printf("%s: not tagged\n", name);
        else {
                printf("%s:", name);
                if (tag->license)
                        printf(" --license%s%s", tag->license_dir ? "=" : "", tag->license_dir ? tag->license_dir : "");
                if (tag->edition)
                        printf(" --topology %s", tag->edition);
                if (tag->virtio)
                        printf(" --virtio%s%s", tag->drivers_iso ? "=" : "", tag->drivers_iso ? tag->drivers_iso : "");
                if (!tag->license && !tag->edition && !tag->virtio)
                        printf(" tagged, no feature oemkvm acts on");
                printf("\n");
        }
        oemkvm_tag_free(tag);
        return 0;
}

/* A running domain's live definition gets the tag too (a live-only tag
 * would vanish at shutdown; a config-only one would leave the running
 * definition without it). */
static void tag_live(virDomainPtr dom, const struct oemkvm_tag *tag)
{
        _cleanup_free_ char *config = NULL;
        struct oemkvm_error err = {};

        if (virDomainIsActive(dom) != 1)
                return;
        if (tag && oemkvm_tag_build(tag, &config, &err) < 0) {
                tool_report(&err, -EINVAL);
                return;
        }
        if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, config, config ? "oemkvm" : NULL,
                                 OEMKVM_NS_CONFIG, VIR_DOMAIN_AFFECT_LIVE) < 0)
                tool_error("warning: domain '%s': the definition is tagged, but the running domain's tag could not be %s: %s",
                           virDomainGetName(dom), tag ? "set" : "removed", virt_error());
}

TOOL_PLUGIN_EXPORT int cmd_tag(int argc, char **argv)
{
        static const struct option options[] = {
                { "connect",  required_argument, NULL, 'c' },
                { "license",  optional_argument, NULL, 'l' },
                { "topology", required_argument, NULL, 't' },
                { "virtio",   optional_argument, NULL, 'V' },
                { "remove",   no_argument,       NULL, 'r' },
                { "verbose",  no_argument,       NULL, 'v' },
                { "json",     no_argument,       NULL, 'j' },
                { "help",     no_argument,       NULL, 'h' },
                {}
        };
        const char *uri = NULL;
        bool remove = false, json = false;
        struct oemkvm_tag tag = {};
        struct virt_request req = { .set_tag = true };
        struct oemkvm_error err = {};
        struct oemkvm_ctx *ctx = NULL;
        virConnectPtr conn = NULL;
        virDomainPtr dom = NULL;
        enum virt_outcome outcome;
        bool set;
        int c, ret = 1;

        while ((c = getopt_long(argc, argv, "c:lt:rvjh", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        uri = optarg;
                        break;
                case 'l':
                        tag.license = true;
                        tag.license_dir = optarg;
                        break;
                case 't':
                        tag.edition = optarg;
                        break;
                case 'V':
                        tag.virtio = true;
                        tag.drivers_iso = optarg;
                        break;
                case 'r':
                        remove = true;
                        break;
                case 'v':
                        req.verbose = true;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'h':
                        tag_help();
                        return 0;
                default:
                        return tool_usage_error("tag", tag_usage);
                }
        set = tag.license || tag.edition || tag.virtio;
        if (optind + 1 != argc || (remove && set) || (json && (remove || set)) ||
            (req.verbose && !(remove || set)))
                return tool_usage_error("tag", tag_usage);
        if (set) {
                /* The tag's own rules first: a bad edition or path is a usage error. */
                _cleanup_free_ char *config = NULL;

                if (oemkvm_tag_build(&tag, &config, &err) < 0) {
                        tool_report(&err, -EINVAL);
                        return 2;
                }
                req.tag = &tag;
        }

        ctx = tool_ctx_new(NULL);
        if (!ctx)
                goto out;
        conn = virt_connect(uri, true);
        if (!conn)
                goto out;
        dom = virt_lookup(conn, argv[optind]);
        if (!dom)
                goto out;
        if (!remove && !set) {
                ret = tag_show(dom, json);
                goto out;
        }
        if (virt_apply_print(dom, ctx, &req, false, &outcome, &err) < 0) {
                tool_report(&err, -EIO);
                goto out;
        }
        if (outcome == VIRT_DEFINED)
                tag_live(dom, req.tag);
        ret = 0;
out:
        if (dom)
                virDomainFree(dom);
        if (conn)
                virConnectClose(conn);
        oemkvm_ctx_free(ctx);
        return ret;
}
