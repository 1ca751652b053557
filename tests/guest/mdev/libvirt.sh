# In the mdev guest on the host's root (tests/guest/test-mdev-libvirt.sh):
# what a real libvirtd and QEMU do with a mediated device, the facts the
# hook's part in GVT-g rests on.  libvirt never creates an mdev: starting a
# domain whose mdev is not active fails; once the device exists, QEMU
# realizes it as vfio-pci; destroying the domain leaves the device behind.
set -eu
. "$OEMKVM_SRCDIR/tests/lib/common.sh"
. "$TESTLIB/guest.sh"
. "$TESTLIB/libvirtd-ns"
. /etc/oemkvm-guest/lib.sh

ns_enter "$@"
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
