#!/bin/sh
# Concurrent starts with vGPUs on one parent: eight tagged domains start
# at once, each asking for an i915-GVTg_V5_8 on a Kaby Lake fake root
# that has room for two.  A shim (tests/lib/mdev-kernel.c) plays the
# kernel's part in `create` — one instance per write, ENOSPC when none is
# left — and makes every read of available_instances slow, as a loaded
# host may between the room check and the create.  Two domains start,
# each with a device of its own; the six others are refused by the room
# check under the per-parent lock ("available_instances is 0"), never by
# the kernel after two of them saw the same last instance.  (The store's
# lock is kept out of it: see below.)
set -eu
. "$OEMKVM_SRCDIR/tests/lib/cli.sh"

HOOK=$OEMKVM_BUILDDIR/oemkvm-hook
XML=$OEMKVM_SRCDIR/tests/fixtures/hook/win11.xml
TYPES=sys/devices/pci0000:00/0000:00:02.0/mdev_supported_types
N=8
chmod 0755 "$T"

${CC:-cc} -shared -fPIC -o "$T/mdev-kernel.so" "$OEMKVM_SRCDIR/tests/lib/mdev-kernel.c" -ldl ||
        die "cannot build the mdev kernel shim"
# An ASan build wants its runtime first; the shim only wraps two libc calls.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

ROOT=$T/root
mkdir -p "$ROOT/etc/libvirt/qemu" "$ROOT/run"
cp -a "$OEMKVM_SRCDIR/tests/fixtures/mdev/gvt-kabylake/." "$ROOT/"
[ "$(cat "$ROOT/$TYPES/i915-GVTg_V5_8/available_instances")" = 2 ] || die "the fixture's GVTg_V5_8 no longer has room for 2"
export OEMKVM_SYSROOT="$ROOT" OEMKVM_STORE_DIR="$T/store"

# N persistent domains, each its own UUID (and so its own vGPU UUID).
TAG='<oemkvm:config xmlns:oemkvm="urn:oemkvm:domain:1"><oemkvm:gvt parent="0000:00:02.0" type="i915-GVTg_V5_8" display="none"/></oemkvm:config>'
i=1
while [ $i -le $N ]; do
        sed -e "s|<metadata>|<metadata>$TAG|" -e "s|<name>win11</name>|<name>w$i</name>|" \
            -e "s|<uuid>5f6c1c2e-8d3b-4a5e-9a63-0c7de8b2f4a1</uuid>|<uuid>5f6c1c2e-8d3b-4a5e-9a63-0c7de8b2f4b$i</uuid>|" "$XML" |
                "$OEMKVM" patch --store "$T/store" >"$T/w$i.xml" 2>"$T/patch.err" || die "oemkvm patch (w$i) failed: $(cat "$T/patch.err")"
        grep -q "f4b$i</uuid>" "$T/w$i.xml" || die "w$i kept win11's UUID"
        : >"$ROOT/etc/libvirt/qemu/w$i.xml"
        i=$((i + 1))
done

# Each start gets a store directory of its own: the store's lock, which
# the starts of one host share and which holds a tagged prepare whole,
# would otherwise serialise them and hide a missing per-parent lock.
i=1
while [ $i -le $N ]; do
        (rc=0
         LD_PRELOAD="$T/mdev-kernel.so" OEMKVM_TEST_MDEV_DELAY_MS=300 OEMKVM_STORE_DIR="$T/store$i" \
                "$HOOK" "w$i" prepare begin - <"$T/w$i.xml" >"$T/w$i.out" 2>"$T/w$i.err" || rc=$?
         echo "$rc" >"$T/w$i.rc") &
        i=$((i + 1))
done
wait

started=0 refused=0
: >"$T/uuids"
i=1
while [ $i -le $N ]; do
        case $(cat "$T/w$i.rc") in
        0)
                started=$((started + 1))
                # Its device: the UUID its definition names, created for it.
                u=$(sed -n 's/.*<address uuid=.\([0-9a-f-]*\).*/\1/p' "$T/w$i.xml" | head -n 1)
                [ -n "$u" ] || die "w$i: no vGPU UUID in its definition"
                [ -L "$ROOT/sys/bus/mdev/devices/$u" ] || die "w$i started without its device $u"
                echo "$u" >>"$T/uuids" ;;
        1)
                refused=$((refused + 1))
                [ "$(wc -l <"$T/w$i.err")" -eq 1 ] || die "w$i: not one line: $(cat "$T/w$i.err")"
                grep -qF "no room for a vGPU of type i915-GVTg_V5_8 on 0000:00:02.0 (available_instances is 0)" "$T/w$i.err" ||
                        die "w$i was refused after the room check — two starts saw the same last instance: $(cat "$T/w$i.err")" ;;
        *)
                die "w$i: the hook exited $(cat "$T/w$i.rc"): $(cat "$T/w$i.err")" ;;
        esac
        i=$((i + 1))
done
[ "$started" -eq 2 ] && [ "$refused" -eq $((N - 2)) ] || die "$started started, $refused refused; expected 2 and $((N - 2))"
[ "$(sort -u "$T/uuids" | wc -l)" -eq 2 ] || die "two started domains share a vGPU: $(cat "$T/uuids")"
[ "$(ls "$ROOT/sys/bus/mdev/devices" | wc -l)" -eq 2 ] || die "devices: $(ls "$ROOT/sys/bus/mdev/devices")"
[ "$(cat "$ROOT/$TYPES/i915-GVTg_V5_8/available_instances")" = 0 ] || die "available_instances is not 0 after two starts"
note "$N parallel starts on room for 2: 2 started with their own vGPU, $((N - 2)) refused by the room check"
