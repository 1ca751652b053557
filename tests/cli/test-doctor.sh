#!/bin/sh
# oemkvm doctor on every fixture host of tests/fixtures/mkhosts.  Its exact
# words — text and JSON, with and without --gvt — are kept in
# tests/cli/golden-doctor/<host>/ and compared whole (paths written as
# @HOSTS@; OEMKVM_REGENERATE=1 rewrites them: read the diff before
# committing).  Besides the goldens: the JSON goes through jq and must say
# what the text says, every WARN and FAIL carries a fix, the exit code is
# 1 exactly when a line FAILs, each host fails for its own reason, and
# none of it loads libvirt.
set -eu
. "$OEMKVM_SRCDIR/tests/lib/cli.sh"
require_root "the fixture hosts carry a real /dev/kvm node and QEMU's group"
require_cmd jq jq
require_cmd apparmor_parser apparmor
GOLDEN=$OEMKVM_SRCDIR/tests/cli/golden-doctor
regen=${OEMKVM_REGENERATE:-0}
# QEMU's user must be able to walk down to the fixture stores, as on a real host.
chmod 0755 "$T"
HOSTS=$T/hosts
"$OEMKVM_SRCDIR/tests/fixtures/mkhosts" "$HOSTS" || die "mkhosts failed"

# golden HOST NAME ARGS…: runs doctor into $T/HOST/NAME.{out,err,exit} and
# compares (or rewrites) them with the golden files.
golden() {
        host=$1 name=$2
        shift 2
        dir=$GOLDEN/$host
        r=$T/$host
        rc=0
        mkdir -p "$r"
        "$OEMKVM" doctor --sysroot "$HOSTS/$host" "$@" >"$T/out" 2>"$T/err" || rc=$?
        for s in out err; do
                sed -e "s|$HOSTS|@HOSTS@|g" "$T/$s" >"$r/$name.$s"
        done
        echo "$rc" >"$r/$name.exit"
        for s in out err exit; do
                if [ "$regen" = 1 ]; then
                        mkdir -p "$dir"
                        cp "$r/$name.$s" "$dir/$name.$s"
                elif ! diff -u "$dir/$name.$s" "$r/$name.$s" >"$T/diff"; then
                        die "$host: 'doctor $*' $s differs from tests/cli/golden-doctor/$host/$name.$s:
$(cat "$T/diff")"
                fi
        done
}

# json_sane HOST NAME: the JSON parses, every check is whole, a fix stands
# under every WARN and FAIL and under nothing else, the summary counts and
# "ready" match the checks and the exit code, and the text says the same.
json_sane() {
        r=$T/$1
        j=$r/$2-json.out
        jq -e '.checks | length > 20' "$j" >/dev/null || die "$1: $2: no checks in the JSON: $(cat "$j")"
        bad=$(jq -r '.checks[] | select((.id | type) != "string" or (.group | type) != "string"
                        or (.check | type) != "string" or (.detail | type) != "string"
                        or (.verdict | IN("PASS", "WARN", "FAIL", "N/A") | not)
                        or ((.verdict | IN("WARN", "FAIL")) != (.fix | type == "string"))) | .id' "$j")
        [ -z "$bad" ] || die "$1: $2: malformed checks in the JSON: $bad"
        jq -e '(.summary.fail == ([.checks[] | select(.verdict == "FAIL")] | length))
               and (.summary.pass == ([.checks[] | select(.verdict == "PASS")] | length))
               and (.summary.warn == ([.checks[] | select(.verdict == "WARN")] | length))
               and (.summary.na == ([.checks[] | select(.verdict == "N/A")] | length))
               and (.ready == (.summary.fail == 0))' "$j" >/dev/null ||
                die "$1: $2: the JSON's summary does not count its checks"
        ready=$(jq -r .ready "$j")
        rc=$(cat "$r/$2-json.exit")
        { [ "$ready" = true ] && [ "$rc" = 0 ]; } || { [ "$ready" = false ] && [ "$rc" = 1 ]; } ||
                die "$1: $2: ready is $ready but doctor exited $rc"
        [ "$(cat "$r/$2.exit")" = "$rc" ] || die "$1: $2: text and JSON exit differently"
        jq -r '.checks[] | .verdict' "$j" >"$T/verdicts.json"
        sed -n 's/^oemkvm: Checking for .*: \(PASS\|WARN\|FAIL\|N\/A\)$/\1/p' "$r/$2.out" >"$T/verdicts.text"
        diff -u "$T/verdicts.text" "$T/verdicts.json" >"$T/diff" ||
                die "$1: $2: the text and the JSON disagree: $(cat "$T/diff")"
        [ ! -s "$r/$2.err" ] && [ ! -s "$r/$2-json.err" ] || die "$1: $2: doctor wrote on stderr: $(cat "$r/$2.err")"
}

