/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tag and the record as the engine reads them: the input is the
 * inside of <metadata> of a fixed Windows domain, so mutations land on
 * <oemkvm:config>, its children and attributes, and the
 * <oemkvm-state:state> record ("@STORE@" stands for the fuzz store).
 * Runs the hook's verdict (the engine's answer plus the license files) and
 * a patch.  Properties: the verdict never refuses what patch would leave
 * unchanged; a patched definition needs no change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "domain/engine.h"

static const char head[] =
        "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
        "  <name>win11</name>\n"
        "  <metadata>";
static const char tail[] =
        "</metadata>\n"
        "  <vcpu placement='static'>4</vcpu>\n"
        "  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>\n"
        "  <cpu mode='host-passthrough'><topology sockets='4' dies='1' cores='1' threads='1'/></cpu>\n"
        "  <devices>\n"
        "    <disk type='file' device='disk'><source file='/var/lib/libvirt/images/w.qcow2'/>"
        "<target dev='sda' bus='sata'/><address type='drive' controller='0' bus='0' target='0' unit='0'/></disk>\n"
        "    <disk type='file' device='disk'><target dev='hdb' bus='ide'/></disk>\n"
        "    <disk type='file' device='cdrom'><source file='/srv/win.iso'/><target dev='sdc' bus='sata'/><readonly/></disk>\n"
        "    <controller type='scsi' index='0' model='lsilogic'/>\n"
        "    <interface type='network'><mac address='52:54:00:6b:3c:58'/><model type='e1000e'/></interface>\n"
        "    <interface type='network'><mac address='52:54:00:6b:3c:59'/></interface>\n"
        "  </devices>\n"
        "  <qemu:commandline><qemu:arg value='-acpitable'/><qemu:arg value='file=@STORE@/msdm.bin'/></qemu:commandline>\n"
        "</domain>\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct oemkvm_ctx *ctx;
        struct oemkvm_patch_result res = {}, again = {};
        struct oemkvm_error err = {};
        struct patch *def = NULL;
        char **files = NULL;
        unsigned flags = 0;
        size_t len, dlen;
        uint8_t *doc;
        char *xml;
        int r;

        if (!ctx)
                ctx = fuzz_ctx(fuzz_store());
        dlen = sizeof(head) - 1 + size + sizeof(tail) - 1;
        doc = malloc(dlen);
        if (!doc)
                abort();
        memcpy(doc, head, sizeof(head) - 1);
        memcpy(doc + sizeof(head) - 1, data, size);
        memcpy(doc + sizeof(head) - 1 + size, tail, sizeof(tail) - 1);
        xml = fuzz_xml(doc, dlen, &len);
        free(doc);

        r = patch_open(xml, len, &def, &err);
        if (r >= 0)
                r = patch_verify(ctx, def, &flags, &files, NULL, &err);
        patch_free(def);
        oemkvm_strv_free(files);
        if (oemkvm_patch(ctx, xml, len, &res, &err) < 0) {
                if (r >= 0)
                        fuzz_fail("the hook's verdict accepts what patch refuses: %s", err.message);
                goto done;
        }
        if (r < 0)
                fuzz_fail("patch accepts what the hook's verdict refuses");
        /* The verdict lets a start go on when only the record would change
         * (a value marked as the user's); never when patch changes nothing. */
        if ((flags & OEMKVM_PATCH_CHANGED) && !(res.flags & OEMKVM_PATCH_CHANGED))
                fuzz_fail("the hook's verdict refuses a definition patch would not change");
        if (oemkvm_patch(ctx, res.xml, res.len, &again, &err) < 0)
                fuzz_fail("patching the output again fails: %s", err.message);
        if (again.len != res.len || memcmp(again.xml, res.xml, res.len))
                fuzz_fail("patching the output again changes it:\n--- once\n%s\n--- twice\n%s", res.xml, again.xml);
done:
        oemkvm_patch_result_clear(&res);
        oemkvm_patch_result_clear(&again);
        free(xml);
        return 0;
}
