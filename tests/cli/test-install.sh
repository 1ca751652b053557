#!/bin/sh
# make install / uninstall as a packaging step: run as an unprivileged user
# into a DESTDIR, every file lands where the variables say, nothing public
# (no header, no .pc, no soname link) is installed, the installed binaries
# find their private library through RUNPATH, nothing needs chown, and
# uninstall removes exactly what install added — the user's own AppArmor
# local rules survive both, and so does nothing of an earlier public install.
set -eu
. "$OEMKVM_SRCDIR/tests/lib/cli.sh"
require_root "it runs make install as the unprivileged user 'nobody'"
require_cmd apparmor_parser apparmor

pkg=$T/pkg
mkdir -p "$pkg/etc/apparmor.d/local/abstractions"
printf '# my own rule\n  /srv/mine/** r,\n' >"$pkg/etc/apparmor.d/local/abstractions/libvirt-qemu"
chown -R nobody "$pkg"
chmod 0755 "$T"

as_nobody() {
        setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}
# A build of its own, as a packager's: first a plain `make` (prefix
# /usr/local), then install with PREFIX=/usr must rebuild what embeds a
# directory (RUNPATH) rather than install the /usr/local build.
mkdir "$T/build"
chown nobody "$T/build"
make_pkg() {
        as_nobody make -s -C "$OEMKVM_SRCDIR" BUILDDIR="$T/build" DESTDIR="$pkg" \
                PREFIX=/usr SYSCONFDIR=/etc LOCALSTATEDIR=/var SYSTEMDUNITDIR=/lib/systemd/system "$@"
}
as_nobody make -s -C "$OEMKVM_SRCDIR" BUILDDIR="$T/build" >"$T/build.log" 2>&1 ||
        die "make as nobody failed: $(cat "$T/build.log")"
readelf -d "$T/build/oemkvm" | grep -q 'RUNPATH.*\[/usr/local/lib/oemkvm\]' || die "a plain make does not use PREFIX=/usr/local"

make_pkg install >"$T/install.log" 2>&1 || die "make install failed: $(cat "$T/install.log")"
for f in usr/bin/oemkvm "usr/lib/oemkvm/liboemkvm-$OEMKVM_VERSION.so" usr/lib/oemkvm/oemkvm-virt.so \
         etc/libvirt/hooks/qemu.d/oemkvm \
         usr/share/man/man1/oemkvm.1 usr/share/man/man7/oemkvm.7 \
         lib/systemd/system/oemkvm-watch.service; do
        [ -e "$pkg/$f" ] || die "make install did not install /$f"
done
[ -x "$pkg/etc/libvirt/hooks/qemu.d/oemkvm" ] || die "the hook is not executable"
grep -q 'ExecStart=/usr/bin/oemkvm watch' "$pkg/lib/systemd/system/oemkvm-watch.service" ||
        die "the unit does not run /usr/bin/oemkvm watch"
for f in usr/include/oemkvm.h usr/lib/pkgconfig/liboemkvm.pc usr/lib/liboemkvm.so.0 usr/lib/liboemkvm.so; do
        [ ! -e "$pkg/$f" ] || die "make install installed the public /$f"
done
for f in usr/bin/oemkvm etc/libvirt/hooks/qemu.d/oemkvm usr/lib/oemkvm/oemkvm-virt.so; do
        readelf -d "$pkg/$f" | grep -q 'RUNPATH.*\[/usr/lib/oemkvm\]' ||
                die "/$f does not look for its library in /usr/lib/oemkvm: $(readelf -d "$pkg/$f" | grep -i path)"
done
grep -q 'Three things are left' "$T/install.log" && grep -q 'restart libvirtd' "$T/install.log" ||
        die "make install did not say what is left to do: $(cat "$T/install.log")"

local_rules=$pkg/etc/apparmor.d/local/abstractions/libvirt-qemu
grep -q '/srv/mine/\*\* r,' "$local_rules" || die "install lost the user's own AppArmor rule"
grep -q '/var/lib/oemkvm/host/\*.bin r,' "$local_rules" || die "no store rule in $local_rules"
grep -q '/var/lib/oemkvm/host/vbios_gvt_uefi.rom r,' "$local_rules" || die "no GVT-g ROM rule in $local_rules"
# Installing twice keeps one block.
make_pkg install >/dev/null 2>&1 || die "second make install failed"
[ "$(grep -c '^# BEGIN oemkvm' "$local_rules")" -eq 1 ] || die "the AppArmor block is duplicated"

# The rules compile inside a profile, as the abstraction includes them.
printf 'profile oemkvm-test {\n  #include <local/abstractions/libvirt-qemu>\n}\n' >"$T/profile"
apparmor_parser -Q -K -I "$pkg/etc/apparmor.d" "$T/profile" 2>"$T/aa.log" ||
        die "apparmor_parser rejects the rules: $(cat "$T/aa.log")"

# An earlier version's public files go with the next install or uninstall.
mkdir -p "$pkg/usr/include" "$pkg/usr/lib/pkgconfig"
for f in usr/include/oemkvm.h usr/lib/pkgconfig/liboemkvm.pc usr/lib/liboemkvm.so.0.1.0; do
        : >"$pkg/$f"
done
ln -s liboemkvm.so.0.1.0 "$pkg/usr/lib/liboemkvm.so.0"
ln -s liboemkvm.so.0 "$pkg/usr/lib/liboemkvm.so"
chown -R nobody "$pkg"
make_pkg uninstall >"$T/uninstall.log" 2>&1 || die "make uninstall failed: $(cat "$T/uninstall.log")"
left=$(cd "$pkg" && find . -type f -o -type l | sort)
[ "$left" = "./etc/apparmor.d/local/abstractions/libvirt-qemu" ] || die "uninstall left: $left"
[ "$(cat "$local_rules")" = "$(printf '# my own rule\n  /srv/mine/** r,')" ] ||
        die "uninstall changed the user's rules: $(cat "$local_rules")"

note passed
