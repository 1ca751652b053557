/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Would AppArmor let QEMU read a file?  On Debian and Ubuntu libvirt
 * confines each QEMU with a profile virt-aa-helper builds from the domain
 * XML it understands; files named only on QEMU's command line (oemkvm's
 * -acpitable/-smbios file=) are not in it, so QEMU reads them only through
 * a rule of the libvirt-qemu abstraction or its local include.  Without
 * one the start fails inside QEMU with a bare "Permission denied"; the
 * hook asks here first and names the rule to add.
 *
 * The rules are read, not compiled: file rules `[audit] [deny] [owner]
 * PATH PERMS,` (or PERMS PATH) with AppArmor's globbing (*, **, ?, [..],
 * {a,b}) and the tunables a path rule of this abstraction uses.  A rule
 * this reader cannot follow counts as granting: a wrong "denied" would
 * block a start that works, a wrong "allowed" only leaves QEMU's own error.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "host/host.h"
#include "util/util.h"

#define APPARMOR_ENABLED "/sys/module/apparmor/parameters/enabled"
#define ABSTRACTION      "/etc/apparmor.d/abstractions/libvirt-qemu"
#define LOCAL_RULES      "/etc/apparmor.d/local/abstractions/libvirt-qemu"
#define RULES_MAX        (1024 * 1024)

int apparmor_confines_qemu(const struct oemkvm_ctx *ctx, struct oemkvm_error *err)
{
        _cleanup_free_ char *path = NULL, *driver = NULL;
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len = 0;
        int r;

        r = oemkvm_ctx_path(ctx, APPARMOR_ENABLED, &path);
        if (r < 0)
                return oemkvm_error_set(err, r, "out of memory");
        r = read_full_file(path, 64, &buf, &len, NULL);
        if (r == -ENOENT)
                return 0;       /* no AppArmor in this kernel */
        if (r < 0)
                return oemkvm_error_set(err, r, "cannot read '%s': %s", path, strerror(-r));
        if (len == 0 || buf[0] != 'Y')
                return 0;
        /* libvirt confines nothing with security_driver = "none". */
        r = qemu_security_driver(ctx, &driver, err);
        if (r < 0)
                return r;
        return !driver || strcmp(driver, "none") != 0;
}

/* The tunables path rules use, as globs; any other variable matches anything. */
static const struct {
        const char *name;
        const char *glob;
} tunables[] = {
        { "@{HOME}",     "{/home/*/,/root/}" },
        { "@{HOMEDIRS}", "/home/" },
        { "@{PROC}",     "/proc/" },
        { "@{sys}",      "/sys/" },
        { "@{run}",      "{/var/run,/run}" },
};

/* The closing brace or bracket that matches the opening one at p. */
static const char *closing(const char *p, char open, char close)
{
        int depth = 0;

        for (; *p; p++) {
                if (*p == open)
                        depth++;
                else if (*p == close && --depth == 0)
                        return p;
        }
        return NULL;
}

static bool glob_match(const char *pat, const char *s);

/* {a,b,…}rest: each alternative followed by the rest of the pattern. */
static bool match_alternatives(const char *pat, const char *s)
{
        const char *end = closing(pat, '{', '}'), *alt = pat + 1;
        char buf[PATH_MAX * 2];

        if (!end)
                return false;
        while (alt <= end) {
                const char *a = alt;
                int depth = 0;

                while (a < end && !(depth == 0 && *a == ','))
                        depth += *a == '{' ? 1 : *a == '}' ? -1 : 0, a++;
                if (snprintf(buf, sizeof(buf), "%.*s%s", (int)(a - alt), alt, end + 1) < (int)sizeof(buf) &&
                    glob_match(buf, s))
                        return true;
                alt = a + 1;
        }
        return false;
}

/* [abc], [a-z], [^x]: one character other than '/'. */
static bool match_class(const char *pat, const char *end, char c)
{
        bool neg = pat[1] == '^', in = false;

        for (const char *p = pat + 1 + neg; p < end; p++) {
                if (p + 2 < end && p[1] == '-') {
                        in = in || (c >= p[0] && c <= p[2]);
                        p += 2;
                } else
                        in = in || c == *p;
        }
        return c != '/' && in != neg;
}

static bool glob_match(const char *pat, const char *s)
{
        for (;;) {
                switch (*pat) {
                case 0:
                        return *s == 0;
                case '{':
                        return match_alternatives(pat, s);
                case '*':
                        if (pat[1] == '*') {
                                for (const char *t = s;; t++) {
                                        if (glob_match(pat + 2, t))
                                                return true;
                                        if (!*t)
                                                return false;
                                }
                        }
                        for (const char *t = s;; t++) {
                                if (glob_match(pat + 1, t))
                                        return true;
                                if (!*t || *t == '/')
                                        return false;
                        }
                case '?':
                        if (!*s || *s == '/')
                                return false;
                        pat++, s++;
                        break;
                case '[': {
                        const char *end = strchr(pat, ']');

                        if (!end || !*s || !match_class(pat, end, *s))
                                return false;
                        pat = end + 1, s++;
                        break;
                }
                case '@':
                        if (pat[1] == '{') {
                                const char *end = strchr(pat, '}');
                                char buf[PATH_MAX * 2];

                                if (!end)
                                        return false;
                                for (size_t i = 0; i < ARRAY_SIZE(tunables); i++)
                                        if (!strncmp(pat, tunables[i].name, strlen(tunables[i].name))) {
                                                snprintf(buf, sizeof(buf), "%s%s", tunables[i].glob, end + 1);
                                                return glob_match(buf, s);
                                        }
                                snprintf(buf, sizeof(buf), "**%s", end + 1);
                                return glob_match(buf, s);
                        }
                        /* fall through */
                default:
                        if (*pat != *s)
                                return false;
                        pat++, s++;
                }
        }
}

