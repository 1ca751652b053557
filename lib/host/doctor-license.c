/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The doctor's license checks: the firmware holds what Windows activates
 * from (MSDM, SLIC, SMBIOS types 0 and 1), the store holds the same bytes,
 * and QEMU — as qemu.conf's user and group — can read them.  The license
 * is always wanted: these checks can FAIL on any host.
 */
#include <stdio.h>
#include <string.h>

#include "host/doctor.h"
#include "host/host.h"
#include "util/util.h"

#define GROUP "license"
#define SUDO_FIX "run it as root: 'sudo oemkvm doctor'"

static void check_msdm(struct doctor *d)
{
        struct oemkvm_check *c = check_new(d, "license.msdm", GROUP, NULL,
                                           "the Windows product key (ACPI MSDM)");
        struct oemkvm_error err = {};
        _cleanup_free_ uint8_t *buf = NULL;
        struct oemkvm_msdm msdm;
        char masked[30];
        size_t len;
        int r;

        r = oemkvm_acpi_read(d->ctx, "MSDM", &buf, &len, &err);
        if (r == -ENOENT) {
                check_set(d, c, OEMKVM_FAIL, "the firmware has no MSDM table: this machine carries no Windows 8+ product key");
                check_fix(d, c, "none on this host: only a laptop sold with Windows 8 or later has one; keep <oemkvm:license/> off its domains");
        } else if (r == -EACCES || r == -EPERM) {
                check_set(d, c, OEMKVM_WARN, "cannot read the firmware's tables: they are readable by root only");
                check_fix(d, c, SUDO_FIX);
        } else if (r < 0)
                check_set_message(d, c, OEMKVM_FAIL, err.message,
                                  "update the firmware (BIOS/UEFI) from the vendor: oemkvm passes no damaged table on");
        else if (oemkvm_msdm_decode(buf, len, &msdm, &err) < 0)
                check_set_message(d, c, OEMKVM_FAIL, err.message, NULL);
        else if (msdm.payload != OEMKVM_PAYLOAD_VALID) {
                /* A sound table with a blank payload: passed on as it is. */
                check_set(d, c, OEMKVM_WARN, "MSDM: %s", msdm.note);
                check_fix(d, c, "none on this host: the vendor put no key in the firmware; activate Windows with a key of your own");
        } else {
                oemkvm_product_key_mask(msdm.product_key, masked, sizeof(masked));
                check_set(d, c, OEMKVM_PASS, "product key %s (MSDM version %u, data type %u)",
                          masked, msdm.version, msdm.data_type);
        }
}

static void check_slic(struct doctor *d)
{
        struct oemkvm_check *c = check_new(d, "license.slic", GROUP, NULL,
                                           "the Windows Vista/7 activation marker (ACPI SLIC)");
        struct oemkvm_error err = {};
        _cleanup_free_ uint8_t *buf = NULL;
        struct oemkvm_slic slic;
        size_t len;
        int r;

        r = oemkvm_acpi_read(d->ctx, "SLIC", &buf, &len, &err);
        if (r == -ENOENT)
                check_set(d, c, OEMKVM_NA, "not present: only Windows Vista/7 OEM activation uses it");
        else if (r == -EACCES || r == -EPERM) {
                check_set(d, c, OEMKVM_WARN, "cannot read the firmware's tables: they are readable by root only");
                check_fix(d, c, SUDO_FIX);
        } else if (r < 0)
                check_set_message(d, c, OEMKVM_FAIL, err.message,
                                  "update the firmware (BIOS/UEFI) from the vendor: 'oemkvm dump' refuses a damaged SLIC");
        else if (oemkvm_slic_decode(buf, len, &slic, &err) < 0)
                check_set_message(d, c, OEMKVM_FAIL, err.message, NULL);
        else if (slic.payload != OEMKVM_PAYLOAD_VALID)
                check_set(d, c, OEMKVM_NA, "SLIC: %s (passed on as it is)", slic.note);
        else
                check_set(d, c, OEMKVM_PASS, "OEM ID '%s', table ID '%s', marker version %u.%u",
                          slic.oem_id, slic.oem_table_id, slic.marker_version >> 16,
                          slic.marker_version & 0xffff);
}

static const char *or_unset(const char *s)
{
        return s && *s ? s : "(not set)";
}

