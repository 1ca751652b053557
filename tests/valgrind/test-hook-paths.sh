#!/bin/sh
# valgrind (memcheck with leak check, and fd tracking) over every path the
# hook binary takes, as libvirt runs it: untagged (a bare exec), a tagged
# start that goes on, one refused as unpatched, one refused as transient,
# one refused by the AppArmor check, a migrate that relocates the paths and
# one that cannot, the phases with nothing to do, and GVT-g's prepare and
# release on an mdev fixture root (the user's own device, a new one, a type
# without room).  Each run: 0 errors, no definite leak, no descriptor left
# open at exit but those it inherited.  Runs on the plain build (valgrind
# and ASan exclude each other).
set -eu
. "$OEMKVM_SRCDIR/tests/lib/cli.sh"
require_cmd valgrind valgrind
require_cmd python3 python3

HOOK=$OEMKVM_BUILDDIR/oemkvm-hook
XML=$OEMKVM_SRCDIR/tests/fixtures/hook/win11.xml
TAG='<oemkvm:config xmlns:oemkvm="urn:oemkvm:domain:1"><oemkvm:license/><oemkvm:topology edition="pro"/><oemkvm:virtio/></oemkvm:config>'
chmod 0755 "$T"

ROOT=$T/root
mkdir -p "$ROOT/etc/libvirt/qemu" "$ROOT/sys/module/apparmor/parameters"
ln -s "$ROOTS/thinkpad-smbios3/sys/firmware" "$ROOT/sys/firmware"
export OEMKVM_SYSROOT="$ROOT" OEMKVM_STORE_DIR="$T/store"
sed "s|<metadata>|<metadata>$TAG|" "$XML" >"$T/tagged.xml"
"$OEMKVM" dump --sysroot "$ROOTS/thinkpad-smbios3" --output "$T/store" >/dev/null || die "oemkvm dump failed"
"$OEMKVM" patch --store "$T/store" "$T/tagged.xml" >"$T/patched.xml" 2>"$T/patch.err" || die "oemkvm patch failed: $(cat "$T/patch.err")"
sed "s|$T/store|/srv/elsewhere|g" "$T/patched.xml" >"$T/foreign.xml"

runs=0
# vg NAME EXPECTED-EXIT INPUT ARGS…
vg() {
        name=$1 want=$2 input=$3
        shift 3
        log=$T/vg-$name.log
        set +e
        # Only stdin, stdout and stderr go in, as libvirtd gives them:
        # valgrind 3.24 (Debian 13) counts every descriptor open at exit
        # as an error, the shell's and make's included.
        python3 -c 'import os, sys; os.closerange(3, os.sysconf("SC_OPEN_MAX")); os.execvp(sys.argv[1], sys.argv[1:])' \
        valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
                --errors-for-leak-kinds=definite --error-exitcode=99 --track-fds=yes \
                --log-file="$log" "$HOOK" "$@" <"$input" >"$T/stdout" 2>"$T/stderr"
        rc=$?
        set -e
        [ "$rc" -ne 99 ] || die "$name: valgrind found errors: $(grep -A20 -E 'Invalid|uninitialised|definitely lost|Open file descriptor' "$log" | head -40)"
        [ "$rc" -eq "$want" ] || die "$name: exit $rc, expected $want: $(cat "$T/stderr") $(tail -5 "$log")"
        grep -q 'ERROR SUMMARY: 0 errors' "$log" || die "$name: $(grep 'ERROR SUMMARY' "$log")"
        grep -q 'definitely lost: [1-9]' "$log" && die "$name: $(grep 'definitely lost' "$log")"
        # What the hook itself opened and left open (not its std streams).
        opened=$(awk '/Open file descriptor/ { fd = $0; getline; if ($0 !~ /inherited from parent/) print fd }' "$log")
        grep -q 'FILE DESCRIPTORS: ' "$log" || die "$name: valgrind did not track descriptors"
        [ -z "$opened" ] || die "$name: descriptors left open: $(sed -n '/FILE DESCRIPTORS/,/HEAP SUMMARY/p' "$log" | head -30)"
        runs=$((runs + 1))
}

