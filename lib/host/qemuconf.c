/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who QEMU runs as: `user =` and `group =` in libvirt's qemu.conf, else the
 * distribution's build default.  The store is made readable for that group.
 */
#include <ctype.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "host/host.h"
#include "util/util.h"

#ifndef OEMKVM_QEMU_GROUP
#error "OEMKVM_QEMU_GROUP must be defined by the build"
#endif
#ifndef OEMKVM_QEMU_USER
#error "OEMKVM_QEMU_USER must be defined by the build"
#endif

#define QEMU_CONF "/etc/libvirt/qemu.conf"

/*
 * Finds `key = "value"` in qemu.conf text.  libvirt's config syntax allows
 * comments after '#', spaces around '=', and single or double quotes.
 * Returns 1 and a malloc'd value, 0 when the key is not set.
 */
int qemu_conf_lookup(const char *text, size_t len, const char *key, char **ret)
{
        size_t klen = strlen(key);
        const char *end = text + len;

        for (const char *line = text; line < end;) {
                const char *eol = memchr(line, '\n', (size_t)(end - line));
                const char *p = line, *v;

                if (!eol)
                        eol = end;
                while (p < eol && isspace((unsigned char)*p))
                        p++;
                if ((size_t)(eol - p) > klen && !strncmp(p, key, klen) &&
                    (isspace((unsigned char)p[klen]) || p[klen] == '=')) {
                        p += klen;
                        while (p < eol && isspace((unsigned char)*p))
                                p++;
                        if (p < eol && *p == '=') {
                                char quote;

                                p++;
                                while (p < eol && isspace((unsigned char)*p))
                                        p++;
                                if (p < eol && (*p == '"' || *p == '\'')) {
                                        quote = *p++;
                                        v = memchr(p, quote, (size_t)(eol - p));
                                        if (v) {
                                                *ret = strndup(p, (size_t)(v - p));
                                                return *ret ? 1 : -ENOMEM;
                                        }
                                }
                        }
                }
                line = eol + 1;
        }
        return 0;
}

/* The configured value of key, or the compiled-in default. */
static int conf_value(const struct oemkvm_ctx *ctx, const char *key, const char *def,
                      char **ret_value, char **ret_conf_path, struct oemkvm_error *err)
{
        _cleanup_free_ char *path = NULL, *value = NULL;
        _cleanup_free_ uint8_t *text = NULL;
        size_t len = 0;
        int r;

        r = oemkvm_ctx_path(ctx, QEMU_CONF, &path);
        if (r < 0)
                return oemkvm_error_set(err, r, "out of memory");
        r = read_full_file(path, 1024 * 1024, &text, &len, err);
        if (r == -ENOENT) {
                if (err)
                        *err = (struct oemkvm_error){};
        } else if (errno_is_denied(r))
                return oemkvm_error_set(err, r, "cannot read '%s': permission denied — libvirt's configuration tells which group QEMU runs as, and only root may read it; run with sudo",
                                        path);
        else if (r < 0)
                return r;
        else {
                r = qemu_conf_lookup((const char *)text, len, key, &value);
                if (r < 0)
                        return oemkvm_error_set(err, r, "out of memory");
        }
        if (!value) {
                value = strdup(def);
                if (!value)
                        return oemkvm_error_set(err, -ENOMEM, "out of memory");
        }
        *ret_value = TAKE_PTR(value);
        *ret_conf_path = TAKE_PTR(path);
        return 0;
}

/* libvirt's forms: "+N" is the numeric id N, otherwise a name (or a number). */
static bool parse_numeric(const char *s, unsigned long *ret)
{
        char *end;

        if (*s == '+')
                s++;
        if (!isdigit((unsigned char)*s))
                return false;
        errno = 0;
        *ret = strtoul(s, &end, 10);
        return errno == 0 && *end == '\0';
}

/*
 * Resolves `key` (user or group) to an id: the configured name, or "+N",
 * or a bare number when no such name exists — libvirt's rules.
 */
static int conf_id(const struct oemkvm_ctx *ctx, bool group, unsigned *ret_id, char **ret_name,
                   struct oemkvm_error *err)
{
        const char *key = group ? "group" : "user";
        _cleanup_free_ char *name = NULL, *conf = NULL;
        unsigned long numeric;
        bool is_numeric;
        int r;

        r = conf_value(ctx, key, group ? OEMKVM_QEMU_GROUP : OEMKVM_QEMU_USER, &name, &conf, err);
        if (r < 0)
                return r;

        is_numeric = parse_numeric(name, &numeric);
        if (group) {
                struct group *gr = name[0] == '+' ? NULL : getgrnam(name);

                if (!gr && is_numeric)
                        gr = getgrgid((gid_t)numeric);
                r = gr ? (*ret_id = gr->gr_gid, 0) : -ENOENT;
        } else {
                struct passwd *pw = name[0] == '+' ? NULL : getpwnam(name);

                if (!pw && is_numeric)
                        pw = getpwuid((uid_t)numeric);
                r = pw ? (*ret_id = pw->pw_uid, 0) : -ENOENT;
        }
        if (r < 0)
                return oemkvm_error_set(err, r, "the %s QEMU runs as, '%s' (from '%s =' in '%s' or the build default), does not exist — set '%s' in '%s' or install libvirt's QEMU driver",
                                        key, name, key, conf, key, conf);
        if (ret_name)
                *ret_name = TAKE_PTR(name);
        return 0;
}

OEMKVM_EXPORT int oemkvm_qemu_group(const struct oemkvm_ctx *ctx, gid_t *ret_gid, char **ret_name,
                                    struct oemkvm_error *err)
{
        unsigned id;
        int r;

        r = conf_id(ctx, true, &id, ret_name, err);
        if (r >= 0)
                *ret_gid = (gid_t)id;
        return r;
}

int oemkvm_qemu_user(const struct oemkvm_ctx *ctx, uid_t *ret_uid, char **ret_name,
                     struct oemkvm_error *err)
{
        unsigned id;
        int r;

        r = conf_id(ctx, false, &id, ret_name, err);
        if (r >= 0)
                *ret_uid = (uid_t)id;
        return r;
}

int qemu_security_driver(const struct oemkvm_ctx *ctx, char **ret, struct oemkvm_error *err)
{
        _cleanup_free_ char *value = NULL, *conf = NULL;
        int r;

        r = conf_value(ctx, "security_driver", "", &value, &conf, err);
        if (r < 0)
                return r;
        *ret = *value ? TAKE_PTR(value) : NULL;
        return 0;
}
