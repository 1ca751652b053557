/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel module parameters and every place that sets one: the value the
 * module runs with (/sys/module/M/parameters/P), the running kernel's
 * command line (/proc/cmdline), modprobe.d `options` lines, and the
 * command line the next boot gets (/etc/default/grub).  The doctor needs
 * them all to say not only "enable_gvt is off" but also "it is set in
 * /etc/default/grub, the running kernel just was not booted with it".
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "host/probe.h"
#include "util/util.h"

/* The kernel's parameq(): '-' and '_' are the same in parameter names. */
static bool name_eq(const char *a, size_t alen, const char *b)
{
        size_t blen = strlen(b);

        if (alen != blen)
                return false;
        for (size_t i = 0; i < alen; i++) {
                char ca = a[i] == '-' ? '_' : a[i], cb = b[i] == '-' ? '_' : b[i];

                if (ca != cb)
                        return false;
        }
        return true;
}

/* A copy of s[0..n) without double quotes (the kernel drops them). */
static char *unquote(const char *s, size_t n)
{
        char *v = malloc(n + 1), *o = v;

        if (!v)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (s[i] != '"')
                        *o++ = s[i];
        *o = '\0';
        return v;
}

/*
 * Calls each whitespace-separated token of s (double quotes group, as the
 * kernel's next_arg() reads them) with its name and value parts; stops at
 * a lone "--" when stop_at_dashes (the rest of a command line is init's).
 * Returns the last value whose name matched, as cmdline_find does.
 */
static int tokens_find(const char *s, size_t len, const char *name, bool stop_at_dashes, char **ret)
{
        const char *end = s + len, *p = s;
        char *found = NULL;

        while (p < end) {
                const char *tok, *eq = NULL;
                bool quoted = false;

                while (p < end && isspace((unsigned char)*p))
                        p++;
                if (p == end)
                        break;
                tok = p;
                while (p < end && (quoted || !isspace((unsigned char)*p))) {
                        if (*p == '"')
                                quoted = !quoted;
                        else if (*p == '=' && !eq && !quoted)
                                eq = p;
                        p++;
                }
                if (stop_at_dashes && p - tok == 2 && tok[0] == '-' && tok[1] == '-')
                        break;
                {
                        const char *n = tok[0] == '"' ? tok + 1 : tok;
                        size_t nlen = (size_t)((eq ? eq : p) - n);

                        if (name_eq(n, nlen, name)) {
                                char *v = eq ? unquote(eq + 1, (size_t)(p - eq - 1)) : strdup("");

                                if (!v) {
                                        free(found);
                                        return -ENOMEM;
                                }
                                free(found);
                                found = v;
                        }
                }
        }
        if (!found)
                return 0;
        *ret = found;
        return 1;
}

int cmdline_find(const char *cmdline, const char *name, char **ret)
{
        return tokens_find(cmdline, strlen(cmdline), name, true, ret);
}

/* The line at *p without its comment ('#' to its end); moves *p past it.
 * false at the end of the text. */
static bool line_next(const char **p, const char **ret_start, const char **ret_end)
{
        const char *s = *p, *eol, *hash;

        if (!*s)
                return false;
        eol = s + strcspn(s, "\n");
        hash = memchr(s, '#', (size_t)(eol - s));
        *ret_start = s;
        *ret_end = hash ? hash : eol;
        *p = *eol ? eol + 1 : eol;
        return true;
}

int modprobe_find(const char *text, const char *module, const char *param, char **ret)
{
        const char *cursor = text, *line, *end;
        char *found = NULL;

        while (line_next(&cursor, &line, &end)) {
                const char *p = line, *mod;
                char *v = NULL;
                int r;

                while (p < end && isspace((unsigned char)*p))
                        p++;
                if ((size_t)(end - p) < 8 || strncmp(p, "options", 7) || !isspace((unsigned char)p[7]))
                        continue;
                p += 7;
                while (p < end && isspace((unsigned char)*p))
                        p++;
                mod = p;
                while (p < end && !isspace((unsigned char)*p))
                        p++;
                if (!name_eq(mod, (size_t)(p - mod), module))
                        continue;
                r = tokens_find(p, (size_t)(end - p), param, false, &v);
                if (r < 0) {
                        free(found);
                        return r;
                }
                if (r > 0) {
                        free(found);
                        found = v;
                }
        }
        if (!found)
                return 0;
        *ret = found;
        return 1;
}

