/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel modules as the doctor sees them: loaded now (/sys/module, or built
 * in: /lib/modules/<release>/modules.builtin), loaded at every boot (named
 * in modules-load.d or Debian's /etc/modules), and the running kernel's
 * build options (/boot/config-<release>).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "host/probe.h"
#include "util/util.h"

/* Where systemd-modules-load looks, and Debian's /etc/modules. */
static const char *const load_dirs[] = {
        "/etc/modules-load.d", "/run/modules-load.d", "/usr/local/lib/modules-load.d",
        "/usr/lib/modules-load.d", "/lib/modules-load.d",
};

static int strv_push(char ***list, size_t *n, char *s)
{
        char **l;

        if (!s)
                return -ENOMEM;
        l = realloc(*list, (*n + 2) * sizeof(**list));
        if (!l) {
                free(s);
                return -ENOMEM;
        }
        l[(*n)++] = s;
        l[*n] = NULL;
        *list = l;
        return 0;
}

int modules_load_parse(const char *text, char ***ret)
{
        char **list = calloc(1, sizeof(*list));
        size_t n = 0;

        if (!list)
                return -ENOMEM;
        for (const char *p = text; *p;) {
                const char *eol = p + strcspn(p, "\n"), *w = p, *e;

                while (w < eol && isspace((unsigned char)*w))
                        w++;
                /* The first word: /etc/modules may give parameters after it. */
                for (e = w; e < eol && !isspace((unsigned char)*e); e++)
                        ;
                if (e > w && *w != '#' && *w != ';') {
                        char *name = strndup(w, (size_t)(e - w));

                        for (char *c = name; c && *c; c++)
                                if (*c == '-')
                                        *c = '_';
                        if (strv_push(&list, &n, name) < 0) {
                                oemkvm_strv_free(list);
                                return -ENOMEM;
                        }
                }
                p = *eol ? eol + 1 : eol;
        }
        *ret = list;
        return 0;
}

/* 1 when the file rel names module name (modules-load.d syntax). */
static int load_file_names(const struct oemkvm_ctx *ctx, const char *rel, const char *name)
{
        _cleanup_free_ char *text = NULL;
        char **mods = NULL;
        int r, found = 0;

        if (host_read(ctx, rel, 1024 * 1024, &text, NULL) < 0)
                return 0;
        r = modules_load_parse(text, &mods);
        if (r < 0)
                return r;
        for (char **m = mods; *m && !found; m++)
                found = !strcmp(*m, name);
        oemkvm_strv_free(mods);
        return found;
}

static int load_file_find(const struct oemkvm_ctx *ctx, const char *name, char **ret)
{
        int r;

        for (size_t i = 0; i < ARRAY_SIZE(load_dirs); i++) {
                char **files = NULL;

                r = host_list(ctx, load_dirs[i], &files);
                if (r == -ENOENT || r == -ENOTDIR)
                        continue;
                if (r < 0)
                        return r;
                for (char **f = files; *f && r >= 0; f++) {
                        size_t n = strlen(*f);
                        char *rel = NULL;

                        if (n < 5 || strcmp(*f + n - 5, ".conf"))
                                continue;
                        if (asprintf(&rel, "%s/%s", load_dirs[i], *f) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                        r = load_file_names(ctx, rel, name);
                        if (r > 0) {
                                oemkvm_strv_free(files);
                                *ret = rel;
                                return 1;
                        }
                        free(rel);
                }
                oemkvm_strv_free(files);
                if (r < 0)
                        return r;
        }
        r = load_file_names(ctx, "/etc/modules", name);
        if (r > 0) {
                *ret = strdup("/etc/modules");
                return *ret ? 1 : -ENOMEM;
        }
        return r;
}

/* Is name among the running kernel's built-in modules? */
static int builtin_has(const struct oemkvm_ctx *ctx, const char *name)
{
        _cleanup_free_ char *release = NULL, *rel = NULL, *text = NULL;
        size_t nlen = strlen(name);

        if (host_kernel_release(ctx, &release) < 0)
                return 0;
        if (asprintf(&rel, "/lib/modules/%s/modules.builtin", release) < 0)
                return -ENOMEM;
        if (host_read(ctx, rel, 4 * 1024 * 1024, &text, NULL) < 0)
                return 0;
        for (const char *p = text; *p;) {
                const char *eol = p + strcspn(p, "\n"), *base = eol;
                size_t blen;

                while (base > p && base[-1] != '/')
                        base--;
                blen = (size_t)(eol - base);
                if (blen == nlen + 3 && !strncmp(eol - 3, ".ko", 3)) {
                        bool same = true;

                        for (size_t i = 0; i < nlen && same; i++)
                                same = (base[i] == '-' ? '_' : base[i]) == name[i];
                        if (same)
                                return 1;
                }
                p = *eol ? eol + 1 : eol;
        }
        return 0;
}

void kmod_state_clear(struct kmod_state *s)
{
        free(s->load_file);
        *s = (struct kmod_state){};
}

int kmod_read(const struct oemkvm_ctx *ctx, const char *name, struct kmod_state *ret)
{
        _cleanup_free_ char *dir = NULL;
        struct kmod_state s = {};
        struct stat st;
        int r;

        if (asprintf(&dir, "/sys/module/%s", name) < 0)
                return -ENOMEM;
        r = builtin_has(ctx, name);
        if (r < 0)
                return r;
        s.builtin = r > 0;
        /* A built-in module without parameters has no /sys/module entry. */
        s.loaded = s.builtin || (host_stat(ctx, dir, &st) >= 0 && S_ISDIR(st.st_mode));
        r = load_file_find(ctx, name, &s.load_file);
        if (r < 0)
                return r;
        *ret = s;
        return 0;
}

int kconfig_read(const struct oemkvm_ctx *ctx, const char *option, char **ret_value,
                 char **ret_path)
{
        _cleanup_free_ char *release = NULL, *rel = NULL, *text = NULL;
        size_t olen = strlen(option);
        const char *value = "n";
        int r;

        r = host_kernel_release(ctx, &release);
        if (r < 0)
                return r;
        if (asprintf(&rel, "/boot/config-%s", release) < 0)
                return -ENOMEM;
        r = host_read(ctx, rel, 4 * 1024 * 1024, &text, NULL);
        if (r < 0)
                return r;
        for (const char *p = text; *p;) {
                const char *eol = p + strcspn(p, "\n");

                if (!strncmp(p, option, olen) && p[olen] == '=' && eol > p + olen + 1) {
                        value = p[olen + 1] == 'y' ? "y" : p[olen + 1] == 'm' ? "m" : "n";
                        break;
                }
                p = *eol ? eol + 1 : eol;
        }
        *ret_value = strdup(value);
        if (!*ret_value)
                return -ENOMEM;
        *ret_path = TAKE_PTR(rel);
        return 0;
}
