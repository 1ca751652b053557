/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * oemkvm watch: patch tagged domains whenever libvirt defines them or their
 * metadata changes, so tagging in virt-manager's XML editor is all a user
 * does.  Runs as oemkvm-watch.service; logs one line per pass over a tagged
 * domain on stderr, saying which it was: patched, reverted, a value marked
 * as the user's, or nothing to do — with the engine's notes and warnings.
 *
 * Events only queue a domain (once per UUID, with the domain object the
 * event brought, so applying it costs no lookup round trip); a zero timer
 * applies one domain per turn of the event loop, through the same
 * virt_apply as `oemkvm apply`.  Its own define raises DEFINED too: the engine's verdict
 * on the result is "unchanged", so that pass defines nothing, logs nothing
 * and the loop ends there.  The pass over every domain at start-up also
 * reverts what a tag removed while the watcher was down left behind.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "tool.h"
#include "virt.h"

static const char watch_usage[] = "[-c URI]";

/* Reconnect backoff, and how often a daemon that stays away is logged. */
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000
#define DOWN_LOG_EVERY_MS (10 * 60 * 1000)

struct watch {
        const char *uri;
        struct oemkvm_ctx *ctx;
        virConnectPtr conn;
        int cb_lifecycle;
        int cb_metadata;
        bool lost;              /* the connection closed under us */
        int backoff_ms;
        int down_ms;            /* since the last "still down" line */
        int reconnect_timer;
        int work_timer;
        struct queued {
                char uuid[VIR_UUID_STRING_BUFLEN];
                virDomainPtr dom;       /* a reference of our own */
        } *queue;
        size_t n_queue;
        /* Domains this watcher just defined: the DEFINED event that echoes
         * its own define is not news. */
        char (*echo)[VIR_UUID_STRING_BUFLEN];
        size_t n_echo;
        bool quit;
};

static void watch_help(void)
{
        printf("Usage: oemkvm watch %s\n\n"
               "Waits for libvirt to define a domain (virt-manager's XML editor, virsh define)\n"
               "or change its metadata (virsh metadata, oemkvm tag), and patches tagged domains\n"
               "as 'oemkvm apply' does.  Patches every domain when it starts, reconnects when\n"
               "the daemon restarts, and logs one line per action on stderr.  SIGTERM or\n"
               "SIGINT stop it.\n\n"
               "  -c, --connect URI  libvirt connection (default: libvirt's default, as virsh)\n",
               watch_usage);
}

