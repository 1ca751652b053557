#!/bin/sh
# What this distribution's OVMF does with a vGPU's option ROM and with
# ramfb — the two questions GVT-g's UEFI ROM policy rests on
# (docs/gvt-g-findings.md).  Plain QEMU under TCG, firmware picked through
# QEMU's firmware descriptors as libvirt picks it:
#
# (a) an unsigned option ROM (iPXE's efi-e1000.rom, whose EFI image has no
#     Authenticode signature) runs: its banner reaches the serial console
#     with OVMF without Secure Boot, with the Secure Boot build and an empty
#     varstore, and with Microsoft's keys enrolled and Secure Boot enforced
#     — where the same firmware refuses to boot that ROM's EFI image,
#     unsigned, from a disk ("Access Denied").  Without the ROM
#     nothing drives the NIC.
# (b) OVMF drives a ramfb display by itself: with `-device ramfb` and no
#     other display, the screen shows OVMF's console at the 800x600 it sets;
#     without ramfb there is only QEMU's placeholder.
#
# Debian's OVMF writes nothing to the debug port (0x402) although its
# descriptor claims verbose-dynamic, so the answers come from what the
# firmware and the ROM show, not from its log.
set -eu
. "$(dirname "$0")/../lib/common.sh"

require_cmd qemu-system-x86_64 qemu-system-x86
require_cmd jq jq
ROM=${OEMKVM_TEST_OPROM:-$(ipxe_rom efi-e1000.rom)}
[ -r "$ROM" ] || die "OEMKVM_TEST_OPROM='$ROM' is not readable"
DESCRIPTORS=/usr/share/qemu/firmware
OVMF_TIMEOUT=${OEMKVM_OVMF_TIMEOUT:-120}
make_scratch

