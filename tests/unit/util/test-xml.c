/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The XML layer on hostile and unusual input: a DOCTYPE (the door to
 * entity bombs) is refused before anything is expanded, so memory stays
 * bounded; namespace errors are parse errors; libxml2 never prints; and
 * what is written back is in the encoding the declaration names.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"
#include "util/xml.h"

/* Runs parse on xml with stderr sent to a file; returns what reached it. */
static char *stderr_of_parse(const char *xml, size_t len, int *ret_r, struct oemkvm_error *err)
{
        char path[] = "/tmp/oemkvm-xml-stderr.XXXXXX";
        int fd = mkstemp(path), saved = dup(STDERR_FILENO);
        xmlDoc *doc = NULL;
        size_t n;
        char *out;

        if (fd < 0 || saved < 0)
                abort();
        fflush(stderr);
        dup2(fd, STDERR_FILENO);
        *ret_r = xml_parse(xml, len, "domain XML", &doc, err);
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        close(fd);
        out = (char *)check_read_file(path, &n);
        unlink(path);
        if (doc)
                xmlFreeDoc(doc);
        return out;
}

static long maxrss_kib(void)
{
        struct rusage ru;

        if (getrusage(RUSAGE_SELF, &ru) < 0)
                abort();
        return ru.ru_maxrss;
}

TEST(doctype_refused)
{
        static const char *const inputs[] = {
                "<!DOCTYPE domain>\n<domain/>",
                "<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY n SYSTEM \"file:///etc/passwd\">]>\n<domain><name>&n;</name></domain>",
                "<!DOCTYPE domain SYSTEM \"http://example.com/x.dtd\"><domain/>",
        };

        for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
                struct oemkvm_error err = {};
                int r;
                char *printed = stderr_of_parse(inputs[i], strlen(inputs[i]), &r, &err);

                CHECK_INT(r, -EINVAL);
                CHECK_CONTAINS(err.message, "domain XML: line ");
                CHECK_CONTAINS(err.message, "DOCTYPE");
                CHECK(!strchr(err.message, '\n'));
                CHECK_STR(printed, "");
                free(printed);
        }
}

/* One 1 MB entity used 2000 times: 2 GB once expanded.  Refused before
 * the entity is even declared, so memory hardly grows. */
TEST(entity_bomb_bounded)
{
        size_t ent = 1u << 20, refs = 2000, len = 0;
        char *xml = malloc(ent + refs * 4 + 256);
        struct oemkvm_error err = {};
        long before;
        int r;
        char *printed;

        if (!xml)
                abort();
        len += (size_t)sprintf(xml, "<!DOCTYPE domain [<!ENTITY a \"");
        memset(xml + len, 'x', ent);
        len += ent;
        len += (size_t)sprintf(xml + len, "\">]><domain><name>");
        for (size_t i = 0; i < refs; i++)
                len += (size_t)sprintf(xml + len, "&a;");
        len += (size_t)sprintf(xml + len, "</name></domain>");

        before = maxrss_kib();
        printed = stderr_of_parse(xml, len, &r, &err);
        CHECK_INT(r, -EINVAL);
        CHECK_CONTAINS(err.message, "DOCTYPE");
        CHECK_STR(printed, "");
        /* Well below what one expansion of the entity would take. */
        CHECK(maxrss_kib() - before < 64 * 1024);
        free(printed);
        free(xml);
}

TEST(namespace_errors_are_parse_errors)
{
        static const struct {
                const char *xml;
                const char *message;
        } cases[] = {
                { "<domain xmlns:q:x='urn:x'><name>a</name></domain>", "line 1" },
                { "<domain>\n  <qemu:commandline/>\n</domain>", "line 2" },
                { "<domain><name q:a='1'>a</name></domain>", "line 1" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct oemkvm_error err = {};
                int r;
                char *printed = stderr_of_parse(cases[i].xml, strlen(cases[i].xml), &r, &err);

                CHECK_INT(r, -EINVAL);
                CHECK_CONTAINS(err.message, "domain XML: malformed XML at ");
                CHECK_CONTAINS(err.message, cases[i].message);
                CHECK_CONTAINS(err.message, "amespace");
                CHECK_STR(printed, "");
                free(printed);
        }
}

TEST(malformed_prints_nothing)
{
        struct oemkvm_error err = {};
        int r;
        char *printed = stderr_of_parse("<domain>\n<a></b>", 16, &r, &err);

        CHECK_INT(r, -EINVAL);
        CHECK_CONTAINS(err.message, "line 2");
        CHECK_STR(printed, "");
        free(printed);
}

/* What comes out is in the encoding the declaration names, byte for byte
 * where nothing changed. */
TEST(encoding_kept)
{
        static const char latin1[] =
                "<?xml version='1.0' encoding='ISO-8859-1'?>\n<domain><description>caf\xe9 \xa7</description><name>a</name></domain>\n";
        static const char utf8[] =
                "\xef\xbb\xbf<?xml version=\"1.0\"?>\n<domain><description>caf\xc3\xa9 \xe2\x82\xac</description></domain>";
        xmlDoc *doc = NULL;
        char *out;
        size_t len;

        CHECK_INT(xml_parse(latin1, strlen(latin1), "t", &doc, NULL), 0);
        xmlSetProp(xmlDocGetRootElement(doc), BAD_CAST "type", BAD_CAST "kvm");
        CHECK_INT(xml_serialize(doc, latin1, strlen(latin1), &out, &len), 0);
        CHECK_STR(out, "<?xml version='1.0' encoding='ISO-8859-1'?>\n<domain type=\"kvm\"><description>caf\xe9 \xa7</description><name>a</name></domain>\n");
        free(out);
        /* A character Latin-1 lacks becomes a character reference. */
        xmlNodeSetContent(xml_child(xmlDocGetRootElement(doc), NULL, "name"), BAD_CAST "\xe2\x82\xac");
        CHECK_INT(xml_serialize(doc, latin1, strlen(latin1), &out, &len), 0);
        CHECK_CONTAINS(out, "<name>&#8364;</name>");
        free(out);
        xmlFreeDoc(doc);

        /* UTF-8 with a byte-order mark keeps both. */
        CHECK_INT(xml_parse(utf8, strlen(utf8), "t", &doc, NULL), 0);
        CHECK_INT(xml_serialize(doc, utf8, strlen(utf8), &out, &len), 0);
        CHECK_STR(out, utf8);
        free(out);
        xmlFreeDoc(doc);
}

/* Real UTF-16 (with its byte-order mark): the declaration is not ASCII,
 * so the declaration-keeping serializer could not honour it. */
TEST(wide_encodings_refused)
{
        static const char text[] = "<?xml version='1.0' encoding='UTF-16'?><domain/>";
        char utf16[2 + 2 * sizeof(text)];
        struct oemkvm_error err = {};
        xmlDoc *doc = NULL;
        size_t len = 0;

        utf16[len++] = (char)0xff;
        utf16[len++] = (char)0xfe;
        for (size_t i = 0; text[i]; i++) {
                utf16[len++] = text[i];
                utf16[len++] = 0;
        }
        CHECK_INT(xml_parse(utf16, len, "domain XML", &doc, &err), -EINVAL);
        CHECK_CONTAINS(err.message, "encoding 'UTF-16' is not accepted");
        CHECK_CONTAINS(err.message, "UTF-8");
        CHECK(doc == NULL);
}

TESTS(T(doctype_refused), T(entity_bomb_bounded), T(namespace_errors_are_parse_errors),
      T(malformed_prints_nothing), T(encoding_kept), T(wide_encodings_refused))
