/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the oemkvm command's files share: one entry point per subcommand. */
#ifndef OEMKVM_TOOL_H
#define OEMKVM_TOOL_H

#include <stdbool.h>

#include "oemkvm.h"

/* Each subcommand gets argv with argv[0] = its own name; returns the exit code. */
int cmd_dump(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_patch(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_watch(int argc, char **argv);

/* "oemkvm: <message>" on stderr, once. */
void tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reports a library error record. */
void tool_report(const struct oemkvm_error *err, int r);
/* A library context on sysroot (NULL: "/"); reports a bad sysroot and returns NULL. */
struct oemkvm_ctx *tool_ctx_new(const char *sysroot);
/* Fails on an option-parsing problem with the subcommand's usage hint. */
int tool_usage_error(const char *cmd, const char *usage);

#endif
