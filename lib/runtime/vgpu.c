/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vGPU's life around its domain's (<oemkvm:gvt>).  libvirt never starts
 * an mdev for a domain (a start without it fails with "mediated device …
 * not found") and never removes one, so prepare begin starts the device
 * the patched definition names, unless it is active already, and release
 * end stops it again — only when oemkvm started it.
 *
 * What oemkvm started is written to <sysroot>/run/oemkvm/gvt/<domain-uuid>
 * before the device is started and removed after it is stopped: /run is a
 * tmpfs, gone at reboot together with the devices, and a crash between
 * leaves a record of a device oemkvm owns, never an orphan nobody does.
 * A device the user made or started has no record and stays.
 *
 * Starts and stops on one parent hold <sysroot>/run/oemkvm/gvt/lock-<parent>
 * (flock): two domains starting at once never both see the last instance
 * free, and the messages about room describe what really is.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "host/mdev.h"
#include "runtime/vgpu.h"
#include "util/util.h"

#define GVT_RUN_DIR "/run/oemkvm/gvt"
#define NAME_MAX_LEN 256

/* One record: "UUID PARENT TYPE sysfs|mdevctl\nDOMAIN-NAME\n". */
struct vgpu_state {
        char uuid[OEMKVM_UUID_SIZE];
        char parent[80];
        char type[112];
        enum oemkvm_mdev_via via;
        char name[NAME_MAX_LEN];
};

static const char *via_name(enum oemkvm_mdev_via via)
{
        return via == OEMKVM_MDEV_VIA_MDEVCTL ? "mdevctl" : "sysfs";
}

/* <sysroot>/run/oemkvm/gvt, made (0700) when `create`; -ENOENT when it is not there. */
static int run_dir(const struct oemkvm_ctx *ctx, bool create, char **ret, struct oemkvm_error *err)
{
        static const char *const levels[] = { "/run/oemkvm", GVT_RUN_DIR };
        char *path = NULL;
        struct stat st;

        for (size_t i = 0; i < ARRAY_SIZE(levels); i++) {
                free(path);
                if (oemkvm_ctx_path(ctx, levels[i], &path) < 0)
                        return oemkvm_error_set(err, -ENOMEM, "out of memory");
                if (create && mkdir(path, 0700) < 0 && errno != EEXIST) {
                        int r = -errno;

                        oemkvm_error_set(err, r, "cannot make '%s': %s", path, strerror(-r));
                        free(path);
                        return r;
                }
                /* Never through a link someone put there. */
                if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
                        int r = errno == ENOENT ? -ENOENT : -ENOTDIR;

                        if (r != -ENOENT || create)
                                oemkvm_error_set(err, r, "'%s' is not a directory oemkvm made", path);
                        free(path);
                        return r;
                }
        }
        *ret = path;
        return 0;
}

static int lock_parent(const char *dir, const char *parent, int *ret_fd, struct oemkvm_error *err)
{
        _cleanup_free_ char *path = NULL;
        int fd;

        if (asprintf(&path, "%s/lock-%s", dir, parent) < 0)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0)
                return oemkvm_error_set(err, -errno, "cannot open the lock '%s': %s", path, strerror(errno));
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR) {
                        int r = -errno;

                        close(fd);
                        return oemkvm_error_set(err, r, "cannot lock '%s': %s", path, strerror(-r));
                }
        *ret_fd = fd;
        return 0;
}

