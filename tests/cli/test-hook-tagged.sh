#!/bin/sh
# The qemu.d hook binary on tagged domains, the way libvirt runs it: an
# unpatched definition and a transient first boot are refused with one line
# naming the domain and the remedy; a patched one starts and its store is
# refreshed from firmware; migrate/restore print nothing unless a path
# must change, and then the rewritten XML.  OEMKVM_SYSROOT and
# OEMKVM_STORE_DIR point the hook at a fixture root and a temp store.
set -eu
. "$OEMKVM_SRCDIR/tests/lib/cli.sh"

HOOK=$OEMKVM_BUILDDIR/oemkvm-hook
XML=$OEMKVM_SRCDIR/tests/fixtures/hook/win11.xml
TAG='<oemkvm:config xmlns:oemkvm="urn:oemkvm:domain:1"><oemkvm:license/></oemkvm:config>'

# QEMU's user must be able to enter every directory above the store.
chmod 0755 "$T"
ROOT=$T/root
mkdir -p "$ROOT/etc/libvirt/qemu"
ln -s "$ROOTS/thinkpad-smbios3/sys" "$ROOT/sys"
OEMKVM_SYSROOT=$ROOT
OEMKVM_STORE_DIR=$T/store
export OEMKVM_SYSROOT OEMKVM_STORE_DIR

sed "s|<metadata>|<metadata>$TAG|" "$XML" >"$T/tagged.xml"

# The namespace mentioned outside a tag (a description, a leftover record
# of a domain the user untagged): the start goes on and nothing is written.
sed "s|<metadata>|<metadata><s:state xmlns:s=\"urn:oemkvm:state:1\"><s:license dir=\"/nowhere\"/></s:state>|" "$XML" |
        sed "s|<name>win11</name>|&<description>tag me with urn:oemkvm:domain:1</description>|" >"$T/mention.xml"
for args in "prepare begin -" "migrate begin -" "restore begin -" "release end -"; do
        # shellcheck disable=SC2086
        run_ok env OEMKVM_STORE_DIR="$T/untouched" "$HOOK" win11 $args <"$T/mention.xml"
        [ ! -s "$T/stdout" ] && [ ! -s "$T/stderr" ] || die "hook $args printed for an untagged domain: $(cat "$T/stdout" "$T/stderr")"
done
[ ! -e "$T/untouched" ] || die "the hook wrote the store for a domain that is not tagged"

# Transient (no persistent definition): refused, with the way forward.
run_fail "$HOOK" win11 prepare begin - <"$T/tagged.xml"
expect_one_line "domain 'win11' is tagged for oemkvm but is being started as a transient domain"
grep -q "install with 'sudo oemkvm install win11 --iso WINDOWS.iso', or install untagged and tag it afterwards ('sudo oemkvm tag win11 --license')" "$T/stderr" ||
        die "the transient refusal lacks the way forward: $(cat "$T/stderr")"

# Persistent but not patched: refused, with the remedy; the store was refreshed anyway.
: >"$ROOT/etc/libvirt/qemu/win11.xml"
run_fail "$HOOK" win11 prepare begin - <"$T/tagged.xml"
expect_one_line "domain 'win11' is tagged for oemkvm but its definition is not patched to match — run 'sudo oemkvm apply win11', then start it again"
for f in msdm.bin smbios_type_0.bin smbios_type_1.bin; do
        cmp "$ROOTS/thinkpad-smbios3/expected/$f" "$T/store/$f" || die "the store's $f is not the firmware's"
done

# The ops after a refused prepare are no-ops.
for args in "stopped end -" "release end -" "release end failed"; do
        # shellcheck disable=SC2086
        run_ok "$HOOK" win11 $args <"$T/tagged.xml"
        [ ! -s "$T/stdout" ] && [ ! -s "$T/stderr" ] || die "hook $args printed something"
done

# Patched: starts silently; the store is not rewritten when firmware did not change.
"$OEMKVM" patch --store "$T/store" "$T/tagged.xml" >"$T/patched.xml" || die "oemkvm patch failed"
before=$(ls -li --time-style=full-iso "$T/store")
run_ok "$HOOK" win11 prepare begin - <"$T/patched.xml"
[ ! -s "$T/stdout" ] && [ ! -s "$T/stderr" ] || die "a patched start printed: $(cat "$T/stdout" "$T/stderr")"
[ "$before" = "$(ls -li --time-style=full-iso "$T/store")" ] || die "the hook rewrote an unchanged store"

# A saved dump (source=) QEMU cannot read: refused, naming the file.  (The
# host store is rewritten with the right mode by the refresh itself.)
"$OEMKVM" dump --sysroot "$ROOTS/thinkpad-smbios3" --output "$T/saved" >/dev/null || die "oemkvm dump failed"
sed "s|<oemkvm:license/>|<oemkvm:license source=\"$T/saved\"/>|" "$T/tagged.xml" |
        "$OEMKVM" patch >"$T/saved.xml" || die "oemkvm patch (source=) failed"
run_ok "$HOOK" win11 prepare begin - <"$T/saved.xml"
chmod 0600 "$T/saved/msdm.bin"
run_fail "$HOOK" win11 prepare begin - <"$T/saved.xml"
expect_one_line "cannot read '$T/saved/msdm.bin'"

# migrate/restore on this host: same store, print nothing (libvirt: unchanged).
for op in migrate restore; do
        run_ok "$HOOK" win11 $op begin - <"$T/patched.xml"
        [ ! -s "$T/stdout" ] || die "$op printed XML although nothing changed"
done

# From a host whose store lived elsewhere: the paths are rewritten to this store.
sed "s|$T/store|/srv/elsewhere|g" "$T/patched.xml" >"$T/foreign.xml"
grep -q /srv/elsewhere/msdm.bin "$T/foreign.xml" || die "the foreign fixture is wrong"
run_ok "$HOOK" win11 migrate begin - <"$T/foreign.xml"
grep -q "file=$T/store/msdm.bin" "$T/stdout" || die "migrate did not rewrite the paths: $(cat "$T/stdout")"
grep -q /srv/elsewhere "$T/stdout" && die "migrate left a foreign path"

# A host without the dump and without firmware to make it: refused.
rm "$ROOT/sys"
run_fail env OEMKVM_STORE_DIR="$T/empty" "$HOOK" win11 migrate begin - <"$T/patched.xml"
expect_one_line "domain 'win11' cannot run on this host"

# An entity bomb in a tagged definition: refused at its DOCTYPE with one
# line, before anything is expanded.
{
        printf '<!DOCTYPE domain [<!ENTITY a "'
        head -c 1048576 /dev/zero | tr '\0' x
        printf '">]>\n'
        sed "s|<name>win11</name>|<name>\\&a;\\&a;\\&a;</name>|" "$T/tagged.xml"
} >"$T/bomb.xml"
run_fail "$HOOK" win11 prepare begin - <"$T/bomb.xml"
expect_one_line "domain 'win11': domain XML: line 1: a DOCTYPE is not accepted"
