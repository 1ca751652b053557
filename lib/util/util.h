/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The bottom layer: helpers every other layer of liboemkvm uses (byte
 * order, cleanup attributes, the error record, whole-file reads, paths).
 * Not exported.
 */
#ifndef OEMKVM_UTIL_H
#define OEMKVM_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/types.h>

#include "oemkvm.h"

#define OEMKVM_EXPORT __attribute__((visibility("default")))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Little-endian reads from byte buffers: no packed-struct casts. */
static inline uint16_t le16(const uint8_t *p)
{
        return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t le32(const uint8_t *p)
{
        return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
               ((uint32_t)p[3] << 24);
}

/* Cleanup attributes, systemd style. */
static inline void freep(void *p)
{
        free(*(void **)p);
}

static inline void closep(int *fd)
{
        if (*fd >= 0)
                close(*fd);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Hand ownership out of a cleanup variable. */
#define TAKE_PTR(p)                          \
        ({                                   \
                __typeof__(p) _tmp_ = (p);   \
                (p) = NULL;                  \
                _tmp_;                       \
        })

#define TAKE_FD(fd)                          \
        ({                                   \
                int _tmp_ = (fd);            \
                (fd) = -EBADF;               \
                _tmp_;                       \
        })

/* -EACCES and -EPERM: not allowed.  The caller phrases why and what to do,
 * for the file it was reading (firmware, the store, qemu.conf, a dump). */
static inline bool errno_is_denied(int r)
{
        return r == -EACCES || r == -EPERM;
}

/* "a FIFO", "a directory", …: what a file is, for messages. */
const char *file_type_name(mode_t mode);

/*
 * Reads a whole file (sysfs files report size 0, so read until EOF), refusing
 * more than max bytes.  Never blocks and never follows a symlink: opened
 * O_NONBLOCK|O_NOFOLLOW, then anything but a regular file (a FIFO, a
 * device) is refused with -EINVAL.  On error, err names path in one line;
 * -EACCES/-EPERM say only "permission denied" (see errno_is_denied).
 * read_full_file_at reads name relative to dirfd; path names it in messages.
 */
int read_full_file_at(int dirfd, const char *name, const char *path, size_t max,
                      uint8_t **ret_buf, size_t *ret_len, struct oemkvm_error *err);
int read_full_file(const char *path, size_t max, uint8_t **ret_buf, size_t *ret_len,
                   struct oemkvm_error *err);

/* malloc'd "a/b" with exactly one slash between. */
char *path_join(const char *a, const char *b);

/* The SHA-256 of data as 64 lowercase hex digits and a NUL. */
void sha256_hex(const uint8_t *data, size_t len, char out[65]);

#endif
