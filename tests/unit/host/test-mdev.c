/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/host/mdev.c over fake sysfs roots shaped like an Intel GVT-g laptop
 * (tests/fixtures/mdev): name grammars, the parsers, reading types and
 * devices, mdevctl's definitions, create/remove/start writing exactly what
 * the kernel expects and nothing through a link.  The real kernel's mdev
 * core is tested in the mdev guest (tests/guest/test-mdev-lib.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "host/mdev.h"
#include "oemkvm.h"

#define IDLE "tests/fixtures/mdev/gvt-kabylake"
#define BUSY "tests/fixtures/mdev/gvt-kabylake-busy"
#define IGPU "0000:00:02.0"
#define TYPES "/sys/devices/pci0000:00/0000:00:02.0/mdev_supported_types"
#define ACTIVE "5c7a3f30-8f7a-4b1e-9d55-2f0e1c3b4a61"
#define DEFINED "e2f6b0f4-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
#define NEW "0b6f1b6e-3c2a-4f7e-9a1d-8c5e4b3a2f10"

static struct oemkvm_ctx *ctx_at(const char *root)
{
        struct oemkvm_ctx *ctx = NULL;
        char *abs = realpath(root, NULL);

        if (!abs || oemkvm_ctx_new(abs, &ctx) < 0) {
                fprintf(stderr, "cannot open a context on '%s'\n", root);
                abort();
        }
        free(abs);
        return ctx;
}

static struct oemkvm_ctx *fixture(const char *rel)
{
        return ctx_at(check_srcpath(rel));
}

/* The bytes of root/rel, "" when empty; static buffer. */
static const char *file_text(const char *root, const char *rel)
{
        static char buf[4096];
        char path[4096];
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "%s%s", root, rel);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        buf[n < 0 ? 0 : n] = '\0';
        return buf;
}

static void write_text(const char *root, const char *rel, const char *text)
{
        char path[4096];
        FILE *f;

        snprintf(path, sizeof(path), "%s%s", root, rel);
        f = fopen(path, "we");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0)
                abort();
}

/* One line, naming every fragment. */
static void expect_error(const struct oemkvm_error *err, int code, const char *frag1, const char *frag2)
{
        CHECK_INT(err->code, code);
        CHECK_CONTAINS(err->message, frag1);
        if (frag2)
                CHECK_CONTAINS(err->message, frag2);
        CHECK(!strchr(err->message, '\n'));
}

TEST(uuid_grammar)
{
        char u[OEMKVM_UUID_SIZE];
        static const char *const bad[] = {
                "", "5c7a3f30", "5c7a3f30-8f7a-4b1e-9d55-2f0e1c3b4a6",    /* one digit short */
                "5c7a3f30-8f7a-4b1e-9d55-2f0e1c3b4a611",                  /* one long */
                "5c7a3f308f7a-4b1e-9d55-2f0e1c3b4a61-",                   /* dash misplaced */
                "5c7a3f30-8f7a-4b1e-9d55-2f0e1c3b4a6g", "../../../../../../../../../../etc",
                "5c7a3f30-8f7a-4b1e-9d55-2f0e1c3b4a6/", "5c7a3f30 8f7a 4b1e 9d55 2f0e1c3b4a61",
                "{5c7a3f30-8f7a-4b1e-9d55-2f0e1c3b4a61}",
        };

        CHECK_INT(oemkvm_mdev_uuid_parse(ACTIVE, u), 0);
        CHECK_STR(u, ACTIVE);
        /* Either case is a UUID; sysfs and mdevctl spell it in lowercase. */
        CHECK_INT(oemkvm_mdev_uuid_parse("5C7A3F30-8F7A-4B1E-9D55-2F0E1C3B4A61", u), 0);
        CHECK_STR(u, ACTIVE);
        CHECK_INT(oemkvm_mdev_uuid_parse(ACTIVE, NULL), 0);
        CHECK_INT(oemkvm_mdev_uuid_parse(NULL, u), -EINVAL);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (oemkvm_mdev_uuid_parse(bad[i], u) != -EINVAL)
                        fprintf(stderr, "accepted UUID '%s'\n", bad[i]);
                CHECK_INT(oemkvm_mdev_uuid_parse(bad[i], u), -EINVAL);
        }
}

