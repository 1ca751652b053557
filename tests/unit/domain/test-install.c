/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * oemkvm install's definition, from what virt-install 4.1 (Debian 12)
 * really prints for `--print-xml 1 --dry-run --osinfo win11`
 * (tests/fixtures/virt-install/win11-virtinst-4.1.xml, captured verbatim
 * but for the ISO path): tagged, patched by the engine, restarting on
 * reboot, the install medium first; refused without UEFI or a TPM; and the
 * boot order after the first start.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "oemkvm.h"

static struct oemkvm_tag tag = { .license = true, .edition = "pro", .virtio = true };
static char drivers_iso[4096];

/* The engine wants the drivers ISO to be one: a primary volume descriptor at sector 16. */
static void drivers_iso_make(void)
{
        FILE *f;

        snprintf(drivers_iso, sizeof(drivers_iso), "%s/virtio-win.iso", check_tmpdir());
        f = fopen(drivers_iso, "we");
        if (!f || fseek(f, 16 * 2048, SEEK_SET) < 0 || fputs("\001CD001\001", f) < 0 || fclose(f) != 0)
                abort();
        tag.drivers_iso = drivers_iso;
}

static char *virtinst_xml(void)
{
        size_t len;
        uint8_t *buf = check_read_file(check_srcpath("tests/fixtures/virt-install/win11-virtinst-4.1.xml"), &len);
        char *xml = realloc(buf, len + 1);

        if (!xml)
                abort();
        xml[len] = 0;
        return xml;
}

/* A context whose store holds the thinkpad fixture's dump. */
static struct oemkvm_ctx *store_ctx(void)
{
        struct oemkvm_ctx *ctx = check_fixture_ctx("thinkpad-smbios3");
        struct oemkvm_dump dump = {};
        const char *store = check_tmpdir();

        if (oemkvm_dump_collect(ctx, &dump, NULL) < 0 || oemkvm_dump_write(&dump, store, (gid_t)-1, NULL) < 0 ||
            oemkvm_ctx_set_store_dir(ctx, store) < 0)
                abort();
        oemkvm_dump_clear(&dump);
        return ctx;
}

static char *replace(const char *s, const char *from, const char *to)
{
        const char *at = strstr(s, from);
        char *out = NULL;

        if (!at || asprintf(&out, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from)) < 0)
                abort();
        return out;
}

TEST(virtinst_win11_patches)
{
        struct oemkvm_ctx *ctx = store_ctx();
        struct oemkvm_patch_result res = {}, again = {};
        struct oemkvm_error err = {};
        char *xml = virtinst_xml(), *store_arg = NULL, *drivers_src = NULL;

        drivers_iso_make();
        CHECK_INT(oemkvm_install_build(ctx, xml, strlen(xml), &tag, &res, &err), 0);
        CHECK_STR(err.message, "");
        CHECK(res.flags & OEMKVM_PATCH_TAGGED);
        CHECK_CONTAINS(res.xml, "<oemkvm:config xmlns:oemkvm=\"urn:oemkvm:domain:1\">");
        CHECK_CONTAINS(res.xml, "<oemkvm:topology edition=\"pro\"/>");
        /* virt-install's own choices stay: libosinfo, UEFI, TPM, Hyper-V. */
        CHECK_CONTAINS(res.xml, "<libosinfo:os id=\"http://microsoft.com/win/11\"/>");
        CHECK_CONTAINS(res.xml, "<os firmware=\"efi\">");
        CHECK_CONTAINS(res.xml, "<backend type=\"emulator\"/>");
        CHECK_CONTAINS(res.xml, "<relaxed state=\"on\"/>");
        /* Install medium first; Setup's reboots restart the machine. */
        CHECK_CONTAINS(res.xml, "<boot dev=\"cdrom\"/>\n    <boot dev=\"hd\"/>");
        CHECK_CONTAINS(res.xml, "<on_reboot>restart</on_reboot>");
        CHECK(res.xml && !strstr(res.xml, "destroy"));
        /* The engine's work: license, 1 socket, VirtIO SCSI, virtio NIC, drivers CD. */
        if (asprintf(&store_arg, "file=%s/msdm.bin", oemkvm_ctx_get_store_dir(ctx)) < 0)
                abort();
        CHECK_CONTAINS(res.xml, store_arg);
        CHECK_CONTAINS(res.xml, "<topology sockets=\"1\" dies=\"1\" cores=\"2\" threads=\"1\"/>");
        CHECK_CONTAINS(res.xml, "<target dev=\"sda\" bus=\"scsi\"/>");
        CHECK_CONTAINS(res.xml, "<model type=\"virtio\"/>");
        if (asprintf(&drivers_src, "<source file=\"%s\"/>", drivers_iso) < 0)
                abort();
        CHECK_CONTAINS(res.xml, drivers_src);
        free(drivers_src);

        /* What the hook will verify: the engine has nothing left to do. */
        CHECK_INT(oemkvm_patch(ctx, res.xml, res.len, &again, &err), 0);
        CHECK(!(again.flags & OEMKVM_PATCH_CHANGED));
        oemkvm_patch_result_clear(&again);
        oemkvm_patch_result_clear(&res);
        free(store_arg);
        free(xml);
        oemkvm_ctx_free(ctx);
}

