/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the qemu.d hook does for a domain that carries the oemkvm tag.  The
 * hook binary links libc only and loads this library when stdin holds the
 * tag's namespace; every decision lives here so tests can call it directly.
 *
 * libvirt discards what a hook prints at prepare/start/…, so the hook never
 * changes a normal start: it keeps the store fresh and refuses a start that
 * would silently boot without what the user opted into.  Only migrate and
 * restore take its output as the new XML.
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "patch-priv.h"

/* One call from libvirt: `NAME OP SUBOP EXTRA`, the domain XML on stdin. */
struct hook_call {
        const struct oemkvm_ctx *ctx;
        const char *name;
        const char *xml;
        size_t len;
        struct oemkvm_error *err;
};

/* Who QEMU runs as: user, group and the user's supplementary groups. */
struct qemu_cred {
        uid_t uid;
        gid_t gid;
        char *user;
        char *group;
        gid_t *groups;
        int n_groups;
};

OEMKVM_EXPORT bool oemkvm_xml_is_tagged(const char *xml, size_t len)
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
 * Rewrites the host store from firmware.  oemkvm_dump_write rewrites only
 * the files whose bytes changed, so this is cheap on every start.
 */
static int store_refresh(const struct oemkvm_ctx *ctx, gid_t gid, struct oemkvm_error *err)
{
        struct oemkvm_dump dump = {};
        int r;

        r = oemkvm_dump_collect(ctx, &dump, err);
        if (r < 0)
                return r;
        r = oemkvm_dump_write(&dump, oemkvm_ctx_get_store_dir(ctx), gid, err);
        oemkvm_dump_clear(&dump);
        return r < 0 ? r : 0;
}

static void qemu_cred_clear(struct qemu_cred *cred)
{
        free(cred->user);
        free(cred->group);
        free(cred->groups);
}

/*
 * libvirt gives QEMU the configured group plus the configured user's
 * supplementary groups (virGetGroupList), so readability is decided by
 * exactly that set — access(2) as root would say yes to everything.
 */
static int qemu_cred_load(const struct oemkvm_ctx *ctx, struct qemu_cred *ret,
                          struct oemkvm_error *err)
{
        struct qemu_cred cred = {};
        int r, n = 16;

        struct passwd *pw;

        r = oemkvm_qemu_group(ctx, &cred.gid, &cred.group, err);
        if (r >= 0)
                r = oemkvm_qemu_user(ctx, &cred.uid, &cred.user, err);
        /* qemu.conf may name the user as "+UID": the group list wants the name. */
        pw = r >= 0 ? getpwuid(cred.uid) : NULL;
        if (r >= 0 && !pw)
                r = oemkvm_error_set(err, -ENOENT, "the user QEMU runs as, '%s', has no passwd entry", cred.user);
        while (r >= 0) {
                gid_t *g = realloc(cred.groups, (size_t)n * sizeof(gid_t));

                if (!g) {
                        r = oemkvm_error_set(err, -ENOMEM, "out of memory");
                        break;
                }
                cred.groups = g;
                if (getgrouplist(pw->pw_name, cred.gid, cred.groups, &n) >= 0) {
                        cred.n_groups = n;
                        *ret = cred;
                        return 0;
                }
        }
        qemu_cred_clear(&cred);
        return r;
}

/* Would QEMU be granted `want` (4 read, 1 search) on st by its mode bits? */
static bool qemu_may(const struct qemu_cred *cred, const struct stat *st, unsigned want)
{
        unsigned bits = st->st_mode & 7;

        if (st->st_uid == cred->uid)
                bits = (st->st_mode >> 6) & 7;
        else
                for (int i = 0; i < cred->n_groups; i++)
                        if (cred->groups[i] == st->st_gid) {
                                bits = (st->st_mode >> 3) & 7;
                                break;
                        }
        return (bits & want) == want;
}

