#!/bin/sh
# Hostile metadata, table-driven: every attribute of the tag the engine
# reads (license, topology, virtio, and GVT-g's parent, type, uuid, rom,
# display and opregion), and every record value a revert writes back, with
# the values someone allowed to define domains could write — relative
# paths, '..', the kernel's trees, device nodes, FIFOs, symlinks, QEMU
# option injection, quotes and '<', control characters, NUL, invalid
# UTF-8, 4 kB, the wrong words.  `oemkvm patch` and the hook (prepare and
# migrate, as libvirt runs it) each refuse the domain with one line naming
# the attribute, print nothing on stdout, and write nothing anywhere: the
# sandbox the values point into, the store and the host's sysfs (a GVT-g
# mdev tree whose create files would show a write) are the same afterwards.
# Symlinks are followed only for what QEMU merely reads (the drivers ISO, a
# source= directory, a GVT-g ROM), and what they resolve to is checked.
set -eu
LC_ALL=C
export LC_ALL
. "$OEMKVM_SRCDIR/tests/lib/cli.sh"
require_root "it makes a device node for the table"

HOOK=$OEMKVM_BUILDDIR/oemkvm-hook
XML=$OEMKVM_SRCDIR/tests/fixtures/hook/win11.xml
chmod 0755 "$T"

# The sandbox the values point into: a dump, an ISO, a FIFO, a device node,
# and symlinks to each.
H=$T/h
mkdir -p "$H/dump" "$H/linkfiles"
cp "$ROOTS/thinkpad-smbios3/expected/"*.bin "$H/dump/"
cp "$H/dump/"*.bin "$H/linkfiles/"
ln -sf "$H/dump/msdm.bin" "$H/linkfiles/msdm.bin"
# An ISO 9660 image as far as oemkvm looks: the volume descriptor at byte 32769.
{ head -c 32769 /dev/zero; printf 'CD001'; } >"$H/iso"
mkfifo "$H/fifo"
mknod "$H/null" c 1 3
ln -s "$H/dump" "$H/link-dump"
ln -s "$H/iso" "$H/link-iso"
ln -s "$H/null" "$H/link-null"
ln -s "$H/fifo" "$H/link-fifo"
# Links into the kernel's trees to what stat calls a plain file or
# directory: followed, the target is held to the rules of a written path.
ln -s /proc/self/status "$H/link-proc"
ln -s /sys/firmware/acpi/tables "$H/link-sys"

# The hook's host: persistent definitions, the thinkpad's firmware, a store.
ROOT=$T/root
mkdir -p "$ROOT/etc/libvirt/qemu"
: >"$ROOT/etc/libvirt/qemu/win11.xml"
mkdir -p "$ROOT/sys"
ln -s "$ROOTS/thinkpad-smbios3/sys/firmware" "$ROOT/sys/firmware"
cp -a "$OEMKVM_SRCDIR/tests/fixtures/mdev/gvt-kabylake/sys/." "$ROOT/sys/"
export OEMKVM_SYSROOT="$ROOT" OEMKVM_STORE_DIR="$T/store"
"$OEMKVM" dump --sysroot "$ROOTS/thinkpad-smbios3" --output "$T/store" >/dev/null || die "oemkvm dump failed"

long=/$(head -c 4095 /dev/zero | tr '\0' x)
ff=$(printf '\377')

