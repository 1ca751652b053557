# In the mdev guest (tests/guest/test-mdev-samples.sh runs it with an mbochs
# budget of 80 MB): the facts about the kernel's mdev core that oemkvm's
# GVT-g support and its tests rest on, checked on the real kernel.
. /etc/oemkvm-guest/lib.sh

A=6d5f9c1e-0a7b-4c3d-8e2f-1a2b3c4d5e6f
B=0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0
C=9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d

# Parents are links under /sys/class/mdev_bus named like the device.
for p in mbochs mtty; do
        [ -L "$MDEV_BUS/$p" ] || fail "$MDEV_BUS/$p is not a link"
done
ok "parents mbochs and mtty under $MDEV_BUS"

# mbochs' types: directory <driver>-<type>, the same in `name`, a
# description, vfio-pci, one budget shared by all three.
[ "$(ls "$MDEV_BUS/mbochs/mdev_supported_types" | tr '\n' ' ')" = "mbochs-large mbochs-medium mbochs-small " ] ||
        fail "mbochs' types: $(ls "$MDEV_BUS/mbochs/mdev_supported_types")"
for t in small:4:20 medium:16:5 large:64:1; do
        name=mbochs-${t%%:*} mb=${t#*:} mb=${mb%:*} n=${t##*:}
        d=$(type_dir mbochs "$name")
        [ "$(cat "$d/name")" = "$name" ] || fail "$name: name is '$(cat "$d/name")'"
        [ "$(cat "$d/device_api")" = vfio-pci ] || fail "$name: device_api is '$(cat "$d/device_api")'"
        [ "$(cat "$d/description")" = "virtual display, $mb MB video memory" ] ||
                fail "$name: description is '$(cat "$d/description")'"
        expect_avail mbochs "$name" "$n"
done
ok "mbochs-small|medium|large: name, vfio-pci, description; 80 MB make 20|5|1 instances"

# mtty has no description: an optional attribute.
[ ! -e "$(type_dir mtty mtty-1)/description" ] || fail "mtty-1 has a description"
[ "$(cat "$(type_dir mtty mtty-2)/name")" = "Dual port serial" ] || fail "mtty-2's name"
ok "mtty's types have a name but no description"

# Create: the device appears on the mdev bus, its mdev_type link names
# type and parent, and the shared budget shrinks for every type.
sysfs_create mbochs mbochs-large "$A"
is_active "$A" || fail "$A is not on the mdev bus after create"
target=$(readlink -f "$MDEV_DEVICES/$A/mdev_type")
case $target in
*/mbochs/mdev_supported_types/mbochs-large) ;;
*) fail "$A's mdev_type resolves to '$target'" ;;
esac
[ -e "$(type_dir mbochs mbochs-large)/devices/$A" ] || fail "the type's devices/ does not list $A"
expect_avail mbochs mbochs-large 0
expect_avail mbochs mbochs-medium 1
expect_avail mbochs mbochs-small 4
ok "create: $A active as mbochs/mbochs-large, 16 MB left: 0|1|4 instances"

# A full type: the write fails with ENOSPC and nothing appears.
if err=$( (sysfs_create mbochs mbochs-large "$B") 2>&1); then fail "a second mbochs-large was created"; fi
case $err in *"No space left on device"*) ;; *) fail "full type: '$err'" ;; esac
! is_active "$B" || fail "$B exists after a refused create"
ok "a full type refuses create with ENOSPC, nothing created"

# The same UUID twice: EEXIST, whatever the type.
if err=$( (sysfs_create mbochs mbochs-small "$A") 2>&1); then fail "$A was created twice"; fi
case $err in *"File exists"*) ;; *) fail "duplicate UUID: '$err'" ;; esac
ok "a UUID in use refuses create with EEXIST"

# mdevctl sees what sysfs has.
mdevctl list | grep -qx "$A mbochs mbochs-large manual" || fail "mdevctl list: $(mdevctl list)"
ok "mdevctl list shows the device created through sysfs"

# Remove: the device goes, the budget comes back.
sysfs_remove "$A"
! is_active "$A" || fail "$A is still active after remove"
expect_avail mbochs mbochs-large 1
expect_avail mbochs mbochs-medium 5
ok "remove: $A gone, 1|5|20 instances again"

# mdevctl's definitions: JSON in /etc/mdevctl.d/<parent>/<uuid>.
mdevctl define -u "$B" -p mbochs -t mbochs-medium
f=/etc/mdevctl.d/mbochs/$B
[ -f "$f" ] || fail "mdevctl define wrote no '$f'"
tr -d ' \n' <"$f" | grep -qx '{"mdev_type":"mbochs-medium","start":"manual","attrs":\[\]}' ||
        fail "mdevctl's definition: $(cat "$f")"
mdevctl start -u "$B"
is_active "$B" || fail "mdevctl start did not create $B"
mdevctl stop -u "$B"
! is_active "$B" || fail "mdevctl stop did not remove $B"
ok "mdevctl define writes {mdev_type, start, attrs}; start/stop create/remove through sysfs"

# mdevctl checks available_instances itself before it writes create.
sysfs_create mbochs mbochs-large "$A"
sysfs_create mbochs mbochs-medium "$C"
expect_avail mbochs mbochs-medium 0
if err=$(mdevctl start -u "$B" 2>&1); then fail "mdevctl started $B in a full budget"; fi
case $err in *"No available instances of mbochs-medium on mbochs"*) ;; *) fail "mdevctl on a full type: '$err'" ;; esac
! is_active "$B" || fail "$B exists after mdevctl refused it"
sysfs_remove "$A"
sysfs_remove "$C"
ok "mdevctl start on a full type: 'No available instances', nothing created"
