/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * oemkvm install's look at files before anything is created: is the
 * install medium really a CD image, is a disk path free or an image, and
 * running the tools it reuses (virt-install, qemu-img) with their errors
 * reduced to one line.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "install.h"

extern char **environ;

/* CD images have 2048-byte sectors; the volume descriptors start at 16. */
#define SECTOR 2048
#define VD_FIRST 16

/* Opens a medium to read without blocking on a FIFO or following a
 * surprise: a regular file or a block device. */
static int open_medium(const char *what, const char *path, struct stat *st, struct oemkvm_error *err)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

        if (fd < 0)
                return oemkvm_error_set(err, -errno, "%s '%s': %s", what, path, strerror(errno));
        if (fstat(fd, st) < 0 || !(S_ISREG(st->st_mode) || S_ISBLK(st->st_mode))) {
                close(fd);
                return oemkvm_error_set(err, -EINVAL, "%s '%s' is not a file", what, path);
        }
        return fd;
}

static bool is_cd_image(int fd)
{
        char id[6];

        /* ISO 9660's primary descriptor ("CD001"), or a UDF volume
         * recognition sequence ("BEA01"), which Windows media carry too. */
        for (int s = VD_FIRST; s < VD_FIRST + 4; s++) {
                if (pread(fd, id, sizeof(id), (off_t)s * SECTOR) != (ssize_t)sizeof(id))
                        return false;
                if (!memcmp(id + 1, "CD001", 5) || !memcmp(id + 1, "BEA01", 5))
                        return true;
        }
        return false;
}

int media_check_iso(const char *what, const char *path, struct oemkvm_error *err)
{
        struct stat st;
        int fd = open_medium(what, path, &st, err);
        bool ok;

        if (fd < 0)
                return fd;
        ok = is_cd_image(fd);
        close(fd);
        if (!ok)
                return oemkvm_error_set(err, -EINVAL, "%s '%s' is not an ISO 9660 image (no CD001 volume descriptor)",
                                        what, path);
        return 0;
}

int media_probe_disk(const char *path, enum disk_kind *ret, struct oemkvm_error *err)
{
        static const char qcow2_magic[4] = { 'Q', 'F', 'I', (char)0xfb };
        char magic[4];
        struct stat st;
        int fd;

        if (lstat(path, &st) < 0 && errno == ENOENT) {
                *ret = DISK_NONE;
                return 0;
        }
        fd = open_medium("--disk", path, &st, err);
        if (fd < 0)
                return fd;
        if (S_ISBLK(st.st_mode))
                *ret = DISK_RAW;
        else if (pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
                 !memcmp(magic, qcow2_magic, sizeof(magic)))
                *ret = DISK_QCOW2;
        else if (st.st_size > 0 && st.st_size % 512 == 0 && !is_cd_image(fd))
                *ret = DISK_RAW;
        else {
                close(fd);
                return oemkvm_error_set(err, -EINVAL,
                                        "--disk '%s' exists and is not a disk image (neither qcow2 nor a raw image of whole sectors) — name a new file, or an image",
                                        path);
        }
        close(fd);
        return 0;
}

bool spawn_in_path(const char *cmd)
{
        const char *path = getenv("PATH");
        char *dirs, *save = NULL;
        bool found = false;

        dirs = strdup(path && *path ? path : "/usr/bin:/bin");
        for (char *d = dirs ? strtok_r(dirs, ":", &save) : NULL; d && !found; d = strtok_r(NULL, ":", &save)) {
                char *full = NULL;

                if (asprintf(&full, "%s/%s", d, cmd) >= 0)
                        found = access(full, X_OK) == 0;
                free(full);
        }
        free(dirs);
        return found;
}

/* Reads fd to EOF into a malloc'd string. */
static char *slurp(int fd)
{
        size_t len = 0, cap = 4096;
        char *buf = malloc(cap);

        while (buf) {
                ssize_t n;

                if (len + 1 >= cap) {
                        char *nbuf = realloc(buf, cap *= 2);

                        if (!nbuf) {
                                free(buf);
                                return NULL;
                        }
                        buf = nbuf;
                }
                n = read(fd, buf + len, cap - len - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        if (buf)
                buf[len] = 0;
        return buf;
}

/* The last non-empty line of s, without virt-install's "ERROR    " prefix. */
static const char *last_line(char *s)
{
        char *line = NULL;

        for (char *save = NULL, *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                if (l[strspn(l, " \t")])
                        line = l;
        if (!line)
                return "no error message";
        if (!strncmp(line, "ERROR", 5))
                line += 5 + strspn(line + 5, " ");
        return line;
}

int spawn_capture(char *const argv[], char **ret_out, struct oemkvm_error *err)
{
        /* Temp files, not pipes: no deadlock between two streams. */
        FILE *out = ret_out ? tmpfile() : NULL, *errf = tmpfile();
        posix_spawn_file_actions_t fa;
        char *errtext = NULL;
        int r, status;
        pid_t pid;

        if ((ret_out && !out) || !errf) {
                r = oemkvm_error_set(err, -errno, "cannot run %s: no temporary file: %s", argv[0], strerror(errno));
                goto out;
        }
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, out ? fileno(out) : fileno(errf), 1);
        posix_spawn_file_actions_adddup2(&fa, fileno(errf), 2);
        r = -posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r < 0) {
                r = oemkvm_error_set(err, r, "cannot run %s: %s", argv[0], strerror(-r));
                goto out;
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        r = oemkvm_error_set(err, -errno, "%s: %s", argv[0], strerror(errno));
                        goto out;
                }
        rewind(errf);
        errtext = slurp(fileno(errf));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                /* posix_spawnp reports a missing program as exit 127 in the child. */
                if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !spawn_in_path(argv[0]))
                        r = oemkvm_error_set(err, -ENOENT, "%s is not installed", argv[0]);
                else
                        r = oemkvm_error_set(err, -EIO, "%s failed: %s", argv[0],
                                             errtext ? last_line(errtext) : "out of memory");
                goto out;
        }
        if (ret_out) {
                rewind(out);
                *ret_out = slurp(fileno(out));
                if (!*ret_out) {
                        r = oemkvm_error_set(err, -ENOMEM, "out of memory reading %s's output", argv[0]);
                        goto out;
                }
        }
        r = 0;
out:
        free(errtext);
        if (out)
                fclose(out);
        if (errf)
                fclose(errf);
        return r;
}
