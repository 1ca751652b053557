# shellcheck shell=sh
# The end-to-end flow of issue 4, shared by tests/e2e and the demo
# (sourced after common.sh, guest.sh and libvirtd-ns, inside ns_enter):
# firmware → `oemkvm dump` → tag → the watcher's patch → the hook → QEMU
# → guest.

E2E_STORE=/var/lib/oemkvm/host
E2E_NS=urn:oemkvm:domain:1
# What a user opts into: the license data and a Windows-friendly topology.
E2E_TAG='<config><license/><topology edition="pro"/></config>'
E2E_PATCH_TIMEOUT=${OEMKVM_PATCH_TIMEOUT:-20}

# e2e_setup ROOT [--record]: the "host" firmware from fixture sysroot ROOT
# ("/" = the machine's own), the store dumped from it as `sudo oemkvm dump`
# does, the hook installed (--record: see ns_install_hook) and the daemons up.
e2e_setup() {
        ns_firmware "$1"
        "$(oemkvm_bin)" dump --sysroot / --output "$E2E_STORE" ||
                die "'oemkvm dump --sysroot / --output $E2E_STORE' failed"
        ns_install_hook ${2:+"$2"}
        ns_start
}

# e2e_tag NAME: opts a defined domain in the way the docs show
# (virDomainSetMetadata with AFFECT_CONFIG: lifecycle METADATA_CHANGE).
e2e_tag() {
        virsh metadata --config "$1" --uri "$E2E_NS" --key oemkvm --set "$E2E_TAG" >/dev/null ||
                die "virsh metadata --config $1 failed"
}

# e2e_tag_by_define NAME: opts in through a whole-domain define of edited
# XML, as virt-manager's XML editor does (lifecycle DEFINED).
e2e_tag_by_define() {
        virsh dumpxml --inactive "$1" >"$NS_DIR/$1.edit.xml"
        grep -q '<metadata' "$NS_DIR/$1.edit.xml" && die "$1 already has <metadata>; the test expects none"
        sed -i "s|</uuid>|</uuid>\\
  <metadata><oemkvm:config xmlns:oemkvm=\"$E2E_NS\"><oemkvm:license/><oemkvm:topology edition=\"pro\"/></oemkvm:config></metadata>|" \
                "$NS_DIR/$1.edit.xml"
        virsh define "$NS_DIR/$1.edit.xml" >/dev/null || die "virsh define of the edited $1 failed"
}

# e2e_untag_restores NAME ORIG DIR: removes NAME's tag, patches its
# definition as the watcher would and defines the result; what libvirt
# then gives back is ORIG, its own definition from before the tag, but for
# device addresses and aliases (libvirt's to assign).  Files go in DIR.
e2e_untag_restores() {
        virsh metadata "$1" "$E2E_NS" --config --remove >/dev/null || die "virsh metadata --remove failed"
        virsh dumpxml --inactive "$1" >"$3/untagged.xml"
        "$(oemkvm_bin)" patch --store "$E2E_STORE" "$3/untagged.xml" >"$3/reverted.xml" 2>"$3/err" ||
                die "patch $3/untagged.xml: $(cat "$3/err")"
        virsh define "$3/reverted.xml" >/dev/null || die "libvirt refused the reverted domain $1"
        virsh dumpxml --inactive "$1" | grep -v -e '<address ' -e '<alias ' >"$3/reverted.rt.xml"
        grep -v -e '<address ' -e '<alias ' "$2" | diff - "$3/reverted.rt.xml" >"$3/diff" ||
                die "untagging $1 did not restore libvirt's definition: $(cat "$3/diff")"
}

# e2e_patched NAME [VCPUS]: the inactive definition passes the store's
# MSDM to QEMU and has one socket of VCPUS cores.  libvirt writes the
# levels it knows at their neutral value 1 (dies since 6.x, clusters in
# 11.x): those are dropped before the exact comparison.
e2e_patched() {
        _xml=$(virsh dumpxml --inactive "$1") || return 1
        printf '%s\n' "$_xml" | grep -q "file=$E2E_STORE/msdm.bin" || return 1
        _topo=$(printf '%s\n' "$_xml" | grep -o '<topology [^>]*/>' | sed -e "s/ dies='1'//" -e "s/ clusters='1'//")
        [ "$_topo" = "<topology sockets='1' cores='${2:-$GUEST_VCPUS}' threads='1'/>" ]
}

# e2e_wait_patched NAME: until the watcher has patched NAME.
e2e_wait_patched() {
        wait_until "$E2E_PATCH_TIMEOUT" "the watcher to patch $1" e2e_patched "$1" || {
                virsh dumpxml --inactive "$1" >&2
                show_log "$NS_WATCH_LOG" "oemkvm watch"
                die "$1 was not patched within ${E2E_PATCH_TIMEOUT}s of being tagged"
        }
}

# e2e_check OUT EXPECTED: the guest (parsed into OUT) got EXPECTED's
# license bytes and saw 1 package × GUEST_VCPUS cores.
e2e_check() {
        guest_check "$1" "$2" || return 1
        guest_check_topology "$1" 1 "$GUEST_VCPUS" 1
}
