/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `oemkvm doctor`'s driver: one run of every check, group by group
 * (license, gvt, install, confinement, stack), into a report the tool
 * prints.  Whether GVT-g is wanted is decided here, once: --gvt, or a
 * domain the caller was told about uses <oemkvm:gvt>.
 */
#include <string.h>

#include "host/doctor.h"
#include "util/util.h"

OEMKVM_EXPORT int oemkvm_doctor_run(const struct oemkvm_ctx *ctx, const struct oemkvm_doctor_in *in,
                                    struct oemkvm_report *ret, struct oemkvm_error *err)
{
        struct doctor d = {
                .ctx = ctx,
                .in = in,
                .live = !strcmp(oemkvm_ctx_get_sysroot(ctx), "/"),
                .want_gvt = in->gvt,
        };
        int r;

        for (size_t i = 0; i < in->n_domains; i++)
                d.want_gvt = d.want_gvt || (in->domains[i].tagged && in->domains[i].gvt);
        r = oemkvm_ctx_path(ctx, oemkvm_ctx_get_store_dir(ctx), &d.store);
        if (r < 0)
                return oemkvm_error_set(err, r, "out of memory");

        doctor_license(&d);
        doctor_gvt(&d);
        doctor_install(&d);
        doctor_confinement(&d);
        doctor_stack(&d);

        free(d.store);
        check_clear(&d.scratch);
        if (d.error) {
                oemkvm_report_clear(&d.report);
                return oemkvm_error_set(err, d.error, "out of memory running the checks");
        }
        *ret = d.report;
        return 0;
}