static int state_parse(const char *buf, size_t len, struct vgpu_state *ret)
{
        struct vgpu_state s = {};
        char via[16];
        const char *nl = memchr(buf, '\n', len), *name, *end;
        char line[512];

        if (!nl || (size_t)(nl - buf) >= sizeof(line))
                return -EBADMSG;
        memcpy(line, buf, (size_t)(nl - buf));
        line[nl - buf] = '\0';
        if (sscanf(line, "%36s %79s %111s %15s", s.uuid, s.parent, s.type, via) != 4 ||
            oemkvm_mdev_uuid_parse(s.uuid, s.uuid) < 0 || !oemkvm_mdev_parent_valid(s.parent) ||
            !oemkvm_mdev_type_valid(s.type))
                return -EBADMSG;
        if (!strcmp(via, "sysfs"))
                s.via = OEMKVM_MDEV_VIA_SYSFS;
        else if (!strcmp(via, "mdevctl"))
                s.via = OEMKVM_MDEV_VIA_MDEVCTL;
        else
                return -EBADMSG;
        name = nl + 1;
        end = memchr(name, '\n', (size_t)(buf + len - name));
        if (!end)
                end = buf + len;
        snprintf(s.name, sizeof(s.name), "%.*s", (int)(end - name), name);
        *ret = s;
        return 0;
}

/* The record at path: -ENOENT when there is none, -EBADMSG when it is not one. */
static int state_read(const char *path, struct vgpu_state *ret)
{
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len = 0;
        int r;

        r = read_full_file(path, 4096, &buf, &len, NULL);
        if (r < 0)
                return r;
        return state_parse((const char *)buf, len, ret);
}

/* Written whole or not at all: a temporary file in the directory, then rename. */
static int state_write(const char *path, const struct vgpu_state *s, struct oemkvm_error *err)
{
        _cleanup_free_ char *tmp = NULL, *text = NULL;
        _cleanup_close_ int fd = -EBADF;
        int n;

        n = asprintf(&text, "%s %s %s %s\n%s\n", s->uuid, s->parent, s->type, via_name(s->via), s->name);
        if (n < 0 || asprintf(&tmp, "%s.tmp", path) < 0)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0 || write(fd, text, (size_t)n) != n || fsync(fd) < 0 || rename(tmp, path) < 0) {
                int r = -errno;

                unlink(tmp);
                return oemkvm_error_set(err, r ? r : -EIO, "cannot record the vGPU in '%s': %s", path,
                                        strerror(r ? -r : EIO));
        }
        return 0;
}

/* ---------------------------------------------------------------- messages */

/* Appends to a list for a message, ", " between items; what does not fit is cut. */
static void __attribute__((format(printf, 3, 4))) appendf(char *out, size_t size, const char *fmt, ...)
{
        size_t n = strlen(out);
        va_list ap;

        if (n && n + 2 < size)
                n += (size_t)snprintf(out + n, size - n, ", ");
        va_start(ap, fmt);
        if (n < size)
                vsnprintf(out + n, size - n, fmt, ap);
        va_end(ap);
}

/* "A (2 left), B (1 left)" for the types of parent with room, or "none". */
static void types_with_room(const struct oemkvm_ctx *ctx, const char *parent, char *out, size_t size)
{
        struct oemkvm_mdev_type *t = NULL;
        size_t n = 0;

        out[0] = '\0';
        if (oemkvm_mdev_types_read(ctx, parent, &t, &n, NULL) >= 0)
                for (size_t i = 0; i < n; i++)
                        if (t[i].available)
                                appendf(out, size, "%s (%u left)", t[i].type, t[i].available);
        oemkvm_mdev_types_free(t, n);
        if (!out[0])
                snprintf(out, size, "none");
}

/* "A, B": every type of parent. */
static void types_of(const struct oemkvm_ctx *ctx, const char *parent, char *out, size_t size)
{
        struct oemkvm_mdev_type *t = NULL;
        size_t n = 0;

        out[0] = '\0';
        if (oemkvm_mdev_types_read(ctx, parent, &t, &n, NULL) >= 0)
                for (size_t i = 0; i < n; i++)
                        appendf(out, size, "%s", t[i].type);
        oemkvm_mdev_types_free(t, n);
        if (!out[0])
                snprintf(out, size, "no type at all");
}

