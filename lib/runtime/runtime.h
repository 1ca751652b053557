/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The runtime layer's insides: the hook's policy (hook.c) and what its
 * steps share (storelock.c).  Not exported.
 */
#ifndef OEMKVM_RUNTIME_H
#define OEMKVM_RUNTIME_H

#include "oemkvm.h"

/* How long a start waits for another one's refresh before it refuses. */
#define STORE_LOCK_WAIT_MS 30000

/*
 * Takes the store's lock: an exclusive flock(2) on "<store>.lock", next to
 * the store directory (so it survives whatever replaces the directory),
 * created 0600 with its parents when missing, never through a symlink.
 * Waits at most STORE_LOCK_WAIT_MS.  Returns the fd that holds the lock
 * (close it to release), or -errno with one line in err.
 */
int store_lock(const char *store_dir, struct oemkvm_error *err);

#endif
