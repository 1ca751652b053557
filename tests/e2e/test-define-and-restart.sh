#!/bin/sh
# The watcher and the daemon in a user's life (issue 4):
#  - tagging through a whole-domain define, as virt-manager's XML editor
#    does, is patched like `virsh metadata` tagging;
#  - restarting libvirtd under the watcher and a running tagged guest loses
#    nothing: the guest keeps running (libvirt reconnects and runs the hook's
#    `reconnect`), the definition stays patched, and the watcher reconnects
#    and patches the next tag;
#  - a domain tagged while the watcher was not running is patched when it
#    starts again.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTLIB/guest.sh"
. "$TESTLIB/libvirtd-ns"
. "$TESTLIB/e2e.sh"
ns_enter "$@"
make_scratch

root=$(fixture_root thinkpad-smbios3)
e2e_setup "$root"
ns_start_watcher

ns_define edit bios "$GUEST_VCPUS" oemkvm.hold=600
e2e_tag_by_define edit
e2e_wait_patched edit
note "a whole-domain define with the tag is patched"

# The guest prints everything, then holds: restart libvirtd under it.
ns_boot_start edit
ns_wait_output edit
ns_restart_libvirtd
[ "$(virsh domstate edit)" = running ] || { ns_show_logs edit; die "the guest did not survive a libvirtd restart"; }
e2e_patched edit || die "the definition lost its patch over a libvirtd restart"
virsh destroy edit >/dev/null
guest_parse "$NS_LOGS/edit-serial.log" "$SCRATCH/edit"
e2e_check "$SCRATCH/edit" "$root/expected" || die "the guest did not get the laptop's license data"
note "the guest kept running over a libvirtd restart and got the license data"

# The watcher is back on the new daemon.
ns_define after bios
e2e_tag after
e2e_wait_patched after
note "the watcher patches after the restart"

# Tagged while no watcher ran: patched by the watcher's pass at start.
ns_stop_watcher
ns_define late bios
e2e_tag late
e2e_patched late && die "late is patched with no watcher running"
ns_start_watcher
e2e_wait_patched late
note "a domain tagged while the watcher was stopped is patched when it starts"
