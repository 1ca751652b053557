#!/bin/sh
# The exact words, kmod style: for every fixture root, the stdout, stderr
# and exit code of `show`, `show --json` and `dump` are kept in
# tests/cli/golden/<root>/ and compared whole, so any change to what a
# person reads shows up as a diff.  Paths are written as @SRCDIR@ and
# @TMP@.  OEMKVM_REGENERATE=1 rewrites the golden files from this build
# (then read the diff before committing it).
set -eu
. "$OEMKVM_SRCDIR/tests/lib/cli.sh"
require_root "dump writes the store with QEMU's group"
GOLDEN=$OEMKVM_SRCDIR/tests/cli/golden
regen=${OEMKVM_REGENERATE:-0}

# golden ROOT NAME CMD…: runs CMD, compares (or rewrites) NAME.{out,err,exit}.
golden() {
        root=$1 name=$2
        shift 2
        dir=$GOLDEN/$root
        rc=0
        "$@" >"$T/out" 2>"$T/err" || rc=$?
        for s in out err; do
                # The scratch directory first, then the source tree only where
                # a path starts: a lane's tree is /oemkvm, which
                # /tmp/oemkvm-cli.* and /var/lib/oemkvm also contain.
                sed -e "s|$T|@TMP@|g" -e "s#\(^\|[^[:alnum:]_./-]\)$OEMKVM_SRCDIR/#\1@SRCDIR@/#g" "$T/$s" >"$T/$name.$s"
        done
        echo "$rc" >"$T/$name.exit"
        for s in out err exit; do
                if [ "$regen" = 1 ]; then
                        mkdir -p "$dir"
                        cp "$T/$name.$s" "$dir/$name.$s"
                elif ! diff -u "$dir/$name.$s" "$T/$name.$s" >"$T/diff"; then
                        die "$root: '$*' $s differs from tests/cli/golden/$root/$name.$s:
$(cat "$T/diff")"
                fi
        done
}

n=0
for r in "$ROOTS"/*/; do
        root=$(basename "$r")
        golden "$root" show "$OEMKVM" show --sysroot "$ROOTS/$root"
        golden "$root" show-json "$OEMKVM" show --json --sysroot "$ROOTS/$root"
        golden "$root" dump "$OEMKVM" dump --sysroot "$ROOTS/$root" --output "$T/store-$root"
        n=$((n + 1))
done
[ "$n" -gt 0 ] || die "no fixture roots in $ROOTS"
# Every golden directory belongs to a fixture root: none is left unchecked.
for d in "$GOLDEN"/*/; do
        [ -d "$ROOTS/$(basename "$d")" ] || die "tests/cli/golden/$(basename "$d") has no fixture root"
done
note "passed: $n roots x 3 commands"