int shell_var_find(const char *text, const char *key, char **ret)
{
        const char *cursor = text, *line, *end;
        size_t klen = strlen(key);
        char *found = NULL;

        while (line_next(&cursor, &line, &end)) {
                const char *p = line, *v;
                char quote = 0;

                while (p < end && isspace((unsigned char)*p))
                        p++;
                if ((size_t)(end - p) <= klen || strncmp(p, key, klen) || p[klen] != '=')
                        continue;
                p += klen + 1;
                if (p < end && (*p == '"' || *p == '\''))
                        quote = *p++;
                v = p;
                while (p < end && (quote ? *p != quote : !isspace((unsigned char)*p)))
                        p++;
                free(found);
                found = strndup(v, (size_t)(p - v));
                if (!found)
                        return -ENOMEM;
        }
        if (!found)
                return 0;
        *ret = found;
        return 1;
}

void kparam_clear(struct kparam *p)
{
        free(p->live);
        free(p->cmdline);
        free(p->modprobe);
        free(p->modprobe_file);
        free(p->grub);
        *p = (struct kparam){};
}

/* modprobe reads these; the user's own (/etc) first, as the doctor names it. */
static const char *const modprobe_dirs[] = {
        "/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d",
        "/usr/lib/modprobe.d", "/lib/modprobe.d",
};

static int modprobe_scan(const struct oemkvm_ctx *ctx, const char *module, const char *param,
                         struct kparam *p)
{
        for (size_t i = 0; i < ARRAY_SIZE(modprobe_dirs) && !p->modprobe; i++) {
                char **files = NULL;
                int r = host_list(ctx, modprobe_dirs[i], &files);

                if (r == -ENOENT || r == -ENOTDIR)
                        continue;
                if (r < 0)
                        return r;
                for (char **f = files; *f && !p->modprobe && r >= 0; f++) {
                        size_t n = strlen(*f);
                        _cleanup_free_ char *rel = NULL, *text = NULL;

                        if (n < 5 || strcmp(*f + n - 5, ".conf"))
                                continue;
                        if (asprintf(&rel, "%s/%s", modprobe_dirs[i], *f) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                        if (host_read(ctx, rel, 1024 * 1024, &text, NULL) < 0)
                                continue;
                        r = modprobe_find(text, module, param, &p->modprobe);
                        if (r > 0)
                                p->modprobe_file = TAKE_PTR(rel);
                }
                oemkvm_strv_free(files);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* What grub-mkconfig puts on the command line: GRUB_CMDLINE_LINUX, then _DEFAULT. */
static int grub_find(const struct oemkvm_ctx *ctx, const char *name, char **ret)
{
        _cleanup_free_ char *text = NULL, *linux_ = NULL, *def = NULL, *both = NULL;
        int r;

        if (host_read(ctx, "/etc/default/grub", 1024 * 1024, &text, NULL) < 0)
                return 0;
        if ((r = shell_var_find(text, "GRUB_CMDLINE_LINUX", &linux_)) < 0 ||
            (r = shell_var_find(text, "GRUB_CMDLINE_LINUX_DEFAULT", &def)) < 0)
                return r;
        if (asprintf(&both, "%s %s", linux_ ? linux_ : "", def ? def : "") < 0)
                return -ENOMEM;
        return cmdline_find(both, name, ret);
}

int kparam_read(const struct oemkvm_ctx *ctx, const char *module, const char *param,
                struct kparam *ret)
{
        _cleanup_free_ char *dir = NULL, *attr = NULL, *name = NULL, *cmdline = NULL;
        struct kparam p = {};
        struct stat st;
        int r;

        if (asprintf(&dir, "/sys/module/%s", module) < 0 ||
            asprintf(&attr, "/sys/module/%s/parameters/%s", module, param) < 0 ||
            asprintf(&name, "%s.%s", module, param) < 0)
                return -ENOMEM;
        p.loaded = host_stat(ctx, dir, &st) >= 0 && S_ISDIR(st.st_mode);
        p.live_r = host_read_line(ctx, attr, &p.live);
        if (p.live_r == -ENOMEM)
                return -ENOMEM;
        r = 0;
        if (host_read(ctx, "/proc/cmdline", 64 * 1024, &cmdline, NULL) >= 0)
                r = cmdline_find(cmdline, name, &p.cmdline);
        if (r >= 0)
                r = modprobe_scan(ctx, module, param, &p);
        if (r >= 0)
                r = grub_find(ctx, name, &p.grub);
        if (r < 0) {
                kparam_clear(&p);
                return r;
        }
        *ret = p;
        return 0;
}
