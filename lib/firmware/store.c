/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The store: the host's license data as QEMU reads it, one file per ACPI
 * table or SMBIOS structure, and the GVT-g UEFI ROM when the user copies
 * one in, in a directory oemkvm creates and marks as its own.  Collecting
 * validates everything before a byte is written.
 *
 * Writing never changes a file in place.  A complete new set is built in a
 * sibling directory (.<name>.oemkvm-…), synced, and swapped in with one
 * renameat2(RENAME_EXCHANGE); the old set, now under the sibling's name, is
 * removed.  The path QEMU opens (<dir>/msdm.bin) never changes and never
 * goes through a symlink (AppArmor checks the resolved path), and whoever
 * resolves it finds the old set or the new one, never a mix.  A failure or
 * a kill at any point leaves one consistent set; the next write removes the
 * sibling a killed one left behind — only directories that carry oemkvm's
 * marker and hold nothing but oemkvm's own names.
 *
 * Reading opens the directory once and every file through that handle
 * (openat), without blocking: a FIFO in the store is refused, not waited on.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "util/util.h"

/* Firmware tables are small; anything larger is not what we think it is. */
#define STORE_FILE_MAX (1024 * 1024)

/* Written first into every set oemkvm builds: what makes a directory ours. */
#define STORE_MARKER OEMKVM_STORE_MARKER
#define STORE_MARKER_TEXT \
        "This directory is an oemkvm license store, written by 'oemkvm dump'.\n" \
        "It is replaced as a whole whenever the firmware's tables change: keep nothing else in it.\n"
/* Siblings being built or taken down: .<name>.oemkvm-<pid>.<n>.<hex> */
#define SIBLING_TAG ".oemkvm-"

/* How long a write waits for another one on the same store (the hook of a
 * second domain starting, the watcher) before it gives up. */
#define LOCK_WAIT_MS 10000

static const struct store_file {
        const char *name;
        size_t offset;                  /* in struct oemkvm_dump */
        const char *acpi_signature;     /* NULL: an SMBIOS structure */
        uint8_t smbios_type;
        bool license;                   /* MSDM, SLIC: each optional, one required */
} store_files[] = {
        { OEMKVM_STORE_MSDM,    offsetof(struct oemkvm_dump, msdm),    "MSDM", 0, true },
        { OEMKVM_STORE_SLIC,    offsetof(struct oemkvm_dump, slic),    "SLIC", 0, true },
        { OEMKVM_STORE_SMBIOS0, offsetof(struct oemkvm_dump, smbios0), NULL,   0, false },
        { OEMKVM_STORE_SMBIOS1, offsetof(struct oemkvm_dump, smbios1), NULL,   1, false },
};

static struct oemkvm_blob *dump_blob(struct oemkvm_dump *d, const struct store_file *f)
{
        return (struct oemkvm_blob *)((char *)d + f->offset);
}

static const struct oemkvm_blob *dump_blob_const(const struct oemkvm_dump *d, const struct store_file *f)
{
        return (const struct oemkvm_blob *)((const char *)d + f->offset);
}

static int blob_copy(struct oemkvm_blob *dst, const uint8_t *data, size_t len)
{
        dst->data = malloc(len);
        if (!dst->data)
                return -ENOMEM;
        memcpy(dst->data, data, len);
        dst->len = len;
        return 0;
}

static void blob_clear(struct oemkvm_blob *b)
{
        free(b->data);
        b->data = NULL;
        b->len = 0;
}

OEMKVM_EXPORT void oemkvm_dump_clear(struct oemkvm_dump *dump)
{
        if (!dump)
                return;
        for (size_t i = 0; i < ARRAY_SIZE(store_files); i++)
                blob_clear(dump_blob(dump, &store_files[i]));
}

static bool dump_complete(const struct oemkvm_dump *d)
{
        return (d->msdm.data || d->slic.data) && d->smbios0.data && d->smbios1.data;
}

/* ---------------------------------------------------------------- collecting */

static int collect_smbios(const struct oemkvm_ctx *ctx, struct oemkvm_dump *d,
                          struct oemkvm_error *err)
{
        static const struct {
                uint8_t type;
                const char *what;
        } wanted[] = {
                { 0, "type 0 (BIOS Information)" },
                { 1, "type 1 (System Information)" },
        };
        struct oemkvm_smbios *smbios = NULL;
        int r;

        r = oemkvm_smbios_read(ctx, &smbios, err);
        if (r < 0)
                return r;