# verdict HOST NAME ID: the verdict of check ID in NAME's JSON.
verdict() {
        jq -r --arg id "$3" '[.checks[] | select(.id == $id) | .verdict] | join(",")' "$T/$1/$2-json.out"
}

# expect HOST NAME ID VERDICT [FIX-WORDS]: check ID says VERDICT, its fix names FIX-WORDS.
expect() {
        v=$(verdict "$1" "$2" "$3")
        [ "$v" = "$4" ] || die "$1: $2: $3 is '$v', expected $4: $(jq -c --arg id "$3" '.checks[] | select(.id == $id)' "$T/$1/$2-json.out")"
        if [ $# -ge 5 ]; then
                jq -r --arg id "$3" '.checks[] | select(.id == $id) | .fix' "$T/$1/$2-json.out" | grep -qF -- "$5" ||
                        die "$1: $2: the fix of $3 does not say '$5'"
        fi
}

n=0
for h in "$HOSTS"/*/; do
        host=$(basename "$h")
        golden "$host" doctor
        golden "$host" doctor-json --json
        golden "$host" doctor-gvt --gvt
        golden "$host" doctor-gvt-json --gvt --json
        json_sane "$host" doctor
        json_sane "$host" doctor-gvt
        n=$((n + 1))
done
[ "$n" -eq 6 ] || die "mkhosts made $n hosts, expected 6"
for d in "$GOLDEN"/*/; do
        [ -d "$HOSTS/$(basename "$d")" ] || die "tests/cli/golden-doctor/$(basename "$d") has no fixture host"
done

# Each host for its own reason; what the goldens hold, said again where it matters.
for host in whiskeylake-ready guc-no-gvt tigerlake-no-gvt no-iommu-no-kvm apparmor-no-rules apparmor-broken; do
        r=$T/$host
        case $host in
        whiskeylake-ready)
                # Ready for both: nothing FAILs or WARNs, GVT-g included.
                expect "$host" doctor gvt.igpu N/A
                jq -e '.ready and .summary.warn == 0' "$r/doctor-gvt-json.out" >/dev/null || die "$host is not ready with --gvt"
                expect "$host" doctor-gvt gvt.igpu PASS
                expect "$host" doctor-gvt gvt.enable_gvt PASS
                expect "$host" doctor-gvt gvt.iommu PASS
                jq -r '.checks[] | select(.id == "gvt.mdev") | .detail' "$r/doctor-gvt-json.out" |
                        grep -qx 'i915-GVTg_V5_4: 1 left, i915-GVTg_V5_8: 2 left' || die "$host: the types and their room are not listed" ;;
        guc-no-gvt)
                # The license is fine (exit 0); GVT-g is not.
                [ "$(cat "$r/doctor.exit")" = 0 ] || die "$host: exit $(cat "$r/doctor.exit") without --gvt"
                expect "$host" doctor gvt.enable_gvt N/A
                expect "$host" doctor-gvt gvt.enable_gvt FAIL "i915.enable_gvt=1"
                expect "$host" doctor-gvt gvt.enable_guc FAIL "i915.enable_guc=3 to i915.enable_guc=0"
                expect "$host" doctor-gvt gvt.mdev FAIL "sudo modprobe kvmgt" ;;
        tigerlake-no-gvt)
                [ "$(cat "$r/doctor.exit")" = 0 ] || die "$host: an 11th-gen laptop that wants the license only must exit 0"
                expect "$host" doctor-gvt gvt.igpu FAIL "none on this host"
                jq -r '.checks[] | select(.id == "gvt.igpu") | .detail' "$r/doctor-gvt-json.out" |
                        grep -q 'Tiger Lake (8086:9a49): GVT-g does not exist' || die "$host: the iGPU line does not name Tiger Lake"
                # Nothing after it offers a fix no setting could make work.
                expect "$host" doctor-gvt gvt.enable_gvt N/A
                expect "$host" doctor-gvt gvt.modules N/A ;;
        no-iommu-no-kvm)
                [ "$(cat "$r/doctor.exit")" = 1 ] || die "$host: a host without /dev/kvm must exit 1"
                expect "$host" doctor stack.kvm FAIL "sudo modprobe kvm_intel"
                expect "$host" doctor gvt.iommu N/A
                expect "$host" doctor-gvt gvt.iommu FAIL "VT-d" ;;
        apparmor-no-rules)
                expect "$host" doctor confinement.apparmor PASS
                expect "$host" doctor confinement.apparmor-rules FAIL "/var/lib/oemkvm/host/*.bin r,"
                expect "$host" doctor confinement.apparmor-template PASS ;;
        apparmor-broken)
                expect "$host" doctor confinement.apparmor-rules PASS
                expect "$host" doctor confinement.apparmor-template FAIL "each rule ends with ','"
                jq -r '.checks[] | select(.id == "confinement.apparmor-template") | .detail' "$r/doctor-json.out" |
                        grep -q '^AppArmor parser error' || die "$host: the template line does not quote apparmor_parser" ;;
        esac
