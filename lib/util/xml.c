/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxml2 helpers for editing domain XML without disturbing the rest of it. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>
#include <libxml/xmlversion.h>

#include "util/xml.h"

#define INDENT_UNIT "  "

/* What the parse found wrong first; later errors follow from it. */
struct first_error {
        int line;
        char message[256];
};

static void first_error_set(struct first_error *f, int line, const char *prefix, const char *message)
{
        size_t n;

        if (f->line)
                return;
        f->line = line > 0 ? line : 1;
        snprintf(f->message, sizeof(f->message), "%s%s", prefix, message);
        n = strlen(f->message);
        while (n > 0 && (f->message[n - 1] == '\n' || f->message[n - 1] == ' '))
                f->message[--n] = 0;
        /* One line, whatever libxml2 put into it. */
        for (char *c = f->message; *c; c++)
                if (*c == '\n' || *c == '\r' || *c == '\t')
                        *c = ' ';
}

/* libxml2 2.12 made the structured handlers' error const. */
#if LIBXML_VERSION >= 21200
typedef const xmlError xml_error_t;
#else
typedef xmlError xml_error_t;
#endif

/* data: the parser context (see xml_parse). */
static void keep_first_error(void *data, xml_error_t *e)
{
        if (!e || e->level < XML_ERR_ERROR)
                return;
        first_error_set(((xmlParserCtxt *)data)->_private, e->line,
                        e->domain == XML_FROM_NAMESPACE ? "namespace error: " : "",
                        e->message ? e->message : "not well-formed");
}

/*
 * libvirt never writes a DOCTYPE, and only a DOCTYPE can declare entities:
 * refusing it here, before its internal subset is parsed, keeps entity
 * bombs (a flat 1 MB entity referenced thousands of times) out entirely.
 */
static void refuse_doctype(void *data, const xmlChar *name, const xmlChar *external_id,
                           const xmlChar *system_id)
{
        xmlParserCtxt *pc = data;
        struct first_error *f = pc->_private;

        (void)name;
        (void)external_id;
        (void)system_id;
        first_error_set(f, xmlSAX2GetLineNumber(pc), "", "");
        f->message[0] = 0;
        pc->wellFormed = 0;
        xmlStopParser(pc);
}

/* libxml2 prints what it has no handler for (allocation failures in
 * tree functions among them) on stderr; the library never prints. */
static void discard_generic(void *data, const char *fmt, ...)
{
        (void)data;
        (void)fmt;
}

static void discard_structured(void *data, xml_error_t *e)
{
        (void)data;
        (void)e;
}

static void libxml2_quiet(void)
{
        xmlSetGenericErrorFunc(NULL, discard_generic);
        xmlSetStructuredErrorFunc(NULL, discard_structured);
}

/* Encodings whose declaration is not ASCII-compatible: the serializer
 * keeps the input's declaration as bytes, so refuse them. */
static bool encoding_wide(const char *enc)
{
        static const char *const wide[] = { "UTF-16", "UTF16", "UCS-2", "UCS2", "UTF-32", "UTF32", "UCS-4", "UCS4" };

        for (size_t i = 0; enc && i < ARRAY_SIZE(wide); i++)
                if (!strncasecmp(enc, wide[i], strlen(wide[i])))
                        return true;
        return false;
}

int xml_parse(const char *xml, size_t len, const char *what, xmlDoc **ret,
              struct oemkvm_error *err)
{
        struct first_error first = {};
        xmlParserCtxt *pc;
        xmlDoc *doc;
        bool ns_ok;
        int options;

        libxml2_quiet();
        if (len > INT_MAX)
                return oemkvm_error_set(err, -EFBIG, "%s: XML larger than %d bytes", what, INT_MAX);

        pc = xmlNewParserCtxt();
        if (!pc)
                return oemkvm_error_set(err, -ENOMEM, "out of memory parsing %s", what);
        pc->_private = &first;
        pc->sax->internalSubset = refuse_doctype;

