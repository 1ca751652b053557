/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The record of what oemkvm changed: <oemkvm-state:state> in
 * urn:oemkvm:state:1 inside <metadata>.  It is rebuilt on every run and
 * written only when it differs semantically from the one read, so a
 * definition libvirt re-serialised (other quotes, other whitespace) keeps
 * its record and the run reports no change.  No timestamps: the same
 * input always gives the same record.
 */
#include <stdarg.h>
#include <string.h>

#include "domain/domain.h"

xmlNode *state_find(const struct patch *p, const char *kind, const char *key, const char *value)
{
        xml_foreach(e, p->record, OEMKVM_NS_STATE, kind) {
                const char *v;

                if (!key)
                        return e;
                v = xml_attr(e, key);
                /* MAC addresses are compared without regard to case. */
                if (v && value && !strcasecmp(v, value))
                        return e;
        }
        return NULL;
}

bool state_is_user(const xmlNode *entry)
{
        return xml_attr_is(entry, "owner", "user");
}

static xmlNode *add_child(xmlNode *parent, const char *kind)
{
        return xmlNewChild(parent, parent->ns, BAD_CAST kind, NULL);
}

xmlNode *state_add(struct patch *p, const char *kind, ...)
{
        xmlNode *e = add_child(p->new_record, kind);
        const char *k;
        va_list ap;

        if (!e)
                return NULL;
        va_start(ap, kind);
        while ((k = va_arg(ap, const char *))) {
                const char *v = va_arg(ap, const char *);

                /* A NULL value leaves the attribute out ("was absent"). */
                if (v && !xmlNewProp(e, BAD_CAST k, BAD_CAST v)) {
                        e = NULL;
                        break;
                }
        }
        va_end(ap);
        return e;
}

static int copy_into(xmlNode *parent, const xmlNode *old)
{
        xmlNode *e = add_child(parent, (const char *)old->name);

        if (!e)
                return -ENOMEM;
        for (const xmlAttr *a = old->properties; a; a = a->next) {
                const char *v = xml_attr(old, (const char *)a->name);

                if (!a->ns && v && !xmlNewProp(e, a->name, BAD_CAST v))
                        return -ENOMEM;
        }
        xml_foreach(c, old, OEMKVM_NS_STATE, NULL) {
                int r = copy_into(e, c);

                if (r < 0)
                        return r;
        }
        return 0;
}

int state_keep(struct patch *p, const xmlNode *entry)
{
        return copy_into(p->new_record, entry);
}

int state_user(struct patch *p, const xmlNode *old, const char *key, const char *value)
{
        if (!state_is_user(old))
                p->flags |= OEMKVM_PATCH_USER_KEPT;
        if (!key)
                return state_add(p, (const char *)old->name, "owner", "user", NULL) ? 0 : -ENOMEM;
        return state_add(p, (const char *)old->name, key, value, "owner", "user", NULL) ? 0 : -ENOMEM;
}

int state_commit(struct patch *p)
{
        bool empty = !xml_child(p->new_record, NULL, NULL);
        xmlNode *rec;

        if (p->record ? xml_equal(p->record, p->new_record) : empty)
                return 0;

        rec = TAKE_PTR(p->new_record);
        if (empty) {
                xmlFreeNode(rec);
                xml_remove(p->record);
        } else if (p->record) {
                xml_insert_after(p->record, rec);
                xml_remove(p->record);
        } else
                xml_append(p->metadata, rec);
        p->record = NULL;
        patch_touch(p);
        return 0;
}
