/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AppArmor's profiles, from the doctor's side: does libvirt's per-domain
 * template still compile with oemkvm's local rules (the host's
 * apparmor_parser, nothing loaded), and — on the live host — what the
 * kernel's loaded libvirt-<uuid> profiles allow (libapparmor's label
 * query).  Whether the rules themselves grant a path is apparmor.c's.
 */
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/apparmor.h>
#include <sys/wait.h>

#include "host/probe.h"
#include "util/util.h"

extern char **environ;

/* ---------------------------------------------------------------- compile */

static const char *const parsers[] = { "/usr/sbin/apparmor_parser", "/sbin/apparmor_parser" };

/* The line of the parser's output that says what is wrong. */
static char *parser_error_line(char *out)
{
        char *first = NULL;

        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
                /* Noise of a kernel without AppArmor, not the verdict. */
                if (!strncmp(line, "Cache read/write disabled", 25) || !strncmp(line, "Warning", 7))
                        continue;
                if (strstr(line, "rror"))
                        return strdup(line);
                if (!first)
                        first = line;
        }
        return strdup(first ? first : "apparmor_parser failed without saying why");
}

int aa_template_compile(const struct oemkvm_ctx *ctx, char **ret_msg)
{
        _cleanup_free_ char *base = NULL, *tmpl = NULL, *out = NULL;
        posix_spawn_file_actions_t fa;
        const char *parser = NULL;
        int pipefd[2], status, r;
        size_t len = 0, cap = 4096;
        struct stat st;
        pid_t pid;

        for (size_t i = 0; i < ARRAY_SIZE(parsers) && !parser; i++)
                if (access(parsers[i], X_OK) == 0)
                        parser = parsers[i];
        if (!parser)
                return -ENOPKG;
        if (oemkvm_ctx_path(ctx, "/etc/apparmor.d", &base) < 0 ||
            oemkvm_ctx_path(ctx, "/etc/apparmor.d/libvirt/TEMPLATE.qemu", &tmpl) < 0)
                return -ENOMEM;
        if (stat(tmpl, &st) < 0)
                return -errno;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        r = posix_spawn_file_actions_init(&fa);
        if (r == 0)
                r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
        if (r == 0) {
                char *argv[] = { (char *)parser, (char *)"-Q", (char *)"-K", (char *)"--base", base,
                                 (char *)"-I", base, tmpl, NULL };

                r = posix_spawn(&pid, parser, &fa, NULL, argv, environ);
        }
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[1]);
        if (r != 0) {
                close(pipefd[0]);
                return -r;
        }

        out = malloc(cap);
        while (out) {
                ssize_t n;

                if (len + 1 >= cap) {
                        char *o = len < 65536 ? realloc(out, cap * 2) : NULL;

                        if (!o)
                                break;  /* enough to find the error line in */
                        out = o;
                        cap *= 2;
                }
                n = read(pipefd[0], out + len, cap - len - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        close(pipefd[0]);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (!out)
                return -ENOMEM;
        out[len] = '\0';
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        *ret_msg = parser_error_line(out);
        return *ret_msg ? -EBADMSG : -ENOMEM;
}

/* ---------------------------------------------------------------- live */

int aa_profiles_loaded(const struct oemkvm_ctx *ctx, const char *prefix, char ***ret)
{
        _cleanup_free_ char *text = NULL;
        char **list;
        size_t n = 0, plen = strlen(prefix);
        int r;

        r = host_read(ctx, "/sys/kernel/security/apparmor/profiles", 4 * 1024 * 1024, &text, NULL);
        if (r < 0)
                return r;
        list = calloc(1, sizeof(*list));
        if (!list)
                return -ENOMEM;
        /* "libvirt-<uuid> (enforce)" per line. */
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                char *sp = strstr(line, " (");
                char **l;

                if (sp)
                        *sp = '\0';
                /* A child profile (libvirt 11's libvirt-<uuid>//passt)
                 * confines a helper the guest runs, not its QEMU. */
                if (strncmp(line, prefix, plen) || strstr(line, "//"))
                        continue;
                l = realloc(list, (n + 2) * sizeof(*list));
                if (!l || !(l[n] = strdup(line))) {
                        oemkvm_strv_free(l ? l : list);
                        return -ENOMEM;
                }
                l[++n] = NULL;
                list = l;
        }
        *ret = list;
        return 0;
}

/*
 * libapparmor 3.0's aa_query_file_path() sends the kernel one byte too few
 * (its size counts the separator but not the class byte), so the kernel
 * matches the path without its last character and only rules that end in
 * a glob answer right: the store's rule (a '*.bin' glob) reads as denied
 * while the profile enforces it.  The query aa_query_label() takes is
 * built whole here instead: command room, label, NUL, class, path.
 */
int aa_profile_may_read(const char *label, const char *path)
{
        size_t llen = strlen(label), plen = strlen(path);
        size_t size = AA_QUERY_CMD_LABEL_SIZE + llen + 1 + 1 + plen;
        _cleanup_free_ char *query = malloc(size);
        int allowed = 0, audited = 0;

        if (!query)
                return -ENOMEM;
        memcpy(query + AA_QUERY_CMD_LABEL_SIZE, label, llen);
        query[AA_QUERY_CMD_LABEL_SIZE + llen] = '\0';
        query[AA_QUERY_CMD_LABEL_SIZE + llen + 1] = AA_CLASS_FILE;
        memcpy(query + AA_QUERY_CMD_LABEL_SIZE + llen + 2, path, plen);
        if (aa_query_label(AA_MAY_READ, query, size, &allowed, &audited) < 0)
                return -errno;
        return allowed ? 1 : 0;
}
