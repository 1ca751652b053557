/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What `oemkvm doctor` asks the libvirt daemon: its libvirt and QEMU
 * versions, and the definition of the domain asked about — or of every
 * domain that carries the oemkvm tag.  The doctor itself is offline
 * (tools/cmd-doctor.c); it loads this plugin only to ask, and a daemon
 * that does not answer is an answer too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "virt.h"

/* Appends dom's definition; false on ENOMEM or when libvirt refuses it (in *ret->error). */
static bool add_domain(virDomainPtr dom, struct tool_daemon *ret, bool only_tagged)
{
        struct tool_domain_xml *list, *d;
        /* The tag lives in the persistent definition; a transient domain has only the live one. */
        unsigned flags = virDomainIsPersistent(dom) == 1 ? VIR_DOMAIN_XML_INACTIVE : 0;
        char *xml = virDomainGetXMLDesc(dom, flags);

        if (!xml) {
                snprintf(ret->domain_error, sizeof(ret->domain_error), "cannot read the definition of '%s': %s",
                         virDomainGetName(dom), virt_error());
                return false;
        }
        if (only_tagged && !strstr(xml, OEMKVM_NS_CONFIG)) {
                free(xml);
                return true;
        }
        list = realloc(ret->domains, (ret->n_domains + 1) * sizeof(*list));
        if (!list) {
                free(xml);
                return false;
        }
        ret->domains = list;
        d = &list[ret->n_domains++];
        *d = (struct tool_domain_xml){ .name = strdup(virDomainGetName(dom)), .xml = xml,
                                       .active = virDomainIsActive(dom) == 1 };
        return d->name != NULL;
}

TOOL_PLUGIN_EXPORT void doctor_ask(const char *uri, const char *domain, struct tool_daemon *ret)
{
        virConnectPtr conn = virt_connect(uri, false);

        if (!conn) {
                snprintf(ret->error, sizeof(ret->error), "%s", virt_error());
                return;
        }
        ret->reached = true;
        if (virConnectGetLibVersion(conn, &ret->libvirt_version) < 0)
                ret->libvirt_version = 0;
        if (virConnectGetVersion(conn, &ret->qemu_version) < 0)
                ret->qemu_version = 0;

        if (domain) {
                virDomainPtr dom = virDomainLookupByName(conn, domain);

                if (!dom)
                        snprintf(ret->domain_error, sizeof(ret->domain_error), "%s", virt_error());
                else {
                        add_domain(dom, ret, false);
                        virDomainFree(dom);
                }
        } else {
                virDomainPtr *doms = NULL;
                int n = virConnectListAllDomains(conn, &doms, 0);

                if (n < 0) {
                        snprintf(ret->error, sizeof(ret->error), "cannot list the domains: %s", virt_error());
                        ret->reached = false;
                }
                for (int i = 0; i < n; i++) {
                        add_domain(doms[i], ret, true);
                        virDomainFree(doms[i]);
                }
                free(doms);
        }
        virConnectClose(conn);
}
