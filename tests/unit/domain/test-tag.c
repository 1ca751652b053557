/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tag in a whole definition, as `oemkvm tag` sets it with one define:
 * set, replaced, removed, read back, and nothing else touched.
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "oemkvm.h"

static const char bare[] =
        "<domain type='kvm'>\n"
        "  <name>w</name>\n"
        "  <uuid>5e2b2c6a-53c3-4c4e-9c53-f5c7b0f3a4d1</uuid>\n"
        "  <memory unit='KiB'>1048576</memory>\n"
        "</domain>\n";

TEST(set_on_a_bare_domain)
{
        const struct oemkvm_tag tag = { .license = true, .edition = "pro" };
        struct oemkvm_error err = {};
        char *out = NULL, *again = NULL;

        CHECK_INT(oemkvm_tag_set(&tag, bare, strlen(bare), &out, &err), 1);
        CHECK_STR(out,
                  "<domain type=\"kvm\">\n"
                  "  <name>w</name>\n"
                  "  <uuid>5e2b2c6a-53c3-4c4e-9c53-f5c7b0f3a4d1</uuid>\n"
                  "  <metadata>\n"
                  "    <oemkvm:config xmlns:oemkvm=\"urn:oemkvm:domain:1\">\n"
                  "      <oemkvm:license/>\n"
                  "      <oemkvm:topology edition=\"pro\"/>\n"
                  "    </oemkvm:config>\n"
                  "  </metadata>\n"
                  "  <memory unit=\"KiB\">1048576</memory>\n"
                  "</domain>\n");
        /* The same tag again: nothing to change, the input back. */
        CHECK_INT(oemkvm_tag_set(&tag, out, strlen(out), &again, &err), 0);
        CHECK_STR(again, out);
        free(again);
        /* Removed: the <metadata> that held only the tag goes too. */
        CHECK_INT(oemkvm_tag_set(NULL, out, strlen(out), &again, &err), 1);
        CHECK_STR(again,
                  "<domain type=\"kvm\">\n"
                  "  <name>w</name>\n"
                  "  <uuid>5e2b2c6a-53c3-4c4e-9c53-f5c7b0f3a4d1</uuid>\n"
                  "  <memory unit=\"KiB\">1048576</memory>\n"
                  "</domain>\n");
        free(again);
        free(out);
}

/* A tag virsh metadata set (children without a namespace) is replaced;
 * other metadata stays. */
TEST(replace_and_read)
{
        static const char xml[] =
                "<domain type='kvm'><name>w</name><metadata>"
                "<libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'/>"
                "<oemkvm:config xmlns:oemkvm='urn:oemkvm:domain:1'><license source='/srv/dump'/><topology edition='home'/></oemkvm:config>"
                "</metadata></domain>";
        const struct oemkvm_tag tag = { .virtio = true, .drivers_iso = "/srv/virtio-win.iso" };
        struct oemkvm_tag *got = NULL;
        struct oemkvm_error err = {};
        char *out = NULL, *untagged = NULL;

        CHECK_INT(oemkvm_tag_get(xml, strlen(xml), &got, &err), 0);
        CHECK(got && got->license && !got->virtio);
        CHECK_STR(got ? got->license_dir : NULL, "/srv/dump");
        CHECK_STR(got ? got->edition : NULL, "home");
        oemkvm_tag_free(got);

        CHECK_INT(oemkvm_tag_set(&tag, xml, strlen(xml), &out, &err), 1);
        CHECK_CONTAINS(out, "<libosinfo:libosinfo");
        CHECK_CONTAINS(out, "<oemkvm:virtio storage=\"scsi\" network=\"virtio\" drivers=\"/srv/virtio-win.iso\"/>");
        CHECK(!strstr(out, "license"));
        CHECK_INT(oemkvm_tag_get(out, strlen(out), &got, &err), 0);
        CHECK(got && !got->license && got->virtio && !got->edition);
        CHECK_STR(got ? got->drivers_iso : NULL, "/srv/virtio-win.iso");
        oemkvm_tag_free(got);

        CHECK_INT(oemkvm_tag_set(NULL, out, strlen(out), &untagged, &err), 1);
        CHECK_CONTAINS(untagged, "<metadata><libosinfo:libosinfo");
        CHECK_INT(oemkvm_tag_get(untagged, strlen(untagged), &got, &err), 0);
        CHECK(got == NULL);
        free(untagged);
        free(out);
}

TEST(refused_before_anything)
{
        const struct oemkvm_tag bad_edition = { .edition = "server" }, bad_iso = { .virtio = true, .drivers_iso = "win.iso" };
        struct oemkvm_error err = {};
        char *out = NULL;

        CHECK_INT(oemkvm_tag_set(&bad_edition, bare, strlen(bare), &out, &err), -EINVAL);
        CHECK_CONTAINS(err.message, "the edition is one of");
        CHECK_INT(oemkvm_tag_set(&bad_iso, bare, strlen(bare), &out, &err), -EINVAL);
        CHECK_CONTAINS(err.message, "not an absolute path");
        CHECK_INT(oemkvm_tag_set(NULL, "<network/>", 10, &out, &err), -EINVAL);
        CHECK_CONTAINS(err.message, "expected <domain>");
        CHECK(out == NULL);
}

TESTS(T(set_on_a_bare_domain), T(replace_and_read), T(refused_before_anything))
