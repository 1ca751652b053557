/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mediated devices (mdev) on the host: the types parents offer, active
 * devices, sysfs create/remove and mdevctl start/stop (see mdev.h).
 *
 * Kernel facts this relies on (drivers/vfio/mdev/mdev_sysfs.c, Linux 6.1):
 * a type lives in <parent>/mdev_supported_types/<driver>-<type>/ with
 * `create` (write-only, takes a UUID of 36 or 37 bytes), `device_api`,
 * `name`, `available_instances` and, when the driver has one,
 * `description`; a device is /sys/bus/mdev/devices/<uuid> (a link), whose
 * `mdev_type` link points back at its type, and `remove` takes "1".  The
 * write fails with the driver's errno: GVT-g's "fail to alloc low gm
 * space" is -ENOSPC, a driver without a count gives -EUSERS.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "host/mdev.h"
#include "util/util.h"

#define MDEV_BUS       "/sys/class/mdev_bus"
#define MDEV_DEVICES   "/sys/bus/mdev/devices"
#define MDEVCTL_CONFIG "/etc/mdevctl.d"

/* Sysfs attributes are at most a page; mdevctl's definitions are small. */
#define ATTR_MAX   4096
#define CONFIG_MAX (64 * 1024)
#define PARENT_MAX 64
#define TYPE_MAX   96
/* The JSON nesting oemkvm follows before it calls a definition hostile. */
#define JSON_DEPTH_MAX 32
/* What of mdevctl's stderr makes it into a message. */
#define MDEVCTL_ERR_MAX 400

/* Names from metadata can be anything: quote at most this much of them. */
#define NAME_FMT "%.100s"

/* ---------------------------------------------------------------- names */

static bool is_hex(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_lower_hex(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int oemkvm_mdev_uuid_parse(const char *s, char out[OEMKVM_UUID_SIZE])
{
        char u[OEMKVM_UUID_SIZE];

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < OEMKVM_UUID_SIZE - 1; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;

                if (dash ? s[i] != '-' : !is_hex(s[i]))
                        return -EINVAL;
                u[i] = (char)tolower((unsigned char)s[i]);
        }
        if (s[OEMKVM_UUID_SIZE - 1] != '\0')
                return -EINVAL;
        u[OEMKVM_UUID_SIZE - 1] = '\0';
        if (out)
                memcpy(out, u, sizeof(u));
        return 0;
}

bool oemkvm_mdev_parent_is_pci(const char *s)
{
        /* dddd:bb:ss.f, as the kernel names PCI devices. */
        static const char shape[] = "xxxx:xx:xx.x";

        if (!s || strlen(s) != sizeof(shape) - 1)
                return false;
        for (size_t i = 0; i < sizeof(shape) - 1; i++)
                if (shape[i] == 'x' ? !is_lower_hex(s[i]) : s[i] != shape[i])
                        return false;
        return s[11] >= '0' && s[11] <= '7';
}

/* Letters, digits and `extra`, a letter or digit first, 1..max long, no "..". */
static bool name_valid(const char *s, size_t max, const char *extra)
{
        size_t n;

        if (!s || !isalnum((unsigned char)s[0]) || strstr(s, ".."))
                return false;
        for (n = 0; s[n]; n++)
                if (n >= max || (!isalnum((unsigned char)s[n]) && !strchr(extra, s[n])))
                        return false;
        return true;
}

bool oemkvm_mdev_parent_valid(const char *s)
{
        return oemkvm_mdev_parent_is_pci(s) || name_valid(s, PARENT_MAX, "_-.:");
}

bool oemkvm_mdev_type_valid(const char *s)
{
        return name_valid(s, TYPE_MAX, "_-.:+");
}

static int check_parent(const char *parent, struct oemkvm_error *err)
{
        if (!oemkvm_mdev_parent_valid(parent))
                return oemkvm_error_set(err, -EINVAL,
                                        "invalid mdev parent '" NAME_FMT "': expected a PCI address such as 0000:00:02.0 or a device name under " MDEV_BUS,
                                        parent ? parent : "");
        return 0;
}

static int check_type(const char *type, struct oemkvm_error *err)
{
        if (!oemkvm_mdev_type_valid(type))
                return oemkvm_error_set(err, -EINVAL,
                                        "invalid mdev type '" NAME_FMT "': expected a type name such as i915-GVTg_V5_4 (letters, digits, '_', '-', '.', ':', '+')",
                                        type ? type : "");
        return 0;
}

static int check_uuid(const char *uuid, char out[OEMKVM_UUID_SIZE], struct oemkvm_error *err)
{
        if (oemkvm_mdev_uuid_parse(uuid, out) < 0)
                return oemkvm_error_set(err, -EINVAL,
                                        "invalid mdev UUID '" NAME_FMT "': expected the form 8-4-4-4-12 hex digits",
                                        uuid ? uuid : "");
        return 0;
}

/* ---------------------------------------------------------------- parse */

int oemkvm_mdev_parse_count(const char *buf, size_t len, const char *origin, unsigned *ret,
                            struct oemkvm_error *err)
{
        unsigned long v = 0;
        size_t i = 0;

        if (len > 0 && buf[len - 1] == '\n')
                len--;
        for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
                v = v * 10 + (unsigned long)(buf[i] - '0');
                if (v > UINT_MAX)
                        break;
        }
        if (len == 0 || i != len)
                return oemkvm_error_set(err, -EBADMSG, "'%s': expected a count, found '%.*s'",
                                        origin ? origin : "available_instances",
                                        (int)(len < 40 ? len : 40), buf);
        *ret = (unsigned)v;
        return 0;
}

