/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Windows client editions and their CPU caps, the one table the topology
 * feature and the tag builder read.  Every edition allows 1 socket at
 * least; the cores cap is what limits a 1-socket guest, the sockets cap
 * decides whether a user's SMT layout can stay.
 */
#include <stdio.h>
#include <string.h>

#include "domain/domain.h"

static const struct edition editions[] = {
        { "home",         "Home",                 1, 64  },
        { "pro",          "Pro",                  2, 128 },
        { "education",    "Education",            2, 128 },
        { "enterprise",   "Enterprise",           2, 256 },
        { "workstations", "Pro for Workstations", 4, 256 },
};

const struct edition *edition_find(const char *name)
{
        for (size_t i = 0; name && i < ARRAY_SIZE(editions); i++)
                if (!strcmp(name, editions[i].name))
                        return &editions[i];
        return NULL;
}

const struct edition *edition_at(size_t i)
{
        return i < ARRAY_SIZE(editions) ? &editions[i] : NULL;
}

int edition_check(const char *name, struct oemkvm_error *err)
{
        char names[128] = "", shown[DOMAIN_SHOWN_MAX];

        if (edition_find(name))
                return 0;
        for (size_t i = 0; i < ARRAY_SIZE(editions); i++)
                snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
                         i ? ", " : "", editions[i].name);
        domain_shown(name ? name : "", shown);
        return oemkvm_error_set(err, -EINVAL, "<oemkvm:topology edition='%s'>: the edition is one of %s",
                                shown, names);
}
