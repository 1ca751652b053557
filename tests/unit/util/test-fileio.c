/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whole-file reads: never block, never follow a symlink, regular files only. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "util/util.h"

static char *path_in(const char *dir, const char *name)
{
        char *p = path_join(dir, name);

        if (!p)
                abort();
        return p;
}

static void write_text(const char *path, const char *text)
{
        FILE *f = fopen(path, "we");

        if (!f || fputs(text, f) < 0 || fclose(f) != 0)
                abort();
}

/* Expects the read to be refused with code and the message to hold frag. */
static void expect_refused(const char *path, int code, const char *frag)
{
        struct oemkvm_error err = {};
        uint8_t *buf = NULL;
        size_t len = 7;

        CHECK_INT(read_full_file(path, 4096, &buf, &len, &err), code);
        CHECK_CONTAINS(err.message, path);
        CHECK_CONTAINS(err.message, frag);
        CHECK(!strchr(err.message, '\n'));
        CHECK(buf == NULL);
        CHECK_INT(len, 7);
}

TEST(regular_file)
{
        const char *dir = check_tmpdir();
        char *p = path_in(dir, "f");
        struct oemkvm_error err = {};
        uint8_t *buf = NULL;
        size_t len = 0;
        int dfd;

        write_text(p, "hello");
        CHECK_INT(read_full_file(p, 4096, &buf, &len, &err), 0);
        CHECK_MEM(buf, len, "hello", 5);
        free(buf);

        /* Relative to a directory handle; the path only names it in messages. */
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(dfd >= 0);
        CHECK_INT(read_full_file_at(dfd, "f", "shown-name", 4096, &buf, &len, &err), 0);
        CHECK_MEM(buf, len, "hello", 5);
        free(buf);
        CHECK_INT(read_full_file_at(dfd, "missing", "shown-name", 4096, &buf, &len, &err), -ENOENT);
        CHECK_CONTAINS(err.message, "'shown-name'");
        close(dfd);

        /* Larger than allowed. */
        CHECK_INT(read_full_file(p, 4, &buf, &len, &err), -EFBIG);
        CHECK_CONTAINS(err.message, "larger than 4 bytes");
        free(p);
}

/* A FIFO with no writer would block a plain open() forever: refused at once. */
TEST(fifo_refused_without_blocking)
{
        const char *dir = check_tmpdir();
        char *p = path_in(dir, "fifo");

        CHECK_INT(mkfifo(p, 0600), 0);
        alarm(10);              /* a blocked read kills the test instead of hanging it */
        expect_refused(p, -EINVAL, "it is a FIFO, not a regular file");
        alarm(0);
        free(p);
}

TEST(other_types_refused)
{
        const char *dir = check_tmpdir();
        char *p = path_in(dir, "sock"), *l = path_in(dir, "link");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        expect_refused(dir, -EINVAL, "it is a directory");
        expect_refused("/dev/null", -EINVAL, "it is a character device");

        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p);
        CHECK(s >= 0);
        if (strlen(p) < sizeof(sa.sun_path)) {
                CHECK_INT(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
                /* A socket cannot even be opened: ENXIO, still at once. */
                expect_refused(p, -ENXIO, "No such device");
        }
        close(s);

        CHECK_INT(symlink("/etc/hostname", l), 0);
        expect_refused(l, -ELOOP, "it is a symbolic link");
        free(l);
        free(p);
}

/* Only the caller knows why a file is unreadable: the message says just that. */
TEST(denied_is_phrased_by_the_caller)
{
        const char *dir = check_tmpdir();
        char *p = path_in(dir, "secret");

        write_text(p, "x");
        CHECK_INT(chmod(p, 0), 0);
        if (geteuid() != 0) {
                struct oemkvm_error err = {};
                uint8_t *buf = NULL;
                size_t len;

                CHECK_INT(read_full_file(p, 4096, &buf, &len, &err), -EACCES);
                CHECK(errno_is_denied(err.code));
                CHECK_CONTAINS(err.message, "permission denied");
                CHECK(!strstr(err.message, "firmware"));
                CHECK(!strstr(err.message, "sudo"));
        }
        free(p);
}

TESTS(T(regular_file), T(fifo_refused_without_blocking), T(other_types_refused),
      T(denied_is_phrased_by_the_caller))
