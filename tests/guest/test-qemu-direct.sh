#!/bin/sh
# The QEMU side of the dump (issue 2): what `oemkvm dump` writes, handed to
# a real qemu-system-x86_64 with -acpitable/-smbios file= exactly as the
# patch engine does, arrives in the guest byte for byte — MSDM, SLIC (and
# its OEM IDs copied into the FADT), SMBIOS type 0 and type 1 — for an
# SMBIOS 3.0 machine, an SMBIOS 2.x one with a SLIC, and a type 1 without
# strings (the structure that ends in two NULs).  Vendors' blank
# placeholder tables (issue 8) arrive byte for byte too: a SLIC of 0xFF
# next to a key, an MSDM of 0xFF with data length 0xFFFFFFFF, an MSDM of
# zeros next to a SLIC — and a SLIC without any MSDM.
#
# A control boot then hands the guest a type 1 cut the way the popular
# `dmidecode | xxd` recipe cuts it (final NUL missing) and a second MSDM,
# and expects the comparison to fail for both: the check must be able to
# see a broken dump and a second table.  (The second MSDM is another
# machine's: the guest kernel drops a table identical to one it has.)
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTLIB/guest.sh"

make_scratch
guest_build "$SCRATCH/guest"

for case in thinkpad-smbios3 legacy-smbios2-slic type1-nostrings \
            slic-placeholder msdm-placeholder msdm-zero-slic slic-only; do
        root=$(fixture_root "$case")
        dir=$SCRATCH/$case
        dump_fixture "$root" "$dir/dump"
        # shellcheck disable=SC2046  # license_args: words to split, paths without blanks
        qemu_direct_boot "$SCRATCH/guest" "$dir/serial.log" \
                -smp "$GUEST_VCPUS,sockets=1,cores=$GUEST_VCPUS,threads=1" \
                $(license_args "$dir/dump")
        guest_parse "$dir/serial.log" "$dir/guest"
        guest_check "$dir/guest" "$root/expected" || die "$case: the guest did not get the fixture's bytes"
        guest_check_topology "$dir/guest" 1 "$GUEST_VCPUS" 1 || die "$case: wrong topology"
        note "$case: $(cd "$root/expected" && ls msdm.bin slic.bin 2>/dev/null | sed 's/\.bin$//' | tr 'a-z\n' 'A-Z ')SMBIOS 0 and 1 byte-identical in the guest"
done

# The control: the recipe's mistake and a second MSDM must be visible.
root=$(fixture_root thinkpad-smbios3)
bad=$SCRATCH/control
mkdir -p "$bad/dump"
cp "$SCRATCH/thinkpad-smbios3/dump/"*.bin "$bad/dump/"
size=$(wc -c <"$bad/dump/smbios_type_1.bin")
head -c "$((size - 1))" "$SCRATCH/thinkpad-smbios3/dump/smbios_type_1.bin" >"$bad/dump/smbios_type_1.bin"
# shellcheck disable=SC2046  # as above
qemu_direct_boot "$SCRATCH/guest" "$bad/serial.log" $(license_args "$bad/dump") \
        -acpitable "file=$(fixture_root legacy-smbios2-slic)/expected/msdm.bin"
guest_parse "$bad/serial.log" "$bad/guest"
if guest_check "$bad/guest" "$root/expected" 2>"$bad/check.err"; then
        die "control: a type 1 without its final NUL and a second MSDM went unnoticed"
fi
grep -q 'SMBIOS type 1' "$bad/check.err" || { cat "$bad/check.err" >&2; die "control: the truncated type 1 went unnoticed"; }
grep -q 'MSDM: the guest got more than one: MSDM1 MSDM2' "$bad/check.err" ||
        { cat "$bad/check.err" >&2; die "control: the second MSDM went unnoticed"; }
note "control: a truncated type 1 and a second MSDM are caught"
