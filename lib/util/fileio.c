/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading whole files without ever blocking, and joining paths.  Firmware
 * tables, the store and a user's dump directory are read the same way: a
 * FIFO, a device or a socket in place of a file is refused at once, never
 * waited on (a domain start waits for the hook that reads them).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util/util.h"

const char *file_type_name(mode_t mode)
{
        switch (mode & S_IFMT) {
        case S_IFREG:
                return "a regular file";
        case S_IFDIR:
                return "a directory";
        case S_IFLNK:
                return "a symbolic link";
        case S_IFIFO:
                return "a FIFO";
        case S_IFSOCK:
                return "a socket";
        case S_IFCHR:
                return "a character device";
        case S_IFBLK:
                return "a block device";
        default:
                return "not a regular file";
        }
}

int read_full_file_at(int dirfd, const char *name, const char *path, size_t max,
                      uint8_t **ret_buf, size_t *ret_len, struct oemkvm_error *err)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len = 0, cap = 4096;
        struct stat st;

        /* O_NONBLOCK: opening a FIFO for reading would wait for a writer. */
        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                int r = -errno;
                if (errno_is_denied(r))
                        return oemkvm_error_set(err, r, "cannot read '%s': permission denied", path);
                if (r == -ELOOP)
                        return oemkvm_error_set(err, r, "refusing to read '%s': it is a symbolic link", path);
                return oemkvm_error_set(err, r, "cannot open '%s': %s", path, strerror(-r));
        }
        if (fstat(fd, &st) < 0) {
                int r = -errno;
                return oemkvm_error_set(err, r, "cannot stat '%s': %s", path, strerror(-r));
        }
        /* sysfs attributes are regular files too (size 0: read until EOF). */
        if (!S_ISREG(st.st_mode))
                return oemkvm_error_set(err, -EINVAL, "refusing to read '%s': it is %s, not a regular file",
                                        path, file_type_name(st.st_mode));

        buf = malloc(cap);
        if (!buf)
                return oemkvm_error_set(err, -ENOMEM, "out of memory reading '%s'", path);

        for (;;) {
                ssize_t n;

                if (len == cap) {
                        uint8_t *nbuf;

                        if (cap > max)
                                return oemkvm_error_set(err, -EFBIG, "'%s' is larger than %zu bytes", path, max);
                        cap *= 2;
                        nbuf = realloc(buf, cap);
                        if (!nbuf)
                                return oemkvm_error_set(err, -ENOMEM, "out of memory reading '%s'", path);
                        buf = nbuf;
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int r = -errno;
                        if (errno_is_denied(r))
                                return oemkvm_error_set(err, r, "cannot read '%s': permission denied", path);
                        return oemkvm_error_set(err, r, "cannot read '%s': %s", path, strerror(-r));
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        if (len > max)
                return oemkvm_error_set(err, -EFBIG, "'%s' is larger than %zu bytes", path, max);

        *ret_buf = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int read_full_file(const char *path, size_t max, uint8_t **ret_buf, size_t *ret_len,
                   struct oemkvm_error *err)
{
        return read_full_file_at(AT_FDCWD, path, path, max, ret_buf, ret_len, err);
}

char *path_join(const char *a, const char *b)
{
        size_t la = strlen(a);
        char *s;

        while (la > 0 && a[la - 1] == '/')
                la--;
        while (*b == '/')
                b++;
        if (asprintf(&s, "%.*s/%s", (int)la, a, b) < 0)
                return NULL;
        return s;
}
