/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the features share about the definition: its <devices>, free
 * target names, and the grammar of the paths a tag may name.  Features call
 * down into this file; it calls no feature.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "domain/domain.h"

xmlNode *patch_devices(struct patch *p)
{
        xmlNode *d = xml_child(p->domain, NULL, "devices");

        if (d)
                return d;
        d = xml_new(NULL, "devices", NULL);
        if (d) {
                xml_append(p->domain, d);
                patch_touch(p);
        }
        return d;
}

int patch_note(struct patch *p, const char *fmt, ...)
{
        char **notes = realloc(p->notes, (p->n_notes + 2) * sizeof(char *));
        va_list ap;
        int r;

        if (!notes)
                return -ENOMEM;
        p->notes = notes;
        va_start(ap, fmt);
        r = vasprintf(&notes[p->n_notes], fmt, ap);
        va_end(ap);
        if (r < 0) {
                notes[p->n_notes] = NULL;
                return -ENOMEM;
        }
        notes[++p->n_notes] = NULL;
        return 0;
}

bool patch_target_used(const struct patch *p, const char *dev)
{
        xml_foreach(d, xml_child(p->domain, NULL, "devices"), NULL, "disk") {
                const xmlNode *t = xml_child(d, NULL, "target");

                if (t && xml_attr_is(t, "dev", dev))
                        return true;
        }
        return false;
}

int patch_free_sd(struct patch *p, char ret[static 8])
{
        for (char c = 'a'; c <= 'z'; c++) {
                snprintf(ret, 8, "sd%c", c);
                if (!patch_target_used(p, ret))
                        return 0;
        }
        return oemkvm_error_set(p->err, -ENOSPC, "virtio: every target name sda…sdz is taken — remove a disk");
}

/* Where no dump or ISO belongs: the kernel's own trees, whose files change
 * under QEMU or are devices. */
static const char *const kernel_trees[] = { "/proc", "/sys", "/dev" };

/* Bytes a path from metadata may not hold: control characters break the
 * one-line messages; a comma splits QEMU's option (`file=…,sig=…`) and '='
 * starts a new key; quotes, '<', '>', '&' and '\\' break the shell
 * commands and AppArmor rules messages hand out; globbing characters would
 * widen the AppArmor rule a path turns into. */
static const char forbidden[] = ",=\"'<>&\\*?[]{}";

int domain_check_path(const char *what, const char *path, struct oemkvm_error *err)
{
        char shown[DOMAIN_SHOWN_MAX];
        size_t len = strlen(path);

        domain_shown(path, shown);
        if (len == 0)
                return oemkvm_error_set(err, -EINVAL, "%s: the path is empty — give the full path", what);
        if (len > DOMAIN_PATH_MAX)
                return oemkvm_error_set(err, -EINVAL, "%s: '%s' is %zu bytes long, more than the %d a path may have — give a shorter path",
                                        what, shown, len, DOMAIN_PATH_MAX);
        for (const char *s = path; *s; s++) {
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        return oemkvm_error_set(err, -EINVAL,
                                                "%s: '%s' holds a control character (byte 0x%02x at offset %zu) — give a plain path",
                                                what, shown, (unsigned char)*s, (size_t)(s - path));
                if (strchr(forbidden, *s))
                        return oemkvm_error_set(err, -EINVAL,
                                                *s == ','
                                                ? "%s: '%s' contains a comma, where QEMU would split its option — use a path without commas"
                                                : "%s: '%s' contains '%c', which oemkvm does not pass to QEMU — use a path without any of , = \" ' < > & \\ * ? [ ] { }",
                                                what, shown, *s);
        }
        if (path[0] != '/')
                return oemkvm_error_set(err, -EINVAL, "%s: '%s' is not an absolute path — give the full path", what, shown);
        for (const char *s = path; (s = strstr(s, "..")); s += 2)
                if (s[-1] == '/' && (s[2] == '/' || s[2] == 0))
                        return oemkvm_error_set(err, -EINVAL, "%s: '%s' has a '..' component — give the path without it", what, shown);
        for (size_t i = 0; i < ARRAY_SIZE(kernel_trees); i++) {
                size_t n = strlen(kernel_trees[i]);

                if (!strncmp(path, kernel_trees[i], n) && (path[n] == '/' || path[n] == 0))
                        return oemkvm_error_set(err, -EINVAL,
                                                "%s: '%s' is in the kernel's %s — keep the file in a directory of your own",
                                                what, shown, kernel_trees[i]);
        }
        return 0;
}

void domain_shown(const char *value, char out[static DOMAIN_SHOWN_MAX])
{
        size_t n = 0;

        for (const char *s = value; *s; s++) {
                if (n + 8 >= DOMAIN_SHOWN_MAX) {
                        strcpy(out + n, "…");
                        return;
                }
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        n += (size_t)snprintf(out + n, DOMAIN_SHOWN_MAX - n, "\\x%02x", (unsigned char)*s);
                else
                        out[n++] = *s;
        }
        out[n] = 0;
}

int domain_read_file(const char *what, const char *path, off_t off, void *buf, size_t len,
                     struct oemkvm_error *err)
{
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        size_t n = 0;

        /* Never opened unless it is a regular file (symlinks followed:
         * it is only read): opening a device node can act on the device.
         * O_NONBLOCK and fstat below: one swapped in since must not hang
         * the hook (and with it the domain's start). */
        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
                return oemkvm_error_set(err, -EINVAL, "%s '%s' is not a regular file", what, path);
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                int r = -errno;

                return oemkvm_error_set(err, r, "%s '%s' %s", what, path,
                                        r == -ENOENT ? "does not exist" : strerror(-r));
        }
        if (fstat(fd, &st) < 0)
                return oemkvm_error_set(err, -errno, "%s '%s': %s", what, path, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return oemkvm_error_set(err, -EINVAL, "%s '%s' is not a regular file", what, path);
        while (n < len) {
                ssize_t k = pread(fd, (char *)buf + n, len - n, off + (off_t)n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return oemkvm_error_set(err, -errno, "%s '%s': %s", what, path, strerror(errno));
                if (k == 0)
                        break;
                n += (size_t)k;
        }
        return (int)n;
}