TEST(parent_and_type_grammar)
{
        char longname[200];
        static const char *const good_parents[] = { IGPU, "0000:3a:00.7", "mbochs", "mtty", "0.0.0123", "matrix" };
        static const char *const bad_parents[] = {
                "", ".", "..", "../mbochs", "mbochs/..", "a/b", ".hidden", "-mbochs", "mb ochs", "mbochs,x",
                "mbochs=x", "mbo\"chs", "mb<ochs", "a..b", "mbochs\n", "/sys/class/mdev_bus/mbochs",
        };
        static const char *const good_types[] = { "i915-GVTg_V5_4", "mbochs-medium", "mtty-1", "nvidia-63", "vfio_ap-passthrough" };
        static const char *const bad_types[] = {
                "", "..", "../i915-GVTg_V5_4", "i915-GVTg_V5_4/..", "i915/GVTg", "-x", "x,y", "x=y", "x y",
                "x'y", "x\ty", "x..y",
        };

        CHECK(oemkvm_mdev_parent_is_pci(IGPU));
        CHECK(!oemkvm_mdev_parent_is_pci("0000:00:02.8"));      /* functions are 0-7 */
        CHECK(!oemkvm_mdev_parent_is_pci("0000:00:2.0"));
        CHECK(!oemkvm_mdev_parent_is_pci("0000:00:0A.0"));      /* sysfs spells hex in lowercase */
        CHECK(!oemkvm_mdev_parent_is_pci("mbochs"));
        CHECK(!oemkvm_mdev_parent_is_pci(NULL));
        for (size_t i = 0; i < sizeof(good_parents) / sizeof(good_parents[0]); i++)
                CHECK(oemkvm_mdev_parent_valid(good_parents[i]));
        for (size_t i = 0; i < sizeof(bad_parents) / sizeof(bad_parents[0]); i++) {
                if (oemkvm_mdev_parent_valid(bad_parents[i]))
                        fprintf(stderr, "accepted parent '%s'\n", bad_parents[i]);
                CHECK(!oemkvm_mdev_parent_valid(bad_parents[i]));
        }
        CHECK(!oemkvm_mdev_parent_valid(NULL));
        for (size_t i = 0; i < sizeof(good_types) / sizeof(good_types[0]); i++)
                CHECK(oemkvm_mdev_type_valid(good_types[i]));
        for (size_t i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
                if (oemkvm_mdev_type_valid(bad_types[i]))
                        fprintf(stderr, "accepted type '%s'\n", bad_types[i]);
                CHECK(!oemkvm_mdev_type_valid(bad_types[i]));
        }
        CHECK(!oemkvm_mdev_type_valid(NULL));

        /* Lengths: 64 for a parent, 96 for a type. */
        memset(longname, 'a', sizeof(longname));
        longname[64] = '\0';
        CHECK(oemkvm_mdev_parent_valid(longname));
        longname[64] = 'a';
        longname[65] = '\0';
        CHECK(!oemkvm_mdev_parent_valid(longname));
        longname[65] = 'a';
        longname[96] = '\0';
        CHECK(oemkvm_mdev_type_valid(longname));
        longname[96] = 'a';
        longname[97] = '\0';
        CHECK(!oemkvm_mdev_type_valid(longname));
}

TEST(parse_count)
{
        struct oemkvm_error err = {};
        unsigned n = 99;

        CHECK_INT(oemkvm_mdev_parse_count("2\n", 2, "f", &n, &err), 0);
        CHECK_INT(n, 2);
        CHECK_INT(oemkvm_mdev_parse_count("0", 1, "f", &n, &err), 0);
        CHECK_INT(n, 0);
        CHECK_INT(oemkvm_mdev_parse_count("4294967295\n", 11, "f", &n, &err), 0);
        CHECK_INT(n, 4294967295u);

        n = 7;
        CHECK_INT(oemkvm_mdev_parse_count("4294967296\n", 11, "/t/available_instances", &n, &err), -EBADMSG);
        expect_error(&err, -EBADMSG, "'/t/available_instances': expected a count", "4294967296");
        CHECK_INT(n, 7);        /* untouched on failure */
        CHECK_INT(oemkvm_mdev_parse_count("", 0, "f", &n, &err), -EBADMSG);
        CHECK_INT(oemkvm_mdev_parse_count("\n", 1, "f", &n, &err), -EBADMSG);
        CHECK_INT(oemkvm_mdev_parse_count("2 \n", 3, "f", &n, &err), -EBADMSG);
        CHECK_INT(oemkvm_mdev_parse_count("-1\n", 3, "f", &n, &err), -EBADMSG);
        CHECK_INT(oemkvm_mdev_parse_count("2\n\n", 3, "f", &n, &err), -EBADMSG);
        CHECK_INT(oemkvm_mdev_parse_count("2\0", 2, "f", &n, &err), -EBADMSG);
        CHECK_INT(n, 7);
}