        for (size_t i = 0; i < ARRAY_SIZE(wanted); i++) {
                struct oemkvm_blob *dst = wanted[i].type == 0 ? &d->smbios0 : &d->smbios1;
                const uint8_t *s;
                size_t len;

                r = oemkvm_smbios_find(smbios, wanted[i].type, &s, &len);
                if (r < 0) {
                        r = oemkvm_error_set(err, r, "SMBIOS: the table in '%s/sys/firmware/dmi/tables/DMI' has no %s structure — the guest cannot be given this machine's identity",
                                             strcmp(oemkvm_ctx_get_sysroot(ctx), "/") ? oemkvm_ctx_get_sysroot(ctx) : "",
                                             wanted[i].what);
                        break;
                }
                r = blob_copy(dst, s, len);
                if (r < 0) {
                        oemkvm_error_set(err, r, "out of memory copying SMBIOS %s", wanted[i].what);
                        break;
                }
        }
        oemkvm_smbios_free(smbios);
        return r;
}

/* Reads an optional license table: 0 with nothing when the firmware has none. */
static int collect_acpi(const struct oemkvm_ctx *ctx, const char *signature, struct oemkvm_blob *b,
                        struct oemkvm_error *err)
{
        int r = oemkvm_acpi_read(ctx, signature, &b->data, &b->len, err);

        if (r == -ENOENT) {
                if (err)
                        *err = (struct oemkvm_error){};
                return 0;
        }
        return r;
}

OEMKVM_EXPORT int oemkvm_dump_collect(const struct oemkvm_ctx *ctx, struct oemkvm_dump *ret,
                                      struct oemkvm_error *err)
{
        struct oemkvm_dump d = {};
        int r;

        /* Windows 8+ machines have an MSDM, Vista/7 ones a SLIC, some both;
         * a structurally broken table fails the dump whichever it is. */
        r = collect_acpi(ctx, "MSDM", &d.msdm, err);
        if (r >= 0)
                r = collect_acpi(ctx, "SLIC", &d.slic, err);
        if (r >= 0 && !d.msdm.data && !d.slic.data) {
                _cleanup_free_ char *dir = NULL;

                r = oemkvm_ctx_path(ctx, "/sys/firmware/acpi/tables", &dir);
                if (r >= 0)
                        r = oemkvm_error_set(err, -ENOENT,
                                             "'%s' holds neither an MSDM nor a SLIC table — this machine's firmware carries no OEM Windows license",
                                             dir);
        }
        if (r >= 0)
                r = collect_smbios(ctx, &d, err);
        if (r < 0) {
                oemkvm_dump_clear(&d);
                return r;
        }
        *ret = d;
        return 0;
}

/* ---------------------------------------------------------------- loading */

#define DUMP_HINT "run 'sudo oemkvm dump --output %s' on the machine the license belongs to"

static int load_file(int dfd, const char *dir, const struct store_file *f, struct oemkvm_blob *blob,
                     struct oemkvm_error *err)
{
        _cleanup_free_ char *path = path_join(dir, f->name);
        int r;

        if (!path)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        r = read_full_file_at(dfd, f->name, path, STORE_FILE_MAX, &blob->data, &blob->len, err);
        if (r == -ENOENT)
                return r;               /* the caller knows whether that is fine */
        if (errno_is_denied(r))
                return oemkvm_error_set(err, r,
                                        "cannot read '%s': permission denied — a dump is readable by root and QEMU's group only; run with sudo",
                                        path);
        if (r < 0)
                return r;
        if (f->acpi_signature)
                return oemkvm_acpi_parse(blob->data, blob->len, f->acpi_signature, path, err);
        return oemkvm_smbios_struct_check(blob->data, blob->len, f->smbios_type, path, err);
}

/* Every file of the set through one directory handle: the license
 * tables first (one of the two is required), then the SMBIOS structures. */
static int load_at(int dfd, const char *dir, struct oemkvm_dump *d, struct oemkvm_error *err)
{
        for (int pass = 0; pass < 2; pass++) {
                for (size_t i = 0; i < ARRAY_SIZE(store_files); i++) {
                        const struct store_file *f = &store_files[i];
                        int r;

                        if (f->license != (pass == 0))
                                continue;
                        r = load_file(dfd, dir, f, dump_blob(d, f), err);
                        if (r == -ENOENT && f->license)
                                continue;
                        if (r == -ENOENT)
                                return oemkvm_error_set(err, r, "'%s/%s' is missing — not a complete oemkvm dump; " DUMP_HINT,
                                                        dir, f->name, dir);
                        if (r < 0)
                                return r;
                }
                if (pass == 0 && !d->msdm.data && !d->slic.data)
                        return oemkvm_error_set(err, -ENOENT,
                                                "'%s' holds neither %s nor %s — not a complete oemkvm dump; " DUMP_HINT,
                                                dir, OEMKVM_STORE_MSDM, OEMKVM_STORE_SLIC, dir);
        }
        return 0;
}

/* How often a read restarts on a set replaced under it before it gives up. */
#define LOAD_ATTEMPTS 1000

