# shellcheck shell=sh disable=SC2034  # GUEST_* are for the sourcing scripts
# The test guest, shared by the guest tests, the end-to-end tests and the
# demo (sourced after common.sh): build it, boot it under plain QEMU, and
# compare what it saw with what it was given.
. "$TESTLIB/firmware.sh"

# Bounds on one boot under TCG (SeaBIOS ~5 s, OVMF ~10 s on 2 cores); a
# loaded CI machine gets generous slack, a hung guest still fails in time.
GUEST_TIMEOUT=${OEMKVM_GUEST_TIMEOUT:-90}
# vCPUs of the test guest: enough to tell "1 package × N cores" from
# libvirt's default "N packages × 1 core", few enough for TCG on 2 cores.
GUEST_VCPUS=${OEMKVM_GUEST_VCPUS:-2}

# guest_build DIR: DIR/vmlinuz and DIR/initrd.img (tests/lib/guest-initramfs).
guest_build() {
        "$TESTLIB/guest-initramfs" "$1"
}

# fixture_root CASE: the fixture sysroot of CASE (tests/fixtures/roots/CASE,
# or $OEMKVM_FIXTURE_ROOTS/CASE to try a capture of another machine),
# with its expected/ dump; fails if the fixture is missing.
fixture_root() {
        _fr=${OEMKVM_FIXTURE_ROOTS:-$OEMKVM_SRCDIR/tests/fixtures/roots}/$1
        [ -d "$_fr/sys/firmware" ] || die "fixture '$_fr' is missing (no sys/firmware in it)"
        [ -f "$_fr/expected/msdm.bin" ] || [ -f "$_fr/expected/slic.bin" ] ||
                die "fixture '$_fr' has neither expected/msdm.bin nor expected/slic.bin"
        echo "$_fr"
}

# oemkvm_bin: the built oemkvm command, or a clear failure.
oemkvm_bin() {
        [ -x "$OEMKVM_BUILDDIR/oemkvm" ] || die "'$OEMKVM_BUILDDIR/oemkvm' is not built; run make first"
        echo "$OEMKVM_BUILDDIR/oemkvm"
}

# dump_fixture SYSROOT OUT: `oemkvm dump` of a fixture root into OUT.
dump_fixture() {
        "$(oemkvm_bin)" dump --sysroot "$1" --output "$2" ||
                die "'oemkvm dump --sysroot $1 --output $2' failed"
}

# license_args DUMPDIR: the QEMU arguments that hand a dump to the guest,
# as oemkvm's patch writes them into <qemu:commandline>.
license_args() {
        [ ! -f "$1/msdm.bin" ] || printf -- '-acpitable file=%s/msdm.bin ' "$1"
        [ ! -f "$1/slic.bin" ] || printf -- '-acpitable file=%s/slic.bin ' "$1"
        printf -- '-smbios file=%s/smbios_type_0.bin -smbios file=%s/smbios_type_1.bin\n' "$1" "$1"
}

# qemu_direct_boot GUESTDIR LOG QEMU-ARGS...: boots the test guest under
# plain QEMU (TCG, q35, no disks, no NIC), serial console to LOG, and waits
# for it to power off, at most GUEST_TIMEOUT seconds.  Prints the log and
# fails on a timeout or a QEMU error.
qemu_direct_boot() {
        _gd=$1 _log=$2
        shift 2
        require_cmd qemu-system-x86_64 qemu-system-x86
        rm -f "$_log"
        _rc=0
        timeout -k 5 "$GUEST_TIMEOUT" qemu-system-x86_64 -accel tcg -machine q35 -m 256 \
                -nographic -monitor none -nic none -no-reboot \
                -kernel "$_gd/vmlinuz" -initrd "$_gd/initrd.img" \
                -append 'console=ttyS0 loglevel=1 panic=-1' \
                -serial "file:$_log" "$@" </dev/null >"$_log.qemu" 2>&1 || _rc=$?
        if [ $_rc -ne 0 ]; then
                show_log "$_log.qemu" "QEMU output"
                show_log "$_log" "guest serial log"
                [ $_rc -ne 124 ] || die "the guest did not power off within ${GUEST_TIMEOUT}s"
                die "qemu-system-x86_64 failed (exit $_rc)"
        fi
}