# Untagged: never loads the library.
vg untagged 0 "$XML" win11 prepare begin -
# Tagged, transient (no persistent definition): refused.
vg transient 1 "$T/tagged.xml" win11 prepare begin -
: >"$ROOT/etc/libvirt/qemu/win11.xml"
# Tagged, not patched: refused (the store refreshed first).
vg unpatched 1 "$T/tagged.xml" win11 prepare begin -
# Patched: goes on.
vg prepare 0 "$T/patched.xml" win11 prepare begin -
# AppArmor on, no local rules: refused naming them.
echo Y >"$ROOT/sys/module/apparmor/parameters/enabled"
vg apparmor 1 "$T/patched.xml" win11 prepare begin -
rm "$ROOT/sys/module/apparmor/parameters/enabled"
# migrate/restore: same store (prints nothing), another host's paths (relocated).
vg migrate-same 0 "$T/patched.xml" win11 migrate begin -
vg restore-relocate 0 "$T/foreign.xml" win11 restore begin -
grep -q "file=$T/store/msdm.bin" "$T/stdout" || die "restore did not relocate the paths"
# A host without the dump or the firmware: refused.
rm "$ROOT/sys/firmware"
export OEMKVM_STORE_DIR="$T/empty"
vg migrate-refused 1 "$T/foreign.xml" win11 migrate begin -
export OEMKVM_STORE_DIR="$T/store"
# Phases with nothing to do, tagged or not, and a refused prepare's aftermath.
for phase in "start begin" "started begin" "stopped end" "release end"; do
        # shellcheck disable=SC2086
        vg "$(echo "$phase" | tr ' ' -)" 0 "$T/patched.xml" win11 $phase -
done

# GVT-g on a copy of the Kaby Lake mdev fixture (one GVTg_V5_8 device
# active): prepare with the user's own device and its release, which keeps
# it; prepare that writes a new UUID to the type's create, and its
# release; prepare refused for want of room.  The per-parent lock lives
# under the sysroot's /run.
GROOT=$T/gvt-root
mkdir -p "$GROOT/etc/libvirt/qemu" "$GROOT/run"
cp -a "$OEMKVM_SRCDIR/tests/fixtures/mdev/gvt-kabylake-busy/." "$GROOT/"
: >"$GROOT/etc/libvirt/qemu/win11.xml"
export OEMKVM_SYSROOT="$GROOT"
gvt_domain() {
        sed "s|<metadata>|<metadata><oemkvm:config xmlns:oemkvm=\"urn:oemkvm:domain:1\"><oemkvm:gvt parent=\"0000:00:02.0\" $2 display=\"none\"/></oemkvm:config>|" "$XML" |
                "$OEMKVM" patch --store "$T/store" >"$T/$1.xml" 2>"$T/patch.err" || die "oemkvm patch ($1) failed: $(cat "$T/patch.err")"
}
gvt_domain gvt-own 'type="i915-GVTg_V5_8" uuid="5c7a3f30-8f7a-4b1e-9d55-2f0e1c3b4a61"'
gvt_domain gvt-new 'type="i915-GVTg_V5_8"'
gvt_domain gvt-full 'type="i915-GVTg_V5_4"'
vg gvt-own-prepare 0 "$T/gvt-own.xml" win11 prepare begin -
vg gvt-own-release 0 "$T/gvt-own.xml" win11 release end -
vg gvt-new-prepare 0 "$T/gvt-new.xml" win11 prepare begin -
grep -q . "$GROOT/sys/devices/pci0000:00/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_8/create" ||
        die "the GVT-g prepare wrote no UUID to the type's create"
vg gvt-new-release 0 "$T/gvt-new.xml" win11 release end -
vg gvt-full-prepare 1 "$T/gvt-full.xml" win11 prepare begin -
grep -q "no room for a vGPU of type i915-GVTg_V5_4" "$T/stderr" || die "the full type was not refused for want of room: $(cat "$T/stderr")"
note "$runs hook runs under valgrind: 0 errors, no definite leaks, no descriptor left open"