/* Is the directory behind dfd no longer the one at dir (a write swapped
 * it out, and is taking it down)? */
static bool dir_replaced(int dfd, const char *dir)
{
        struct stat a, b;

        if (fstat(dfd, &a) < 0)
                return false;
        return stat(dir, &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev;
}

OEMKVM_EXPORT int oemkvm_dump_load(const char *dir, struct oemkvm_dump *ret, struct oemkvm_error *err)
{
        /*
         * A write that switches the set while we read takes the old one
         * down, file by file: what we opened may lose files under us.  The
         * set at dir is always whole, so a set that was replaced while we
         * read it is read again — as often as it takes against any writer
         * that ever stops: each retry costs a few small reads, and five
         * were not enough against back-to-back writes on a loaded machine
         * (the unit test's writer, under ASan).
         */
        for (unsigned attempt = 0;; attempt++) {
                _cleanup_close_ int dfd = -EBADF;
                struct oemkvm_dump d = {};
                int r;

                dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);
                if (dfd < 0) {
                        r = -errno;
                        if (r == -ENOENT)
                                return oemkvm_error_set(err, r, "'%s' is missing — no oemkvm dump there; " DUMP_HINT, dir, dir);
                        if (r == -ENOTDIR)
                                return oemkvm_error_set(err, r, "'%s' is not a directory — a dump is a directory written by 'oemkvm dump'", dir);
                        if (errno_is_denied(r))
                                return oemkvm_error_set(err, r,
                                                        "cannot read '%s': permission denied — a dump is readable by root and QEMU's group only; run with sudo",
                                                        dir);
                        return oemkvm_error_set(err, r, "cannot open '%s': %s", dir, strerror(-r));
                }
                r = load_at(dfd, dir, &d, err);
                if (attempt < LOAD_ATTEMPTS && dir_replaced(dfd, dir)) {
                        oemkvm_dump_clear(&d);
                        if (err)
                                *err = (struct oemkvm_error){};
                        continue;
                }
                if (r < 0) {
                        oemkvm_dump_clear(&d);
                        return r;
                }
                *ret = d;
                return 0;
        }
}

/* ---------------------------------------------------------------- writing */

/* A PCI expansion ROM BAR is at most 16 MiB. */
#define GVT_ROM_MAX (16 * 1024 * 1024)

/*
 * What a set holds, as the writer sees it: the dump's files, then the
 * GVT-g ROM `oemkvm gvt rom` copies in — not part of a dump, carried from
 * set to set by a dump, as a dump's files are by a new ROM.
 */
#define SET_FILES (ARRAY_SIZE(store_files) + 1)
#define SET_ROM ARRAY_SIZE(store_files)

static const char *set_name(size_t i)
{
        return i == SET_ROM ? OEMKVM_STORE_GVT_ROM : store_files[i].name;
}

