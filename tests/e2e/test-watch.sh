#!/bin/sh
# oemkvm watch against a real libvirtd in a private namespace: a domain
# tagged before it starts is reconciled; a tag through a whole-domain define
# (virt-manager's XML editor) and through `virsh metadata --config` is
# patched within seconds; its own define does not make it loop; a libvirtd
# restart loses nothing; SIGTERM ends it cleanly.
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
defines_of() { grep -c "domain '$1': patched to match its tag and defined" "$NS_WATCH_LOG" || true; }
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
