#!/bin/sh
# The store switch against the AppArmor rule oemkvm installs, compiled and
# enforced by a real kernel: the test guest boots Debian's kernel (AppArmor
# on by default) with oemkvm, apparmor_parser and two fixture machines in
# its initramfs.  There apparmor/local-rules' block, included in a profile
# as the libvirt-qemu abstraction includes it, is loaded; a process under
# that profile (as QEMU would be) reads the store's files after a dump, and
# again after a dump that switched the store to another machine's set —
# AppArmor checks the resolved path, so the switch must keep it what the
# rule names — and keeps reading while dumps switch the store back and
# forth under it.  A control read of a file the rule does not name must be
# denied, or the guest was not enforcing anything.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTLIB/guest.sh"
require_cmd apparmor_parser apparmor
require_cmd cpio cpio
require_cmd gzip gzip

STORE=/var/lib/oemkvm/host
make_scratch
guest_build "$SCRATCH/base"
x=$SCRATCH/extra
mkdir -p "$x/opt/oemkvm" "$x/aa/etc" "$x/fx" "$x/etc" "$x/var/lib/oemkvm" "$x/tmp"

# oemkvm, apparmor_parser (Debian 12's needs libc only, later ones
# libapparmor, libzstd and libstdc++) and every library they load, where
# the dynamic loader looks for them.
cp "$(oemkvm_bin)" "$x/opt/oemkvm/oemkvm"
cp "$(command -v apparmor_parser)" "$x/aa/apparmor_parser"
for lib in $(ldd "$(oemkvm_bin)" "$OEMKVM_BUILDDIR/liboemkvm-"*.so "$x/aa/apparmor_parser" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $1 !~ /:$/ { print $1 }' | sort -u); do
        case $lib in
        "$OEMKVM_BUILDDIR"/*) cp "$lib" "$x/opt/oemkvm/" ;;
        *) mkdir -p "$x$(dirname "$lib")" && cp -L "$lib" "$x$lib" ;;
        esac
done
[ -f "$x/lib64/ld-linux-x86-64.so.2" ] || die "the dynamic loader was not found by ldd"

# The rule exactly as `make install` writes it, in a profile as QEMU's
# includes it; plus what busybox's cat needs to run and print.
APPARMORDIR=$x/aa/etc STOREDIR=$STORE "$OEMKVM_SRCDIR/apparmor/local-rules" add
cat >"$x/aa/profile" <<'EOF'
profile oemkvm-qemu-test {
  /bin/busybox mr,
  /dev/console rw,
  /dev/null rw,
  #include <local/abstractions/libvirt-qemu>
}
EOF

# Two machines; QEMU's group is root's in there (no libvirt in the guest).
for case in legacy-smbios2-slic thinkpad-smbios3; do
        mkdir -p "$x/fx/$case/etc/libvirt"
        cp -a "$(fixture_root "$case")/sys" "$(fixture_root "$case")/expected" "$x/fx/$case/"
        echo 'group = "root"' >"$x/fx/$case/etc/libvirt/qemu.conf"
done
echo 'root:x:0:0:root:/:/bin/sh' >"$x/etc/passwd"
echo 'root:x:0:' >"$x/etc/group"

cat >"$x/init" <<'EOF'
#!/bin/busybox sh
# The AppArmor store test's /init (tests/guest/test-apparmor-store.sh).
/bin/busybox --install -s /bin
export PATH=/bin LD_LIBRARY_PATH=/opt/oemkvm
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t securityfs securityfs /sys/kernel/security
STORE=/var/lib/oemkvm/host
say() { echo "OEMKVM aa $*"; }
finish() { dmesg | grep 'apparmor="DENIED"' | sed 's/^/OEMKVM aa dmesg /'; echo "OEMKVM done"; poweroff -f; }
dump() { /opt/oemkvm/oemkvm dump --sysroot "/fx/$1" --output "$STORE" >/tmp/dump.log 2>&1 || { say "dump-failed $1"; cat /tmp/dump.log; finish; }; }
# cat under the profile, as QEMU runs under its own: the profile applies from the exec on.
confined_cat() { sh -c 'echo -n "exec oemkvm-qemu-test" >/proc/self/attr/exec && exec cat "$1"' sh "$1"; }
# read_set CASE: every file of the store, read confined, equals CASE's.
read_set() {
        for f in $(cd "/fx/$1/expected" && ls *.bin | grep -v dmidecode); do
                confined_cat "$STORE/$f" >/tmp/got 2>/tmp/err || { say "denied $f: $(cat /tmp/err)"; return 1; }
                cmp -s /tmp/got "/fx/$1/expected/$f" || { say "differs $f"; return 1; }
        done
}

[ -e /sys/kernel/security/apparmor/profiles ] || { say "no-apparmor"; finish; }
/aa/apparmor_parser -r -K -I /aa/etc /aa/profile >/tmp/aa.log 2>&1 || { say "load-failed $(cat /tmp/aa.log)"; finish; }
grep -q '^oemkvm-qemu-test (enforce)' /sys/kernel/security/apparmor/profiles && say "loaded"

dump legacy-smbios2-slic
read_set legacy-smbios2-slic && say "read-first ok"
confined_cat /fx/legacy-smbios2-slic/expected/msdm.bin >/dev/null 2>&1 || say "control denied"
dump thinkpad-smbios3
read_set thinkpad-smbios3 && say "read-switched ok"

# Dumps switch the store back and forth while the confined reader reads.
( i=0; while [ $i -lt 4 ]; do dump legacy-smbios2-slic; dump thinkpad-smbios3; i=$((i + 1)); done; touch /tmp/writer-done ) &
reads=0 denied=0
while [ ! -e /tmp/writer-done ]; do
        for f in msdm.bin smbios_type_0.bin smbios_type_1.bin; do
                confined_cat "$STORE/$f" >/dev/null 2>/tmp/err || { denied=$((denied + 1)); say "denied-during-switch $f $(cat /tmp/err)"; }
                reads=$((reads + 1))
        done
done
wait
say "switch-reads $reads denied $denied"
say "left-beside $(ls -A /var/lib/oemkvm | tr '\n' ' ')"
finish
EOF
chmod 0755 "$x/init"

# A second archive after the base one: the kernel unpacks both, the later
# /init wins.
(cd "$x" && find . | LC_ALL=C sort | cpio --quiet -o -H newc --owner=0:0) | gzip -1 -n >"$SCRATCH/extra.img"
mkdir -p "$SCRATCH/guest"
cat "$SCRATCH/base/initrd.img" "$SCRATCH/extra.img" >"$SCRATCH/guest/initrd.img"
cp "$SCRATCH/base/vmlinuz" "$SCRATCH/guest/vmlinuz"

# Eleven dumps under TCG, each loading libxml2 and ICU: more than one boot's time.
GUEST_TIMEOUT=$((GUEST_TIMEOUT * 3))
qemu_direct_boot "$SCRATCH/guest" "$SCRATCH/serial.log" -m 768
tr -d '\r' <"$SCRATCH/serial.log" | sed -n 's/.*\(OEMKVM .*\)/\1/p' >"$SCRATCH/lines"
grep -qx 'OEMKVM done' "$SCRATCH/lines" || { show_log "$SCRATCH/serial.log" "guest serial log"; die "the guest did not finish"; }
expect() {
        grep -qx "OEMKVM aa $1" "$SCRATCH/lines" || { show_log "$SCRATCH/lines" "what the guest said"; die "$2"; }
}
expect loaded "the profile with oemkvm's rule did not load (AppArmor in the guest kernel?)"
expect "read-first ok" "a confined read of the store failed"
expect "control denied" "AppArmor let the confined process read a file the rule does not name: nothing was enforced"
expect "read-switched ok" "after a dump switched the store, the rule no longer matches what QEMU opens"
grep -q '^OEMKVM aa switch-reads [1-9][0-9]* denied 0$' "$SCRATCH/lines" ||
        { show_log "$SCRATCH/lines" "what the guest said"; die "confined reads failed while dumps switched the store"; }
expect "left-beside host " "something was left beside the store"
note "AppArmor: oemkvm's rule matches the store before, after and while dumps switch it ($(sed -n 's/^OEMKVM aa switch-reads \([0-9]*\).*/\1/p' "$SCRATCH/lines") reads)"
