/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The text parsers behind `oemkvm doctor` and the hook's idea of QEMU's
 * identity: the kernel command line, modprobe.d `options`, a shell
 * assignment in /etc/default/grub, modules-load.d, and qemu.conf.  The
 * input is each of them at once.  Properties: what comes out is a piece of
 * the input — one line of a configuration file, or a command-line value
 * without the kernel's quotes; a module name is one
 * word that never keeps a '-' (the kernel spells it '_') and never starts
 * a comment.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "host/host.h"
#include "host/probe.h"

/* A kernel command line value is the kernel's next_arg(): quotes go, and
 * whitespace inside them (a newline too) stays; every other value is one
 * line of its file. */
static void check_value(const char *what, char *v, size_t size, bool cmdline)
{
        if (strlen(v) > size)
                fuzz_fail("%s: a value longer than the text it came from", what);
        if (!cmdline && strchr(v, '\n'))
                fuzz_fail("%s: a value holds a newline", what);
        if (cmdline && strchr(v, '"'))
                fuzz_fail("%s: a value keeps the kernel's quotes: '%s'", what, v);
        free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const conf_keys[] = { "user", "group", "security_driver" };
        char *s = malloc(size + 1), *v = NULL, **mods = NULL;

        if (!s)
                abort();
        memcpy(s, data, size);
        s[size] = 0;

        if (cmdline_find(s, "i915.enable_gvt", &v) > 0)
                check_value("cmdline i915.enable_gvt", v, size, true);
        if (cmdline_find(s, "intel_iommu", &v) > 0)
                check_value("cmdline intel_iommu", v, size, true);
        if (modprobe_find(s, "i915", "enable_gvt", &v) > 0)
                check_value("modprobe.d i915 enable_gvt", v, size, false);
        if (shell_var_find(s, "GRUB_CMDLINE_LINUX_DEFAULT", &v) > 0)
                check_value("GRUB_CMDLINE_LINUX_DEFAULT", v, size, false);
        if (modules_load_parse(s, &mods) >= 0) {
                for (char **m = mods; *m; m++)
                        if (!**m || strpbrk(*m, "- \t\n") || **m == '#' || **m == ';')
                                fuzz_fail("modules-load.d name '%s'", *m);
                oemkvm_strv_free(mods);
        }
        for (size_t i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++)
                if (qemu_conf_lookup((const char *)data, size, conf_keys[i], &v) > 0)
                        check_value(conf_keys[i], v, size, false);
        free(s);
        return 0;
}
