/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The patch engine on any domain XML ("@STORE@" stands for the fuzz
 * store).  Properties, from oemkvm.h: patching the output again gives the
 * same bytes and reports no change; input that needs nothing comes back
 * byte-identical; the output's license files can be listed.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct oemkvm_ctx *ctx;
        struct oemkvm_patch_result res = {}, again = {};
        struct oemkvm_error err = {};
        char **files = NULL;
        size_t len;
        char *xml;

        if (!ctx)
                ctx = fuzz_ctx(fuzz_store());
        xml = fuzz_xml(data, size, &len);
        if (oemkvm_patch(ctx, xml, len, &res, &err) < 0)
                goto done;
        if (!(res.flags & OEMKVM_PATCH_CHANGED) && (res.len != len || memcmp(res.xml, xml, len)))
                fuzz_fail("an unchanged patch did not hand back the input bytes");
        if (oemkvm_patch(ctx, res.xml, res.len, &again, &err) < 0)
                fuzz_fail("patching the output again fails: %s", err.message);
        if (again.len != res.len || memcmp(again.xml, res.xml, res.len))
                fuzz_fail("patching the output again changes it:\n--- once\n%s\n--- twice\n%s", res.xml, again.xml);
        if (again.flags & OEMKVM_PATCH_CHANGED)
                fuzz_fail("patching the output again reports a change");
        if (oemkvm_patch_files(res.xml, res.len, &files, &err) < 0)
                fuzz_fail("the output's license files cannot be listed: %s", err.message);
        oemkvm_strv_free(files);
done:
        oemkvm_patch_result_clear(&res);
        oemkvm_patch_result_clear(&again);
        free(xml);
        return 0;
}