TEST(parse_type_path)
{
        struct oemkvm_error err = {};
        char *parent = NULL, *type = NULL;
        static const char *const bad[] = {
                "/sys/devices/virtual/mbochs/mbochs/mdev_supported_types/",
                "/sys/devices/virtual/mbochs/mbochs/types/mbochs-large",
                "/mdev_supported_types/mbochs-large",
                "mdev_supported_types/mbochs-large",
                "/sys/devices/virtual/mbochs/mbo chs/mdev_supported_types/mbochs-large",
                "/sys/devices/virtual/mbochs/mbochs/mdev_supported_types/mbochs large",
                "",
        };

        CHECK_INT(oemkvm_mdev_parse_type_path("/sys/devices/pci0000:00/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_8",
                                              &parent, &type, &err), 0);
        CHECK_STR(parent, IGPU);
        CHECK_STR(type, "i915-GVTg_V5_8");
        free(parent);
        free(type);
        CHECK_INT(oemkvm_mdev_parse_type_path("/sys/devices/virtual/mbochs/mbochs/mdev_supported_types/mbochs-large",
                                              &parent, &type, &err), 0);
        CHECK_STR(parent, "mbochs");
        CHECK_STR(type, "mbochs-large");
        free(parent);
        free(type);

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                parent = type = NULL;
                CHECK_INT(oemkvm_mdev_parse_type_path(bad[i], &parent, &type, &err), -EBADMSG);
                CHECK(!parent && !type);
        }
        expect_error(&err, -EBADMSG, "mdev_type link resolves to ''", "<parent>/mdev_supported_types/<type>");
}

static int config(const char *json, struct oemkvm_mdev_config *cfg, struct oemkvm_error *err)
{
        return oemkvm_mdev_config_parse(json, strlen(json), "/etc/mdevctl.d/p/u", cfg, err);
}