done

# README's "Is my machine ready?" shows a real run: this one.
sed -n '/^<!-- doctor-example: oemkvm doctor --sysroot \/tmp\/hosts\/guc-no-gvt --gvt -->$/,/^<!-- end doctor-example -->$/p' \
        "$OEMKVM_SRCDIR/README.md" | sed -e '1,2d' -e '$d' | sed '$d' >"$T/readme.out"
sed "s|@HOSTS@|/tmp/hosts|g" "$T/guc-no-gvt/doctor-gvt.out" >"$T/readme.want"
diff -u "$T/readme.want" "$T/readme.out" >"$T/diff" ||
        die "README's doctor example is not what 'doctor --sysroot …/guc-no-gvt --gvt' prints now (regenerate it from tests/cli/golden-doctor/guc-no-gvt/doctor-gvt.out): $(cat "$T/diff")"

# Offline, the doctor never loads libvirt: the plugin is only for -c, DOMAIN or the live host.
LD_DEBUG=libs "$OEMKVM" doctor --sysroot "$HOSTS/whiskeylake-ready" >/dev/null 2>"$T/ld.log" || true
! grep -q 'libvirt\.so\|oemkvm-virt\.so' "$T/ld.log" || die "doctor --sysroot loaded libvirt: $(grep libvirt "$T/ld.log" | head -3)"
grep -q 'liboemkvm' "$T/ld.log" || die "LD_DEBUG shows no library loads at all: $(head -3 "$T/ld.log")"

# Usage: one line, exit 2, nothing on stdout.
run_fail "$OEMKVM" doctor a b
expect_one_line usage
rc=0; "$OEMKVM" doctor a b >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || die "two DOMAINs exited $rc, expected 2"
run_fail "$OEMKVM" doctor --sysroot relative/dir
expect_one_line 'absolute'
run_ok "$OEMKVM" doctor --help
grep -q -- '--sysroot DIR' "$T/stdout" || die "--help does not describe --sysroot"
note "passed: $n hosts x 4 runs"
