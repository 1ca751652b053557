/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libvirt qemu.d hook, installed as $(HOOKDIR)/qemu.d/oemkvm: libvirt
 * runs it as `oemkvm NAME OP SUBOP EXTRA` with the domain XML on stdin,
 * five times per start of every domain on the host.  The common case, a
 * domain without the oemkvm tag, must cost no more than a bare exec: this
 * file links libc only, scans stdin for the tag's namespace and exits 0
 * silently.  Only a tagged domain, in a phase where the library has work
 * (OEMKVM_HOOK_PHASES: prepare, migrate, restore, and release for a
 * domain with a vGPU), loads liboemkvm (and
 * libxml2 with it), which decides everything else.  It never calls libvirt (that deadlocks).
 *
 * Exit 0: fine (stdout, if any, is the XML libvirt must use); 1: refused,
 * with one line on stderr that libvirt shows as the start error.
 *
 * OEMKVM_SYSROOT and OEMKVM_STORE_DIR point it at fixture trees in tests;
 * libvirt clears the environment of hooks, so they never reach it there.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oemkvm.h"

/* The library of this very version (config.h); RUNPATH points at $(PKGLIBDIR). */
#define LIBOEMKVM OEMKVM_LIB_NAME

static int read_all(int fd, char **ret, size_t *ret_len)
{
        size_t len = 0, cap = 64 * 1024;
        char *buf = malloc(cap);
        int r = 0;

        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n;

                if (len == cap) {
                        char *nbuf = realloc(buf, cap * 2);

                        if (!nbuf) {
                                r = -ENOMEM;
                                break;
                        }
                        buf = nbuf;
                        cap *= 2;
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        break;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        /* Even on failure: what was read still decides whether the domain is ours. */
        *ret = buf;
        *ret_len = len;
        return r;
}

static int write_all(int fd, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, buf, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}

/* Does the library have work for this phase (OEMKVM_HOOK_PHASES)? */
static bool phase_has_work(const char *op, const char *subop, const char *xml, size_t len)
{
        static const struct {
                const char *op, *subop, *needs;
        } phases[] = {
#define PHASE(o, s, steps, needs) { o, s, needs },
                OEMKVM_HOOK_PHASES(PHASE)
#undef PHASE
        };

        for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++)
                if (!strcmp(op, phases[i].op) && !strcmp(subop, phases[i].subop))
                        return !phases[i].needs || memmem(xml, len, phases[i].needs, strlen(phases[i].needs));
        return false;
}

static int installed_wrong(const char *name, const char *why)
{
        fprintf(stderr, "oemkvm: domain '%s' is tagged for oemkvm but its library cannot be loaded (%s) — oemkvm is installed wrong: reinstall it ('sudo make install') and run 'sudo ldconfig'\n",
                name, why);
        return 1;
}

static int run_tagged(const char *name, const char *op, const char *subop,
                      const char *xml, size_t len)
{
        __typeof__(oemkvm_ctx_new) *ctx_new;
        __typeof__(oemkvm_ctx_set_store_dir) *ctx_set_store_dir;
        __typeof__(oemkvm_ctx_free) *ctx_free;
        __typeof__(oemkvm_hook_run) *hook_run;
        struct oemkvm_error err = {};
        struct oemkvm_ctx *ctx = NULL;
        const char *store = getenv("OEMKVM_STORE_DIR");
        char *out = NULL;
        void *lib;
        int r;

        lib = dlopen(LIBOEMKVM, RTLD_NOW | RTLD_LOCAL);
        if (!lib)
                return installed_wrong(name, dlerror());
        ctx_new = dlsym(lib, "oemkvm_ctx_new");
        ctx_set_store_dir = dlsym(lib, "oemkvm_ctx_set_store_dir");
        ctx_free = dlsym(lib, "oemkvm_ctx_free");
        hook_run = dlsym(lib, "oemkvm_hook_run");
        if (!ctx_new || !ctx_set_store_dir || !ctx_free || !hook_run)
                return installed_wrong(name, LIBOEMKVM " lacks oemkvm_hook_run: an older version?");

        r = ctx_new(getenv("OEMKVM_SYSROOT"), &ctx);
        if (r >= 0 && store)
                r = ctx_set_store_dir(ctx, store);
        if (r >= 0)
                r = hook_run(ctx, name, op, subop, xml, len, &out, &err);
        if (r >= 0 && out) {
                r = write_all(STDOUT_FILENO, out, strlen(out));
                if (r < 0)
                        snprintf(err.message, sizeof(err.message),
                                 "domain '%s': cannot hand the XML back to libvirt: %s", name, strerror(-r));
        }
        if (r < 0)
                fprintf(stderr, "oemkvm: %s\n", err.message[0] ? err.message : strerror(-r));
        free(out);
        ctx_free(ctx);
        dlclose(lib);
        return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
        char *xml = NULL;
        size_t len = 0;
        int r, ret;

        if (argc < 4) {
                fputs("oemkvm: this is libvirt's qemu.d hook; libvirt runs it as 'oemkvm NAME OP SUBOP EXTRA' with the domain XML on stdin\n",
                      stderr);
                return 2;
        }

        /* libvirt writes the XML whatever the phase: read it all, so its
         * write never meets a closed pipe. */
        r = read_all(STDIN_FILENO, &xml, &len);
        if (!xml)
                return 0;       /* cannot even tell whether the domain is ours */
        /* The same test as oemkvm_xml_is_tagged(), without loading the library. */
        if (!memmem(xml, len, OEMKVM_NS_CONFIG, sizeof(OEMKVM_NS_CONFIG) - 1) ||
            !phase_has_work(argv[2], argv[3], xml, len))
                ret = 0;
        else if (r < 0) {
                fprintf(stderr, "oemkvm: domain '%s': cannot read its XML from libvirt: %s\n",
                        argv[1], strerror(-r));
                ret = 1;
        } else
                ret = run_tagged(argv[1], argv[2], argv[3], xml, len);
        free(xml);
        return ret;
}
