#!/bin/sh
# liboemkvm's mdev code (lib/host/mdev.c) on the real kernel's mdev core:
# the C program tests/guest/mdev/mdev-kernel.c runs in the mdev guest
# (tests/lib/mdev-guest) with mbochs' budget at 80 MB — types as the kernel
# lists them, create/active/remove, -ENOSPC for a full type and -EEXIST for
# a UUID in use, and devices defined by the real mdevctl started and
# stopped through it, so `mdevctl list` stays true.
set -eu
. "$(dirname "$0")/../lib/common.sh"

bin=$OEMKVM_BUILDDIR/tests/guest/mdev-kernel
[ -x "$bin" ] || die "'$bin' is not built; run 'make check-guest'"
make_scratch
"$TESTLIB/mdev-guest" -m 80 -f "$bin:/oemkvm-test/mdev-kernel" "$SCRATCH/guest" \
        "$OEMKVM_SRCDIR/tests/guest/mdev/lib.sh" ||
        die "liboemkvm's mdev code fails on the real kernel (output above)"
