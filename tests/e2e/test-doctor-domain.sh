#!/bin/sh
# oemkvm doctor's questions to a real libvirtd (in a private namespace):
# the daemon's versions, a DOMAIN's tag checked against the host (patched?
# its drivers ISO there and an ISO? its license files readable?), a tag
# with <oemkvm:gvt> making the GVT-g lines count, every tagged domain when
# no DOMAIN is given, an unknown domain, and a daemon that is down — the
# rest of the report still runs.  The host's files come from a fixture
# host (--sysroot, tests/fixtures/mkhosts) so the verdicts do not depend
# on this machine; one run on the live host shows the same answers.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTLIB/guest.sh"
. "$TESTLIB/libvirtd-ns"
require_cmd jq jq

ns_enter "$@"
ns_firmware "$(fixture_root thinkpad-smbios3)"
ns_install_hook
ns_start
OEMKVM=$(oemkvm_bin)
"$OEMKVM" dump >/dev/null || die "oemkvm dump failed"
make_scratch
chmod 0755 "$SCRATCH"
"$OEMKVM_SRCDIR/tests/fixtures/mkhosts" "$SCRATCH/hosts" || die "mkhosts failed"
HOST=$SCRATCH/hosts/whiskeylake-ready
J=$NS_DIR/doctor.json

# doctor ARGS…: `oemkvm doctor --json ARGS…` into $J; sets $rc; the JSON must parse.
doctor() {
        rc=0
        "$OEMKVM" doctor --json "$@" >"$J" 2>"$NS_DIR/doctor.err" || rc=$?
        jq -e . "$J" >/dev/null || die "'doctor $*' printed no JSON: $(cat "$J" "$NS_DIR/doctor.err")"
        [ ! -s "$NS_DIR/doctor.err" ] || die "'doctor $*' wrote on stderr: $(cat "$NS_DIR/doctor.err")"
        if jq -e .ready "$J" >/dev/null; then [ "$rc" = 0 ]; else [ "$rc" = 1 ]; fi ||
                die "'doctor $*' exited $rc, its JSON says ready=$(jq .ready "$J")"
}

# check ID [DOMAIN]: the check's JSON object (one line).
check() {
        jq -c --arg id "$1" --arg dom "${2:-}" \
                '.checks[] | select(.id == $id and ((.domain // "") == $dom))' "$J"
}

# expect ID DOMAIN VERDICT [DETAIL-WORDS [FIX-WORDS]]
expect() {
        c=$(check "$1" "$2")
        [ -n "$c" ] || die "no $1${2:+ for $2} in: $(jq -c '[.checks[] | .id]' "$J")"
        [ "$(printf '%s' "$c" | jq -r .verdict)" = "$3" ] || die "$1${2:+ ($2)}: expected $3, got $c"
        [ -z "${4:-}" ] || printf '%s' "$c" | jq -r .detail | grep -qF -- "$4" || die "$1: the detail lacks '$4': $c"
        [ -z "${5:-}" ] || printf '%s' "$c" | jq -r .fix | grep -qF -- "$5" || die "$1: the fix lacks '$5': $c"
}

libvirt_version=$(virsh version | sed -n 's/^Using library: libvirt \([0-9.]*\).*/\1/p')
qemu_version=$(virsh version | sed -n 's/^Running hypervisor: QEMU \([0-9.]*\).*/\1/p')
[ -n "$libvirt_version" ] && [ -n "$qemu_version" ] || die "virsh version says: $(virsh version)"

# The daemon answers: its versions, no tagged domain yet, GVT-g not wanted; the fixture host is ready.
doctor --sysroot "$HOST" -c "$NS_URI"
[ "$rc" = 0 ] || die "the ready host with a daemon and no domains exited $rc: $(jq -c '.checks[] | select(.verdict == "FAIL")' "$J")"
expect stack.libvirt "" PASS "libvirt $libvirt_version at $NS_URI" 
expect stack.qemu "" PASS "QEMU $qemu_version"
expect gvt.wanted "" N/A "no tagged domain uses <oemkvm:gvt>"

# An untagged DOMAIN: said so, with the command that tags it.
ns_domain_xml d1 efi >"$NS_DIR/d1.xml"
virsh define "$NS_DIR/d1.xml" >/dev/null || die "define d1 failed"
doctor --sysroot "$HOST" d1
expect stack.domain d1 WARN "no <oemkvm:config> tag" "sudo oemkvm tag d1"

