#!/bin/sh
# The fixture tables are well-formed by the judgement of tools nobody here
# wrote: iasl -d disassembles every good MSDM/SLIC without complaint (the
# vendors' blank placeholders too: they are sound tables), and
# dmidecode --from-dump (the --dump-bin layout in expected/dmidecode.bin)
# decodes the type 0/1 values tests/fixtures/README.md lists.
set -eu
roots=${OEMKVM_SRCDIR:?}/tests/fixtures/roots
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

for case in thinkpad-smbios3 legacy-smbios2-slic type1-nostrings \
            slic-placeholder msdm-placeholder msdm-zero-slic slic-only; do
        for t in MSDM SLIC; do
                f=$roots/$case/sys/firmware/acpi/tables/$t
                [ -f "$f" ] || continue
                cp "$f" "$tmp/$case-$t.dat"
                if ! (cd "$tmp" && iasl -d "$case-$t.dat" >"$case-$t.log" 2>&1) ||
                   grep -qiE 'error|warning|invalid' "$tmp/$case-$t.dsl"; then
                        echo "iasl -d refused $case $t:"; cat "$tmp/$case-$t.log"; fail=1
                fi
                grep -q "Signature : \"$t\"" "$tmp/$case-$t.dsl" || { echo "iasl: $case $t signature"; fail=1; }
        done
done

# expect CASE "Field: value" ...
expect() {
        case=$1; shift
        out=$(dmidecode --from-dump "$roots/$case/expected/dmidecode.bin" -t 0 -t 1 2>&1)
        if printf '%s\n' "$out" | grep -qiE 'wrong|invalid|broken|bad index|truncated'; then
                echo "dmidecode complains about $case:"; printf '%s\n' "$out"; fail=1
        fi
        for line in "$@"; do
                printf '%s\n' "$out" | grep -qxF "	$line" || { echo "dmidecode $case: no '$line'"; fail=1; }
        done
}

expect thinkpad-smbios3 "Vendor: LENOVO" "Version: N22ET80W (1.57 )" "Release Date: 02/27/2024" \
        "Manufacturer: LENOVO" "Product Name: 20L8S2N800" "Version: ThinkPad T480s" \
        "Serial Number: PF1TEST0" "UUID: 4c3b2a19-6e5d-807f-91a2-b3c4d5e6f708" \
        "SKU Number: LENOVO_MT_20L8_BU_Think_FM_ThinkPad T480s" "Family: ThinkPad T480s"
expect legacy-smbios2-slic "Vendor: Dell Inc." "Version: A28" "Release Date: 10/28/2019" \
        "Manufacturer: Dell Inc." "Product Name: Latitude E7440" "Version: 01" \
        "Serial Number: 4TSTJ12" "UUID: 4c4c4544-0054-5310-8054-b4c04f4a3132" \
        "SKU Number: 05CA" "Family: Not Specified"
expect type1-nostrings "Vendor: American Megatrends Inc." "Version: P1.40" "Release Date: 05/19/2011" \
        "Manufacturer: Not Specified" "Product Name: Not Specified" "Serial Number: Not Specified" \
        "UUID: 03000200-0400-0500-0006-000700080009"
expect slic-placeholder "Vendor: LENOVO" "Version: 4WCN41WW" "Manufacturer: LENOVO" "Product Name: 80SM" \
        "Version: Lenovo ideapad 310-15ISK" "UUID: 87654321-cba9-0fed-1032-547698badcfe" "Family: IDEAPAD"
expect msdm-placeholder "Vendor: American Megatrends Inc." "Version: F5" \
        "Manufacturer: Gigabyte Technology Co., Ltd." "Product Name: B450 AORUS ELITE"
expect msdm-zero-slic "Vendor: INSYDE Corp." "Version: 1.60" "Manufacturer: TOSHIBA" \
        "Product Name: Satellite L755" "UUID: 9a308c11-5e7f-e011-9f3e-00266c10b07a"
expect slic-only "Vendor: Hewlett-Packard" "Version: 68CCU Ver. F.60" "Manufacturer: Hewlett-Packard" \
        "Product Name: HP EliteBook 8440p" "UUID: 3b8c3a60-3e51-11df-a92b-101f746cf23c"

exit $fail
