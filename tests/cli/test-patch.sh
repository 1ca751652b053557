#!/bin/sh
# oemkvm patch: the filter's contract (stdin or FILE to stdout, untagged
# input echoed byte for byte, every error one "oemkvm: " line, exit 1 and
# nothing on stdout) — and every golden output accepted by libvirt's own
# schema, checked by virt-xml-validate.
set -eu
. "$OEMKVM_SRCDIR/tests/lib/cli.sh"
require_cmd virt-xml-validate libvirt-clients

CASES=$OEMKVM_SRCDIR/tests/patch
STORE=$T/store
"$OEMKVM_SRCDIR/tests/lib/patch-store" "$STORE"

# in.xml with the test's store in place of @STORE@.
case_input() { sed "s|@STORE@|$STORE|g" "$CASES/$1/in.xml" >"$T/in.xml"; }

# Schema: every expected output, as libvirt would be handed it.  A case
# that needs a newer libvirt (CASE/min-libvirt) must be refused by an older
# schema: that is what the version note in README says.
schema=$(virsh --version)
n=0
for out in "$CASES"/*/out.xml; do
        sed "s|@STORE@|$STORE|g" "$out" >"$T/out.xml"
        need=$(case_min_libvirt "$(dirname "$out")")
        if [ "$(version_num "$schema")" -ge "$(version_num "$need")" ]; then
                virt-xml-validate "$T/out.xml" domain >"$T/validate" 2>&1 ||
                        die "$out does not validate: $(cat "$T/validate")"
        elif virt-xml-validate "$T/out.xml" domain >"$T/validate" 2>&1; then
                die "$out needs libvirt $need, yet libvirt $schema's schema accepts it"
        fi
        n=$((n + 1))
done
[ "$n" -ge 10 ] || die "only $n golden outputs found"

# FILE and stdin give the golden output.
case_input win11-uefi
sed "s|@STORE@|$STORE|g" "$CASES/win11-uefi/out.xml" >"$T/expected.xml"
run_ok "$OEMKVM" patch --store "$STORE" "$T/in.xml"
cmp -s "$T/stdout" "$T/expected.xml" || die "patch FILE differs from the golden output"
grep -q 'vioscsi' "$T/stderr" || die "no vioscsi warning after a bus switch: $(cat "$T/stderr")"
"$OEMKVM" patch --store "$STORE" <"$T/in.xml" >"$T/stdout2" 2>/dev/null || die "patch from stdin failed"
cmp -s "$T/stdout2" "$T/expected.xml" || die "patch from stdin differs from the golden output"

# Its own output again: byte for byte, no warning.
run_ok "$OEMKVM" patch --store "$STORE" "$T/expected.xml"
cmp -s "$T/stdout" "$T/expected.xml" || die "patch is not idempotent through the CLI"
[ ! -s "$T/stderr" ] || die "a second patch warned: $(cat "$T/stderr")"

# Untagged input, with formatting libxml2 would not reproduce: echoed as is.
printf "<?xml version='1.0'?>\r\n<domain type='kvm' ><name>u</name><!-- mine -->\r\n<devices/></domain>" >"$T/untagged.xml"
run_ok "$OEMKVM" patch "$T/untagged.xml"
cmp -s "$T/stdout" "$T/untagged.xml" || die "untagged input was not echoed byte for byte"

# Errors: one line, exit 1, empty stdout.
case_input error-sysinfo-conflict
run_fail "$OEMKVM" patch --store "$STORE" "$T/in.xml"
expect_one_line "smbios mode='sysinfo'"
printf '<domain>\n  <name>x</name>\n  <devices>\n</domain>\n' >"$T/bad.xml"
run_fail "$OEMKVM" patch "$T/bad.xml"
expect_one_line "line 4"
case_input win10-seabios
# No store yet: the one command that makes it, said once.
run_fail "$OEMKVM" patch --store "$T/empty" "$T/in.xml"
expect_one_line "license: the store '$T/empty' holds no complete dump — run 'sudo oemkvm dump --output $T/empty' first\$"
mkdir "$T/empty"
run_fail "$OEMKVM" patch --store "$T/empty" "$T/in.xml"
expect_one_line "license: the store '$T/empty' holds no complete dump — run 'sudo oemkvm dump --output $T/empty' first\$"
rmdir "$T/empty"
run_fail "$OEMKVM" patch --store relative/dir "$T/in.xml"
expect_one_line "absolute"
run_fail "$OEMKVM" patch "$T/does-not-exist.xml"
expect_one_line "does-not-exist.xml"

# An entity bomb (one 1 MB entity, 2000 references: 2 GB expanded) is
# refused at its DOCTYPE with one line of ours, no libxml2 text.
{
        printf '<!DOCTYPE domain [<!ENTITY a "'
        head -c 1048576 /dev/zero | tr '\0' x
        printf '">]>\n<domain><name>'
        i=0
        while [ $i -lt 2000 ]; do printf '&a;'; i=$((i + 1)); done
        printf '</name><metadata><o:config xmlns:o="urn:oemkvm:domain:1"><o:topology edition="pro"/></o:config></metadata></domain>\n'
} >"$T/bomb.xml"
run_fail "$OEMKVM" patch "$T/bomb.xml"
expect_one_line "line 1: a DOCTYPE is not accepted"

# Namespace errors are errors, not elements without a namespace.
printf '<domain>\n<metadata><o:config xmlns:o="urn:oemkvm:domain:1"><o:license/></o:config></metadata>\n<qemu:commandline/></domain>\n' >"$T/prefix.xml"
run_fail "$OEMKVM" patch --store "$STORE" "$T/prefix.xml"
expect_one_line "line 3: namespace error: Namespace prefix qemu on commandline is not defined"

# Usage errors exit 2 with the usage line.
if "$OEMKVM" patch a b >/dev/null 2>"$T/stderr"; then die "two FILE arguments were accepted"; else rc=$?; fi
[ "$rc" -eq 2 ] || die "usage error exited $rc, expected 2"
grep -q 'usage: oemkvm patch' "$T/stderr" || die "no usage line: $(cat "$T/stderr")"
run_ok "$OEMKVM" patch --help
grep -q 'oemkvm(7)' "$T/stdout" || die "--help does not point at oemkvm(7)"

# The offline verbs never load libvirt: it costs a C program ~8x a bare exec
# for nothing they call.  The plugin verbs are the control that shows the
# loader's log would name it.
case_input win11-uefi
for verb in "patch --store $STORE $T/in.xml" "show --sysroot $ROOTS/thinkpad-smbios3" "dump --help"; do
        # shellcheck disable=SC2086
        LD_DEBUG=libs "$OEMKVM" $verb >/dev/null 2>"$T/ld.log" || die "'oemkvm $verb' failed: $(grep -v '^ *[0-9]*:' "$T/ld.log")"
        grep -q 'find library=liboemkvm' "$T/ld.log" || die "LD_DEBUG=libs logged nothing for '$verb': the proof proves nothing"
        if grep -E 'libvirt|oemkvm-virt' "$T/ld.log" >&2; then
                die "'oemkvm $verb' loaded libvirt"
        fi
done
LD_DEBUG=libs "$OEMKVM" apply --help >/dev/null 2>"$T/ld.log" || die "'oemkvm apply --help' failed"
grep -q 'find library=libvirt.so' "$T/ld.log" || die "'oemkvm apply' did not load libvirt through its plugin"
