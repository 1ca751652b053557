/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NULL-terminated arrays of malloc'd strings, as the library hands out lists. */
#include "util/util.h"

void oemkvm_strv_free(char **strv)
{
        for (char **s = strv; s && *s; s++)
                free(*s);
        free(strv);
}
