/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pairbench: times commands against a baseline in the same run, as libvirt
 * runs a hook — a fresh exec with a file on standard input, output thrown
 * away.  The commands are interleaved round by round and the order rotates
 * each round, so a slow moment of the machine falls on all of them alike.
 *
 *   pairbench ROUNDS PLAN
 *
 * PLAN has one command per line, fields separated by tabs:
 *   LABEL <tab> INPUT-FILE <tab> PROGRAM [<tab> ARG]…
 * The first line is the baseline.  For each command it prints one line:
 *   LABEL <tab> median µs <tab> p90 µs <tab> ratio of medians to the
 *   baseline <tab> largest RSS KiB <tab> failed runs
 * A command that exits non-zero counts as failed (and makes the exit 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 32
#define MAX_ARGS 32

struct cmd {
        char *label;
        char *input;
        char *argv[MAX_ARGS + 1];
        double *samples;
        long max_rss;
        long failed;
};

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

/* One exec of c; its wall time in seconds, or a negative number when it failed. */
static double run_once(struct cmd *c)
{
        struct rusage ru;
        double start = now(), t;
        int status;
        pid_t pid = fork();

        if (pid < 0) {
                perror("pairbench: fork");
                exit(1);
        }
        if (pid == 0) {
                int in = open(c->input, O_RDONLY | O_CLOEXEC);
                int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

                if (in < 0 || devnull < 0 || dup2(in, 0) < 0 || dup2(devnull, 1) < 0 ||
                    dup2(devnull, 2) < 0)
                        _exit(127);
                execv(c->argv[0], c->argv);
                _exit(127);
        }
        if (wait4(pid, &status, 0, &ru) < 0) {
                perror("pairbench: wait4");
                exit(1);
        }
        t = now() - start;
        if (ru.ru_maxrss > c->max_rss)
                c->max_rss = ru.ru_maxrss;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t : -1;
}

static int read_plan(const char *path, struct cmd *cmds, long rounds)
{
        FILE *f = fopen(path, "re");
        char *line = NULL;
        size_t cap = 0;
        int n = 0;

        if (!f) {
                fprintf(stderr, "pairbench: cannot open '%s': %s\n", path, strerror(errno));
                exit(1);
        }
        while (getline(&line, &cap, f) > 0) {
                struct cmd *c = &cmds[n];
                char *save = NULL, *field;
                int i = 0;

                line[strcspn(line, "\n")] = 0;
                if (!*line)
                        continue;
                if (n == MAX_CMDS) {
                        fprintf(stderr, "pairbench: more than %d commands in '%s'\n", MAX_CMDS, path);
                        exit(1);
                }
                c->label = strdup(strtok_r(line, "\t", &save));
                field = strtok_r(NULL, "\t", &save);
                c->input = field ? strdup(field) : NULL;
                while (i < MAX_ARGS && (field = strtok_r(NULL, "\t", &save)))
                        c->argv[i++] = strdup(field);
                c->samples = calloc((size_t)rounds, sizeof(double));
                if (!c->input || !i || !c->samples) {
                        fprintf(stderr, "pairbench: '%s' line %d: LABEL, INPUT and PROGRAM are needed\n",
                                path, n + 1);
                        exit(1);
                }
                n++;
        }
        free(line);
        fclose(f);
        return n;
}

int main(int argc, char **argv)
{
        static struct cmd cmds[MAX_CMDS];
        long rounds;
        double base = 0;
        int n, failed = 0;

        if (argc != 3 || (rounds = strtol(argv[1], NULL, 10)) < 1) {
                fprintf(stderr, "usage: pairbench ROUNDS PLAN\n");
                return 2;
        }
        n = read_plan(argv[2], cmds, rounds);
        if (n == 0) {
                fprintf(stderr, "pairbench: '%s' names no command\n", argv[2]);
                return 2;
        }
        /* One warm-up run each: page cache and dynamic loader caches. */
        for (int i = 0; i < n; i++)
                run_once(&cmds[i]);
        for (long r = 0; r < rounds; r++)
                for (int k = 0; k < n; k++) {
                        struct cmd *c = &cmds[(k + r) % n];
                        double t = run_once(c);

                        if (t < 0) {
                                c->failed++;
                                t = 0;
                        }
                        c->samples[r] = t;
                }
        for (int i = 0; i < n; i++) {
                struct cmd *c = &cmds[i];
                double med, p90;

                qsort(c->samples, (size_t)rounds, sizeof(double), cmp_double);
                med = c->samples[rounds / 2];
                p90 = c->samples[(rounds * 9) / 10];
                if (i == 0)
                        base = med;
                printf("%s\t%.1f\t%.1f\t%.2f\t%ld\t%ld\n", c->label, med * 1e6, p90 * 1e6,
                       base > 0 ? med / base : 0, c->max_rss, c->failed);
                failed |= c->failed > 0;
        }
        return failed;
}
