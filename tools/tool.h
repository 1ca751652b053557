/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the oemkvm command's files share: one entry point per subcommand and
 * the way errors reach the user.  tool.c is linked into the command and
 * into its libvirt plugin (tools/virt/), so both report the same way.
 */
#ifndef OEMKVM_TOOL_H
#define OEMKVM_TOOL_H

#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>

#include "oemkvm.h"

/* Cleanup attributes, as in the library (systemd style). */
static inline void tool_freep(void *p)
{
        free(*(void **)p);
}

#define _cleanup_free_ __attribute__((cleanup(tool_freep)))

/* Hand ownership out of a cleanup variable. */
#define TAKE_PTR(p)                          \
        ({                                   \
                __typeof__(p) _tmp_ = (p);   \
                (p) = NULL;                  \
                _tmp_;                       \
        })

/* The plugin's subcommands are found with dlsym(); everything else is hidden. */
#define TOOL_PLUGIN_EXPORT __attribute__((visibility("default")))

/* Each subcommand gets argv with argv[0] = its own name; returns the exit code. */
typedef int tool_cmd_fn(int argc, char **argv);

/* Offline: built into the command, no libvirt. */
tool_cmd_fn cmd_dump, cmd_show, cmd_patch, cmd_gvt, cmd_doctor;
/* Talk to libvirt: in the plugin, loaded only when one of them runs. */
tool_cmd_fn cmd_apply, cmd_tag, cmd_watch, cmd_install;

/*
 * What `oemkvm doctor` asks the libvirt daemon, through the plugin's
 * doctor_ask (tools/virt/doctor-ask.c): versions, and the definitions of
 * the domain asked about or of every tagged one.  The plugin fills it, the
 * command frees it with tool_daemon_clear().
 */
struct tool_domain_xml {
        char *name;
        char *xml;                      /* the persistent definition (the live one if transient) */
        bool active;
};

struct tool_daemon {
        bool reached;
        char error[OEMKVM_ERROR_MAX];           /* !reached: why */
        unsigned long libvirt_version;          /* libvirt's encoding, 1000000 * major + … */
        unsigned long qemu_version;
        char domain_error[OEMKVM_ERROR_MAX];    /* the domain asked about is not there */
        struct tool_domain_xml *domains;
        size_t n_domains;
};

typedef void tool_daemon_ask_fn(const char *uri, const char *domain, struct tool_daemon *ret);
tool_daemon_ask_fn doctor_ask;
void tool_daemon_clear(struct tool_daemon *d);

/*
 * A symbol of the libvirt plugin, loading it on first use (the command
 * only: the plugin is where libvirt lives).  NULL with the reason in
 * errbuf when the plugin cannot be loaded or lacks the symbol.
 */
void *tool_plugin_symbol(const char *symbol, char *errbuf, size_t size);

/*
 * s as a JSON string on f: quoted, quotes, backslashes and C0/C1 control
 * characters escaped, bytes that are not UTF-8 as U+FFFD; null for NULL.
 * Firmware and libvirt strings are bytes, not text: every parser must
 * accept the output.
 */
void tool_json_string(FILE *f, const char *s);
/* s for a person on f: control characters and bytes that are not UTF-8
 * as '?', so a string cannot drive the terminal. */
void tool_text_print(FILE *f, const char *s);

/* "oemkvm: <message>" on stderr, once. */
void tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reports a library error record. */
void tool_report(const struct oemkvm_error *err, int r);
/* A library context on sysroot (NULL: "/"); reports a bad sysroot and returns NULL. */
struct oemkvm_ctx *tool_ctx_new(const char *sysroot);
/* Fails on an option-parsing problem with the subcommand's usage hint. */
int tool_usage_error(const char *cmd, const char *usage);

#endif
