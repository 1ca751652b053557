# shellcheck shell=sh
# Firmware bytes in shell (sourced): hex <-> binary, and a walk over an
# SMBIOS structure table written independently of liboemkvm so the tests
# do not check the library against itself.  POSIX sh + awk (mawk is fine:
# no gawk extensions) + od; nothing here needs python or xxd.

# hex_to_bin < HEX > BIN: hex byte tokens separated by blanks/newlines.
# awk turns each line into \ooo escapes that printf(1) writes as bytes
# (awk itself cannot portably print a NUL byte); the format printf gets
# holds nothing but those escapes.
# shellcheck disable=SC2059
hex_to_bin() {
        awk 'BEGIN { for (i = 0; i < 256; i++) oct[sprintf("%02x", i)] = sprintf("\\%03o", i) }
             { s = ""
               for (i = 1; i <= NF; i++) {
                       t = tolower($i)
                       if (!(t in oct)) { print "bad hex byte: " $i > "/dev/stderr"; exit 1 }
                       s = s oct[t]
               }
               print s }' | while IFS= read -r _line; do printf "$_line"; done
}

# bin_to_hex FILE: one hex byte per token, 16 per line.
bin_to_hex() { od -An -tx1 -v "$1"; }

# smbios_struct TYPE TABLE OUT: writes the first structure of TYPE in the
# SMBIOS structure table TABLE (a DMI file) to OUT: formatted area, string
# set and the set's terminating NUL (two NULs when it has no strings).
# Returns 1 when there is none, 2 when the table is malformed.
smbios_struct() {
        _hex=$(bin_to_hex "$2" | awk -v want="$1" '
                function byte(t) { return index("0123456789abcdef", substr(t, 1, 1)) * 16 - 16 + \
                                          index("0123456789abcdef", substr(t, 2, 1)) - 1 }
                { for (i = 1; i <= NF; i++) b[n++] = $i }
                END {
                        i = 0
                        while (i + 4 <= n) {
                                type = byte(b[i]); len = byte(b[i + 1])
                                if (len < 4 || i + len > n) exit 2
                                # The string set ends at the first double NUL
                                # after the formatted area (strings hold no NUL).
                                j = i + len
                                while (j + 1 < n && !(b[j] == "00" && b[j + 1] == "00")) j++
                                if (j + 1 >= n) exit 2
                                end = j + 2
                                if (type == want) {
                                        for (k = i; k < end; k++) printf "%s ", b[k]
                                        print ""
                                        exit 0
                                }
                                if (type == 127) exit 1
                                i = end
                        }
                        exit 1
                }') || return $?
        printf '%s\n' "$_hex" | hex_to_bin >"$3"
}

# byte_at FILE OFFSET: the unsigned byte at OFFSET, in decimal ("" past the end).
byte_at() { od -An -tu1 -v -j "$2" -N 1 "$1" | tr -d ' \n'; }

# smbios_string STRUCT OFFSET: the string the byte at OFFSET of a single
# structure file points to (1-based into its string set; 0 = none: "").
smbios_string() {
        _idx=$(byte_at "$1" "$2")
        [ -n "$_idx" ] && [ "$_idx" -gt 0 ] || return 0
        _len=$(byte_at "$1" 1)
        # tail -c +N is 1-based; strings are NUL-separated.
        tail -c +"$((_len + 1))" "$1" | tr '\0' '\n' | sed -n "${_idx}p"
}

# smbios_uuid STRUCT: the type 1 UUID (SMBIOS 2.6+ byte order: the first
# three fields little-endian), in lower case as `oemkvm show` prints it.
smbios_uuid() {
        od -An -tx1 -v -j 8 -N 16 "$1" | awk '{ for (i = 1; i <= NF; i++) b[n++] = $i }
                END { if (n < 16) exit
                      printf "%s%s%s%s-%s%s-%s%s-%s%s-%s%s%s%s%s%s\n",
                             b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6],
                             b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15] }'
}

# msdm_key MSDM: the product key (29 characters at offset 56 of the table).
msdm_key() { tail -c +57 "$1" | head -c 29; }

# mask_key KEY: every group but the last masked: the key is a secret.
mask_key() { printf '%s\n' "$1" | sed 's/[^-]*-/*****-/g'; }
