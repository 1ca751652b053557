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

/* The tunables path rules use, as globs; any other variable matches
 * anything.  Written without their trailing slash: rules say "@{HOME}/x". */
static const struct {
        const char *name;
        const char *glob;
} tunables[] = {
        { "@{HOME}",     "{/home/*,/root}" },
        { "@{HOMEDIRS}", "/home" },
        { "@{PROC}",     "/proc" },
        { "@{sys}",      "/sys" },
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

/*
 * Backtracking over '*' and '{…}' is exponential in the worst case
 * (many "**" against a long path) and nested braces recurse: every
 * call spends one step of a budget and may go only so deep.  A rule that
 * runs out is given up on: it neither grants nor denies, and the file
 * then counts as readable (see the top of this file).
 */
#define GLOB_BUDGET 100000
#define GLOB_DEPTH  32

struct glob_walk {
        unsigned budget;
        bool gave_up;
};

static bool glob_match(const char *pat, const char *s, struct glob_walk *w, unsigned depth);

/* {a,b,…}rest: each alternative followed by the rest of the pattern. */
static bool match_alternatives(const char *pat, const char *s, struct glob_walk *w, unsigned depth)
{
        const char *end = closing(pat, '{', '}'), *alt = pat + 1;
        char buf[PATH_MAX * 2];

        if (!end)
                return false;
        while (alt <= end) {
                const char *a = alt;
                int nest = 0;

                while (a < end && !(nest == 0 && *a == ','))
                        nest += *a == '{' ? 1 : *a == '}' ? -1 : 0, a++;
                if (snprintf(buf, sizeof(buf), "%.*s%s", (int)(a - alt), alt, end + 1) < (int)sizeof(buf) &&
                    glob_match(buf, s, w, depth + 1))
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

static bool glob_match(const char *pat, const char *s, struct glob_walk *w, unsigned depth)
{
        if (w->budget == 0 || depth > GLOB_DEPTH) {
                w->gave_up = true;
                return false;
        }
        w->budget--;
        for (;;) {
                switch (*pat) {
                case 0:
                        return *s == 0;
                case '{':
                        return match_alternatives(pat, s, w, depth);
                case '*':
                        if (pat[1] == '*') {
                                for (const char *t = s;; t++) {
                                        if (glob_match(pat + 2, t, w, depth + 1))
                                                return true;
                                        if (!*t)
                                                return false;
                                }
                        }
                        for (const char *t = s;; t++) {
                                if (glob_match(pat + 1, t, w, depth + 1))
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
                                                return glob_match(buf, s, w, depth + 1);
                                        }
                                snprintf(buf, sizeof(buf), "**%s", end + 1);
                                return glob_match(buf, s, w, depth + 1);
                        }
                        /* fall through */
                default:
                        if (*pat != *s)
                                return false;
                        pat++, s++;
                }
        }
}



/* One rule line: does it grant (or deny) reading path? */
static enum apparmor_verdict rule_verdict(char *line, const char *path)
{
        char *tok[8], *save = NULL, *p;
        struct glob_walk w = { GLOB_BUDGET, false };
        bool deny = false, owner = false;
        size_t n = 0;
        const char *glob = NULL, *perms = NULL;

        /* A quoted path keeps its spaces: hide them while tokenising. */
        for (char *c = line, quoted = 0; *c; c++) {
                if (*c == '"')
                        quoted = !quoted;
                else if (quoted && *c == ' ')
                        *c = '\x01';
        }
        /* Whitespace separates; the comma that ends a rule is no token of
         * its own (one inside {a,b} belongs to the path). */
        for (p = strtok_r(line, " \t", &save); p && n < ARRAY_SIZE(tok); p = strtok_r(NULL, " \t", &save)) {
                size_t l = strlen(p);

                if (l > 0 && p[l - 1] == ',')
                        p[--l] = 0;
                if (l > 0)
                        tok[n++] = p;
        }
        for (size_t i = 0; i < n; i++) {
                char *t = tok[i];

                if (!strcmp(t, "deny"))
                        deny = true;
                else if (!strcmp(t, "owner"))
                        owner = true;
                else if (!strcmp(t, "audit") || !strcmp(t, "allow") || !strcmp(t, "file"))
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
        /* An owner rule covers only files QEMU's user owns; the files oemkvm
         * hands QEMU are root's (the store, a ROM, a saved dump). */
        if (!glob || !perms || !strchr(perms, 'r') || owner)
                return NO_RULE;
        if (glob_match(glob, path, &w, 0))
                return deny ? DENIED : ALLOWED;
        return w.gave_up ? GAVE_UP : NO_RULE;
}

enum apparmor_verdict apparmor_rules_verdict(const char *text, size_t len, const char *path,
                                            unsigned *ret_line)
{
        enum apparmor_verdict v = NO_RULE;
        unsigned lineno = 0;

        for (const char *line = text, *end = text + len; line < end;) {
                const char *eol = memchr(line, '\n', (size_t)(end - line));
                char buf[4096], *hash;
                enum apparmor_verdict lv;

                if (!eol)
                        eol = end;
                lineno++;
                /* Longer lines hold no file rule worth reading: skipped. */
                if ((size_t)(eol - line) < sizeof(buf)) {
                        memcpy(buf, line, (size_t)(eol - line));
                        buf[eol - line] = 0;
                        /* '#' starts a comment, also '#include' (the local file is read apart). */
                        hash = strchr(buf, '#');
                        if (hash)
                                *hash = 0;
                        /* A line may hold several rules, each ended by a
                         * comma outside {a,b} and quotes. */
                        for (char *rule = buf, *c = buf; rule; ) {
                                int depth = 0;
                                bool quoted = false;

                                for (c = rule; *c && !(*c == ',' && !depth && !quoted); c++)
                                        if (*c == '"')
                                                quoted = !quoted;
                                        else if (!quoted && *c == '{')
                                                depth++;
                                        else if (!quoted && *c == '}' && depth > 0)
                                                depth--;
                                char *next = *c ? c + 1 : NULL;

                                *c = 0;
                                lv = rule_verdict(rule, path);
                                if (lv == DENIED) {
                                        *ret_line = lineno;
                                        return DENIED;
                                }
                                if (lv == ALLOWED || (lv == GAVE_UP && v == NO_RULE))
                                        v = lv;
                                rule = next;
                        }
                }
                line = eol + 1;
        }
        return v;
}

/* The verdict of the rules in file rel (a sysroot path); *ret_line: a deny's line. */
static int rules_verdict(const struct oemkvm_ctx *ctx, const char *rel, const char *path,
                         enum apparmor_verdict *ret, unsigned *ret_line, struct oemkvm_error *err)
{
        _cleanup_free_ char *file = NULL;
        _cleanup_free_ uint8_t *text = NULL;
        size_t len = 0;
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
        *ret = apparmor_rules_verdict((const char *)text, len, path, ret_line);
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
                enum apparmor_verdict v = NO_RULE;
                unsigned line = 0;

                r = rules_verdict(ctx, files[i], resolved, &v, &line, err);
                if (r < 0)
                        return r;
                if (v == DENIED)
                        return oemkvm_error_set(err, -EACCES,
                                                "AppArmor confines QEMU and line %u of '%s' denies it reading '%s' — remove that deny rule",
                                                line, files[i], resolved);
                allowed = allowed || v == ALLOWED || v == GAVE_UP;
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
