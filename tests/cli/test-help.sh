#!/bin/sh
# Every command's help, three ways that must agree: `oemkvm help VERB` is
# `oemkvm VERB --help`, byte for byte; the options `VERB --help` lists are
# the ones oemkvm(1) lists under the verb (and no others); getopt's own
# complaints name the command as `oemkvm VERB:`, followed by the usage line.
set -eu
. "$OEMKVM_SRCDIR/tests/lib/cli.sh"

MAN=$OEMKVM_SRCDIR/man/oemkvm.1
VERBS="dump show patch gvt doctor apply tag watch install"

# The long options of the option lines ("  -c, --connect URI  …") of --help.
help_options() {
        sed -n 's/^ \{2,6\}\(-[a-zA-Z], \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p' "$1" | grep -vx -- '--help' | sort -u
}
# The long options of the .TP items under `.SS "oemkvm VERB"` in oemkvm(1)
# (and under its subcommands', `.SS "oemkvm gvt types"`).
man_options() {
        awk -v verb="$1" '
                /^\.SS / { inside = ($0 == ".SS \"oemkvm " verb "\"" || index($0, ".SS \"oemkvm " verb " ") == 1) }
                inside && tp { print; tp = 0 }
                inside && /^\.TP/ { tp = 1 }
        ' "$MAN" | sed 's/\\-/-/g' | grep -o -- '--[a-z][a-z-]*' | sort -u
}

# getopt_names COMMAND…: getopt's own message carries the command's full
# name ("oemkvm gvt types: …"), and the usage line follows.
getopt_names() {
        if "$OEMKVM" "$@" --no-such-option >"$T/stdout" 2>"$T/stderr"; then
                die "'oemkvm $* --no-such-option' succeeded"
        else
                rc=$?
        fi
        [ $rc -eq 2 ] || die "'oemkvm $* --no-such-option' exited $rc, want 2"
        [ "$(head -n 1 "$T/stderr")" = "oemkvm $*: unrecognized option '--no-such-option'" ] ||
                die "getopt's message for $*: $(cat "$T/stderr")"
        sed -n 2p "$T/stderr" | grep -q "^oemkvm: usage: oemkvm $1 " || die "no usage line after getopt's: $(cat "$T/stderr")"
}

for v in $VERBS; do
        run_ok "$OEMKVM" "$v" --help
        mv "$T/stdout" "$T/$v.help"
        grep -q "^Usage: oemkvm $v " "$T/$v.help" || die "'oemkvm $v --help' has no usage line: $(head -n 1 "$T/$v.help")"
        run_ok "$OEMKVM" help "$v"
        cmp -s "$T/stdout" "$T/$v.help" || die "'oemkvm help $v' differs from 'oemkvm $v --help': $(diff "$T/$v.help" "$T/stdout")"

        help_options "$T/$v.help" >"$T/$v.h"
        man_options "$v" >"$T/$v.m"
        [ -s "$T/$v.m" ] || [ ! -s "$T/$v.h" ] || die "oemkvm(1) has no options under .SS \"oemkvm $v\""
        diff "$T/$v.h" "$T/$v.m" >"$T/diff" || die "'oemkvm $v --help' (<) and oemkvm(1) (>) list other options: $(cat "$T/diff")"

        case $v in
        gvt) getopt_names "$v" types; getopt_names "$v" rom ;;
        *) getopt_names "$v" ;;
        esac
done

# The general help lists every verb, and says how to get a verb's.
run_ok "$OEMKVM" help
for v in $VERBS; do
        grep -q "^  $v " "$T/stdout" || die "'oemkvm help' does not list $v"
done
grep -q "oemkvm help COMMAND" "$T/stdout" || die "'oemkvm help' does not say how to get a command's help"
if "$OEMKVM" help nosuch >"$T/stdout" 2>"$T/stderr"; then die "'oemkvm help nosuch' succeeded"; fi
expect_one_line "oemkvm help"
