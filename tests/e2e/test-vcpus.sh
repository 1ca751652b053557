#!/bin/sh
# vCPU changes of a domain tagged with <oemkvm:topology>, each the way a
# user makes it, through a real libvirtd (9.x refuses a maximum that does
# not match the topology):
#  - `virt-xml --edit --vcpus N` alone is refused by libvirt: nothing changes;
#  - `virt-xml --edit --vcpus N,sockets=1,cores=N` and virt-manager's
#    define (1 socket x N cores) are followed: the topology stays oemkvm's;
#  - `virsh setvcpus --config N` (the current count only) leaves it as it is;
#  - an SMT layout within the edition's caps is kept, boots, and follows a
#    later change in its own shape; one beyond the caps is the user's;
#  - removing the tag reverts to what was there for that vCPU count.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTLIB/guest.sh"
. "$TESTLIB/libvirtd-ns"

ns_enter "$@"
require_cmd virt-xml virtinst
make_scratch
ns_firmware "$(fixture_root thinkpad-smbios3)"
ns_start
OEMKVM=$(oemkvm_bin)
OUT=$NS_DIR/out
ERR=$NS_DIR/err

ok() { "$@" >"$OUT" 2>"$ERR" || { cat "$OUT" "$ERR" >&2; die "'$*' failed"; }; }
# (libvirt 11 also writes clusters='1', which says nothing more.)
topology() { virsh dumpxml --inactive "$1" | sed -n "s|.*<topology \(.*\)/>.*|\1|p" | sed "s| clusters='1'||"; }
expect_topology() {
        [ "$(topology "$1")" = "sockets='$2' dies='1' cores='$3' threads='$4'" ] ||
                die "$1: topology $(topology "$1"), expected $2 socket(s) x $3 cores x $4 threads"
}
record() { virsh dumpxml --inactive "$1" | grep '<oemkvm-state:topology' || true; }
expect_oemkvms() {
        record "$1" | grep -q 'owner=' && die "$1: the topology was taken for the user's: $(record "$1")"
        record "$1" | grep -q "vcpus=\"$2\"" || die "$1: the record does not follow $2 vCPUs: $(record "$1")"
}

ns_define v1 bios 2
ok "$OEMKVM" tag v1 --topology pro
expect_topology v1 1 2 1

# virt-xml --vcpus alone: libvirt 9 refuses it, with or without oemkvm.
if virt-xml v1 --edit --vcpus 4 >"$OUT" 2>&1; then
        if [ "$(topology v1)" != "sockets='1' dies='1' cores='4' threads='1'" ]; then
                die "virt-xml --vcpus 4 was accepted with a topology that does not match: $(topology v1)"
        fi
else
        grep -q "topology" "$OUT" || die "virt-xml --vcpus 4 failed for another reason: $(cat "$OUT")"
        expect_topology v1 1 2 1
        ok "$OEMKVM" apply v1
        grep -qx 'v1: up to date' "$OUT" || die "after the refused virt-xml: $(cat "$OUT")"
fi

# The way that works with libvirt 9: the topology comes along, in oemkvm's shape.
virt-xml v1 --edit --vcpus 4,sockets=1,cores=4,threads=1 >"$OUT" 2>&1 || die "virt-xml --vcpus 4,sockets=1,cores=4: $(cat "$OUT")"
ok "$OEMKVM" apply v1
grep -qx 'v1: defined (patched topology)' "$OUT" || die "apply after virt-xml: $(cat "$OUT")"
grep -q "note: domain 'v1': topology follows the new maximum of 4 vCPUs: 1 socket × 4 cores × 1 thread" "$ERR" ||
        die "no word on the topology following: $(cat "$ERR")"
expect_topology v1 1 4 1
expect_oemkvms v1 4

# virt-manager's CPU page: the define carries <vcpu>N</vcpu> and 1 socket x N cores.
virsh dumpxml --inactive v1 |
        sed -e "s|<vcpu placement='static'>4</vcpu>|<vcpu placement='static'>3</vcpu>|" \
            -e "s|cores='4'|cores='3'|" >"$NS_DIR/v1.xml"
virsh define "$NS_DIR/v1.xml" >/dev/null || die "the virt-manager-style define was refused"
ok "$OEMKVM" apply v1
grep -qx 'v1: defined (patched topology)' "$OUT" || die "apply after the virt-manager define: $(cat "$OUT")"
expect_topology v1 1 3 1
expect_oemkvms v1 3

# virsh setvcpus --config N: the current count only; the topology stays.
virsh setvcpus v1 2 --config >/dev/null
virsh dumpxml --inactive v1 | grep -q "<vcpu placement='static' current='2'>3</vcpu>" ||
        die "setvcpus --config did not set the current count: $(virsh dumpxml --inactive v1 | grep '<vcpu')"
ok "$OEMKVM" apply v1
grep -qx 'v1: up to date' "$OUT" || die "apply after setvcpus --config: $(cat "$OUT")"
expect_topology v1 1 3 1

# Untagged: oemkvm added the <cpu> for 2 vCPUs; the count is 3 now, so its
# topology goes rather than one made for another count coming back.
ok "$OEMKVM" tag v1 --remove
grep -qx 'v1: defined (reverted topology)' "$OUT" || die "untag: $(cat "$OUT")"
[ -z "$(topology v1)" ] || die "the topology oemkvm set stayed: $(topology v1)"

# SMT within Pro's caps: kept, and it boots.
ns_define s1 bios 4
virt-xml s1 --edit --vcpus 4,sockets=1,cores=2,threads=2 >"$OUT" 2>&1 || die "virt-xml (SMT): $(cat "$OUT")"
ok "$OEMKVM" tag s1 --topology pro
expect_topology s1 1 2 2
record s1 | grep -q 'threads="2"' || die "the SMT layout is not oemkvm's now: $(record s1)"
ns_boot s1 "$SCRATCH/s1"
# One package of 4 CPUs: whether the guest tells threads from cores
# depends on the CPU model TCG presents (qemu64 has no topoext), not on
# oemkvm.
grep -q '^cpus=4 packages=1 ' "$SCRATCH/s1/topology" || die "the guest saw $(cat "$SCRATCH/s1/topology")"
# A later change in its own shape is followed.
virt-xml s1 --edit --vcpus 8,sockets=1,cores=4,threads=2 >"$OUT" 2>&1 || die "virt-xml (SMT, 8): $(cat "$OUT")"
ok "$OEMKVM" apply s1
grep -qx 's1: defined (patched topology)' "$OUT" || die "apply after the SMT change: $(cat "$OUT")"
expect_topology s1 1 4 2
expect_oemkvms s1 8
# Two sockets by hand are no vCPU change in oemkvm's shape: the user's,
# whatever the tag says next.
virt-xml s1 --edit --vcpus 8,sockets=2,cores=2,threads=2 >"$OUT" 2>&1 || die "virt-xml (2 sockets): $(cat "$OUT")"
ok "$OEMKVM" tag s1 --topology home
expect_topology s1 2 2 2
record s1 | grep -q 'owner="user"' || die "a hand-made 2-socket layout is not the user's: $(record s1)"

note "virt-xml, virt-manager-style and setvcpus vCPU changes keep the topology oemkvm's; SMT within the caps is kept and boots"