TEST(config_parse)
{
        /* Exactly what `mdevctl define` wrote in the mdev guest. */
        static const char mdevctl[] = "{\n  \"mdev_type\": \"mbochs-medium\",\n  \"start\": \"manual\",\n  \"attrs\": []\n}";
        struct oemkvm_mdev_config cfg = {};
        struct oemkvm_error err = {};
        char deep[200];

        CHECK_INT(config(mdevctl, &cfg, &err), 0);
        CHECK_STR(cfg.type, "mbochs-medium");
        CHECK(!cfg.autostart);
        oemkvm_mdev_config_clear(&cfg);
        CHECK(!cfg.type);

        CHECK_INT(config("{\"start\":\"auto\",\"mdev_type\":\"i915-GVTg_V5_4\"}", &cfg, &err), 0);
        CHECK_STR(cfg.type, "i915-GVTg_V5_4");
        CHECK(cfg.autostart);
        oemkvm_mdev_config_clear(&cfg);

        /* Members oemkvm does not use, with every kind of value, are read past. */
        CHECK_INT(config(" { \"attrs\" : [ {\"assign_adapter\": \"5\"}, {\"x\": [1, -2.5e+3, true, false, null]} ],"
                         " \"note\": \"caf\\u00e9 \\\"q\\\" \\\\ \\/ \\n\", \"mdev_type\" : \"i91\\u0035-GVTg_V5_4\" } \n",
                         &cfg, &err), 0);
        CHECK_STR(cfg.type, "i915-GVTg_V5_4");
        CHECK(!cfg.autostart);  /* no "start": mdevctl's default, manual */
        oemkvm_mdev_config_clear(&cfg);

        CHECK_INT(config("{\"start\":\"auto\",\"attrs\":[]}", &cfg, &err), -EBADMSG);
        expect_error(&err, -EBADMSG, "'/etc/mdevctl.d/p/u'", "has no \"mdev_type\"");
        CHECK_INT(config("{\"mdev_type\":\"mbochs-small\",\"start\":\"later\"}", &cfg, &err), -EBADMSG);
        expect_error(&err, -EBADMSG, "\"start\" is 'later'", "\"auto\" or \"manual\"");
        CHECK_INT(config("{\"mdev_type\":\"../../x\"}", &cfg, &err), -EBADMSG);
        expect_error(&err, -EBADMSG, "\"mdev_type\" is not a type name", "../../x");
        CHECK_INT(config("{\"mdev_type\":5}", &cfg, &err), -EBADMSG);
        expect_error(&err, -EBADMSG, "(offset 13)", "expected a string");
        CHECK_INT(config("{\"mdev_type\":\"a\",\"mdev_type\":\"b\"}", &cfg, &err), -EBADMSG);
        expect_error(&err, -EBADMSG, "given twice", NULL);
        CHECK_INT(config("{\"mdev_type\":\"caf\\u00e9\"}", &cfg, &err), -EBADMSG);
        CHECK_INT(config("{\"mdev_type\":\"a\\u0000b\"}", &cfg, &err), -EBADMSG);
        CHECK_INT(config("{\"mdev_type\":\"mbochs-small\"} {}", &cfg, &err), -EBADMSG);
        expect_error(&err, -EBADMSG, "text after the object", NULL);
        CHECK_INT(config("[]", &cfg, &err), -EBADMSG);
        CHECK_INT(config("", &cfg, &err), -EBADMSG);
        CHECK_INT(config("{\"mdev_type\":\"a\",}", &cfg, &err), -EBADMSG);
        CHECK_INT(config("{\"mdev_type\":\"a\" \"start\":\"auto\"}", &cfg, &err), -EBADMSG);
        CHECK_INT(config("{\"mdev_type\":\"a\",\"n\":01}", &cfg, &err), -EBADMSG);
        CHECK_INT(config("{\"mdev_type\":\"a\",\"n\":1.}", &cfg, &err), -EBADMSG);
        CHECK_INT(config("{\"mdev_type\":\"a\",\"n\":tru}", &cfg, &err), -EBADMSG);
        CHECK_INT(config("{\"mdev_type\":\"a\tb\"}", &cfg, &err), -EBADMSG);
        CHECK(!cfg.type);

        /* Nesting is bounded. */
        memset(deep, '[', sizeof(deep));
        memcpy(deep, "{\"a\":", 5);
        deep[sizeof(deep) - 1] = '\0';
        CHECK_INT(config(deep, &cfg, &err), -EBADMSG);
        expect_error(&err, -EBADMSG, "nested too deeply", NULL);

        /* Every proper prefix of a good definition is refused, and nothing leaks. */
        for (size_t n = 0; n < sizeof(mdevctl) - 1; n++) {
                CHECK_INT(oemkvm_mdev_config_parse(mdevctl, n, "f", &cfg, &err), -EBADMSG);
                CHECK(!cfg.type);
        }
}

TEST(types_read)
{
        struct oemkvm_ctx *ctx = fixture(IDLE);
        struct oemkvm_mdev_type *t = NULL;
        struct oemkvm_error err = {};
        size_t n = 0;

        CHECK_INT(oemkvm_mdev_types_read(ctx, NULL, &t, &n, &err), 0);
        CHECK_INT(n, 2);
        if (n == 2) {
                CHECK_STR(t[0].parent, IGPU);
                CHECK_STR(t[0].type, "i915-GVTg_V5_4");
                CHECK_STR(t[0].name, "GVTg_V5_4");
                CHECK_STR(t[0].device_api, "vfio-pci");
                CHECK_STR(t[0].description,
                          "low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\nresolution: 1920x1200\nweight: 4");
                CHECK_INT(t[0].available, 1);
                CHECK_STR(t[1].type, "i915-GVTg_V5_8");
                CHECK_STR(t[1].name, "GVTg_V5_8");
                CHECK_INT(t[1].available, 2);
                CHECK_CONTAINS(t[1].description, "resolution: 1024x768");
        }
        oemkvm_mdev_types_free(t, n);

        /* The same for the parent by name. */
        CHECK_INT(oemkvm_mdev_types_read(ctx, IGPU, &t, &n, &err), 0);
        CHECK_INT(n, 2);
        oemkvm_mdev_types_free(t, n);

        t = NULL;
        n = 99;
        CHECK_INT(oemkvm_mdev_types_read(ctx, "0000:00:03.0", &t, &n, &err), -ENODEV);
        expect_error(&err, -ENODEV, "no mdev parent '0000:00:03.0'", "/sys/class/mdev_bus/0000:00:03.0' does not exist");
        CHECK_INT(oemkvm_mdev_types_read(ctx, "../../etc", &t, &n, &err), -EINVAL);
        expect_error(&err, -EINVAL, "invalid mdev parent '../../etc'", "0000:00:02.0");
        CHECK(!t && n == 99);
        oemkvm_ctx_free(ctx);

        /* A machine without the mdev core: no parent, no type, no error. */
        ctx = ctx_at(check_tmpdir());
        CHECK_INT(oemkvm_mdev_types_read(ctx, NULL, &t, &n, &err), 0);
        CHECK_INT(n, 0);
        oemkvm_mdev_types_free(t, n);
        CHECK_INT(oemkvm_mdev_types_read(ctx, "mbochs", &t, &n, &err), -ENODEV);
        oemkvm_ctx_free(ctx);
}