/* The domain oemkvm started device uuid for, from the records in dir. */
static bool recorded_holder(const char *dir, const char *uuid, char *name, size_t size)
{
        struct dirent *de;
        bool found = false;
        DIR *d = opendir(dir);

        while (d && !found && (de = readdir(d))) {
                _cleanup_free_ char *path = NULL;
                struct vgpu_state s;

                if (oemkvm_mdev_uuid_parse(de->d_name, NULL) < 0 || asprintf(&path, "%s/%s", dir, de->d_name) < 0)
                        continue;
                if (state_read(path, &s) == 0 && !strcmp(s.uuid, uuid)) {
                        snprintf(name, size, "%s", s.name);
                        found = true;
                }
        }
        if (d)
                closedir(d);
        return found;
}

/* "d1 (T1), 5c7a… (T2, no running domain)": who holds the vGPUs of parent. */
static void holders_of(const struct oemkvm_ctx *ctx, const char *dir, const char *parent, char *out, size_t size)
{
        struct oemkvm_mdev_device *dev = NULL;
        size_t n = 0;

        out[0] = '\0';
        if (oemkvm_mdev_devices_read(ctx, parent, &dev, &n, NULL) >= 0)
                for (size_t i = 0; i < n; i++) {
                        char name[NAME_MAX_LEN];
                        char *held = NULL;

                        if (recorded_holder(dir, dev[i].uuid, name, sizeof(name)))
                                appendf(out, size, "'%s' (%s)", name, dev[i].type);
                        else if (oemkvm_mdev_holder(ctx, dev[i].uuid, &held) == 0)
                                appendf(out, size, "'%s' (%s)", held, dev[i].type);
                        else
                                appendf(out, size, "%s (%s, in no running domain)", dev[i].uuid, dev[i].type);
                        free(held);
                }
        oemkvm_mdev_devices_free(dev, n);
        if (!out[0])
                snprintf(out, size, "none");
}

static int refuse_full(const struct oemkvm_ctx *ctx, const char *dir, const char *parent, const char *type,
                       const char *why, struct oemkvm_error *err)
{
        char room[160], held[200];

        types_with_room(ctx, parent, room, sizeof(room));
        holders_of(ctx, dir, parent, held, sizeof(held));
        return oemkvm_error_set(err, -ENOSPC,
                                "no room for a vGPU of type %s on %s (%s) — types with room there: %s; vGPUs in use there: %s — stop one of those, or choose a type with room in <oemkvm:gvt type=>",
                                type, parent, why, room, held);
}

/* ---------------------------------------------------------------- steps */

int vgpu_start(const struct oemkvm_ctx *ctx, const char *name, const char *domain_uuid,
               const char *parent, const char *type, const char *uuid, bool *ret_started,
               struct oemkvm_error *err)
{
        _cleanup_free_ char *dir = NULL, *path = NULL;
        _cleanup_close_ int lock = -EBADF;
        struct oemkvm_mdev_device dev = {};
        struct oemkvm_mdev_type t = {};
        struct oemkvm_error sub = {};
        struct vgpu_state old, s = {};
        char list[200];
        int r;

        *ret_started = false;
        if (oemkvm_mdev_uuid_parse(domain_uuid, NULL) < 0 || oemkvm_mdev_uuid_parse(uuid, s.uuid) < 0 ||
            !oemkvm_mdev_parent_valid(parent) || !oemkvm_mdev_type_valid(type))
                return oemkvm_error_set(err, -EINVAL, "the vGPU's parent, type or UUID is not valid");
        r = run_dir(ctx, true, &dir, err);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/%s", dir, domain_uuid) < 0)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        r = lock_parent(dir, parent, &lock, err);
        if (r < 0)
                return r;

        r = oemkvm_mdev_device_read(ctx, s.uuid, &dev, &sub);
        if (r == 0) {
                bool same = !strcmp(dev.parent, parent) && !strcmp(dev.type, type);

                if (!same)
                        r = oemkvm_error_set(err, -EBUSY,
                                             "mdev %s is already active as %s on %s, but <oemkvm:gvt> asks for %s on %s — stop it ('sudo mdevctl stop -u %s') or change the tag",
                                             s.uuid, dev.type, dev.parent, type, parent, s.uuid);
                oemkvm_mdev_device_clear(&dev);
                if (r < 0)
                        return r;
                /* Active: oemkvm's only if this domain's record says so. */
                *ret_started = state_read(path, &old) == 0 && !strcmp(old.uuid, s.uuid);
                if (!*ret_started)
                        unlink(path);
                return 0;
        }
        if (r != -ENOENT)
                return oemkvm_error_set(err, r, "%s", sub.message);
        /* A record of a device that is gone (or of another one): stale. */
        unlink(path);

