#!/bin/sh
# Tag before dump (issue 8), against a real libvirtd:
#  - a fresh install — the hook and the watcher, no store, no `oemkvm dump`
#    ever typed — on a laptop whose firmware has a key next to a vendor's
#    blank SLIC; a domain tagged with `virsh metadata --config … --set
#    '<config><license/></config>'` is patched by the watcher, which makes
#    the store from the firmware first, and the guest gets both tables
#    byte for byte;
#  - `oemkvm tag` and `oemkvm apply` make a missing store the same way;
#  - a FIFO in a source= dump, in the store, or in the firmware a missing
#    store would be made from: apply ends at once with one line, the
#    watcher logs one line and goes on patching.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTLIB/guest.sh"
. "$TESTLIB/libvirtd-ns"
. "$TESTLIB/e2e.sh"
ns_enter "$@"
make_scratch
OEMKVM=$(oemkvm_bin)

root=$(fixture_root slic-placeholder)
ns_firmware "$root"
ns_install_hook
ns_start
[ ! -e "$E2E_STORE" ] || die "the store exists before anything ran"

patched() { virsh dumpxml --inactive "$1" | grep -q "file=${2:-$E2E_STORE}/msdm.bin"; }
fail_with_log() { show_log "$NS_WATCH_LOG" "oemkvm watch"; die "$*"; }
license_tag() {
        virsh metadata --config "$1" --uri "$E2E_NS" --key oemkvm --set "<config><license$2/></config>" >/dev/null ||
                die "virsh metadata --config $1 failed"
}
# within CMD…: must end within 20 s (a libvirt round trip under TCG load).
within() {
        rc=0
        timeout -k 2 20 "$@" >"$SCRATCH/stdout" 2>"$SCRATCH/stderr" || rc=$?
        [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || die "'$*' blocked"
        return "$rc"
}

ns_define fresh bios
ns_start_watcher
license_tag fresh ""
wait_until "$E2E_PATCH_TIMEOUT" "the watcher to patch 'fresh'" patched fresh ||
        fail_with_log "'fresh' was not patched on a host where nobody ran 'oemkvm dump'"
grep -q "made the license store $E2E_STORE from this host's firmware" "$NS_WATCH_LOG" ||
        fail_with_log "the watcher did not say it made the store"
ns_boot fresh "$SCRATCH/fresh"
guest_check "$SCRATCH/fresh" "$root/expected" || die "the guest did not get the host's tables"
note "fresh install, tagged with virsh metadata, no dump typed: patched, the guest has the key and the blank SLIC"
ns_stop_watcher

# oemkvm tag and oemkvm apply with the store gone.
rm -rf "$E2E_STORE"
ns_define viatag bios
within "$OEMKVM" tag viatag --license || die "oemkvm tag without a store failed: $(cat "$SCRATCH/stderr")"
grep -q "made the license store $E2E_STORE" "$SCRATCH/stdout" || die "tag did not say it made the store: $(cat "$SCRATCH/stdout")"
patched viatag || die "oemkvm tag did not patch 'viatag'"
rm -rf "$E2E_STORE"
ns_define viaapply bios
license_tag viaapply ""
within "$OEMKVM" apply viaapply || die "oemkvm apply without a store failed: $(cat "$SCRATCH/stderr")"
patched viaapply || die "oemkvm apply did not patch 'viaapply'"
[ -f "$E2E_STORE/slic.bin" ] || die "apply did not make the store"
note "oemkvm tag and oemkvm apply make a missing store"

# A FIFO in a source= dump: apply ends with one line; so does the
# watcher's pass, which then goes on with the next domain.
saved=/var/lib/oemkvm/saved
"$OEMKVM" dump --output "$saved" >/dev/null || die "oemkvm dump --output $saved failed"
rm "$saved/msdm.bin"
mkfifo -m 0640 "$saved/msdm.bin"
ns_define fifo bios
license_tag fifo " source='$saved'"
if within "$OEMKVM" apply fifo; then die "apply accepted a FIFO in the dump"; fi
[ "$(wc -l <"$SCRATCH/stderr")" -eq 1 ] && grep -q "domain 'fifo': license: refusing to read '$saved/msdm.bin': it is a FIFO" "$SCRATCH/stderr" ||
        die "apply did not say it in one line: $(cat "$SCRATCH/stderr")"

# A FIFO in the store itself.
rm "$E2E_STORE/smbios_type_1.bin"
mkfifo -m 0640 "$E2E_STORE/smbios_type_1.bin"
ns_define storefifo bios
license_tag storefifo ""
if within "$OEMKVM" apply storefifo; then die "apply accepted a FIFO in the store"; fi
grep -q "smbios_type_1.bin': it is a FIFO" "$SCRATCH/stderr" || die "apply did not name the FIFO: $(cat "$SCRATCH/stderr")"
note "a FIFO in a source= dump or the store: apply ends at once, one line"

ns_start_watcher
wait_until 20 "the watcher to report the FIFO" grep -q "domain 'fifo': license: refusing to read '$saved/msdm.bin': it is a FIFO" "$NS_WATCH_LOG" ||
        fail_with_log "the watcher did not report the FIFO"
wait_until 20 "the watcher to report the FIFO in the store" grep -q "domain 'storefifo': .*smbios_type_1.bin': it is a FIFO" "$NS_WATCH_LOG" ||
        fail_with_log "the watcher did not report the FIFO in the store"
# Its next pass still works: the store is made whole again by `oemkvm dump`, a new domain tagged.
"$OEMKVM" dump >/dev/null || die "oemkvm dump over a FIFO failed"
ns_define after bios
license_tag after ""
wait_until "$E2E_PATCH_TIMEOUT" "the watcher to patch 'after'" patched after ||
        fail_with_log "the watcher stopped working after a FIFO"
note "the watcher logs the FIFO in one line and goes on"

# A FIFO in the firmware a missing store would be made from: apply and
# the watcher end with one line that names it, not a wait for a writer.
ns_stop_watcher
rm -rf "$E2E_STORE"
fw=/sys/firmware/acpi/tables/MSDM
cp "$fw" "$SCRATCH/MSDM"
rm "$fw"
mkfifo -m 0400 "$fw"
ns_define fwfifo bios
license_tag fwfifo ""
if within "$OEMKVM" apply fwfifo; then die "apply made the store from a FIFO"; fi
[ "$(wc -l <"$SCRATCH/stderr")" -eq 1 ] &&
        grep -q "domain 'fwfifo': the license store '$E2E_STORE' holds no dump and cannot be made from this host's firmware: .*'$fw': it is a FIFO" "$SCRATCH/stderr" ||
        die "apply did not say it in one line: $(cat "$SCRATCH/stderr")"
: >"$NS_WATCH_LOG"
ns_start_watcher
wait_until 20 "the watcher to report the FIFO in the firmware" \
        grep -q "domain 'fwfifo': the license store '$E2E_STORE' holds no dump and cannot be made from this host's firmware: .*'$fw': it is a FIFO" "$NS_WATCH_LOG" ||
        fail_with_log "the watcher did not report the FIFO in the firmware"
[ "$(grep -c "domain 'fwfifo'" "$NS_WATCH_LOG")" -eq 1 ] || fail_with_log "the watcher said more than one line about 'fwfifo'"
[ ! -e "$E2E_STORE" ] || die "a store was made from firmware with a FIFO in it"
ns_stop_watcher
rm "$fw"
cp "$SCRATCH/MSDM" "$fw"
note "a FIFO in the firmware: apply and the watcher end at once, one line"
