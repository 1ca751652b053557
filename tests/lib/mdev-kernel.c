/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LD_PRELOAD shim for race tests on a fake sysfs root: it plays the
 * kernel's part in an mdev type's `create`, which a plain file cannot.
 *   - write(2) of a UUID to …/mdev_supported_types/TYPE/create takes one
 *     instance, as the kernel does, atomically across processes (a lock
 *     file next to the type): with available_instances at 0 it fails with
 *     ENOSPC (GVT-g's "fail to alloc low gm space"); else the count goes
 *     down by one and the device appears (PARENT/UUID with its mdev_type
 *     link, and /sys/bus/mdev/devices/UUID).
 *   - read(2) of available_instances waits $OEMKVM_TEST_MDEV_DELAY_MS
 *     milliseconds after reading, as a loaded host may between a room
 *     check and the create that follows it: without a lock held across
 *     both, two starts then see the same last instance every time.
 * Built by the test that uses it: cc -shared -fPIC -o mdev-kernel.so … -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

ssize_t read(int fd, void *buf, size_t count);
ssize_t write(int fd, const void *buf, size_t count);

/* The file behind fd, if its path ends with `suffix`. */
static int path_of(int fd, const char *suffix, char path[PATH_MAX])
{
        char link[64];
        ssize_t n;
        size_t s = strlen(suffix);

        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, path, PATH_MAX - 1);
        if (n < 0 || (size_t)n < s)
                return -1;
        path[n] = 0;
        return strcmp(path + n - s, suffix) == 0 ? 0 : -1;
}

static void delay(void)
{
        const char *ms = getenv("OEMKVM_TEST_MDEV_DELAY_MS");
        long n = ms ? atol(ms) : 0;
        struct timespec ts = { n / 1000, (n % 1000) * 1000000L };

        while (n > 0 && nanosleep(&ts, &ts) < 0)
                ;
}

ssize_t read(int fd, void *buf, size_t count)
{
        ssize_t (*real)(int, void *, size_t) = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
        char path[PATH_MAX];
        ssize_t n = real(fd, buf, count);

        if (n > 0 && path_of(fd, "/available_instances", path) == 0)
                delay();
        return n;
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
        char cmd[4 * PATH_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        return system(cmd) == 0 ? 0 : -1;
}

/* One instance of the type whose create is `create`, or ENOSPC. */
static int take_instance(const char *create, const char *uuid)
{
        ssize_t (*real_read)(int, void *, size_t) = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
        char type_dir[PATH_MAX], file[PATH_MAX + 32], tmp[PATH_MAX + 64], num[32] = "";
        const char *type, *sys;
        char *slash;
        int lock, fd, r = 0;
        long left;
        FILE *f;

        snprintf(type_dir, sizeof(type_dir), "%s", create);
        *strrchr(type_dir, '/') = 0;                    /* …/mdev_supported_types/TYPE */
        type = strrchr(type_dir, '/') + 1;
        snprintf(file, sizeof(file), "%s/.kernel-lock", type_dir);
        lock = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lock < 0 || flock(lock, LOCK_EX) < 0)
                abort();
        snprintf(file, sizeof(file), "%s/available_instances", type_dir);
        fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || real_read(fd, num, sizeof(num) - 1) < 0)
                abort();
        close(fd);
        left = atol(num);
        if (left <= 0) {
                r = -ENOSPC;
                goto out;
        }
        /* The count switches whole: a reader never sees it empty. */
        snprintf(tmp, sizeof(tmp), "%s.new", file);
        f = fopen(tmp, "we");
        if (!f || fprintf(f, "%ld\n", left - 1) < 0 || fclose(f) != 0 || rename(tmp, file) < 0)
                abort();
        /* The device: PARENT/UUID (PARENT is the directory above the types). */
        snprintf(file, sizeof(file), "%s", type_dir);
        slash = strstr(file, "/mdev_supported_types/");
        sys = strstr(file, "/sys/devices/");
        if (!slash || !sys)
                abort();
        *slash = 0;
        if (run("mkdir '%s/%s' && ln -s '../mdev_supported_types/%s' '%s/%s/mdev_type' && : >'%s/%s/remove'"
                " && mkdir -p '%.*s/sys/bus/mdev/devices' && ln -s '../../../%s/%s' '%.*s/sys/bus/mdev/devices/%s'",
                file, uuid, type, file, uuid, file, uuid, (int)(sys - file), file, sys + strlen("/sys/"), uuid,
                (int)(sys - file), file, uuid) < 0)
                abort();
out:
        close(lock);
        return r;
}

ssize_t write(int fd, const void *buf, size_t count)
{
        ssize_t (*real)(int, const void *, size_t) = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
        char path[PATH_MAX], uuid[40];
        int r;

        if (path_of(fd, "/create", path) < 0 || !strstr(path, "/mdev_supported_types/") ||
            count < 36 || count > 37)
                return real(fd, buf, count);
        memcpy(uuid, buf, 36);
        uuid[36] = 0;
        r = take_instance(path, uuid);
        if (r < 0) {
                errno = -r;
                return -1;
        }
        return real(fd, buf, count);
}