# guest_parse LOG DIR: tests/lib/guest-output, printing the log on failure.
guest_parse() {
        "$TESTLIB/guest-output" "$1" "$2" || { show_log "$1" "guest serial log"; return 1; }
}

# _differs WHAT EXPECTED GOT: reports a byte difference readably.
_differs() {
        note "$1: the guest's bytes differ from '$2'"
        bin_to_hex "$2" >"$3.want.hex"
        if [ -f "$3" ]; then bin_to_hex "$3" >"$3.got.hex"; else : >"$3.got.hex"; fi
        diff -u "$3.want.hex" "$3.got.hex" | sed 's/^/    /' >&2 || true
        return 1
}

# guest_check GUESTDIR EXPECTDIR: the guest's MSDM and SLIC (or their
# absence) and SMBIOS type 0/1 structures are byte-identical to
# EXPECTDIR's msdm.bin, slic.bin, smbios_type_0.bin, smbios_type_1.bin,
# with no second table of either signature (the kernel numbers a signature
# it sees twice, and drops a table identical to one it has); with a SLIC,
# the FADT carries the SLIC's OEM ID and OEM table ID.  Reports every
# difference, then fails.
guest_check() {
        _g=$1 _e=$2 _bad=0
        for _t in MSDM SLIC; do
                ! grep -qx "$_t[0-9][0-9]*" "$_g/tables" ||
                        { note "$_t: the guest got more than one: $(grep -x "$_t[0-9]*" "$_g/tables" | tr '\n' ' ')"; _bad=1; }
        done
        if [ -f "$_e/msdm.bin" ]; then
                [ -f "$_g/msdm.bin" ] || { note "MSDM: the guest has none"; _bad=1; }
                [ ! -f "$_g/msdm.bin" ] || cmp -s "$_e/msdm.bin" "$_g/msdm.bin" ||
                        _differs MSDM "$_e/msdm.bin" "$_g/msdm.bin" || _bad=1
        else
                [ ! -f "$_g/msdm.bin" ] || { note "MSDM: the guest has one, none was given"; _bad=1; }
        fi
        if [ -f "$_e/slic.bin" ]; then
                if [ ! -f "$_g/slic.bin" ]; then
                        note "SLIC: the guest has none"; _bad=1
                else
                        cmp -s "$_e/slic.bin" "$_g/slic.bin" || _differs SLIC "$_e/slic.bin" "$_g/slic.bin" || _bad=1
                        # OEM ID (6 bytes at 10) and OEM table ID (8 at 16).
                        _want=$(od -An -tx1 -v -j 10 -N 14 "$_e/slic.bin")
                        _got=$(od -An -tx1 -v -j 10 -N 14 "$_g/facp.bin" 2>/dev/null || true)
                        [ "$_want" = "$_got" ] || { note "FADT: OEM ID/table ID '$_got' are not the SLIC's '$_want'"; _bad=1; }
                fi
        else
                [ ! -f "$_g/slic.bin" ] || { note "SLIC: the guest has one, none was given"; _bad=1; }
        fi
        for _t in 0 1; do
                if [ ! -f "$_g/smbios_type_$_t.bin" ]; then
                        note "SMBIOS type $_t: not in the guest's table"; _bad=1
                else
                        cmp -s "$_e/smbios_type_$_t.bin" "$_g/smbios_type_$_t.bin" ||
                                _differs "SMBIOS type $_t" "$_e/smbios_type_$_t.bin" "$_g/smbios_type_$_t.bin" || _bad=1
                fi
        done
        return $_bad
}

# guest_check_topology GUESTDIR PACKAGES CORES THREADS: the guest OS
# counted PACKAGES packages of CORES cores of THREADS threads each.
guest_check_topology() {
        _want="cpus=$(($2 * $3 * $4)) packages=$2 cores=$(($2 * $3)) threads=$4"
        _got=$(cat "$1/topology")
        [ "$_got" = "$_want" ] || { note "topology: the guest saw '$_got', expected '$_want'"; return 1; }
}
