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

static const char *const editions[] = { "home", "pro", "education", "workstations", "enterprise", NULL };

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

/* Appends s to buf with the characters XML attribute values cannot hold escaped. */
static int append_attr(char **buf, const char *name, const char *s)
{
        size_t len = strlen(*buf), cap = len + strlen(name) + 4 + 6 * strlen(s) + 1;
        char *nbuf = realloc(*buf, cap), *p;

        if (!nbuf)
                return -ENOMEM;
        *buf = nbuf;
        p = nbuf + len;
        p += sprintf(p, " %s=\"", name);
        for (; *s; s++)
                switch (*s) {
                case '&': p = stpcpy(p, "&amp;"); break;
                case '<': p = stpcpy(p, "&lt;"); break;
                case '"': p = stpcpy(p, "&quot;"); break;
                default: *p++ = *s;
                }
        strcpy(p, "\"");
        return 0;
}

static int append(char **buf, const char *s)
{
        char *nbuf = realloc(*buf, strlen(*buf) + strlen(s) + 1);

        if (!nbuf)
                return -ENOMEM;
        strcat(nbuf, s);
        *buf = nbuf;
        return 0;
}

/*
 * The element virDomainSetMetadata takes: libvirt puts it and its children
 * into the namespace it is given, so no prefixes here.
 */
static char *config_build(bool license, const char *license_dir, const char *edition, bool virtio,
                          const char *iso)
{
        char *xml = strdup("<config>");
        int r = xml ? 0 : -ENOMEM;

        if (license) {
                r = r < 0 ? r : append(&xml, "<license");
                if (license_dir)
                        r = r < 0 ? r : append_attr(&xml, "source", license_dir);
                r = r < 0 ? r : append(&xml, "/>");
        }
        if (edition) {
                r = r < 0 ? r : append(&xml, "<topology");
                r = r < 0 ? r : append_attr(&xml, "edition", edition);
                r = r < 0 ? r : append(&xml, "/>");
        }
        if (virtio) {
                r = r < 0 ? r : append(&xml, "<virtio storage=\"scsi\" network=\"virtio\"");
                if (iso)
                        r = r < 0 ? r : append_attr(&xml, "drivers", iso);
                r = r < 0 ? r : append(&xml, "/>");
        }
        r = r < 0 ? r : append(&xml, "</config>");
        if (r < 0) {
                free(xml);
                return NULL;
        }
        return xml;
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

static bool check_path(const char *what, const char *path)
{
        if (path[0] == '/')
                return true;
        tool_error("%s '%s' is not an absolute path", what, path);
        return false;
}

int cmd_tag(int argc, char **argv)
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
        if (edition) {
                size_t i = 0;

                while (editions[i] && strcmp(editions[i], edition) != 0)
                        i++;
                if (!editions[i]) {
                        tool_error("unknown edition '%s'; one of: home, pro, education, workstations, enterprise", edition);
                        return 2;
                }
        }
        if ((license_dir && !check_path("--license directory", license_dir)) ||
            (iso && !check_path("--virtio ISO", iso)))
                return 2;
        if (!remove) {
                config = config_build(license, license_dir, edition, virtio, iso);
                if (!config) {
                        tool_report(NULL, -ENOMEM);
                        return 1;
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
