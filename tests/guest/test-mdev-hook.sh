#!/bin/sh
# The hook runs the vGPU's life on the real kernel's mdev core: in the mdev
# guest (tests/lib/mdev-guest, mbochs' budget at 80 MB) the installed
# qemu.d hook is run as libvirt runs it on definitions `oemkvm patch` made
# from <oemkvm:gvt parent="mbochs" …> — created at prepare begin, left
# through start/started/stopped, removed at release end; the user's own
# device used and kept; a full type, a missing parent and a missing type
# refused in one line with nothing created; an mdevctl-defined device
# started and stopped through the real mdevctl; and eight domains starting
# at once on room for five never sharing an instance
# (tests/guest/mdev/hook.sh).
set -eu
. "$(dirname "$0")/../lib/common.sh"

make_scratch
"$TESTLIB/mdev-guest" -m 80 -f "$OEMKVM_SRCDIR/tests/fixtures/hook/win11.xml:/oemkvm-test/win11.xml" \
        "$SCRATCH/guest" "$OEMKVM_SRCDIR/tests/guest/mdev/hook.sh" ||
        die "the hook does not run the vGPU's life as it should (output above)"
