#!/bin/sh
# The committed fixture roots must be exactly what tests/fixtures/mkfixtures.c
# writes: nobody edits a fixture by hand, and a change to the generator is
# not finished until its output is committed.
set -eu
src=${OEMKVM_SRCDIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

${CC:-cc} -std=gnu11 -Wall -Wextra -Werror -o "$tmp/mkfixtures" "$src/tests/fixtures/mkfixtures.c"
"$tmp/mkfixtures" "$tmp/roots"
if ! diff -r "$tmp/roots" "$src/tests/fixtures/roots"; then
        echo "tests/fixtures/roots is stale: regenerate with" >&2
        echo "  cc -o /tmp/mkf tests/fixtures/mkfixtures.c && /tmp/mkf tests/fixtures/roots" >&2
        exit 1
fi
