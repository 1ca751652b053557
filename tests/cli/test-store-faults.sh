#!/bin/sh
# All or nothing, proven by fault injection: `oemkvm dump` switching a
# store from one machine's set to another's is killed before every system
# call that touches the store, and made to fail at each (EIO, ENOSPC on
# write, renameat2, fsync, getrandom), with strace's injection at the
# system-call level — so libc's own calls count too.  After each run the
# store holds one whole set, the old one or the new one, never a mix; the
# next dump succeeds and leaves nothing beside the store.  And a getrandom
# that always fails never blocks a later dump, and parents a killed first
# dump created under umask 077 are still ones QEMU can enter.
set -eu
. "$OEMKVM_SRCDIR/tests/lib/cli.sh"
require_cmd strace strace

OLD=$ROOTS/legacy-smbios2-slic          # the set on disk: MSDM, SLIC, SMBIOS
NEW=$ROOTS/thinkpad-smbios3             # the set written: no SLIC, other bytes
# On tmpfs when there is one: hundreds of dumps, each syncing its files.
if [ -w /dev/shm ]; then
        SHM=$(mktemp -d /dev/shm/oemkvm-faults.XXXXXX)
        trap 'rm -rf "$T" "$SHM"' EXIT
        P=$SHM/parent
else
        P=$T/parent
fi
STORE=$P/host
# LeakSanitizer cannot run under ptrace (it exits non-zero when traced):
# an ASan build checks leaks in every other test, here only the rest.
STRACE="env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace"

# digest DIR: every name in DIR (hidden ones too) and every file's sum.
digest() { (cd "$1" 2>/dev/null && ls -A && md5sum -- * .oemkvm-store 2>&1) || echo none; }

# What a good dump of each machine leaves, checked once against the fixtures.
for root in "$OLD" "$NEW"; do
        "$OEMKVM" dump --sysroot "$root" --output "$T/ref-${root##*/}" >/dev/null || die "cannot dump ${root##*/}"
        for f in msdm.bin slic.bin smbios_type_0.bin smbios_type_1.bin; do
                [ ! -f "$root/expected/$f" ] || cmp -s "$root/expected/$f" "$T/ref-${root##*/}/$f" ||
                        die "${root##*/}: $f is not byte-exact"
        done
done
OLD_SET=$(digest "$T/ref-${OLD##*/}")
NEW_SET=$(digest "$T/ref-${NEW##*/}")
mkdir "$T/template"
cp -a "$T/ref-${OLD##*/}" "$T/template/host"

# consistent WHAT: the store is the old set or the new one (or, when there
# was none before, still none).
consistent() {
        now=$(digest "$STORE")
        case $now in
        "$OLD_SET"|"$NEW_SET") return 0 ;;
        none) [ "$fresh" = 1 ] && return 0 ;;
        esac
        die "$1: the store is no whole set: $now"
}

# finished WHAT: a plain dump succeeds, and only the store is left.
finished() {
        "$OEMKVM" dump --sysroot "$NEW" --output "$STORE" >"$T/next.out" 2>&1 ||
                die "$1: the next dump failed: $(cat "$T/next.out")"
        [ "$(digest "$STORE")" = "$NEW_SET" ] || die "$1: the next dump did not write the new set: $(digest "$STORE")"
        [ "$(ls -A "$P")" = host ] || die "$1: left beside the store after the next dump: $(ls -A "$P")"
}

# The old set in place, or (fresh) not even the directory above the store.
reset() {
        rm -rf "$P"
        [ "$fresh" = 1 ] || cp -a "$T/template" "$P"
}

# first_call SYSCALL: the number of the first call of SYSCALL once the dump
# has opened the directory above the store (before it: the dynamic loader
# and the firmware reads, where a fault only fails the dump).
first_call() {
        reset
        $STRACE -qq -f -o "$T/trace" -e trace="openat,mkdir,$1" \
                "$OEMKVM" dump --sysroot "$NEW" --output "$STORE" >/dev/null 2>&1 || die "an untouched dump failed"
        awk -v sc="$1" -v p="\"$P" '
                index($0, p) && ($2 ~ /^(openat|mkdir)\(/) { exit }
                $2 ~ "^" sc "\\(" { n++ }
                END { print n + 1 }' "$T/trace"
}

# inject SYSCALLS ACTION: runs the dump with ACTION (error=E or signal=KILL)
# at each call of each of SYSCALLS (alternatives: the call one libc or
# another makes) from first_call on, until the dump makes fewer; at least
# one of them must be called, or the test tested nothing.
inject() {
        injected=0
        for sc in $1; do
                inject_one "$sc" "$2"
        done
        [ "$injected" -gt 0 ] || die "the dump never called $1: the injection tested nothing"
}

inject_one() {
        sc=$1 action=$2
        n=$(first_call "$sc")
        while :; do
                reset
                $STRACE -qq -f -o "$T/trace" -e trace="$sc" -e inject="$sc:$action:when=$n" \
                        "$OEMKVM" dump --sysroot "$NEW" --output "$STORE" >"$T/out" 2>&1 || true
                grep -qE 'INJECTED|killed by SIGKILL' "$T/trace" || break
                what="$sc $action at call $n"
                [ "$fresh" = 0 ] || what="$what (first dump)"
                consistent "$what"
                # A failed dump says why in one line (a killed one says nothing).
                case $action in
                error=*) [ "$now" = "$NEW_SET" ] || [ "$(wc -l <"$T/out")" -eq 1 ] ||
                                die "$what: not one line: $(cat "$T/out")" ;;
                esac
                finished "$what"
                n=$((n + 1))
                runs=$((runs + 1))
                injected=$((injected + 1))
        done
}