int oemkvm_mdev_parse_type_path(const char *path, char **ret_parent, char **ret_type,
                                struct oemkvm_error *err)
{
        static const char mid[] = "/mdev_supported_types/";
        const char *type, *m, *parent;
        _cleanup_free_ char *p = NULL, *t = NULL;
        size_t n = strlen(path);

        type = strrchr(path, '/');
        if (!type || type < path + sizeof(mid) - 1 || type[1] == '\0')
                goto bad;
        m = type - (sizeof(mid) - 2);
        if (strncmp(m, mid, sizeof(mid) - 1) != 0)
                goto bad;
        for (parent = m; parent > path && parent[-1] != '/'; parent--)
                ;
        if (parent == m || parent == path)
                goto bad;
        p = strndup(parent, (size_t)(m - parent));
        t = strndup(type + 1, (size_t)(path + n - type - 1));
        if (!p || !t)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        if (!oemkvm_mdev_parent_valid(p) || !oemkvm_mdev_type_valid(t))
                goto bad;
        *ret_parent = TAKE_PTR(p);
        *ret_type = TAKE_PTR(t);
        return 0;
bad:
        return oemkvm_error_set(err, -EBADMSG,
                                "mdev_type link resolves to '%s', not <parent>/mdev_supported_types/<type>", path);
}

/*
 * mdevctl's definitions, JSON (RFC 8259) read strictly: whitespace, objects,
 * arrays, strings with escapes, numbers, true/false/null.  Only the top
 * level's "mdev_type" and "start" are kept.
 */
struct json {
        const char *p, *end, *start;
        const char *origin;
        struct oemkvm_error *err;
};

static int json_fail(struct json *j, const char *what)
{
        return oemkvm_error_set(j->err, -EBADMSG, "'%s': not a valid mdevctl definition (offset %zu): %s",
                                j->origin, (size_t)(j->p - j->start), what);
}

static void json_ws(struct json *j)
{
        while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
                j->p++;
}

static bool json_lit(struct json *j, const char *lit)
{
        size_t n = strlen(lit);

        if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
                return false;
        j->p += n;
        return true;
}

/* A string; *ret (may be NULL) gets it decoded, ASCII only (mdevctl's values are). */
static int json_string(struct json *j, char **ret)
{
        _cleanup_free_ char *s = NULL;
        size_t n = 0;

        if (j->p >= j->end || *j->p != '"')
                return json_fail(j, "expected a string");
        j->p++;
        if (ret) {
                s = malloc((size_t)(j->end - j->p) + 1);
                if (!s)
                        return oemkvm_error_set(j->err, -ENOMEM, "out of memory");
        }
        for (;;) {
                unsigned char c;

                if (j->p >= j->end)
                        return json_fail(j, "unterminated string");
                c = (unsigned char)*j->p++;
                if (c == '"')
                        break;
                if (c < 0x20)
                        return json_fail(j, "control character in a string");
                if (c == '\\') {
                        if (j->p >= j->end)
                                return json_fail(j, "unterminated string");
                        c = (unsigned char)*j->p++;
                        switch (c) {
                        case '"': case '\\': case '/': break;
                        case 'b': c = '\b'; break;
                        case 'f': c = '\f'; break;
                        case 'n': c = '\n'; break;
                        case 'r': c = '\r'; break;
                        case 't': c = '\t'; break;
                        case 'u': {
                                unsigned v = 0;

                                for (int i = 0; i < 4; i++) {
                                        if (j->p >= j->end || !is_hex(*j->p))
                                                return json_fail(j, "bad \\u escape");
                                        v = v * 16 + (unsigned)(isdigit((unsigned char)*j->p) ? *j->p - '0'
                                                                : tolower((unsigned char)*j->p) - 'a' + 10);
                                        j->p++;
                                }
                                if (v == 0 || v > 0x7f) {
                                        /* Only strings oemkvm keeps must be ASCII. */
                                        if (ret)
                                                return json_fail(j, "a value outside ASCII");
                                        v = '?';
                                }
                                c = (unsigned char)v;
                                break;
                        }
                        default:
                                return json_fail(j, "bad escape in a string");
                        }
                } else if (c >= 0x80 && ret)
                        return json_fail(j, "a value outside ASCII");
                if (s)
                        s[n++] = (char)c;
        }
        if (ret) {
                s[n] = '\0';
                *ret = TAKE_PTR(s);
        }
        return 0;
}

static int json_number(struct json *j)
{
        const char *s = j->p;

        if (j->p < j->end && *j->p == '-')
                j->p++;
        if (j->p < j->end && *j->p == '0')
                j->p++;
        else if (j->p < j->end && *j->p >= '1' && *j->p <= '9')
                while (j->p < j->end && isdigit((unsigned char)*j->p))
                        j->p++;
        else {
                j->p = s;
                return json_fail(j, "expected a value");
        }
        if (j->p < j->end && *j->p == '.') {
                j->p++;
                if (j->p >= j->end || !isdigit((unsigned char)*j->p))
                        return json_fail(j, "bad number");
                while (j->p < j->end && isdigit((unsigned char)*j->p))
                        j->p++;
        }
        if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
                j->p++;
                if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
                        j->p++;
                if (j->p >= j->end || !isdigit((unsigned char)*j->p))
                        return json_fail(j, "bad number");
                while (j->p < j->end && isdigit((unsigned char)*j->p))
                        j->p++;
        }
        return 0;
}