static void check_smbios(struct doctor *d)
{
        struct oemkvm_check *c = check_new(d, "license.smbios", GROUP, NULL,
                                           "the BIOS and system identity (SMBIOS types 0 and 1)");
        struct oemkvm_error err = {};
        struct oemkvm_smbios *smbios = NULL;
        struct oemkvm_smbios_bios bios;
        struct oemkvm_smbios_system sys;
        const uint8_t *t0, *t1;
        size_t l0, l1;
        int r;

        r = oemkvm_smbios_read(d->ctx, &smbios, &err);
        if (r == -EACCES || r == -EPERM) {
                check_set(d, c, OEMKVM_WARN, "cannot read the SMBIOS table: it is readable by root only");
                check_fix(d, c, SUDO_FIX);
                return;
        }
        if (r < 0) {
                check_set_message(d, c, OEMKVM_FAIL, err.message, NULL);
                return;
        }
        if (oemkvm_smbios_find(smbios, 0, &t0, &l0) < 0 || oemkvm_smbios_find(smbios, 1, &t1, &l1) < 0 ||
            oemkvm_smbios_bios_decode(t0, l0, &bios) < 0 ||
            oemkvm_smbios_system_decode(t1, l1, oemkvm_smbios_version(smbios), &sys) < 0) {
                check_set(d, c, OEMKVM_FAIL, "the SMBIOS table has no type 0 or no type 1 structure: the guest cannot get this machine's identity");
                check_fix(d, c, "update the firmware (BIOS/UEFI) from the vendor");
        } else
                check_set(d, c, OEMKVM_PASS, "%s %s%s%s%s, serial %s, UUID %s; BIOS %s %s of %s",
                          or_unset(sys.manufacturer), or_unset(sys.product),
                          sys.family ? " (" : "", sys.family ? sys.family : "", sys.family ? ")" : "",
                          or_unset(sys.serial), or_unset(sys.uuid), or_unset(bios.vendor),
                          or_unset(bios.version), or_unset(bios.date));
        oemkvm_smbios_free(smbios);
}

static bool blob_eq(const struct oemkvm_blob *a, const struct oemkvm_blob *b)
{
        return a->len == b->len && (!a->len || memcmp(a->data, b->data, a->len) == 0);
}

/* The store's files that differ from the firmware, as "a, b". */
static void stale_files(const struct oemkvm_dump *fw, const struct oemkvm_dump *st, char *out, size_t size)
{
        const struct {
                const char *name;
                const struct oemkvm_blob *a, *b;
        } files[] = {
                { OEMKVM_STORE_MSDM, &fw->msdm, &st->msdm },
                { OEMKVM_STORE_SLIC, &fw->slic, &st->slic },
                { OEMKVM_STORE_SMBIOS0, &fw->smbios0, &st->smbios0 },
                { OEMKVM_STORE_SMBIOS1, &fw->smbios1, &st->smbios1 },
        };

        out[0] = '\0';
        for (size_t i = 0; i < ARRAY_SIZE(files); i++)
                if (!blob_eq(files[i].a, files[i].b))
                        list_add(out, size, "%s", files[i].name);
}

/* Returns whether the store holds a dump, for the readability check. */
static bool check_store(struct doctor *d)
{
        struct oemkvm_check *c = check_new(d, "license.store", GROUP, NULL,
                                           "the license store, current with the firmware");
        struct oemkvm_dump fw = {}, st = {};
        struct oemkvm_error err = {};
        bool have = false;
        char stale[128];
        int r;

        r = oemkvm_dump_load(d->store, &st, &err);
        if (r == -ENOENT) {
                check_set(d, c, OEMKVM_FAIL, "'%s' holds no dump: tagged domains cannot be patched for the license", d->store);
                check_fix(d, c, "sudo oemkvm dump");
        } else if (r == -EACCES || r == -EPERM) {
                check_set(d, c, OEMKVM_WARN, "cannot read '%s': it is readable by root and QEMU's group only", d->store);
                check_fix(d, c, SUDO_FIX);
        } else if (r < 0)
                check_set_message(d, c, OEMKVM_FAIL, err.message, "sudo oemkvm dump");
        else {
                have = true;
                r = oemkvm_dump_collect(d->ctx, &fw, &err);
                if (r < 0)
                        check_set(d, c, OEMKVM_NA, "'%s' holds a dump; the firmware cannot be read to compare (see above)", d->store);
                else {
                        stale_files(&fw, &st, stale, sizeof(stale));
                        if (stale[0]) {
                                check_set(d, c, OEMKVM_WARN, "%s in '%s' differ from the firmware (a firmware update?); the hook rewrites them when a tagged domain starts",
                                          stale, d->store);
                                check_fix(d, c, "sudo oemkvm dump");
                        } else
                                check_set(d, c, OEMKVM_PASS, "'%s' holds exactly what the firmware has", d->store);
                }
        }
        oemkvm_dump_clear(&fw);
        oemkvm_dump_clear(&st);
        return have;
}

