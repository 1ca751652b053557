#!/bin/sh
# oemkvm tag and apply against a real libvirtd in a private namespace: the
# tag and the patch go in with one define; applying again after libvirt
# re-serialised changes nothing; the diff shows only real changes, hides
# oemkvm's record unless --verbose and ends with a line saying what was
# done; --dry-run defines nothing; a refused tag defines nothing (no empty
# <metadata/>); --remove restores the original definition; `tag DOMAIN`
# shows the tag (and --json); a domain is found by name, UUID or ID as
# virsh finds it; apply --all says how many domains it looked at; the
# vioscsi warning comes when a disk leaves SATA; a hand-made setup is taken
# over and given back; a running domain is tagged live and persistently and
# told to start again; libvirt's errors reach the user as one line of
# oemkvm's.
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

# Tag: the tag and the patch in one define, the diff without the record.
ok "$OEMKVM" tag d1 --license --topology pro
grep -qx 'd1: defined (patched license, topology)' "$OUT" || die "tag did not define: $(cat "$OUT")"
grep -q "^+.*file=$STORE/msdm.bin" "$OUT" || die "the diff lacks the MSDM argument: $(cat "$OUT")"
grep -q "^+.*<topology sockets=.1. dies=.1. cores=.$GUEST_VCPUS. threads=.1./>" "$OUT" ||
        die "the diff lacks the topology: $(cat "$OUT")"
grep -q 'oemkvm-state' "$OUT" && die "the diff shows oemkvm's record without --verbose: $(cat "$OUT")"
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

# The tag shown, as the options that set it, and as JSON.
ok "$OEMKVM" tag d1
grep -qx 'd1: --license --topology pro' "$OUT" || die "tag DOMAIN: $(cat "$OUT")"
ok "$OEMKVM" tag --json d1
grep -qx '{"domain":"d1","tagged":true,"license":{"source":null},"topology":{"edition":"pro"}}' "$OUT" ||
        die "tag --json DOMAIN: $(cat "$OUT")"

# Again, after libvirt re-serialised it: up to date, nothing defined; by
# UUID and by nothing else than virsh would accept.
uuid=$(virsh domuuid d1)
ok "$OEMKVM" apply "$uuid"
grep -qx 'd1: up to date' "$OUT" || die "second apply (by UUID): $(cat "$OUT")"
xml d1 | cmp -s - "$NS_DIR/d1.patched" || die "the second apply changed the definition"
ok "$OEMKVM" tag "$uuid"
grep -qx 'd1: --license --topology pro' "$OUT" || die "tag UUID: $(cat "$OUT")"

# A tag edited with virsh: --dry-run shows the revert of the topology, defines nothing.
virsh metadata d1 --config --uri urn:oemkvm:domain:1 --key oemkvm --set '<config><license/></config>' >/dev/null
ok "$OEMKVM" apply --dry-run d1
grep -qx 'd1: not defined, dry run (reverted topology)' "$OUT" || die "dry run: $(cat "$OUT")"
grep -q '^-.*<topology' "$OUT" || die "dry run diff lacks the topology revert: $(cat "$OUT")"
xml d1 | grep -q '<topology' || die "--dry-run defined"
# --verbose shows the record too.
ok "$OEMKVM" apply --dry-run --verbose d1
grep -q '^-.*<oemkvm-state:topology' "$OUT" || die "--verbose hides the record: $(cat "$OUT")"
ok "$OEMKVM" apply --all
grep -qx 'd1: defined (reverted topology)' "$OUT" || die "apply --all: $(cat "$OUT")"
grep -qx 'looked at 1 domain: 1 defined, 0 up to date, 0 not tagged, 0 failed' "$OUT" || die "apply --all count: $(cat "$OUT")"
xml d1 | grep -q '<topology' && die "apply --all did not revert the topology"