        /* No NOENT (entities stay references), no DTD loading, no network.
         * Our handler keeps libxml2 from printing.  2.13 added
         * xmlCtxtSetErrorHandler(), whose handler replaces the printing one;
         * there NOERROR would withhold the errors from it too.  Before, the
         * SAX handler's serror gets them and NOERROR/NOWARNING silence the
         * generic handlers. */
#if LIBXML_VERSION >= 21300
        xmlCtxtSetErrorHandler(pc, keep_first_error, pc);
        options = XML_PARSE_NONET;
#else
        pc->sax->serror = keep_first_error;
        options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
#endif
        doc = xmlCtxtReadMemory(pc, xml, (int)len, NULL, NULL, options);
        ns_ok = pc->nsWellFormed;
        xmlFreeParserCtxt(pc);
        if (doc && (!ns_ok || first.line)) {
                xmlFreeDoc(doc);
                doc = NULL;
        }
        if (!doc && first.line && !first.message[0])
                return oemkvm_error_set(err, -EINVAL,
                                        "%s: line %d: a DOCTYPE is not accepted (it can declare entities) — libvirt never writes one; remove it",
                                        what, first.line);
        if (!doc)
                return oemkvm_error_set(err, -EINVAL, "%s: malformed XML at line %d: %s", what,
                                        first.line, first.line ? first.message : "not well-formed");
        if (!xmlDocGetRootElement(doc)) {
                xmlFreeDoc(doc);
                return oemkvm_error_set(err, -EINVAL, "%s: no root element", what);
        }
        if (encoding_wide((const char *)doc->encoding)) {
                int r = oemkvm_error_set(err, -EINVAL,
                                         "%s: encoding '%s' is not accepted — libvirt reads and writes UTF-8; convert it (iconv -t UTF-8) and drop the declaration's encoding",
                                         what, (const char *)doc->encoding);

                xmlFreeDoc(doc);
                return r;
        }
        *ret = doc;
        return 0;
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

#define UTF8_BOM "\xef\xbb\xbf"

int xml_serialize(xmlDoc *doc, const char *orig, size_t orig_len, char **ret, size_t *ret_len)
{
        xmlBuffer *buf;
        xmlSaveCtxt *save;
        size_t head = 0, body_len, tail = 0, n;
        bool decl = false;
        const char *body;
        char *out;

        /* Keep the user's byte-order mark and declaration verbatim (libxml2
         * would rewrite them); the body is written in the encoding that
         * declaration names. */
        if (orig_len >= 3 && !memcmp(orig, UTF8_BOM, 3))
                head = 3;
        if (orig_len >= head + 5 && !memcmp(orig + head, "<?xml", 5)) {
                const char *end = memmem(orig + head, orig_len - head, "?>", 2);

                if (end) {
                        head = (size_t)(end - orig) + 2;
                        decl = true;
                }
        }

        buf = xmlBufferCreate();
        if (!buf)
                return -ENOMEM;
        save = xmlSaveToBuffer(buf, doc->encoding ? (const char *)doc->encoding : "UTF-8", XML_SAVE_NO_DECL);
        if (!save) {
                xmlBufferFree(buf);
                return -ENOMEM;
        }
        if (xmlSaveDoc(save, doc) < 0 || xmlSaveClose(save) < 0) {
                xmlBufferFree(buf);
                return -ENOMEM;
        }

        /* libxml2 ends the document with one newline; keep the input's own
         * trailing whitespace instead. */
        body = (const char *)xmlBufferContent(buf);
        body_len = (size_t)xmlBufferLength(buf);
        while (body_len > 0 && is_space(body[body_len - 1]))
                body_len--;
        while (tail < orig_len && is_space(orig[orig_len - tail - 1]))
                tail++;

        out = malloc(head + 1 + body_len + tail + 1);
        if (!out) {
                xmlBufferFree(buf);
                return -ENOMEM;
        }
        memcpy(out, orig, head);
        n = head;
        if (decl)
                out[n++] = '\n';
        memcpy(out + n, body, body_len);
        n += body_len;
        memcpy(out + n, orig + orig_len - tail, tail);
        n += tail;
        out[n] = 0;
        xmlBufferFree(buf);

        *ret = out;
        *ret_len = n;
        return 0;
}

bool xml_is(const xmlNode *n, const char *ns, const char *name)
{
        if (!n || n->type != XML_ELEMENT_NODE)
                return false;
        if (!name)
                return !ns || (n->ns && xmlStrEqual(n->ns->href, BAD_CAST ns));
        if (!xmlStrEqual(n->name, BAD_CAST name))
                return false;
        if (!ns)
                return !n->ns;
        return n->ns && xmlStrEqual(n->ns->href, BAD_CAST ns);
}

xmlNode *xml_next(const xmlNode *n, const char *ns, const char *name)
{
        for (n = n->next; n; n = n->next)
                if (xml_is(n, ns, name))
                        return (xmlNode *)n;
        return NULL;
}

xmlNode *xml_child(const xmlNode *parent, const char *ns, const char *name)
{
        const xmlNode *c = parent ? parent->children : NULL;

        if (!c)
                return NULL;
        return xml_is(c, ns, name) ? (xmlNode *)c : xml_next(c, ns, name);
}

const char *xml_attr(const xmlNode *n, const char *name)
{
        for (const xmlAttr *a = n ? n->properties : NULL; a; a = a->next) {
                if (a->ns || !xmlStrEqual(a->name, BAD_CAST name))
                        continue;
                if (a->children && a->children->type == XML_TEXT_NODE && !a->children->next)
                        return (const char *)a->children->content;
                return "";
        }
        return NULL;
}

bool xml_attr_is(const xmlNode *n, const char *name, const char *value)
{
        const char *v = xml_attr(n, name);

        if (!value)
                return !v;
        return v && !strcmp(v, value);
}

int xml_attr_set(xmlNode *n, const char *name, const char *value)
{
        if (!value) {
                xmlUnsetProp(n, BAD_CAST name);
                return 0;
        }
        return xmlSetProp(n, BAD_CAST name, BAD_CAST value) ? 0 : -ENOMEM;
}

xmlNode *xml_new(xmlNs *ns, const char *name, ...)
{
        xmlNode *n = xmlNewNode(ns, BAD_CAST name);
        const char *k;
        va_list ap;

        if (!n)
                return NULL;
        va_start(ap, name);
        while ((k = va_arg(ap, const char *))) {
                const char *v = va_arg(ap, const char *);

                if (!xmlNewProp(n, BAD_CAST k, BAD_CAST v)) {
                        xmlFreeNode(n);
                        n = NULL;
                        break;
                }
        }
        va_end(ap);
        return n;
}

static bool is_blank_text(const xmlNode *n)
{
        return n && n->type == XML_TEXT_NODE && xmlIsBlankNode((xmlNode *)n);
}

/* The indentation in front of n: what follows the last newline of the
 * blank text before it, else two spaces per level. */
static void indent_of(const xmlNode *n, char *buf, size_t size)
{
        size_t depth = 0;

        if (is_blank_text(n->prev) && n->prev->content) {
                const char *nl = strrchr((const char *)n->prev->content, '\n');

                if (nl) {
                        snprintf(buf, size, "%s", nl + 1);
                        return;
                }
        }
        for (const xmlNode *p = n->parent; p && p->type == XML_ELEMENT_NODE; p = p->parent)
                depth++;
        buf[0] = 0;
        for (size_t i = 0; i < depth && strlen(buf) + 2 < size; i++)
                strcat(buf, INDENT_UNIT);
}

static void add_text_before(xmlNode *ref, const char *nl_indent)
{
        xmlNode *t = xmlNewText(BAD_CAST nl_indent);

        if (t)
                xmlAddPrevSibling(ref, t);
}

static void drop_blank_children(xmlNode *parent)
{
        for (xmlNode *c = parent->children; c; c = c->next)
                if (!is_blank_text(c))
                        return;
        while (parent->children) {
                xmlNode *t = parent->children;

                xmlUnlinkNode(t);
                xmlFreeNode(t);
        }
}

/* Indents the element children of a node oemkvm built (it has no text yet). */
static void format_new(xmlNode *node, const char *indent)
{
        char inner[256], nl[258];
        xmlNode *t;

        if (!xml_child(node, NULL, NULL))
                return;
        for (xmlNode *c = node->children; c; c = c->next)
                if (c->type == XML_TEXT_NODE)
                        return;

        snprintf(inner, sizeof(inner), "%s" INDENT_UNIT, indent);
        snprintf(nl, sizeof(nl), "\n%s", inner);
        for (xmlNode *c = node->children; c; c = c->next) {
                add_text_before(c, nl);
                format_new(c, inner);
        }
        snprintf(nl, sizeof(nl), "\n%s", indent);
        t = xmlNewText(BAD_CAST nl);
        if (t)
                xmlAddChild(node, t);
}

void xml_insert_after(xmlNode *ref, xmlNode *node)
{
        char indent[256], nl[258];
        xmlNode *t;

        indent_of(ref, indent, sizeof(indent));
        snprintf(nl, sizeof(nl), "\n%s", indent);
        /* Node first, then the text between: xmlAddNextSibling merges
         * adjacent text nodes, and ref->next is then an element. */
        xmlAddNextSibling(ref, node);
        t = xmlNewText(BAD_CAST nl);
        if (t)
                xmlAddNextSibling(ref, t);
        format_new(node, indent);
}

void xml_insert_after_or_append(xmlNode *parent, xmlNode *ref, xmlNode *node)
{
        if (ref)
                xml_insert_after(ref, node);
        else
                xml_append(parent, node);
}

void xml_append(xmlNode *parent, xmlNode *node)
{
        xmlNode *last = NULL;
        char pindent[256], cindent[258], nl[260];

        for (xmlNode *c = parent->children; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE)
                        last = c;
        if (last) {
                xml_insert_after(last, node);
                return;
        }

        /* An empty parent: drop its blank text and lay it out afresh. */
        drop_blank_children(parent);
        indent_of(parent, pindent, sizeof(pindent));
        snprintf(cindent, sizeof(cindent), "%s" INDENT_UNIT, pindent);
        xmlAddChild(parent, node);
        snprintf(nl, sizeof(nl), "\n%s", cindent);
        add_text_before(node, nl);
        snprintf(nl, sizeof(nl), "\n%s", pindent);
        {
                xmlNode *t = xmlNewText(BAD_CAST nl);

                if (t)
                        xmlAddChild(parent, t);
        }
        format_new(node, cindent);
}

void xml_remove(xmlNode *node)
{
        xmlNode *parent = node->parent;

        if (is_blank_text(node->prev)) {
                xmlNode *t = node->prev;

                xmlUnlinkNode(t);
                xmlFreeNode(t);
        }
        xmlUnlinkNode(node);
        xmlFreeNode(node);
        /* A parent left with only indentation collapses to <parent/>. */
        if (parent && parent->type == XML_ELEMENT_NODE)
                drop_blank_children(parent);
}

static bool same_ns(const xmlNs *a, const xmlNs *b)
{
        if (!a || !b)
                return !a && !b;
        return xmlStrEqual(a->href, b->href);
}

/* An attribute's value: its text node's own bytes when it has exactly one
 * (the usual case: no allocation), else a copy in *alloc. */
static const xmlChar *attr_value(const xmlAttr *x, xmlChar **alloc)
{
        if (!x->children)
                return BAD_CAST "";
        if (x->children->type == XML_TEXT_NODE && !x->children->next)
                return x->children->content;
        *alloc = xmlNodeListGetString(x->doc, x->children, 1);
        return *alloc ? *alloc : BAD_CAST "";
}

static size_t attrs_count(const xmlNode *n)
{
        size_t k = 0;

        for (const xmlAttr *x = n->properties; x; x = x->next)
                k++;
        return k;
}

/* The same attribute set: XML forbids a name twice on one element, so equal
 * counts and every attribute of a found in b with its value suffice. */
static bool attrs_equal(const xmlNode *a, const xmlNode *b)
{
        if (attrs_count(a) != attrs_count(b))
                return false;
        for (const xmlAttr *x = a->properties; x; x = x->next) {
                _cleanup_xml_str_ xmlChar *va = NULL, *vb = NULL;
                const xmlAttr *y;

                for (y = b->properties; y; y = y->next)
                        if (xmlStrEqual(x->name, y->name) && same_ns(x->ns, y->ns))
                                break;
                if (!y || !xmlStrEqual(attr_value(x, &va), attr_value(y, &vb)))
                        return false;
        }
        return true;
}

const xmlNode *xml_significant(const xmlNode *n)
{
        while (n && !(n->type == XML_ELEMENT_NODE ||
                      ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) &&
                       !xmlIsBlankNode((xmlNode *)n))))
                n = n->next;
        return n;
}

bool xml_equal(const xmlNode *a, const xmlNode *b)
{
        if (a->type != b->type)
                return false;
        if (a->type != XML_ELEMENT_NODE)
                return xmlStrEqual(a->content, b->content);
        if (!xmlStrEqual(a->name, b->name) || !same_ns(a->ns, b->ns))
                return false;
        if (!attrs_equal(a, b))
                return false;

        for (const xmlNode *x = xml_significant(a->children), *y = xml_significant(b->children);;
             x = xml_significant(x->next), y = xml_significant(y->next)) {
                if (!x || !y)
                        return !x && !y;
                if (!xml_equal(x, y))
                        return false;
        }
}

bool xml_ns_used(const xmlNode *n, const xmlNs *ns)
{
        if (n->type != XML_ELEMENT_NODE)
                return false;
        if (n->ns == ns)
                return true;
        for (const xmlAttr *a = n->properties; a; a = a->next)
                if (a->ns == ns)
                        return true;
        for (const xmlNode *c = n->children; c; c = c->next)
                if (xml_ns_used(c, ns))
                        return true;
        return false;
}
