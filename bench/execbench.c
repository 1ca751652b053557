/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * execbench: runs a program N times with the same standard input (as
 * libvirt runs a hook: fresh exec, XML on stdin) and prints the mean wall
 * time per run and the largest resident set size of any run.
 *
 *   execbench N INPUT-FILE PROGRAM [ARGS…]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
        long n, failures = 0;
        struct rusage ru;
        double start;

        if (argc < 4 || (n = strtol(argv[1], NULL, 10)) <= 0) {
                fprintf(stderr, "usage: execbench N INPUT-FILE PROGRAM [ARGS...]\n");
                return 2;
        }
        start = now();
        for (long i = 0; i < n; i++) {
                int status;
                pid_t pid = fork();

                if (pid < 0) {
                        perror("fork");
                        return 1;
                }
                if (pid == 0) {
                        int in = open(argv[2], O_RDONLY | O_CLOEXEC);
                        int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

                        if (in < 0 || devnull < 0 || dup2(in, 0) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0)
                                _exit(127);
                        execv(argv[3], argv + 3);
                        _exit(127);
                }
                if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        failures++;
        }
        getrusage(RUSAGE_CHILDREN, &ru);
        printf("%.1f us/run  max RSS %ld KiB  (%ld runs, %ld failed)\n",
               (now() - start) / (double)n * 1e6, ru.ru_maxrss, n, failures);
        return failures ? 1 : 0;
}
