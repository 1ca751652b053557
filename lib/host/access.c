/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Can QEMU read a file?  libvirt starts QEMU as qemu.conf's user with
 * qemu.conf's group plus that user's supplementary groups
 * (virGetGroupList), so readability is decided by exactly that set.
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "host/host.h"
#include "util/util.h"

void qemu_cred_clear(struct qemu_cred *cred)
{
        free(cred->user);
        free(cred->group);
        free(cred->groups);
        *cred = (struct qemu_cred){};
}

int qemu_cred_load(const struct oemkvm_ctx *ctx, struct qemu_cred *ret, struct oemkvm_error *err)
{
        struct qemu_cred cred = {};
        struct passwd *pw;
        int r, n = 16;

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

bool qemu_may(const struct qemu_cred *cred, const struct stat *st, unsigned want)
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

bool path_in_dir(const char *path, const char *dir)
{
        size_t n = strlen(dir);

        while (n > 1 && dir[n - 1] == '/')
                n--;
        return strncmp(path, dir, n) == 0 && path[n] == '/';
}

int qemu_check_readable(const struct qemu_cred *cred, const char *path, const char *remedy,
                        struct oemkvm_error *err)
{
        _cleanup_free_ char *dir = strdup(path);
        struct stat st;

        if (!dir)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");

        for (char *slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                if (stat(dir, &st) < 0) {
                        int r = -errno;
                        return oemkvm_error_set(err, r, "'%s' (needed for '%s') is missing: %s — %s",
                                                dir, path, strerror(-r), remedy);
                }
                if (!qemu_may(cred, &st, 1))
                        return oemkvm_error_set(err, -EACCES,
                                                "QEMU (user %s, group %s) cannot enter directory '%s' (mode %04o, owner %u:%u) to read '%s' — run 'sudo chgrp %s %s && sudo chmod g+x %s'",
                                                cred->user, cred->group, dir,
                                                (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
                                                (unsigned)st.st_gid, path, cred->group, dir, dir);
                *slash = '/';
        }

        if (stat(path, &st) < 0) {
                int r = -errno;
                return oemkvm_error_set(err, r, "'%s' is missing: %s — %s", path, strerror(-r), remedy);
        }
        if (!S_ISREG(st.st_mode))
                return oemkvm_error_set(err, -EINVAL, "'%s' is not a regular file — %s", path, remedy);
        if (!qemu_may(cred, &st, 4))
                return oemkvm_error_set(err, -EACCES,
                                        "QEMU (user %s, group %s) cannot read '%s' (mode %04o, owner %u:%u) — run 'sudo chgrp %s %s && sudo chmod g+r %s'",
                                        cred->user, cred->group, path,
                                        (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
                                        (unsigned)st.st_gid, cred->group, path, path);
        return 0;
}
