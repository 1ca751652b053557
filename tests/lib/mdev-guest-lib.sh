# shellcheck shell=sh
# Helpers for the scripts tests/lib/mdev-guest runs inside the guest
# (sourced there as /etc/oemkvm-guest/lib.sh; busybox sh).  A script
# prints what it checked and exits non-zero on the first failure.
set -eu

MDEV_BUS=/sys/class/mdev_bus
MDEV_DEVICES=/sys/bus/mdev/devices

fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

# type_dir PARENT TYPE
type_dir() { echo "$MDEV_BUS/$1/mdev_supported_types/$2"; }
# avail PARENT TYPE: its available_instances
avail() { cat "$(type_dir "$1" "$2")/available_instances"; }
# expect_avail PARENT TYPE N
expect_avail() {
        _n=$(avail "$1" "$2")
        [ "$_n" = "$3" ] || fail "$1/$2: available_instances is $_n, expected $3"
}
# sysfs_create PARENT TYPE UUID: the manual recipe's echo into create.
sysfs_create() { echo "$3" >"$(type_dir "$1" "$2")/create"; }
# sysfs_remove UUID
sysfs_remove() { echo 1 >"$MDEV_DEVICES/$1/remove"; }
# is_active UUID
is_active() { [ -e "$MDEV_DEVICES/$1" ]; }
