/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LD_PRELOAD shim for race tests: every rename(at)(2) waits
 * $OEMKVM_TEST_RENAME_DELAY_MS milliseconds first, so two processes that
 * switch a set of files one rename at a time interleave their renames as
 * they would on a loaded host, every time instead of once in a thousand.
 * Built by the test that uses it: cc -shared -fPIC -o slow-rename.so … -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags);
int rename(const char *oldpath, const char *newpath);

static void delay(void)
{
        const char *ms = getenv("OEMKVM_TEST_RENAME_DELAY_MS");
        struct timespec ts;
        long n = ms ? atol(ms) : 0;

        ts.tv_sec = n / 1000;
        ts.tv_nsec = (n % 1000) * 1000000L;
        while (n > 0 && nanosleep(&ts, &ts) < 0)
                ;
}

int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
        int (*real)(int, const char *, int, const char *) =
                (int (*)(int, const char *, int, const char *))dlsym(RTLD_NEXT, "renameat");

        delay();
        return real(olddirfd, oldpath, newdirfd, newpath);
}

/* What the store's writer switches a whole set with. */
int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags)
{
        int (*real)(int, const char *, int, const char *, unsigned) =
                (int (*)(int, const char *, int, const char *, unsigned))dlsym(RTLD_NEXT, "renameat2");

        delay();
        return real(olddirfd, oldpath, newdirfd, newpath, flags);
}

int rename(const char *oldpath, const char *newpath)
{
        int (*real)(const char *, const char *) = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");

        delay();
        return real(oldpath, newpath);
}
