#!/bin/sh
# make install registers the store's SELinux file context (virt_content_t,
# which svirt lets QEMU read) where semanage exists, a second install keeps
# one registration, and make uninstall removes it — with the real semanage
# and Debian's reference policy, on a copy of the policy store in a private
# mount namespace (the host's policy is never touched).  Every directory of
# the install points into the test's own tree, so the real Makefile runs
# without DESTDIR, as a user's `sudo make install` does.
set -eu
. "$(dirname "$0")/../lib/common.sh"
require_root "it bind-mounts a copy of the SELinux policy store"
require_cmd semanage policycoreutils-python-utils
require_cmd matchpathcon selinux-utils
[ -d /var/lib/selinux/default ] && [ -d /etc/selinux/default ] ||
        die "no SELinux reference policy store; install the Debian package selinux-policy-default"

if [ -z "${OEMKVM_SELINUX_NS:-}" ]; then
        before=$(cat /etc/selinux/default/contexts/files/file_contexts.local 2>/dev/null || true)
        OEMKVM_SELINUX_NS=1 unshare -m "$0" || exit 1
        [ "$before" = "$(cat /etc/selinux/default/contexts/files/file_contexts.local 2>/dev/null || true)" ] ||
                die "the host's SELinux file contexts changed"
        exit 0
fi

make_scratch
T=$SCRATCH
mount --make-rprivate /
cp -a /etc/selinux "$T/etc-selinux"
cp -a /var/lib/selinux "$T/var-lib-selinux"
mount --bind "$T/etc-selinux" /etc/selinux
mount --bind "$T/var-lib-selinux" /var/lib/selinux

store=$T/var/lib/oemkvm/host
spec="$store(/.*)?"
mk() {
        make -s -C "$OEMKVM_SRCDIR" BUILDDIR="$T/build" PREFIX="$T/usr" HOOKDIR="$T/hooks" \
                APPARMORDIR="$T/apparmor.d" SYSTEMDUNITDIR="$T/units" LOCALSTATEDIR="$T/var" "$@" \
                >"$T/make.log" 2>&1 || die "make $*: $(cat "$T/make.log")"
}
registered() {
        semanage fcontext -l -C 2>/dev/null | awk -v s="$spec" '$1 == s { print $NF }'
}

mk install
[ "$(registered)" = "system_u:object_r:virt_content_t:s0" ] ||
        die "make install did not register '$spec' as virt_content_t: $(semanage fcontext -l -C 2>&1)"
matchpathcon "$store/msdm.bin" | grep -q ':virt_content_t:' ||
        die "a store file would not be labelled virt_content_t: $(matchpathcon "$store/msdm.bin")"
grep -q "selinux: $spec is virt_content_t" "$T/make.log" || die "make install did not say so: $(cat "$T/make.log")"

mk install
[ "$(registered | wc -l)" -eq 1 ] || die "a second install registered the store twice: $(registered)"

mk uninstall
[ -z "$(registered)" ] || die "make uninstall left the registration: $(registered)"
matchpathcon "$store/msdm.bin" | grep -q ':virt_content_t:' &&
        die "after uninstall a store file would still be labelled virt_content_t"
note "make install registered $spec as virt_content_t; uninstall removed it"
