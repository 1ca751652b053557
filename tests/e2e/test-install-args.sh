#!/bin/sh
# oemkvm install (issue 13), everything but the boot, against a real
# libvirtd and virt-install:
#  - every bad argument fails with one line before anything is created:
#    no domain, no disk, no store (the store is missing throughout, and
#    the command runs as root, so a late check would have collected it);
#  - --dry-run and --print-xml create nothing; --print-xml's definition
#    validates against libvirt's schema and boots from the CD, then the
#    disk, and restarts on reboot;
#  - a real install defines virt-install's machine with the virtio tag
#    (VirtIO SCSI, virtio NIC, the drivers CD), starts it paused until the
#    console has connected, and once started boots from the disk only from
#    then on (the running machine keeps the CD);
#  - without --memory and --vcpus it gets 3/4 of the host;
#  - a start that fails after the define leaves the defined, patched
#    domain and its disk, and says so.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTLIB/guest.sh"
. "$TESTLIB/libvirtd-ns"
. "$TESTLIB/e2e.sh"
ns_enter "$@"
make_scratch
require_cmd virt-install virtinst
require_cmd xorriso xorriso
require_cmd swtpm swtpm
require_cmd qemu-img qemu-utils
require_cmd virt-xml-validate libvirt-clients
require_cmd ip iproute2

ns_firmware "$(fixture_root thinkpad-smbios3)"
ns_install_hook
ns_start
OEMKVM=$(oemkvm_bin)
IMAGES=/var/lib/libvirt/images
OUT=$NS_DIR/out
mkdir -p "$IMAGES"     # as libvirt-daemon-system installs it
ERR=$NS_DIR/err

