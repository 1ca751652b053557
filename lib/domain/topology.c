/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <oemkvm:topology edition=…>: one socket, N cores for N vCPUs — Windows
 * client editions cap sockets (Home 1, Pro/Education/Enterprise 2, Pro for
 * Workstations 4), so virt-manager's "one socket per vCPU" leaves vCPUs
 * unused.  The cores cap is checked against N.
 *
 * Record: <topology vcpus=N sockets dies cores threads [was-sockets …]
 * [added="cpu"|"topology"]/>.  A revert restores the was-* values only if
 * the vCPU count is still N; otherwise the topology oemkvm set is dropped
 * rather than a stale one restored.
 */
#include <stdio.h>
#include <string.h>

#include "domain/domain.h"

static const char *const topo_attrs[] = { "sockets", "dies", "cores", "threads" };

static int read_vcpus(struct patch *p, unsigned *ret)
{
        const xmlNode *v = xml_child(p->domain, NULL, "vcpu");
        _cleanup_xml_str_ xmlChar *text = NULL;
        char *end;
        unsigned long n;

        /* libvirt's default when <vcpu> is absent. */
        if (!v) {
                *ret = 1;
                return 0;
        }
        text = xmlNodeGetContent(v);
        errno = 0;
        n = text ? strtoul((const char *)text, &end, 10) : 0;
        if (!text || errno || end == (char *)text || *end || n == 0 || n > 4096)
                return oemkvm_error_set(p->err, -EINVAL, "topology: <vcpu> '%s' is not a vCPU count",
                                        text ? (const char *)text : "");
        *ret = (unsigned)n;
        return 0;
}

static int check_edition(struct patch *p, const xmlNode *feature, unsigned vcpus)
{
        const char *name = xml_attr(feature, "edition");
        const struct edition *e = edition_find(name);
        int r;

        r = edition_check(name, p->err);
        if (r < 0)
                return r;
        if (vcpus > e->cores) {
                char fits[96] = "";

                for (size_t i = 0; edition_at(i); i++)
                        if (edition_at(i)->cores >= vcpus)
                                snprintf(fits + strlen(fits), sizeof(fits) - strlen(fits), "%s'%s'",
                                         *fits ? ", " : "", edition_at(i)->name);
                return oemkvm_error_set(p->err, -EINVAL,
                                        "topology: %u vCPUs exceed the %u cores Windows %s allows — lower <vcpu> to %u%s%s",
                                        vcpus, e->cores, e->label, e->cores,
                                        *fits ? " or use edition " : "", fits);
        }
        return 0;
}

static bool topo_equals(const xmlNode *topo, const char *const want[4])
{
        for (size_t i = 0; i < ARRAY_SIZE(topo_attrs); i++)
                if (!topo || !xml_attr_is(topo, topo_attrs[i], want[i]))
                        return false;
        return true;
}

static xmlNode *new_cpu(struct patch *p)
{
        xmlNode *cpu = xml_new(NULL, "cpu", NULL);
        xmlNode *ref = xml_child(p->domain, NULL, "features");

        if (!cpu)
                return NULL;
        if (!ref)
                ref = xml_child(p->domain, NULL, "os");
        xml_insert_after_or_append(p->domain, ref, cpu);
        return cpu;
}

static int apply(struct patch *p, const xmlNode *old, xmlNode *cpu, xmlNode *topo, unsigned vcpus)
{
        char n[16];
        const char *want[4] = { "1", "1", n, "1" };
        const char *was[4] = {};
        const char *added = old ? xml_attr(old, "added") : NULL;

        snprintf(n, sizeof(n), "%u", vcpus);
        for (size_t i = 0; i < ARRAY_SIZE(topo_attrs); i++) {
                char key[32];

                snprintf(key, sizeof(key), "was-%s", topo_attrs[i]);
                was[i] = old ? xml_attr(old, key) : topo ? xml_attr(topo, topo_attrs[i]) : NULL;
        }
        /* The record is built before the tree changes: was[] points into it. */
        if (!state_add(p, "topology", "vcpus", n, "sockets", want[0], "dies", want[1],
                       "cores", want[2], "threads", want[3], "was-sockets", was[0],
                       "was-dies", was[1], "was-cores", was[2], "was-threads", was[3],
                       "added", added ? added : !cpu ? "cpu" : !topo ? "topology" : NULL, NULL))
                return -ENOMEM;

        if (!cpu && !(cpu = new_cpu(p)))
                return -ENOMEM;
        if (!topo) {
                topo = xml_new(NULL, "topology", NULL);
                if (!topo)
                        return -ENOMEM;
                xml_append(cpu, topo);
        }
        for (size_t i = 0; i < ARRAY_SIZE(topo_attrs); i++)
                if (!xml_attr_is(topo, topo_attrs[i], want[i])) {
                        if (xml_attr_set(topo, topo_attrs[i], want[i]) < 0)
                                return -ENOMEM;
                        patch_touch(p);
                }
        return 0;
}

static int revert(struct patch *p, const xmlNode *old, xmlNode *cpu, xmlNode *topo, unsigned vcpus)
{
        const char *added = xml_attr(old, "added"), *was_vcpus = xml_attr(old, "vcpus");
        bool stale = !was_vcpus || vcpus != strtoul(was_vcpus, NULL, 10);

        patch_touch(p);
        /* Restoring a topology made for another vCPU count would leave a
         * definition libvirt refuses: drop ours instead. */
        if (added || stale) {
                xml_remove(topo);
                if (added && !strcmp(added, "cpu") && !xml_child(cpu, NULL, NULL))
                        xml_remove(cpu);
                return 0;
        }
        for (size_t i = 0; i < ARRAY_SIZE(topo_attrs); i++) {
                char key[32];

                snprintf(key, sizeof(key), "was-%s", topo_attrs[i]);
                if (xml_attr_set(topo, topo_attrs[i], xml_attr(old, key)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int patch_topology(struct patch *p, const xmlNode *feature)
{
        const xmlNode *old = state_find(p, "topology", NULL, NULL);
        xmlNode *cpu = xml_child(p->domain, NULL, "cpu");
        xmlNode *topo = xml_child(cpu, NULL, "topology");
        unsigned vcpus = 1;
        char n[16];
        int r;

        if (!feature && !old)
                return 0;
        r = read_vcpus(p, &vcpus);
        if (r < 0)
                return r;
        if (feature) {
                r = check_edition(p, feature, vcpus);
                if (r < 0)
                        return r;
        }
        snprintf(n, sizeof(n), "%u", vcpus);

        if (old && state_is_user(old))
                return feature ? state_keep(p, old) : 0;
        if (old) {
                const char *set[4];

                for (size_t i = 0; i < ARRAY_SIZE(topo_attrs); i++)
                        set[i] = xml_attr(old, topo_attrs[i]);
                /* Not what oemkvm set: the user edited it, and it is theirs. */
                if (!topo_equals(topo, set))
                        return feature ? state_user(p, old, NULL, NULL) : 0;
                if (!feature)
                        return revert(p, old, cpu, topo, vcpus);
                return apply(p, old, cpu, topo, vcpus);
        }
        if (topo_equals(topo, (const char *const[]){ "1", "1", n, "1" }))
                return 0;
        return apply(p, NULL, cpu, topo, vcpus);
}
