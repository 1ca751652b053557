/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Is a domain transient?  One started with virDomainCreateXML (virt-manager's
 * installer boots a new install that way and defines it only afterwards) has
 * no file in qemu:///system's config directory, <HOOKDIR>/../qemu.  A hook
 * must not ask libvirt (that deadlocks), so the file is what tells.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "host/host.h"
#include "util/util.h"

#ifndef OEMKVM_HOOKDIR
#error "OEMKVM_HOOKDIR must be defined by the build"
#endif

int domain_is_transient(const struct oemkvm_ctx *ctx, const char *name, struct oemkvm_error *err)
{
        const char *hookdir = OEMKVM_HOOKDIR;
        const char *end = strrchr(hookdir, '/');
        _cleanup_free_ char *rel = NULL;
        _cleanup_free_ char *path = NULL;
        struct stat st;
        int r;

        /* libvirt refuses names with '/'; never let one leave the directory. */
        if (strchr(name, '/') || !end)
                return oemkvm_error_set(err, -EINVAL, "domain name '%s' is not a libvirt domain name", name);
        if (asprintf(&rel, "%.*s/qemu/%s.xml", (int)(end - hookdir), hookdir, name) < 0)
                return oemkvm_error_set(err, -ENOMEM, "out of memory");
        r = oemkvm_ctx_path(ctx, rel, &path);
        if (r < 0)
                return oemkvm_error_set(err, r, "cannot build the path of '%s'", rel);
        return stat(path, &st) < 0 && errno == ENOENT;
}
