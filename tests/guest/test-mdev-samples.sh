#!/bin/sh
# The real kernel's mdev core in the test guest (tests/lib/mdev-guest):
# mbochs and mtty built from Debian's kernel source load, and the sysfs
# interface behaves as oemkvm's GVT-g support expects of GVT-g itself —
# types with name/description/device_api/available_instances, create by
# writing a UUID, remove by writing 1, one budget shared by mbochs' types
# so a full type refuses create with ENOSPC (GVT-g's -28), and mdevctl's
# definitions and start/stop (tests/guest/mdev/samples.sh).
set -eu
. "$(dirname "$0")/../lib/common.sh"

make_scratch
"$TESTLIB/mdev-guest" -m 80 "$SCRATCH/guest" "$OEMKVM_SRCDIR/tests/guest/mdev/samples.sh" ||
        die "the mdev core does not behave as expected (output above)"
