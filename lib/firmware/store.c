/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The store: the host's license data as QEMU reads it (one file per ACPI
 * table or SMBIOS structure).  Collecting validates everything before a
 * single byte is written; writing replaces files atomically and only when
 * their bytes changed, so a good dump survives any failure.  Reading opens
 * the directory once and every file through that handle (openat), without
 * blocking: a FIFO in the store is refused, not waited on.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "util/util.h"

/* Firmware tables are small; anything larger is not what we think it is. */
#define STORE_FILE_MAX (1024 * 1024)

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
         * read it is read again.
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
                if (attempt < 5 && dir_replaced(dfd, dir)) {
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

struct pending {
        const char *name;
        const struct oemkvm_blob *blob;
        char tmp[64];                   /* temp name in dir, "" when none */
};

/* Does dirfd/name already hold exactly these bytes with the right owner and mode? */
static bool file_is_current(int dirfd, const char *name, const struct oemkvm_blob *blob, gid_t gid)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ uint8_t *buf = NULL;
        struct stat st;
        ssize_t n;

        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return false;
        if ((st.st_mode & 07777) != 0640 || (gid != (gid_t)-1 && st.st_gid != gid))
                return false;
        if ((size_t)st.st_size != blob->len)
                return false;
        buf = malloc(blob->len + 1);
        if (!buf)
                return false;
        n = read(fd, buf, blob->len + 1);
        return n == (ssize_t)blob->len && memcmp(buf, blob->data, blob->len) == 0;
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

/* Writes a complete, synced temp file next to the target; fills p->tmp. */
static int write_temp(int dirfd, const char *dir, struct pending *p, gid_t gid,
                      struct oemkvm_error *err)
{
        _cleanup_close_ int fd = -EBADF;
        int r;

        for (unsigned attempt = 0;; attempt++) {
                uint32_t rnd = attempt;

                /* Unpredictable names: the directory may be shared with QEMU's group. */
                (void)getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK);
                rnd ^= attempt;

                snprintf(p->tmp, sizeof(p->tmp), ".%s.%08x", p->name, rnd);
                fd = openat(dirfd, p->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd >= 0)
                        break;
                if (errno != EEXIST || attempt > 100) {
                        r = -errno;
                        p->tmp[0] = '\0';
                        return oemkvm_error_set(err, r, "cannot create a temporary file in '%s': %s", dir, strerror(-r));
                }
        }

        r = write_all(fd, p->blob->data, p->blob->len);
        if (r >= 0 && gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) < 0)
                r = -errno;
        if (r >= 0 && fchmod(fd, 0640) < 0)
                r = -errno;
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r < 0)
                return oemkvm_error_set(err, r, "cannot write '%s/%s': %s", dir, p->name, strerror(-r));
        return 0;
}

static int mkdir_parents(const char *dir)
{
        _cleanup_free_ char *copy = strdup(dir);

        if (!copy)
                return -ENOMEM;
        for (char *s = copy + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(copy, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        return 0;
}

/* Opens dir (creating it 0750), refusing a symlink, and fixes its mode and group. */
static int open_store_dir(const char *dir, gid_t gid, struct oemkvm_error *err)
{
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        if (dir[0] != '/')
                return oemkvm_error_set(err, -EINVAL, "store directory '%s' is not an absolute path", dir);

        r = mkdir_parents(dir);
        if (r < 0)
                return oemkvm_error_set(err, r, "cannot create the parents of '%s': %s", dir, strerror(-r));
        if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
                r = -errno;
                return oemkvm_error_set(err, r, "cannot create '%s': %s", dir, strerror(-r));
        }

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                r = -errno;
                if (r == -ELOOP || r == -ENOTDIR)
                        return oemkvm_error_set(err, r, "refusing to write into '%s': it is a symbolic link or not a directory", dir);
                return oemkvm_error_set(err, r, "cannot open '%s': %s", dir, strerror(-r));
        }
        if (fstat(fd, &st) < 0)
                return oemkvm_error_set(err, -errno, "cannot stat '%s'", dir);
        if (gid != (gid_t)-1 && st.st_gid != gid && fchown(fd, (uid_t)-1, gid) < 0) {
                r = -errno;
                return oemkvm_error_set(err, r, "cannot give '%s' to the QEMU group: %s", dir, strerror(-r));
        }
        if ((st.st_mode & 07777) != 0750 && fchmod(fd, 0750) < 0) {
                r = -errno;
                return oemkvm_error_set(err, r, "cannot make '%s' mode 0750: %s", dir, strerror(-r));
        }
        return TAKE_FD(fd);
}

OEMKVM_EXPORT int oemkvm_dump_write(const struct oemkvm_dump *dump, const char *dir, gid_t gid,
                                    struct oemkvm_error *err)
{
        struct pending files[] = {
                { OEMKVM_STORE_MSDM,    &dump->msdm,    "" },
                { OEMKVM_STORE_SLIC,    &dump->slic,    "" },
                { OEMKVM_STORE_SMBIOS0, &dump->smbios0, "" },
                { OEMKVM_STORE_SMBIOS1, &dump->smbios1, "" },
        };
        _cleanup_close_ int dirfd = -EBADF;
        bool stale[ARRAY_SIZE(files)] = {};
        int r = 0, changed = 0;

        if (!dump_complete(dump))
                return oemkvm_error_set(err, -EINVAL, "refusing to write an incomplete dump to '%s'", dir);

        dirfd = open_store_dir(dir, gid, err);
        if (dirfd < 0)
                return dirfd;

        /* Every temp file complete and synced before the first rename. */
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                struct pending *p = &files[i];

                if (!p->blob->data) {
                        /* MSDM or SLIC, whichever the firmware lacks: drop a stale one. */
                        stale[i] = faccessat(dirfd, p->name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
                        continue;
                }
                if (file_is_current(dirfd, p->name, p->blob, gid))
                        continue;
                r = write_temp(dirfd, dir, p, gid, err);
                if (r < 0)
                        goto rollback;
        }

        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                struct pending *p = &files[i];

                if (!p->tmp[0])
                        continue;
                /* renameat replaces a symlink itself, never its target. */
                if (renameat(dirfd, p->tmp, dirfd, p->name) < 0) {
                        r = -errno;
                        oemkvm_error_set(err, r, "cannot replace '%s/%s': %s", dir, p->name, strerror(-r));
                        goto rollback;
                }
                p->tmp[0] = '\0';
                changed++;
        }
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                if (!stale[i])
                        continue;
                if (unlinkat(dirfd, files[i].name, 0) < 0 && errno != ENOENT) {
                        r = -errno;
                        return oemkvm_error_set(err, r, "cannot remove the stale '%s/%s': %s", dir, files[i].name, strerror(-r));
                }
                changed++;
        }
        if (changed > 0 && fsync(dirfd) < 0) {
                r = -errno;
                return oemkvm_error_set(err, r, "cannot sync '%s': %s", dir, strerror(-r));
        }
        return changed;

rollback:
        for (size_t i = 0; i < ARRAY_SIZE(files); i++)
                if (files[i].tmp[0])
                        (void)unlinkat(dirfd, files[i].tmp, 0);
        return r;
}