        r = oemkvm_mdev_type_read(ctx, parent, type, &t, &sub);
        if (r == -ENODEV)
                return oemkvm_error_set(err, r,
                                        "the vGPU's parent %s is not there ('/sys/class/mdev_bus/%s' does not exist) — run 'oemkvm doctor'",
                                        parent, parent);
        if (r == -ENOENT) {
                types_of(ctx, parent, list, sizeof(list));
                return oemkvm_error_set(err, r, "%s has no mdev type %s — it offers %s; change <oemkvm:gvt type=>",
                                        parent, type, list);
        }
        if (r < 0)
                return oemkvm_error_set(err, r, "%s", sub.message);
        r = t.available == 0 ? refuse_full(ctx, dir, parent, type, "available_instances is 0", err) : 0;
        oemkvm_mdev_type_clear(&t);
        if (r < 0)
                return r;

        r = oemkvm_mdev_via(ctx, parent, type, s.uuid, &s.via, &sub);
        if (r < 0)
                return oemkvm_error_set(err, r, "%s", sub.message);
        snprintf(s.parent, sizeof(s.parent), "%s", parent);
        snprintf(s.type, sizeof(s.type), "%s", type);
        snprintf(s.name, sizeof(s.name), "%s", name);
        /* Recorded before acting: whatever happens next, it is known to be oemkvm's. */
        r = state_write(path, &s, err);
        if (r < 0)
                return r;
        r = oemkvm_mdev_start(ctx, parent, type, s.uuid, s.via, &sub);
        if (r < 0) {
                unlink(path);
                /* GVT-g: -ENOSPC ("fail to alloc low gm space"); a driver without a count: -EUSERS. */
                if (r == -ENOSPC || r == -EUSERS)
                        return refuse_full(ctx, dir, parent, type, sub.message, err);
                return oemkvm_error_set(err, r, "cannot start its vGPU: %s", sub.message);
        }
        *ret_started = true;
        return 0;
}

int vgpu_stop(const struct oemkvm_ctx *ctx, const char *domain_uuid, struct oemkvm_error *err)
{
        _cleanup_free_ char *dir = NULL, *path = NULL;
        _cleanup_close_ int lock = -EBADF;
        struct oemkvm_error sub = {};
        struct vgpu_state s;
        int r;

        if (oemkvm_mdev_uuid_parse(domain_uuid, NULL) < 0)
                return oemkvm_error_set(err, -EINVAL, "no valid domain UUID");
        r = run_dir(ctx, false, &dir, err);
        if (r == -ENOENT)
                return 0;       /* oemkvm never started a vGPU on this host since boot */
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/%s", dir, domain_uuid) < 0)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        r = state_read(path, &s);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return oemkvm_error_set(err, r, "'%s' is not a record oemkvm wrote — remove it", path);
        r = lock_parent(dir, s.parent, &lock, err);
        if (r < 0)
                return r;
        r = oemkvm_mdev_stop(ctx, s.parent, s.uuid, s.via, &sub);
        /* Gone already (removed by hand, or never created before a crash): nothing left to do. */
        if (r < 0 && r != -ENOENT)
                return oemkvm_error_set(err, r, "cannot remove the vGPU %s oemkvm started: %s — remove it with 'sudo mdevctl stop -u %s'",
                                        s.uuid, sub.message, s.uuid);
        if (unlink(path) < 0 && errno != ENOENT)
                return oemkvm_error_set(err, -errno, "cannot remove the record '%s': %s", path, strerror(errno));
        return 0;
}
