/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hook's runtime policy: what the qemu.d hook does for a domain that
 * carries the oemkvm tag.  The hook binary links libc only and loads this
 * library when stdin holds the tag's namespace; every decision lives here
 * so tests can call it directly.
 *
 * libvirt discards what a hook prints at prepare/start/…, so the hook never
 * changes a normal start: it keeps the store fresh, starts the vGPU the
 * domain asks for (and stops it at release, vgpu.c), and refuses a start
 * that would silently boot without what the user opted into.  Only
 * migrate and restore take its output as the new XML.
 *
 * Each operation is a list of steps run in order.  A step returns < 0 to
 * refuse (the steps before it are undone, last first), 1 to end the
 * operation early with success, 0 to go on.  A step that sets something up
 * on the host brings the undo that takes it down again.
 */
#include <stdio.h>
#include <string.h>

#include "domain/engine.h"
#include "host/host.h"
#include "runtime/vgpu.h"
#include "runtime/runtime.h"
#include "util/util.h"

/* One call from libvirt, `NAME OP SUBOP EXTRA`, and what its steps found. */
struct hook_call {
        const struct oemkvm_ctx *ctx;
        const char *name;
        const char *xml;
        size_t len;
        struct oemkvm_error *err;
        char *out;                      /* the XML libvirt must use instead; NULL: unchanged */
        struct patch *def;              /* the parsed definition */

        int lock_fd;                    /* the store's lock, held to the end of the call */

        /* Failures of the identity and store steps are kept, not fatal:
         * only a domain that needs what they give is refused for them. */
        struct qemu_cred cred;
        int r_cred;
        struct oemkvm_error cred_err;
        int r_store;
        struct oemkvm_error store_err;

        unsigned flags;                 /* the engine's verdict */
        char **files;                   /* the files the definition makes QEMU read for oemkvm */
        struct patch_vgpu vgpu;         /* the vGPU it asks for (parent NULL: none) */
        char domain_uuid[OEMKVM_UUID_SIZE];
        bool vgpu_started;              /* by oemkvm, for this run: its undo stops it */
};

struct step {
        int (*run)(struct hook_call *c);
        void (*undo)(struct hook_call *c);
};

bool oemkvm_xml_is_tagged(const char *xml, size_t len)
{
        return memmem(xml, len, OEMKVM_NS_CONFIG, sizeof(OEMKVM_NS_CONFIG) - 1) != NULL;
}

/* Prefixes a callee's message with the domain, so the one line libvirt shows names it. */
static int fail_domain(const struct hook_call *c, int r, const struct oemkvm_error *sub)
{
        return oemkvm_error_set(c->err, r, "domain '%s': %s", c->name,
                                sub->message[0] ? sub->message : strerror(-r));
}

/*
 * Before anything else: only a real <oemkvm:config> in <metadata> makes the
 * hook act.  The binary's scan for the namespace also matches a domain that
 * merely mentions it (a <description>, a leftover record's neighbour):
 * those start as if oemkvm were not installed — no store refresh, no file
 * written.  A leftover record without a tag never blocks a start either:
 * the user took the tag away; the next apply or watcher pass reverts it.
 */
static int step_tagged(struct hook_call *c)
{
        struct oemkvm_error sub = {};
        int r;

        r = patch_open(c->xml, c->len, &c->def, &sub);
        if (r < 0)
                return fail_domain(c, r, &sub);
        return patch_tagged(c->def) ? 0 : 1;
}

/* Who QEMU runs as (qemu.conf): the store's group and the readability check need it. */
static int step_qemu_identity(struct hook_call *c)
{
        c->r_cred = qemu_cred_load(c->ctx, &c->cred, &c->cred_err);
        return 0;
}

/*
 * Rewrites the host store from firmware.  The store is rewritten only when
 * the firmware's bytes changed, so this is cheap on every start.  Before
 * the verdict: the engine checks the dump it names.
 */
static int step_refresh_store(struct hook_call *c)
{
        c->r_store = c->r_cred;
        if (c->r_store < 0) {
                c->store_err = c->cred_err;
                return 0;
        }
        /* Held to the end of the call: the checks after the refresh see
         * the set it wrote, not one a parallel start is switching. */
        c->lock_fd = store_lock(oemkvm_ctx_get_store_dir(c->ctx), &c->store_err);
        c->r_store = c->lock_fd;
        if (c->r_store < 0)
                return 0;
        c->r_store = store_refresh(c->ctx, c->cred.gid, &c->store_err);
        return 0;
}

