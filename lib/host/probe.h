/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the doctor reads from the host, each through the context's sysroot:
 * small files of /sys, /proc, /etc and /boot (sysread.c), the kernel
 * command line and module options (kparam.c), kernel modules (kmod.c), the
 * iGPU's generation by PCI device ID (igpu.c) and AppArmor profiles (apparmor-profiles.c).
 * Parsers take buffers so tests can feed them; readers take the context.
 * Not exported.
 */
#ifndef OEMKVM_HOST_PROBE_H
#define OEMKVM_HOST_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "oemkvm.h"

/* ---------------------------------------------------------------- sysread.c */

/*
 * Reads <sysroot><abs> whole (at most max bytes), NUL-terminated (ret_len,
 * when non-NULL, counts the bytes read).  A regular file only (sysfs and
 * procfs attributes are), opened without blocking.  -errno, no message:
 * the checks word their own.
 */
int host_read(const struct oemkvm_ctx *ctx, const char *abs, size_t max, char **ret, size_t *ret_len);
/* Its first line, without surrounding blanks. */
int host_read_line(const struct oemkvm_ctx *ctx, const char *abs, char **ret);
/* stat(2) of <sysroot><abs>. */
int host_stat(const struct oemkvm_ctx *ctx, const char *abs, struct stat *ret);
/* The entries of directory <sysroot><abs> but "." and "..", sorted, as a
 * NULL-terminated list; -ENOENT when there is no such directory. */
int host_list(const struct oemkvm_ctx *ctx, const char *abs, char ***ret);
/* The running kernel's release (/proc/sys/kernel/osrelease). */
int host_kernel_release(const struct oemkvm_ctx *ctx, char **ret);

/* ---------------------------------------------------------------- kparam.c */

/*
 * The value of `name` on a kernel command line (the last one wins, as in
 * the kernel; '-' and '_' are the same in names; "name" alone reads as
 * ""); 1 found, 0 not.  *ret malloc'd.
 */
int cmdline_find(const char *cmdline, const char *name, char **ret);

/*
 * `options MODULE NAME=VALUE …` lines of modprobe.d text: the value of
 * module's parameter name (the last one wins); 1 found, 0 not.
 */
int modprobe_find(const char *text, const char *module, const char *param, char **ret);

/*
 * A shell assignment KEY="…" in text such as /etc/default/grub: its value
 * (quotes removed; the last assignment wins); 1 found, 0 not.
 */
int shell_var_find(const char *text, const char *key, char **ret);

/* Where a kernel module parameter is set, and what the module runs with. */
struct kparam {
        char *live;                     /* /sys/module/M/parameters/P; NULL when unreadable */
        int live_r;                     /* 0, or why live is NULL (-ENOENT: not loaded / no such parameter) */
        bool loaded;                    /* /sys/module/M exists */
        char *cmdline;                  /* M.P= on /proc/cmdline */
        char *modprobe;                 /* `options M P=` in modprobe.d */
        char *modprobe_file;            /* … in this file (sysroot-relative, absolute) */
        char *grub;                     /* M.P= in /etc/default/grub's GRUB_CMDLINE_LINUX(_DEFAULT) */
};
int kparam_read(const struct oemkvm_ctx *ctx, const char *module, const char *param,
                struct kparam *ret);
void kparam_clear(struct kparam *p);

/* ---------------------------------------------------------------- kmod.c */

/*
 * Module names in modules-load.d text: one per line, '#' and ';' start
 * comments; '-' is stored as '_' (the kernel's spelling).  NULL-terminated.
 */
int modules_load_parse(const char *text, char ***ret);

struct kmod_state {
        bool loaded;                    /* in /sys/module, or built into the kernel */
        bool builtin;                   /* listed in /lib/modules/<release>/modules.builtin */
        char *load_file;                /* the modules-load.d file (or /etc/modules) naming it */
};
/* What the host says about module `name` (spelled with '_'). */
int kmod_read(const struct oemkvm_ctx *ctx, const char *name, struct kmod_state *ret);
void kmod_state_clear(struct kmod_state *s);

/* A kernel build option from /boot/config-<release>: "y", "m", "n" (unset or
 * "is not set"); -ENOENT when the kernel's config is not there. */
int kconfig_read(const struct oemkvm_ctx *ctx, const char *option, char **ret_value,
                 char **ret_path);

/* ---------------------------------------------------------------- igpu.c */

/* Where the iGPU that GVT-g shares sits on every Intel laptop. */
#define IGPU_PCI_ADDRESS "0000:00:02.0"

/* An Intel graphics generation, by PCI device ID (include/drm/i915_pciids.h). */
struct igpu_gen {
        const char *name;               /* "Whiskey Lake" */
        bool gvt;                       /* i915 offers GVT-g on it (intel_gvt.c) */
        bool later;                     /* newer than Comet Lake: SR-IOV instead */
};
/* NULL when the ID is in none of the tables. */
const struct igpu_gen *igpu_gen_find(uint16_t device);

/* The PCI function at IGPU_PCI_ADDRESS. */
struct igpu {
        bool present;
        uint16_t vendor;
        uint16_t device;
        uint32_t class;                 /* 0x030000: VGA */
        char *driver;                   /* the bound driver's name, NULL when none */
};
int igpu_read(const struct oemkvm_ctx *ctx, struct igpu *ret);
void igpu_clear(struct igpu *g);

/* ---------------------------------------------------------------- apparmor-profiles.c */

/*
 * Compiles <sysroot>/etc/apparmor.d/libvirt/TEMPLATE.qemu with the host's
 * apparmor_parser (-Q -K: nothing is loaded), includes resolved in the
 * sysroot.  0 compiles; -EBADMSG with the parser's error line in ret_msg;
 * -ENOENT when there is no TEMPLATE.qemu, -ENOPKG when apparmor_parser is
 * not installed.
 */
int aa_template_compile(const struct oemkvm_ctx *ctx, char **ret_msg);

/* The names of loaded profiles that start with prefix, without child
 * profiles (NAME//CHILD) (live host only). */
int aa_profiles_loaded(const struct oemkvm_ctx *ctx, const char *prefix, char ***ret);

/*
 * Would the loaded profile `label` let its process read path?  Asks the
 * kernel through libapparmor's label query (what aa_query_file_path does,
 * without its off-by-one).  1 yes, 0 no, -errno.
 */
int aa_profile_may_read(const char *label, const char *path);

#endif
