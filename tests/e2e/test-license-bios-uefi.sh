#!/bin/sh
# The main flow of issue 4 against a real libvirtd and QEMU, SeaBIOS and
# UEFI: hook installed, watcher running, a tiny domain defined and tagged
# with `virsh metadata --config`; the watcher patches it, the hook lets it
# start, and the guest finds the fixture laptop's MSDM, SLIC (with its OEM
# IDs in the FADT — OVMF rebuilds the ACPI tables itself), SMBIOS type 0
# and type 1 byte for byte, on 1 package of N cores.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTLIB/guest.sh"
. "$TESTLIB/libvirtd-ns"
. "$TESTLIB/e2e.sh"
ns_enter "$@"
make_scratch

root=$(fixture_root legacy-smbios2-slic)
e2e_setup "$root"
ns_start_watcher

for fw in bios efi; do
        ns_define "lic-$fw" "$fw"
        e2e_patched "lic-$fw" && die "lic-$fw is patched before it was tagged"
        e2e_tag "lic-$fw"
        e2e_wait_patched "lic-$fw"
        ns_boot "lic-$fw" "$SCRATCH/$fw"
        e2e_check "$SCRATCH/$fw" "$root/expected" || die "$fw: the guest did not get the laptop's license data"
        note "$fw: MSDM, SLIC, SMBIOS 0/1 byte-identical; 1 package × $GUEST_VCPUS cores"
done