# Tagged and applied: patched, its license files readable, its missing drivers ISO a FAIL with the fix.
# `tag` itself refuses an ISO that is not there, so the ISO exists on this
# (namespaced) root while the fixture host doctor reads lacks it.
ISO=/var/lib/libvirt/isos/virtio-win.iso
mkdir -p "${ISO%/*}"
cp "$HOST/var/lib/libvirt/images/virtio-win.iso" "$ISO"
"$OEMKVM" tag d1 --license --virtio="$ISO" >/dev/null || die "oemkvm tag d1 failed"
doctor --sysroot "$HOST" d1
[ "$rc" = 1 ] || die "a domain whose drivers ISO is missing: exit $rc"
expect stack.domain d1 PASS "defined as its tag asks"
expect license.domain-files d1 PASS "msdm.bin"
expect install.virtio-win d1 FAIL "$ISO" "virtio-win.iso"
mkdir -p "$HOST${ISO%/*}"
cp "$ISO" "$HOST$ISO"
doctor --sysroot "$HOST" d1
[ "$rc" = 0 ] || die "d1 with its ISO in place: exit $rc: $(jq -c '.checks[] | select(.verdict == "FAIL")' "$J")"
expect install.virtio-win d1 PASS "ISO 9660"

# A tag changed behind oemkvm's back (no watcher runs here): the hook would refuse it.
virsh metadata --config d1 --uri urn:oemkvm:domain:1 --key oemkvm \
        --set '<config><license/><topology edition="pro"/><virtio drivers="'"$ISO"'"/></config>' >/dev/null ||
        die "virsh metadata failed"
doctor --sysroot "$HOST" d1
[ "$rc" = 1 ] || die "an unpatched d1: exit $rc"
expect stack.domain d1 FAIL "does not match its tag" "sudo oemkvm apply d1"
"$OEMKVM" apply d1 >/dev/null || die "oemkvm apply d1 failed"

# <oemkvm:gvt> in a tag makes the GVT-g lines count, for that DOMAIN and for the host as a whole.
ns_domain_xml d2 bios >"$NS_DIR/d2.xml"
virsh define "$NS_DIR/d2.xml" >/dev/null || die "define d2 failed"
virsh metadata --config d2 --uri urn:oemkvm:domain:1 --key oemkvm \
        --set '<config><license/><gvt parent="0000:00:02.0" type="i915-GVTg_V5_4"/></config>' >/dev/null ||
        die "virsh metadata d2 failed"
"$OEMKVM" apply d2 >/dev/null 2>&1 || die "oemkvm apply d2 failed"
for args in "d2" ""; do
        # shellcheck disable=SC2086
        doctor --sysroot "$SCRATCH/hosts/guc-no-gvt" -c "$NS_URI" $args
        [ "$rc" = 1 ] || die "doctor ${args:-(all tagged)} on the GuC host: exit $rc"
        expect gvt.wanted "" PASS "domain 'd2' uses <oemkvm:gvt>"
        expect gvt.enable_gvt "" FAIL "enable_gvt=N" "i915.enable_gvt=1"
        expect stack.libvirt "" PASS "needs <qemu:override> (libvirt 8.2)"
done
# Every tagged domain, none of the untagged ones.
[ "$(jq -r '[.checks[] | select(.id == "stack.domain") | .domain] | join(" ")' "$J")" = "d1 d2" ] ||
        die "doctor without DOMAIN checked: $(jq -c '[.checks[] | select(.id == "stack.domain") | .domain]' "$J")"

# A DOMAIN libvirt does not know.
doctor --sysroot "$HOST" nosuch
[ "$rc" = 1 ] || die "an unknown domain: exit $rc"
expect stack.domain nosuch FAIL "no domain 'nosuch'" "list --all"

# The live host (no --sysroot): the same answers from the daemon.
doctor d1
expect stack.libvirt "" PASS "libvirt $libvirt_version"
expect stack.domain d1 PASS

# The daemon down: said so, the rest still runs; fatal only when a DOMAIN was asked about.
_stop_pidfile /run/libvirt/libvirtd.pid
doctor --sysroot "$HOST" -c "$NS_URI"
[ "$rc" = 0 ] || die "no daemon and no DOMAIN: exit $rc: $(jq -c '.checks[] | select(.verdict == "FAIL")' "$J")"
expect stack.libvirt "" WARN "no answer from $NS_URI" "systemctl start libvirtd"
expect stack.qemu "" N/A
expect license.msdm "" PASS
doctor --sysroot "$HOST" d1
[ "$rc" = 1 ] || die "no daemon with a DOMAIN: exit $rc"
expect stack.libvirt "" FAIL
expect stack.domain d1 FAIL "libvirt did not answer"
note passed