/* Checks that QEMU can read every file of `files`; the detail names them. */
static void check_readable(struct doctor *d, struct oemkvm_check *c, const struct qemu_cred *cred,
                           char *const *files, const char *remedy)
{
        struct oemkvm_error err = {};
        char names[512] = "";

        for (char *const *f = files; *f; f++) {
                _cleanup_free_ char *path = NULL;

                if (oemkvm_ctx_path(d->ctx, *f, &path) < 0) {
                        check_set(d, c, OEMKVM_FAIL, "out of memory");
                        return;
                }
                if (qemu_check_readable(cred, path, remedy, &err) < 0) {
                        check_set_message(d, c, OEMKVM_FAIL, err.message, NULL);
                        return;
                }
                list_add(names, sizeof(names), "%s", strrchr(*f, '/') + 1);
        }
        check_set(d, c, OEMKVM_PASS, "QEMU (user %s, group %s) can read %s", cred->user, cred->group, names);
}

static void check_store_access(struct doctor *d, bool have_store)
{
        static const char *const names[] = {
                OEMKVM_STORE_MSDM, OEMKVM_STORE_SLIC, OEMKVM_STORE_SMBIOS0, OEMKVM_STORE_SMBIOS1,
        };
        struct oemkvm_check *c = check_new(d, "license.store-access", GROUP, NULL,
                                           "QEMU's access to the store (qemu.conf's user and group)");
        const char *store = oemkvm_ctx_get_store_dir(d->ctx);
        struct qemu_cred cred = {};
        struct oemkvm_error err = {};
        char *files[ARRAY_SIZE(names) + 1] = {};
        size_t n = 0;

        if (!have_store) {
                check_set(d, c, OEMKVM_NA, "no dump in the store yet (see above)");
                return;
        }
        if (qemu_cred_load(d->ctx, &cred, &err) < 0) {
                check_set_message(d, c, OEMKVM_FAIL, err.message, NULL);
                return;
        }
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                _cleanup_free_ char *in_root = path_join(d->store, names[i]);
                struct stat st;

                /* msdm.bin and slic.bin are there only when the firmware has them. */
                if ((!strcmp(names[i], OEMKVM_STORE_SLIC) || !strcmp(names[i], OEMKVM_STORE_MSDM)) &&
                    in_root && stat(in_root, &st) < 0)
                        continue;
                files[n] = path_join(store, names[i]);
                if (!in_root || !files[n]) {
                        check_set(d, c, OEMKVM_FAIL, "out of memory");
                        goto out;
                }
                n++;
        }
        check_readable(d, c, &cred, files, "run 'sudo oemkvm dump'");
out:
        for (size_t i = 0; i < n; i++)
                free(files[i]);
        qemu_cred_clear(&cred);
}

/* The files a domain's definition makes QEMU read for oemkvm (its license dump, its vGPU ROM). */
static void check_domain_files(struct doctor *d, const struct oemkvm_needs *nd)
{
        struct oemkvm_check *c;
        struct qemu_cred cred = {};
        struct oemkvm_error err = {};

        if (!nd->tagged || !nd->license_files || !nd->license_files[0])
                return;
        c = check_new(d, "license.domain-files", GROUP, nd->name, "QEMU's access to the files oemkvm gives domain '%s'",
                      nd->name);
        if (qemu_cred_load(d->ctx, &cred, &err) < 0)
                check_set_message(d, c, OEMKVM_FAIL, err.message, NULL);
        else
                check_readable(d, c, &cred, nd->license_files,
                               "'sudo oemkvm dump' writes the license files, 'sudo oemkvm gvt rom FILE' the vGPU's ROM; or change the tag's source= or rom=");
        qemu_cred_clear(&cred);
}

void doctor_license(struct doctor *d)
{
        bool have_store;

        check_msdm(d);
        check_slic(d);
        check_smbios(d);
        have_store = check_store(d);
        check_store_access(d, have_store);
        for (size_t i = 0; i < d->in->n_domains; i++)
                check_domain_files(d, &d->in->domains[i]);
}
