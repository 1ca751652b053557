# Shared by the CLI tests (sourced, after common.sh): the binaries, the
# fixture roots, a temp dir removed at exit, and run/expect helpers that
# keep stdout and stderr apart.
. "$OEMKVM_SRCDIR/tests/lib/common.sh"

OEMKVM=$OEMKVM_BUILDDIR/oemkvm
ROOTS=$OEMKVM_SRCDIR/tests/fixtures/roots
T=$(mktemp -d "${TMPDIR:-/tmp}/oemkvm-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT

# run_ok CMD…: must exit 0; output lands in $T/stdout and $T/stderr.
run_ok() {
        "$@" >"$T/stdout" 2>"$T/stderr" || die "'$*' exited $?: $(cat "$T/stderr")"
}

# run_fail CMD…: must exit non-zero and print nothing on stdout.
run_fail() {
        if "$@" >"$T/stdout" 2>"$T/stderr"; then
                die "'$*' succeeded but should have failed"
        fi
        [ ! -s "$T/stdout" ] || die "'$*' failed but printed on stdout: $(cat "$T/stdout")"
}

# expect_one_line WORD: stderr is one "oemkvm: " line that contains WORD.
expect_one_line() {
        [ "$(wc -l <"$T/stderr")" -eq 1 ] || die "stderr is not one line: $(cat "$T/stderr")"
        grep -q '^oemkvm: ' "$T/stderr" || die "stderr lacks the 'oemkvm: ' prefix: $(cat "$T/stderr")"
        grep -qi -- "$1" "$T/stderr" || die "stderr does not mention '$1': $(cat "$T/stderr")"
}
