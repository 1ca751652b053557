# In the mdev guest (tests/guest/test-mdev-hook.sh, mbochs budget 80 MB:
# mbochs-medium fits 5 times): the installed qemu.d hook run as libvirt
# runs it, on definitions `oemkvm patch` made from <oemkvm:gvt>, against
# the real kernel's mdev core and the real mdevctl.
. /etc/oemkvm-guest/lib.sh

HOOK=/etc/libvirt/hooks/qemu.d/oemkvm
DOMAIN=/oemkvm-test/win11.xml
U=6d5f9c1e-0a7b-4c3d-8e2f-1a2b3c4d5e6f

# define NAME N GVT-ATTRS: /tmp/NAME.xml, the fixture domain named NAME
# with a UUID ending in N, tagged and patched.
define() {
        sed -e "s|<name>win11</name>|<name>$1</name>|" \
            -e "s|<uuid>5f6c1c2e-8d3b-4a5e-9a63-[0-9a-f]*</uuid>|<uuid>5f6c1c2e-8d3b-4a5e-9a63-$(printf '%012d' "$2")</uuid>|" \
            -e "s|<metadata>|<metadata><oemkvm:config xmlns:oemkvm=\"urn:oemkvm:domain:1\"><oemkvm:gvt $3/></oemkvm:config>|" \
            "$DOMAIN" | oemkvm patch >"/tmp/$1.xml" || fail "oemkvm patch of $1"
}
# hook NAME OP SUBOP: as libvirt runs it; stderr in /tmp/NAME.err.
hook() { "$HOOK" "$1" "$2" "$3" - <"/tmp/$1.xml" 2>"/tmp/$1.err"; }
# vgpu_of NAME: the UUID its hostdev names.
vgpu_of() { sed -n 's|.*<address uuid="\([0-9a-f-]*\)"/>.*|\1|p' "/tmp/$1.xml" | head -n 1; }
devices() { ls "$MDEV_DEVICES" 2>/dev/null | wc -l; }

# 0. oemkvm gvt types tells what mdevctl types tells, word for word.
oemkvm gvt types >/tmp/oemkvm.types || fail "oemkvm gvt types"
mdevctl types | grep -v '^$' >/tmp/mdevctl.types
cmp -s /tmp/oemkvm.types /tmp/mdevctl.types || fail "gvt types differs from mdevctl types: $(diff /tmp/mdevctl.types /tmp/oemkvm.types)"
oemkvm gvt types --json | grep -q '"parent": "mbochs", "type": "mbochs-medium", "name": "mbochs-medium", "description": "virtual display, 16 MB video memory", "device_api": "vfio-pci", "available_instances": 5}' ||
        fail "gvt types --json: $(oemkvm gvt types --json)"
ok "oemkvm gvt types lists what mdevctl types lists"

# 1. Created at prepare begin with its type, left alone in between, gone at release end.
define d1 1 'parent="mbochs" type="mbochs-medium" display="none" opregion="no"'
v=$(vgpu_of d1)
[ -n "$v" ] || fail "d1's definition names no mdev"
! is_active "$v" || fail "$v exists before the start"
hook d1 prepare begin || fail "prepare begin: $(cat /tmp/d1.err)"
is_active "$v" || fail "prepare begin did not create $v"
[ "$(basename "$(readlink -f "$MDEV_DEVICES/$v/mdev_type")")" = mbochs-medium ] || fail "$v is not an mbochs-medium"
for phase in "start begin" "started begin"; do
        # shellcheck disable=SC2086
        hook d1 $phase || fail "$phase: $(cat /tmp/d1.err)"
done
is_active "$v" || fail "$v went away before the domain stopped"
hook d1 stopped end || fail "stopped end"
is_active "$v" || fail "stopped end removed $v (release end's job)"
hook d1 release end || fail "release end: $(cat /tmp/d1.err)"
! is_active "$v" || fail "release end left $v"
hook d1 release end || fail "a second release end failed"
ok "prepare begin created $v (mbochs-medium), start/started/stopped left it, release end removed it"

# 2. A device the user created beforehand is used and kept.
sysfs_create mbochs mbochs-medium "$U"
define d2 2 "parent=\"mbochs\" type=\"mbochs-medium\" display=\"none\" uuid=\"$U\""
hook d2 prepare begin || fail "prepare with the user's device: $(cat /tmp/d2.err)"
hook d2 release end || fail "release with the user's device"
is_active "$U" || fail "release end removed the user's device"
sysfs_remove "$U"
ok "the user's own device is used and kept"

