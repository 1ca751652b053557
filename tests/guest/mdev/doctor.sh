# In the mdev guest on the host's root (tests/guest/test-doctor-mdev.sh,
# mbochs with an 80 MB budget): oemkvm doctor reads the real kernel's mdev
# types.  A domain tagged <oemkvm:gvt parent="mbochs" type="mbochs-medium">
# in a real libvirtd: doctor finds the type and the room the kernel reports,
# follows it as vGPUs take the budget, names the vGPU that holds a full
# type, accepts the domain's own vGPU existing already, and lists the
# types the parent does offer when the tag names another.
set -eu
. "$OEMKVM_SRCDIR/tests/lib/common.sh"
. "$TESTLIB/guest.sh"
. "$TESTLIB/libvirtd-ns"
. /etc/oemkvm-guest/lib.sh

ns_enter "$@"
ns_start
OEMKVM=$(oemkvm_bin)
J=$NS_DIR/doctor.json
LARGE=3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a98
MEDIUM=6d5f9c1e-0a7b-4c3d-8e2f-1a2b3c4d5e6f

# tag ATTRS: d1's tag is <gvt ATTRS/>.
tag() {
        virsh metadata --config d1 --uri urn:oemkvm:domain:1 --key oemkvm \
                --set "<config><gvt parent=\"mbochs\" $1 display=\"none\" opregion=\"no\"/></config>" >/dev/null ||
                fail "virsh metadata d1 failed"
}

# room: doctor on d1; prints gvt.room's verdict, detail and fix on one line.
room() {
        "$OEMKVM" doctor --json d1 >"$J" 2>"$NS_DIR/doctor.err" || true
        [ ! -s "$NS_DIR/doctor.err" ] || fail "doctor wrote on stderr: $(cat "$NS_DIR/doctor.err")"
        jq -r '.checks[] | select(.id == "gvt.room" and .domain == "d1") | "\(.verdict) | \(.detail) | \(.fix)"' "$J"
}

# expect_room PATTERN: gvt.room matches the shell pattern.
expect_room() {
        r=$(room)
        # shellcheck disable=SC2254
        case $r in $1) ;; *) fail "gvt.room is '$r', expected '$1'" ;; esac
}

ns_domain_xml d1 bios 1 >"$NS_DIR/d1.xml"
virsh define "$NS_DIR/d1.xml" >/dev/null || fail "virsh define d1 failed"
tag 'type="mbochs-medium"'

# Room as the kernel counts it: 80 MB make 5 medium (16 MB) instances.
n=$(avail mbochs mbochs-medium)
[ "$n" = 5 ] || fail "mbochs-medium starts with $n instances, expected 5"
expect_room "PASS | mbochs-medium on mbochs has room for 5 more | null"
jq -e '.checks[] | select(.id == "gvt.wanted") | .verdict == "PASS"' "$J" >/dev/null ||
        fail "a tag with <oemkvm:gvt> does not make the GVT-g lines count"
ok "doctor reads mbochs-medium's room from the kernel: 5"

# A large vGPU takes 64 MB of the budget: one medium left, as the kernel says.
sysfs_create mbochs mbochs-large "$LARGE"
n=$(avail mbochs mbochs-medium)
[ "$n" = 1 ] || fail "mbochs-medium has $n instances after a large one, expected 1"
expect_room "PASS | mbochs-medium on mbochs has room for 1 more | null"
ok "doctor follows the shared budget: 1 left after an mbochs-large"

# The last medium one: full, the vGPU holding it named, no type with room left.
sysfs_create mbochs mbochs-medium "$MEDIUM"
expect_room "FAIL | mbochs-medium on mbochs has no room left: held by $MEDIUM | stop a guest that holds a vGPU on mbochs: no type there has room"
ok "a full type FAILs naming the vGPU that holds it ($MEDIUM)"

# The domain's own vGPU exists already: nothing to create, nothing missing.
tag "type=\"mbochs-medium\" uuid=\"$MEDIUM\""
expect_room "PASS | its vGPU $MEDIUM exists already, a mbochs-medium on mbochs | null"
ok "the domain's own vGPU existing already passes"

# A type mbochs does not offer: the ones it does, with their room.
tag 'type="mbochs-huge"'
expect_room "FAIL | 'mbochs' has no type 'mbochs-huge'; it offers mbochs-large: 0 left, mbochs-medium: 0 left, mbochs-small: 0 left | change type=*"
ok "a type the parent lacks FAILs listing mbochs-large, mbochs-medium, mbochs-small"

sysfs_remove "$MEDIUM"
sysfs_remove "$LARGE"
tag 'type="mbochs-small"'
expect_room "PASS | mbochs-small on mbochs has room for 20 more | null"
ok "room is back once the vGPUs are gone: 20 small"