static bool path_in_dir(const char *path, const char *dir)
{
        size_t n = strlen(dir);

        while (n > 1 && dir[n - 1] == '/')
                n--;
        return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/*
 * Checks that QEMU can open `path`: every directory above it searchable,
 * the file itself a regular file it may read.
 */
static int check_readable(const struct hook_call *c, const struct qemu_cred *cred,
                          const char *path, bool in_store)
{
        const char *remedy = in_store ? "run 'sudo oemkvm dump'"
                                      : "restore the dump or change the tag's source=";
        _cleanup_free_ char *dir = strdup(path);
        struct stat st;

        if (!dir)
                return oemkvm_error_set(c->err, -ENOMEM, "out of memory");

        for (char *slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                if (stat(dir, &st) < 0) {
                        int r = -errno;
                        return oemkvm_error_set(c->err, r, "domain '%s': '%s' (needed for '%s') is missing: %s — %s",
                                                c->name, dir, path, strerror(-r), remedy);
                }
                if (!qemu_may(cred, &st, 1))
                        return oemkvm_error_set(c->err, -EACCES,
                                                "domain '%s': QEMU (user %s, group %s) cannot enter directory '%s' (mode %04o, owner %u:%u) to read '%s' — run 'sudo chgrp %s %s && sudo chmod g+x %s'",
                                                c->name, cred->user, cred->group, dir,
                                                (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
                                                (unsigned)st.st_gid, path, cred->group, dir, dir);
                *slash = '/';
        }

        if (stat(path, &st) < 0) {
                int r = -errno;
                return oemkvm_error_set(c->err, r, "domain '%s': '%s' is missing: %s — %s",
                                        c->name, path, strerror(-r), remedy);
        }
        if (!S_ISREG(st.st_mode))
                return oemkvm_error_set(c->err, -EINVAL, "domain '%s': '%s' is not a regular file — %s",
                                        c->name, path, remedy);
        if (!qemu_may(cred, &st, 4))
                return oemkvm_error_set(c->err, -EACCES,
                                        "domain '%s': QEMU (user %s, group %s) cannot read '%s' (mode %04o, owner %u:%u) — run 'sudo chgrp %s %s && sudo chmod g+r %s'",
                                        c->name, cred->user, cred->group, path,
                                        (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
                                        (unsigned)st.st_gid, cred->group, path, path);
        return 0;
}

/*
 * A transient domain (virDomainCreateXML: virt-manager's installer boots a
 * new install that way and defines it only afterwards) has no file in
 * qemu:///system's config directory, <HOOKDIR>/../qemu.  Returns 1 when
 * transient, 0 when persistent.
 */
static int is_transient(const struct hook_call *c)
{
        const char *hookdir = OEMKVM_HOOKDIR;
        const char *end = strrchr(hookdir, '/');
        _cleanup_free_ char *rel = NULL;
        _cleanup_free_ char *path = NULL;
        struct stat st;
        int r;

        /* libvirt refuses names with '/'; never let one leave the directory. */
        if (strchr(c->name, '/') || !end)
                return oemkvm_error_set(c->err, -EINVAL, "domain name '%s' is not a libvirt domain name", c->name);
        if (asprintf(&rel, "%.*s/qemu/%s.xml", (int)(end - hookdir), hookdir, c->name) < 0)
                return oemkvm_error_set(c->err, -ENOMEM, "out of memory");
        r = oemkvm_ctx_path(c->ctx, rel, &path);
        if (r < 0)
                return oemkvm_error_set(c->err, r, "cannot build the path of '%s'", rel);
        return stat(path, &st) < 0 && errno == ENOENT;
}

static int refuse_unpatched(const struct hook_call *c)
{
        int r = is_transient(c);

        if (r < 0)
                return r;
        if (r > 0)
                return oemkvm_error_set(c->err, -ESTALE,
                                        "domain '%s' is tagged for oemkvm but is being started as a transient domain (never defined, as virt-manager's installer does for the first boot), so nothing could patch it — define it with the tag first, run 'sudo oemkvm apply %s', then start it",
                                        c->name, c->name);
        return oemkvm_error_set(c->err, -ESTALE,
                                "domain '%s' is tagged for oemkvm but its definition is not patched — run 'sudo oemkvm apply %s' (or start oemkvm-watch) and start it again",
                                c->name, c->name);
}

/*
 * prepare begin: refresh the store, then refuse unless the definition is
 * patched to match its tag and QEMU can read every file it names.
 */
static int hook_prepare(const struct hook_call *c, char **ret_out)
{
        struct oemkvm_error sub = {}, store_err = {};
        struct qemu_cred cred = {};
        char **files = NULL;
        bool needs_store = false;
        unsigned flags;
        int r, r_store;

        /* Before the verdict: the engine checks the dump files exist. */
        r_store = qemu_cred_load(c->ctx, &cred, &store_err);
        if (r_store >= 0)
                r_store = store_refresh(c->ctx, cred.gid, &store_err);

        r = patch_verify(c->ctx, c->xml, c->len, &flags, &files, &sub);
        if (r < 0) {
                r = fail_domain(c, r, &sub);
                goto out;
        }
        if (!(flags & OEMKVM_PATCH_TAGGED))
                goto out;       /* the namespace appeared, but not as a tag */
        if (flags & OEMKVM_PATCH_CHANGED) {
                r = refuse_unpatched(c);
                goto out;
        }
        for (char **f = files; *f; f++)
                needs_store = needs_store || path_in_dir(*f, oemkvm_ctx_get_store_dir(c->ctx));
        /* A host without firmware tables is fine as long as the domain does not use its store. */
        if (needs_store && r_store < 0) {
                r = oemkvm_error_set(c->err, r_store,
                                     "domain '%s': cannot refresh the license store '%s' from this host's firmware: %s",
                                     c->name, oemkvm_ctx_get_store_dir(c->ctx), store_err.message);
                goto out;
        }
        if (files[0] && !cred.user) {
                /* The store was not needed, but reading QEMU's identity failed. */
                r = fail_domain(c, r_store, &store_err);
                goto out;
        }
        for (char **f = files; *f && r >= 0; f++)
                r = check_readable(c, &cred, *f, path_in_dir(*f, oemkvm_ctx_get_store_dir(c->ctx)));
out:
        if (r >= 0)
                *ret_out = NULL;
        oemkvm_strv_free(files);
        qemu_cred_clear(&cred);
        return r < 0 ? r : 0;
}

/*
 * migrate begin / restore begin: libvirt takes stdout as the new XML and
 * checks ABI stability on it; the engine rewrites file paths only.  Empty
 * output means "unchanged" to libvirt, while any output marks the domain
 * as modified by a hook (taint), so print only what actually changed.
 */
static int hook_relocate(const struct hook_call *c, char **ret_out)
{
        struct oemkvm_patch_result res = {};
        struct oemkvm_error sub = {}, store_err = {};
        gid_t gid;
        int r, r_store;

        /* A host that has the firmware but was never dumped can take the domain. */
        r_store = oemkvm_qemu_group(c->ctx, &gid, NULL, &store_err);
        if (r_store >= 0)
                r_store = store_refresh(c->ctx, gid, &store_err);

        r = oemkvm_patch_relocate(c->ctx, c->xml, c->len, &res, &sub);
        if (r < 0) {
                const struct oemkvm_error *why = r == -ENOENT && r_store < 0 ? &store_err : &sub;

                return oemkvm_error_set(c->err, r, "domain '%s' cannot run on this host: %s",
                                        c->name, why->message[0] ? why->message : strerror(-r));
        }
        if (res.len == c->len && memcmp(res.xml, c->xml, c->len) == 0) {
                oemkvm_patch_result_clear(&res);
                *ret_out = NULL;
                return 0;
        }
        *ret_out = TAKE_PTR(res.xml);
        return 0;
}

static const struct {
        const char *op;
        const char *subop;
        int (*run)(const struct hook_call *c, char **ret_out);
} handlers[] = {
        { "prepare", "begin", hook_prepare },
        { "migrate", "begin", hook_relocate },
        { "restore", "begin", hook_relocate },
        /*
         * "release" "end" is where runtime work is undone once prepare does
         * some (the GVT-g mdev, a later issue).  It also runs after a refused
         * prepare (so do "stopped" "end"): whatever lands here must cope with
         * nothing having been set up.  Its 4th argument is the shutoff reason
         * since libvirt 10.5 ("-" before): do not depend on it.
         */
};

OEMKVM_EXPORT int oemkvm_hook_run(const struct oemkvm_ctx *ctx, const char *name, const char *op,
                                  const char *subop, const char *xml, size_t len,
                                  char **ret_out, struct oemkvm_error *err)
{
        const struct hook_call c = { ctx, name, xml, len, err };

        if (oemkvm_xml_is_tagged(xml, len))
                for (size_t i = 0; i < ARRAY_SIZE(handlers); i++)
                        if (!strcmp(op, handlers[i].op) && !strcmp(subop, handlers[i].subop))
                                return handlers[i].run(&c, ret_out);
        *ret_out = NULL;
        return 0;
}
