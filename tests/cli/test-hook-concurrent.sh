#!/bin/sh
# Concurrent starts: libvirt runs the hooks of domains started at once in
# parallel, and each refreshes the one store.  Two hosts' worth of
# firmware (the ThinkPad's, and the AMI desktop's) race to refresh
# the same store, pair after pair: after every pair the store holds one
# machine's whole set — never one machine's MSDM next to the other's
# SMBIOS — and no temp file; every start succeeds.  (Real firmware does
# not change between two starts; two sysroots make a mix visible.)  Each
# pair starts from an empty store, so both write every file, and a shim
# slows every rename as a loaded host would: without the lock the two
# sets' renames interleave.
set -eu
. "$OEMKVM_SRCDIR/tests/lib/cli.sh"

HOOK=$OEMKVM_BUILDDIR/oemkvm-hook
XML=$OEMKVM_SRCDIR/tests/fixtures/hook/win11.xml
TAG='<oemkvm:config xmlns:oemkvm="urn:oemkvm:domain:1"><oemkvm:license/></oemkvm:config>'
PAIRS=${OEMKVM_CONCURRENT_PAIRS:-20}
chmod 0755 "$T"

${CC:-cc} -shared -fPIC -o "$T/slow-rename.so" "$OEMKVM_SRCDIR/tests/lib/slow-rename.c" -ldl ||
        die "cannot build the rename shim"
# An ASan build wants its runtime first; the shim only wraps two libc calls.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

for m in thinkpad-smbios3 type1-nostrings; do
        mkdir -p "$T/$m/etc/libvirt/qemu"
        : >"$T/$m/etc/libvirt/qemu/win11.xml"
        ln -s "$ROOTS/$m/sys" "$T/$m/sys"
done
export OEMKVM_STORE_DIR="$T/store"
"$OEMKVM" dump --sysroot "$ROOTS/thinkpad-smbios3" --output "$T/store" >/dev/null || die "oemkvm dump failed"
sed "s|<metadata>|<metadata>$TAG|" "$XML" | "$OEMKVM" patch --store "$T/store" >"$T/patched.xml" ||
        die "oemkvm patch failed"

# Which machine's set the store holds: "thinkpad-smbios3", "type1-nostrings" or "mixed".
store_set() {
        for m in thinkpad-smbios3 type1-nostrings; do
                ok=1
                for f in msdm.bin slic.bin smbios_type_0.bin smbios_type_1.bin; do
                        if [ -e "$ROOTS/$m/expected/$f" ]; then
                                cmp -s "$ROOTS/$m/expected/$f" "$T/store/$f" || ok=
                        else
                                [ ! -e "$T/store/$f" ] || ok=
                        fi
                done
                [ -z "$ok" ] || { echo "$m"; return; }
        done
        echo mixed
}

i=0
seen=
while [ "$i" -lt "$PAIRS" ]; do
        rm -f "$T/store/"*
        export LD_PRELOAD="$T/slow-rename.so" OEMKVM_TEST_RENAME_DELAY_MS=20
        OEMKVM_SYSROOT=$T/thinkpad-smbios3 "$HOOK" win11 prepare begin - <"$T/patched.xml" 2>"$T/a.err" &
        a=$!
        OEMKVM_SYSROOT=$T/type1-nostrings "$HOOK" win11 prepare begin - <"$T/patched.xml" 2>"$T/b.err" &
        b=$!
        unset LD_PRELOAD OEMKVM_TEST_RENAME_DELAY_MS
        wait "$a" || die "pair $i: the ThinkPad's start failed: $(cat "$T/a.err")"
        wait "$b" || die "pair $i: the AMI desktop's start failed: $(cat "$T/b.err")"
        set=$(store_set)
        [ "$set" != mixed ] || die "pair $i: the store holds a mix of two machines' files: $(ls -l "$T/store")"
        case " $seen " in *" $set "*) ;; *) seen="$seen $set" ;; esac
        leftover=$(find "$T/store" -name '.*' ! -name .oemkvm-store -type f; find "$T" -maxdepth 1 -name '.store.oemkvm-*')
        [ -z "$leftover" ] || die "pair $i: temp files left in the store: $leftover"
        i=$((i + 1))
done
note "$PAIRS pairs of concurrent starts; the store ended as:$seen"
