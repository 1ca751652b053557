/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading whole files and joining paths. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "util/util.h"

int read_full_file(const char *path, size_t max, uint8_t **ret_buf, size_t *ret_len,
                   struct oemkvm_error *err)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len = 0, cap = 4096;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0) {
                int r = -errno;
                if (r == -EACCES || r == -EPERM)
                        return oemkvm_error_set(err, r, "cannot read '%s': permission denied — firmware tables are readable by root only; run with sudo", path);
                if (r == -ELOOP)
                        return oemkvm_error_set(err, r, "refusing to read '%s': it is a symbolic link", path);
                return oemkvm_error_set(err, r, "cannot open '%s': %s", path, strerror(-r));
        }

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
