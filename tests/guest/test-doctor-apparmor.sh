#!/bin/sh
# oemkvm doctor against the running kernel's AppArmor: in the test guest on
# this machine's root (tests/lib/mdev-guest -H; Debian's kernel enables
# AppArmor), a libvirt-<uuid> profile built from libvirt's template is
# loaded with and without oemkvm's local rules, and doctor's answer from
# aa_query_file_path must match what the kernel enforces
# (tests/guest/mdev/doctor-apparmor.sh).
set -eu
. "$(dirname "$0")/../lib/common.sh"
require_cmd apparmor_parser apparmor
require_cmd aa-exec apparmor

make_scratch
"$TESTLIB/mdev-guest" -H "$SCRATCH/guest" "$OEMKVM_SRCDIR/tests/guest/mdev/doctor-apparmor.sh" ||
        die "doctor's AppArmor answer does not match the kernel's (output above)"
