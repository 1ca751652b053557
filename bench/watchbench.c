/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * watchbench: how fast `oemkvm watch` patches a define, against libvirt's
 * own event delivery, as a libvirt client sees both.
 *
 *   watchbench URI pair N     N rounds, each of two defines in turn (the
 *                             order rotates): an untagged domain, timed
 *                             until the client gets its own DEFINED event
 *                             (libvirt's event latency); a tagged, unpatched
 *                             domain, timed until the DEFINED event after
 *                             that, which is the watcher's patched define
 *   watchbench URI burst K    K tagged domains defined in a loop; prints
 *                             the loop's time and the time until every
 *                             one of them was defined again by the watcher
 *
 * pair prints "libvirt µs <tab> watcher µs" per round; burst prints
 * "K <tab> ms until all patched <tab> ms of the define loop".
 *
 * The defines of pair are ROUND_GAP_MS apart, so each one meets an idle
 * daemon and an idle watcher, as a user's define does; without the gap a
 * define also waited for the watcher to finish with the one before (its
 * check of its own define), which the burst figure measures.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#define MAX_DOMAINS 1000
/* pair's domains: the watcher patches the tagged one, not the other. */
#define TAGGED_DOMAIN 0
#define UNTAGGED_DOMAIN (MAX_DOMAINS - 1)
#define TIMEOUT_S 60
#define ROUND_GAP_MS 50

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
/* DEFINED events seen per domain wbN, and when the last one came. */
static unsigned defined[MAX_DOMAINS];
static double last_event[MAX_DOMAINS];

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
        const char *name = virDomainGetName(dom);
        double t = now();
        int i;

        (void)conn;
        (void)detail;
        (void)opaque;
        if (event != VIR_DOMAIN_EVENT_DEFINED || !name || sscanf(name, "wb%d", &i) != 1 ||
            i < 0 || i >= MAX_DOMAINS)
                return 0;
        pthread_mutex_lock(&lock);
        defined[i]++;
        last_event[i] = t;
        pthread_cond_broadcast(&changed);
        pthread_mutex_unlock(&lock);
        return 0;
}

/* Errors are reported once, by this program. */
static void error_silent(void *opaque, virErrorPtr e)
{
        (void)opaque;
        (void)e;
}

static void *event_loop(void *arg)
{
        (void)arg;
        for (;;)
                if (virEventRunDefaultImpl() < 0)
                        return NULL;
}

/* Waits until domain i has seen `count` DEFINED events; its time, or exits. */
static double wait_defined(int i, unsigned count)
{
        struct timespec deadline;
        double t;

        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += TIMEOUT_S;
        pthread_mutex_lock(&lock);
        while (defined[i] < count)
                if (pthread_cond_timedwait(&changed, &lock, &deadline) != 0) {
                        fprintf(stderr, "watchbench: wb%d: no DEFINED event #%u within %d s (is the watcher running?)\n",
                                i, count, TIMEOUT_S);
                        exit(1);
                }
        t = last_event[i];
        pthread_mutex_unlock(&lock);
        return t;
}

static unsigned seen(int i)
{
        unsigned n;

        pthread_mutex_lock(&lock);
        n = defined[i];
        pthread_mutex_unlock(&lock);
        return n;
}

/* A small TCG domain; tagged with a topology only, so no store is needed. */
static void domain_xml(char *buf, size_t len, int i, int tagged)
{
        snprintf(buf, len,
                 "<domain type='qemu'><name>wb%d</name><uuid>00000000-0000-4000-8000-%012d</uuid>"
                 "<memory unit='KiB'>65536</memory>"
                 "<vcpu>2</vcpu><os><type arch='x86_64'>hvm</type></os>%s</domain>",
                 i, i, tagged ? "<metadata><oemkvm:config xmlns:oemkvm='urn:oemkvm:domain:1'>"
                             "<oemkvm:topology edition='pro'/></oemkvm:config></metadata>" : "");
}

static void define(virConnectPtr conn, int i, int tagged)
{
        char xml[1024];
        virDomainPtr dom;

        domain_xml(xml, sizeof(xml), i, tagged);
        dom = virDomainDefineXML(conn, xml);
        if (!dom) {
                fprintf(stderr, "watchbench: define wb%d: %s\n", i, virGetLastErrorMessage());
                exit(1);
        }
        virDomainFree(dom);
}

int main(int argc, char **argv)
{
        virConnectPtr conn;
        pthread_t loop;
        int n;

        if (argc != 4 || (n = atoi(argv[3])) < 1 || n > MAX_DOMAINS ||
            (strcmp(argv[2], "pair") && strcmp(argv[2], "burst")) || (!strcmp(argv[2], "burst") && n >= UNTAGGED_DOMAIN)) {
                fprintf(stderr, "usage: watchbench URI pair N | URI burst K (K < %d)\n", UNTAGGED_DOMAIN);
                return 2;
        }
        virSetErrorFunc(NULL, error_silent);
        if (virEventRegisterDefaultImpl() < 0 || !(conn = virConnectOpen(argv[1])) ||
            virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                             VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), NULL, NULL) < 0 ||
            pthread_create(&loop, NULL, event_loop, NULL) != 0) {
                fprintf(stderr, "watchbench: cannot connect to '%s': %s\n", argv[1], virGetLastErrorMessage());
                return 1;
        }

        if (!strcmp(argv[2], "burst")) {
                double start = now(), loop_end, last = 0;

                for (int i = 0; i < n; i++)
                        define(conn, i, 1);
                loop_end = now();
                /* Ours, then the watcher's patched define. */
                for (int i = 0; i < n; i++) {
                        double t = wait_defined(i, 2);

                        last = t > last ? t : last;
                }
                printf("%d\t%.1f\t%.1f\n", n, (last - start) * 1e3, (loop_end - start) * 1e3);
                return 0;
        }
        for (int k = 0; k < n; k++) {
                double us[2];

                for (int j = 0; j < 2; j++) {
                        int tagged = (j + k) % 2;
                        int i = tagged ? TAGGED_DOMAIN : UNTAGGED_DOMAIN;
                        unsigned before = seen(i);
                        double t0 = now();

                        define(conn, i, tagged);
                        /* Untagged: our own event; tagged: the one after it, the watcher's. */
                        us[tagged] = (wait_defined(i, before + (tagged ? 2 : 1)) - t0) * 1e6;
                        nanosleep(&(struct timespec){ .tv_nsec = ROUND_GAP_MS * 1000000L }, NULL);
                }
                printf("%.1f\t%.1f\n", us[0], us[1]);
        }
        return 0;
}
