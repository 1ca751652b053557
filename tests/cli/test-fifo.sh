#!/bin/sh
# Nothing blocks on a FIFO.  A FIFO in place of each firmware table (and of
# qemu.conf), of each store file and of each file of a source= dump: dump,
# show, patch and the hook return at once — a timeout wrapper turns a hang
# into a failure — with one line saying what is wrong, or, where oemkvm can
# replace the set the FIFO sits in (the store, from firmware), they do.
# apply and the watcher are run against a real libvirtd by
# tests/e2e/test-tag-before-dump.sh.
set -eu
. "$OEMKVM_SRCDIR/tests/lib/cli.sh"
require_root "the hook gives the store to QEMU's group"

HOOK=$OEMKVM_BUILDDIR/oemkvm-hook
XML=$OEMKVM_SRCDIR/tests/fixtures/hook/win11.xml
TAG='<oemkvm:config xmlns:oemkvm="urn:oemkvm:domain:1"><oemkvm:license/></oemkvm:config>'
GOOD=$ROOTS/legacy-smbios2-slic
chmod 0755 "$T"

# within CMD…: the command must end within 10 s (however it ends).
within() {
        rc=0
        timeout -k 2 10 "$@" >"$T/stdout" 2>"$T/stderr" || rc=$?
        [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || die "'$*' blocked (killed after 10 s)"
        return "$rc"
}

# refused_at_once WORD CMD…: ends at once, non-zero, one line naming WORD.
refused_at_once() {
        word=$1
        shift
        if within "$@"; then die "'$*' succeeded with a FIFO in the way"; fi
        [ ! -s "$T/stdout" ] || die "'$*' failed but printed on stdout: $(cat "$T/stdout")"
        expect_one_line "$word"
}

# A fixture sysroot (a copy) with a FIFO in place of REL.
fifo_root() {
        rm -rf "$T/root"
        cp -a "$GOOD" "$T/root"
        mkdir -p "$(dirname "$T/root/$1")"
        rm -f "$T/root/$1"
        mkfifo "$T/root/$1"
}

# Firmware: every table, and qemu.conf (read for QEMU's group).
for rel in sys/firmware/acpi/tables/MSDM sys/firmware/acpi/tables/SLIC \
           sys/firmware/dmi/tables/DMI sys/firmware/dmi/tables/smbios_entry_point \
           etc/libvirt/qemu.conf; do
        fifo_root "$rel"
        refused_at_once "$T/root/$rel': it is a FIFO" "$OEMKVM" dump --sysroot "$T/root" --output "$T/out"
        [ ! -e "$T/out" ] || die "a refused dump wrote '$T/out'"
        case $rel in etc/*) continue ;; esac
        refused_at_once "it is a FIFO" "$OEMKVM" show --sysroot "$T/root"
        refused_at_once "it is a FIFO" "$OEMKVM" show --json --sysroot "$T/root"
done

# A dump directory (the store, or a source= one) with a FIFO in place of each file.
sed "s|<metadata>|<metadata>$TAG|" "$XML" >"$T/tagged.xml"
for f in msdm.bin slic.bin smbios_type_0.bin smbios_type_1.bin; do
        rm -rf "$T/dump"
        "$OEMKVM" dump --sysroot "$GOOD" --output "$T/dump" >/dev/null || die "cannot dump the fixture"
        "$OEMKVM" patch --store "$T/dump" "$T/tagged.xml" >"$T/patched.xml" || die "cannot patch"
        sed "s|<oemkvm:license/>|<oemkvm:license source=\"$T/dump\"/>|" "$T/tagged.xml" >"$T/source.xml"
        "$OEMKVM" patch "$T/source.xml" >"$T/source-patched.xml" || die "cannot patch (source=)"
        rm "$T/dump/$f"
        mkfifo -m 0640 "$T/dump/$f"

        refused_at_once "$T/dump/$f': it is a FIFO" "$OEMKVM" show --input "$T/dump"
        refused_at_once "it is a FIFO" "$OEMKVM" patch --store "$T/dump" "$T/tagged.xml"
        refused_at_once "it is a FIFO" "$OEMKVM" patch "$T/source.xml"

        # The hook, without firmware to refresh from: a source= dump and the store.
        refused_at_once "domain 'win11': license: refusing to read '$T/dump/$f'" \
                env OEMKVM_SYSROOT="$T/nofirmware" OEMKVM_STORE_DIR="$T/other" "$HOOK" win11 prepare begin - <"$T/source-patched.xml"
        refused_at_once "domain 'win11'" \
                env OEMKVM_SYSROOT="$T/nofirmware" OEMKVM_STORE_DIR="$T/dump" "$HOOK" win11 prepare begin - <"$T/patched.xml"
        refused_at_once "domain 'win11' cannot run on this host" \
                env OEMKVM_SYSROOT="$T/nofirmware" OEMKVM_STORE_DIR="$T/dump" "$HOOK" win11 migrate begin - <"$T/patched.xml"

        # With firmware, the store's set (FIFO and all) is replaced by a new one.
        within "$OEMKVM" dump --sysroot "$GOOD" --output "$T/dump" || die "dump over a FIFO failed: $(cat "$T/stderr")"
        [ -f "$T/dump/$f" ] && [ ! -p "$T/dump/$f" ] || die "dump left the FIFO '$f' in the store"
        rm "$T/dump/$f"
        mkfifo -m 0640 "$T/dump/$f"
        mkdir -p "$T/withfw/etc/libvirt/qemu"
        : >"$T/withfw/etc/libvirt/qemu/win11.xml"
        ln -sfn "$GOOD/sys" "$T/withfw/sys"
        within env OEMKVM_SYSROOT="$T/withfw" OEMKVM_STORE_DIR="$T/dump" "$HOOK" win11 prepare begin - <"$T/patched.xml" ||
                die "the hook did not replace a store with a FIFO in it: $(cat "$T/stderr")"
        [ ! -p "$T/dump/$f" ] || die "the hook left the FIFO '$f' in the store"
done

# The hook with a FIFO in the firmware it refreshes the store from.
fifo_root sys/firmware/acpi/tables/MSDM
mkdir -p "$T/root/etc/libvirt/qemu"
: >"$T/root/etc/libvirt/qemu/win11.xml"
rm -rf "$T/dump"
refused_at_once "domain 'win11': cannot make the license store '$T/dump' from this host's firmware" \
        env OEMKVM_SYSROOT="$T/root" OEMKVM_STORE_DIR="$T/dump" "$HOOK" win11 prepare begin - <"$T/patched.xml"
grep -q "MSDM': it is a FIFO" "$T/stderr" || die "the refusal does not name the FIFO: $(cat "$T/stderr")"

note passed
