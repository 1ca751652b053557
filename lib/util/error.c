/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one-line error record every fallible library call can fill in. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/util.h"

OEMKVM_EXPORT int oemkvm_error_set(struct oemkvm_error *err, int code, const char *fmt, ...)
{
        va_list ap;

        if (!err)
                return code;

        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);

        /* Keep it one line whatever was formatted in. */
        for (char *p = err->message; *p; p++)
                if (*p == '\n' || *p == '\r')
                        *p = ' ';
        return code;
}
