# In the guest on the host's root (tests/guest/test-doctor-apparmor.sh),
# whose kernel runs AppArmor: oemkvm doctor asks the kernel, through
# libapparmor's aa_query_file_path, whether a loaded libvirt-<uuid> profile
# lets QEMU read the store — and the kernel's own enforcement agrees (a
# process confined by that profile reads the file, or is denied).  The
# profile is libvirt's TEMPLATE.qemu under the name libvirt gives a guest's,
# loaded with and without oemkvm's local rules.
set -eu
. "$OEMKVM_SRCDIR/tests/lib/common.sh"
. /etc/oemkvm-guest/lib.sh

[ "$(cat /sys/module/apparmor/parameters/enabled)" = Y ] || fail "AppArmor is off in the guest's kernel"
mount -t securityfs securityfs /sys/kernel/security
OEMKVM=$OEMKVM_BUILDDIR/oemkvm
STORE=/var/lib/oemkvm/host
U=5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d
P=libvirt-$U
J=/tmp/doctor.json

rm -rf "$STORE"
"$OEMKVM" dump --sysroot "$OEMKVM_SRCDIR/tests/fixtures/roots/thinkpad-smbios3" --output "$STORE" >/dev/null ||
        fail "oemkvm dump failed"

# load: the guest profile libvirt would load, from the template and the local rules as they are now.
load() {
        sed "s/LIBVIRT_TEMPLATE/$P/" /etc/apparmor.d/libvirt/TEMPLATE.qemu >/tmp/$P
        apparmor_parser -r -K /tmp/$P 2>/tmp/aa.err || fail "apparmor_parser -r failed: $(cat /tmp/aa.err)"
        grep -q "^$P " /sys/kernel/security/apparmor/profiles || fail "$P is not loaded"
}

# live: doctor's confinement.apparmor-live as "VERDICT | detail".
live() {
        "$OEMKVM" doctor --json >"$J" 2>/tmp/doctor.err || true
        [ ! -s /tmp/doctor.err ] || fail "doctor wrote on stderr: $(cat /tmp/doctor.err)"
        jq -r '.checks[] | select(.id == "confinement.apparmor-live") | "\(.verdict) | \(.detail)"' "$J"
}

# confined_read: can a process under the profile read the MSDM file?
confined_read() { aa-exec -p "$P" -- cat "$STORE/msdm.bin" >/dev/null 2>&1; }

# With oemkvm's rules (as make install adds them): allowed, and the kernel agrees.
APPARMORDIR=/etc/apparmor.d STOREDIR=$STORE "$OEMKVM_SRCDIR/apparmor/local-rules" add
load
r=$(live)
[ "$r" = "PASS | the 1 loaded libvirt-<uuid> profile let QEMU read every file above" ] ||
        fail "with the rules, apparmor-live is '$r'"
confined_read || fail "doctor says $P may read $STORE/msdm.bin, the kernel denies it"
ok "with oemkvm's local rules: doctor and the kernel both let $P read the store"

# Without them: denied, by doctor's answer and by the kernel.
APPARMORDIR=/etc/apparmor.d STOREDIR=$STORE "$OEMKVM_SRCDIR/apparmor/local-rules" remove
load
r=$(live)
case $r in
"FAIL | $P may not read $STORE/msdm.bin, $P may not read $STORE/smbios_type_0.bin, $P may not read $STORE/smbios_type_1.bin") ;;
*) fail "without the rules, apparmor-live is '$r'" ;;
esac
jq -e '.checks[] | select(.id == "confinement.apparmor-rules") | .verdict == "FAIL"' "$J" >/dev/null ||
        fail "without the rules, the local rules check does not FAIL"
! confined_read || fail "doctor says $P may not read $STORE/msdm.bin, the kernel lets it"
ok "without them: doctor and the kernel both deny $P the store"
apparmor_parser -R /tmp/$P
