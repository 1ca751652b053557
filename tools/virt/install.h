/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What `oemkvm install` (cmd-install.c) needs beside libvirt: running the
 * tools it reuses (virt-install, qemu-img), telling install media and disk
 * images from other files (media.c), and putting the console in front of
 * the user before the guest runs (console.c).
 */
#ifndef OEMKVM_VIRT_INSTALL_H
#define OEMKVM_VIRT_INSTALL_H

#include <stdbool.h>
#include <libvirt/libvirt.h>

#include "oemkvm.h"

/*
 * Runs argv (argv[0] looked up in PATH), stdin from /dev/null.  With
 * ret_out, stdout is collected (malloc'd, NUL-terminated); stderr is
 * collected either way, and when the command fails (-EIO) or cannot run
 * (-ENOENT), err says so with the command's last stderr line.
 */
int spawn_capture(char *const argv[], char **ret_out, struct oemkvm_error *err);

/* Is cmd an executable in PATH? */
bool spawn_in_path(const char *cmd);

/*
 * -EINVAL with a message naming `what` unless path is an ISO 9660 (or
 * UDF) image — a regular file or a block device (a real CD drive).
 */
int media_check_iso(const char *what, const char *path, struct oemkvm_error *err);

enum disk_kind {
        DISK_NONE,      /* nothing at the path */
        DISK_QCOW2,
        DISK_RAW,       /* a block device, or a whole number of sectors that is no ISO */
};
/* What is at path; -EINVAL with a message when it exists and is no disk image. */
int media_probe_disk(const char *path, enum disk_kind *ret, struct oemkvm_error *err);

/*
 * The console of a domain started paused, in front of the user before it
 * runs: with a display, virt-viewer (or virt-manager) is opened — as the
 * user behind sudo — and the domain resumes once it has connected (or
 * after a minute, or when it quits); on a terminal without one, the user
 * opens it and presses Enter; otherwise it resumes at once.  Returns what
 * virDomainResume returned; says on stdout what it does.
 */
int console_show_and_resume(virDomainPtr dom, const char *uri);

#endif