TEST(types_read_damaged)
{
        const char *root = check_copy_tree(IDLE);
        struct oemkvm_ctx *ctx = ctx_at(root);
        struct oemkvm_mdev_type *t = NULL;
        struct oemkvm_error err = {};
        char path[4096];
        size_t n = 0;

        /* An optional attribute missing is normal (mtty has no description). */
        snprintf(path, sizeof(path), "%s" TYPES "/i915-GVTg_V5_8/description", root);
        CHECK_INT(unlink(path), 0);
        CHECK_INT(oemkvm_mdev_types_read(ctx, NULL, &t, &n, &err), 0);
        CHECK_INT(n, 2);
        if (n == 2)
                CHECK(t[1].description == NULL);
        oemkvm_mdev_types_free(t, n);

        /* A count that is not one names its file. */
        write_text(root, TYPES "/i915-GVTg_V5_8/available_instances", "two\n");
        CHECK_INT(oemkvm_mdev_types_read(ctx, NULL, &t, &n, &err), -EBADMSG);
        expect_error(&err, -EBADMSG, "i915-GVTg_V5_8/available_instances': expected a count", "'two'");

        /* A required attribute missing names the file. */
        write_text(root, TYPES "/i915-GVTg_V5_8/available_instances", "2\n");
        snprintf(path, sizeof(path), "%s" TYPES "/i915-GVTg_V5_8/device_api", root);
        CHECK_INT(unlink(path), 0);
        CHECK_INT(oemkvm_mdev_types_read(ctx, NULL, &t, &n, &err), -ENOENT);
        expect_error(&err, -ENOENT, "i915-GVTg_V5_8/device_api'", NULL);
        oemkvm_ctx_free(ctx);
}

TEST(type_read)
{
        struct oemkvm_ctx *ctx = fixture(BUSY);
        struct oemkvm_mdev_type t = {};
        struct oemkvm_error err = {};

        CHECK_INT(oemkvm_mdev_type_read(ctx, IGPU, "i915-GVTg_V5_8", &t, &err), 0);
        CHECK_STR(t.parent, IGPU);
        CHECK_STR(t.type, "i915-GVTg_V5_8");
        CHECK_INT(t.available, 1);
        oemkvm_mdev_type_clear(&t);
        CHECK_INT(oemkvm_mdev_type_read(ctx, IGPU, "i915-GVTg_V5_4", &t, &err), 0);
        CHECK_INT(t.available, 0);
        oemkvm_mdev_type_clear(&t);

        CHECK_INT(oemkvm_mdev_type_read(ctx, IGPU, "i915-GVTg_V5_2", &t, &err), -ENOENT);
        expect_error(&err, -ENOENT, "mdev parent '0000:00:02.0' has no type 'i915-GVTg_V5_2'", "does not exist");
        CHECK_INT(oemkvm_mdev_type_read(ctx, "mbochs", "mbochs-small", &t, &err), -ENODEV);
        expect_error(&err, -ENODEV, "no mdev parent 'mbochs'", NULL);
        CHECK_INT(oemkvm_mdev_type_read(ctx, IGPU, "../../../etc", &t, &err), -EINVAL);
        expect_error(&err, -EINVAL, "invalid mdev type '../../../etc'", NULL);
        CHECK(!t.type);
        oemkvm_ctx_free(ctx);
}