# A tag whose patch is refused defines nothing: the old tag stays, and a
# domain without <metadata> gets none (no empty <metadata/>).
before=$(virsh metadata d1 urn:oemkvm:domain:1 --config)
fails "$OEMKVM" tag d1 --license=/nonexistent/dump
grep -q "license: '/nonexistent/dump' is missing — no oemkvm dump there" "$ERR" || die "failed tag: $(cat "$ERR")"
[ "$(virsh metadata d1 urn:oemkvm:domain:1 --config)" = "$before" ] || die "the refused tag changed the tag"
ns_domain_xml bare bios >"$NS_DIR/bare.xml"
virsh define "$NS_DIR/bare.xml" >/dev/null
fails "$OEMKVM" tag bare --virtio=/var/lib/libvirt/images/virtio-wn.iso
grep -q "the drivers ISO '/var/lib/libvirt/images/virtio-wn.iso' does not exist" "$ERR" || die "ISO typo: $(cat "$ERR")"
xml bare | grep -q '<metadata' && die "a refused tag left <metadata> behind: $(xml bare | grep metadata)"
ok "$OEMKVM" tag bare
grep -qx 'bare: not tagged' "$OUT" || die "tag on an untagged domain: $(cat "$OUT")"
ok "$OEMKVM" tag --json bare
grep -qx '{"domain":"bare","tagged":false}' "$OUT" || die "tag --json on an untagged domain: $(cat "$OUT")"
ok "$OEMKVM" apply --all
grep -qx 'looked at 2 domains: 0 defined, 1 up to date, 1 not tagged, 0 failed' "$OUT" || die "apply --all count: $(cat "$OUT")"
virsh undefine bare >/dev/null

# Untag the way virsh does, with no watcher running: oemkvm's record is
# left behind; the next apply reverts it and the original definition
# comes back.
virsh metadata d1 --config --uri urn:oemkvm:domain:1 --remove >/dev/null
xml d1 | grep -q "file=$STORE/msdm.bin" || die "the args went without oemkvm"
ok "$OEMKVM" apply --all
grep -qx 'd1: defined (reverted license)' "$OUT" || die "apply --all on a leftover record: $(cat "$OUT")"
xml d1 >"$NS_DIR/d1.reverted"
if grep -q 'oemkvm\|<metadata' "$NS_DIR/d1.reverted"; then
        diff -u "$NS_DIR/d1.orig" "$NS_DIR/d1.reverted" >&2 || true
        die "untagging left oemkvm's traces"
fi
diff -u "$NS_DIR/d1.orig" "$NS_DIR/d1.reverted" >&2 || die "untagging did not restore the definition"

