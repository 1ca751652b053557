/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The doctor's report: a growing list of checks, each with its verdict,
 * what was found and the fix.  A failed allocation is remembered once and
 * the run goes on with a scratch check, so the groups never test for it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "host/doctor.h"
#include "util/util.h"

static const char *const verdict_names[] = {
        [OEMKVM_PASS] = "PASS",
        [OEMKVM_WARN] = "WARN",
        [OEMKVM_FAIL] = "FAIL",
        [OEMKVM_NA] = "N/A",
};

OEMKVM_EXPORT const char *oemkvm_verdict_name(enum oemkvm_verdict v)
{
        return (size_t)v < ARRAY_SIZE(verdict_names) ? verdict_names[v] : "?";
}

void check_clear(struct oemkvm_check *c)
{
        free(c->domain);
        free(c->what);
        free(c->detail);
        free(c->fix);
        *c = (struct oemkvm_check){};
}

OEMKVM_EXPORT void oemkvm_report_clear(struct oemkvm_report *report)
{
        if (!report)
                return;
        for (size_t i = 0; i < report->n; i++)
                check_clear(&report->checks[i]);
        free(report->checks);
        *report = (struct oemkvm_report){};
}

/* A one-line copy of a formatted string: a check prints as lines of its own. */
static char *format_line(const char *fmt, va_list ap)
{
        char *s;

        if (vasprintf(&s, fmt, ap) < 0)
                return NULL;
        for (char *p = s; *p; p++)
                if (*p == '\n' || *p == '\r')
                        *p = ' ';
        return s;
}

static void nomem(struct doctor *d)
{
        if (!d->error)
                d->error = -ENOMEM;
}

struct oemkvm_check *check_new(struct doctor *d, const char *id, const char *group,
                               const char *domain, const char *what, ...)
{
        struct oemkvm_check *list, *c;
        va_list ap;

        list = realloc(d->report.checks, (d->report.n + 1) * sizeof(*list));
        if (!list) {
                nomem(d);
                check_clear(&d->scratch);
                return &d->scratch;
        }
        d->report.checks = list;
        c = &list[d->report.n++];
        *c = (struct oemkvm_check){ .id = id, .group = group, .verdict = OEMKVM_PASS };
        va_start(ap, what);
        c->what = format_line(what, ap);
        va_end(ap);
        if (domain)
                c->domain = strdup(domain);
        if (!c->what || (domain && !c->domain))
                nomem(d);
        return c;
}

void check_set(struct doctor *d, struct oemkvm_check *c, enum oemkvm_verdict verdict,
               const char *detail, ...)
{
        va_list ap;

        c->verdict = verdict;
        free(c->detail);
        va_start(ap, detail);
        c->detail = format_line(detail, ap);
        va_end(ap);
        if (!c->detail)
                nomem(d);
}

void check_fix(struct doctor *d, struct oemkvm_check *c, const char *fix, ...)
{
        va_list ap;

        free(c->fix);
        va_start(ap, fix);
        c->fix = format_line(fix, ap);
        va_end(ap);
        if (!c->fix)
                nomem(d);
}

void check_set_message(struct doctor *d, struct oemkvm_check *c, enum oemkvm_verdict verdict,
                       const char *message, const char *fix)
{
        /* The library's messages read "what is wrong — what to do". */
        const char *dash = strstr(message, " — ");

        while (dash && strstr(dash + 1, " — "))
                dash = strstr(dash + 1, " — ");
        if (dash) {
                check_set(d, c, verdict, "%.*s", (int)(dash - message), message);
                check_fix(d, c, "%s", fix ? fix : dash + strlen(" — "));
        } else {
                check_set(d, c, verdict, "%s", message);
                if (fix)
                        check_fix(d, c, "%s", fix);
        }
}

void list_add(char *buf, size_t size, const char *fmt, ...)
{
        size_t n = strlen(buf);
        va_list ap;

        if (n && n + 2 < size) {
                strcpy(buf + n, ", ");
                n += 2;
        }
        va_start(ap, fmt);
        vsnprintf(buf + n, size - n, fmt, ap);
        va_end(ap);
}