enum verdict { NO_RULE, ALLOWED, DENIED };

/* One rule line: does it grant (or deny) reading path? */
static enum verdict rule_verdict(char *line, const char *path)
{
        char *tok[8], *save = NULL, *p;
        bool deny = false;
        size_t n = 0;
        const char *glob = NULL, *perms = NULL;

        /* A quoted path keeps its spaces: hide them while tokenising. */
        for (char *c = line, quoted = 0; *c; c++) {
                if (*c == '"')
                        quoted = !quoted;
                else if (quoted && *c == ' ')
                        *c = '\x01';
        }
        for (p = strtok_r(line, " \t,", &save); p && n < ARRAY_SIZE(tok); p = strtok_r(NULL, " \t,", &save))
                tok[n++] = p;
        for (size_t i = 0; i < n; i++) {
                char *t = tok[i];

                if (!strcmp(t, "deny"))
                        deny = true;
                else if (!strcmp(t, "audit") || !strcmp(t, "owner") || !strcmp(t, "allow") || !strcmp(t, "file"))
                        continue;
                else if (!strcmp(t, "->"))
                        break;
                else if (t[0] == '/' || t[0] == '@' || t[0] == '"') {
                        size_t l = strlen(t);

                        if (t[0] == '"' && l > 1 && t[l - 1] == '"') {
                                t[l - 1] = 0;
                                t++;
                        }
                        for (char *c = t; *c; c++)
                                if (*c == '\x01')
                                        *c = ' ';
                        glob = t;
                } else if (strspn(t, "rwaxmlkdiuUpPcCIx") == strlen(t))
                        perms = t;
                else
                        return NO_RULE; /* capability, network, signal, … */
        }
        if (!glob || !perms || !strchr(perms, 'r') || !glob_match(glob, path))
                return NO_RULE;
        return deny ? DENIED : ALLOWED;
}

/* The verdict of the rules in file rel (a sysroot path); *ret_line: a deny's line. */
static int rules_verdict(const struct oemkvm_ctx *ctx, const char *rel, const char *path,
                         enum verdict *ret, unsigned *ret_line, struct oemkvm_error *err)
{
        _cleanup_free_ char *file = NULL;
        _cleanup_free_ uint8_t *text = NULL;
        enum verdict v = NO_RULE;
        size_t len = 0;
        unsigned lineno = 0;
        int r;

        r = oemkvm_ctx_path(ctx, rel, &file);
        if (r < 0)
                return oemkvm_error_set(err, r, "out of memory");
        r = read_full_file(file, RULES_MAX, &text, &len, NULL);
        if (r == -ENOENT) {
                *ret = NO_RULE;
                return 0;
        }
        if (r < 0)
                return oemkvm_error_set(err, r, "cannot read the AppArmor rules '%s': %s", file, strerror(-r));
        for (char *line = (char *)text, *end = (char *)text + len; line < end;) {
                char *eol = memchr(line, '\n', (size_t)(end - line)), *hash;
                enum verdict lv;

                if (!eol)
                        eol = end;
                *eol = 0;
                lineno++;
                /* '#' starts a comment, also '#include' (the local file is read apart). */
                hash = strchr(line, '#');
                if (hash)
                        *hash = 0;
                lv = rule_verdict(line, path);
                if (lv == DENIED) {
                        *ret = DENIED;
                        *ret_line = lineno;
                        return 0;
                }
                if (lv == ALLOWED)
                        v = ALLOWED;
                line = eol + 1;
        }
        *ret = v;
        return 0;
}

int apparmor_check_readable(const struct oemkvm_ctx *ctx, const char *path, bool in_store,
                            struct oemkvm_error *err)
{
        static const char *const files[] = { LOCAL_RULES, ABSTRACTION };
        char resolved[PATH_MAX], dir[PATH_MAX];
        bool allowed = false;
        const char *slash;
        int r;

        /* AppArmor mediates the path the open resolves to. */
        if (!realpath(path, resolved))
                snprintf(resolved, sizeof(resolved), "%s", path);
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                enum verdict v = NO_RULE;
                unsigned line = 0;

                r = rules_verdict(ctx, files[i], resolved, &v, &line, err);
                if (r < 0)
                        return r;
                if (v == DENIED)
                        return oemkvm_error_set(err, -EACCES,
                                                "AppArmor confines QEMU and line %u of '%s' denies it reading '%s' — remove that deny rule",
                                                line, files[i], resolved);
                allowed = allowed || v == ALLOWED;
        }
        if (allowed)
                return 0;
        if (in_store)
                return oemkvm_error_set(err, -EACCES,
                                        "AppArmor confines QEMU and '%s' lacks the rules 'make install' adds for the store, so QEMU cannot read '%s' — reinstall oemkvm ('sudo make install'), then start the domain again",
                                        LOCAL_RULES, resolved);
        slash = strrchr(resolved, '/');
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash ? slash - resolved : 0), resolved);
        return oemkvm_error_set(err, -EACCES,
                                strchr(dir, ' ')
                                ? "AppArmor confines QEMU and no rule lets it read '%s' — add the lines '\"%s/\" r,' and '\"%s/*.bin\" r,' to '%s', then start the domain again"
                                : "AppArmor confines QEMU and no rule lets it read '%s' — add the lines '%s/ r,' and '%s/*.bin r,' to '%s', then start the domain again",
                                resolved, dir, dir, LOCAL_RULES);
}