# element | value (@H@: the sandbox; @FF@: a 0xff byte, invalid UTF-8) | what the line says (OK: accepted)
# Values are XML text: &quot; &lt; &#10; reach the engine as '"', '<', a newline.
table() {
        cat <<'TABLE'
license source|dump|source=>: 'dump' is not an absolute path
license source|..|source=>: '..' is not an absolute path
license source|@H@/dump/../dump|has a '..' component
license source|@H@/dump/..|has a '..' component
license source|/proc/self/cwd|source=>: '/proc/self/cwd' is in the kernel's /proc
license source|/sys/firmware/acpi/tables|is in the kernel's /sys
license source|/dev/shm|is in the kernel's /dev
license source|@H@/null|source=>: '@H@/null' is not a directory
license source|@H@/fifo|source=>: '@H@/fifo' is not a directory
license source|@H@/iso|source=>: '@H@/iso' is not a directory
license source|@H@/link-fifo|is not a directory
license source|@H@/linkfiles|it is a symbolic link — the dump must hold plain files, not links or devices: point source=
license source|@H@/link-dump|OK
license source|@H@/link-sys|source=> through the link '@H@/link-sys': '/sys/firmware/acpi/tables' is in the kernel's /sys
license source|@H@/a,sig=SLIC|source=>: '@H@/a,sig=SLIC' contains a comma
license source|@H@/a=b|source=>: '@H@/a=b' contains '='
license source|@H@/a&quot;b|contains '"'
license source|@H@/a&apos;b|contains '''
license source|@H@/a&lt;b|contains '<'
license source|@H@/a&amp;b|contains '&'
license source|@H@/*|contains '*'
license source||source=>: the path is empty
license source|@LONG@|source=>: '/xxxxxxxx
license source|@H@/a&#10;b|holds a control character (byte 0x0a
license source|@H@/a&#127;b|holds a control character (byte 0x7f
license source|@H@/a&#0;b|malformed XML at line
license source|@H@/a@FF@b|malformed XML at line
topology edition|Pro|edition='Pro'>: the edition is one of home, pro
topology edition|pro |edition='pro '>: the edition is one of
topology edition||edition=''>: the edition is one of
topology edition|../pro|edition='../pro'>: the edition is one of
topology edition|/proc/self|edition='/proc/self'>
topology edition|pro,x|edition='pro,x'>
topology edition|&lt;pro&gt;|edition='<pro>'>
topology edition|p&#10;ro|edition='p\x0aro'>
topology edition|@LONG@|edition='/xxxxxxxx
topology edition|pro&#0;|malformed XML at line
topology edition|pr@FF@o|malformed XML at line
virtio storage|SCSI|storage='SCSI'>: the storage bus is 'scsi'
virtio storage|virtio-scsi|storage='virtio-scsi'>
virtio storage||storage=''>
virtio storage|scsi,x|storage='scsi,x'>
virtio storage|sc&#10;si|storage='sc\x0asi'>
virtio storage|@LONG@|storage='/xxxxxxxx
virtio storage|sc&lt;si|storage='sc<si'>
virtio storage|../scsi|storage='../scsi'>
virtio storage|scsi&#0;|malformed XML at line
virtio storage|sc@FF@si|malformed XML at line
virtio network|e1000|network='e1000'>: the NIC model is 'virtio'
virtio network||network=''>
virtio network|virtio&quot;/&gt;|network='virtio"/>'>
virtio network|vir&#13;tio|network='vir\x0dtio'>
virtio network|@LONG@|network='/xxxxxxxx
virtio network|../virtio|network='../virtio'>
virtio network|virtio&#0;|malformed XML at line
virtio network|vir@FF@tio|malformed XML at line
virtio drivers|virtio-win.iso|drivers=>: 'virtio-win.iso' is not an absolute path
virtio drivers|..|drivers=>: '..' is not an absolute path
virtio drivers|@H@/dump/../iso|has a '..' component
virtio drivers|@H@/iso/..|has a '..' component
virtio drivers|/proc/self/exe|is in the kernel's /proc
virtio drivers|/dev/sda|drivers=>: '/dev/sda' is in the kernel's /dev
virtio drivers|/sys/block/sda|is in the kernel's /sys
virtio drivers|@H@/null|virtio: the drivers ISO '@H@/null' is not a regular file — fix <oemkvm:virtio drivers=>
virtio drivers|@H@/link-null|virtio: the drivers ISO '@H@/link-null' is not a regular file — fix <oemkvm:virtio drivers=>
virtio drivers|@H@/fifo|virtio: the drivers ISO '@H@/fifo' is not a regular file — fix <oemkvm:virtio drivers=>
virtio drivers|@H@/link-fifo|virtio: the drivers ISO '@H@/link-fifo' is not a regular file
virtio drivers|@H@/dump|virtio: the drivers ISO '@H@/dump' is not a regular file — fix <oemkvm:virtio drivers=>
virtio drivers|@H@/link-iso|OK
virtio drivers|@H@/link-proc|drivers=> through the link '@H@/link-proc': '/proc/
virtio drivers|@H@/dump/msdm.bin|virtio: the drivers ISO '@H@/dump/msdm.bin' is not an ISO 9660 image
virtio drivers|@H@/virtio-wn.iso|virtio: the drivers ISO '@H@/virtio-wn.iso' does not exist — fix <oemkvm:virtio drivers=>
virtio drivers|@H@/virtio,win.iso|drivers=>: '@H@/virtio,win.iso' contains a comma
virtio drivers|@H@/a=b.iso|contains '='
virtio drivers|@H@/a&quot;.iso|contains '"'
virtio drivers|@H@/a&lt;.iso|contains '<'
virtio drivers|@H@/?.iso|contains '?'
virtio drivers||drivers=>: the path is empty
virtio drivers|@LONG@|drivers=>: '/xxxxxxxx
virtio drivers|@H@/a&#9;.iso|holds a control character (byte 0x09
virtio drivers|@H@/a&#0;.iso|malformed XML at line
virtio drivers|@H@/@FF@.iso|malformed XML at line
gvt parent|..|<oemkvm:gvt parent='..'>: not a PCI address
gvt parent|mbochs/../../../proc|<oemkvm:gvt parent='mbochs/../../../proc'>: not a PCI address
gvt parent|0000:00:02.0/..|<oemkvm:gvt parent='0000:00:02.0/..'>
gvt parent|/sys/class/mdev_bus/0000:00:02.0|<oemkvm:gvt parent='/sys/class/mdev_bus/0000:00:02.0'>
gvt parent|0000:00:02.0,x=y|<oemkvm:gvt parent='0000:00:02.0,x=y'>
gvt parent|mbo&quot;chs|<oemkvm:gvt parent='mbo"chs'>
gvt parent|&lt;mbochs|<oemkvm:gvt parent='<mbochs'>
gvt parent||<oemkvm:gvt parent=''>
gvt parent|mbo&#10;chs|<oemkvm:gvt parent='mbo\x0achs'>
gvt parent|@LONG@|<oemkvm:gvt parent='/xxxxxxxx
gvt parent|mbochs&#0;|malformed XML at line
gvt parent|mb@FF@ochs|malformed XML at line
gvt type|../../remove|<oemkvm:gvt type='../../remove'>: not an mdev type name
gvt type|i915-GVTg_V5_4/../../../../bus/mdev/devices/x/remove|<oemkvm:gvt type='i915-GVTg_V5_4/../
gvt type|..|<oemkvm:gvt type='..'>
gvt type|i915-GVTg_V5_4,x|<oemkvm:gvt type='i915-GVTg_V5_4,x'>
gvt type|i915&quot;|<oemkvm:gvt type='i915"'>
gvt type||<oemkvm:gvt type=''>
gvt type|i915&#10;GVTg|<oemkvm:gvt type='i915\x0aGVTg'>
gvt type|@LONG@|<oemkvm:gvt type='/xxxxxxxx
gvt type|i915&lt;x|<oemkvm:gvt type='i915<x'>
gvt type|/proc/self|<oemkvm:gvt type='/proc/self'>
gvt type|i915&#0;|malformed XML at line
gvt type|i9@FF@15|malformed XML at line
gvt uuid|../../../remove|<oemkvm:gvt uuid='../../../remove'>: not a UUID
gvt uuid|6d5f9c1e-0a7b-4c3d-8e2f-1a2b3c4d5e6f/../x|<oemkvm:gvt uuid='6d5f9c1e-0a7b-4c3d-8e2f-1a2b3c4d5e6f/../x'>
gvt uuid|6d5f9c1e-0a7b-4c3d-8e2f-1a2b3c4d5e6|<oemkvm:gvt uuid='6d5f9c1e-0a7b-4c3d-8e2f-1a2b3c4d5e6'>
gvt uuid|6d5f9c1e0a7b4c3d8e2f1a2b3c4d5e6f|<oemkvm:gvt uuid='6d5f9c1e0a7b4c3d8e2f1a2b3c4d5e6f'>
gvt uuid|6d5f9c1e-0a7b-4c3d-8e2f-1a2b3c4d5e6g|<oemkvm:gvt uuid='6d5f9c1e-0a7b-4c3d-8e2f-1a2b3c4d5e6g'>
gvt uuid||<oemkvm:gvt uuid=''>
gvt uuid|6d5f9c1e-0a7b-4c3d-8e2f-1a2b3c4d5e6f&#10;|<oemkvm:gvt uuid='6d5f9c1e-0a7b-4c3d-8e2f-1a2b3c4d5e6f\x0a'>
gvt uuid|@LONG@|<oemkvm:gvt uuid='/xxxxxxxx
gvt uuid|/proc/self|<oemkvm:gvt uuid='/proc/self'>: not a UUID
gvt uuid|6d5f9c1e-0a7b-4c3d-8e2f-1a2b3c4d5e6f,x=y|<oemkvm:gvt uuid='6d5f9c1e-0a7b-4c3d-8e2f-1a2b3c4d5e6f,x=y'>
gvt uuid|&lt;6d5f9c1e-0a7b-4c3d-8e2f-1a2b3c4d5e6f|<oemkvm:gvt uuid='<6d5f9c1e
gvt uuid|6d5f9c1e-0a7b-4c3d-8e2f-1a2b3c4d5e6f&#0;|malformed XML at line
gvt uuid|6d5f9c1e-0a7b-4c3d-8e2f-1a2b3c4d5e6@FF@|malformed XML at line
gvt rom|vbios_gvt_uefi.rom|rom=>: 'vbios_gvt_uefi.rom' is not an absolute path
gvt rom|@H@/dump/../iso|has a '..' component
gvt rom|/proc/self/exe|rom=>: '/proc/self/exe' is in the kernel's /proc
gvt rom|/sys/devices/pci0000:00/0000:00:02.0/rom|is in the kernel's /sys
gvt rom|@H@/null|<oemkvm:gvt rom='@H@/null'>: not a regular file
gvt rom|@H@/fifo|<oemkvm:gvt rom='@H@/fifo'>: not a regular file
gvt rom|@H@/link-null|<oemkvm:gvt rom='@H@/link-null'>: not a regular file
gvt rom|@H@/dump|<oemkvm:gvt rom='@H@/dump'>: not a regular file
gvt rom|@H@/link-proc|rom=> through the link '@H@/link-proc': '/proc/
gvt rom|@H@/a.rom,bootindex=1|rom=>: '@H@/a.rom,bootindex=1' contains a comma
gvt rom|@H@/a&quot;.rom|contains '"'
gvt rom|@H@/a&#10;.rom|holds a control character (byte 0x0a
gvt rom||rom=>: the path is empty
gvt rom|@LONG@|rom=>: '/xxxxxxxx
gvt rom|@H@/a&#0;.rom|malformed XML at line
gvt rom|..|rom=>: '..' is not an absolute path
gvt rom|@H@/iso/..|has a '..' component
gvt rom|/dev/mem|rom=>: '/dev/mem' is in the kernel's /dev
gvt rom|@H@/a=b.rom|contains '='
gvt rom|@H@/a&lt;.rom|contains '<'
gvt rom|@H@/@FF@.rom|malformed XML at line
gvt display|SPICE-GL|<oemkvm:gvt display='SPICE-GL'>: the display is spice-gl, vnc or none
gvt display|vnc,gl=on|<oemkvm:gvt display='vnc,gl=on'>
gvt display||<oemkvm:gvt display=''>
gvt display|vnc&#10;|<oemkvm:gvt display='vnc\x0a'>
gvt display|@LONG@|<oemkvm:gvt display='/xxxxxxxx
gvt display|../vnc|<oemkvm:gvt display='../vnc'>
gvt display|vnc&quot;|<oemkvm:gvt display='vnc"'>
gvt display|&lt;vnc|<oemkvm:gvt display='<vnc'>
gvt display|vnc&#0;|malformed XML at line
gvt display|v@FF@nc|malformed XML at line
gvt opregion|true|<oemkvm:gvt opregion='true'>: opregion is yes or no
gvt opregion|yes&#10;|<oemkvm:gvt opregion='yes\x0a'>
gvt opregion||<oemkvm:gvt opregion=''>: opregion is yes or no
gvt opregion|&lt;yes|<oemkvm:gvt opregion='<yes'>
gvt opregion|/proc/self|<oemkvm:gvt opregion='/proc/self'>
gvt opregion|yes,x=y|<oemkvm:gvt opregion='yes,x=y'>
TABLE
}

# Everything a run could write to: the sandbox, the store, the fake root.
snapshot() {
        find "$H" "$T/store" "$ROOT" -printf '%p %y %s %m %T@ %l\n' | sort
}

rows=0
table | while IFS='|' read -r element value expect; do
        feature=${element% *} attr=${element#* }
        v=$(printf '%s' "$value" | sed -e "s|@H@|$H|g" -e "s|@LONG@|$long|" -e "s|@FF@|$ff|")
        expect=$(printf '%s' "$expect" | sed -e "s|@H@|$H|g")
        # gvt needs parent= and type=: the row's attribute replaces one of
        # a valid pair (the mdev fixture's GVT-g type).
        others=
        if [ "$feature" = gvt ]; then
                [ "$attr" = parent ] || others="$others parent=\"0000:00:02.0\""
                [ "$attr" = type ] || others="$others type=\"i915-GVTg_V5_4\""
        fi
        tag="<oemkvm:config xmlns:oemkvm=\"urn:oemkvm:domain:1\"><oemkvm:$feature$others $attr=\"$v\"/></oemkvm:config>"
        printf '%s' "$tag" >"$T/tag.txt"
        awk -v tagfile="$T/tag.txt" 'BEGIN { getline tag <tagfile }
                i = index($0, "<metadata>") { $0 = substr($0, 1, i + 9) tag substr($0, i + 10) } { print }' \
                "$XML" >"$T/in.xml"
        what="<oemkvm:$feature $attr=\"$(printf '%.60s' "$value")\">"
        before=$(snapshot)
        if [ "$expect" = OK ]; then
                run_ok "$OEMKVM" patch --store "$T/store" "$T/in.xml"
                cp "$T/stdout" "$T/patched.xml"
                run_ok "$HOOK" win11 prepare begin - <"$T/patched.xml"
                [ ! -s "$T/stderr" ] || die "$what: the hook printed: $(cat "$T/stderr")"
        else
                run_fail "$OEMKVM" patch --store "$T/store" "$T/in.xml"
                [ "$(wc -l <"$T/stderr")" -eq 1 ] && grep -q '^oemkvm: ' "$T/stderr" && grep -qF -- "$expect" "$T/stderr" ||
                        die "$what: oemkvm patch does not say '$expect' in one line: $(cat "$T/stderr")"
                run_fail "$HOOK" win11 prepare begin - <"$T/in.xml"
                [ "$(wc -l <"$T/stderr")" -eq 1 ] || die "$what: hook prepare: not one line: $(cat "$T/stderr")"
                grep -qF -- "$expect" "$T/stderr" || die "$what: the hook does not say '$expect': $(cat "$T/stderr")"
                # migrate reads only the license record (there is none yet):
                # it may let the domain go on unchanged, or refuse in one line.
                "$HOOK" win11 migrate begin - <"$T/in.xml" >"$T/stdout" 2>"$T/stderr" || true
                [ ! -s "$T/stdout" ] && [ "$(wc -l <"$T/stderr")" -le 1 ] ||
                        die "$what: hook migrate: $(cat "$T/stdout" "$T/stderr")"
        fi
        snapshot >"$T/after"
        echo "$before" | diff - "$T/after" >"$T/diff" || die "$what: something was written: $(cat "$T/diff")"
        rows=$((rows + 1))
        echo "$rows" >"$T/rows"
done
# The record: the values a revert writes back into the definition.  A
# domain patched with every feature (a topology, an IDE disk, an lsilogic
# controller and an e1000e NIC to restore, the drivers CD-ROM, the user's
# own -acpitable taken over, a SPICE display and a QXL card GVT-g
# replaces), each record value replaced by a hostile one (or added, for
# the attributes the entry has not), the tag removed: `oemkvm patch`
# refuses the revert with one line naming the entry and the attribute,
# and writes nothing.  Not only what a revert writes back: every
# attribute the engine reads — the keys entries are found by, the values
# compared with the definition, the flags — has one grammar.
TAGALL="<oemkvm:config xmlns:oemkvm=\"urn:oemkvm:domain:1\"><oemkvm:license/><oemkvm:topology edition=\"pro\"/><oemkvm:virtio drivers=\"$H/iso\"/><oemkvm:gvt parent=\"0000:00:02.0\" type=\"i915-GVTg_V5_4\"/></oemkvm:config>"
sed -e "s|<domain type='kvm'>|<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>|" \
    -e "s|<metadata>|<metadata>$TAGALL|" \
    -e "s|<cpu mode='host-passthrough' check='none' migratable='on'/>|<cpu mode='host-passthrough'><topology sockets='2' dies='1' cores='1' threads='1'/></cpu>|" \
    -e "s|    <interface type='network'>|    <disk type='file' device='disk'><source file='/var/lib/libvirt/images/data.qcow2'/><target dev='hdb' bus='ide'/></disk>\n    <controller type='scsi' index='0' model='lsilogic'/>\n    <graphics type='spice' autoport='yes'/>\n    <video><model type='qxl'/></video>\n    <interface type='network'>|" \
    -e "s|</domain>|  <qemu:commandline><qemu:arg value='-acpitable'/><qemu:arg value='file=$H/dump/msdm.bin'/></qemu:commandline>\n</domain>|" \
    "$XML" | "$OEMKVM" patch --store "$T/store" >"$T/all.xml" 2>"$T/all.err" || die "oemkvm patch (every feature) failed: $(cat "$T/all.err")"

# entry (the record line holding it) | attribute
record_attrs() {
        cat <<'TABLE'
disk target="sda"|was-bus
disk target="sdb"|was-target
controller index="0"|was-model
interface mac=|was-model
topology vcpus=|was-sockets
topology vcpus=|was-dies
topology vcpus=|was-cores
topology vcpus=|was-threads
arg option="-acpitable"|was-value
removed what="graphics"|xml
removed what="video"|xml
disk target="sda"|target
disk target="sdb"|owner
controller index="0"|index
controller index="0"|added
interface mac=|mac
cdrom target=|target
cdrom target=|file
cdrom target=|owner
topology vcpus=|vcpus
topology vcpus=|was-vcpus
topology vcpus=|sockets
topology vcpus=|dies
topology vcpus=|cores
topology vcpus=|threads
topology vcpus=|added
license dir=|dir
license dir=|commandline
license dir=|qemu-ns
arg option="-acpitable"|option
arg option="-acpitable"|file
arg option="-acpitable"|owner
gvt parent=|parent
gvt parent=|type
gvt parent=|uuid
hostdev uuid=|uuid
hostdev uuid=|display
hostdev uuid=|ramfb
hostdev uuid=|owner
override x-igd-opregion=|x-igd-opregion
override x-igd-opregion=|romfile
override x-igd-opregion=|element
override x-igd-opregion=|qemu-ns
display mode=|mode
added kind="spice-gl"|kind
removed what="graphics"|what
TABLE
}
# The values, by attribute.  Counts out of range are wrong only where a
# number is: "0" is a harmless model name as far as oemkvm can tell, an
# mdev parent or type name may be digits, and "0" is a controller index.
# A QEMU argument may hold any printable text, but not a second line; a
# saved display must be one well-formed <graphics> or <video>.  A path in
# the record is only compared, never opened: it is held to the rules of a
# path in the tag, but a FIFO, a device node or a link outside the
# kernel's trees is only a name there (the drivers ISO may well be a link).
record_values() {
        case $1 in
        was-value)
                cat <<'TABLE'
file=/x&#10;-device evil
a&#9;b

@LONG@
TABLE
                return ;;
        xml)
                cat <<'TABLE'
&lt;disk type=&quot;file&quot; device=&quot;disk&quot;&gt;&lt;source file=&quot;/etc/shadow&quot;/&gt;&lt;target dev=&quot;vdz&quot;/&gt;&lt;/disk&gt;
&lt;hostdev mode=&quot;subsystem&quot; type=&quot;pci&quot;/&gt;
&lt;g:graphics xmlns:g=&quot;urn:evil&quot; type=&quot;vnc&quot;/&gt;
&lt;!DOCTYPE graphics [&lt;!ENTITY e SYSTEM &quot;/etc/shadow&quot;&gt;]&gt;&lt;graphics type=&quot;&amp;e;&quot;/&gt;
x&quot;&lt;evil

@LONG@
TABLE
                return ;;
        file | dir | romfile)
                cat <<'TABLE'
dump
..
@H@/dump/..
@H@/dump/../dump
/proc/self/cwd
/sys/firmware/acpi/tables
/dev/sda
@H@/a,sig=SLIC
@H@/a=b
@H@/a&quot;b
@H@/a&lt;b
@H@/*

@H@/a&#10;b
@LONG@
TABLE
                return ;;
        esac
        cat <<'TABLE'
x&quot;&lt;evil
hdq/../x
/proc/self/fd/0
a,b=c
-device evil
a&#10;b
@LONG@
TABLE
        case $1 in
        was-model) ;;
        # Names under /sys/class/mdev_bus and mdev types may be digits.
        parent | type) printf '\n' ;;
        index) printf '%s\n' '' -4 99999 00 0x1 ;;
        mac) printf '%s\n' '' 52:54:00:6b:3c:5 52-54-00-6b-3c-58 52:54:00:6b:3c:58:00 ;;
        uuid) printf '%s\n' '' 0 30097145fb568039ac1736108cd78280 ;;
        *) printf '%s\n' '' 0 -4 99999 ;;
        esac
}
: >"$T/rrows"
record_attrs | while IFS='|' read -r entry attr; do
        grep -q "<oemkvm-state:$entry" "$T/all.xml" || die "the patched domain has no record entry '$entry'"
        record_values "$attr" | while IFS= read -r value; do
                v=$(printf '%s' "$value" | sed -e "s|@LONG@|$long|" -e "s|@H@|$H|g")
                # Set the attribute on the entry's line (added after the
                # element's name when it has none), then take the tag away.
                awk -v e="<oemkvm-state:$entry" -v n="<oemkvm-state:${entry%% *}" -v a="$attr" -v v="$v" '
                        index($0, e) { re = " " a "=\"[^\"]*\""
                                       if (match($0, re)) $0 = substr($0, 1, RSTART - 1) " " a "=\"" v "\"" substr($0, RSTART + RLENGTH)
                                       else { k = index($0, n) + length(n); $0 = substr($0, 1, k - 1) " " a "=\"" v "\"" substr($0, k) } }
                        { sub(/<oemkvm:config.*<\/oemkvm:config>/, ""); print }' "$T/all.xml" >"$T/rec.xml"
                grep -qF "$attr=\"$(printf '%.20s' "$v")" "$T/rec.xml" || die "could not set $attr on '$entry'"
                what="record <oemkvm-state:$entry…> $attr=\"$(printf '%.40s' "$value")\""
                before=$(snapshot)
                run_fail "$OEMKVM" patch --store "$T/store" "$T/rec.xml"
                [ "$(wc -l <"$T/stderr")" -eq 1 ] && grep -qF "oemkvm's record <oemkvm-state:${entry%% *}" "$T/stderr" &&
                        grep -qF " has $attr='" "$T/stderr" ||
                        die "$what: not refused in one line naming it: $(cat "$T/stderr")"
                snapshot >"$T/after"
                echo "$before" | diff - "$T/after" >"$T/diff" || die "$what: something was written: $(cat "$T/diff")"
                echo "$entry $attr" >>"$T/rrows"
        done
done
want=0
for attr in $(record_attrs | cut -d'|' -f2); do want=$((want + $(record_values "$attr" | wc -l))); done
[ "$(wc -l <"$T/rrows")" -eq "$want" ] || die "only $(wc -l <"$T/rrows") of $want record rows ran"
n=$(cat "$T/rows")
[ "$n" -eq "$(table | wc -l)" ] || die "only $n of $(table | wc -l) rows ran"
echo "$n hostile tag values and $(wc -l <"$T/rrows") hostile record values refused (symlinks to what QEMU only reads: resolved and accepted)"
