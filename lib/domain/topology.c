/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <oemkvm:topology edition=…>: one socket, N cores for N vCPUs — Windows
 * client editions cap sockets (Home 1, Pro/Education/Enterprise 2, Pro for
 * Workstations 4), so virt-manager's "one socket per vCPU" leaves vCPUs
 * unused.  N is the *maximum* vCPU count, <vcpu>'s value: current= (what
 * `virsh setvcpus --config N` changes) does not touch the topology.
 *
 * A deliberate SMT layout (threads > 1) within the edition's caps is kept
 * as it is, and its thread count becomes oemkvm's.
 *
 * The topology follows <vcpu>.  libvirt 9 and later refuse a maximum that
 * does not match the topology, so a vCPU change arrives together with a
 * new topology: virt-manager's CPU page and `virt-xml --vcpus
 * N,sockets=1,cores=N` define 1 socket × N′ cores × threads.  A topology
 * of oemkvm's shape (its sockets and thread count, N′ × threads = the new
 * maximum) is still oemkvm's, not a user edit; older libvirt leaves the
 * old topology in place, and the next patch sets N′.
 *
 * Record: <topology vcpus=N sockets dies cores threads [was-sockets …]
 * [was-vcpus] [added="cpu"|"topology"]/>.  was-vcpus is the count the
 * was-* values belong to when the topology has followed <vcpu> since.  A
 * revert restores the was-* values only if the vCPU count is theirs again;
 * otherwise the topology oemkvm set is dropped rather than a stale one
 * restored.
 */
#include <stdio.h>
#include <string.h>

#include "domain/domain.h"

static const char *const topo_attrs[] = { "sockets", "dies", "cores", "threads" };

/* A topology as numbers: sockets, dies, cores, threads (0: absent). */
struct topo {
        unsigned v[4];
};

static unsigned topo_vcpus(const struct topo *t)
{
        return t->v[0] * (t->v[1] ? t->v[1] : 1) * t->v[2] * t->v[3];
}

static unsigned parse_count(const char *s)
{
        char *end;
        unsigned long n;

        if (!s || !*s)
                return 0;
        errno = 0;
        n = strtoul(s, &end, 10);
        return errno || *end || n > 4096 ? 0 : (unsigned)n;
}

static struct topo topo_read(const xmlNode *topo)
{
        struct topo t = {};

        for (size_t i = 0; topo && i < ARRAY_SIZE(topo_attrs); i++)
                t.v[i] = parse_count(xml_attr(topo, topo_attrs[i]));
        return t;
}

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

/* The cores a layout gives Windows, against the edition's cap. */
static int check_cores(struct patch *p, const struct edition *e, unsigned vcpus, unsigned cores)
{
        char fits[96] = "";

        if (cores <= e->cores)
                return 0;
        for (size_t i = 0; edition_at(i); i++)
                if (edition_at(i)->cores >= cores)
                        snprintf(fits + strlen(fits), sizeof(fits) - strlen(fits), "%s'%s'",
                                 *fits ? ", " : "", edition_at(i)->name);
        if (cores == vcpus)
                return oemkvm_error_set(p->err, -EINVAL,
                                        "topology: %u vCPUs exceed the %u cores Windows %s allows — lower <vcpu> to %u%s%s",
                                        vcpus, e->cores, e->label, e->cores,
                                        *fits ? " or use edition " : "", fits);
        return oemkvm_error_set(p->err, -EINVAL,
                                "topology: %u vCPUs as %u cores exceed the %u cores Windows %s allows — lower <vcpu>%s%s",
                                vcpus, cores, e->cores, e->label, *fits ? " or use edition " : "", fits);
}

/* A user's SMT layout oemkvm keeps: threads > 1, one die, every vCPU
 * placed, within the edition's sockets and cores. */
static bool smt_within_caps(const struct topo *t, const struct edition *e, unsigned vcpus)
{
        return t->v[3] > 1 && t->v[0] >= 1 && t->v[0] <= e->sockets && t->v[1] <= 1 && t->v[2] >= 1 &&
               topo_vcpus(t) == vcpus && t->v[0] * t->v[2] <= e->cores;
}

/* oemkvm's shape for vcpus: its sockets and thread count, one die, and
 * as many cores as place every vCPU. */
static bool oemkvm_shape(const struct topo *t, unsigned sockets, unsigned threads, unsigned vcpus)
{
        return t->v[0] == sockets && t->v[1] <= 1 && t->v[3] == threads && t->v[2] >= 1 &&
               topo_vcpus(t) == vcpus;
}

/* The layout oemkvm wants for vcpus, keeping a recorded shape when it fits. */
static struct topo wanted(unsigned vcpus, unsigned sockets, unsigned threads)
{
        if (sockets >= 1 && threads >= 1 && vcpus % (sockets * threads) == 0)
                return (struct topo){ { sockets, 1, vcpus / (sockets * threads), threads } };
        return (struct topo){ { 1, 1, vcpus, 1 } };
}

static bool topo_is(const xmlNode *topo, const struct topo *t)
{
        for (size_t i = 0; i < ARRAY_SIZE(topo_attrs); i++) {
                char n[16];

                snprintf(n, sizeof(n), "%u", t->v[i]);
                if (!topo || !xml_attr_is(topo, topo_attrs[i], n))
                        return false;
        }
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

/*
 * Records want for vcpus — carrying over what the old entry knew was there
 * before — and makes the definition match it.
 */
static int apply(struct patch *p, const xmlNode *old, xmlNode *cpu, xmlNode *topo, unsigned vcpus,
                 const struct topo *want)
{
        char n[16], w[4][16];
        const char *was[4] = {}, *was_vcpus = NULL;
        const char *added = old ? xml_attr(old, "added") : NULL;

        snprintf(n, sizeof(n), "%u", vcpus);
        for (size_t i = 0; i < ARRAY_SIZE(topo_attrs); i++) {
                char key[32];

                snprintf(w[i], sizeof(w[i]), "%u", want->v[i]);
                snprintf(key, sizeof(key), "was-%s", topo_attrs[i]);
                was[i] = old ? xml_attr(old, key) : topo ? xml_attr(topo, topo_attrs[i]) : NULL;
        }
        /* The vCPU count the was-* values belong to, once it is not this one. */
        if (old && !added) {
                was_vcpus = xml_attr(old, "was-vcpus");
                if (!was_vcpus)
                        was_vcpus = xml_attr(old, "vcpus");
                if (was_vcpus && parse_count(was_vcpus) == vcpus)
                        was_vcpus = NULL;
        }
        /* The record is built before the tree changes: was[] points into it. */
        if (!state_add(p, "topology", "vcpus", n, "sockets", w[0], "dies", w[1], "cores", w[2],
                       "threads", w[3], "was-sockets", was[0], "was-dies", was[1], "was-cores", was[2],
                       "was-threads", was[3], "was-vcpus", was_vcpus,
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
                if (!xml_attr_is(topo, topo_attrs[i], w[i])) {
                        if (xml_attr_set(topo, topo_attrs[i], w[i]) < 0)
                                return -ENOMEM;
                        patch_touch(p);
                }
        return 0;
}

static int revert(struct patch *p, const xmlNode *old, xmlNode *cpu, xmlNode *topo, unsigned vcpus)
{
        const char *added = xml_attr(old, "added"), *was_vcpus = xml_attr(old, "was-vcpus");
        const char *was[ARRAY_SIZE(topo_attrs)];
        bool stale;

        if (!was_vcpus)
                was_vcpus = xml_attr(old, "vcpus");
        stale = parse_count(was_vcpus) != vcpus;
        for (size_t i = 0; i < ARRAY_SIZE(topo_attrs); i++) {
                char key[32];
                int r;

                snprintf(key, sizeof(key), "was-%s", topo_attrs[i]);
                r = state_get(p, old, key, STATE_COUNT, &was[i]);
                if (r < 0)
                        return r;
        }
        patch_touch(p);
        /* Restoring a topology made for another vCPU count would leave a
         * definition libvirt refuses: drop ours instead. */
        if (added || stale) {
                xml_remove(topo);
                if (added && !strcmp(added, "cpu") && !xml_child(cpu, NULL, NULL))
                        xml_remove(cpu);
                return 0;
        }
        for (size_t i = 0; i < ARRAY_SIZE(topo_attrs); i++)
                if (xml_attr_set(topo, topo_attrs[i], was[i]) < 0)
                        return -ENOMEM;
        return 0;
}

int patch_topology(struct patch *p, const xmlNode *feature)
{
        const xmlNode *old = state_find(p, "topology", NULL, NULL);
        xmlNode *cpu = xml_child(p->domain, NULL, "cpu");
        xmlNode *topo = xml_child(cpu, NULL, "topology");
        const struct edition *e = NULL;
        struct topo now = topo_read(topo), set, want;
        unsigned vcpus = 1;
        int r;

        if (!feature && !old)
                return 0;
        r = read_vcpus(p, &vcpus);
        if (r < 0)
                return r;
        if (feature) {
                r = edition_check(xml_attr(feature, "edition"), p->err);
                if (r < 0)
                        return r;
                e = edition_find(xml_attr(feature, "edition"));
        }

        if (old && state_is_user(old))
                return feature ? state_keep(p, old) : 0;
        if (old) {
                set = topo_read(old);
                /* Not what oemkvm set, nor its shape for the new count: the
                 * user edited it, and it is theirs. */
                if (!topo_is(topo, &set) && !oemkvm_shape(&now, set.v[0], set.v[3], vcpus))
                        return feature ? state_user(p, old, NULL, NULL) : 0;
                if (!feature)
                        return revert(p, old, cpu, topo, vcpus);
                want = wanted(vcpus, set.v[0], set.v[3]);
                /* Its cores as they are; its one die written out (an absent or
                 * unreadable dies= passes for one, but is no count to record). */
                if (oemkvm_shape(&now, set.v[0], set.v[3], vcpus)) {
                        want = now;
                        want.v[1] = 1;
                }
                r = check_cores(p, e, vcpus, want.v[0] * want.v[2]);
                if (r < 0)
                        return r;
                if (parse_count(xml_attr(old, "vcpus")) != vcpus) {
                        p->follows++;
                        r = patch_note(p, "topology follows the new maximum of %u vCPUs: %u socket%s × %u cores × %u thread%s",
                                       vcpus, want.v[0], want.v[0] == 1 ? "" : "s", want.v[2], want.v[3],
                                       want.v[3] == 1 ? "" : "s");
                        if (r < 0)
                                return r;
                }
                return apply(p, old, cpu, topo, vcpus, &want);
        }
        if (smt_within_caps(&now, e, vcpus)) {
                /* Kept as it is; its shape is oemkvm's from now on. */
                want = now;
                want.v[1] = 1;
                return apply(p, NULL, cpu, topo, vcpus, &want);
        }
        want = wanted(vcpus, 1, 1);
        r = check_cores(p, e, vcpus, vcpus);
        if (r < 0)
                return r;
        if (topo_is(topo, &want))
                return 0;
        return apply(p, NULL, cpu, topo, vcpus, &want);
}
