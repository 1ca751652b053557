#!/bin/sh
# oemkvm watch against a real libvirtd in a private namespace: a domain
# tagged before it starts is reconciled; a tag through a whole-domain define
# (virt-manager's XML editor) and through `virsh metadata --config` is
# patched within seconds; its own define does not make it loop; its log
# says which of patched, reverted, marked as the user's or nothing to do
# each pass was; `oemkvm tag` with the watcher running still shows the
# whole change and the vioscsi warning; a tag removed while the watcher was
# down is reverted by its start-up pass; a libvirtd restart loses nothing;
# SIGTERM ends it cleanly.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTLIB/guest.sh"
. "$TESTLIB/libvirtd-ns"

ns_enter "$@"
ns_firmware "$(fixture_root thinkpad-smbios3)"
ns_start
OEMKVM=$(oemkvm_bin)
STORE=/var/lib/oemkvm/host
TAG='<oemkvm:config xmlns:oemkvm="urn:oemkvm:domain:1"><oemkvm:license/></oemkvm:config>'
"$OEMKVM" dump >/dev/null || die "oemkvm dump failed"

patched() { virsh dumpxml --inactive "$1" | grep -q "file=$STORE/msdm.bin"; }
defines_of() { grep -c "domain '$1': patched license — defined$" "$NS_WATCH_LOG" || true; }
logged() { grep -q "$1" "$NS_WATCH_LOG"; }
fail_with_log() { show_log "$NS_WATCH_LOG" "oemkvm watch"; die "$*"; }
# define_tagged NAME: a whole-domain define carrying the tag.
define_tagged() {
        ns_domain_xml "$1" bios | sed "s|<domain type='qemu'>|&<metadata>$TAG</metadata>|" >"$NS_DIR/$1.xml"
        virsh define "$NS_DIR/$1.xml" >/dev/null
}

# Tagged before the watcher runs: the start-up pass patches it.
define_tagged early
patched early && die "'early' was patched before the watcher ran"
ns_start_watcher
wait_until 10 "the start-up pass to patch 'early'" patched early || fail_with_log "'early' was not reconciled"

# Tagged through a whole-domain define, as virt-manager's XML editor does.
define_tagged viaxml
wait_until 5 "the watcher to patch 'viaxml'" patched viaxml || fail_with_log "'viaxml' was not patched"

# Tagged through the metadata API.
ns_domain_xml viameta bios >"$NS_DIR/viameta.xml"
virsh define "$NS_DIR/viameta.xml" >/dev/null
sleep 1
patched viameta && die "an untagged domain was patched"
virsh metadata viameta --config --uri urn:oemkvm:domain:1 --key oemkvm --set '<config><license/></config>' >/dev/null
wait_until 5 "the watcher to patch 'viameta'" patched viameta || fail_with_log "'viameta' was not patched"

# Its own define raised DEFINED again: one define each, no loop.
sleep 2
for d in early viaxml viameta; do
        [ "$(defines_of "$d")" -eq 1 ] || fail_with_log "'$d' was defined $(defines_of "$d") times by the watcher"
done

# The log says what each pass was.
virsh metadata viameta --config --uri urn:oemkvm:domain:1 --key oemkvm --set '<config><license/></config>' >/dev/null
wait_until 5 "the watcher's 'nothing to do'" logged "domain 'viameta': nothing to do — it matches its tag" ||
        fail_with_log "no 'nothing to do' for an unchanged tag"
virsh metadata viameta --config --uri urn:oemkvm:domain:1 --key oemkvm --set '<config><license/><topology edition="pro"/></config>' >/dev/null
wait_until 5 "the watcher to set the topology" logged "domain 'viameta': patched topology — defined" ||
        fail_with_log "no 'patched topology'"
# The user moves the vCPUs from cores to sockets (libvirt 11 on also
# writes clusters='1' between dies and cores).
virsh dumpxml --inactive viameta |
        sed "/<topology /{s| sockets='1'| sockets='$GUEST_VCPUS'|;s| cores='$GUEST_VCPUS'| cores='1'|}" >"$NS_DIR/viameta.edit"
