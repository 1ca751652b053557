/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The store's lock: made next to the store with its parents, never through
 * a symlink or into something that is not a regular file, and exclusive
 * (a second holder is kept out while the first holds it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "runtime/runtime.h"

static char *path(const char *a, const char *b)
{
        char *s;

        if (asprintf(&s, "%s/%s", a, b) < 0)
                abort();
        return s;
}

TEST(made_next_to_the_store)
{
        const char *dir = check_tmpdir();
        char *store = path(dir, "var/lib/oemkvm/host/"), *lock = path(dir, "var/lib/oemkvm/host.lock");
        struct oemkvm_error err = {};
        struct stat st;
        int fd, other;

        fd = store_lock(store, &err);
        CHECK(fd >= 0);
        CHECK_INT(stat(lock, &st), 0);
        CHECK(S_ISREG(st.st_mode));
        CHECK_INT(st.st_mode & 07777, 0600);
        /* Exclusive: another open file description cannot take it. */
        other = open(lock, O_RDWR | O_CLOEXEC);
        CHECK(other >= 0);
        CHECK_INT(flock(other, LOCK_EX | LOCK_NB), -1);
        close(fd);
        CHECK_INT(flock(other, LOCK_EX | LOCK_NB), 0);
        close(other);
        free(store);
        free(lock);
}

TEST(never_through_a_symlink_or_into_a_fifo)
{
        const char *dir = check_tmpdir();
        char *store = path(dir, "host"), *lock = path(dir, "host.lock"), *target = path(dir, "elsewhere");
        struct oemkvm_error err = {};
        struct stat st;

        CHECK_INT(symlink(target, lock), 0);
        CHECK_INT(store_lock(store, &err), -ELOOP);
        CHECK_CONTAINS(err.message, "cannot open the store's lock");
        CHECK_INT(lstat(target, &st), -1);      /* nothing made where the link points */
        CHECK_INT(unlink(lock), 0);

        CHECK_INT(mkfifo(lock, 0600), 0);
        err = (struct oemkvm_error){};
        CHECK_INT(store_lock(store, &err), -EINVAL);
        CHECK_CONTAINS(err.message, "is not a regular file");
        CHECK(!strchr(err.message, '\n'));
        free(store);
        free(lock);
        free(target);
}

TESTS(T(made_next_to_the_store), T(never_through_a_symlink_or_into_a_fifo))