/* --gvt TYPE: the tag's <gvt>, and the engine's vGPU with its display. */
TEST(gvt)
{
        struct oemkvm_ctx *ctx = store_ctx();
        const struct oemkvm_tag gvt = { .license = true, .edition = "home", .gvt_parent = "0000:00:02.0",
                                        .gvt_type = "i915-GVTg_V5_4" };
        struct oemkvm_patch_result res = {};
        struct oemkvm_error err = {};
        char *xml = virtinst_xml();

        CHECK_INT(oemkvm_install_build(ctx, xml, strlen(xml), &gvt, &res, &err), 0);
        CHECK_STR(err.message, "");
        CHECK_CONTAINS(res.xml, "<oemkvm:gvt parent=\"0000:00:02.0\" type=\"i915-GVTg_V5_4\"/>");
        CHECK_CONTAINS(res.xml, "type=\"mdev\"");
        CHECK_CONTAINS(res.xml, "<gl enable=\"yes\"/>");
        oemkvm_patch_result_clear(&res);
        free(xml);
        oemkvm_ctx_free(ctx);
}

TEST(refusals)
{
        struct oemkvm_ctx *ctx = store_ctx();
        struct oemkvm_patch_result res = {};
        struct oemkvm_error err = {};
        char *xml = virtinst_xml();
        char *no_tpm = replace(xml, "<backend type=\"emulator\"/>", "<backend type=\"passthrough\"/>");
        char *bios = replace(xml, "<os firmware=\"efi\">", "<os>");
        const struct oemkvm_tag home = { .license = true, .edition = "home" };
        char *many = replace(xml, "<vcpu>2</vcpu>", "<vcpu>65</vcpu>");

        drivers_iso_make();
        CHECK_INT(oemkvm_install_build(ctx, no_tpm, strlen(no_tpm), &tag, &res, &err), -ENODEV);
        CHECK_CONTAINS(err.message, "virt-install added no TPM 2.0, which Windows 11 needs");
        CHECK_CONTAINS(err.message, "sudo apt install swtpm swtpm-tools");
        err = (struct oemkvm_error){};
        CHECK_INT(oemkvm_install_build(ctx, bios, strlen(bios), &tag, &res, &err), -ENODEV);
        CHECK_CONTAINS(err.message, "sudo apt install ovmf");
        err = (struct oemkvm_error){};
        CHECK_INT(oemkvm_install_build(ctx, many, strlen(many), &home, &res, &err), -EINVAL);
        CHECK_CONTAINS(err.message, "65 vCPUs exceed the 64 cores Windows Home allows");
        err = (struct oemkvm_error){};
        CHECK_INT(oemkvm_install_build(ctx, "<domain", 7, &tag, &res, &err), -EINVAL);
        CHECK_CONTAINS(err.message, "virt-install's domain XML");
        free(many);
        free(bios);
        free(no_tpm);
        free(xml);
        oemkvm_ctx_free(ctx);
}

TEST(boot_disk_after_the_first_start)
{
        char *xml = virtinst_xml(), *out = NULL, *again = NULL, *only_cd;

        CHECK_INT(oemkvm_install_boot_disk(xml, strlen(xml), &out, NULL), 1);
        CHECK(out && !strstr(out, "<boot dev=\"cdrom\"/>"));
        CHECK_CONTAINS(out, "<type arch=\"x86_64\" machine=\"q35\">hvm</type>\n    <boot dev=\"hd\"/>\n  </os>");
        /* Nothing left to drop: unchanged, nothing returned. */
        CHECK_INT(oemkvm_install_boot_disk(out, strlen(out), &again, NULL), 0);
        CHECK(!again);
        /* The CD was the only boot device: the disk takes its place. */
        only_cd = replace(xml, "<boot dev=\"hd\"/>", "");
        free(out);
        out = NULL;
        CHECK_INT(oemkvm_install_boot_disk(only_cd, strlen(only_cd), &out, NULL), 1);
        CHECK_CONTAINS(out, "<boot dev=\"hd\"/>");
        CHECK(!strstr(out, "cdrom\"/>"));
        free(only_cd);
        free(out);
        free(xml);
}

TEST(disks)
{
        char *xml = virtinst_xml(), *path = NULL, *cd_only;
        struct oemkvm_error err = {};

        CHECK_INT(oemkvm_install_disk_path(xml, strlen(xml), &path, &err), 0);
        CHECK_STR(path, "/var/lib/libvirt/images/w11.qcow2");
        CHECK(oemkvm_domain_uses_disk(xml, strlen(xml), "/var/lib/libvirt/images/w11.qcow2"));
        /* CD-ROMs count as used too: two domains must not share an image either way. */
        CHECK(oemkvm_domain_uses_disk(xml, strlen(xml), "/var/lib/libvirt/images/Win11_24H2_English_x64.iso"));
        CHECK(!oemkvm_domain_uses_disk(xml, strlen(xml), "/var/lib/libvirt/images/w11"));
        CHECK(!oemkvm_domain_uses_disk("<domain", 7, "/x"));
        cd_only = replace(xml, "device=\"disk\"", "device=\"floppy\"");
        free(path);
        path = NULL;
        CHECK_INT(oemkvm_install_disk_path(cd_only, strlen(cd_only), &path, &err), -ENOENT);
        CHECK_CONTAINS(err.message, "names no disk image");
        CHECK(!path);
        free(cd_only);
        free(xml);
}

TESTS(T(virtinst_win11_patches), T(gvt), T(refusals), T(boot_disk_after_the_first_start), T(disks))
