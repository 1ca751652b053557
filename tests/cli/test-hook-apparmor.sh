#!/bin/sh
# The hook knows AppArmor: when the kernel's AppArmor is on and libvirt
# confines QEMU, a tagged start whose license files no rule lets QEMU read
# is refused before QEMU fails with a bare "Permission denied" — one line
# naming the rules to add (or, for the store, the install step that adds
# them, or the deny rule in the way).  The sysroot holds Debian's real
# libvirt-qemu abstraction and the local rules the real installer script
# writes; the rule the hook suggests compiles with apparmor_parser and,
# once added, lets the start go on.
set -eu
. "$OEMKVM_SRCDIR/tests/lib/cli.sh"
require_cmd apparmor_parser apparmor
ABSTRACTION=/etc/apparmor.d/abstractions/libvirt-qemu
[ -r "$ABSTRACTION" ] || die "$ABSTRACTION is missing; install the Debian package libvirt-daemon-system"

HOOK=$OEMKVM_BUILDDIR/oemkvm-hook
XML=$OEMKVM_SRCDIR/tests/fixtures/hook/win11.xml
TAG='<oemkvm:config xmlns:oemkvm="urn:oemkvm:domain:1"><oemkvm:license/></oemkvm:config>'
chmod 0755 "$T"

ROOT=$T/root
AA=$ROOT/etc/apparmor.d
LOCAL=$AA/local/abstractions/libvirt-qemu
mkdir -p "$ROOT/etc/libvirt/qemu" "$ROOT/sys/module/apparmor/parameters" "$AA/abstractions"
: >"$ROOT/etc/libvirt/qemu/win11.xml"
ln -s "$ROOTS/thinkpad-smbios3/sys/firmware" "$ROOT/sys/firmware"
cp "$ABSTRACTION" "$AA/abstractions/"
echo Y >"$ROOT/sys/module/apparmor/parameters/enabled"
export OEMKVM_SYSROOT="$ROOT" OEMKVM_STORE_DIR="$T/store"

sed "s|<metadata>|<metadata>$TAG|" "$XML" >"$T/tagged.xml"
"$OEMKVM" dump --sysroot "$ROOTS/thinkpad-smbios3" --output "$T/store" >/dev/null || die "oemkvm dump failed"
"$OEMKVM" patch --store "$T/store" "$T/tagged.xml" >"$T/patched.xml" || die "oemkvm patch failed"
# A saved dump in a directory of the user's own, with a space in its name.
mkdir "$T/my dumps"
"$OEMKVM" dump --sysroot "$ROOTS/thinkpad-smbios3" --output "$T/my dumps/t480s" >/dev/null || die "oemkvm dump --output failed"
sed "s|<oemkvm:license/>|<oemkvm:license source=\"$T/my dumps/t480s\"/>|" "$T/tagged.xml" |
        "$OEMKVM" patch --store "$T/store" >"$T/saved.xml" || die "oemkvm patch (source=) failed"

# Not installed: the store's rules are missing, and the hook says how to get them.
run_fail "$HOOK" win11 prepare begin - <"$T/patched.xml"
expect_one_line "AppArmor confines QEMU and '/etc/apparmor.d/local/abstractions/libvirt-qemu' lacks the rules 'make install' adds for the store"
grep -qF "QEMU cannot read '$T/store/msdm.bin' — reinstall oemkvm ('sudo make install')" "$T/stderr" ||
        die "the refusal does not name the file and the fix: $(cat "$T/stderr")"

# Installed (the real script): the store is readable, a start goes on.
APPARMORDIR=$AA STOREDIR=$T/store "$OEMKVM_SRCDIR/apparmor/local-rules" add
run_ok "$HOOK" win11 prepare begin - <"$T/patched.xml"
[ ! -s "$T/stderr" ] || die "an allowed start printed: $(cat "$T/stderr")"

# A source= dump needs a rule of its own: the refusal names it.
run_fail "$HOOK" win11 prepare begin - <"$T/saved.xml"
expect_one_line "AppArmor confines QEMU and no rule lets it read '$T/my dumps/t480s/msdm.bin'"
rules=$(sed -n "s|.* add the lines '\\(.*\\)' and '\\(.*\\)' to '/etc/apparmor.d/local/abstractions/libvirt-qemu', then start the domain again|\\1\\n\\2|p" "$T/stderr")
[ "$(printf '%s\n' "$rules" | wc -l)" -eq 2 ] || die "the refusal does not name two rules: $(cat "$T/stderr")"
printf '%s\n' "$rules" | grep -qxF "\"$T/my dumps/t480s/*.bin\" r," || die "the suggested rule is not the dump's: $rules"

# What it suggests is AppArmor syntax, and adding it is enough.
printf 'profile oemkvm-suggested {\n%s\n}\n' "$rules" >"$T/profile"
apparmor_parser -Q -K "$T/profile" 2>"$T/parser.err" || die "apparmor_parser refuses the suggested rules: $(cat "$T/parser.err")"
printf '%s\n' "$rules" >>"$LOCAL"
run_ok "$HOOK" win11 prepare begin - <"$T/saved.xml"

# A symlinked dump: AppArmor checks the resolved path, and so does the hook.
ln -s "$T/my dumps/t480s" "$T/link"
sed "s|$T/my dumps/t480s|$T/link|g" "$T/saved.xml" >"$T/linked.xml"
run_ok "$HOOK" win11 prepare begin - <"$T/linked.xml"

# A deny rule wins, and the refusal points at it.
echo "  deny $T/store/msdm.bin r," >>"$LOCAL"
run_fail "$HOOK" win11 prepare begin - <"$T/patched.xml"
expect_one_line "AppArmor confines QEMU and line $(wc -l <"$LOCAL") of '/etc/apparmor.d/local/abstractions/libvirt-qemu' denies it reading '$T/store/msdm.bin' — remove that deny rule"
sed -i '$d' "$LOCAL"

# AppArmor off, or libvirt not confining QEMU: no AppArmor rule is needed.
APPARMORDIR=$AA STOREDIR=$T/store "$OEMKVM_SRCDIR/apparmor/local-rules" remove
echo N >"$ROOT/sys/module/apparmor/parameters/enabled"
run_ok "$HOOK" win11 prepare begin - <"$T/patched.xml"
echo Y >"$ROOT/sys/module/apparmor/parameters/enabled"
echo 'security_driver = "none"' >"$ROOT/etc/libvirt/qemu.conf"
run_ok "$HOOK" win11 prepare begin - <"$T/patched.xml"
rm "$ROOT/sys/module/apparmor/parameters/enabled" "$ROOT/etc/libvirt/qemu.conf"
run_ok "$HOOK" win11 prepare begin - <"$T/patched.xml"