TEST(device_read)
{
        struct oemkvm_ctx *ctx = fixture(BUSY);
        struct oemkvm_mdev_device dev = {}, *devs = NULL;
        struct oemkvm_error err = {};
        size_t n = 0;

        CHECK_INT(oemkvm_mdev_device_read(ctx, ACTIVE, &dev, &err), 0);
        CHECK_STR(dev.uuid, ACTIVE);
        CHECK_STR(dev.parent, IGPU);
        CHECK_STR(dev.type, "i915-GVTg_V5_8");
        oemkvm_mdev_device_clear(&dev);
        /* The uppercase spelling finds the same device. */
        CHECK_INT(oemkvm_mdev_device_read(ctx, "5C7A3F30-8F7A-4B1E-9D55-2F0E1C3B4A61", &dev, &err), 0);
        CHECK_STR(dev.uuid, ACTIVE);
        oemkvm_mdev_device_clear(&dev);

        CHECK_INT(oemkvm_mdev_device_read(ctx, DEFINED, &dev, &err), -ENOENT);
        expect_error(&err, -ENOENT, "mdev " DEFINED " is not active", "/sys/bus/mdev/devices/" DEFINED "' does not exist");
        CHECK_INT(oemkvm_mdev_device_read(ctx, "..", &dev, &err), -EINVAL);
        expect_error(&err, -EINVAL, "invalid mdev UUID '..'", NULL);
        CHECK(!dev.parent);

        CHECK_INT(oemkvm_mdev_devices_read(ctx, NULL, &devs, &n, &err), 0);
        CHECK_INT(n, 1);
        if (n == 1)
                CHECK_STR(devs[0].uuid, ACTIVE);
        oemkvm_mdev_devices_free(devs, n);
        CHECK_INT(oemkvm_mdev_devices_read(ctx, IGPU, &devs, &n, &err), 0);
        CHECK_INT(n, 1);
        oemkvm_mdev_devices_free(devs, n);
        CHECK_INT(oemkvm_mdev_devices_read(ctx, "mbochs", &devs, &n, &err), 0);
        CHECK_INT(n, 0);
        oemkvm_mdev_devices_free(devs, n);
        oemkvm_ctx_free(ctx);

        /* No mdev bus: nothing active. */
        ctx = fixture(IDLE);
        CHECK_INT(oemkvm_mdev_devices_read(ctx, NULL, &devs, &n, &err), 0);
        CHECK_INT(n, 0);
        oemkvm_mdev_devices_free(devs, n);
        CHECK_INT(oemkvm_mdev_device_read(ctx, ACTIVE, &dev, &err), -ENOENT);
        oemkvm_ctx_free(ctx);
}

TEST(config_read)
{
        struct oemkvm_ctx *ctx = fixture(BUSY);
        struct oemkvm_mdev_config cfg = {};
        struct oemkvm_error err = {};

        CHECK_INT(oemkvm_mdev_config_read(ctx, IGPU, DEFINED, &cfg, &err), 0);
        CHECK_STR(cfg.type, "i915-GVTg_V5_4");
        CHECK(!cfg.autostart);
        oemkvm_mdev_config_clear(&cfg);

        CHECK_INT(oemkvm_mdev_config_read(ctx, IGPU, ACTIVE, &cfg, &err), -ENOENT);
        expect_error(&err, -ENOENT, "mdevctl defines no device " ACTIVE " on '0000:00:02.0'",
                     "/etc/mdevctl.d/0000:00:02.0/" ACTIVE "' does not exist");
        CHECK_INT(oemkvm_mdev_config_read(ctx, "mbochs", DEFINED, &cfg, &err), -ENOENT);
        CHECK_INT(oemkvm_mdev_config_read(ctx, "../..", DEFINED, &cfg, &err), -EINVAL);
        CHECK_INT(oemkvm_mdev_config_read(ctx, IGPU, "../../passwd", &cfg, &err), -EINVAL);
        oemkvm_ctx_free(ctx);
}

