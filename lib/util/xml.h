/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxml2 helpers for editing a user's domain XML in place: a safe parser,
 * a serializer that keeps the input's declaration and trailing newline,
 * element lookup by namespace URI (never by prefix: prefixes are the user's
 * and libvirt's choice), and inserts/removals that keep the surrounding
 * indentation so a diff shows only what changed.
 */
#ifndef OEMKVM_UTIL_XML_H
#define OEMKVM_UTIL_XML_H

#include <stdbool.h>
#include <libxml/tree.h>

#include "util/util.h"

static inline void xml_charp(xmlChar **s)
{
        if (*s)
                xmlFree(*s);
}

#define _cleanup_xml_str_ _cleanup_(xml_charp)

/*
 * Parses with network access, entity expansion and DTD loading off, and
 * without libxml2 printing anything.  A syntax error becomes one line
 * naming the line number; "what" names the input in it.
 */
int xml_parse(const char *xml, size_t len, const char *what, xmlDoc **ret,
              struct oemkvm_error *err);

/*
 * Serializes doc without reformatting.  The input's own XML declaration
 * (if any) is kept verbatim, and so is its trailing whitespace.
 */
int xml_serialize(xmlDoc *doc, const char *orig, size_t orig_len, char **ret,
                  size_t *ret_len);

/* Is n an element called name in namespace ns (NULL: no namespace)?  With
 * name NULL: any element in ns, or any element at all when ns is NULL too. */
bool xml_is(const xmlNode *n, const char *ns, const char *name);
/* First child / next sibling element matching xml_is(). */
xmlNode *xml_child(const xmlNode *parent, const char *ns, const char *name);
xmlNode *xml_next(const xmlNode *n, const char *ns, const char *name);
#define xml_foreach(c, parent, ns, name) \
        for (xmlNode *c = xml_child(parent, ns, name); c; c = xml_next(c, ns, name))

/*
 * The value of the un-namespaced attribute name, or NULL when absent (or
 * when n is NULL, so lookups chain through optional elements).
 * Points into the tree.  An attribute holding an unexpanded entity
 * reference reads as "" (never equal to anything oemkvm writes).
 */
const char *xml_attr(const xmlNode *n, const char *name);
/* Does n's attribute name equal value (NULL value: is it absent)? */
bool xml_attr_is(const xmlNode *n, const char *name, const char *value);
/* Sets (value non-NULL) or removes (NULL) an attribute; -ENOMEM. */
int xml_attr_set(xmlNode *n, const char *name, const char *value);

/* A new element in ns (may be NULL) with attributes given as name, value, …, NULL. */
xmlNode *xml_new(xmlNs *ns, const char *name, ...) __attribute__((sentinel));

/*
 * Inserts node after ref / as parent's last element child, with a newline
 * and the indentation ref's siblings use; node's own element children are
 * indented one level further.
 */
void xml_insert_after(xmlNode *ref, xmlNode *node);
void xml_append(xmlNode *parent, xmlNode *node);
/* After ref when there is one, else as parent's last element child. */
void xml_insert_after_or_append(xmlNode *parent, xmlNode *ref, xmlNode *node);
/* Unlinks and frees node together with the indentation before it; a
 * parent left with only whitespace becomes empty. */
void xml_remove(xmlNode *node);

/*
 * Semantic equality of two element trees: names and namespace URIs,
 * attribute sets in any order, element children in order, non-blank text;
 * prefixes, quoting and whitespace do not count.
 */
bool xml_equal(const xmlNode *a, const xmlNode *b);

/* n or the first sibling after it that xml_equal compares (an element or
 * non-blank text); NULL when there is none. */
const xmlNode *xml_significant(const xmlNode *n);

/* Is ns used by any element or attribute at or below n? */
bool xml_ns_used(const xmlNode *n, const xmlNs *ns);

#endif
