#!/bin/sh
# The patch engine through a real libvirtd (private namespace): every golden
# output is accepted by define, and after libvirt re-serialised it (other
# quotes, indexes, addresses, aliases, root ports) patch says unchanged and
# returns the bytes it got.  A user's edit made through a define survives,
# a tag set with `virsh metadata` (children without a namespace) works, and
# removing the tag restores the definition libvirt had before.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTLIB/guest.sh"
. "$TESTLIB/libvirtd-ns"
. "$TESTLIB/e2e.sh"

ns_enter "$@"
ns_start
OEMKVM=$(oemkvm_bin)
STORE=/var/lib/oemkvm/host
CASES=$OEMKVM_SRCDIR/tests/patch
W=$NS_DIR/patch
mkdir -p "$W"
"$TESTLIB/patch-store" "$STORE"

xml() { virsh dumpxml --inactive "$1"; }
# The golden cases are virt-install's KVM domains; libvirt refuses to define
# type kvm where QEMU has no /dev/kvm (CI machines), and the engine never
# looks at the type: define them as TCG domains, on every machine alike.
# libvirt reads domain XML as UTF-8 whatever it declares: a case in
# another encoding goes in converted, its declaration dropped.
golden_case() {
        _enc=$(sed -n '1s/.*encoding="\([^"]*\)".*/\1/p' "$1")
        if [ -n "$_enc" ] && [ "$_enc" != UTF-8 ]; then
                iconv -f "$_enc" -t UTF-8 "$1" | sed '1s/<?xml[^>]*>//'
        else
                cat "$1"
        fi | sed -e "s|@STORE@|$STORE|g" -e 's|\(<domain [^>]*\)type="kvm"|\1type="qemu"|' \
                 -e "s|\(<domain [^>]*\)type='kvm'|\1type='qemu'|"
}
name_of() { sed -n 's|.*<name>\(.*\)</name>.*|\1|p' "$1" | head -n 1; }

# patch FILE OUT: patched FILE in OUT; the exit code says whether it changed.
patch_to() { "$OEMKVM" patch --store "$STORE" "$1" >"$2" 2>"$W/err" || die "patch $1: $(cat "$W/err")"; }

# 1. Every golden output: define, dump, patch → the dumped bytes unchanged.
#    A case that needs a newer libvirt (CASE/min-libvirt) must be refused.
version=$(libvirtd --version | sed 's/.* //')
n=0
for out in "$CASES"/*/out.xml; do
        c=$(basename "$(dirname "$out")")
        golden_case "$out" >"$W/$c.xml"
        dom=$(name_of "$W/$c.xml")
        need=$(case_min_libvirt "$(dirname "$out")")
        if [ "$(version_num "$version")" -lt "$(version_num "$need")" ]; then
                if virsh define "$W/$c.xml" >/dev/null 2>"$W/err"; then
                        die "$c needs libvirt $need, yet libvirt $version defined it"
                fi
                note "$c: libvirt $version refuses it, as expected before $need: $(tail -n 1 "$W/err")"
                continue
        fi
        virsh define "$W/$c.xml" >/dev/null 2>"$W/err" || die "$c: libvirt refused the patched definition: $(cat "$W/err")"
        xml "$dom" >"$W/$c.rt.xml"
        patch_to "$W/$c.rt.xml" "$W/$c.rt2.xml"
        cmp -s "$W/$c.rt.xml" "$W/$c.rt2.xml" ||
                die "$c: after a define/dumpxml round trip patch still changes: $(diff "$W/$c.rt.xml" "$W/$c.rt2.xml")"
        virsh undefine --nvram "$dom" >/dev/null 2>&1 || virsh undefine "$dom" >/dev/null
        n=$((n + 1))
done
[ "$n" -ge 10 ] || die "only $n golden outputs"

# 2. The original Windows 11 domain as libvirt keeps it, untagged.
golden_case "$CASES/revert-all/out.xml" >"$W/orig.xml"
virsh define "$W/orig.xml" >/dev/null || die "define of the untagged domain failed"
xml win11 >"$W/orig.rt.xml"

# 3. Tag it the way `virsh metadata` does (only the top element namespaced).
virsh metadata win11 urn:oemkvm:domain:1 --key oemkvm --config \
        --set '<config><license/><topology edition="pro"/><virtio drivers="'"$STORE"'/virtio-win.iso"/></config>' \
        >/dev/null || die "virsh metadata --set failed"
xml win11 >"$W/tagged.xml"
patch_to "$W/tagged.xml" "$W/patched.xml"
grep -q "file=$STORE/msdm.bin" "$W/patched.xml" || die "a virsh-metadata tag was not acted on"
virsh define "$W/patched.xml" >/dev/null || die "define of the patched domain failed"
xml win11 >"$W/patched.rt.xml"
patch_to "$W/patched.rt.xml" "$W/again.xml"
cmp -s "$W/patched.rt.xml" "$W/again.xml" || die "patched domain changes again after a round trip"

# 4. The user moves the disk back to SATA and picks e1000e, through a define.
sed -e "s|<target dev='sda' bus='scsi'/>|<target dev='sda' bus='sata'/>|" \
    -e "s|<model type='virtio'/>|<model type='e1000e'/>|" "$W/patched.rt.xml" >"$W/edited.xml"
grep -q "bus='sata'" "$W/edited.xml" || die "the user-edit fixture did not apply"
virsh define "$W/edited.xml" >/dev/null || die "define of the user's edit failed"
xml win11 >"$W/edited.rt.xml"
patch_to "$W/edited.rt.xml" "$W/kept.xml"
grep -q '<target dev="sda" bus="sata"/>' "$W/kept.xml" || die "patch undid the user's SATA disk"
grep -q '<model type="e1000e"/>' "$W/kept.xml" || die "patch undid the user's NIC model"
grep -q 'owner="user"' "$W/kept.xml" || die "the user's edit is not recorded"
virsh define "$W/kept.xml" >/dev/null || die "define of the recorded edit failed"
xml win11 >"$W/kept.rt.xml"
patch_to "$W/kept.rt.xml" "$W/kept2.xml"
cmp -s "$W/kept.rt.xml" "$W/kept2.xml" || die "the user's edit is patched again after a round trip"

# 5. Untag: the definition goes back to what libvirt had before the tag
#    (the user's own SATA/e1000e choice was the original anyway).
e2e_untag_restores win11 "$W/orig.rt.xml" "$W"
note "$n golden outputs survive a define/dumpxml round trip; the user edit was kept; untagging restored the original"