TEST(create_and_remove)
{
        const char *root = check_copy_tree(BUSY);
        struct oemkvm_ctx *ctx = ctx_at(root);
        struct oemkvm_error err = {};
        char path[4096];

        /* The lowercase UUID, 36 bytes in one write, nothing else. */
        CHECK_INT(oemkvm_mdev_create(ctx, IGPU, "i915-GVTg_V5_8", "0B6F1B6E-3C2A-4F7E-9A1D-8C5E4B3A2F10", &err), 0);
        CHECK_STR(file_text(root, TYPES "/i915-GVTg_V5_8/create"), NEW);
        CHECK_STR(file_text(root, TYPES "/i915-GVTg_V5_4/create"), "");

        CHECK_INT(oemkvm_mdev_create(ctx, IGPU, "i915-GVTg_V5_2", NEW, &err), -ENOENT);
        expect_error(&err, -ENOENT, "mdev parent '0000:00:02.0' has no type 'i915-GVTg_V5_2'", NULL);
        CHECK_INT(oemkvm_mdev_create(ctx, "0000:00:03.0", "i915-GVTg_V5_8", NEW, &err), -ENODEV);
        expect_error(&err, -ENODEV, "no mdev parent '0000:00:03.0'", NULL);
        CHECK_INT(oemkvm_mdev_create(ctx, IGPU, "i915-GVTg_V5_4", "not-a-uuid", &err), -EINVAL);
        CHECK_INT(oemkvm_mdev_create(ctx, IGPU, "i915-GVTg_V5_4/..", NEW, &err), -EINVAL);
        CHECK_INT(oemkvm_mdev_create(ctx, "..", "i915-GVTg_V5_4", NEW, &err), -EINVAL);
        CHECK_STR(file_text(root, TYPES "/i915-GVTg_V5_4/create"), "");

        /* The error of the write comes back as it is. */
        snprintf(path, sizeof(path), "%s" TYPES "/i915-GVTg_V5_4/create", root);
        CHECK_INT(unlink(path), 0);
        CHECK_INT(mkdir(path, 0755), 0);
        CHECK_INT(oemkvm_mdev_create(ctx, IGPU, "i915-GVTg_V5_4", NEW, &err), -EISDIR);
        expect_error(&err, -EISDIR, "creating mdev " NEW " of type i915-GVTg_V5_4 on 0000:00:02.0 failed", "Is a directory");
        CHECK_INT(rmdir(path), 0);

        /* Never through a link: the target stays as it was. */
        write_text(root, "/target", "untouched");
        CHECK_INT(symlink("../../../../../target", path), 0);
        CHECK_INT(oemkvm_mdev_create(ctx, IGPU, "i915-GVTg_V5_4", NEW, &err), -ELOOP);
        CHECK_STR(file_text(root, "/target"), "untouched");

        CHECK_INT(oemkvm_mdev_remove(ctx, ACTIVE, &err), 0);
        CHECK_STR(file_text(root, "/sys/devices/pci0000:00/0000:00:02.0/" ACTIVE "/remove"), "1");
        CHECK_INT(oemkvm_mdev_remove(ctx, DEFINED, &err), -ENOENT);
        expect_error(&err, -ENOENT, "mdev " DEFINED " is not active", NULL);
        CHECK_INT(oemkvm_mdev_remove(ctx, "../" ACTIVE, &err), -EINVAL);
        oemkvm_ctx_free(ctx);
}