static int json_value(struct json *j, unsigned depth);

/* An object or array after its opening bracket; each member or element via json_value. */
static int json_container(struct json *j, char close, unsigned depth)
{
        int r;

        json_ws(j);
        if (j->p < j->end && *j->p == close) {
                j->p++;
                return 0;
        }
        for (;;) {
                json_ws(j);
                if (close == '}') {
                        r = json_string(j, NULL);
                        if (r < 0)
                                return r;
                        json_ws(j);
                        if (j->p >= j->end || *j->p != ':')
                                return json_fail(j, "expected ':'");
                        j->p++;
                }
                r = json_value(j, depth + 1);
                if (r < 0)
                        return r;
                json_ws(j);
                if (j->p < j->end && *j->p == ',') {
                        j->p++;
                        continue;
                }
                if (j->p < j->end && *j->p == close) {
                        j->p++;
                        return 0;
                }
                return json_fail(j, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
        }
}

static int json_value(struct json *j, unsigned depth)
{
        json_ws(j);
        if (depth > JSON_DEPTH_MAX)
                return json_fail(j, "nested too deeply");
        if (j->p >= j->end)
                return json_fail(j, "expected a value");
        switch (*j->p) {
        case '{':
        case '[':
                return json_container(j, *j->p++ == '{' ? '}' : ']', depth);
        case '"':
                return json_string(j, NULL);
        default:
                if (json_lit(j, "true") || json_lit(j, "false") || json_lit(j, "null"))
                        return 0;
                return json_number(j);
        }
}

int oemkvm_mdev_config_parse(const char *buf, size_t len, const char *origin,
                             struct oemkvm_mdev_config *ret, struct oemkvm_error *err)
{
        struct json j = { buf, buf + len, buf, origin ? origin : "the buffer", err };
        _cleanup_free_ char *type = NULL, *start = NULL;
        int r;

        json_ws(&j);
        if (j.p >= j.end || *j.p != '{')
                return json_fail(&j, "expected an object");
        j.p++;
        json_ws(&j);
        if (j.p < j.end && *j.p == '}')
                j.p++;
        else
                for (;;) {
                        _cleanup_free_ char *key = NULL;
                        char **slot = NULL;

                        json_ws(&j);
                        r = json_string(&j, &key);
                        if (r < 0)
                                return r;
                        json_ws(&j);
                        if (j.p >= j.end || *j.p != ':')
                                return json_fail(&j, "expected ':'");
                        j.p++;
                        json_ws(&j);
                        if (!strcmp(key, "mdev_type"))
                                slot = &type;
                        else if (!strcmp(key, "start"))
                                slot = &start;
                        if (slot) {
                                if (*slot)
                                        return json_fail(&j, "a member given twice");
                                r = json_string(&j, slot);
                        } else
                                r = json_value(&j, 1);
                        if (r < 0)
                                return r;
                        json_ws(&j);
                        if (j.p < j.end && *j.p == ',') {
                                j.p++;
                                continue;
                        }
                        if (j.p < j.end && *j.p == '}') {
                                j.p++;
                                break;
                        }
                        return json_fail(&j, "expected ',' or '}'");
                }
        json_ws(&j);
        if (j.p != j.end)
                return json_fail(&j, "text after the object");
        if (!type)
                return oemkvm_error_set(err, -EBADMSG, "'%s': the mdevctl definition has no \"mdev_type\"", j.origin);
        if (!oemkvm_mdev_type_valid(type))
                return oemkvm_error_set(err, -EBADMSG, "'%s': \"mdev_type\" is not a type name: '" NAME_FMT "'",
                                        j.origin, type);
        if (start && strcmp(start, "auto") && strcmp(start, "manual"))
                return oemkvm_error_set(err, -EBADMSG, "'%s': \"start\" is '" NAME_FMT "', expected \"auto\" or \"manual\"",
                                        j.origin, start);
        ret->autostart = start && !strcmp(start, "auto");
        ret->type = TAKE_PTR(type);
        return 0;
}

void oemkvm_mdev_config_clear(struct oemkvm_mdev_config *cfg)
{
        free(cfg->type);
        cfg->type = NULL;
}

/* ---------------------------------------------------------------- read */

/* <sysroot><dir>[/<a>[/<b>[/<c>[/<d>]]]]: the parts already validated. */
static char *sysroot_path(const struct oemkvm_ctx *ctx, const char *dir, const char *a,
                          const char *b, const char *c, const char *d)
{
        const char *root = oemkvm_ctx_get_sysroot(ctx);
        char *p;

        if (asprintf(&p, "%s%s%s%s%s%s%s%s%s%s", strcmp(root, "/") ? root : "", dir,
                     a ? "/" : "", a ? a : "", b ? "/" : "", b ? b : "", c ? "/" : "", c ? c : "",
                     d ? "/" : "", d ? d : "") < 0)
                return NULL;
        return p;
}

/*
 * An attribute's text without the trailing newline(s); *ret NULL when
 * `optional` and the file is not there.
 */
static int attr_read(const char *dir, const char *attr, bool optional, char **ret,
                     struct oemkvm_error *err)
{
        _cleanup_free_ char *path = path_join(dir, attr);
        _cleanup_free_ uint8_t *buf = NULL;
        struct oemkvm_error sub = {};
        size_t len = 0;
        int r;

        if (!path)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        r = read_full_file(path, ATTR_MAX, &buf, &len, &sub);
        if (r == -ENOENT && optional) {
                *ret = NULL;
                return 0;
        }
        if (r < 0)
                return oemkvm_error_set(err, r, "%s", sub.message);
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
                len--;
        if (memchr(buf, '\0', len))
                return oemkvm_error_set(err, -EBADMSG, "'%s' holds a NUL byte", path);
        *ret = strndup((const char *)buf, len);
        return *ret ? 0 : oemkvm_error_set(err, -ENOMEM, "out of memory");
}

void oemkvm_mdev_type_clear(struct oemkvm_mdev_type *t)
{
        free(t->parent);
        free(t->type);
        free(t->name);
        free(t->description);
        free(t->device_api);
        *t = (struct oemkvm_mdev_type){};
}

OEMKVM_EXPORT void oemkvm_mdev_types_free(struct oemkvm_mdev_type *types, size_t n)
{
        for (size_t i = 0; i < n; i++)
                oemkvm_mdev_type_clear(&types[i]);
        free(types);
}

/* The type directory `dir` of parent/type, both validated. */
static int type_load(const char *dir, const char *parent, const char *type,
                     struct oemkvm_mdev_type *ret, struct oemkvm_error *err)
{
        struct oemkvm_mdev_type t = {};
        _cleanup_free_ char *count = NULL, *count_path = NULL;
        int r;

        t.parent = strdup(parent);
        t.type = strdup(type);
        count_path = path_join(dir, "available_instances");
        r = t.parent && t.type && count_path ? 0 : oemkvm_error_set(err, -ENOMEM, "out of memory");
        if (r >= 0)
                r = attr_read(dir, "available_instances", false, &count, err);
        if (r >= 0)
                r = oemkvm_mdev_parse_count(count, strlen(count), count_path, &t.available, err);
        if (r >= 0)
                r = attr_read(dir, "device_api", false, &t.device_api, err);
        if (r >= 0)
                r = attr_read(dir, "name", true, &t.name, err);
        if (r >= 0)
                r = attr_read(dir, "description", true, &t.description, err);
        if (r < 0) {
                oemkvm_mdev_type_clear(&t);
                return r;
        }
        *ret = t;
        return 0;
}

static int parent_missing(const char *parent, const char *path, struct oemkvm_error *err)
{
        return oemkvm_error_set(err, -ENODEV, "no mdev parent '%s': '%s' does not exist", parent, path);
}

struct type_list {
        struct oemkvm_mdev_type *v;
        size_t n, cap;
};

/* Appends every type of one parent (validated) to list. */
static int parent_types(const struct oemkvm_ctx *ctx, const char *parent, struct type_list *list,
                        struct oemkvm_error *err)
{
        _cleanup_free_ char *pdir = sysroot_path(ctx, MDEV_BUS, parent, NULL, NULL, NULL);
        _cleanup_free_ char *tdir = sysroot_path(ctx, MDEV_BUS, parent, "mdev_supported_types", NULL, NULL);
        struct dirent *de;
        struct stat st;
        DIR *d;
        int r = 0;

        if (!pdir || !tdir)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        if (stat(pdir, &st) < 0)
                return errno == ENOENT ? parent_missing(parent, pdir, err)
                                       : oemkvm_error_set(err, -errno, "cannot read '%s': %s", pdir, strerror(errno));
        d = opendir(tdir);
        if (!d)
                return oemkvm_error_set(err, -errno, "cannot list the types of mdev parent '%s' in '%s': %s",
                                        parent, tdir, strerror(errno));
        while (r >= 0 && (errno = 0, de = readdir(d))) {
                _cleanup_free_ char *dir = NULL;

                /* Not a name oemkvm could ever be asked for: not ours to judge. */
                if (!oemkvm_mdev_type_valid(de->d_name))
                        continue;
                dir = path_join(tdir, de->d_name);
                if (!dir) {
                        r = oemkvm_error_set(err, -ENOMEM, "out of memory");
                        break;
                }
                if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                if (list->n == list->cap) {
                        size_t cap = list->cap ? list->cap * 2 : 8;
                        struct oemkvm_mdev_type *v = realloc(list->v, cap * sizeof(*v));

                        if (!v) {
                                r = oemkvm_error_set(err, -ENOMEM, "out of memory");
                                break;
                        }
                        list->v = v;
                        list->cap = cap;
                }
                r = type_load(dir, parent, de->d_name, &list->v[list->n], err);
                if (r >= 0)
                        list->n++;
        }
        if (r >= 0 && errno)
                r = oemkvm_error_set(err, -errno, "cannot list '%s': %s", tdir, strerror(errno));
        closedir(d);
        return r;
}

static int type_cmp(const void *a, const void *b)
{
        const struct oemkvm_mdev_type *x = a, *y = b;
        int c = strcmp(x->parent, y->parent);

        return c ? c : strcmp(x->type, y->type);
}

OEMKVM_EXPORT int oemkvm_mdev_types_read(const struct oemkvm_ctx *ctx, const char *parent,
                           struct oemkvm_mdev_type **ret, size_t *ret_n, struct oemkvm_error *err)
{
        struct type_list list = {};
        int r = 0;

        if (parent) {
                r = check_parent(parent, err);
                if (r >= 0)
                        r = parent_types(ctx, parent, &list, err);
        } else {
                _cleanup_free_ char *bus = sysroot_path(ctx, MDEV_BUS, NULL, NULL, NULL, NULL);
                struct dirent *de;
                DIR *d;

                if (!bus)
                        return oemkvm_error_set(err, -ENOMEM, "out of memory");
                d = opendir(bus);
                if (!d && errno != ENOENT)
                        return oemkvm_error_set(err, -errno, "cannot list '%s': %s", bus, strerror(errno));
                /* No mdev_bus: no parent has registered with the mdev core. */
                while (d && r >= 0 && (errno = 0, de = readdir(d)))
                        if (oemkvm_mdev_parent_valid(de->d_name))
                                r = parent_types(ctx, de->d_name, &list, err);
                if (d && r >= 0 && errno)
                        r = oemkvm_error_set(err, -errno, "cannot list '%s': %s", bus, strerror(errno));
                if (d)
                        closedir(d);
        }
        if (r < 0) {
                oemkvm_mdev_types_free(list.v, list.n);
                return r;
        }
        if (list.n)
                qsort(list.v, list.n, sizeof(*list.v), type_cmp);
        *ret = list.v;
        *ret_n = list.n;
        return 0;
}

int oemkvm_mdev_type_read(const struct oemkvm_ctx *ctx, const char *parent, const char *type,
                          struct oemkvm_mdev_type *ret, struct oemkvm_error *err)
{
        _cleanup_free_ char *pdir = NULL, *dir = NULL;
        struct stat st;
        int r;

        r = check_parent(parent, err);
        if (r >= 0)
                r = check_type(type, err);
        if (r < 0)
                return r;
        pdir = sysroot_path(ctx, MDEV_BUS, parent, NULL, NULL, NULL);
        dir = sysroot_path(ctx, MDEV_BUS, parent, "mdev_supported_types", type, NULL);
        if (!pdir || !dir)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        if (stat(pdir, &st) < 0)
                return errno == ENOENT ? parent_missing(parent, pdir, err)
                                       : oemkvm_error_set(err, -errno, "cannot read '%s': %s", pdir, strerror(errno));
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
                return oemkvm_error_set(err, -ENOENT, "mdev parent '%s' has no type '%s' ('%s' does not exist)",
                                        parent, type, dir);
        return type_load(dir, parent, type, ret, err);
}

void oemkvm_mdev_device_clear(struct oemkvm_mdev_device *dev)
{
        free(dev->parent);
        free(dev->type);
        *dev = (struct oemkvm_mdev_device){};
}

void oemkvm_mdev_devices_free(struct oemkvm_mdev_device *devs, size_t n)
{
        for (size_t i = 0; i < n; i++)
                oemkvm_mdev_device_clear(&devs[i]);
        free(devs);
}

int oemkvm_mdev_device_read(const struct oemkvm_ctx *ctx, const char *uuid,
                            struct oemkvm_mdev_device *ret, struct oemkvm_error *err)
{
        struct oemkvm_mdev_device dev = {};
        _cleanup_free_ char *dir = NULL, *link = NULL, *target = NULL;
        struct stat st;
        int r;

        r = check_uuid(uuid, dev.uuid, err);
        if (r < 0)
                return r;
        dir = sysroot_path(ctx, MDEV_DEVICES, dev.uuid, NULL, NULL, NULL);
        link = sysroot_path(ctx, MDEV_DEVICES, dev.uuid, "mdev_type", NULL, NULL);
        if (!dir || !link)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        if (lstat(dir, &st) < 0) {
                r = -errno;
                return oemkvm_error_set(err, r, r == -ENOENT ? "mdev %s is not active ('%s' does not exist)"
                                                             : "cannot read mdev %s ('%s'): %s",
                                        dev.uuid, dir, strerror(-r));
        }
        target = realpath(link, NULL);
        if (!target)
                return oemkvm_error_set(err, -errno, "cannot resolve '%s': %s", link, strerror(errno));
        r = oemkvm_mdev_parse_type_path(target, &dev.parent, &dev.type, err);
        if (r < 0)
                return r;
        *ret = dev;
        return 0;
}

static int device_cmp(const void *a, const void *b)
{
        return strcmp(((const struct oemkvm_mdev_device *)a)->uuid,
                      ((const struct oemkvm_mdev_device *)b)->uuid);
}

int oemkvm_mdev_devices_read(const struct oemkvm_ctx *ctx, const char *parent,
                             struct oemkvm_mdev_device **ret, size_t *ret_n,
                             struct oemkvm_error *err)
{
        _cleanup_free_ char *bus = NULL;
        struct oemkvm_mdev_device *v = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (parent) {
                r = check_parent(parent, err);
                if (r < 0)
                        return r;
        }
        bus = sysroot_path(ctx, MDEV_DEVICES, NULL, NULL, NULL, NULL);
        if (!bus)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        d = opendir(bus);
        if (!d && errno != ENOENT)
                return oemkvm_error_set(err, -errno, "cannot list '%s': %s", bus, strerror(errno));
        while (d && r >= 0 && (errno = 0, de = readdir(d))) {
                struct oemkvm_mdev_device dev;

                if (oemkvm_mdev_uuid_parse(de->d_name, NULL) < 0)
                        continue;
                r = oemkvm_mdev_device_read(ctx, de->d_name, &dev, err);
                if (r == -ENOENT) {
                        r = 0;  /* removed while we looked */
                        continue;
                }
                if (r < 0)
                        break;
                if (parent && strcmp(dev.parent, parent)) {
                        oemkvm_mdev_device_clear(&dev);
                        continue;
                }
                if (n == cap) {
                        struct oemkvm_mdev_device *nv;

                        cap = cap ? cap * 2 : 8;
                        nv = realloc(v, cap * sizeof(*v));
                        if (!nv) {
                                oemkvm_mdev_device_clear(&dev);
                                r = oemkvm_error_set(err, -ENOMEM, "out of memory");
                                break;
                        }
                        v = nv;
                }
                v[n++] = dev;
        }
        if (d && r >= 0 && errno)
                r = oemkvm_error_set(err, -errno, "cannot list '%s': %s", bus, strerror(errno));
        if (d)
                closedir(d);
        if (r < 0) {
                oemkvm_mdev_devices_free(v, n);
                return r;
        }
        if (n)
                qsort(v, n, sizeof(*v), device_cmp);
        *ret = v;
        *ret_n = n;
        return 0;
}

int oemkvm_mdev_config_read(const struct oemkvm_ctx *ctx, const char *parent, const char *uuid,
                            struct oemkvm_mdev_config *ret, struct oemkvm_error *err)
{
        char u[OEMKVM_UUID_SIZE];
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len = 0;
        int r;

        r = check_parent(parent, err);
        if (r >= 0)
                r = check_uuid(uuid, u, err);
        if (r < 0)
                return r;
        path = sysroot_path(ctx, MDEVCTL_CONFIG, parent, u, NULL, NULL);
        if (!path)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        r = read_full_file(path, CONFIG_MAX, &buf, &len, err);
        if (r == -ENOENT || r == -ENOTDIR)
                return oemkvm_error_set(err, -ENOENT, "mdevctl defines no device %s on '%s' ('%s' does not exist)",
                                        u, parent, path);
        if (r < 0)
                return r;
        return oemkvm_mdev_config_parse((const char *)buf, len, path, ret, err);
}

/* ---------------------------------------------------------------- act */

/* Writes `value` to the sysfs attribute `path` in one write(2): the kernel's errno back. */
static int attr_write(const char *path, const char *value, int *ret_errno)
{
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(value);
        ssize_t n;

        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0) {
                *ret_errno = errno;
                return -1;
        }
        do
                n = write(fd, value, len);
        while (n < 0 && errno == EINTR);
        if (n < 0 || (size_t)n != len) {
                *ret_errno = n < 0 ? errno : EIO;
                return -1;
        }
        return 0;
}