static int refuse_unpatched(const struct hook_call *c)
{
        struct oemkvm_error sub = {};
        int r = domain_is_transient(c->ctx, c->name, &sub);

        if (r < 0)
                return fail_domain(c, r, &sub);
        if (r > 0)
                return oemkvm_error_set(c->err, -ESTALE,
                                        "domain '%s' is tagged for oemkvm but is being started as a transient domain (never defined: virt-manager's installer boots a new install that way), so nothing could patch it — install with 'sudo oemkvm install %s --iso WINDOWS.iso', or install untagged and tag it afterwards ('sudo oemkvm tag %s --license')",
                                        c->name, c->name, c->name);
        /* Only apply is sure to help: a running oemkvm-watch saw no define
         * to act on (the store changed, say, after a firmware update). */
        return oemkvm_error_set(c->err, -ESTALE,
                                "domain '%s' is tagged for oemkvm but its definition is not patched to match — run 'sudo oemkvm apply %s', then start it again",
                                c->name, c->name);
}

/* The engine's verdict: refuse unless the definition matches its tag. */
static int step_verify(struct hook_call *c)
{
        struct oemkvm_error sub = {};
        int r;

        r = patch_verify(c->ctx, c->def, &c->flags, &c->files, &c->vgpu, &sub);
        /* The store is empty because the refresh failed: that is what to fix. */
        if (r == -ENODATA && c->r_store < 0)
                return oemkvm_error_set(c->err, c->r_store,
                                        "domain '%s': cannot make the license store '%s' from this host's firmware, and it holds no earlier dump: %s",
                                        c->name, oemkvm_ctx_get_store_dir(c->ctx), c->store_err.message);
        if (r < 0)
                return fail_domain(c, r, &sub);
        if (c->flags & OEMKVM_PATCH_CHANGED)
                return refuse_unpatched(c);
        return 0;
}

/* QEMU must be able to read every license file the definition names. */
static int step_check_files(struct hook_call *c)
{
        const char *store = oemkvm_ctx_get_store_dir(c->ctx);
        struct oemkvm_error sub = {};
        bool needs_store = false;
        int r = 0, confined = 0;

        for (char **f = c->files; *f; f++)
                needs_store = needs_store || path_in_dir(*f, store);
        /* A host without firmware tables is fine as long as the domain does not use its store. */
        if (needs_store && c->r_store < 0)
                return oemkvm_error_set(c->err, c->r_store,
                                        "domain '%s': cannot refresh the license store '%s' from this host's firmware: %s",
                                        c->name, store, c->store_err.message);
        if (c->files[0] && c->r_cred < 0)
                return fail_domain(c, c->r_cred, &c->cred_err);
        for (char **f = c->files; *f && r >= 0; f++) {
                const char *base = strrchr(*f, '/');
                bool rom = base && !strcmp(base + 1, OEMKVM_STORE_GVT_ROM);

                r = qemu_check_readable(&c->cred, *f,
                                        rom ? "run 'sudo oemkvm gvt rom FILE' with Intel's vbios_gvt_uefi.rom, or drop rom="
                                        : path_in_dir(*f, store) ? "run 'sudo oemkvm dump'"
                                                                 : "restore the dump or change the tag's source=",
                                        &sub);
        }
        /* Mode bits are not all: AppArmor may still deny QEMU the file. */
        if (r >= 0 && c->files[0])
                r = confined = apparmor_confines_qemu(c->ctx, &sub);
        for (char **f = c->files; confined > 0 && *f && r >= 0; f++)
                r = apparmor_check_readable(c->ctx, *f, path_in_dir(*f, store), &sub);
        return r < 0 ? fail_domain(c, r, &sub) : 0;
}

static int domain_uuid(struct hook_call *c)
{
        struct oemkvm_error sub = {};
        int r = patch_domain_uuid(c->xml, c->len, c->domain_uuid, &sub);

        return r < 0 ? fail_domain(c, r, &sub) : 0;
}

/* The vGPU <oemkvm:gvt> asks for, started unless it is active (vgpu.c). */
static int step_start_vgpu(struct hook_call *c)
{
        struct oemkvm_error sub = {};
        int r;

        if (!c->vgpu.parent)
                return 0;
        r = domain_uuid(c);
        if (r < 0)
                return r;
        r = vgpu_start(c->ctx, c->name, c->domain_uuid, c->vgpu.parent, c->vgpu.type, c->vgpu.uuid,
                       &c->vgpu_started, &sub);
        return r < 0 ? fail_domain(c, r, &sub) : 0;
}

static void undo_start_vgpu(struct hook_call *c)
{
        if (c->vgpu_started)
                vgpu_stop(c->ctx, c->domain_uuid, NULL);
}