# 3. A full type: one line naming the type, the types with room and who holds the budget; nothing created.
sysfs_create mbochs mbochs-large "$U"
define d3 3 'parent="mbochs" type="mbochs-large" display="none"'
before=$(devices)
if hook d3 prepare begin; then fail "a full type was accepted"; fi
[ "$(wc -l </tmp/d3.err)" -eq 1 ] || fail "not one line: $(cat /tmp/d3.err)"
grep -q "^oemkvm: domain 'd3': no room for a vGPU of type mbochs-large on mbochs (available_instances is 0) — types with room there: mbochs-medium (1 left), mbochs-small (4 left); vGPUs in use there: $U (mbochs-large, in no running domain)" /tmp/d3.err ||
        fail "full type: $(cat /tmp/d3.err)"
[ "$(devices)" = "$before" ] || fail "a refused prepare created a device"
hook d3 release end || fail "release end after a refused prepare"
is_active "$U" || fail "release end after a refused prepare touched $U"
sysfs_remove "$U"
ok "a full type is refused with the types that have room; nothing created, nothing touched after"

# 4. A missing parent, and a missing type.
define d4 4 'parent="mdpy" type="mdpy-vga" display="none"'
if hook d4 prepare begin; then fail "a missing parent was accepted"; fi
grep -q "^oemkvm: domain 'd4': the vGPU's parent mdpy is not there ('/sys/class/mdev_bus/mdpy' does not exist) — run 'oemkvm doctor'$" /tmp/d4.err ||
        fail "missing parent: $(cat /tmp/d4.err)"
define d5 5 'parent="mbochs" type="mbochs-huge" display="none"'
if hook d5 prepare begin; then fail "a missing type was accepted"; fi
grep -q "mbochs has no mdev type mbochs-huge — it offers mbochs-large, mbochs-medium, mbochs-small" /tmp/d5.err ||
        fail "missing type: $(cat /tmp/d5.err)"
ok "a missing parent points at 'oemkvm doctor', a missing type lists the types"

# 5. Defined by mdevctl: started and stopped through it, so mdevctl list stays true.
mdevctl define -u "$U" -p mbochs -t mbochs-small
define d6 6 "parent=\"mbochs\" type=\"mbochs-small\" display=\"none\" uuid=\"$U\""
hook d6 prepare begin || fail "prepare of an mdevctl-defined device: $(cat /tmp/d6.err)"
mdevctl list | grep -qx "$U mbochs mbochs-small manual (defined)" || fail "mdevctl list: $(mdevctl list)"
hook d6 release end || fail "release end of an mdevctl-defined device: $(cat /tmp/d6.err)"
! is_active "$U" || fail "release end left the mdevctl-defined device"
mdevctl list -d | grep -qx "$U mbochs mbochs-small manual" || fail "its definition went: $(mdevctl list -d)"
mdevctl undefine -u "$U"
ok "an mdevctl-defined device is started and stopped through mdevctl, still defined after"

# 6. Eight domains start at once on room for five: five get one, three are refused, none share.
i=10
while [ $i -lt 18 ]; do
        define "p$i" "$i" 'parent="mbochs" type="mbochs-medium" display="none"'
        i=$((i + 1))
done
for n in p10 p11 p12 p13 p14 p15 p16 p17; do
        (if hook "$n" prepare begin; then echo ok; else echo refused; fi >"/tmp/$n.result") &
done
wait
started=$(cat /tmp/p1?.result | grep -cx ok)
refused=$(cat /tmp/p1?.result | grep -cx refused)
[ "$started" -eq 5 ] && [ "$refused" -eq 3 ] || fail "$started started, $refused refused: $(cat /tmp/p1?.err)"
[ "$(devices)" -eq 5 ] || fail "$(devices) devices for 5 started domains"
for n in p10 p11 p12 p13 p14 p15 p16 p17; do
        if [ "$(cat "/tmp/$n.result")" = ok ]; then
                is_active "$(vgpu_of "$n")" || fail "$n started without its device"
        else
                grep -q "no room for a vGPU of type mbochs-medium on mbochs" "/tmp/$n.err" || fail "$n: $(cat "/tmp/$n.err")"
        fi
done
for n in p10 p11 p12 p13 p14 p15 p16 p17; do hook "$n" release end || fail "release $n"; done
[ "$(devices)" -eq 0 ] || fail "$(devices) devices left after every release"
ok "8 parallel starts on room for 5: 5 started with their own device, 3 refused, all gone after release"
