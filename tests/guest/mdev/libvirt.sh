# In the mdev guest on the host's root (tests/guest/test-mdev-libvirt.sh):
# 1. what a real libvirtd and QEMU do with a mediated device, the facts the
#    hook's part in GVT-g rests on: libvirt never creates an mdev (starting
#    a domain whose mdev is not active fails); once the device exists, QEMU
#    realizes it as vfio-pci; destroying the domain leaves the device.
# 2. the whole thing as libvirt does it with oemkvm: a domain tagged with
#    <oemkvm:gvt parent="mbochs" …> and applied starts with a vGPU that did
#    not exist before (the hook makes it at prepare begin), and is gone after
#    virsh destroy (release end).
set -eu
. "$OEMKVM_SRCDIR/tests/lib/common.sh"
. "$TESTLIB/guest.sh"
. "$TESTLIB/libvirtd-ns"
. /etc/oemkvm-guest/lib.sh

ns_enter "$@"
# Before the daemon starts: libvirt looks for hooks at start-up.  Untagged
# domains never reach the library, so part 1 sees libvirt alone.
ns_install_hook
ns_start
U=6d5f9c1e-0a7b-4c3d-8e2f-1a2b3c4d5e6f

ns_guest
ns_domain_xml d1 bios 1 |
        sed "s|<devices>|<devices><hostdev mode='subsystem' type='mdev' model='vfio-pci' display='off'><source><address uuid='$U'/></source></hostdev>|" \
        >"$NS_DIR/d1.xml"
virsh define "$NS_DIR/d1.xml" >/dev/null || die "libvirt refused a domain with an mdev hostdev"

# Inactive: the start fails, naming the device.
err=$(ns_start_fails d1) || die "d1 started without its mdev"
case $err in *"mediated device '$U' not found"*) ;; *) die "start without the mdev: $err" ;; esac
ok "libvirt does not create an mdev: the start fails with \"mediated device '$U' not found\""

# Active: QEMU realizes it as a vfio-pci device on its sysfs path.
sysfs_create mbochs mbochs-medium "$U"
virsh start d1 >/dev/null || { ns_show_logs d1; die "d1 did not start with its mdev active"; }
[ "$(virsh domstate d1)" = running ] || die "d1 is not running"
grep -q "\"driver\":\"vfio-pci\".*\"sysfsdev\":\"/sys/bus/mdev/devices/$U\"" "$NS_LOGS/qemu/d1.log" ||
        { ns_show_logs d1; die "QEMU was not given the mdev as vfio-pci"; }
ok "with the mdev active, QEMU runs with it as vfio-pci (sysfsdev=/sys/bus/mdev/devices/$U)"

# Destroyed: the device stays; removing it is someone else's job.
virsh destroy d1 >/dev/null
is_active "$U" || die "libvirt removed the mdev"
sysfs_remove "$U"
ok "virsh destroy leaves the mdev active"

# 2. With oemkvm: tag, apply, start, destroy.
ns_domain_xml d2 bios 1 >"$NS_DIR/d2.xml"
virsh define "$NS_DIR/d2.xml" >/dev/null || die "define d2"
virsh metadata --config d2 --uri urn:oemkvm:domain:1 --key oemkvm \
        --set '<config><gvt parent="mbochs" type="mbochs-medium" display="none" opregion="no"/></config>' >/dev/null ||
        die "virsh metadata --set on d2"
"$(oemkvm_bin)" apply d2 >"$NS_DIR/apply.out" 2>&1 || { cat "$NS_DIR/apply.out"; die "oemkvm apply d2"; }
v=$(virsh dumpxml --inactive d2 | sed -n "s|.*<address uuid='\([0-9a-f-]*\)'/>.*|\1|p" | head -n 1)
[ -n "$v" ] || { virsh dumpxml --inactive d2; die "the applied definition names no mdev"; }
! is_active "$v" || die "$v exists before the start"
virsh start d2 >/dev/null 2>"$NS_DIR/start.err" || { cat "$NS_DIR/start.err"; ns_show_logs d2; die "virsh start d2"; }
is_active "$v" || die "d2 runs, but $v is not active"
[ "$(basename "$(readlink -f "$MDEV_DEVICES/$v/mdev_type")")" = mbochs-medium ] || die "$v is not an mbochs-medium"
grep -q "\"sysfsdev\":\"/sys/bus/mdev/devices/$v\"" "$NS_LOGS/qemu/d2.log" ||
        { ns_show_logs d2; die "QEMU was not given $v"; }
ok "virsh start: the hook created $v at prepare begin, QEMU runs with it"
virsh destroy d2 >/dev/null || die "virsh destroy d2"
! is_active "$v" || die "virsh destroy left $v"
[ -z "$(ls "$MDEV_DEVICES")" ] || die "devices left: $(ls "$MDEV_DEVICES")"
ok "virsh destroy: release end removed $v; no vGPU left"