/* release end: the vGPU oemkvm started for this domain goes (nothing else). */
static int step_stop_vgpu(struct hook_call *c)
{
        struct oemkvm_error sub = {};
        int r;

        /* What oemkvm starts is recorded under the domain's UUID: a
         * definition without one (never libvirt's) has nothing to stop,
         * and release must not fail for a domain oemkvm does not own. */
        if (patch_domain_uuid(c->xml, c->len, c->domain_uuid, &sub) < 0)
                return 0;
        r = vgpu_stop(c->ctx, c->domain_uuid, &sub);
        return r < 0 ? fail_domain(c, r, &sub) : 0;
}

/*
 * libvirt takes stdout as the new XML and checks ABI stability on it; the
 * engine rewrites file paths only.  Empty output means "unchanged" to
 * libvirt, while any output marks the domain as modified by a hook
 * (taint), so hand back only what actually changed.
 */
static int step_relocate(struct hook_call *c)
{
        struct oemkvm_patch_result res = {};
        struct oemkvm_error sub = {};
        int r;

        r = oemkvm_patch_relocate(c->ctx, c->xml, c->len, &res, &sub);
        if (r < 0) {
                /* A dump file missing here is explained by why the refresh failed. */
                const struct oemkvm_error *why = r == -ENOENT && c->r_store < 0 ? &c->store_err : &sub;

                return oemkvm_error_set(c->err, r, "domain '%s' cannot run on this host: %s",
                                        c->name, why->message[0] ? why->message : strerror(-r));
        }
        if (res.len != c->len || memcmp(res.xml, c->xml, c->len) != 0)
                c->out = TAKE_PTR(res.xml);
        oemkvm_patch_result_clear(&res);
        return 0;
}

/* prepare begin: refresh the store, refuse unless the definition is
 * patched to match its tag and QEMU can read every file it names, then
 * start the vGPU — last, so nothing after it can refuse the start. */
static const struct step prepare[] = {
        { step_tagged,        NULL },
        { step_qemu_identity, NULL },
        { step_refresh_store, NULL },
        { step_verify,        NULL },
        { step_check_files,   NULL },
        { step_start_vgpu,    undo_start_vgpu },
        {}
};

/* release end: what prepare set up comes down.  It also runs after a
 * refused prepare (so does stopped end): then nothing was recorded and
 * nothing is touched.  Its 4th argument is the shutoff reason since
 * libvirt 10.5 ("-" before): not needed. */
static const struct step release[] = {
        { step_stop_vgpu, NULL },
        {}
};

/* migrate begin / restore begin: a host that has the firmware but was never
 * dumped can take the domain; then only the paths change. */
static const struct step relocate[] = {
        { step_tagged,        NULL },
        { step_qemu_identity, NULL },
        { step_refresh_store, NULL },
        { step_relocate,      NULL },
        {}
};

static const struct {
        const char *op;
        const char *subop;
        const struct step *steps;
} operations[] = {
#define OPERATION(op, subop, steps, needs) { op, subop, steps },
        OEMKVM_HOOK_PHASES(OPERATION)
#undef OPERATION
};

static int steps_run(struct hook_call *c, const struct step *steps)
{
        size_t i;
        int r = 0;

        for (i = 0; steps[i].run; i++) {
                r = steps[i].run(c);
                if (r != 0)
                        break;
        }
        if (r < 0)
                while (i-- > 0)
                        if (steps[i].undo)
                                steps[i].undo(c);
        return r < 0 ? r : 0;
}

OEMKVM_EXPORT int oemkvm_hook_run(const struct oemkvm_ctx *ctx, const char *name, const char *op,
                                  const char *subop, const char *xml, size_t len,
                                  char **ret_out, struct oemkvm_error *err)
{
        struct hook_call c = { .ctx = ctx, .name = name, .xml = xml, .len = len, .err = err,
                               .lock_fd = -EBADF };
        int r = 0;

        if (oemkvm_xml_is_tagged(xml, len))
                for (size_t i = 0; i < ARRAY_SIZE(operations); i++)
                        if (!strcmp(op, operations[i].op) && !strcmp(subop, operations[i].subop)) {
                                r = steps_run(&c, operations[i].steps);
                                break;
                        }
        oemkvm_strv_free(c.files);
        patch_free(c.def);
        patch_vgpu_clear(&c.vgpu);
        qemu_cred_clear(&c.cred);
        closep(&c.lock_fd);
        if (r < 0) {
                free(c.out);
                return r;
        }
        *ret_out = c.out;
        return 0;
}
