/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The store's lock.  libvirt runs the hooks of domains started at once in
 * parallel, and each refreshes the one store file by file: without a lock
 * two refreshes interleave their renames and leave one machine's MSDM next
 * to another's SMBIOS (or a file half of them thought current).  Holding
 * the lock from the refresh through the checks, every start sees — and
 * hands QEMU — one whole set.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "runtime/runtime.h"
#include "util/util.h"

/* mkdir -p of path's parent, 0755: QEMU must traverse it to the store. */
static int make_parents(const char *path)
{
        _cleanup_free_ char *copy = strdup(path);
        char *slash;

        if (!copy)
                return -ENOMEM;
        slash = strrchr(copy, '/');
        if (!slash || slash == copy)
                return 0;
        *slash = 0;
        for (char *s = copy + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(copy, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(copy, 0755) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int store_lock(const char *store_dir, struct oemkvm_error *err)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t n = strlen(store_dir);
        struct stat st;
        int r;

        while (n > 1 && store_dir[n - 1] == '/')
                n--;
        if (asprintf(&path, "%.*s.lock", (int)n, store_dir) < 0)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        for (int attempt = 0; fd < 0; attempt++) {
                fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0600);
                if (fd >= 0)
                        break;
                r = -errno;
                if (r != -ENOENT || attempt > 0 || (r = make_parents(path)) < 0)
                        return oemkvm_error_set(err, r, "cannot open the store's lock '%s': %s", path, strerror(-r));
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return oemkvm_error_set(err, -EINVAL,
                                        "the store's lock '%s' is not a regular file — remove it", path);

        /* Polled, not blocking: a stuck holder must not hang every start. */
        for (unsigned waited = 0;; waited += 10) {
                struct timespec ts = { 0, 10 * 1000 * 1000 };

                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        return TAKE_FD(fd);
                if (errno != EWOULDBLOCK && errno != EINTR) {
                        r = -errno;
                        return oemkvm_error_set(err, r, "cannot lock '%s': %s", path, strerror(-r));
                }
                if (waited >= STORE_LOCK_WAIT_MS)
                        return oemkvm_error_set(err, -ETIMEDOUT,
                                                "another oemkvm has held the store's lock '%s' for %u s — is a hook or 'oemkvm dump' stuck? ('fuser -v %s' names it)",
                                                path, STORE_LOCK_WAIT_MS / 1000, path);
                nanosleep(&ts, NULL);
        }
}
