# shellcheck shell=sh
# Shared shell helpers of the guest and end-to-end tests (sourced, not run).
#
# A test that cannot run here (not root, a binary missing) FAILS with a
# message naming what to install: nothing in this suite skips silently.

# OEMKVM_TRACE=1 traces the scripts, also inside the namespace.
[ -z "${OEMKVM_TRACE:-}" ] || set -x

# Where things are; the Makefile's TEST_ENV sets both, a manual run may not.
OEMKVM_SRCDIR=${OEMKVM_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
OEMKVM_BUILDDIR=${OEMKVM_BUILDDIR:-$OEMKVM_SRCDIR/build}
TESTLIB=$OEMKVM_SRCDIR/tests/lib
export OEMKVM_SRCDIR OEMKVM_BUILDDIR TESTLIB
# The built tools link liboemkvm from the build directory (their RUNPATH is
# the install's), also when a test is run by hand; libvirtd passes LD_* on
# to the hook.
case ":${LD_LIBRARY_PATH:-}:" in
*":$OEMKVM_BUILDDIR:"*) ;;
*) LD_LIBRARY_PATH=$OEMKVM_BUILDDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}; export LD_LIBRARY_PATH ;;
esac

# The tests' own name, for messages.
PROG=${PROG:-$(basename "$0")}

# Messages carry the seconds since the script started: a slow TCG boot or
# a stalled daemon shows where the time went.
_t0=$(date +%s)
_since() { echo "+$(( $(date +%s) - _t0 ))s"; }
note() { printf '%s [%s]: %s\n' "$PROG" "$(_since)" "$*" >&2; }
die()  { printf '%s [%s]: FAIL: %s\n' "$PROG" "$(_since)" "$*" >&2; exit 1; }

require_root() {
        [ "$(id -u)" = 0 ] || die "needs root (${1:-it starts QEMU and libvirtd}); run it with sudo"
}

# require_cmd CMD DEBIAN-PACKAGE
require_cmd() {
        command -v "$1" >/dev/null 2>&1 || die "'$1' not found; install the Debian package $2"
}

# The guest kernel: $OEMKVM_GUEST_KERNEL, else the newest /boot/vmlinuz-*
# (Debian's kernel has ACPI, DMI sysfs and the 8250 console built in, so
# the guest needs no modules).
guest_kernel() {
        if [ -n "${OEMKVM_GUEST_KERNEL:-}" ]; then
                [ -r "$OEMKVM_GUEST_KERNEL" ] || die "OEMKVM_GUEST_KERNEL='$OEMKVM_GUEST_KERNEL' is not readable"
                echo "$OEMKVM_GUEST_KERNEL"
                return
        fi
        k=$(printf '%s\n' /boot/vmlinuz-* | sort -V | tail -n 1)
        [ "$k" != '/boot/vmlinuz-*' ] || k=
        [ -n "$k" ] || die "no kernel in /boot; install linux-image-amd64 or set OEMKVM_GUEST_KERNEL"
        [ -r "$k" ] || die "'$k' is not readable (run as root or set OEMKVM_GUEST_KERNEL)"
        echo "$k"
}

# ipxe_rom NAME: a real PCI option ROM from Debian's ipxe-qemu, which keeps
# them in /usr/lib/ipxe/qemu up to Debian 12 and in /usr/share/qemu after.
ipxe_rom() {
        for _d in /usr/lib/ipxe/qemu /usr/share/qemu; do
                [ ! -r "$_d/$1" ] || { echo "$_d/$1"; return; }
        done
        die "no option ROM '$1' in /usr/lib/ipxe/qemu or /usr/share/qemu; install the Debian package ipxe-qemu"
}

# version_num X.Y.Z: a version as one comparable number (11.2.0 -> 11002000).
version_num() { echo "$1" | awk -F. '{ printf "%d\n", $1 * 1000000 + $2 * 1000 + $3 }'; }

# case_min_libvirt CASEDIR: the libvirt version a golden case's XML needs,
# from CASEDIR/min-libvirt (e.g. native MSDM tables: 11.2.0), else 0.0.0.
case_min_libvirt() {
        if [ -f "$1/min-libvirt" ]; then cat "$1/min-libvirt"; else echo 0.0.0; fi
}

# wait_until SECONDS WHAT COMMAND...: polls COMMAND every 0.2 s; fails
# with WHAT once SECONDS have passed.  Every wait in the suite is bounded.
wait_until() {
        _wu_limit=$1 _wu_what=$2
        shift 2
        _wu_end=$(( $(date +%s) + _wu_limit ))
        while ! "$@" >/dev/null 2>&1; do
                [ "$(date +%s)" -lt "$_wu_end" ] || { note "timed out after ${_wu_limit}s waiting for $_wu_what"; return 1; }
                sleep 0.2
        done
}

# show_log FILE TITLE: prints a log for a failure report, indented.
show_log() {
        echo "----- $2 ($1) -----" >&2
        if [ -s "$1" ]; then tr -d '\r' <"$1" | sed 's/^/  | /' >&2; else echo "  (empty or missing)" >&2; fi
        echo "----- end of $2 -----" >&2
}

# A scratch directory removed at exit; tests add their own cleanup through
# at_exit so a trap set later does not drop an earlier one.
_at_exit_cmds=
at_exit() { _at_exit_cmds="$*
$_at_exit_cmds"; }
_run_at_exit() {
        _rc=$?
        set +e
        eval "$_at_exit_cmds"
        exit $_rc
}
trap _run_at_exit EXIT
trap 'exit 130' INT TERM HUP

make_scratch() {
        SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/oemkvm-test.XXXXXX")
        at_exit "rm -rf '$SCRATCH'"
}
