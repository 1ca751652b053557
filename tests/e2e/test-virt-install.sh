#!/bin/sh
# The Windows 11 domain this machine's own virt-install makes (4.1 on Debian
# 12, 5.x on Debian 13 and unstable: UEFI by firmware autoselection, a TPM,
# Hyper-V enlightenments as far as the hypervisor offers them) through a
# real libvirtd: defined as is, tagged with every feature, patched, accepted
# by virt-xml-validate and define; after libvirt re-serialised it (and
# resolved the firmware) patch changes nothing; untagging restores libvirt's
# own definition exactly.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTLIB/guest.sh"
. "$TESTLIB/libvirtd-ns"
. "$TESTLIB/e2e.sh"

ns_enter "$@"
require_cmd virt-install virtinst
require_cmd virt-xml-validate libvirt-clients
require_cmd xorriso xorriso
ns_start
OEMKVM=$(oemkvm_bin)
STORE=/var/lib/oemkvm/host
IMAGES=/var/lib/libvirt/images
W=$NS_DIR/vi
mkdir -p "$STORE" "$W" "$IMAGES"
cp "$(fixture_root thinkpad-smbios3)"/expected/*.bin "$STORE/"
# Real (tiny) ISO 9660 images: the virtio feature checks its ISO is one.
mkdir -p "$W/medium"
echo oemkvm >"$W/medium/README"
for iso in Win11 virtio-win; do
        xorriso -as mkisofs -quiet -V "$iso" -o "$IMAGES/$iso.iso" "$W/medium" 2>/dev/null ||
                die "xorriso could not make $iso.iso"
done

xml() { virsh dumpxml --inactive "$1"; }
patch_to() { "$OEMKVM" patch --store "$STORE" "$1" >"$2" 2>"$W/err" || die "patch $1: $(cat "$W/err")"; }

# As virt-manager's "New VM" for a Windows 11 ISO (without KVM here: the
# virt type is qemu).  virt-install prints the install-time domain, then
# the one it defines; the second is what the user keeps.
virt-install --connect "$NS_URI" --print-xml --name win11 --osinfo win11 --memory 4096 --vcpus 4 \
        --disk size=64 --cdrom "$IMAGES/Win11.iso" --network network=default --check disk_size=off \
        >"$W/printed.xml" 2>"$W/err" || die "virt-install --print-xml failed: $(cat "$W/err")"
awk '/^<domain/ { doc = "" } { doc = doc $0 "\n" } END { printf "%s", doc }' "$W/printed.xml" >"$W/win11.xml"
grep -q "<os firmware=.efi.>" "$W/win11.xml" || die "virt-install made no UEFI domain: $(cat "$W/win11.xml")"
grep -q "<tpm " "$W/win11.xml" || die "virt-install added no TPM (is swtpm installed?): $(cat "$W/win11.xml")"
have="UEFI, TPM $(sed -n 's/.*<tpm model="\([^"]*\)".*/\1/p' "$W/win11.xml")"
# (None from virt-install 5.1 on a host without KVM: grep -c then fails.)
have="$have, $(sed -n '/<hyperv/,/<\/hyperv>/p' "$W/win11.xml" | grep -c 'state=' || :) Hyper-V enlightenments"

virsh define "$W/win11.xml" >/dev/null 2>"$W/err" || die "libvirt refused virt-install's own domain: $(cat "$W/err")"
xml win11 >"$W/orig.rt.xml"

virsh metadata win11 urn:oemkvm:domain:1 --key oemkvm --config \
        --set "<config><license/><topology edition=\"pro\"/><virtio storage=\"scsi\" network=\"virtio\" drivers=\"$IMAGES/virtio-win.iso\"/></config>" \
        >/dev/null || die "virsh metadata --set failed"
xml win11 >"$W/tagged.xml"
patch_to "$W/tagged.xml" "$W/patched.xml"
grep -q "file=$STORE/msdm.bin" "$W/patched.xml" || die "the license was not patched in"
grep -q "bus=\"scsi\"" "$W/patched.xml" || die "the disk was not moved to VirtIO SCSI"
virt-xml-validate "$W/patched.xml" domain >"$W/err" 2>&1 || die "the patched domain does not validate: $(cat "$W/err")"
virsh define "$W/patched.xml" >/dev/null 2>"$W/err" || die "libvirt refused the patched domain: $(cat "$W/err")"
xml win11 >"$W/patched.rt.xml"
patch_to "$W/patched.rt.xml" "$W/again.xml"
cmp -s "$W/patched.rt.xml" "$W/again.xml" ||
        die "after a define/dumpxml round trip patch still changes: $(diff "$W/patched.rt.xml" "$W/again.xml")"

e2e_untag_restores win11 "$W/orig.rt.xml" "$W"
note "virt-install $(virt-install --version) win11 ($have): patched, validated, defined, stable, reverted exactly"
