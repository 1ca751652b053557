#!/bin/sh
# The qemu.d hook on domains it does not own: exit 0, print nothing, and
# never load liboemkvm or libxml2 (libvirt runs it five times per start of
# every domain).  Also: a tagged domain with a broken install fails with
# one line, and the tag is found wherever it sits in a large input.
set -eu
. "$OEMKVM_SRCDIR/tests/lib/cli.sh"

HOOK=$OEMKVM_BUILDDIR/oemkvm-hook
XML=$OEMKVM_SRCDIR/tests/fixtures/hook/win11.xml
TAG='<oemkvm:config xmlns:oemkvm="urn:oemkvm:domain:1"><oemkvm:license/></oemkvm:config>'

# silent_ok INPUT ARGS…: exit 0, nothing on stdout or stderr.
silent_ok() {
        in=$1
        shift
        "$HOOK" "$@" <"$in" >"$T/stdout" 2>"$T/stderr" || die "hook $* exited $? on $(basename "$in"): $(cat "$T/stderr")"
        [ ! -s "$T/stdout" ] || die "hook $* printed on stdout for $(basename "$in"): $(head -c 200 "$T/stdout")"
        [ ! -s "$T/stderr" ] || die "hook $* printed on stderr for $(basename "$in"): $(cat "$T/stderr")"
}

head -c 100000 /dev/urandom >"$T/random"
: >"$T/empty"
printf '<domain><name>broken' >"$T/truncated"

# Every op libvirt runs, with the arguments it passes (release end carries
# the shutoff reason since libvirt 10.5).
for args in "prepare begin -" "start begin -" "started begin -" "stopped end -" \
            "release end -" "release end shutdown" "migrate begin -" "restore begin -" \
            "reconnect begin -" "attach begin -"; do
        # shellcheck disable=SC2086
        silent_ok "$XML" win11 $args
done
for in in "$T/random" "$T/empty" "$T/truncated"; do
        silent_ok "$in" win11 prepare begin -
        silent_ok "$in" win11 migrate begin -
done
"$HOOK" win11 prepare begin - <&- >"$T/stdout" 2>"$T/stderr" || die "hook failed with stdin closed: $(cat "$T/stderr")"
[ ! -s "$T/stdout" ] && [ ! -s "$T/stderr" ] || die "hook printed with stdin closed"

# The other oemkvm namespace (the engine's state record) is not the tag.
sed 's|<metadata>|<metadata><s:state xmlns:s="urn:oemkvm:state:1"/>|' "$XML" >"$T/state-only.xml"
silent_ok "$T/state-only.xml" win11 prepare begin -

# Proof that nothing was loaded: the dynamic loader's own log.  The tagged
# run is the control that shows the log would name the library.
sed "s|<metadata>|<metadata>$TAG|" "$XML" >"$T/tagged.xml"
LD_DEBUG=libs "$HOOK" win11 prepare begin - <"$XML" >/dev/null 2>"$T/ld.log" || die "untagged run under LD_DEBUG failed"
if grep -E 'liboemkvm|libxml2' "$T/ld.log" >&2; then
        die "the untagged path loaded liboemkvm or libxml2"
fi
grep -q 'find library=libc.so.6' "$T/ld.log" || die "LD_DEBUG=libs logged nothing: the proof proves nothing"
LD_DEBUG=libs "$HOOK" win11 prepare begin - <"$T/tagged.xml" >/dev/null 2>"$T/ld.log" || true
grep -q "find library=liboemkvm-$OEMKVM_VERSION.so" "$T/ld.log" || die "the tagged path did not look for liboemkvm: $(cat "$T/ld.log")"
# A tagged domain in a phase with nothing to do decides from its arguments:
# nothing is loaded there either.
for phase in "start begin" "started begin" "stopped end" "release end" "reconnect begin"; do
        # shellcheck disable=SC2086
        LD_DEBUG=libs "$HOOK" win11 $phase - <"$T/tagged.xml" >"$T/out" 2>"$T/ld.log" || die "tagged $phase failed"
        [ ! -s "$T/out" ] || die "tagged $phase printed: $(cat "$T/out")"
        if grep -E 'liboemkvm|libxml2' "$T/ld.log" >&2; then
                die "a tagged domain's $phase loaded liboemkvm or libxml2"
        fi
done
# release end has work only for a domain with a vGPU (the one oemkvm started goes): the control.
sed 's|<oemkvm:license/>|<oemkvm:gvt parent="mbochs" type="mbochs-small"/>|' "$T/tagged.xml" >"$T/gvt.xml"
LD_DEBUG=libs "$HOOK" win11 release end - <"$T/gvt.xml" >/dev/null 2>"$T/ld.log" || true
grep -q "find library=liboemkvm-$OEMKVM_VERSION.so" "$T/ld.log" || die "release end of a domain with a vGPU did not load liboemkvm"

# A broken install: a liboemkvm of this version without oemkvm_hook_run.
mkdir "$T/stub"
${CC:-cc} -shared -o "$T/stub/liboemkvm-$OEMKVM_VERSION.so" -x c /dev/null || die "cannot build the stub library (needs a C compiler)"
run_fail env LD_LIBRARY_PATH="$T/stub" "$HOOK" win11 prepare begin - <"$T/tagged.xml"
expect_one_line "installed wrong"
grep -q "domain 'win11'" "$T/stderr" || die "the message does not name the domain: $(cat "$T/stderr")"
LD_LIBRARY_PATH=$T/stub
export LD_LIBRARY_PATH
silent_ok "$XML" win11 prepare begin -

# The tag is found past the first read buffer, in a large definition.
{
        sed '/<\/devices>/,$d' "$XML"
        i=0
        while [ $i -lt 3000 ]; do
                echo "    <!-- padding $i: a large definition spans many reads of stdin ........................ -->"
                i=$((i + 1))
        done
        echo "  </devices>"
        echo "  <metadata>$TAG</metadata>"
        echo "</domain>"
} >"$T/large-tagged.xml"
[ "$(wc -c <"$T/large-tagged.xml")" -gt 262144 ] || die "the large input is not large"
run_fail env LD_LIBRARY_PATH="$T/stub" "$HOOK" win11 prepare begin - <"$T/large-tagged.xml"
expect_one_line "installed wrong"
sed "s|$TAG||" "$T/large-tagged.xml" >"$T/large.xml"
silent_ok "$T/large.xml" win11 prepare begin -

# Run by hand without libvirt's arguments: a usage line, not a read of the terminal.
"$HOOK" </dev/null >"$T/stdout" 2>"$T/stderr" && die "hook without arguments succeeded"
expect_one_line "NAME OP SUBOP"