# Inputs, readable by anyone (one case runs as nobody).
chmod 0755 "$SCRATCH"
mkdir "$SCRATCH/medium"
echo "stands in for the Windows medium" >"$SCRATCH/medium/README"
xorriso -as mkisofs -quiet -V WIN11 -o "$SCRATCH/win.iso" "$SCRATCH/medium" 2>/dev/null
xorriso -as mkisofs -quiet -V VIRTIO -o "$SCRATCH/virtio-win.iso" "$SCRATCH/medium" 2>/dev/null
echo "not a disk, not a CD" >"$SCRATCH/notes.txt"
qemu-img create -q -f qcow2 "$SCRATCH/old.qcow2" 1G
chmod 0644 "$SCRATCH"/*
ISO=$SCRATCH/win.iso
# What every install below needs to get past virt-install in this namespace.
BASE="--disk 1 --virt-type qemu --memory 256 --vcpus 1"

# state: what an install could create — domains, disks, the store.
state() {
        virsh list --all --name | sort
        ls -la "$IMAGES" /var/lib/oemkvm
}
state >"$NS_DIR/state.before"

# fails CMD…: non-zero, nothing on stdout, exactly one "oemkvm: " line on
# stderr, nothing created.
fails() {
        if "$@" >"$OUT" 2>"$ERR"; then die "'$*' succeeded but should have failed"; fi
        [ ! -s "$OUT" ] || die "'$*' printed on stdout: $(cat "$OUT")"
        [ "$(wc -l <"$ERR")" -eq 1 ] && grep -q '^oemkvm: ' "$ERR" ||
                die "'$*': not one 'oemkvm: ' line: $(cat "$ERR")"
        state >"$NS_DIR/state.after"
        diff -u "$NS_DIR/state.before" "$NS_DIR/state.after" >&2 || die "'$*' created something"
}
says() { grep -qF -- "$1" "$ERR" || die "the error does not say '$1': $(cat "$ERR")"; }

fails "$OEMKVM" install w
says "usage: oemkvm install NAME --iso WINDOWS.iso"
fails "$OEMKVM" install w --iso "$SCRATCH/missing.iso"
says "--iso '$SCRATCH/missing.iso': No such file or directory"
fails "$OEMKVM" install w --iso "$SCRATCH/notes.txt"
says "--iso '$SCRATCH/notes.txt' is not an ISO 9660 image"
fails "$OEMKVM" install w --iso "$ISO" --virtio-win "$SCRATCH/notes.txt"
says "--virtio-win '$SCRATCH/notes.txt' is not an ISO 9660 image"
fails "$OEMKVM" install w --iso "$ISO" --vcpus 0
says "--vcpus '0': expected a whole number"
fails "$OEMKVM" install w --iso "$ISO" --virt-type xen
says "--virt-type 'xen': it is kvm"
fails "$OEMKVM" install w --iso "$ISO" --disk "$SCRATCH/notes.txt"
says "--disk '$SCRATCH/notes.txt' exists and is not a disk image"
fails "$OEMKVM" install w --iso "$ISO" --disk "$SCRATCH/old.qcow2"
says "--disk '$SCRATCH/old.qcow2' is an existing disk image: add --reuse-disk"
fails "$OEMKVM" install w --iso "$ISO" --reuse-disk
says "--reuse-disk needs --disk PATH"
fails "$OEMKVM" install w --iso "$ISO" -- --vcpus 4
says "'--vcpus' after '--' is oemkvm install's to set — use --vcpus"
fails setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$OEMKVM" install w --iso "$ISO"
says "the license store '$E2E_STORE' is missing: collecting it from the firmware needs root"
fails "$OEMKVM" install w --iso "$ISO" --print-xml $BASE
says "the license store '$E2E_STORE' is missing, and the definition names its files: run 'sudo oemkvm dump' first"
# shellcheck disable=SC2086
fails "$OEMKVM" install w --iso "$ISO" $BASE --edition ultimate
says "--edition: <oemkvm:topology edition='ultimate'>: the edition is one of home, pro"
fails "$OEMKVM" install w --iso "$ISO" --disk 1 --virt-type qemu --memory 256 --vcpus 65 --edition home
says "topology: 65 vCPUs exceed the 64 cores Windows Home allows"
threads=$(getconf _NPROCESSORS_ONLN)
fails "$OEMKVM" install w --iso "$ISO" --disk 1 --virt-type qemu --memory 256 --vcpus $((threads + 1))
says "--vcpus $((threads + 1)): this host has $threads CPU threads"
fails "$OEMKVM" install w --iso "$ISO" --disk 1 --virt-type qemu --memory 16777216 --vcpus 1
says "--memory 16777216: this host has"
# virt-install's own refusal, its advice pointed past "--".
fails "$OEMKVM" install w --iso "$ISO" --disk 65536 --virt-type qemu --memory 256 --vcpus 1
says "virt-install failed: The requested volume capacity will exceed the available pool space"
says "give virt-install's options after '--', e.g. 'oemkvm install w … -- --check disk_size=off'"

# Taken names and disks: the domains they belong to exist before the snapshot.
ns_domain_xml taken bios >"$NS_DIR/taken.xml"
sed "s|<devices>|<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$SCRATCH/old.qcow2'/><target dev='sda' bus='sata'/></disk>|" \
        "$NS_DIR/taken.xml" >"$NS_DIR/taken-disk.xml"
virsh define "$NS_DIR/taken-disk.xml" >/dev/null
state >"$NS_DIR/state.before"
# shellcheck disable=SC2086
fails "$OEMKVM" install taken --iso "$ISO" $BASE
says "a domain named 'taken' exists already"
fails "$OEMKVM" install w --iso "$ISO" --disk "$SCRATCH/old.qcow2" --reuse-disk --virt-type qemu --memory 256 --vcpus 1
says "--disk '$SCRATCH/old.qcow2' is a disk of domain 'taken'"

# No swtpm: virt-install leaves the TPM out without a word; Windows 11 needs it.
swtpm=$(command -v swtpm)
mount --bind /dev/null "$swtpm"
ns_restart_libvirtd
# shellcheck disable=SC2086
fails "$OEMKVM" install w --iso "$ISO" $BASE
says "virt-install added no TPM 2.0, which Windows 11 needs"
says "install swtpm"
umount "$swtpm"
ns_restart_libvirtd
note "each bad argument: one line, nothing created"

# --dry-run: checks everything (the firmware too), creates nothing.
# shellcheck disable=SC2086
"$OEMKVM" install w --iso "$ISO" $BASE --dry-run >"$OUT" 2>"$ERR" || die "--dry-run failed: $(cat "$ERR")"
grep -qx "would collect this laptop's license data into $E2E_STORE" "$OUT" || die "--dry-run: $(cat "$OUT")"
grep -qx "would create disk $IMAGES/w.qcow2 (1 GiB, qcow2)" "$OUT" || die "--dry-run: $(cat "$OUT")"
# Without --memory and --vcpus: three quarters of the host, on 1 socket.
"$OEMKVM" install w --iso "$ISO" --disk 1 --virt-type qemu --dry-run >"$OUT" 2>"$ERR" || die "--dry-run failed: $(cat "$ERR")"
mib=$(( $(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo) / 1024 * 3 / 4 ))
vcpus=$(( threads * 3 / 4 ))
[ "$vcpus" -gt 0 ] || vcpus=1
grep -q "^would define w: .* $vcpus vCPUs\{0,1\} on 1 socket, $mib MiB" "$OUT" ||
        die "the defaults are not 3/4 of the host ($vcpus vCPUs, $mib MiB): $(cat "$OUT")"
state | diff -u "$NS_DIR/state.before" - >&2 || die "--dry-run created something"

# --print-xml: libvirt's schema accepts it; nothing is created.
"$OEMKVM" dump >/dev/null
state >"$NS_DIR/state.before"
# shellcheck disable=SC2086
"$OEMKVM" install w --iso "$ISO" $BASE --edition pro --virtio-win "$SCRATCH/virtio-win.iso" --print-xml \
        >"$NS_DIR/w.xml" 2>"$ERR" || die "--print-xml failed: $(cat "$ERR")"
virt-xml-validate "$NS_DIR/w.xml" domain >&2 || die "--print-xml's definition does not validate"
state | diff -u "$NS_DIR/state.before" - >&2 || die "--print-xml created something"
grep -q "the first start boots from '$ISO', then from the disk" "$NS_DIR/w.xml" || die "--print-xml does not say how the first start boots"
tr -d '\n ' <"$NS_DIR/w.xml" | grep -q '<bootdev="cdrom"/><bootdev="hd"/>' || die "the first start does not boot the CD, then the disk"
grep -q '<on_reboot>restart</on_reboot>' "$NS_DIR/w.xml" || die "the definition does not restart on reboot"
grep -q '<topology sockets="1" dies="1" cores="1" threads="1"/>' "$NS_DIR/w.xml" || die "no 1-socket topology"
grep -q "file=$E2E_STORE/msdm.bin" "$NS_DIR/w.xml" || die "the definition does not pass the MSDM"
note "--dry-run and --print-xml create nothing; the definition validates"

# --gvt TYPE: the parent that offers it goes into the tag, the engine adds
# the vGPU.  The namespace's /sys/class gets a GVT-g parent from the
# fixtures (no kernel here has one); nothing else runs while it is there.
# shellcheck disable=SC2086
fails "$OEMKVM" install w --iso "$ISO" $BASE --gvt i915-GVTg_V5_4
says "--gvt 'i915-GVTg_V5_4': this host offers no vGPU types at all"
mount -t tmpfs oemkvm-mdev /sys/class
cp -rL "$OEMKVM_SRCDIR/tests/fixtures/mdev/gvt-kabylake/sys/class/mdev_bus" /sys/class/
# shellcheck disable=SC2086
fails "$OEMKVM" install w --iso "$ISO" $BASE --gvt i915-GVTg_V5_1
says "--gvt 'i915-GVTg_V5_1': this host offers no such vGPU type — 'oemkvm gvt types' lists the ones it has"
# shellcheck disable=SC2086
"$OEMKVM" install w --iso "$ISO" $BASE --gvt i915-GVTg_V5_4 --print-xml >"$NS_DIR/gvt.xml" 2>"$ERR" ||
        { umount /sys/class; die "--gvt --print-xml failed: $(cat "$ERR")"; }
umount /sys/class
grep -q '<oemkvm:gvt parent="0000:00:02.0" type="i915-GVTg_V5_4"/>' "$NS_DIR/gvt.xml" || die "--gvt: no <oemkvm:gvt> in the tag"
grep -q '<hostdev mode="subsystem" type="mdev" model="vfio-pci" display="on" ramfb="on">' "$NS_DIR/gvt.xml" ||
        die "--gvt: the definition has no vGPU"
virt-xml-validate "$NS_DIR/gvt.xml" domain >&2 || die "the --gvt definition does not validate"
state | diff -u "$NS_DIR/state.before" - >&2 || die "--gvt --print-xml created something"
note "--gvt: the vGPU of the parent that offers the type"

# A real install, virtio, with a display: the domain waits, paused, until
# the console has connected.  The "virt-viewer" here stands in for the real
# one (no display in the namespace): it notes the domain's state and opens
# a VNC connection, which libvirt reports as a graphics event.
mkdir "$SCRATCH/bin"
cat >"$SCRATCH/bin/virt-viewer" <<'VIEWER'
#!/bin/bash
# virt-viewer --connect URI NAME
virsh -c "$2" domstate "$3" >"$VIEWER_LOG"
display=$(virsh -c "$2" domdisplay "$3")
exec 3<>"/dev/tcp/127.0.0.1/$((5900 + ${display##*:}))"
sleep 120
VIEWER
chmod 0755 "$SCRATCH/bin/virt-viewer"
ip link set lo up       # the namespace's own loopback, for the VNC connection
# shellcheck disable=SC2086
env -u SUDO_UID -u SUDO_GID DISPLAY=:0 PATH="$SCRATCH/bin:$PATH" VIEWER_LOG="$NS_DIR/viewer.log" \
        "$OEMKVM" install w --iso "$ISO" $BASE --virtio-win "$SCRATCH/virtio-win.iso" -- --network none --graphics vnc \
        >"$OUT" 2>"$ERR" || { cat "$OUT" "$ERR" >&2; ns_show_logs w; die "oemkvm install w failed"; }
grep -qx 'Opening the console (virt-viewer); w starts when it has connected.' "$OUT" || die "no console was opened: $(cat "$OUT")"
if grep -q 'did not connect' "$OUT"; then die "the console's connection went unnoticed: $(cat "$OUT")"; fi
[ "$(cat "$NS_DIR/viewer.log")" = paused ] || die "the console opened on a domain that was $(cat "$NS_DIR/viewer.log"), not paused"
grep -q 'vioscsi\\w11\\amd64' "$OUT" || die "the output does not say which driver Setup needs: $(cat "$OUT")"
[ "$(virsh domstate w)" = running ] || die "w is not running"
note "the console opened on the paused domain, which ran once it had connected"
defn=$(virsh dumpxml --inactive w)
printf '%s\n' "$defn" | grep -q "<boot dev='cdrom'/>" && die "after its first start, w still boots from the CD"
printf '%s\n' "$defn" | grep -q "<boot dev='hd'/>" || die "w does not boot from its disk"
virsh dumpxml w | grep -q "<boot dev='cdrom'/>" || die "the running machine lost its CD boot (Setup needs it)"
printf '%s\n' "$defn" | grep -q "<target dev='sda' bus='scsi'/>" || die "the disk is not on VirtIO SCSI"
printf '%s\n' "$defn" | grep -q "<source file='$SCRATCH/virtio-win.iso'/>" || die "no drivers CD"
"$OEMKVM" apply w >"$OUT" 2>&1 || die "oemkvm apply w failed: $(cat "$OUT")"
grep -qx 'w: up to date' "$OUT" || die "the installed definition is not patched: $(cat "$OUT")"
virsh destroy w >/dev/null
note "a real install: virtio as tagged, the CD boots the first start only"

# The start fails after the define: the domain and its disk stay, and the message says so.
# shellcheck disable=SC2086
if "$OEMKVM" install late --iso "$ISO" $BASE -- --network network=nosuch >"$OUT" 2>"$ERR"; then
        die "an install whose start must fail succeeded"
fi
grep -q "^oemkvm: domain 'late' is defined and patched (disk '$IMAGES/late.qcow2'), but did not start: .*nosuch" "$ERR" ||
        die "the failed start does not say what is left: $(cat "$ERR")"
virsh dumpxml --inactive late | grep -q "file=$E2E_STORE/msdm.bin" || die "late is not defined and patched"
[ -f "$IMAGES/late.qcow2" ] || die "late's disk was removed"
note "a failed start leaves the defined, patched domain and says so"