int oemkvm_mdev_create(const struct oemkvm_ctx *ctx, const char *parent, const char *type,
                       const char *uuid, struct oemkvm_error *err)
{
        char u[OEMKVM_UUID_SIZE];
        _cleanup_free_ char *pdir = NULL, *path = NULL;
        struct stat st;
        int r, e;

        r = check_parent(parent, err);
        if (r >= 0)
                r = check_type(type, err);
        if (r >= 0)
                r = check_uuid(uuid, u, err);
        if (r < 0)
                return r;
        pdir = sysroot_path(ctx, MDEV_BUS, parent, NULL, NULL, NULL);
        path = sysroot_path(ctx, MDEV_BUS, parent, "mdev_supported_types", type, "create");
        if (!pdir || !path)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        if (stat(pdir, &st) < 0)
                return errno == ENOENT ? parent_missing(parent, pdir, err)
                                       : oemkvm_error_set(err, -errno, "cannot read '%s': %s", pdir, strerror(errno));
        if (attr_write(path, u, &e) == 0)
                return 0;
        if (e == ENOENT)
                return oemkvm_error_set(err, -ENOENT, "mdev parent '%s' has no type '%s' ('%s' does not exist)",
                                        parent, type, path);
        return oemkvm_error_set(err, -e, "creating mdev %s of type %s on %s failed: writing '%s': %s",
                                u, type, parent, path, strerror(e));
}

