#!/bin/sh
# oemkvm dump on fixture roots: byte-exact files (vendors' blank placeholder
# tables too, with a note), a set switched as a whole and never through a
# symlink, modes and group, an output directory that is not a store refused
# and left alone, parents QEMU can enter whatever the umask, and every bad
# fixture refused with one line and the output directory untouched.
set -eu
. "$OEMKVM_SRCDIR/tests/lib/cli.sh"

good_case() {
        case=$1
        out=$T/$case
        run_ok "$OEMKVM" dump --sysroot "$ROOTS/$case" --output "$out"
        want=$(cd "$ROOTS/$case/expected" && ls msdm.bin slic.bin smbios_type_0.bin smbios_type_1.bin 2>/dev/null || true)
        for f in $want; do
                cmp "$ROOTS/$case/expected/$f" "$out/$f" || die "$case: $f is not byte-exact"
        done
        # Exactly the expected files, nothing else (no SLIC when the host has none).
        [ "$(cd "$out" && ls)" = "$want" ] ||
                die "$case: unexpected files: $(ls "$out")"
        [ "$(stat -c %a "$out")" = 750 ] || die "$case: directory mode $(stat -c %a "$out"), want 750"
        for f in "$out"/*; do
                [ "$(stat -c %a "$f")" = 640 ] || die "$case: $f mode $(stat -c %a "$f"), want 640"
        done
        # A second run finds nothing to do and rewrites nothing.
        before=$(ls -li --time-style=full-iso "$out")
        run_ok "$OEMKVM" dump --sysroot "$ROOTS/$case" --output "$out"
        grep -q "is up to date" "$T/stdout" || die "$case: second dump rewrote files: $(cat "$T/stdout")"
        [ "$before" = "$(ls -li --time-style=full-iso "$out")" ] || die "$case: second dump touched files"
}

for case in thinkpad-smbios3 legacy-smbios2-slic type1-nostrings \
            slic-placeholder msdm-placeholder msdm-zero-slic slic-only; do
        good_case "$case"
done

# Placeholders are written as they are, with a note saying what they hold.
run_ok "$OEMKVM" dump --sysroot "$ROOTS/msdm-placeholder" --output "$T/notes"
grep -qx "note: MSDM: no product key (blank placeholder from the firmware vendor) — Windows Setup will ask for a key" "$T/stdout" ||
        die "msdm-placeholder: no note: $(cat "$T/stdout")"
run_ok "$OEMKVM" dump --sysroot "$ROOTS/slic-placeholder" --output "$T/notes"
grep -q "^note: SLIC: blank placeholder (marker absent)" "$T/stdout" || die "slic-placeholder: no note: $(cat "$T/stdout")"
[ ! -e "$T/notes/slic.bin" ] || cmp -s "$T/notes/slic.bin" "$ROOTS/slic-placeholder/expected/slic.bin" ||
        die "the blank SLIC is not byte-exact"

# A SLIC that disappeared from firmware does not linger in the store.
out=$T/slic-gone
run_ok "$OEMKVM" dump --sysroot "$ROOTS/legacy-smbios2-slic" --output "$out"
[ -f "$out/slic.bin" ] || die "legacy-smbios2-slic: no slic.bin"
run_ok "$OEMKVM" dump --sysroot "$ROOTS/thinkpad-smbios3" --output "$out"
[ ! -e "$out/slic.bin" ] || die "stale slic.bin was kept"

# Never written through a symlink: the link is replaced, its target untouched.
out=$T/symlink
mkdir -m 0750 "$out"
echo precious >"$T/victim"
ln -s "$T/victim" "$out/msdm.bin"
run_ok "$OEMKVM" dump --sysroot "$ROOTS/thinkpad-smbios3" --output "$out"
[ "$(cat "$T/victim")" = precious ] || die "dump wrote through a symlink"
[ -f "$out/msdm.bin" ] && [ ! -L "$out/msdm.bin" ] || die "msdm.bin is still a symlink"

ln -s "$T/thinkpad-smbios3" "$T/dirlink"
run_fail "$OEMKVM" dump --sysroot "$ROOTS/thinkpad-smbios3" --output "$T/dirlink"
expect_one_line "symbolic link"

run_fail "$OEMKVM" dump --sysroot "$ROOTS/thinkpad-smbios3" --output relative/dir
expect_one_line "absolute path"

# `--output /tmp` and friends: what is not missing, empty or a store is
# refused with one line, and its mode, group and files stay as they were.
refused_untouched() {
        dir=$1 word=$2
        before=$(stat -c '%i %a %U %G' "$dir"; ls -A "$dir")
        run_fail "$OEMKVM" dump --sysroot "$ROOTS/thinkpad-smbios3" --output "$dir"
        expect_one_line "$word"
        [ "$before" = "$(stat -c '%i %a %U %G' "$dir"; ls -A "$dir")" ] || die "a refused dump changed '$dir'"
}
mkdir "$T/tmpdir" && chmod 1777 "$T/tmpdir"
refused_untouched "$T/tmpdir" "everyone may write there"
mkdir "$T/home" && echo mine >"$T/home/thesis.tex"
refused_untouched "$T/home" "holds 'thesis.tex', which is not part of an oemkvm store"
mkdir "$T/other" && chown nobody "$T/other"
refused_untouched "$T/other" "belongs to another user"

# An empty directory becomes the store; missing parents are created so
# QEMU can enter them, whatever the umask.
mkdir -m 0700 "$T/empty"
run_ok "$OEMKVM" dump --sysroot "$ROOTS/thinkpad-smbios3" --output "$T/empty"
[ "$(stat -c %a "$T/empty")" = 750 ] || die "the store that replaced an empty directory is not 0750"
(umask 077 && "$OEMKVM" dump --sysroot "$ROOTS/thinkpad-smbios3" --output "$T/p1/p2/store" >/dev/null) ||
        die "dump into new parents failed"
for d in "$T/p1" "$T/p1/p2"; do
        [ "$(stat -c %a "$d")" = 755 ] || die "'$d' was created $(stat -c %a "$d") under umask 077, want 755"
done
[ "$(ls -A "$T/p1/p2")" = store ] || die "something was left beside the store: $(ls -A "$T/p1/p2")"

# The group QEMU runs under comes from the sysroot's qemu.conf.
if [ "$(id -u)" = 0 ]; then
        root=$T/root-with-conf
        cp -a "$ROOTS/thinkpad-smbios3" "$root"
        mkdir -p "$root/etc/libvirt"
        printf '# test\n#group = "nobody"\ngroup = "kvm"   # comment\n' >"$root/etc/libvirt/qemu.conf"
        run_ok "$OEMKVM" dump --sysroot "$root" --output "$T/grp"
        for f in "$T/grp" "$T/grp"/*; do
                [ "$(stat -c %G "$f")" = kvm ] || die "$f has group $(stat -c %G "$f"), want kvm"
        done
        printf 'group = "no-such-group-oemkvm"\n' >"$root/etc/libvirt/qemu.conf"
        run_fail "$OEMKVM" dump --sysroot "$root" --output "$T/grp2"
        expect_one_line "no-such-group-oemkvm"
        [ ! -e "$T/grp2" ] || die "a failed dump created its output directory"

        # Without root the real tables are unreadable: say to use sudo.
        cp -a "$ROOTS/thinkpad-smbios3" "$T/root-0400"
        chmod 0400 "$T/root-0400/sys/firmware/acpi/tables/MSDM"
        chmod -R a+rX "$T"
        chmod 0400 "$T/root-0400/sys/firmware/acpi/tables/MSDM"
        run_fail setpriv --reuid=nobody --regid=nogroup --clear-groups "$OEMKVM" dump --sysroot "$T/root-0400" --output "$T/nobody"
        expect_one_line "firmware tables are readable by root only; run with sudo"

        # The store is no firmware table: a denied read says what it is.
        run_ok "$OEMKVM" dump --sysroot "$ROOTS/thinkpad-smbios3" --output "$T/private"
        for cmd in "show --input $T/private" "patch --store $T/private $OEMKVM_SRCDIR/tests/patch/win10-seabios/in.xml"; do
                # shellcheck disable=SC2086
                run_fail setpriv --reuid=nobody --regid=nogroup --clear-groups "$OEMKVM" $cmd
                expect_one_line "cannot read '$T/private': permission denied — a dump is readable by root and QEMU's group only; run with sudo"
                if grep -q firmware "$T/stderr"; then die "'$cmd' blames the firmware: $(cat "$T/stderr")"; fi
        done

        # Writing where the caller may not (the directory above the store,
        # a parent to create, a directory it cannot enter): the store is
        # named, with what to do — not a sibling the user never asked for.
        mkdir -m 0755 "$T/rootsdir"
        mkdir -m 0700 "$T/rootsprivate"
        for out in "$T/rootsdir/store" "$T/rootsdir/new/store" "$T/rootsprivate/store" "$T/private"; do
                run_fail setpriv --reuid=nobody --regid=nogroup --clear-groups \
                        "$OEMKVM" dump --sysroot "$ROOTS/thinkpad-smbios3" --output "$out"
                expect_one_line "cannot write the store '$out': permission denied on '$T/"
                expect_one_line "run with sudo, or give a directory you may write"
                [ "$out" = "$T/private" ] || [ ! -e "$out" ] || die "a denied dump created '$out'"
        done
        [ -z "$(ls -A "$T/rootsdir")" ] || die "a denied dump left something in '$T/rootsdir': $(ls -A "$T/rootsdir")"
else
        die "this test needs root (for the QEMU group and the permission checks)"
fi

# Every bad fixture: non-zero, one line naming what failed, output untouched.
reference=$T/reference
run_ok "$OEMKVM" dump --sysroot "$ROOTS/legacy-smbios2-slic" --output "$reference"
snapshot() { (cd "$1" && ls -li --time-style=full-iso && md5sum ./*); }
want=$(snapshot "$reference")
while read -r case words; do
        [ -n "$case" ] || continue
        run_fail "$OEMKVM" dump --sysroot "$ROOTS/$case" --output "$reference"
        for w in $words; do expect_one_line "$w"; done
        [ "$want" = "$(snapshot "$reference")" ] || die "$case: the previous dump was changed"
        run_fail "$OEMKVM" dump --sysroot "$ROOTS/$case" --output "$T/empty-$case"
        [ ! -e "$T/empty-$case" ] || die "$case: output directory was created"
done <<'CASES'
no-msdm                 neither MSDM SLIC license
msdm-bad-checksum       MSDM checksum offset
msdm-truncated          MSDM length
msdm-wrong-signature    MSDM signature
slic-bad-checksum       SLIC checksum
smbios-short-structure  SMBIOS offset
smbios-string-overrun   SMBIOS string offset
smbios-ep-lies          SMBIOS longer offset
CASES

note passed
