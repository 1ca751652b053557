/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The doctor's insides, shared by its driver (doctor.c), the report
 * (report.c) and one file per group of checks (doctor-license.c,
 * doctor-gvt.c, doctor-install.c, doctor-confinement.c, doctor-stack.c).
 * Calls go driver -> groups -> report and the readers, never back up.
 * Not exported.
 */
#ifndef OEMKVM_HOST_DOCTOR_H
#define OEMKVM_HOST_DOCTOR_H

#include <stdbool.h>

#include "oemkvm.h"

/* One run: what it reads, what it was told, what it found so far. */
struct doctor {
        const struct oemkvm_ctx *ctx;
        const struct oemkvm_doctor_in *in;
        bool live;                      /* the sysroot is "/": this very machine */
        bool want_gvt;                  /* --gvt, or a domain uses <oemkvm:gvt> */
        char *store;                    /* the store as seen through the sysroot */
        struct oemkvm_report report;
        struct oemkvm_check scratch;    /* stands in for a check that could not be added */
        int error;                      /* the first allocation failure */
};

/*
 * A new check, PASS until told otherwise; `what` is a printf format
 * ("Checking for <what>").  domain names the domain a per-domain check is
 * about (NULL: the host).  An allocation failure is kept in d->error and
 * reported once by the driver; the check returned is then a scratch one.
 */
struct oemkvm_check *check_new(struct doctor *d, const char *id, const char *group,
                               const char *domain, const char *what, ...)
        __attribute__((format(printf, 5, 6)));
/* Frees what a check holds. */
void check_clear(struct oemkvm_check *c);
/* Sets the verdict and what was found (a printf format). */
void check_set(struct doctor *d, struct oemkvm_check *c, enum oemkvm_verdict verdict,
               const char *detail, ...) __attribute__((format(printf, 4, 5)));
/* Sets the fix (a printf format): one line, the command or the file and line to change. */
void check_fix(struct doctor *d, struct oemkvm_check *c, const char *fix, ...)
        __attribute__((format(printf, 3, 4)));

/*
 * Sets the verdict from a library message "what is wrong — what to do":
 * the first part becomes the detail, the second the fix (unless fix is
 * given: it wins).
 */
void check_set_message(struct doctor *d, struct oemkvm_check *c, enum oemkvm_verdict verdict,
                       const char *message, const char *fix);

/* Appends ", <formatted>" to buf (no comma when buf is empty); truncates. */
void list_add(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The groups, in the order they print. */
void doctor_license(struct doctor *d);
void doctor_gvt(struct doctor *d);
void doctor_install(struct doctor *d);
void doctor_confinement(struct doctor *d);
void doctor_stack(struct doctor *d);

#endif