# A hand-made setup (the recipe's own -acpitable/-smbios files): taken over
# when tagged, said so, and given back exactly when the tag goes.
mkdir -p /var/lib/libvirt/recipe
cp "$(fixture_root legacy-smbios2-slic)"/expected/*.bin /var/lib/libvirt/recipe/
head -c -1 "$(fixture_root legacy-smbios2-slic)/expected/smbios_type_1.bin" >/var/lib/libvirt/recipe/smbios_type_1.bin
sed -e "s|<domain type='qemu'>|<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>|" \
    -e 's|<name>d1</name>|<name>recipe</name>|' \
    -e "s|</devices>|</devices><qemu:commandline><qemu:arg value='-acpitable'/><qemu:arg value='file=/var/lib/libvirt/recipe/msdm.bin'/><qemu:arg value='-smbios'/><qemu:arg value='file=/var/lib/libvirt/recipe/smbios_type_1.bin'/></qemu:commandline>|" \
    "$NS_DIR/d1.xml" >"$NS_DIR/recipe.xml"
virsh define "$NS_DIR/recipe.xml" >/dev/null
xml recipe >"$NS_DIR/recipe.orig"
ok "$OEMKVM" tag recipe --license
grep -qx 'recipe: defined (patched license)' "$OUT" || die "tag on the recipe domain: $(cat "$OUT")"
grep -q "note: domain 'recipe': license: took over your -acpitable 'file=/var/lib/libvirt/recipe/msdm.bin' (an MSDM)" "$ERR" ||
        die "no word on the MSDM taken over: $(cat "$ERR")"
grep -q "note: domain 'recipe': license: your '/var/lib/libvirt/recipe/smbios_type_1.bin' lacks the SMBIOS structure's final NUL.*no system information" "$ERR" ||
        die "no diagnosis of the recipe's type 1: $(cat "$ERR")"
[ "$(xml recipe | grep -c "value='-acpitable'")" -eq 1 ] || die "a second -acpitable was added: $(xml recipe | grep qemu:arg)"
xml recipe | grep -q "file=$STORE/msdm.bin" || die "the MSDM pair does not name the store"
ok "$OEMKVM" tag recipe --remove
xml recipe | cmp -s - "$NS_DIR/recipe.orig" || { xml recipe | diff -u "$NS_DIR/recipe.orig" - >&2; die "untagging did not give the recipe back"; }

# A SATA disk moved to VirtIO SCSI: the vioscsi warning.
sed "s|<devices>|<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$NS_DIR/disk.img'/><target dev='sda' bus='sata'/></disk>|" \
        "$NS_DIR/d1.xml" | sed 's|<name>d1</name>|<name>d2</name>|' >"$NS_DIR/d2.xml"
virsh define "$NS_DIR/d2.xml" >/dev/null
ok "$OEMKVM" tag d2 --virtio
grep -q "warning: domain 'd2': a disk moved to VirtIO SCSI.*vioscsi" "$ERR" || die "no vioscsi warning: $(cat "$ERR")"
xml d2 | grep -q "bus='scsi'" || die "the disk is not on SCSI"

# A running domain: the tag goes on the running and the persistent
# definition (a live-only tag would vanish at shutdown), and the user is told
# the change needs a fresh start.  Found by its ID, as virsh finds it.
ns_define d3 bios "$GUEST_VCPUS" oemkvm.hold=120
ns_boot_start d3
ns_wait_output d3
ok "$OEMKVM" tag "$(virsh domid d3)" --license
grep -qx 'd3: defined (patched license)' "$OUT" || die "tag on a running domain did not define: $(cat "$OUT")"
grep -q "note: domain 'd3' is running: the change takes effect when it is shut down and started again" "$ERR" ||
        die "no note that the running domain needs a fresh start: $(cat "$ERR")"
virsh metadata d3 urn:oemkvm:domain:1 --live | grep -q '<license/>' || die "the running domain lacks the tag"
virsh metadata d3 urn:oemkvm:domain:1 --config | grep -q '<license/>' || die "the persistent definition lacks the tag"
xml d3 | grep -q "file=$STORE/msdm.bin" || die "the persistent definition of the running domain is not patched"
virsh destroy d3 >/dev/null

# A transient domain: oemkvm's one line, not libvirt's.
ns_domain_xml t1 bios >"$NS_DIR/t1.xml"
virsh create "$NS_DIR/t1.xml" >/dev/null
fails "$OEMKVM" tag t1 --license
grep -q "domain 't1' is transient (never defined.*there is no definition to tag — define it first" "$ERR" ||
        die "transient: $(cat "$ERR")"
virsh destroy t1 >/dev/null

# Errors: one line each; usage errors exit 2.
fails "$OEMKVM" apply nosuch
grep -qx "oemkvm: domain 'nosuch' not found: no domain has that name, UUID or ID ('virsh list --all' lists them)" "$ERR" ||
        die "unknown domain: $(cat "$ERR")"
fails "$OEMKVM" tag 00000000-0000-0000-0000-000000000000
grep -q "domain '00000000-0000-0000-0000-000000000000' not found" "$ERR" || die "unknown UUID: $(cat "$ERR")"
fails "$OEMKVM" apply -c 'qemu:///nowhere' d1
grep -q "cannot connect to libvirt at 'qemu:///nowhere'" "$ERR" || die "bad URI: $(cat "$ERR")"
for args in "" "d1 --topology ultimate" "d1 --license --remove" "--license" "d1 --json --remove" "d1 --verbose"; do
        # shellcheck disable=SC2086
        set +e; "$OEMKVM" tag $args >"$OUT" 2>"$ERR"; rc=$?; set -e
        [ $rc -eq 2 ] || die "'oemkvm tag $args' exited $rc, want 2: $(cat "$ERR")"
done
set +e; "$OEMKVM" apply >"$OUT" 2>"$ERR"; rc=$?; set -e
[ $rc -eq 2 ] || die "'oemkvm apply' without domains exited $rc, want 2"

note "tag, tag DOMAIN, apply, UUIDs and IDs, --dry-run, --verbose, --all, refusals, --remove, a hand-made setup, a running domain, a transient one and the vioscsi warning against a real libvirtd"
