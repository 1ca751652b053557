#!/bin/sh
# The hook at a real start (issue 4), no watcher running:
#  - an untagged domain starts and boots as if oemkvm were not there;
#  - a tagged domain whose patch never happened is refused with the hook's
#    message, which names the domain and the remedy; the remedy works;
#  - after a firmware update (other SMBIOS bytes) the hook refreshes the
#    store at the next start, so the guest gets the new bytes;
#  - a tagged domain started transient (never defined: virt-manager's
#    installer boots a new install that way) is refused, told why and
#    pointed at `oemkvm install`;
#  - every call libvirt made ran the hook with the arguments of its
#    version — `release end` carries the shutoff reason since libvirt 10.5,
#    '-' before — and the hook answered each with exit 0 and silence, except
#    the two refused prepares.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTLIB/guest.sh"
. "$TESTLIB/libvirtd-ns"
. "$TESTLIB/e2e.sh"
ns_enter "$@"
make_scratch

root=$(fixture_root type1-nostrings)
e2e_setup "$root" --record

ns_define plain bios
ns_boot plain "$SCRATCH/plain"
[ ! -f "$SCRATCH/plain/msdm.bin" ] || die "an untagged guest got an MSDM"
guest_check_topology "$SCRATCH/plain" "$GUEST_VCPUS" 1 1 || die "an untagged guest's topology was changed"
note "an untagged domain boots untouched"

ns_define unpatched bios
e2e_tag unpatched
e2e_patched unpatched && die "unpatched got patched with no watcher running"
msg=$(ns_start_fails unpatched) || die "a tagged, unpatched domain started"
case $msg in
*"oemkvm: domain 'unpatched'"*"oemkvm apply unpatched"*) ;;
*) die "the refusal does not name the domain and the remedy: $msg" ;;
esac
[ "$(virsh domstate unpatched)" = "shut off" ] || die "unpatched is not shut off after the refusal"
note "refused: $(printf '%s\n' "$msg" | sed -n 's/.*\(oemkvm: domain .*\)/\1/p')"

"$(oemkvm_bin)" apply unpatched >/dev/null || die "oemkvm apply unpatched failed"
ns_boot unpatched "$SCRATCH/unpatched"
e2e_check "$SCRATCH/unpatched" "$root/expected" || die "after the remedy the guest did not get the license data"
note "after 'oemkvm apply' it boots with the license data"

# "BIOS update": other tables, same layout (no SLIC either side).
new=$(fixture_root thinkpad-smbios3)
ns_firmware "$new"
ns_boot unpatched "$SCRATCH/updated"
e2e_check "$SCRATCH/updated" "$new/expected" || die "after a firmware update the guest did not get the new bytes"
cmp -s "$E2E_STORE/smbios_type_1.bin" "$new/expected/smbios_type_1.bin" || die "the store was not refreshed"
note "after a firmware update the next start carries the new bytes"

ns_domain_xml fresh bios >"$NS_DIR/fresh.xml"
sed -i "s|<name>fresh</name>|<name>fresh</name>\\
  <metadata><oemkvm:config xmlns:oemkvm=\"$E2E_NS\"><oemkvm:license/></oemkvm:config></metadata>|" "$NS_DIR/fresh.xml"
if msg=$(virsh create "$NS_DIR/fresh.xml" 2>&1); then
        die "a tagged transient domain started"
fi
printf '%s\n' "$msg" | grep -q 'transient' || die "the transient refusal does not say why: $msg"
printf '%s\n' "$msg" | grep -q "sudo oemkvm install fresh --iso WINDOWS.iso" ||
        die "the transient refusal does not name 'oemkvm install': $msg"
note "a tagged transient start is refused"

# What libvirt passed the hook and what it answered (ns_install_hook --record).
calls() { grep "^$1|$2|$3|" "$NS_HOOK_LOG" | cut -d'|' -f4- | sort -u | tr '\n' ' '; }
refusals=$(grep -v '^[^|]*|[^|]*|[^|]*|[^|]*|0|$' "$NS_HOOK_LOG" | cut -d'|' -f1-5 | sort -u | tr '\n' ' ')
[ "$refusals" = "fresh|prepare|begin|-|1 unpatched|prepare|begin|-|1 " ] || {
        show_log "$NS_HOOK_LOG" "hook calls"
        die "the hook failed or printed other than on the two refused prepares: $refusals"
}
if [ "$(ns_libvirt_version)" -ge 10005000 ]; then
        # The guest powered itself off; the refused start failed.
        want_plain='shutdown|0| ' want_refused='failed|0| '
else
        want_plain='-|0| ' want_refused='-|0| '
fi
[ "$(calls plain release end)" = "$want_plain" ] &&
        [ "$(calls fresh release end)" = "$want_refused" ] || {
        show_log "$NS_HOOK_LOG" "hook calls"
        die "release end: plain '$(calls plain release end)', want '$want_plain'; fresh '$(calls fresh release end)', want '$want_refused'"
}
for op in "prepare begin" "start begin" "started begin" "stopped end"; do
        # shellcheck disable=SC2086
        [ "$(calls plain $op)" = '-|0| ' ] || { show_log "$NS_HOOK_LOG" "hook calls"; die "plain $op: $(calls plain $op)"; }
done
note "libvirt $(libvirtd --version | sed 's/.* //'): release end's 4th argument was '${want_plain%%|*}'; the hook answered every call as it should"
