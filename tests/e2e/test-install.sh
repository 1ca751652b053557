#!/bin/sh
# oemkvm install (issue 13) against a real libvirtd, virt-install and QEMU:
# on a host whose license store was never dumped, one command collects the
# store, creates the disk, defines virt-install's Windows 11 machine — UEFI
# with Secure Boot firmware, TPM 2.0 through swtpm — tagged and patched,
# and starts it.  The very first boot already carries the fixture laptop's
# MSDM, SLIC and SMBIOS 0/1 byte for byte, on 1 socket; the guest reboots
# as Setup does and the machine comes back (on_reboot restart), licensed
# again.
#
# The test guest's kernel and initramfs stand in for the Windows medium,
# through virt-install's own --boot (after "--"): Windows' media would
# need minutes under TCG.  The domain is still virt-install's win11 one,
# with a real ISO 9660 image as its install CD-ROM.  The stand-in kernel is
# not signed for Secure Boot: OVMF before 2025 falls back to its legacy
# loader for it, later builds (Debian unstable's) only when asked through
# fw_cfg, which the test does — a user's domain has no such argument.
set -eu
# Two boots of Secure Boot firmware (SMM) under TCG.
: "${OEMKVM_GUEST_TIMEOUT:=300}" "${OEMKVM_NS_TIMEOUT:=900}"
export OEMKVM_GUEST_TIMEOUT OEMKVM_NS_TIMEOUT
. "$(dirname "$0")/../lib/common.sh"
. "$TESTLIB/guest.sh"
. "$TESTLIB/libvirtd-ns"
. "$TESTLIB/e2e.sh"
ns_enter "$@"
make_scratch
require_cmd virt-install virtinst
require_cmd xorriso xorriso
require_cmd swtpm swtpm
require_cmd qemu-img qemu-utils

root=$(fixture_root legacy-smbios2-slic)
ns_firmware "$root"
ns_install_hook
ns_start
ns_guest
OEMKVM=$(oemkvm_bin)
SERIAL=$NS_LOGS/win-serial.log

mkdir "$SCRATCH/medium"
echo "stands in for the Windows medium" >"$SCRATCH/medium/README"
xorriso -as mkisofs -quiet -V WIN11 -o "$NS_DIR/windows.iso" "$SCRATCH/medium" 2>/dev/null ||
        die "xorriso could not make the install ISO"

[ ! -e "$E2E_STORE" ] || die "the store exists before the install; the test expects none"
if ! "$OEMKVM" install win --iso "$NS_DIR/windows.iso" --edition pro --vcpus "$GUEST_VCPUS" \
        --memory 512 --disk 1 --virt-type qemu -- \
        --boot "uefi,kernel=$NS_BOOT/vmlinuz,initrd=$NS_BOOT/initrd.img,kernel_args=console=ttyS0 loglevel=1 panic=-1 oemkvm.reboot=1" \
        --serial "file,path=$SERIAL" --network none \
        --qemu-commandline="-fw_cfg name=opt/org.tianocore/EnableLegacyLoader,string=yes" \
        >"$SCRATCH/out" 2>"$SCRATCH/err"; then
        cat "$SCRATCH/out" "$SCRATCH/err" >&2
        ns_show_logs win
        die "oemkvm install failed"
fi
cat "$SCRATCH/out" >&2
for line in "Collected this laptop's license data into $E2E_STORE" \
            "Creating disk /var/lib/libvirt/images/win.qcow2 (1 GiB qcow2" \
            "Defining win: Windows 11 machine (UEFI with Secure Boot, TPM 2.0), $GUEST_VCPUS vCPUs on 1 socket, 512 MiB" \
            "Console: virt-manager --connect qemu:///system --show-domain-console win" \
            "press a key (Enter)"; do
        grep -qF "$line" "$SCRATCH/out" || die "the output lacks '$line'"
done
cmp -s "$E2E_STORE/msdm.bin" "$root/expected/msdm.bin" || die "the store was not collected from the firmware"
[ -f /var/lib/libvirt/images/win.qcow2 ] || die "no disk image"
note "one command: store collected, disk made, domain defined and started"

# The running machine is Windows 11's: Secure Boot firmware, an emulated TPM 2.0.
live=$(virsh dumpxml win)
printf '%s\n' "$live" | grep -q "<loader readonly='yes' secure='yes' type='pflash'[ >]" ||
        die "the domain does not run Secure Boot firmware: $(printf '%s\n' "$live" | sed -n '/<os/,/<\/os>/p')"
printf '%s\n' "$live" | grep -q "<backend type='emulator' version='2.0'" ||
        die "the domain has no emulated TPM 2.0: $(printf '%s\n' "$live" | grep -A3 '<tpm')"
pgrep -x swtpm >/dev/null || die "no swtpm process runs for the domain"
defn=$(virsh dumpxml --inactive win)
printf '%s\n' "$defn" | grep -q '<on_reboot>restart</on_reboot>' || die "the definition does not restart on reboot"
printf '%s\n' "$defn" | grep -q '<oemkvm:config' || die "the definition carries no tag"
e2e_patched win || die "the definition is not patched"
note "UEFI with Secure Boot ($(printf '%s\n' "$live" | sed -n "s|.*secure='yes' type='pflash'[^>]*>\(.*\)</loader>.*|\1|p")), swtpm, on_reboot restart"

# boot N: the serial log's Nth boot, parsed into $SCRATCH/bootN.
boots() { tr -d '\r' <"$SERIAL" 2>/dev/null | grep -c '^OEMKVM done' || true; }
boot_parse() {
        tr -d '\r' <"$SERIAL" | awk -v n="$1" '/OEMKVM start/ { b++ } b == n' >"$SCRATCH/boot$1.log"
        guest_parse "$SCRATCH/boot$1.log" "$SCRATCH/boot$1" || die "boot $1: unusable guest output"
}
wait_boot() {
        wait_until "$GUEST_TIMEOUT" "boot $1 of win" sh -c "[ \"\$(tr -d '\r' <'$SERIAL' | grep -c '^OEMKVM done')\" -ge $1 ]" || {
                show_log "$SERIAL" "serial log of win"
                ns_show_logs win
                die "win did not finish boot $1 within ${GUEST_TIMEOUT}s"
        }
}

wait_boot 1
boot_parse 1
e2e_check "$SCRATCH/boot1" "$root/expected" || die "the very first boot did not get the laptop's license data"
note "the very first boot: MSDM, SLIC, SMBIOS 0/1 byte-identical; 1 package × $GUEST_VCPUS cores"

# The guest rebooted (Setup does, several times): the machine comes back.
wait_boot 2
[ "$(virsh domstate win)" = running ] || die "win is not running after the guest rebooted"
boot_parse 2
e2e_check "$SCRATCH/boot2" "$root/expected" || die "after the reboot the guest did not get the license data"
[ "$(boots)" -ge 2 ] || die "no second boot in the serial log"
virsh destroy win >/dev/null
note "the guest rebooted and came back, licensed again"
