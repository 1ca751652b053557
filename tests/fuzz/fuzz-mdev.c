/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mdev readers, whose answers become sysfs paths the hook writes to as
 * root: mdevctl's JSON definitions, the resolved mdev_type link, a UUID,
 * parent and type names, available_instances.  The input is each of them
 * at once.  Properties: whatever a parser or grammar accepts can only name
 * one plain path component under /sys/class/mdev_bus or
 * /sys/bus/mdev/devices (no '/', never "." or "..", no control
 * character), and a UUID comes out in sysfs' lowercase 8-4-4-4-12 form.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "host/mdev.h"

static void check_component(const char *what, const char *s)
{
        if (!*s || !strcmp(s, ".") || !strcmp(s, "..") || strchr(s, '/'))
                fuzz_fail("an accepted %s '%s' is not one plain path component", what, s);
        for (const char *c = s; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                        fuzz_fail("an accepted %s holds byte 0x%02x", what, (unsigned char)*c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct oemkvm_mdev_config cfg = {};
        struct oemkvm_error err = {};
        char uuid[OEMKVM_UUID_SIZE], *parent = NULL, *type = NULL;
        char *s = malloc(size + 1);
        unsigned n;

        if (!s)
                abort();
        memcpy(s, data, size);
        s[size] = 0;

        if (oemkvm_mdev_config_parse((const char *)data, size, "fuzz", &cfg, &err) >= 0) {
                if (!cfg.type || !oemkvm_mdev_type_valid(cfg.type))
                        fuzz_fail("an accepted mdevctl definition has no valid type");
                check_component("mdevctl type", cfg.type);
        }
        oemkvm_mdev_config_clear(&cfg);

        if (oemkvm_mdev_parse_type_path(s, &parent, &type, &err) >= 0) {
                check_component("parent from an mdev_type link", parent);
                check_component("type from an mdev_type link", type);
                free(parent);
                free(type);
        }
        if (oemkvm_mdev_uuid_parse(s, uuid) >= 0) {
                for (size_t i = 0; i < 36; i++)
                        if (i == 8 || i == 13 || i == 18 || i == 23 ? uuid[i] != '-' : !strchr("0123456789abcdef", uuid[i]))
                                fuzz_fail("UUID '%s' is not in sysfs' form", uuid);
                if (uuid[36])
                        fuzz_fail("UUID not terminated");
        }
        if (oemkvm_mdev_parent_valid(s))
                check_component("parent", s);
        if (oemkvm_mdev_type_valid(s))
                check_component("type", s);
        (void)oemkvm_mdev_parse_count((const char *)data, size, "fuzz", &n, &err);
        free(s);
        return 0;
}
