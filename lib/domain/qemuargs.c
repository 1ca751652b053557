/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What QEMU makes of the -acpitable and -smbios arguments a user wrote into
 * <qemu:commandline> by hand (the widespread recipe: their own msdm.bin,
 * slic.bin, smbios_type_0.bin, smbios_type_1.bin).  The license feature
 * needs to know which of them QEMU loads as an MSDM, a SLIC or an SMBIOS
 * type 0 or 1 structure — judged as QEMU judges: by sig= or the file's own
 * signature for ACPI tables, by the structure's type byte for SMBIOS —
 * and which set SMBIOS type 0/1 fields, which QEMU refuses next to a
 * structure file of the same type.
 *
 * QEMU's option syntax: comma-separated key=value elements, ",," for a
 * literal comma, the last value of a key wins; -acpitable takes a leading
 * bare element as data=.
 */
#include <stdio.h>
#include <string.h>

#include "domain/domain.h"

/* An SMBIOS structure file: QEMU reads it whole; one structure is small. */
#define SMBIOS_FILE_MAX (64u << 10)

bool qemuarg_option_is(const xmlNode *arg, const char *option)
{
        const char *v = xml_attr(arg, "value");

        /* QEMU takes "-smbios" and "--smbios" alike. */
        if (v && v[0] == '-' && v[1] == '-')
                v++;
        return v && !strcmp(v, option);
}

/* The value of key in a QEMU option string (malloc'd; NULL when absent). */
static int opt_get(const char *s, const char *key, const char *implied, char **ret)
{
        _cleanup_free_ char *found = NULL;

        for (bool first = true; *s; first = false) {
                size_t name_len = strcspn(s, "=,");
                const char *name = s;
                char *val, *o;

                if (s[name_len] == '=')
                        s += name_len + 1;
                else if (first && implied) {
                        name = implied;
                        name_len = strlen(implied);
                } else {
                        /* A bare "flag" is flag=on; no license key is a flag. */
                        s += name_len;
                        if (*s == ',')
                                s++;
                        continue;
                }
                val = o = malloc(strlen(s) + 1);
                if (!val)
                        return -ENOMEM;
                for (; *s; s++) {
                        if (*s == ',' && s[1] == ',')
                                s++;
                        else if (*s == ',')
                                break;
                        *o++ = *s;
                }
                *o = 0;
                if (*s == ',')
                        s++;
                if (strlen(key) == name_len && !strncmp(name, key, name_len)) {
                        free(found);
                        found = val;
                } else
                        free(val);
        }
        *ret = TAKE_PTR(found);
        return 0;
}

int qemuarg_smbios_fields(const char *value)
{
        _cleanup_free_ char *file = NULL, *type = NULL;
        unsigned long t;

        if (opt_get(value, "file", NULL, &file) < 0 || opt_get(value, "type", NULL, &type) < 0)
                return -ENOMEM;
        if (file || !type)
                return -1;
        /* As QEMU reads it: strtoul(val, NULL, 0). */
        t = strtoul(type, NULL, 0);
        return t <= 255 ? (int)t : -1;
}

static int unreadable(struct patch *p, const char *option, const char *value, const char *tables,
                      const struct oemkvm_error *sub, int r)
{
        return oemkvm_error_set(p->err, r,
                                "license: cannot tell whether QEMU loads your %s '%s' as %s: %s — fix or remove that <qemu:arg> pair",
                                option, value, tables, sub->message);
}

static int judge_acpitable(struct patch *p, const char *value, int *ret_kind)
{
        _cleanup_free_ char *sig = NULL, *file = NULL, *first = NULL;
        struct oemkvm_error sub = {};
        char hdr[4];
        int n;

        *ret_kind = LICENSE_NONE;
        if (opt_get(value, "sig", "data", &sig) < 0 || opt_get(value, "file", "data", &file) < 0)
                return -ENOMEM;
        /* sig= overrides the file's own signature. */
        if (sig) {
                *ret_kind = !strcmp(sig, "MSDM") ? LICENSE_MSDM : !strcmp(sig, "SLIC") ? LICENSE_SLIC : LICENSE_NONE;
                return 0;
        }
        /* data= has no header of its own: QEMU makes one, never MSDM or SLIC. */
        if (!file)
                return 0;
        /* file=a:b:… concatenates; the header is the first file's. */
        first = strndup(file, strcspn(file, ":"));
        if (!first)
                return -ENOMEM;
        n = domain_read_file("file", first, 0, hdr, sizeof(hdr), &sub);
        if (n < 0)
                return unreadable(p, "-acpitable", value, "an MSDM or SLIC", &sub, n);
        if (n == sizeof(hdr))
                *ret_kind = !memcmp(hdr, "MSDM", 4) ? LICENSE_MSDM : !memcmp(hdr, "SLIC", 4) ? LICENSE_SLIC : LICENSE_NONE;
        return 0;
}

/*
 * The recipe writes the structure with `dmidecode -t N -u | awk | xxd -r
 * -p`, which drops the string set's final NUL: QEMU then glues the next
 * structure into the string set and the guest loses the type altogether.
 */
static bool lacks_final_nul(const uint8_t *buf, size_t len, uint8_t type)
{
        uint8_t fixed[SMBIOS_FILE_MAX + 2];

        if (len > SMBIOS_FILE_MAX || oemkvm_smbios_struct_check(buf, len, type, "", NULL) == 0)
                return false;
        memcpy(fixed, buf, len);
        fixed[len] = fixed[len + 1] = 0;
        return oemkvm_smbios_struct_check(fixed, len + 1, type, "", NULL) == 0 ||
               oemkvm_smbios_struct_check(fixed, len + 2, type, "", NULL) == 0;
}

static int judge_smbios(struct patch *p, const char *value, int *ret_kind, bool *ret_missing_nul,
                        char **ret_file)
{
        _cleanup_free_ char *file = NULL;
        _cleanup_free_ uint8_t *buf = NULL;
        struct oemkvm_error sub = {};
        int n;

        *ret_kind = LICENSE_NONE;
        *ret_missing_nul = false;
        if (opt_get(value, "file", NULL, &file) < 0)
                return -ENOMEM;
        if (!file)
                return 0;
        buf = malloc(SMBIOS_FILE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        n = domain_read_file("file", file, 0, buf, SMBIOS_FILE_MAX + 1, &sub);
        if (n < 0)
                return unreadable(p, "-smbios", value, "an SMBIOS type 0 or 1 structure", &sub, n);
        /* QEMU registers the first header's type; shorter than a header it
         * refuses the file itself. */
        if (n < 4 || buf[0] > 1)
                return 0;
        *ret_kind = buf[0] == 0 ? LICENSE_SMBIOS0 : LICENSE_SMBIOS1;
        *ret_missing_nul = lacks_final_nul(buf, (size_t)n, buf[0]);
        *ret_file = TAKE_PTR(file);
        return 0;
}

int qemuarg_judge(struct patch *p, const xmlNode *option, const char *value, int *ret_kind,
                  bool *ret_missing_nul, char **ret_file)
{
        *ret_missing_nul = false;
        *ret_file = NULL;
        if (qemuarg_option_is(option, "-acpitable"))
                return judge_acpitable(p, value, ret_kind);
        if (qemuarg_option_is(option, "-smbios"))
                return judge_smbios(p, value, ret_kind, ret_missing_nul, ret_file);
        *ret_kind = LICENSE_NONE;
        return 0;
}
