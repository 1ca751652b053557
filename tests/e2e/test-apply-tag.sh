#!/bin/sh
# oemkvm tag and apply against a real libvirtd in a private namespace: the
# tag goes in through virDomainSetMetadata, the patch through a define;
# applying again after libvirt re-serialised changes nothing; the diff shows
# only real changes; --dry-run defines nothing; a failed apply puts the old
# tag back; --remove restores the original definition; the vioscsi warning
# comes when a disk leaves SATA; a running domain is tagged live and
# persistently and told to start again; errors are one line.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTLIB/guest.sh"
. "$TESTLIB/libvirtd-ns"

ns_enter "$@"
ns_firmware "$(fixture_root thinkpad-smbios3)"
ns_start
OEMKVM=$(oemkvm_bin)
STORE=/var/lib/oemkvm/host
OUT=$NS_DIR/out
ERR=$NS_DIR/err

"$OEMKVM" dump >/dev/null || die "oemkvm dump failed"

# ok CMD…: exit 0, output in $OUT/$ERR.  fails CMD…: non-zero, one "oemkvm: " line.
ok() { "$@" >"$OUT" 2>"$ERR" || { cat "$OUT" "$ERR" >&2; die "'$*' failed"; }; }
fails() {
        if "$@" >"$OUT" 2>"$ERR"; then die "'$*' succeeded but should have failed"; fi
        [ "$(wc -l <"$ERR")" -eq 1 ] && grep -q '^oemkvm: ' "$ERR" || die "'$*': not one 'oemkvm: ' line: $(cat "$ERR")"
}
xml() { virsh dumpxml --inactive --security-info "$1"; }

ns_domain_xml d1 bios >"$NS_DIR/d1.xml"
virsh define "$NS_DIR/d1.xml" >/dev/null
xml d1 >"$NS_DIR/d1.orig"

# Untagged: nothing happens.
ok "$OEMKVM" apply d1
grep -qx 'd1: not tagged, nothing to do' "$OUT" || die "apply on an untagged domain: $(cat "$OUT")"
xml d1 | cmp -s - "$NS_DIR/d1.orig" || die "apply changed an untagged domain"

# Tag: metadata set, definition patched, diff printed.
ok "$OEMKVM" tag d1 --license --topology pro
grep -qx 'd1: defined' "$OUT" || die "tag did not define: $(cat "$OUT")"
grep -q "^+.*file=$STORE/msdm.bin" "$OUT" || die "the diff lacks the MSDM argument: $(cat "$OUT")"
grep -q "^+.*<topology sockets=.1. dies=.1. cores=.$GUEST_VCPUS. threads=.1./>" "$OUT" ||
        die "the diff lacks the topology: $(cat "$OUT")"
# Both sides through one serializer: unchanged lines do not show up as changed.
if grep -E '^[-+] *<(name|memory|vcpu|kernel|serial)' "$OUT"; then
        die "the diff shows re-serialisation noise"
fi
# What the person reads, against tests/e2e/golden/ (kmod style;
# OEMKVM_REGENERATE=1 rewrites it): every changed line and the status line.
# The diff's context lines and hunk positions are libvirt's serialisation,
# which differs between versions, so they are left out.
sed -e '/^ /d' -e '/^@@ /d' -e "s|$STORE|@STORE@|g" "$OUT" >"$NS_DIR/tag.out"
golden=$OEMKVM_SRCDIR/tests/e2e/golden/tag-license-topology.out
if [ "${OEMKVM_REGENERATE:-0}" = 1 ]; then
        mkdir -p "$(dirname "$golden")" && cp "$NS_DIR/tag.out" "$golden"
else
        diff -u "$golden" "$NS_DIR/tag.out" >&2 || die "the output of 'oemkvm tag' differs from $golden"
fi
virsh metadata d1 urn:oemkvm:domain:1 --config | grep -q '<license/>' || die "the tag is not in the metadata"
xml d1 >"$NS_DIR/d1.patched"
grep -q "file=$STORE/smbios_type_1.bin" "$NS_DIR/d1.patched" || die "the definition is not patched"

# Again, after libvirt re-serialised it: up to date, nothing defined.
ok "$OEMKVM" apply d1
grep -qx 'd1: up to date' "$OUT" || die "second apply: $(cat "$OUT")"
xml d1 | cmp -s - "$NS_DIR/d1.patched" || die "the second apply changed the definition"