TEST(start_and_stop)
{
        const char *root = check_copy_tree(BUSY);
        struct oemkvm_ctx *ctx = ctx_at(root);
        enum oemkvm_mdev_via via = 0;
        struct oemkvm_error err = {};

        /* Not defined in mdevctl: sysfs. */
        CHECK_INT(oemkvm_mdev_via(ctx, IGPU, "i915-GVTg_V5_8", NEW, &via, &err), 0);
        CHECK_INT(via, OEMKVM_MDEV_VIA_SYSFS);
        CHECK_INT(oemkvm_mdev_start(ctx, IGPU, "i915-GVTg_V5_8", NEW, via, &err), 0);
        CHECK_STR(file_text(root, TYPES "/i915-GVTg_V5_8/create"), NEW);
        CHECK_INT(oemkvm_mdev_stop(ctx, IGPU, ACTIVE, OEMKVM_MDEV_VIA_SYSFS, &err), 0);
        CHECK_STR(file_text(root, "/sys/devices/pci0000:00/0000:00:02.0/" ACTIVE "/remove"), "1");

        /* Defined in mdevctl: its type must be the one asked for. */
        via = 0;
        CHECK_INT(oemkvm_mdev_via(ctx, IGPU, "i915-GVTg_V5_8", DEFINED, &via, &err), -EINVAL);
        expect_error(&err, -EINVAL, "/etc/mdevctl.d/0000:00:02.0/" DEFINED "' defines mdev " DEFINED,
                     "with type 'i915-GVTg_V5_4', not 'i915-GVTg_V5_8'");
        CHECK_INT(via, 0);
        CHECK_INT(oemkvm_mdev_via(ctx, IGPU, "i915-GVTg_V5_4", DEFINED, &via, &err), 0);
        CHECK_INT(via, OEMKVM_MDEV_VIA_MDEVCTL);
        /* A full type is refused before mdevctl runs (it would say so without an errno). */
        CHECK_INT(oemkvm_mdev_start(ctx, IGPU, "i915-GVTg_V5_4", DEFINED, via, &err), -ENOSPC);
        expect_error(&err, -ENOSPC, "mdev type i915-GVTg_V5_4 on 0000:00:02.0 has no available instance left", NULL);
        /* mdevctl acts on the running machine only, never under a sysroot. */
        write_text(root, TYPES "/i915-GVTg_V5_4/available_instances", "1\n");
        CHECK_INT(oemkvm_mdev_start(ctx, IGPU, "i915-GVTg_V5_4", DEFINED, via, &err), -EXDEV);
        expect_error(&err, -EXDEV, "mdevctl acts on this machine only", root);
        CHECK_INT(oemkvm_mdev_stop(ctx, IGPU, DEFINED, OEMKVM_MDEV_VIA_MDEVCTL, &err), -EXDEV);
        CHECK_STR(file_text(root, TYPES "/i915-GVTg_V5_4/create"), "");

        CHECK_INT(oemkvm_mdev_via(ctx, IGPU, "i915-GVTg_V5_4", "x", &via, &err), -EINVAL);
        CHECK_INT(oemkvm_mdev_start(ctx, IGPU, "i915-GVTg_V5_4", "x", OEMKVM_MDEV_VIA_SYSFS, &err), -EINVAL);
        CHECK_INT(oemkvm_mdev_stop(ctx, "a/b", ACTIVE, OEMKVM_MDEV_VIA_SYSFS, &err), -EINVAL);
        oemkvm_ctx_free(ctx);
}

/* A /proc/<pid>/cmdline under the test root: args joined by NULs. */
static void fake_process(const char *root, const char *pid, const char *const *args)
{
        char path[4096];
        FILE *f;

        snprintf(path, sizeof(path), "%s/proc/%s", root, pid);
        CHECK_INT(mkdir(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/proc/%s/cmdline", root, pid);
        f = fopen(path, "we");
        if (!f)
                abort();
        for (; *args; args++)
                fwrite(*args, 1, strlen(*args) + 1, f);
        fclose(f);
}

TEST(holder)
{
        static const char *const qemu[] = {
                "/usr/bin/qemu-system-x86_64", "-name", "guest=win,,11,debug-threads=on", "-device",
                "{\"driver\":\"vfio-pci\",\"id\":\"ua-oemkvm-gvt\",\"sysfsdev\":\"/sys/bus/mdev/devices/" ACTIVE "\"}", NULL,
        };
        static const char *const other[] = { "/usr/bin/qemu-system-x86_64", "-name", "guest=linux", NULL };
        const char *root = check_tmpdir();
        struct oemkvm_ctx *ctx;
        char path[4096], *name = NULL;

        snprintf(path, sizeof(path), "%s/proc", root);
        CHECK_INT(mkdir(path, 0755), 0);
        fake_process(root, "1", (const char *const[]){ "/sbin/init", NULL });
        fake_process(root, "200", other);
        fake_process(root, "4242", qemu);
        ctx = ctx_at(root);
        CHECK_INT(oemkvm_mdev_holder(ctx, "5C7A3F30-8F7A-4B1E-9D55-2F0E1C3B4A61", &name), 0);
        CHECK_STR(name, "win,11");
        free(name);
        name = NULL;
        CHECK_INT(oemkvm_mdev_holder(ctx, DEFINED, &name), -ENOENT);
        CHECK(name == NULL);
        CHECK_INT(oemkvm_mdev_holder(ctx, "../x", &name), -EINVAL);
        oemkvm_ctx_free(ctx);
}

TESTS(T(uuid_grammar), T(parent_and_type_grammar), T(parse_count), T(parse_type_path), T(config_parse),
      T(types_read), T(types_read_damaged), T(type_read), T(device_read), T(config_read),
      T(create_and_remove), T(start_and_stop), T(holder))
