#!/bin/sh
# oemkvm install's argument checks that need no libvirt (the rest, against
# a real libvirtd, is tests/e2e/test-install-args.sh): each bad argument is
# one "oemkvm: " line and nothing on stdout — usage errors exit 2, bad
# files 1 — found before any connection is tried (the URI below leads
# nowhere).  Runs under ASan/UBSan too, through the plugin.
set -eu
. "$OEMKVM_SRCDIR/tests/lib/cli.sh"
require_cmd xorriso xorriso

mkdir "$T/medium"
echo "stands in for the Windows medium" >"$T/medium/README"
xorriso -as mkisofs -quiet -o "$T/win.iso" "$T/medium" 2>/dev/null
echo "not a CD" >"$T/notes.txt"
truncate -s 1M "$T/raw.img"
NOWHERE="-c test:///nowhere/at/all"

run_ok "$OEMKVM" --help
grep -q '^  install  ' "$T/stdout" || die "'oemkvm --help' does not list install"
run_ok "$OEMKVM" install --help
grep -q -- '--iso FILE' "$T/stdout" || die "'oemkvm install --help' does not describe --iso"

# exits CODE CMD…: fails with exit CODE and one "oemkvm: " line.
exits() {
        want=$1
        shift
        set +e
        "$@" >"$T/stdout" 2>"$T/stderr"
        rc=$?
        set -e
        [ "$rc" -eq "$want" ] || die "'$*' exited $rc, want $want: $(cat "$T/stderr")"
        [ ! -s "$T/stdout" ] || die "'$*' printed on stdout: $(cat "$T/stdout")"
}

exits 2 "$OEMKVM" install
expect_one_line "usage: oemkvm install NAME --iso WINDOWS.iso"
exits 2 "$OEMKVM" install w
expect_one_line "usage: oemkvm install"
exits 2 "$OEMKVM" install w x --iso "$T/win.iso"
expect_one_line "usage: oemkvm install"
exits 2 "$OEMKVM" install w --iso "$T/win.iso" --print-xml --dry-run
expect_one_line "usage: oemkvm install"
exits 2 "$OEMKVM" install w/x --iso "$T/win.iso"
expect_one_line "'w/x' is not a domain name"
for bad in 0 -1 2x 99999 ""; do
        exits 2 "$OEMKVM" install w --iso "$T/win.iso" --vcpus "$bad"
        expect_one_line "--vcpus '$bad': expected a whole number from 1 to 4096"
done
exits 2 "$OEMKVM" install w --iso "$T/win.iso" --memory 1.5
expect_one_line "--memory '1.5': expected a whole number"
exits 2 "$OEMKVM" install w --iso "$T/win.iso" --disk 0
expect_one_line "--disk '0': expected a whole number from 1 to 65536"
exits 2 "$OEMKVM" install w --iso "$T/win.iso" --disk "$T/a,b.qcow2"
expect_one_line "the path contains ','"
exits 2 "$OEMKVM" install w --iso "$T/win.iso" --edition ultimate
expect_one_line "--edition: <oemkvm:topology edition='ultimate'>: the edition is one of home, pro, education, enterprise, workstations"
exits 2 "$OEMKVM" install w --iso "$T/win.iso" --virt-type xen
expect_one_line "--virt-type 'xen': it is kvm (hardware acceleration) or qemu (none)"
exits 2 "$OEMKVM" install w --iso "$T/win.iso" --disk 20 --reuse-disk
expect_one_line "--reuse-disk needs --disk PATH"
exits 2 "$OEMKVM" install w --iso "$T/win.iso" --rom "$T/notes.txt"
expect_one_line "--rom is the vGPU's option ROM: it goes with --gvt TYPE"
for opt in --name=x --memory -c --cdrom=/x.iso --disk --osinfo --print-xml --transient; do
        exits 2 "$OEMKVM" install w --iso "$T/win.iso" -- --graphics vnc "$opt"
        expect_one_line "'$opt' after '--' is oemkvm install's to set"
done

# $NOWHERE would fail if it were reached: these are found first.
# shellcheck disable=SC2086
exits 1 "$OEMKVM" install w --iso "$T/missing.iso" $NOWHERE
expect_one_line "--iso '$T/missing.iso': No such file or directory"
# shellcheck disable=SC2086
exits 1 "$OEMKVM" install w --iso "$T/notes.txt" $NOWHERE
expect_one_line "--iso '$T/notes.txt' is not an ISO 9660 image"
# shellcheck disable=SC2086
exits 1 "$OEMKVM" install w --iso "$T/medium" $NOWHERE
expect_one_line "--iso '$T/medium' is not a file"
# shellcheck disable=SC2086
exits 1 "$OEMKVM" install w --iso "$T/win.iso" --virtio-win "$T/notes.txt" $NOWHERE
expect_one_line "--virtio-win '$T/notes.txt' is not an ISO 9660 image"
# shellcheck disable=SC2086
exits 1 "$OEMKVM" install w --iso "$T/win.iso" --disk "$T/notes.txt" $NOWHERE
expect_one_line "--disk '$T/notes.txt' exists and is not a disk image"
# shellcheck disable=SC2086
exits 1 "$OEMKVM" install w --iso "$T/win.iso" --disk "$T/win.iso" $NOWHERE
expect_one_line "--disk '$T/win.iso' exists and is not a disk image"
# shellcheck disable=SC2086
exits 1 "$OEMKVM" install w --iso "$T/win.iso" --disk "$T/raw.img" $NOWHERE
expect_one_line "--disk '$T/raw.img' is an existing disk image: add --reuse-disk"
# No mdev parent on this machine (nor in the guest tests' hosts).
# shellcheck disable=SC2086
exits 1 "$OEMKVM" install w --iso "$T/win.iso" --gvt i915-GVTg_V5_4 $NOWHERE
expect_one_line "--gvt 'i915-GVTg_V5_4': this host offers no vGPU types at all"
# shellcheck disable=SC2086
exits 1 "$OEMKVM" install w --iso "$T/win.iso" --gvt i915-GVTg_V5_4 --rom "$T/missing.rom" $NOWHERE
expect_one_line "--rom: No such file or directory"
# shellcheck disable=SC2086
exits 1 "$OEMKVM" install w --iso "$T/win.iso" --disk "$T/new.qcow2" --reuse-disk $NOWHERE
expect_one_line "--reuse-disk: '$T/new.qcow2' does not exist"
