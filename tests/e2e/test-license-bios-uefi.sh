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

# libvirt 11.2+ passes an MSDM natively (<os><acpi><table type='msdm'>): a
# domain doing so with the dump's MSDM gets the rest from the patch but no
# second MSDM, and its guest the laptop's bytes.  (Older libvirt refuses
# such a definition: test-patch-roundtrip.)
native_patched() {
        _xml=$(virsh dumpxml --inactive lic-native) || return 1
        printf '%s\n' "$_xml" | grep -q "file=$E2E_STORE/slic.bin" &&
                printf '%s\n' "$_xml" | grep -q "<table type='msdm'>$E2E_STORE/msdm.bin</table>" &&
                ! printf '%s\n' "$_xml" | grep -q "file=$E2E_STORE/msdm.bin"
}
if [ "$(ns_libvirt_version)" -ge 11002000 ]; then
        ns_guest
        ns_domain_xml lic-native bios |
                sed "s|<type arch|<acpi><table type='msdm'>$E2E_STORE/msdm.bin</table></acpi><type arch|" \
                >"$NS_DIR/lic-native.xml"
        virsh define "$NS_DIR/lic-native.xml" >/dev/null || die "libvirt $(libvirtd --version) refused a native MSDM table"
        e2e_tag lic-native
        wait_until "$E2E_PATCH_TIMEOUT" "the watcher to patch lic-native" native_patched || {
                virsh dumpxml --inactive lic-native >&2
                show_log "$NS_WATCH_LOG" "oemkvm watch"
                die "lic-native was not patched as expected within ${E2E_PATCH_TIMEOUT}s"
        }
        ns_boot lic-native "$SCRATCH/native"
        e2e_check "$SCRATCH/native" "$root/expected" || die "native MSDM: the guest did not get the laptop's license data"
        # QEMU was given the MSDM once, by libvirt (sig=MSDM).
        n=$(grep -c "msdm.bin" "$NS_LOGS/qemu/lic-native.log")
        [ "$n" -eq 1 ] && grep -q "sig=MSDM,file=$E2E_STORE/msdm.bin" "$NS_LOGS/qemu/lic-native.log" || {
                ns_show_logs lic-native
                die "QEMU was not given the MSDM exactly once as libvirt's sig=MSDM table ($n mentions)"
        }
        note "native MSDM table (libvirt $(libvirtd --version | sed 's/.* //')): no second MSDM, the guest got the bytes"
fi
