#!/bin/sh
# A real libvirtd and QEMU with a mediated device, inside the mdev guest on
# this machine's root (tests/lib/mdev-guest -H, libvirtd in the namespaces
# of tests/lib/libvirtd-ns there): libvirt does not create an mdev and
# fails the start without it, QEMU realizes an active one as vfio-pci, and
# a destroyed domain leaves it behind.  Then the same with oemkvm: a domain
# tagged <oemkvm:gvt parent="mbochs" type="mbochs-medium" display="none"
# opregion="no"/> and applied starts with a vGPU that did not exist before,
# and virsh destroy ends with it gone (tests/guest/mdev/libvirt.sh).
set -eu
. "$(dirname "$0")/../lib/common.sh"

make_scratch
"$TESTLIB/mdev-guest" -H "$SCRATCH/guest" "$OEMKVM_SRCDIR/tests/guest/mdev/libvirt.sh" ||
        die "libvirt and QEMU do not treat an mdev as expected (output above)"
