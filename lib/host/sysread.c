/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading the host's small files — sysfs and procfs attributes, files
 * under /etc and /boot — through the context's sysroot, for the doctor.
 * A missing file is an answer, not an error: callers get -errno and word
 * the message themselves.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "host/probe.h"
#include "util/util.h"

int host_stat(const struct oemkvm_ctx *ctx, const char *abs, struct stat *ret)
{
        _cleanup_free_ char *path = NULL;
        int r;

        r = oemkvm_ctx_path(ctx, abs, &path);
        if (r < 0)
                return r;
        return stat(path, ret) < 0 ? -errno : 0;
}

int host_read(const struct oemkvm_ctx *ctx, const char *abs, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_free_ char *path = NULL, *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len = 0;
        struct stat st;
        int r;

        r = oemkvm_ctx_path(ctx, abs, &path);
        if (r < 0)
                return r;
        /* Never block on a FIFO someone put in place of a config file. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf + len, max + 1 - len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int host_read_line(const struct oemkvm_ctx *ctx, const char *abs, char **ret)
{
        char *text = NULL, *start, *end;
        int r;

        r = host_read(ctx, abs, 4096, &text, NULL);
        if (r < 0)
                return r;
        start = text + strspn(text, " \t");
        end = start + strcspn(start, "\n");
        while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
                end--;
        memmove(text, start, (size_t)(end - start));
        text[end - start] = '\0';
        *ret = text;
        return 0;
}

static int str_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int host_list(const struct oemkvm_ctx *ctx, const char *abs, char ***ret)
{
        _cleanup_free_ char *path = NULL;
        char **list = NULL;
        size_t n = 0;
        struct dirent *de;
        DIR *dir;
        int r;

        r = oemkvm_ctx_path(ctx, abs, &path);
        if (r < 0)
                return r;
        dir = opendir(path);
        if (!dir)
                return -errno;
        r = 0;
        while ((de = readdir(dir))) {
                char **l;

                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                l = realloc(list, (n + 2) * sizeof(*list));
                if (!l) {
                        r = -ENOMEM;
                        break;
                }
                list = l;
                list[n] = strdup(de->d_name);
                if (!list[n]) {
                        r = -ENOMEM;
                        break;
                }
                list[++n] = NULL;
        }
        closedir(dir);
        if (r >= 0 && !list) {
                list = calloc(1, sizeof(*list));
                if (!list)
                        r = -ENOMEM;
        }
        if (r < 0) {
                oemkvm_strv_free(list);
                return r;
        }
        qsort(list, n, sizeof(*list), str_cmp);
        *ret = list;
        return 0;
}

int host_kernel_release(const struct oemkvm_ctx *ctx, char **ret)
{
        return host_read_line(ctx, "/proc/sys/kernel/osrelease", ret);
}