# A tag edited with virsh: --dry-run shows the revert of the topology, defines nothing.
virsh metadata d1 --config --uri urn:oemkvm:domain:1 --key oemkvm --set '<config><license/></config>' >/dev/null
ok "$OEMKVM" apply --dry-run d1
grep -qx 'd1: not defined (dry run)' "$OUT" || die "dry run: $(cat "$OUT")"
grep -q '^-.*<topology' "$OUT" || die "dry run diff lacks the topology revert: $(cat "$OUT")"
xml d1 | grep -q '<topology' || die "--dry-run defined"
ok "$OEMKVM" apply --all
grep -qx 'd1: defined' "$OUT" || die "apply --all: $(cat "$OUT")"
xml d1 | grep -q '<topology' && die "apply --all did not revert the topology"

# A tag whose apply fails is put back as it was.
before=$(virsh metadata d1 urn:oemkvm:domain:1 --config)
fails "$OEMKVM" tag d1 --license=/nonexistent/dump
grep -q "the tag was left as it was" "$ERR" || die "failed tag: $(cat "$ERR")"
[ "$(virsh metadata d1 urn:oemkvm:domain:1 --config)" = "$before" ] || die "the failed tag was not put back"

# Untag: the original definition comes back.
ok "$OEMKVM" tag d1 --remove
grep -qx 'd1: defined' "$OUT" || die "tag --remove: $(cat "$OUT")"
xml d1 >"$NS_DIR/d1.reverted"
if grep -q 'oemkvm' "$NS_DIR/d1.reverted"; then
        diff -u "$NS_DIR/d1.orig" "$NS_DIR/d1.reverted" >&2 || true
        die "untagging left oemkvm's traces"
fi

# A SATA disk moved to VirtIO SCSI: the vioscsi warning.
sed "s|<devices>|<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$NS_DIR/disk.img'/><target dev='sda' bus='sata'/></disk>|" \
        "$NS_DIR/d1.xml" | sed 's|<name>d1</name>|<name>d2</name>|' >"$NS_DIR/d2.xml"
virsh define "$NS_DIR/d2.xml" >/dev/null
ok "$OEMKVM" tag d2 --virtio
grep -q "warning: domain 'd2': a disk moved to VirtIO SCSI.*vioscsi" "$ERR" || die "no vioscsi warning: $(cat "$ERR")"
xml d2 | grep -q "bus='scsi'" || die "the disk is not on SCSI"

# A running domain: the tag goes on the running and the persistent
# definition (a live-only tag would vanish at shutdown), and the user is told
# the change needs a fresh start.
ns_define d3 bios "$GUEST_VCPUS" oemkvm.hold=120
ns_boot_start d3
ns_wait_output d3
ok "$OEMKVM" tag d3 --license
grep -qx 'd3: defined' "$OUT" || die "tag on a running domain did not define: $(cat "$OUT")"
grep -q "note: domain 'd3' is running: the change takes effect when it is shut down and started again" "$ERR" ||
        die "no note that the running domain needs a fresh start: $(cat "$ERR")"
virsh metadata d3 urn:oemkvm:domain:1 --live | grep -q '<license/>' || die "the running domain lacks the tag"
virsh metadata d3 urn:oemkvm:domain:1 --config | grep -q '<license/>' || die "the persistent definition lacks the tag"
xml d3 | grep -q "file=$STORE/msdm.bin" || die "the persistent definition of the running domain is not patched"
virsh destroy d3 >/dev/null

# Errors: one line each; usage errors exit 2.
fails "$OEMKVM" apply nosuch
grep -q "domain 'nosuch'" "$ERR" || die "unknown domain: $(cat "$ERR")"
fails "$OEMKVM" apply -c 'qemu:///nowhere' d1
grep -q "cannot connect to libvirt at 'qemu:///nowhere'" "$ERR" || die "bad URI: $(cat "$ERR")"
for args in "d1" "d1 --topology ultimate" "d1 --license --remove" "--license"; do
        # shellcheck disable=SC2086
        set +e; "$OEMKVM" tag $args >"$OUT" 2>"$ERR"; rc=$?; set -e
        [ $rc -eq 2 ] || die "'oemkvm tag $args' exited $rc, want 2: $(cat "$ERR")"
done
set +e; "$OEMKVM" apply >"$OUT" 2>"$ERR"; rc=$?; set -e
[ $rc -eq 2 ] || die "'oemkvm apply' without domains exited $rc, want 2"

note "tag, apply, --dry-run, --all, rollback, --remove, a running domain and the vioscsi warning against a real libvirtd"