int oemkvm_mdev_remove(const struct oemkvm_ctx *ctx, const char *uuid, struct oemkvm_error *err)
{
        char u[OEMKVM_UUID_SIZE];
        _cleanup_free_ char *path = NULL;
        int r, e;

        r = check_uuid(uuid, u, err);
        if (r < 0)
                return r;
        path = sysroot_path(ctx, MDEV_DEVICES, u, "remove", NULL, NULL);
        if (!path)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        if (attr_write(path, "1", &e) == 0)
                return 0;
        if (e == ENOENT)
                return oemkvm_error_set(err, -ENOENT, "mdev %s is not active ('%s' does not exist)", u, path);
        return oemkvm_error_set(err, -e, "removing mdev %s failed: writing '%s': %s", u, path, strerror(e));
}

/* Where distributions install mdevctl (Debian: /usr/bin; Fedora: /usr/sbin). */
static const char *const mdevctl_paths[] = {
        "/usr/sbin/mdevctl", "/usr/bin/mdevctl", "/sbin/mdevctl", "/bin/mdevctl",
};

/*
 * mdevctl's stderr as one line; an "(os error N)" in it (Rust's io::Error)
 * is the errno behind the failure.
 */
static int mdevctl_errno(char *text)
{
        const char *p = strstr(text, "(os error ");
        int e = 0;

        for (char *c = text; *c; c++)
                if (*c == '\n' || *c == '\r' || *c == '\t')
                        *c = ' ';
        if (p && sscanf(p, "(os error %d)", &e) == 1 && e > 0 && e < 4096)
                return -e;
        return -EIO;
}

