#!/bin/sh
# oemkvm doctor on the real kernel's mdev core: in the mdev guest on this
# machine's root (tests/lib/mdev-guest -H, mbochs with an 80 MB budget, a
# real libvirtd there), doctor reads mbochs' types and their room as the
# kernel reports them for a domain tagged with <oemkvm:gvt>
# (tests/guest/mdev/doctor.sh).
set -eu
. "$(dirname "$0")/../lib/common.sh"

make_scratch
"$TESTLIB/mdev-guest" -H -m 80 "$SCRATCH/guest" "$OEMKVM_SRCDIR/tests/guest/mdev/doctor.sh" ||
        die "doctor does not read the kernel's mdev types as expected (output above)"
