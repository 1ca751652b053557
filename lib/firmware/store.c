/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The store: the host's license data as QEMU reads it (one file per ACPI
 * table or SMBIOS structure), and the GVT-g UEFI ROM when the user copies
 * one in.  Collecting validates everything before a single byte is
 * written; writing replaces files atomically and only when their bytes
 * changed, so a good dump survives any failure.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "util/util.h"

/* Firmware tables are small; anything larger is not what we think it is. */
#define STORE_FILE_MAX (1024 * 1024)

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
        blob_clear(&dump->msdm);
        blob_clear(&dump->slic);
        blob_clear(&dump->smbios0);
        blob_clear(&dump->smbios1);
}

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

OEMKVM_EXPORT int oemkvm_dump_collect(const struct oemkvm_ctx *ctx, struct oemkvm_dump *ret,
                                      struct oemkvm_error *err)
{
        struct oemkvm_dump d = {};
        int r;

        r = oemkvm_acpi_read(ctx, "MSDM", &d.msdm.data, &d.msdm.len, err);
        if (r < 0)
                goto fail;

        /* A SLIC is optional: most machines sold after 2012 have none. */
        r = oemkvm_acpi_read(ctx, "SLIC", &d.slic.data, &d.slic.len, err);
        if (r == -ENOENT) {
                if (err)
                        *err = (struct oemkvm_error){};
        } else if (r < 0)
                goto fail;

        r = collect_smbios(ctx, &d, err);
        if (r < 0)
                goto fail;

        *ret = d;
        return 0;
fail:
        oemkvm_dump_clear(&d);
        return r;
}

/* Reads dir/name into blob; -ENOENT is returned without a message. */
static int load_file(const char *dir, const char *name, struct oemkvm_blob *blob, char **ret_path,
                     struct oemkvm_error *err)
{
        _cleanup_free_ char *path = path_join(dir, name);
        int r;

        if (!path)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        r = read_full_file(path, STORE_FILE_MAX, &blob->data, &blob->len, err);
        if (r == -ENOENT)
                return r;
        if (r < 0)
                return r;
        *ret_path = TAKE_PTR(path);
        return 0;
}

OEMKVM_EXPORT int oemkvm_dump_load(const char *dir, struct oemkvm_dump *ret, struct oemkvm_error *err)
{
        static const struct {
                const char *name;
                size_t offset;
                const char *acpi_signature;     /* NULL: an SMBIOS structure */
                uint8_t smbios_type;
                bool optional;
        } files[] = {
                { OEMKVM_STORE_MSDM,    offsetof(struct oemkvm_dump, msdm),    "MSDM", 0, false },
                { OEMKVM_STORE_SLIC,    offsetof(struct oemkvm_dump, slic),    "SLIC", 0, true },
                { OEMKVM_STORE_SMBIOS0, offsetof(struct oemkvm_dump, smbios0), NULL,   0, false },
                { OEMKVM_STORE_SMBIOS1, offsetof(struct oemkvm_dump, smbios1), NULL,   1, false },
        };
        struct oemkvm_dump d = {};
        int r = 0;

        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                struct oemkvm_blob *blob = (struct oemkvm_blob *)((char *)&d + files[i].offset);
                _cleanup_free_ char *path = NULL;

                r = load_file(dir, files[i].name, blob, &path, err);
                if (r == -ENOENT) {
                        if (files[i].optional) {
                                r = 0;
                                continue;
                        }
                        r = oemkvm_error_set(err, r, "'%s/%s' is missing — not a complete oemkvm dump; run 'sudo oemkvm dump --output %s' on the machine the license belongs to",
                                             dir, files[i].name, dir);
                }
                if (r < 0)
                        break;

                if (files[i].acpi_signature)
                        r = oemkvm_acpi_parse(blob->data, blob->len, files[i].acpi_signature, path, err);
                else
                        r = oemkvm_smbios_struct_check(blob->data, blob->len, files[i].smbios_type, path, err);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                oemkvm_dump_clear(&d);
                return r;
        }
        *ret = d;
        return 0;
}

/* ---------------------------------------------------------------- writing */

/* A PCI expansion ROM BAR is at most 16 MiB. */
#define GVT_ROM_MAX (16 * 1024 * 1024)

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

/* The user's ROM: a link is followed (it is only read), the result must be a regular file. */
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
        const char *dir = oemkvm_ctx_get_store_dir(ctx);
        struct pending p = { OEMKVM_STORE_GVT_ROM, NULL, "" };
        struct oemkvm_blob rom = {};
        _cleanup_close_ int dirfd = -EBADF;
        int r;

        r = rom_read(path, &rom, err);
        if (r < 0)
                return r;
        sha256_hex(rom.data, rom.len, ret_sha256);
        p.blob = &rom;
        dirfd = open_store_dir(dir, gid, err);
        r = dirfd;
        if (r >= 0 && file_is_current(dirfd, p.name, &rom, gid))
                r = 0;
        else if (r >= 0) {
                r = write_temp(dirfd, dir, &p, gid, err);
                /* renameat replaces a symlink itself, never its target. */
                if (r >= 0 && (renameat(dirfd, p.tmp, dirfd, p.name) < 0 || fsync(dirfd) < 0)) {
                        r = -errno;
                        oemkvm_error_set(err, r, "cannot replace '%s/%s': %s", dir, p.name, strerror(-r));
                }
                if (r < 0 && p.tmp[0])
                        (void)unlinkat(dirfd, p.tmp, 0);
                if (r >= 0)
                        r = 1;
        }
        blob_clear(&rom);
        return r;
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
        bool remove_slic = false;
        int r = 0, changed = 0;

        if (!dump->msdm.data || !dump->smbios0.data || !dump->smbios1.data)
                return oemkvm_error_set(err, -EINVAL, "refusing to write an incomplete dump to '%s'", dir);

        dirfd = open_store_dir(dir, gid, err);
        if (dirfd < 0)
                return dirfd;

        /* Every temp file complete and synced before the first rename. */
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                struct pending *p = &files[i];

                if (!p->blob->data) {
                        /* Only the SLIC is optional: drop a stale one. */
                        remove_slic = faccessat(dirfd, p->name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
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
        if (remove_slic) {
                if (unlinkat(dirfd, OEMKVM_STORE_SLIC, 0) < 0 && errno != ENOENT) {
                        r = -errno;
                        return oemkvm_error_set(err, r, "cannot remove the stale '%s/%s': %s", dir, OEMKVM_STORE_SLIC, strerror(-r));
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