/*
 * Runs `mdevctl start -u UUID -p PARENT` (the parent tells definitions of
 * the same UUID on two parents apart) or `mdevctl stop -u UUID` (stop takes
 * no parent: UUIDs are unique among active devices) with a clean environment.
 */
static int mdevctl_run(const struct oemkvm_ctx *ctx, const char *verb, const char *parent,
                       const char *uuid, const char *config, struct oemkvm_error *err)
{
        static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
        char out[MDEVCTL_ERR_MAX + 1];
        const char *bin = NULL;
        posix_spawn_file_actions_t fa;
        int pipefd[2], status, r;
        size_t len = 0;
        pid_t pid;

        if (strcmp(oemkvm_ctx_get_sysroot(ctx), "/"))
                return oemkvm_error_set(err, -EXDEV,
                                        "'%s' defines mdev %s, but mdevctl acts on this machine only, not on the sysroot '%s'",
                                        config, uuid, oemkvm_ctx_get_sysroot(ctx));
        for (size_t i = 0; i < ARRAY_SIZE(mdevctl_paths) && !bin; i++)
                if (access(mdevctl_paths[i], X_OK) == 0)
                        bin = mdevctl_paths[i];
        if (!bin)
                return oemkvm_error_set(err, -ENOENT,
                                        "'%s' defines mdev %s, but mdevctl is not installed (no /usr/sbin/mdevctl or /usr/bin/mdevctl) — install mdevctl",
                                        config, uuid);

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return oemkvm_error_set(err, -errno, "cannot run mdevctl: %s", strerror(errno));
        r = posix_spawn_file_actions_init(&fa);
        if (r == 0)
                r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        if (r == 0)
                r = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
        if (r == 0) {
                bool with_parent = !strcmp(verb, "start");
                char *const argv[] = { (char *)"mdevctl", (char *)verb, (char *)"-u", (char *)uuid,
                                       with_parent ? (char *)"-p" : NULL, (char *)parent, NULL };

                r = posix_spawn(&pid, bin, &fa, NULL, argv, envp);
        }
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[1]);
        if (r != 0) {
                close(pipefd[0]);
                return oemkvm_error_set(err, -r, "cannot run '%s': %s", bin, strerror(r));
        }

        /* Keep the start of what it says; read to the end so it never blocks. */
        for (;;) {
                char buf[512];
                ssize_t n = read(pipefd[0], buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (len < MDEVCTL_ERR_MAX) {
                        size_t take = (size_t)n < MDEVCTL_ERR_MAX - len ? (size_t)n : MDEVCTL_ERR_MAX - len;

                        memcpy(out + len, buf, take);
                        len += take;
                }
        }
        close(pipefd[0]);
        out[len] = '\0';
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return oemkvm_error_set(err, -errno, "waiting for mdevctl: %s", strerror(errno));
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' '))
                out[--len] = '\0';
        r = mdevctl_errno(out);
        if (WIFEXITED(status))
                return oemkvm_error_set(err, r, "'mdevctl %s -u %s' failed (exit %d): %s", verb, uuid,
                                        WEXITSTATUS(status), len ? out : "(no message)");
        return oemkvm_error_set(err, r, "'mdevctl %s -u %s' was killed by signal %d", verb, uuid,
                                WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int oemkvm_mdev_via(const struct oemkvm_ctx *ctx, const char *parent, const char *type,
                    const char *uuid, enum oemkvm_mdev_via *ret_via, struct oemkvm_error *err)
{
        struct oemkvm_mdev_config cfg = {};
        struct oemkvm_error sub = {};
        _cleanup_free_ char *config = NULL;
        char u[OEMKVM_UUID_SIZE];
        int r;

        r = check_parent(parent, err);
        if (r >= 0)
                r = check_type(type, err);
        if (r >= 0)
                r = check_uuid(uuid, u, err);
        if (r < 0)
                return r;
        r = oemkvm_mdev_config_read(ctx, parent, u, &cfg, &sub);
        if (r == -ENOENT) {
                *ret_via = OEMKVM_MDEV_VIA_SYSFS;
                return 0;
        }
        if (r < 0)
                return oemkvm_error_set(err, r, "%s", sub.message);
        config = sysroot_path(ctx, MDEVCTL_CONFIG, parent, u, NULL, NULL);
        if (!config)
                r = oemkvm_error_set(err, -ENOMEM, "out of memory");
        else if (strcmp(cfg.type, type))
                r = oemkvm_error_set(err, -EINVAL, "'%s' defines mdev %s with type '%s', not '%s'",
                                     config, u, cfg.type, type);
        else
                *ret_via = OEMKVM_MDEV_VIA_MDEVCTL;
        oemkvm_mdev_config_clear(&cfg);
        return r;
}

int oemkvm_mdev_start(const struct oemkvm_ctx *ctx, const char *parent, const char *type,
                      const char *uuid, enum oemkvm_mdev_via via, struct oemkvm_error *err)
{
        struct oemkvm_mdev_type t = {};
        _cleanup_free_ char *config = NULL;
        char u[OEMKVM_UUID_SIZE];
        int r;

        r = check_parent(parent, err);
        if (r >= 0)
                r = check_type(type, err);
        if (r >= 0)
                r = check_uuid(uuid, u, err);
        if (r < 0)
                return r;
        if (via == OEMKVM_MDEV_VIA_SYSFS)
                return oemkvm_mdev_create(ctx, parent, type, u, err);

        config = sysroot_path(ctx, MDEVCTL_CONFIG, parent, u, NULL, NULL);
        if (!config)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        r = oemkvm_mdev_type_read(ctx, parent, type, &t, err);
        /* mdevctl refuses a full type with a message but no errno: say it ourselves. */
        if (r >= 0 && t.available == 0)
                r = oemkvm_error_set(err, -ENOSPC, "mdev type %s on %s has no available instance left",
                                     type, parent);
        if (r >= 0)
                r = mdevctl_run(ctx, "start", parent, u, config, err);
        oemkvm_mdev_type_clear(&t);
        return r < 0 ? r : 0;
}

int oemkvm_mdev_stop(const struct oemkvm_ctx *ctx, const char *parent, const char *uuid,
                     enum oemkvm_mdev_via via, struct oemkvm_error *err)
{
        _cleanup_free_ char *config = NULL, *dev = NULL;
        struct oemkvm_error sub = {};
        char u[OEMKVM_UUID_SIZE];
        int r;

        r = check_parent(parent, err);
        if (r >= 0)
                r = check_uuid(uuid, u, err);
        if (r < 0)
                return r;
        if (via == OEMKVM_MDEV_VIA_SYSFS)
                return oemkvm_mdev_remove(ctx, u, err);
        config = sysroot_path(ctx, MDEVCTL_CONFIG, parent, u, NULL, NULL);
        dev = sysroot_path(ctx, MDEV_DEVICES, u, NULL, NULL, NULL);
        if (!config || !dev)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        r = mdevctl_run(ctx, "stop", parent, u, config, &sub);
        if (r >= 0)
                return r;
        /*
         * mdevctl 1.2 passes on the kernel's ENOENT for a device that is not
         * active, 1.4 only a message (-EIO here): then the device's absence
         * is what says it.
         */
        if (r == -EIO && access(dev, F_OK) < 0 && errno == ENOENT)
                r = -ENOENT;
        if (r == -ENOENT)
                return oemkvm_error_set(err, r, "mdev %s is not active ('%s' does not exist): %s", u, dev, sub.message);
        return oemkvm_error_set(err, r, "%s", sub.message);
}

/* Does the NUL-separated argument list name the device's sysfs path? */
static bool args_name(const char *args, size_t len, const char *needle)
{
        return memmem(args, len, needle, strlen(needle)) != NULL;
}

/* QEMU's `-name guest=NAME[,…]` (or `-name NAME`), ",," standing for a comma. */
static char *qemu_guest_name(const char *args, size_t len)
{
        for (const char *a = args; a < args + len; a += strlen(a) + 1) {
                const char *v = a + strlen(a) + 1, *end;
                char *name, *o;

                if (strcmp(a, "-name") || v >= args + len)
                        continue;
                if (!strncmp(v, "guest=", 6))
                        v += 6;
                name = o = malloc(strlen(v) + 1);
                if (!name)
                        return NULL;
                for (end = v; *end; end++) {
                        if (*end == ',' && end[1] != ',')
                                break;
                        if (*end == ',')
                                end++;
                        *o++ = *end;
                }
                *o = '\0';
                return name;
        }
        return NULL;
}

int oemkvm_mdev_holder(const struct oemkvm_ctx *ctx, const char *uuid, char **ret_name)
{
        _cleanup_free_ char *proc = sysroot_path(ctx, "/proc", NULL, NULL, NULL, NULL);
        char needle[64], u[OEMKVM_UUID_SIZE];
        struct dirent *de;
        char *name = NULL;
        DIR *d;

        if (oemkvm_mdev_uuid_parse(uuid, u) < 0)
                return -EINVAL;
        if (!proc)
                return -ENOMEM;
        snprintf(needle, sizeof(needle), MDEV_DEVICES "/%s", u);
        d = opendir(proc);
        if (!d)
                return -ENOENT;
        while (!name && (de = readdir(d))) {
                _cleanup_free_ char *path = NULL;
                _cleanup_free_ uint8_t *buf = NULL;
                size_t len = 0;

                if (!isdigit((unsigned char)de->d_name[0]))
                        continue;
                path = sysroot_path(ctx, "/proc", de->d_name, "cmdline", NULL, NULL);
                /* A process that ended meanwhile, or a kernel thread: not it. */
                if (!path || read_full_file(path, 256 * 1024, &buf, &len, NULL) < 0 || len == 0)
                        continue;
                if (buf[len - 1] != '\0' || !args_name((const char *)buf, len, needle))
                        continue;
                name = qemu_guest_name((const char *)buf, len);
        }
        closedir(d);
        if (!name)
                return -ENOENT;
        *ret_name = name;
        return 0;
}