static size_t set_max(size_t i)
{
        return i == SET_ROM ? GVT_ROM_MAX : STORE_FILE_MAX;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

static bool is_store_name(const char *name)
{
        for (size_t i = 0; i < SET_FILES; i++)
                if (!strcmp(name, set_name(i)))
                        return true;
        return false;
}

/* ".msdm.bin.1a2b3c4d": a temp file of the writer before this one, which
 * replaced the files one by one (and left these behind when killed). */
static bool is_legacy_temp_name(const char *name)
{
        size_t n = strlen(name);

        if (n < 11 || name[0] != '.' || name[n - 9] != '.')
                return false;
        for (size_t i = n - 8; i < n; i++)
                if (!strchr("0123456789abcdef", name[i]))
                        return false;
        for (size_t i = 0; i < SET_FILES; i++)
                if (strlen(set_name(i)) == n - 10 && !strncmp(name + 1, set_name(i), n - 10))
                        return true;
        return false;
}

/*
 * The entries of the directory dfd, one call of fn each (not . and ..);
 * stops at the first negative return.
 */
static int dir_each(int dfd, int (*fn)(int dfd, const char *name, void *userdata), void *userdata)
{
        int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        rewinddir(d);
        while (r >= 0) {
                errno = 0;
                de = readdir(d);
                if (!de) {
                        r = errno ? -errno : 0;
                        break;
                }
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                r = fn(dfd, de->d_name, userdata);
        }
        closedir(d);
        return r;
}

/* What an existing output directory holds. */
struct dir_survey {
        bool marker;
        bool data;                      /* a store file or a legacy temp file */
        bool legacy_temp;               /* a temp file of the per-file writer */
        char foreign[256];              /* the first entry that is none of oemkvm's */
};

static int survey_one(int dfd, const char *name, void *userdata)
{
        struct dir_survey *s = userdata;
        struct stat st;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        /* Our names hold files; a directory by one of them is someone's. */
        if (!S_ISDIR(st.st_mode)) {
                if (!strcmp(name, STORE_MARKER)) {
                        s->marker = true;
                        return 0;
                }
                if (is_store_name(name) || is_legacy_temp_name(name)) {
                        s->data = true;
                        s->legacy_temp = s->legacy_temp || is_legacy_temp_name(name);
                        return 0;
                }
        }
        if (!s->foreign[0])
                snprintf(s->foreign, sizeof(s->foreign), "%s", name);
        return 0;
}

static int unlink_ours(int dfd, const char *name, void *userdata)
{
        (void)userdata;
        if (strcmp(name, STORE_MARKER) != 0 && unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

/*
 * Takes down the set `name` in the directory pfd: its files, then the
 * marker, then the directory.  Only a directory that holds nothing but
 * oemkvm's names is touched, and its files only when it carries the
 * marker (which is written first and removed last), so an interrupted
 * removal is finished next time and a user's file is never removed.
 */
static int set_remove(int pfd, const char *name)
{
        _cleanup_close_ int dfd = -EBADF;
        struct dir_survey s = {};
        int r;

        dfd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (dfd < 0)
                return errno == ENOENT ? 0 : -errno;
        r = dir_each(dfd, survey_one, &s);
        if (r < 0)
                return r;
        if (s.foreign[0] || (s.data && !s.marker))
                return -ENOTEMPTY;
        r = dir_each(dfd, unlink_ours, NULL);
        if (r < 0)
                return r;
        if (s.marker && unlinkat(dfd, STORE_MARKER, 0) < 0 && errno != ENOENT)
                return -errno;
        if (unlinkat(pfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

static bool is_sibling_of(const char *name, const char *base)
{
        size_t n = strlen(base);

        return name[0] == '.' && !strncmp(name + 1, base, n) &&
               !strncmp(name + 1 + n, SIBLING_TAG, strlen(SIBLING_TAG));
}

static int leftover_remove(int pfd, const char *name, void *userdata)
{
        const char *base = userdata;

        /* What cannot be removed is not ours to judge: it stays. */
        if (is_sibling_of(name, base))
                (void)set_remove(pfd, name);
        return 0;
}

/* A fresh sibling name: unique per process without help from getrandom(),
 * unpredictable when getrandom() works. */
static void sibling_name(char *buf, size_t size, const char *base, unsigned n)
{
        uint32_t rnd = 0;

        if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
                struct timespec ts = {};

                clock_gettime(CLOCK_MONOTONIC, &ts);
                rnd = (uint32_t)ts.tv_nsec;
        }
        snprintf(buf, size, ".%s%s%ld.%u.%08x", base, SIBLING_TAG, (long)getpid(), n, rnd);
}

/* Creates a file of the new set, complete and synced, 0640 group gid. */
static int set_file_write(int tfd, const char *name, const uint8_t *data, size_t len, gid_t gid)
{
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = openat(tfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        r = write_all(fd, data, len);
        if (r >= 0 && gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) < 0)
                r = -errno;
        if (r >= 0 && fchmod(fd, 0640) < 0)
                r = -errno;
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && close(TAKE_FD(fd)) < 0)
                r = -errno;
        return r;
}

/* Builds the whole new set (blobs[i] for set_name(i); NULL: none) in the
 * sibling directory tfd. */
static int set_build(int tfd, const struct oemkvm_blob *const blobs[SET_FILES], gid_t gid)
{
        int r;

        /* The marker first: whatever is in here from now on may be removed. */
        r = set_file_write(tfd, STORE_MARKER, (const uint8_t *)STORE_MARKER_TEXT,
                           strlen(STORE_MARKER_TEXT), gid);
        for (size_t i = 0; r >= 0 && i < SET_FILES; i++)
                if (blobs[i] && blobs[i]->data)
                        r = set_file_write(tfd, set_name(i), blobs[i]->data, blobs[i]->len, gid);
        if (r >= 0 && gid != (gid_t)-1 && fchown(tfd, (uid_t)-1, gid) < 0)
                r = -errno;
        if (r >= 0 && fchmod(tfd, 0750) < 0)
                r = -errno;
        if (r >= 0 && fsync(tfd) < 0)
                r = -errno;
        return r;
}

/* Does dfd/name hold exactly blob (absent when blob is NULL or has no
 * data), 0640, group gid? */
static bool file_is_current(int dfd, const char *name, const struct oemkvm_blob *blob, size_t max, gid_t gid)
{
        _cleanup_free_ uint8_t *buf = NULL;
        const bool want = blob && blob->data;
        struct stat st;
        size_t len;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT && !want;
        if (!want || !S_ISREG(st.st_mode) || (st.st_mode & 07777) != 0640 ||
            (gid != (gid_t)-1 && st.st_gid != gid) || (size_t)st.st_size != blob->len)
                return false;
        if (read_full_file_at(dfd, name, name, max, &buf, &len, NULL) < 0)
                return false;
        return len == blob->len && memcmp(buf, blob->data, len) == 0;
}

/*
 * A write the caller may not do: said for the store it was writing, not
 * for the sibling or parent the writer happened to touch, nor as the
 * firmware's fault.  where: the directory that denied it.
 */
static int write_denied(struct oemkvm_error *err, int r, const char *dir, const char *where)
{
        return oemkvm_error_set(err, r,
                                "cannot write the store '%s': permission denied on '%s' — run with sudo, or give a directory you may write",
                                dir, where);
}

/* What is where the store goes. */
enum existing {
        EXISTING_NONE,
        EXISTING_EMPTY,                 /* an empty directory: replaced */
        EXISTING_STORE,                 /* a set oemkvm wrote and marked */
        EXISTING_LEGACY,                /* a store of the per-file writer: no marker */
};

static int existing_check(int pfd, const char *base, const char *dir, enum existing *ret,
                          int *ret_fd, struct oemkvm_error *err)
{
        _cleanup_close_ int dfd = -EBADF;
        struct dir_survey s = {};
        struct stat st;
        int r;

        if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                r = -errno;
                if (r != -ENOENT)
                        return oemkvm_error_set(err, r, "cannot stat '%s': %s", dir, strerror(-r));
                *ret = EXISTING_NONE;
                return 0;
        }
        if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode))
                return oemkvm_error_set(err, S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR,
                                        "refusing to write the store into '%s': it is %s — give a directory that is empty, missing or an oemkvm store",
                                        dir, file_type_name(st.st_mode));
        dfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (dfd < 0) {
                r = -errno;
                if (errno_is_denied(r))
                        return write_denied(err, r, dir, dir);
                return oemkvm_error_set(err, r, "cannot open '%s': %s", dir, strerror(-r));
        }
        if (fstat(dfd, &st) < 0)
                return oemkvm_error_set(err, -errno, "cannot stat '%s'", dir);
        /* Whoever else can write there could swap the files under QEMU. */
        if (st.st_mode & S_IWOTH)
                return oemkvm_error_set(err, -EPERM,
                                        "refusing to write the store into '%s': everyone may write there (mode %04o), so its files could be swapped under QEMU — give a directory that is empty, missing or an oemkvm store",
                                        dir, (unsigned)(st.st_mode & 07777));
        if (st.st_uid != 0 && st.st_uid != geteuid())
                return oemkvm_error_set(err, -EPERM,
                                        "refusing to write the store into '%s': it belongs to another user (uid %u) — give a directory that is empty, missing or an oemkvm store",
                                        dir, (unsigned)st.st_uid);
        r = dir_each(dfd, survey_one, &s);
        if (r < 0)
                return oemkvm_error_set(err, r, "cannot list '%s': %s", dir, strerror(-r));
        if (s.foreign[0])
                return oemkvm_error_set(err, -ENOTEMPTY,
                                        "refusing to write the store into '%s': it holds '%s', which is not part of an oemkvm store — give a directory that is empty, missing or an oemkvm store",
                                        dir, s.foreign);
        *ret = s.marker ? EXISTING_STORE : s.data ? EXISTING_LEGACY : EXISTING_EMPTY;
        *ret_fd = TAKE_FD(dfd);
        return 0;
}

/* How many files of the set differ between dfd and blobs (all when there is no set). */
static int files_changed(int dfd, const struct oemkvm_blob *const blobs[SET_FILES], gid_t gid)
{
        int n = 0;

        for (size_t i = 0; i < SET_FILES; i++)
                if (dfd < 0 ? blobs[i] && blobs[i]->data : !file_is_current(dfd, set_name(i), blobs[i], set_max(i), gid))
                        n++;
        return n;
}

/*
 * The files of the set in dfd (-EBADF: none) that the new set keeps as
 * they are: read raw into blobs[i] for each i in [from, to), absent ones
 * left empty.
 */
static int set_carry(int dfd, const char *dir, size_t from, size_t to, struct oemkvm_blob *blobs,
                     struct oemkvm_error *err)
{
        for (size_t i = from; dfd >= 0 && i < to; i++) {
                _cleanup_free_ char *path = path_join(dir, set_name(i));
                struct oemkvm_error sub = {};
                int r;

                if (!path)
                        return oemkvm_error_set(err, -ENOMEM, "out of memory");
                r = read_full_file_at(dfd, set_name(i), path, set_max(i), &blobs[i].data, &blobs[i].len, &sub);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return oemkvm_error_set(err, r, "cannot keep a file of the store in the new one: %s", sub.message);
        }
        return 0;
}

/* Only the directory's own mode or group is off: ours, so fixed in place. */
static int store_dir_fix(int dfd, const char *dir, gid_t gid, struct oemkvm_error *err)
{
        struct stat st;
        int r;

        if (fstat(dfd, &st) < 0)
                return oemkvm_error_set(err, -errno, "cannot stat '%s'", dir);
        if (gid != (gid_t)-1 && st.st_gid != gid && fchown(dfd, (uid_t)-1, gid) < 0) {
                r = -errno;
                return oemkvm_error_set(err, r, "cannot give '%s' to the QEMU group: %s", dir, strerror(-r));
        }
        if ((st.st_mode & 07777) != 0750 && fchmod(dfd, 0750) < 0) {
                r = -errno;
                return oemkvm_error_set(err, r, "cannot make '%s' mode 0750: %s", dir, strerror(-r));
        }
        return 0;
}

/* The pid in a sibling name: .<base>.oemkvm-<pid>.<n>.<hex> */
static pid_t sibling_pid(const char *name, const char *base)
{
        const char *p = name + 1 + strlen(base) + strlen(SIBLING_TAG);
        char *end;
        long pid = strtol(p, &end, 10);

        return end != p && *end == '.' && pid > 0 ? (pid_t)pid : 0;
}

/* An empty sibling a killed parent_create left (its process is gone). */
static int parent_leftover_remove(int gfd, const char *name, void *userdata)
{
        const char *base = userdata;
        pid_t pid;

        if (!is_sibling_of(name, base))
                return 0;
        pid = sibling_pid(name, base);
        /* rmdir: only an empty directory goes, never anyone's files. */
        if (pid > 0 && kill(pid, 0) < 0 && errno == ESRCH)
                (void)unlinkat(gfd, name, AT_REMOVEDIR);
        return 0;
}

/*
 * Creates the directory name in gfd, 0755 from the moment it has its
 * name: made under a sibling name, given its mode, renamed into place —
 * so a kill at any step leaves no directory QEMU cannot enter (the umask
 * may be 077), only an empty sibling the next attempt removes.  0 when it
 * exists (made meanwhile by another writer too).
 */
static int parent_create(int gfd, const char *name)
{
        _cleanup_close_ int fd = -EBADF;
        char tmp[NAME_MAX + 1];
        struct stat st;
        int r;

        if (fstatat(gfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                return 0;
        (void)dir_each(gfd, parent_leftover_remove, (void *)name);
        for (unsigned n = 0;; n++) {
                sibling_name(tmp, sizeof(tmp), name, n);
                if (mkdirat(gfd, tmp, 0700) == 0)
                        break;
                if (errno != EEXIST || n >= 100)
                        return -errno;
        }
        fd = openat(gfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        r = fd < 0 || fchmod(fd, 0755) < 0 ? -errno : 0;
        if (r >= 0 && renameat2(gfd, tmp, gfd, name, RENAME_NOREPLACE) == 0)
                return 0;
        if (r >= 0)
                r = errno == EEXIST ? 0 : -errno;
        (void)unlinkat(gfd, tmp, AT_REMOVEDIR);
        return r;
}

/*
 * Creates the missing parents of dir, each 0755 whatever the umask: QEMU
 * must be able to enter them.  Existing ones are left as they are.
 */
static int parents_create(const char *dir, struct oemkvm_error *err)
{
        _cleanup_free_ char *copy = strdup(dir);

        if (!copy)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        for (char *s = strchr(copy + 1, '/'), *prev = copy; s; prev = s, s = strchr(s + 1, '/')) {
                _cleanup_free_ char *above = NULL;
                _cleanup_close_ int gfd = -EBADF;
                int r;

                if (s == prev + 1)
                        continue;       /* "//" */
                above = strndup(copy, prev > copy ? (size_t)(prev - copy) : 1);
                if (!above)
                        return oemkvm_error_set(err, -ENOMEM, "out of memory");
                *s = '\0';
                gfd = open(above, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                r = gfd < 0 ? -errno : parent_create(gfd, prev + 1);
                if (errno_is_denied(r))
                        r = write_denied(err, r, dir, above);
                else if (r < 0)
                        r = oemkvm_error_set(err, r, "cannot create '%s': %s", copy, strerror(-r));
                *s = '/';
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The one writer per parent directory at a time; bounded, never a hang. */
static int parent_lock(int pfd, const char *parent, struct oemkvm_error *err)
{
        for (int waited = 0;; waited += 20) {
                if (flock(pfd, LOCK_EX | LOCK_NB) == 0)
                        return 0;
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return oemkvm_error_set(err, -errno, "cannot lock '%s': %s", parent, strerror(errno));
                if (waited >= LOCK_WAIT_MS)
                        return oemkvm_error_set(err, -EBUSY,
                                                "another oemkvm has been writing a store in '%s' for %d seconds — try again once it is done",
                                                parent, LOCK_WAIT_MS / 1000);
                nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
        }
}

/* The new set, built beside the old one and swapped in. */
static int set_switch(int pfd, const char *parent, const char *base, const char *dir, enum existing existing,
                      const struct oemkvm_blob *const blobs[SET_FILES], gid_t gid, struct oemkvm_error *err)
{
        _cleanup_close_ int tfd = -EBADF;
        char tmp[NAME_MAX + 1];
        int r;

        for (unsigned n = 0;; n++) {
                sibling_name(tmp, sizeof(tmp), base, n);
                if (mkdirat(pfd, tmp, 0700) == 0)
                        break;
                r = -errno;
                if (errno_is_denied(r))
                        return write_denied(err, r, dir, parent);
                if (r != -EEXIST || n >= 100)
                        return oemkvm_error_set(err, r, "cannot create a directory beside '%s': %s", dir, strerror(-r));
        }
        tfd = openat(pfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (tfd < 0) {
                r = -errno;
                (void)unlinkat(pfd, tmp, AT_REMOVEDIR);
                return oemkvm_error_set(err, r, "cannot open the directory made beside '%s': %s", dir, strerror(-r));
        }
        r = set_build(tfd, blobs, gid);
        if (r < 0) {
                (void)set_remove(pfd, tmp);
                return oemkvm_error_set(err, r, "cannot write the new store beside '%s': %s", dir, strerror(-r));
        }

        if (existing == EXISTING_NONE)
                r = renameat2(pfd, tmp, pfd, base, RENAME_NOREPLACE);
        else
                r = renameat2(pfd, tmp, pfd, base, RENAME_EXCHANGE);
        if (r < 0) {
                r = -errno;
                (void)set_remove(pfd, tmp);
                if (r == -EINVAL)
                        return oemkvm_error_set(err, r,
                                                "cannot switch the store in '%s': its file system cannot exchange two directories atomically (renameat2 RENAME_EXCHANGE) — put the store on a local file system",
                                                dir);
                if (errno_is_denied(r))
                        return write_denied(err, r, dir, parent);
                return oemkvm_error_set(err, r, "cannot switch the store in '%s': %s", dir, strerror(-r));
        }

        /* The switch is done; the old set (if any) now lives under tmp. */
        r = fsync(pfd) < 0 ? -errno : 0;
        (void)set_remove(pfd, tmp);
        if (r < 0)
                return oemkvm_error_set(err, r, "the store in '%s' was switched but cannot be synced to disk: %s",
                                        dir, strerror(-r));
        return 0;
}

/*
 * Writes a new set as the store dir: the dump's files (NULL: carried over
 * from the current set) and the ROM (NULL: carried over).  Returns how
 * many files changed.
 */
static int store_write(const char *dir, gid_t gid, const struct oemkvm_dump *dump,
                       const struct oemkvm_blob *rom, struct oemkvm_error *err)
{
        _cleanup_free_ char *copy = NULL, *parent = NULL;
        _cleanup_close_ int pfd = -EBADF, sfd = -EBADF;
        struct oemkvm_blob carried[SET_FILES] = {};
        const struct oemkvm_blob *blobs[SET_FILES];
        enum existing existing = EXISTING_NONE;
        char *base;
        struct stat st;
        size_t n;
        int r, changed;

        if (dir[0] != '/')
                return oemkvm_error_set(err, -EINVAL, "store directory '%s' is not an absolute path", dir);

        copy = strdup(dir);
        if (!copy)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        for (n = strlen(copy); n > 1 && copy[n - 1] == '/'; n--)
                copy[n - 1] = '\0';
        base = strrchr(copy, '/') + 1;
        if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
                return oemkvm_error_set(err, -EINVAL, "store directory '%s' names no directory of its own", dir);

        parent = strndup(copy, base == copy + 1 ? 1 : (size_t)(base - 1 - copy));
        if (!parent)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0 && errno == ENOENT) {
                r = parents_create(copy, err);
                if (r < 0)
                        return r;
                pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
        if (pfd < 0) {
                r = -errno;
                if (errno_is_denied(r))
                        return write_denied(err, r, copy, parent);
                return oemkvm_error_set(err, r, "cannot open the directory above '%s': %s", copy, strerror(-r));
        }
        if (fstat(pfd, &st) < 0)
                return oemkvm_error_set(err, -errno, "cannot stat the directory above '%s'", copy);
        if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
                return oemkvm_error_set(err, -EPERM,
                                        "refusing to write the store into '%s': everyone may rename entries of the directory above it (mode %04o), so the store could be swapped under QEMU",
                                        copy, (unsigned)(st.st_mode & 07777));

        r = parent_lock(pfd, copy, err);
        if (r < 0)
                return r;
        (void)dir_each(pfd, leftover_remove, (void *)base);

        r = existing_check(pfd, base, copy, &existing, &sfd, err);
        if (r < 0)
                return r;

        for (size_t i = 0; i < ARRAY_SIZE(store_files); i++)
                blobs[i] = dump ? dump_blob_const(dump, &store_files[i]) : &carried[i];
        blobs[SET_ROM] = rom ? rom : &carried[SET_ROM];
        r = set_carry(sfd, copy, dump ? SET_ROM : 0, rom ? SET_ROM : SET_FILES, carried, err);
        if (r < 0)
                goto out;

        changed = files_changed(sfd, blobs, gid);
        if (existing == EXISTING_STORE && changed == 0) {
                struct dir_survey s = {};

                /* Current, unless a file of the per-file writer lies about in it. */
                if (dir_each(sfd, survey_one, &s) >= 0 && !s.legacy_temp) {
                        r = store_dir_fix(sfd, copy, gid, err);
                        goto out;
                }
        }

        if (existing == EXISTING_LEGACY) {
                /* Adopted: marked before it is swapped out, so what a kill
                 * leaves of it is recognised and removed next time. */
                r = set_file_write(sfd, STORE_MARKER, (const uint8_t *)STORE_MARKER_TEXT,
                                   strlen(STORE_MARKER_TEXT), gid);
                if (r < 0 && r != -EEXIST) {
                        r = oemkvm_error_set(err, r, "cannot mark '%s' as an oemkvm store: %s", copy, strerror(-r));
                        goto out;
                }
        }
        r = set_switch(pfd, parent, base, copy, existing, blobs, gid, err);
        if (r >= 0)
                r = changed;
out:
        for (size_t i = 0; i < SET_FILES; i++)
                blob_clear(&carried[i]);
        return r;
}

OEMKVM_EXPORT int oemkvm_dump_write(const struct oemkvm_dump *dump, const char *dir, gid_t gid,
                                    struct oemkvm_error *err)
{
        if (!dump_complete(dump))
                return oemkvm_error_set(err, -EINVAL, "refusing to write an incomplete dump to '%s'", dir);
        return store_write(dir, gid, dump, NULL, err);
}

/* The user's ROM: a link is followed (it is only read), the result must be
 * a regular file; never blocks. */
static int rom_read(const char *path, struct oemkvm_blob *ret, struct oemkvm_error *err)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ uint8_t *buf = NULL;
        struct stat st;
        size_t len = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return oemkvm_error_set(err, -errno, "cannot open '%s': %s", path, strerror(errno));
        if (fstat(fd, &st) < 0)
                return oemkvm_error_set(err, -errno, "cannot stat '%s': %s", path, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return oemkvm_error_set(err, -EINVAL, "'%s' is not a regular file — give the path of vbios_gvt_uefi.rom", path);
        if (st.st_size < 2 || st.st_size > GVT_ROM_MAX)
                return oemkvm_error_set(err, -EINVAL, "'%s' is %lld bytes: not a PCI option ROM (at most 16 MiB)",
                                        path, (long long)st.st_size);
        buf = malloc((size_t)st.st_size);
        if (!buf)
                return oemkvm_error_set(err, -ENOMEM, "out of memory reading '%s'", path);
        while (len < (size_t)st.st_size) {
                ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return oemkvm_error_set(err, n < 0 ? -errno : -EIO, "cannot read '%s': %s", path,
                                                n < 0 ? strerror(errno) : "it shrank while being read");
                len += (size_t)n;
        }
        if (buf[0] != 0x55 || buf[1] != 0xaa)
                return oemkvm_error_set(err, -EINVAL,
                                        "'%s' is not a PCI option ROM (it does not start with 55 AA) — give the path of vbios_gvt_uefi.rom",
                                        path);
        ret->data = TAKE_PTR(buf);
        ret->len = len;
        return 0;
}

OEMKVM_EXPORT int oemkvm_gvt_rom_install(const struct oemkvm_ctx *ctx, const char *path, gid_t gid,
                                         char ret_sha256[65], struct oemkvm_error *err)
{
        struct oemkvm_blob rom = {};
        int r;

        r = rom_read(path, &rom, err);
        if (r < 0)
                return r;
        sha256_hex(rom.data, rom.len, ret_sha256);
        /* A new set: the dump's files as they are, this ROM. */
        r = store_write(oemkvm_ctx_get_store_dir(ctx), gid, NULL, &rom, err);
        blob_clear(&rom);
        return r < 0 ? r : r > 0;
}
