/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The replay driver: links a fuzz target without libFuzzer, so `make
 * check` (plain and under ASan/UBSan, gcc or clang) runs every committed
 * input through it.  `fuzz-NAME FILE|DIR…` replays what it is given;
 * without arguments it replays tests/fuzz/corpus/NAME and
 * tests/fuzz/regressions/NAME.  A crash or a failed property aborts, so
 * the test fails naming the file.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static unsigned replayed;

static int replay_file(const char *path)
{
        FILE *f = fopen(path, "rbe");
        uint8_t *buf = NULL;
        size_t len = 0, cap = 0, n;

        if (!f) {
                fprintf(stderr, "cannot open '%s'\n", path);
                return -1;
        }
        do {
                if (len == cap) {
                        cap = cap ? cap * 2 : 4096;
                        buf = realloc(buf, cap);
                        if (!buf)
                                abort();
                }
                n = fread(buf + len, 1, cap - len, f);
                len += n;
        } while (n > 0);
        fclose(f);
        /* Named before it runs: a crash leaves the file on the last line. */
        fprintf(stderr, "replay %s\n", path);
        LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        replayed++;
        return 0;
}

static int replay(const char *path)
{
        struct dirent **names = NULL;
        struct stat st;
        int n, r = 0;

        if (stat(path, &st) < 0) {
                fprintf(stderr, "cannot stat '%s'\n", path);
                return -1;
        }
        if (!S_ISDIR(st.st_mode))
                return replay_file(path);
        n = scandir(path, &names, NULL, alphasort);
        if (n < 0)
                return -1;
        for (int i = 0; i < n; i++) {
                char sub[PATH_MAX];

                if (names[i]->d_name[0] != '.') {
                        snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
                        if (replay(sub) < 0)
                                r = -1;
                }
                free(names[i]);
        }
        free(names);
        return r;
}

int main(int argc, char **argv)
{
        const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
        const char *src = getenv("OEMKVM_SRCDIR");
        int r = 0;

        LLVMFuzzerInitialize(&argc, &argv);
        if (argc > 1)
                for (int i = 1; i < argc; i++)
                        r |= replay(argv[i]);
        else {
                char dir[PATH_MAX];

                if (strncmp(name, "fuzz-", 5) != 0) {
                        fprintf(stderr, "%s: name the files to replay\n", name);
                        return 2;
                }
                /* The corpus must exist (a target without seeds tests nothing);
                 * regression files appear as fuzzing finds them. */
                snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", src ? src : FUZZ_SRCDIR, name + 5);
                r |= replay(dir);
                snprintf(dir, sizeof(dir), "%s/tests/fuzz/regressions/%s", src ? src : FUZZ_SRCDIR, name + 5);
                if (access(dir, F_OK) == 0)
                        r |= replay(dir);
        }
        if (!replayed) {
                fprintf(stderr, "%s: no input replayed\n", name);
                return 1;
        }
        printf("%s: %u inputs replayed\n", name, replayed);
        return r ? 1 : 0;
}
