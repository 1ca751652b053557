#!/bin/sh
# The layering check passes on the real build, and fails — naming the files
# — on objects that call a layer above or call each other.
set -eu
. "$OEMKVM_SRCDIR/tests/lib/cli.sh"
CHECK=$OEMKVM_SRCDIR/tests/check-layers

run_ok "$CHECK" "$OEMKVM_BUILDDIR" "$OEMKVM_SRCDIR"
grep -q 'every call goes down' "$T/stdout" || die "no verdict: $(cat "$T/stdout")"

# A tree whose util calls up into domain, and two runtime files in a cycle.
b=$T/b
for l in util firmware host domain runtime; do mkdir -p "$b/lib/$l"; done
cc_obj() { printf '%s\n' "$2" | ${CC:-cc} -x c -c -o "$b/lib/$1.o" - || die "cannot compile $1"; }
cc_obj util/low  'void up(void); void low(void) { up(); }'
cc_obj firmware/f 'void f(void) {}'
cc_obj host/h 'void h(void) {}'
cc_obj domain/up 'void up(void) {}'
cc_obj runtime/a 'void b(void); void a(void) { b(); }'
cc_obj runtime/b 'void a(void); void b(void) { a(); }'
run_fail "$CHECK" "$b" "$OEMKVM_SRCDIR"
grep -q 'lib/util/low.c calls up() in lib/domain/up.c, a layer above it' "$T/stderr" ||
        die "the upward call is not named: $(cat "$T/stderr")"
grep -q 'lib/runtime/a.c and lib/runtime/b.c call each other' "$T/stderr" ||
        die "the cycle is not named: $(cat "$T/stderr")"
note passed
