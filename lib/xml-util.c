/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxml2 helpers for editing domain XML without disturbing the rest of it. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlsave.h>
#include <libxml/xmlversion.h>

#include "xml-priv.h"

#define INDENT_UNIT "  "

/* The first error is where the input goes wrong; later ones follow from it. */
struct first_error {
        int line;
        char message[256];
};

/* libxml2 2.12 made the structured handler's error const.  2.13 added
 * xmlCtxtSetErrorHandler(), which hands the handler our own pointer; before
 * it, the handler gets the parser context and the pointer rides in
 * _private (deprecated since). */
#if LIBXML_VERSION >= 21200
typedef const xmlError xml_error_t;
#else
typedef xmlError xml_error_t;
#endif

static void keep_first_error(void *data, xml_error_t *e)
{
#if LIBXML_VERSION >= 21300
        struct first_error *f = data;
#else
        struct first_error *f = ((xmlParserCtxt *)data)->_private;
#endif
        size_t n;

        if (f->line || !e)
                return;
        f->line = e->line > 0 ? e->line : 1;
        snprintf(f->message, sizeof(f->message), "%s", e->message ? e->message : "not well-formed");
        n = strlen(f->message);
        while (n > 0 && (f->message[n - 1] == '\n' || f->message[n - 1] == ' '))
                f->message[--n] = 0;
}

int xml_parse(const char *xml, size_t len, const char *what, xmlDoc **ret,
              struct oemkvm_error *err)
{
        struct first_error first = {};
        xmlParserCtxt *pc;
        xmlDoc *doc;
        int options;

        if (len > INT_MAX)
                return oemkvm_error_set(err, -EFBIG, "%s: XML larger than %d bytes", what, INT_MAX);

        pc = xmlNewParserCtxt();
        if (!pc)
                return oemkvm_error_set(err, -ENOMEM, "out of memory parsing %s", what);
        /* No NOENT (entities stay references), no DTD loading, no network.
         * Our handler keeps libxml2 from printing.  From 2.13 on it replaces
         * the printing one, and NOERROR would withhold errors from it too;
         * before, NOERROR/NOWARNING silence the generic handlers. */
#if LIBXML_VERSION >= 21300
        xmlCtxtSetErrorHandler(pc, keep_first_error, &first);
        options = XML_PARSE_NONET;
#else
        pc->_private = &first;
        pc->sax->serror = keep_first_error;
        options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
#endif
        doc = xmlCtxtReadMemory(pc, xml, (int)len, NULL, NULL, options);
        xmlFreeParserCtxt(pc);
        if (!doc)
                return oemkvm_error_set(err, -EINVAL, "%s: malformed XML at line %d: %s", what,
                                        first.line, first.line ? first.message : "not well-formed");
        if (!xmlDocGetRootElement(doc)) {
                xmlFreeDoc(doc);
                return oemkvm_error_set(err, -EINVAL, "%s: no root element", what);
        }
        *ret = doc;
        return 0;
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int xml_serialize(xmlDoc *doc, const char *orig, size_t orig_len, char **ret, size_t *ret_len)
{
        xmlBuffer *buf;
        xmlSaveCtxt *save;
        size_t decl = 0, body_len, tail = 0;
        const char *body;
        char *out;

        /* Keep the user's declaration verbatim (libxml2 would rewrite it). */
        if (orig_len >= 5 && !memcmp(orig, "<?xml", 5)) {
                const char *end = memmem(orig, orig_len, "?>", 2);

                if (end)
                        decl = (size_t)(end - orig) + 2;
        }

        buf = xmlBufferCreate();
        if (!buf)
                return -ENOMEM;
        save = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_NO_DECL);
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

        out = malloc(decl + (decl ? 1 : 0) + body_len + tail + 1);
        if (!out) {
                xmlBufferFree(buf);
                return -ENOMEM;
        }
        memcpy(out, orig, decl);
        if (decl)
                out[decl++] = '\n';
        memcpy(out + decl, body, body_len);
        memcpy(out + decl + body_len, orig + orig_len - tail, tail);
        out[decl + body_len + tail] = 0;
        xmlBufferFree(buf);

        *ret = out;
        *ret_len = decl + body_len + tail;
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

static bool attrs_contained(const xmlNode *a, const xmlNode *b)
{
        for (const xmlAttr *x = a->properties; x; x = x->next) {
                _cleanup_xml_str_ xmlChar *va = NULL, *vb = NULL;
                const xmlAttr *y;

                for (y = b->properties; y; y = y->next)
                        if (xmlStrEqual(x->name, y->name) && same_ns(x->ns, y->ns))
                                break;
                if (!y)
                        return false;
                va = xmlNodeListGetString(a->doc, x->children, 1);
                vb = xmlNodeListGetString(b->doc, y->children, 1);
                if (!xmlStrEqual(va ? va : BAD_CAST "", vb ? vb : BAD_CAST ""))
                        return false;
        }
        return true;
}

static const xmlNode *significant(const xmlNode *n)
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
        if (!attrs_contained(a, b) || !attrs_contained(b, a))
                return false;

        for (const xmlNode *x = significant(a->children), *y = significant(b->children);;
             x = significant(x->next), y = significant(y->next)) {
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
