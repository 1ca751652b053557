#!/bin/sh
# oemkvm show: the key masked unless --reveal, the same values from firmware
# and from a dump, JSON that jq accepts for every fixture (firmware strings
# with escape sequences, control characters and bytes that are not UTF-8
# included), plain output that cannot drive a terminal — and every SMBIOS
# value equal to what dmidecode, a decoder nobody here wrote, reads from the
# same tables.
set -eu
. "$OEMKVM_SRCDIR/tests/lib/cli.sh"
require_cmd dmidecode dmidecode
require_cmd jq jq
require_root "dmidecode reads the fixture through a private /sys/firmware mount"

# "  label   value" → value, from show's text output.
field() { sed -n "s/^  $1  *//p" "$T/show.txt"; }

# dmidecode decodes the fixture's tables where it reads real ones:
# /sys/firmware/dmi/tables, over-mounted in a private mount namespace.  A
# namespace that cannot be set up (in a chroot whose root is no mount point,
# `mount --make-rprivate /` fails) fails the test as such, not as a value
# dmidecode did not print.
dmidecode_fixture() {
        unshare -m sh -c '
                mount --make-rprivate / && mount -t tmpfs oemkvm-test /sys/firmware &&
                mkdir -p /sys/firmware/dmi/tables &&
                cp "$1"/sys/firmware/dmi/tables/* /sys/firmware/dmi/tables/ &&
                shift && dmidecode "$@"' sh "$@" >"$T/dmidecode" 2>"$T/dmidecode.err" ||
                die "dmidecode on the fixture in a private mount namespace failed: $(cat "$T/dmidecode.err")"
        cat "$T/dmidecode"
}

for case in thinkpad-smbios3 legacy-smbios2-slic type1-nostrings; do
        root=$ROOTS/$case
        run_ok "$OEMKVM" show --sysroot "$root"
        cp "$T/stdout" "$T/show.txt"

        key=$("$OEMKVM" show --sysroot "$root" --reveal --json | jq -r .msdm.product_key)
        [ ${#key} -eq 29 ] || die "$case: product key '$key' is not 29 characters"
        last=${key##*-}
        grep -q "product key  \*\*\*\*\*-\*\*\*\*\*-\*\*\*\*\*-\*\*\*\*\*-$last\$" "$T/show.txt" ||
                die "$case: key not masked as expected: $(grep 'product key' "$T/show.txt")"
        if grep -q -- "${key%-*}" "$T/show.txt"; then die "$case: the key leaked without --reveal"; fi
        run_ok "$OEMKVM" show --sysroot "$root" --json
        [ "$(jq -r .msdm.product_key "$T/stdout")" != "$key" ] || die "$case: --json revealed the key"

        # The same through a dump directory (what --input reads).
        run_ok "$OEMKVM" dump --sysroot "$root" --output "$T/dump-$case"
        run_ok "$OEMKVM" show --input "$T/dump-$case"
        [ "$(sed 1d "$T/show.txt")" = "$(sed 1d "$T/stdout")" ] ||
                die "$case: show --input differs from show --sysroot"

        while read -r label keyword; do
                dmidecode_fixture "$root" -s "$keyword" >"$T/want"
                want=$(sed 's/ *$//' "$T/want")
                got=$(field "$label" | sed 's/ *$//')
                # dmidecode says "Not Specified" for an absent string.
                [ "$want" = "Not Specified" ] && want=
                [ "$got" = "(not set)" ] && got=
                # dmidecode prints the UUID in upper case, "Not Settable"/"Not Present" for none.
                case "$keyword" in
                system-uuid) want=$(echo "$want" | tr 'A-F' 'a-f'); got=$(echo "$got" | tr 'A-F' 'a-f')
                             case "$want" in not*) want= ;; esac
                             # Before SMBIOS 2.6 the host reads the first three fields
                             # big-endian; QEMU's guest (SMBIOS 2.8/3.0) little-endian,
                             # and show prints the guest's reading.
                             [ "$case" = type1-nostrings ] && want=$(echo "$want" |
                                     sed -E 's/^(..)(..)(..)(..)-(..)(..)-(..)(..)/\4\3\2\1-\6\5-\8\7/') ;;
                esac
                [ "$want" = "$got" ] || die "$case: $label: show says '$got', dmidecode says '$want'"
        done <<'FIELDS'
vendor bios-vendor
date bios-release-date
manufacturer system-manufacturer
product system-product-name
serial system-serial-number
UUID system-uuid
SKU system-sku-number
family system-family
FIELDS
        # "version" appears twice (BIOS and system): compare them by position.
        for n in 1 2; do
                [ $n = 1 ] && keyword=bios-version || keyword=system-version
                dmidecode_fixture "$root" -s $keyword >"$T/want"
                want=$(cat "$T/want")
                got=$(field version | sed -n ${n}p)
                [ "$want" = "Not Specified" ] && want=
                [ "$got" = "(not set)" ] && got=
                [ "$got" = "$want" ] || die "$case: $keyword: show says '$got', dmidecode says '$want'"
        done
done

# Every fixture's --json is UTF-8 (JSON's encoding; jq would quietly mend
# what is not) that jq parses.
for root in "$ROOTS"/*/; do
        case=$(basename "$root")
        "$OEMKVM" show --json --sysroot "$root" >"$T/show.json" 2>/dev/null || continue
        iconv -f UTF-8 -t UTF-8 "$T/show.json" >/dev/null 2>&1 || die "$case: show --json is not UTF-8: $(cat -v "$T/show.json")"
        jq -e . "$T/show.json" >/dev/null || die "$case: jq rejects show --json: $(cat -v "$T/show.json")"
done

# Hostile strings: escaped in JSON so the parser gets the firmware's text
# back (what is not UTF-8 as U+FFFD), replaced in plain output.
root=$ROOTS/smbios-hostile-strings
run_ok "$OEMKVM" show --json --sysroot "$root"
esc=$(printf '\033')
[ "$(jq -r .system.product "$T/stdout")" = "$(printf '20L8\033]0;pwned\007\033[31mRED\033[0m')" ] ||
        die "the escape sequence did not survive JSON: $(jq .system.product "$T/stdout")"
[ "$(jq -r .system.sku "$T/stdout")" = "Grüße €" ] || die "UTF-8 did not survive JSON: $(jq .system.sku "$T/stdout")"
[ "$(jq -r .system.version "$T/stdout")" = "ThinkPad ��� T480s" ] ||
        die "bytes that are not UTF-8 are not U+FFFD: $(jq .system.version "$T/stdout")"
[ "$(jq -r .bios.vendor "$T/stdout")" = 'LENOVO "quoted" back\slash' ] || die "quotes or backslash: $(jq .bios.vendor "$T/stdout")"
if LC_ALL=C grep -q "$esc" "$T/stdout"; then die "show --json wrote a raw ESC"; fi
run_ok "$OEMKVM" show --sysroot "$root"
if LC_ALL=C tr -d '\n' <"$T/stdout" | LC_ALL=C grep -q '[[:cntrl:]]'; then
        die "plain show wrote control characters: $(cat -v "$T/stdout")"
fi
iconv -f UTF-8 -t UTF-8 "$T/stdout" >/dev/null 2>&1 || die "plain show wrote bytes that are not UTF-8"
grep -q "^  product       20L8?]0;pwned??\[31mRED?\[0m\$" "$T/stdout" || die "the product line: $(grep product "$T/stdout" | cat -v)"
grep -q "^  SKU           Grüße €\$" "$T/stdout" || die "UTF-8 was not kept: $(grep SKU "$T/stdout")"
# A C1 control (CSI, U+009B) is UTF-8 but drives terminals too.
grep -q "^  family        ?2J?????\$" "$T/stdout" || die "the family line: $(grep family "$T/stdout" | cat -v)"

run_fail "$OEMKVM" show --sysroot "$ROOTS/no-msdm"
expect_one_line "MSDM"
run_fail "$OEMKVM" show --sysroot / --input /tmp
expect_one_line "usage"
run_fail "$OEMKVM" show --input "$T/nonexistent"
expect_one_line "missing"

note passed
