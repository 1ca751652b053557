/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hook and the vGPU (lib/runtime/vgpu.c) on Intel GVT-g-shaped sysroots
 * (tests/fixtures/mdev, copied, with the laptop fixture's firmware): what
 * prepare begin creates and records, that the phases in between leave it
 * alone, what release end removes, and the one-line refusals — a full
 * type, a missing parent or type, a device of another type — that create
 * nothing.  The real kernel's side is tests/guest/test-mdev-hook.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "oemkvm.h"

#define FIRMWARE "tests/fixtures/roots/thinkpad-smbios3/sys/firmware"
#define IDLE "tests/fixtures/mdev/gvt-kabylake"
#define BUSY "tests/fixtures/mdev/gvt-kabylake-busy"
#define IGPU "/sys/devices/pci0000:00/0000:00:02.0"
#define TYPES IGPU "/mdev_supported_types"
#define ACTIVE "5c7a3f30-8f7a-4b1e-9d55-2f0e1c3b4a61"
#define DEFINED "e2f6b0f4-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
#define NAME "win11"
#define DOMAIN_UUID "5f6c1c2e-8d3b-4a5e-9a63-0c7de8b2f4a1"
#define RECORD "/run/oemkvm/gvt/" DOMAIN_UUID

static char *join(const char *a, const char *b)
{
        char *s;

        if (asprintf(&s, "%s%s", a, b) < 0)
                abort();
        return s;
}

/* A copy of a GVT-g root, with firmware, qemu.conf, /run and the domain
 * persistent in libvirt's config directory. */
static char *gvt_root(const char *fixture)
{
        char *root = strdup(check_copy_tree(fixture));
        char cmd[8192];

        snprintf(cmd, sizeof(cmd),
                 "cd '%s' && chmod 0755 . && ln -s '%s' sys/firmware && mkdir -p run etc/libvirt/qemu && : >etc/libvirt/qemu/" NAME ".xml"
                 " && printf 'user = \"daemon\"\\ngroup = \"+%u\"\\n' >etc/libvirt/qemu.conf",
                 root, check_srcpath(FIRMWARE), (unsigned)getegid());
        if (!root || system(cmd) != 0)
                abort();
        return root;
}

static struct oemkvm_ctx *root_ctx(const char *root)
{
        struct oemkvm_ctx *ctx = NULL;
        char *store = join(root, "/store");

        if (oemkvm_ctx_new(root, &ctx) < 0 || oemkvm_ctx_set_store_dir(ctx, store) < 0)
                abort();
        free(store);
        return ctx;
}

/* The hook fixture's domain, tagged with <oemkvm:gvt gvt_attrs/>, and patched. */
static char *gvt_xml(const struct oemkvm_ctx *ctx, const char *gvt_attrs, bool patch)
{
        size_t len;
        char *xml = (char *)check_read_file(check_srcpath("tests/fixtures/hook/win11.xml"), &len);
        char *at = strstr(xml, "<metadata>") + strlen("<metadata>");
        struct oemkvm_patch_result res = {};
        struct oemkvm_error err = {};
        char *tagged;

        if (asprintf(&tagged, "%.*s<oemkvm:config xmlns:oemkvm=\"urn:oemkvm:domain:1\"><oemkvm:gvt %s/></oemkvm:config>%s",
                     (int)(at - xml), xml, gvt_attrs, at) < 0)
                abort();
        free(xml);
        if (!patch)
                return tagged;
        if (oemkvm_patch(ctx, tagged, strlen(tagged), &res, &err) < 0) {
                fprintf(stderr, "patch failed: %s\n", err.message);
                abort();
        }
        free(tagged);
        /* The XML is the caller's; the summary and notes go. */
        xml = res.xml;
        res.xml = NULL;
        oemkvm_patch_result_clear(&res);
        return xml;
}

static int run(const struct oemkvm_ctx *ctx, const char *op, const char *subop, const char *xml,
               struct oemkvm_error *err)
{
        char *out = NULL;
        int r;

        *err = (struct oemkvm_error){};
        r = oemkvm_hook_run(ctx, NAME, op, subop, xml, strlen(xml), &out, err);
        CHECK(out == NULL);
        free(out);
        return r;
}

/* root/rel's bytes ("" when empty), NULL when it does not exist; static buffer. */
static const char *text(const char *root, const char *rel)
{
        static char buf[4096];
        char *path = join(root, rel);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        free(path);
        if (fd < 0)
                return NULL;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        buf[n < 0 ? 0 : n] = '\0';
        return buf;
}

/* What the kernel does on create: the device appears, linked to its type. */
static void kernel_creates(const char *root, const char *uuid, const char *type)
{
        char cmd[8192];

        snprintf(cmd, sizeof(cmd),
                 "cd '%s' && mkdir -p sys/bus/mdev/devices '.%s/%s' && ln -s ../mdev_supported_types/%s '.%s/%s/mdev_type'"
                 " && : >'.%s/%s/remove' && ln -s ../../../devices/pci0000:00/0000:00:02.0/%s sys/bus/mdev/devices/%s",
                 root, IGPU, uuid, type, IGPU, uuid, IGPU, uuid, uuid, uuid);
        if (system(cmd) != 0)
                abort();
}

static void one_line(const struct oemkvm_error *err)
{
        CHECK(!strchr(err->message, '\n'));
        CHECK_CONTAINS(err->message, "domain '" NAME "': ");
}

TEST(lifecycle)
{
        char *root = gvt_root(IDLE);
        struct oemkvm_ctx *ctx = root_ctx(root);
        char *xml = gvt_xml(ctx, "parent='0000:00:02.0' type='i915-GVTg_V5_8' display='none'", true);
        char uuid[40], record[200];
        struct oemkvm_error err;
        const char *create;

        /* prepare begin: created with the definition's UUID, recorded as oemkvm's. */
        CHECK_INT(run(ctx, "prepare", "begin", xml, &err), 0);
        create = text(root, TYPES "/i915-GVTg_V5_8/create");
        CHECK(create && strlen(create) == 36);
        snprintf(uuid, sizeof(uuid), "%s", create ? create : "");
        CHECK_CONTAINS(xml, uuid);
        snprintf(record, sizeof(record), "%s 0000:00:02.0 i915-GVTg_V5_8 sysfs\n" NAME "\n", uuid);
        CHECK_STR(text(root, RECORD), record);
        CHECK(text(root, "/run/oemkvm/gvt/lock-0000:00:02.0") != NULL);
        kernel_creates(root, uuid, "i915-GVTg_V5_8");

        /* start, started, stopped: left alone. */
        CHECK_INT(run(ctx, "start", "begin", xml, &err), 0);
        CHECK_INT(run(ctx, "started", "begin", xml, &err), 0);
        CHECK_INT(run(ctx, "stopped", "end", xml, &err), 0);
        CHECK_STR(text(root, RECORD), record);

        /* release end: removed, forgotten; a second release does nothing. */
        CHECK_INT(run(ctx, "release", "end", xml, &err), 0);
        snprintf(record, sizeof(record), IGPU "/%s/remove", uuid);
        CHECK_STR(text(root, record), "1");
        CHECK(text(root, RECORD) == NULL);
        CHECK_INT(run(ctx, "release", "end", xml, &err), 0);
        free(xml);
        free(root);
        oemkvm_ctx_free(ctx);
}

TEST(users_device_is_used_and_kept)
{
        char *root = gvt_root(BUSY);
        struct oemkvm_ctx *ctx = root_ctx(root);
        char *xml = gvt_xml(ctx, "parent='0000:00:02.0' type='i915-GVTg_V5_8' display='none' uuid='" ACTIVE "'", true);
        struct oemkvm_error err;

        CHECK_INT(run(ctx, "prepare", "begin", xml, &err), 0);
        CHECK_STR(text(root, TYPES "/i915-GVTg_V5_8/create"), "");
        CHECK(text(root, RECORD) == NULL);
        CHECK_INT(run(ctx, "release", "end", xml, &err), 0);
        CHECK_STR(text(root, IGPU "/" ACTIVE "/remove"), "");
        free(xml);

        /* Active as another type: refused, naming both. */
        xml = gvt_xml(ctx, "parent='0000:00:02.0' type='i915-GVTg_V5_4' display='none' uuid='" ACTIVE "'", true);
        CHECK_INT(run(ctx, "prepare", "begin", xml, &err), -EBUSY);
        one_line(&err);
        CHECK_CONTAINS(err.message, "mdev " ACTIVE " is already active as i915-GVTg_V5_8 on 0000:00:02.0, but <oemkvm:gvt> asks for i915-GVTg_V5_4");
        CHECK_CONTAINS(err.message, "mdevctl stop -u " ACTIVE);
        free(xml);
        free(root);
        oemkvm_ctx_free(ctx);
}

TEST(full_type_refused)
{
        static const char qemu[] = "/usr/bin/qemu-system-x86_64\0-name\0guest=linux-desktop,debug-threads=on\0"
                                   "-device\0{\"driver\":\"vfio-pci\",\"sysfsdev\":\"/sys/bus/mdev/devices/" ACTIVE "\"}";
        char *root = gvt_root(BUSY), *proc = join(root, "/proc/4242/cmdline");
        struct oemkvm_ctx *ctx = root_ctx(root);
        char *xml = gvt_xml(ctx, "parent='0000:00:02.0' type='i915-GVTg_V5_4' display='none'", true);
        struct oemkvm_error err;
        char cmd[4200];
        FILE *f;

        CHECK_INT(run(ctx, "prepare", "begin", xml, &err), -ENOSPC);
        one_line(&err);
        CHECK_CONTAINS(err.message, "no room for a vGPU of type i915-GVTg_V5_4 on 0000:00:02.0 (available_instances is 0)");
        CHECK_CONTAINS(err.message, "types with room there: i915-GVTg_V5_8 (1 left)");
        CHECK_CONTAINS(err.message, "vGPUs in use there: " ACTIVE " (i915-GVTg_V5_8, in no running domain)");
        CHECK_STR(text(root, TYPES "/i915-GVTg_V5_4/create"), "");
        CHECK(text(root, RECORD) == NULL);

        /* The domain whose QEMU holds it, when one does. */
        snprintf(cmd, sizeof(cmd), "mkdir -p '%s/proc/4242'", root);
        CHECK_INT(system(cmd), 0);
        f = fopen(proc, "we");
        CHECK(f && fwrite(qemu, 1, sizeof(qemu), f) == sizeof(qemu) && fclose(f) == 0);
        CHECK_INT(run(ctx, "prepare", "begin", xml, &err), -ENOSPC);
        CHECK_CONTAINS(err.message, "vGPUs in use there: 'linux-desktop' (i915-GVTg_V5_8)");

        /* After the refusal, release touches nothing. */
        CHECK_INT(run(ctx, "release", "end", xml, &err), 0);
        CHECK_STR(text(root, IGPU "/" ACTIVE "/remove"), "");
        free(xml);
        free(proc);
        free(root);
        oemkvm_ctx_free(ctx);
}

TEST(missing_parent_and_type)
{
        char *root = gvt_root(IDLE);
        struct oemkvm_ctx *ctx = root_ctx(root);
        char *xml = gvt_xml(ctx, "parent='0000:00:03.0' type='i915-GVTg_V5_8'", true);
        struct oemkvm_error err;

        CHECK_INT(run(ctx, "prepare", "begin", xml, &err), -ENODEV);
        one_line(&err);
        CHECK_CONTAINS(err.message, "the vGPU's parent 0000:00:03.0 is not there ('/sys/class/mdev_bus/0000:00:03.0' does not exist) — run 'oemkvm doctor'");
        free(xml);
        xml = gvt_xml(ctx, "parent='0000:00:02.0' type='i915-GVTg_V5_2'", true);
        CHECK_INT(run(ctx, "prepare", "begin", xml, &err), -ENOENT);
        one_line(&err);
        CHECK_CONTAINS(err.message, "0000:00:02.0 has no mdev type i915-GVTg_V5_2 — it offers i915-GVTg_V5_4, i915-GVTg_V5_8");
        CHECK(text(root, RECORD) == NULL);
        free(xml);
        free(root);
        oemkvm_ctx_free(ctx);
}

TEST(refused_prepare_leaves_nothing)
{
        char *root = gvt_root(IDLE);
        struct oemkvm_ctx *ctx = root_ctx(root);
        char *xml = gvt_xml(ctx, "parent='0000:00:02.0' type='i915-GVTg_V5_8'", false);
        struct oemkvm_error err;
        struct stat st;
        char *run_dir = join(root, "/run/oemkvm");

        CHECK_INT(run(ctx, "prepare", "begin", xml, &err), -ESTALE);
        CHECK_CONTAINS(err.message, "not patched");
        CHECK_INT(run(ctx, "stopped", "end", xml, &err), 0);
        CHECK_INT(run(ctx, "release", "end", xml, &err), 0);
        CHECK_STR(text(root, TYPES "/i915-GVTg_V5_8/create"), "");
        CHECK(stat(run_dir, &st) < 0 && errno == ENOENT);
        free(run_dir);
        free(xml);
        free(root);
        oemkvm_ctx_free(ctx);
}

TEST(mdevctl_defined_under_a_sysroot)
{
        char *root = gvt_root(BUSY), *avail = join(root, TYPES "/i915-GVTg_V5_4/available_instances");
        struct oemkvm_ctx *ctx = root_ctx(root);
        char *xml = gvt_xml(ctx, "parent='0000:00:02.0' type='i915-GVTg_V5_4' uuid='" DEFINED "'", true);
        struct oemkvm_error err;
        FILE *f = fopen(avail, "we");

        CHECK(f && fputs("1\n", f) >= 0 && fclose(f) == 0);
        /* mdevctl runs on the real machine only: refused, and the record written before is gone again. */
        CHECK_INT(run(ctx, "prepare", "begin", xml, &err), -EXDEV);
        one_line(&err);
        CHECK_CONTAINS(err.message, "cannot start its vGPU: ");
        CHECK_CONTAINS(err.message, "mdevctl acts on this machine only");
        CHECK(text(root, RECORD) == NULL);
        CHECK_STR(text(root, TYPES "/i915-GVTg_V5_4/create"), "");
        free(xml);
        free(avail);
        free(root);
        oemkvm_ctx_free(ctx);
}

TESTS(T(lifecycle), T(users_device_is_used_and_kept), T(full_type_refused), T(missing_parent_and_type),
      T(refused_prepare_leaves_nothing), T(mdevctl_defined_under_a_sysroot))