# fw_pick JQ-FILTER: "CODE VARS" of the first (by name, as QEMU orders
# them) x86_64 q35 UEFI flash descriptor whose feature list passes the filter.
fw_pick() {
        for _d in "$DESCRIPTORS"/*.json; do
                jq -r --arg f "$1" '
                        select((."interface-types" | index("uefi")) and .mapping.device == "flash"
                               and any(.targets[]; .architecture == "x86_64"
                                       and any(.machines[]; test("^pc-q35")))
                               and (.features | '"$1"'))
                        | "\(.mapping.executable.filename) \(.mapping."nvram-template".filename)"' "$_d"
        done | head -n 1
}

# le N FILE OFFSET: the N-byte little-endian number at OFFSET.
le() { od -An -tu"$1" -j "$3" -N "$1" --endian=little "$2" | tr -d ' '; }

# rom_signed ROM: 0 when the ROM's EFI image carries an Authenticode
# signature (a PE security directory), 1 when it does not, 2 when the ROM
# holds no uncompressed x64 EFI image.  Walks the PCI expansion ROM images
# (55 AA, PCIR, code type 3 = EFI); sets ROM_PE and ROM_PE_LEN to the EFI
# image's offset and length.
rom_signed() {
        _off=0
        while :; do
                [ "$(od -An -tx1 -j "$_off" -N 2 "$1" | tr -d ' ')" = 55aa ] || return 2
                _pcir=$((_off + $(le 2 "$1" $((_off + 0x18)))))
                _len=$(($(le 2 "$1" $((_pcir + 0x10))) * 512))
                _code=$(le 1 "$1" $((_pcir + 0x14)))
                _last=$(($(le 1 "$1" $((_pcir + 0x15))) & 0x80))
                if [ "$_code" = 3 ] && [ "$(le 2 "$1" $((_off + 0x0c)))" = 0 ]; then
                        _pe=$((_off + $(le 2 "$1" $((_off + 0x16)))))
                        ROM_PE=$_pe ROM_PE_LEN=$((_off + _len - _pe))
                        _nt=$((_pe + $(le 4 "$1" $((_pe + 0x3c)))))
                        # PE32+: data directories start 112 bytes into the optional header; #4 is security.
                        _size=$(le 4 "$1" $((_nt + 24 + 112 + 4 * 8 + 4)))
                        [ "$_size" -gt 0 ] && return 0
                        return 1
                fi
                [ "$_last" -eq 0 ] || return 2
                _off=$((_off + _len))
        done
}

# serial_text LOG: the serial log without CRs and escape sequences.
serial_text() { tr -d '\r' <"$1" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1b[a-zA-Z]//g'; }

# ovmf_start NAME CODE VARS QEMU-ARGS…: boots OVMF in the background with
# its serial console in $SCRATCH/NAME.serial and a monitor on the FIFOs
# $SCRATCH/NAME.mon.{in,out}; QEMU_PID is its pid.
ovmf_start() {
        _n=$1 _code=$2 _vars=$3
        shift 3
        cp "$_vars" "$SCRATCH/$_n.vars"
        mkfifo "$SCRATCH/$_n.mon.in" "$SCRATCH/$_n.mon.out"
        : >"$SCRATCH/$_n.serial"
        # smm=on and a secure flash: what a Secure Boot build requires, harmless to the rest.
        timeout -k 5 "$OVMF_TIMEOUT" qemu-system-x86_64 -accel tcg -machine q35,smm=on -m 256 \
                -global driver=cfi.pflash01,property=secure,value=on \
                -drive "if=pflash,format=raw,unit=0,readonly=on,file=$_code" \
                -drive "if=pflash,format=raw,unit=1,file=$SCRATCH/$_n.vars" \
                -display none -no-reboot -serial "file:$SCRATCH/$_n.serial" \
                -monitor "pipe:$SCRATCH/$_n.mon" "$@" </dev/null >"$SCRATCH/$_n.qemu" 2>&1 &
        QEMU_PID=$!
        # Read-write opens of a FIFO never block, whether QEMU got that far or
        # not; QEMU opens both ends the same way.  Its replies (a few lines)
        # stay in the pipe.
        exec 7<>"$SCRATCH/$_n.mon.in"
        at_exit "kill $QEMU_PID 2>/dev/null"
}

ovmf_stop() {
        echo quit >&7 2>/dev/null || true
        exec 7>&-
        wait "$QEMU_PID" 2>/dev/null || true
}

# serial_has NAME TEXT
serial_has() { serial_text "$SCRATCH/$1.serial" | grep -qF -- "$2"; }
# serial_matches NAME REGEX
serial_matches() { serial_text "$SCRATCH/$1.serial" | grep -qE -- "$2"; }

# Where a boot with nothing to boot ends: the UEFI shell, or in builds
# without one (Debian unstable's plain OVMF, every Secure Boot build since
# Debian 13) BdsDxe's last word.
BOOT_OVER='Shell>|BdsDxe: No bootable option or device was found'

# ovmf_wait NAME REGEX WHAT: until the serial console shows REGEX.
ovmf_wait() {
        wait_until "$OVMF_TIMEOUT" "$3" serial_matches "$1" "$2" || {
                show_log "$SCRATCH/$1.qemu" "QEMU output"
                serial_text "$SCRATCH/$1.serial" >"$SCRATCH/$1.text"
                show_log "$SCRATCH/$1.text" "serial console of $1"
                die "$1: no '$2' on the serial console"
        }
}

IPXE="iPXE"
plain=$(fw_pick 'index("secure-boot") | not')
sb_empty=$(fw_pick 'index("secure-boot") and (index("enrolled-keys") | not)')
sb_keys=$(fw_pick 'index("secure-boot") and index("enrolled-keys") and index("requires-smm")')
[ -n "$plain" ] || die "no UEFI firmware without Secure Boot in $DESCRIPTORS; install the Debian package ovmf"
[ -n "$sb_empty" ] && [ -n "$sb_keys" ] ||
        die "no Secure Boot UEFI firmware (with and without enrolled keys) in $DESCRIPTORS; install the Debian package ovmf"
note "firmware: plain '$plain', Secure Boot empty '$sb_empty', with keys '$sb_keys'"

# ---------------------------------------------------------------- (a)

rc=0
rom_signed "$ROM" || rc=$?
[ $rc -eq 1 ] || die "'$ROM' is not an unsigned EFI option ROM (check $rc); the test needs one"
note "'$ROM' holds an x64 EFI image without an Authenticode signature"

# The control first: without the ROM nothing runs on the NIC, and the boot
# goes on to its end.
# shellcheck disable=SC2086  # CODE VARS
ovmf_start no-rom $plain -nic none -device e1000,romfile=
ovmf_wait no-rom "$BOOT_OVER" "OVMF without the ROM to finish booting"
ovmf_stop
! serial_has no-rom "$IPXE" || die "no-rom: iPXE ran without its ROM; the test cannot tell the ROM ran"
note "(a) control: without a ROM, no iPXE"

for fw in plain sb_empty sb_keys; do
        eval "set -- \$$fw"
        ovmf_start "$fw" "$1" "$2" -nic none -device "e1000,romfile=$ROM"
        ovmf_wait "$fw" "$IPXE" "OVMF ($fw) to run the unsigned option ROM"
        ovmf_stop
        note "(a) $fw: the unsigned option ROM ran"
done

# Secure Boot really is enforced with the keys enrolled: the firmware
# refuses to load the ROM's own EFI image, unsigned, as a disk's boot
# image, which the plain firmware starts.  (Debian 13's Secure Boot builds
# have no UEFI shell whose refusal could show it.)  The copy is marked an
# EFI application, as a boot image must be; it carries no signature for
# the change to break.
mkdir -p "$SCRATCH/esp/EFI/BOOT"
BOOT=$SCRATCH/esp/EFI/BOOT/BOOTX64.EFI
dd if="$ROM" of="$BOOT" bs=1 skip="$ROM_PE" count="$ROM_PE_LEN" status=none
subsystem=$(($(le 4 "$BOOT" 0x3c) + 24 + 68))
printf '\012\000' | dd of="$BOOT" bs=1 seek="$subsystem" conv=notrunc status=none
ESP="if=virtio,format=raw,readonly=on,file=fat:$SCRATCH/esp"
# booted NAME REGEX: BdsDxe's line about the disk's boot image.
booted() { serial_text "$SCRATCH/$1.serial" | grep -Eq "$2"; }
disk='Boot[0-9A-F]+ "UEFI Misc Device"'
for fw in plain sb_keys; do
        eval "set -- \$$fw"
        ovmf_start "$fw-disk" "$1" "$2" -nic none -drive "$ESP"
        case $fw in
        plain) want="BdsDxe: starting $disk" what="OVMF ($fw) to start the unsigned disk image" ;;
        *) want="BdsDxe: failed to load $disk .*: (Access Denied|Security Violation)" what="Secure Boot to refuse the unsigned disk image" ;;
        esac
        wait_until "$OVMF_TIMEOUT" "$what" booted "$fw-disk" "$want" || {
                show_log "$SCRATCH/$fw-disk.qemu" "QEMU output"
                serial_text "$SCRATCH/$fw-disk.serial" >"$SCRATCH/$fw-disk.text"
                show_log "$SCRATCH/$fw-disk.text" "serial console of $fw-disk"
                die "$fw-disk: no BdsDxe line '$want' for the disk"
        }
        ovmf_stop
done
note "(a) with keys enrolled Secure Boot refuses an unsigned boot image, yet ran the unsigned ROM"

# ---------------------------------------------------------------- (b)

# ppm_check FILE: "WxH N" — a binary PPM's size and how many bytes of
# its pixels are not 0 (black).
ppm_check() {
        _hlen=$(head -n 3 "$1" | wc -c)
        _nonblack=$(tail -c +$((_hlen + 1)) "$1" | tr -d '\000' | wc -c)
        echo "$(head -n 3 "$1" | tr '\n' ' ' | awk '$1 == "P6" { print $2 "x" $3 }') $_nonblack"
}

# screen NAME: the display now, as "WxH NONBLACK".
screen() {
        echo "screendump $SCRATCH/$1.ppm" >&7
        wait_until 20 "the screendump of $1" test -s "$SCRATCH/$1.ppm"
        sleep 1         # the dump is written in one go, but give it a moment
        ppm_check "$SCRATCH/$1.ppm"
}

# shellcheck disable=SC2086  # CODE VARS
ovmf_start ramfb $plain -nic none -vga none -device ramfb
ovmf_wait ramfb "$BOOT_OVER" "OVMF to finish booting on ramfb"
got=$(screen ramfb)
ovmf_stop
size=${got% *} drawn=${got#* }
[ "$size" = 800x600 ] || die "ramfb: the display is $size, not OVMF's 800x600: the firmware did not set it up"
[ "$drawn" -gt 1000 ] || die "ramfb: the display is black ($drawn bytes drawn)"
note "(b) OVMF drives ramfb itself: 800x600, its console drawn ($drawn bytes not black)"

# shellcheck disable=SC2086  # CODE VARS
ovmf_start no-display $plain -nic none -vga none
ovmf_wait no-display "$BOOT_OVER" "OVMF to finish booting without a display"
got=$(screen no-display)
ovmf_stop
[ "${got% *}" != 800x600 ] || die "no-display: an 800x600 display without any device; the ramfb check proves nothing"
note "(b) control: without ramfb, only QEMU's ${got% *} placeholder"
