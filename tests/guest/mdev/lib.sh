# In the mdev guest (tests/guest/test-mdev-lib.sh, mbochs budget 80 MB):
# liboemkvm's mdev code against the real kernel and the real mdevctl.
. /etc/oemkvm-guest/lib.sh
/oemkvm-test/mdev-kernel
# Nothing is left behind: no device active, no definition.
[ -z "$(ls "$MDEV_DEVICES")" ] || fail "devices left active: $(ls "$MDEV_DEVICES")"
[ -z "$(mdevctl list -d)" ] || fail "definitions left: $(mdevctl list -d)"
ok "nothing left behind"