runs=0
# A first dump creates the directory above the store and renames its set
# in; a later one swaps the sets and takes the old one down.
RENAMES="renameat renameat2 rename"
fresh=0
inject "$RENAMES" signal=KILL
for sc in mkdirat openat write fchown fchmod fsync unlinkat close flock getrandom; do
        inject "$sc" signal=KILL
done
inject openat error=EIO
inject write error=ENOSPC
inject fsync error=EIO
inject fchown error=EPERM
inject "$RENAMES" error=EIO
inject "$RENAMES" error=EXDEV
inject unlinkat error=EBUSY
fresh=1
for sc in "$RENAMES" mkdirat openat write fchown fchmod fsync close flock getrandom; do
        inject "$sc" signal=KILL
done
inject "$RENAMES" error=EIO

# getrandom failing every time: temp names stay unique, dumps keep working,
# also after a killed one left its directory behind.
fresh=0
reset
for i in 1 2 3; do
        for root in "$NEW" "$OLD"; do
                $STRACE -qq -f -o /dev/null -e trace=getrandom -e inject=getrandom:error=ENOSYS \
                        "$OEMKVM" dump --sysroot "$root" --output "$STORE" >"$T/out" 2>&1 ||
                        die "dump $i with getrandom failing: $(cat "$T/out")"
                [ "$(digest "$STORE")" = "$(digest "$T/ref-${root##*/}")" ] ||
                        die "dump $i with getrandom failing wrote the wrong set"
        done
done
$STRACE -qq -f -o /dev/null -e trace=getrandom,fsync -e inject=getrandom:error=ENOSYS \
        -e inject=fsync:signal=KILL:when=3 "$OEMKVM" dump --sysroot "$NEW" --output "$STORE" >/dev/null 2>&1 || true
[ "$(ls -A "$P" | wc -l)" -eq 2 ] || die "the killed dump left nothing to clean up: the test proves nothing"
$STRACE -qq -f -o /dev/null -e trace=getrandom -e inject=getrandom:error=ENOSYS \
        "$OEMKVM" dump --sysroot "$NEW" --output "$STORE" >"$T/out" 2>&1 ||
        die "a dump after a killed one, getrandom failing: $(cat "$T/out")"
[ "$(ls -A "$P")" = host ] || die "left beside the store: $(ls -A "$P")"

# Parents a first dump creates: killed at any step under umask 077, the
# next dump leaves each of them 0755 (QEMU must enter them) and nothing
# else beside them.
old_umask=$(umask)
umask 077
for sc in mkdirat fchmod $RENAMES; do
        n=1
        while :; do
                rm -rf "$P"
                mkdir "$P"
                $STRACE -qq -f -o "$T/trace" -e trace="$sc" -e inject="$sc:signal=KILL:when=$n" \
                        "$OEMKVM" dump --sysroot "$NEW" --output "$P/a/b/host" >/dev/null 2>&1 || true
                grep -q 'killed by SIGKILL' "$T/trace" || break
                "$OEMKVM" dump --sysroot "$NEW" --output "$P/a/b/host" >"$T/out" 2>&1 ||
                        die "$sc killed at call $n: the next dump failed: $(cat "$T/out")"
                for d in "$P/a" "$P/a/b"; do
                        [ "$(stat -c %a "$d")" = 755 ] ||
                                die "$sc killed at call $n under umask 077: '$d' is $(stat -c %a "$d") after the next dump, want 755"
                done
                [ "$(ls -A "$P")" = a ] && [ "$(ls -A "$P/a")" = b ] && [ "$(ls -A "$P/a/b")" = host ] ||
                        die "$sc killed at call $n: left beside the parents: $(ls -A "$P" "$P/a" "$P/a/b")"
                [ "$(digest "$P/a/b/host")" = "$NEW_SET" ] || die "$sc killed at call $n: the next dump wrote no whole set"
                n=$((n + 1))
                runs=$((runs + 1))
        done
done
umask "$old_umask"

note "passed: $runs faulted dumps, each leaving one whole set"