static void watch_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void watch_log(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

/* Adds uuid to a list of UUIDs once; false when out of memory. */
static bool uuid_list_add(char (**list)[VIR_UUID_STRING_BUFLEN], size_t *n, const char *uuid)
{
        void *grown;

        for (size_t i = 0; i < *n; i++)
                if (!strcmp((*list)[i], uuid))
                        return true;
        grown = realloc(*list, (*n + 1) * sizeof(**list));
        if (!grown)
                return false;
        *list = grown;
        memcpy((*list)[(*n)++], uuid, VIR_UUID_STRING_BUFLEN);
        return true;
}

/* Removes uuid from the list; whether it was there. */
static bool uuid_list_take(char (*list)[VIR_UUID_STRING_BUFLEN], size_t *n, const char *uuid)
{
        for (size_t i = 0; i < *n; i++)
                if (!strcmp(list[i], uuid)) {
                        memmove(list + i, list + i + 1, (--*n - i) * sizeof(*list));
                        return true;
                }
        return false;
}

static void queue_add(struct watch *w, virDomainPtr dom)
{
        char uuid[VIR_UUID_STRING_BUFLEN];
        struct queued *grown;

        if (virDomainGetUUIDString(dom, uuid) < 0)
                return;
        for (size_t i = 0; i < w->n_queue; i++)
                if (!strcmp(w->queue[i].uuid, uuid))
                        return;
        grown = realloc(w->queue, (w->n_queue + 1) * sizeof(*w->queue));
        if (!grown || virDomainRef(dom) < 0) {
                if (grown)
                        w->queue = grown;
                tool_error("out of memory: domain '%s' is not patched", virDomainGetName(dom));
                return;
        }
        w->queue = grown;
        memcpy(w->queue[w->n_queue].uuid, uuid, sizeof(uuid));
        w->queue[w->n_queue++].dom = dom;
        virEventUpdateTimeout(w->work_timer, 0);
}

/* The queued domains belong to the connection that goes. */
static void queue_clear(struct watch *w)
{
        for (size_t i = 0; i < w->n_queue; i++)
                virDomainFree(w->queue[i].dom);
        w->n_queue = 0;
}

static void apply_next(int timer, void *opaque)
{
        struct watch *w = opaque;
        char uuid[VIR_UUID_STRING_BUFLEN];
        const struct virt_request req = {};
        struct virt_applied a = {};
        struct oemkvm_error err = {};
        virDomainPtr dom;
        const char *name;
        bool echo;
        int r;

        (void)timer;
        if (w->n_queue == 0 || w->lost) {
                virEventUpdateTimeout(w->work_timer, -1);
                return;
        }
        memcpy(uuid, w->queue[0].uuid, sizeof(uuid));
        dom = w->queue[0].dom;
        memmove(w->queue, w->queue + 1, --w->n_queue * sizeof(*w->queue));
        if (w->n_queue == 0)
                virEventUpdateTimeout(w->work_timer, -1);
        echo = uuid_list_take(w->echo, &w->n_echo, uuid);

        name = virDomainGetName(dom);
        r = virt_apply(dom, w->ctx, &req, &a, &err);
        if (r < 0 && virGetLastErrorCode() == VIR_ERR_NO_DOMAIN)
                ;               /* undefined meanwhile */
        else if (r >= 0 && a.collected)
                watch_log("made the license store %s from this host's firmware (no 'oemkvm dump' had been run)",
                          oemkvm_ctx_get_store_dir(w->ctx));
        if (r == -EPERM)
                ;               /* transient: nothing to define */
        else if (r < 0)
                tool_error("%s", err.message);
        else if (a.defined || a.raced) {
                watch_log("domain '%s': %s — %s", name, a.patch.summary ? a.patch.summary : "updated",
                          a.defined ? "defined" : "defined meanwhile by another client");
                virt_warn_changes(dom, &a.patch, true);
                if (a.defined && !uuid_list_add(&w->echo, &w->n_echo, uuid))
                        tool_error("out of memory");
        } else if ((a.patch.flags & OEMKVM_PATCH_TAGGED) && !echo)
                watch_log("domain '%s': nothing to do — it matches its tag", name);
        virt_applied_clear(&a);
        virDomainFree(dom);
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
        (void)conn;
        (void)detail;
        if (event == VIR_DOMAIN_EVENT_DEFINED)
                queue_add(opaque, dom);
        return 0;
}

static int on_metadata(virConnectPtr conn, virDomainPtr dom, int type, const char *nsuri, void *opaque)
{
        (void)conn;
        if (type == VIR_DOMAIN_METADATA_ELEMENT && nsuri && !strcmp(nsuri, OEMKVM_NS_CONFIG))
                queue_add(opaque, dom);
        return 0;
}

/* Runs inside libvirt's connection handling: only note it and let a timer reconnect. */
static void on_close(virConnectPtr conn, int reason, void *opaque)
{
        struct watch *w = opaque;
        static const char *const reasons[] = { "error", "end of file", "keepalive timeout", "client" };

        (void)conn;
        w->lost = true;
        w->backoff_ms = BACKOFF_MIN_MS;
        w->down_ms = 0;
        watch_log("lost the connection to libvirt (%s); reconnecting",
                  reason >= 0 && (size_t)reason < sizeof(reasons) / sizeof(reasons[0]) ? reasons[reason] : "unknown");
        virEventUpdateTimeout(w->reconnect_timer, w->backoff_ms);
}

static void disconnect(struct watch *w)
{
        queue_clear(w);
        if (!w->conn)
                return;
        /* On a dead connection these fail; the local state goes either way. */
        virConnectDomainEventDeregisterAny(w->conn, w->cb_lifecycle);
        virConnectDomainEventDeregisterAny(w->conn, w->cb_metadata);
        virConnectUnregisterCloseCallback(w->conn, on_close);
        virConnectClose(w->conn);
        w->conn = NULL;
}

/* Connects, subscribes, and queues every persistent domain (reconcile). */
static int connect_and_reconcile(struct watch *w, bool report)
{
        virDomainPtr *doms = NULL;
        int n;

        char *uri;

        w->conn = virt_connect(w->uri, report);
        if (!w->conn)
                return -1;
        w->cb_lifecycle = virConnectDomainEventRegisterAny(w->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                           EVENT_CALLBACK(on_lifecycle), w, NULL);
        w->cb_metadata = virConnectDomainEventRegisterAny(w->conn, NULL, VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
                                                          EVENT_CALLBACK(on_metadata), w, NULL);
        if (w->cb_lifecycle < 0 || w->cb_metadata < 0 ||
            virConnectRegisterCloseCallback(w->conn, on_close, w, NULL) < 0)
                goto fail;
        /* Notices a daemon that hangs, not only one that exits. */
        virConnectSetKeepAlive(w->conn, 5, 3);

        n = virConnectListAllDomains(w->conn, &doms, VIR_CONNECT_LIST_DOMAINS_PERSISTENT);
        if (n < 0)
                goto fail;
        for (int i = 0; i < n; i++) {
                queue_add(w, doms[i]);
                virDomainFree(doms[i]);
        }
        free(doms);
        uri = virConnectGetURI(w->conn);
        watch_log("watching %s: %d domain%s to check", uri ? uri : "libvirt", n, n == 1 ? "" : "s");
        free(uri);
        return 0;
fail:
        tool_error("cannot subscribe to libvirt's domain events: %s", virt_error());
        disconnect(w);
        return -1;
}

static void reconnect(int timer, void *opaque)
{
        struct watch *w = opaque;

        (void)timer;
        disconnect(w);
        if (connect_and_reconcile(w, false) == 0) {
                w->lost = false;
                virEventUpdateTimeout(w->reconnect_timer, -1);
                watch_log("reconnected to libvirt");
                return;
        }
        w->down_ms += w->backoff_ms;
        if (w->down_ms >= DOWN_LOG_EVERY_MS) {
                watch_log("libvirt is still unreachable: %s", virt_error());
                w->down_ms = 0;
        }
        w->backoff_ms = w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : w->backoff_ms * 2;
        virEventUpdateTimeout(w->reconnect_timer, w->backoff_ms);
}

static void on_signal(int watch, int fd, int events, void *opaque)
{
        struct watch *w = opaque;
        struct signalfd_siginfo si;

        (void)watch;
        (void)events;
        if (read(fd, &si, sizeof(si)) == sizeof(si)) {
                watch_log("%s received; exiting", strsignal((int)si.ssi_signo));
                w->quit = true;
        }
}

TOOL_PLUGIN_EXPORT int cmd_watch(int argc, char **argv)
{
        static const struct option options[] = {
                { "connect", required_argument, NULL, 'c' },
                { "help",    no_argument,       NULL, 'h' },
                {}
        };
        struct watch w = { .cb_lifecycle = -1, .cb_metadata = -1 };
        sigset_t mask;
        int c, sfd = -1, ret = 1;

        while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        w.uri = optarg;
                        break;
                case 'h':
                        watch_help();
                        return 0;
                default:
                        return tool_usage_error("watch", watch_usage);
                }
        if (optind != argc)
                return tool_usage_error("watch", watch_usage);

        w.ctx = tool_ctx_new(NULL);
        if (!w.ctx)
                return 1;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 || (sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
                tool_error("cannot set up signal handling: %s", strerror(errno));
                goto out;
        }
        if (virEventRegisterDefaultImpl() < 0 ||
            virEventAddHandle(sfd, VIR_EVENT_HANDLE_READABLE, on_signal, &w, NULL) < 0 ||
            (w.work_timer = virEventAddTimeout(-1, apply_next, &w, NULL)) < 0 ||
            (w.reconnect_timer = virEventAddTimeout(-1, reconnect, &w, NULL)) < 0) {
                tool_error("cannot set up libvirt's event loop: %s", virt_error());
                goto out;
        }

        /* The first connection fails at once: a wrong URI should not wait forever. */
        if (connect_and_reconcile(&w, true) < 0)
                goto out;

        while (!w.quit)
                if (virEventRunDefaultImpl() < 0) {
                        tool_error("libvirt's event loop failed: %s", virt_error());
                        goto out;
                }
        ret = 0;
out:
        disconnect(&w);
        free(w.queue);
        free(w.echo);
        if (sfd >= 0)
                close(sfd);
        oemkvm_ctx_free(w.ctx);
        return ret;
}