grep -q "<topology sockets='$GUEST_VCPUS' .*cores='1'" "$NS_DIR/viameta.edit" ||
        die "could not move the vCPUs to sockets in: $(grep '<topology' "$NS_DIR/viameta.edit")"
virsh define "$NS_DIR/viameta.edit" >/dev/null
wait_until 5 "the watcher to mark the topology as the user's" logged "domain 'viameta': marked a value as the user's in topology — defined" ||
        fail_with_log "no 'marked a value as the user's'"
virsh metadata viameta --config --uri urn:oemkvm:domain:1 --remove >/dev/null
wait_until 5 "the watcher to revert 'viameta'" logged "domain 'viameta': reverted license — defined" ||
        fail_with_log "no 'reverted'"
patched viameta && fail_with_log "'viameta' keeps the license after its tag went"

# oemkvm tag while the watcher runs: the whole change against the
# definition before the tag, and the vioscsi warning, whoever defines.
ns_domain_xml disk bios | sed "s|<devices>|<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$NS_DIR/disk.img'/><target dev='sda' bus='sata'/></disk>|" >"$NS_DIR/disk.xml"
virsh define "$NS_DIR/disk.xml" >/dev/null
"$OEMKVM" tag disk --license --virtio >"$NS_DIR/tag.out" 2>"$NS_DIR/tag.err" || { cat "$NS_DIR/tag.err" >&2; fail_with_log "oemkvm tag with the watcher running failed"; }
grep -qx 'disk: defined (patched license, virtio)' "$NS_DIR/tag.out" || fail_with_log "tag with the watcher running: $(cat "$NS_DIR/tag.out")"
grep -q "^+.*bus=\"scsi\"" "$NS_DIR/tag.out" || fail_with_log "the diff lacks the disk's move: $(cat "$NS_DIR/tag.out")"
grep -q "warning: domain 'disk': a disk moved to VirtIO SCSI" "$NS_DIR/tag.err" || fail_with_log "no vioscsi warning: $(cat "$NS_DIR/tag.err")"

# A tag removed while the watcher is down: the start-up pass reverts it.
kill -TERM "$NS_WATCH_PID"
wait "$NS_WATCH_PID" || true
NS_WATCH_PID=
virsh dumpxml --inactive early | sed '/<oemkvm:config/,/<\/oemkvm:config>/d' >"$NS_DIR/early.untagged"
grep -q 'oemkvm:config' "$NS_DIR/early.untagged" && die "the untag fixture did not apply"
virsh define "$NS_DIR/early.untagged" >/dev/null
patched early || die "'early' lost its args without a watcher running"
ns_start_watcher
wait_until 10 "the start-up pass to revert 'early'" logged "domain 'early': reverted license — defined" ||
        fail_with_log "the leftover record of 'early' was not reverted"
patched early && fail_with_log "'early' keeps the license args after its tag went"
virsh dumpxml --inactive early | grep -q 'oemkvm' && fail_with_log "'early' keeps oemkvm's record"

# A restart of libvirtd under the watcher loses nothing.
ns_restart_libvirtd
wait_until 15 "the watcher to reconnect" grep -q "reconnected to libvirt" "$NS_WATCH_LOG" ||
        fail_with_log "the watcher did not reconnect"
define_tagged after
wait_until 5 "the watcher to patch 'after'" patched after || fail_with_log "'after' was not patched after the restart"
[ "$(defines_of early)" -eq 1 ] || fail_with_log "the reconnect re-defined 'early'"

# SIGTERM: a clean exit, said in the log.
kill -TERM "$NS_WATCH_PID"
rc=0
wait "$NS_WATCH_PID" || rc=$?
NS_WATCH_PID=
[ $rc -eq 0 ] || fail_with_log "oemkvm watch exited $rc on SIGTERM"
grep -q "exiting" "$NS_WATCH_LOG" || fail_with_log "no exit line"

note "watch: reconcile, XML-editor define, metadata change, no loop, libvirtd restart, SIGTERM"
