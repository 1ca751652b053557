#!/bin/sh
# oemkvm gvt.  `types`: for every mdev fixture root (tests/fixtures/mdev),
# the exact stdout, stderr and exit code of `gvt types` and `gvt types
# --json` are kept in tests/cli/golden-gvt/<root>/ (OEMKVM_REGENERATE=1
# rewrites them); a host without mdev says what GVT-g needs.  `rom`: a PCI
# option ROM lands in the store 0640 with QEMU's group, atomically, a file
# other than Intel's known ROM with a one-line warning, anything that is no
# option ROM refused in one line with nothing written.
set -eu
. "$OEMKVM_SRCDIR/tests/lib/cli.sh"
require_root "gvt rom gives the store to QEMU's group"
MDEV_ROOTS=$OEMKVM_SRCDIR/tests/fixtures/mdev
GOLDEN=$OEMKVM_SRCDIR/tests/cli/golden-gvt
regen=${OEMKVM_REGENERATE:-0}

golden() {
        root=$1 name=$2
        shift 2
        dir=$GOLDEN/$root
        rc=0
        "$@" >"$T/out" 2>"$T/err" || rc=$?
        for s in out err; do
                sed -e "s|$OEMKVM_SRCDIR|@SRCDIR@|g" "$T/$s" >"$T/$name.$s"
        done
        echo "$rc" >"$T/$name.exit"
        for s in out err exit; do
                if [ "$regen" = 1 ]; then
                        mkdir -p "$dir"
                        cp "$T/$name.$s" "$dir/$name.$s"
                elif ! diff -u "$dir/$name.$s" "$T/$name.$s" >"$T/diff"; then
                        die "$root: '$*' $s differs from tests/cli/golden-gvt/$root/$name.$s:
$(cat "$T/diff")"
                fi
        done
}

n=0
for r in "$MDEV_ROOTS"/*/; do
        root=$(basename "$r")
        golden "$root" types "$OEMKVM" gvt types --sysroot "$MDEV_ROOTS/$root"
        golden "$root" types-json "$OEMKVM" gvt types --json --sysroot "$MDEV_ROOTS/$root"
        n=$((n + 1))
done
[ "$n" -ge 2 ] || die "only $n mdev fixture roots"
for d in "$GOLDEN"/*/; do
        [ -d "$MDEV_ROOTS/$(basename "$d")" ] || die "tests/cli/golden-gvt/$(basename "$d") has no mdev fixture root"
done

# No mdev core: one line with what GVT-g needs; --json says so with [].
mkdir -p "$T/bare"
run_fail "$OEMKVM" gvt types --sysroot "$T/bare"
expect_one_line "i915.enable_gvt=1"
run_ok "$OEMKVM" gvt types --json --sysroot "$T/bare"
[ "$(cat "$T/stdout")" = "$(printf '[\n]')" ] || die "--json without types: $(cat "$T/stdout")"
run_fail "$OEMKVM" gvt types --sysroot relative/dir
expect_one_line "absolute"

# rom: a real PCI option ROM (iPXE's, as Debian ships it) stands for Intel's.
ROM=$(ipxe_rom efi-e1000.rom)
group=$(sed -n 's/^group *= *"\(.*\)"/\1/p' /etc/libvirt/qemu.conf 2>/dev/null | head -n 1)
group=${group:-libvirt-qemu}
ln -s "$ROM" "$T/link.rom"
run_ok "$OEMKVM" gvt rom --store "$T/store" "$T/link.rom"
dest=$T/store/vbios_gvt_uefi.rom
cmp -s "$ROM" "$dest" || die "the store's ROM is not the file's bytes"
[ "$(stat -c '%a %G' "$dest")" = "640 $group" ] || die "the ROM is $(stat -c '%a %G' "$dest"), expected 640 $group"
[ "$(stat -c '%a' "$T/store")" = 750 ] || die "the store is $(stat -c '%a' "$T/store"), expected 750"
expect_one_line "is not the known vbios_gvt_uefi.rom (sha256 $(sha256sum "$ROM" | cut -d' ' -f1), expected 33e540db0838fd49236087d2cda21f4eaa38672f6b2ac56f45351799858de085); copied anyway"
grep -q "^$dest written (readable by group '$group')$" "$T/stdout" || die "rom: $(cat "$T/stdout")"
grep -q "oemkvm apply --all" "$T/stdout" || die "rom does not say how domains pick it up"
ino=$(stat -c %i "$dest")
run_ok "$OEMKVM" gvt rom --store "$T/store" "$ROM"
grep -q "^$dest is up to date" "$T/stdout" || die "second rom: $(cat "$T/stdout")"
[ "$(stat -c %i "$dest")" = "$ino" ] || die "an unchanged ROM was rewritten"

# Not an option ROM, not a file, not there: one line, nothing written.
printf 'MZ not a ROM' >"$T/notrom"
for bad in "$T/notrom:does not start with 55 AA" "$T:is not a regular file" "$T/missing.rom:cannot open"; do
        run_fail "$OEMKVM" gvt rom --store "$T/store2" "${bad%%:*}"
        expect_one_line "${bad#*:}"
        [ ! -e "$T/store2" ] || die "a refused ROM made the store"
done
if "$OEMKVM" gvt rom >/dev/null 2>"$T/stderr"; then die "gvt rom without FILE succeeded"; else rc=$?; fi
[ "$rc" -eq 2 ] || die "usage error exited $rc"
if "$OEMKVM" gvt frobnicate >/dev/null 2>&1; then die "an unknown gvt verb succeeded"; fi
note "passed: $n mdev roots x 2, rom copied, refused and kept"
