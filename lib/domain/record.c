/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The record of what oemkvm changed: <oemkvm-state:state> in
 * urn:oemkvm:state:1 inside <metadata>.  It is rebuilt on every run and
 * written only when it differs semantically from the one read, so a
 * definition libvirt re-serialised (other quotes, other whitespace) keeps
 * its record and the run reports no change.  No timestamps: the same
 * input always gives the same record.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "domain/domain.h"

/*
 * Features look up one entry per device (a disk by target, a NIC by MAC):
 * scanning the record each time made a re-patch quadratic in devices.  The
 * entries of those kinds go into a hash table once per run, keyed by their
 * key attribute; the first entry in document order wins, as a scan would
 * find it.  Values compare without regard to case (MAC addresses).
 */
static const struct {
        const char *kind;
        const char *key;
} keyed[] = {
        { "disk",      "target" },
        { "interface", "mac" },
};

struct state_slot {
        const char *kind;
        const char *value;
        xmlNode *entry;
};

static const char *key_of(const char *kind)
{
        for (size_t i = 0; i < ARRAY_SIZE(keyed); i++)
                if (!strcmp(kind, keyed[i].kind))
                        return keyed[i].key;
        return NULL;
}

static uint32_t slot_hash(const char *kind, const char *value)
{
        uint32_t h = 2166136261u;       /* FNV-1a */

        for (const char *s = kind; *s; s++)
                h = (h ^ (uint8_t)*s) * 16777619u;
        for (const char *s = value; *s; s++)
                h = (h ^ (uint8_t)tolower((unsigned char)*s)) * 16777619u;
        return h;
}

/* The slot holding kind/value, or the empty one where it would go. */
static struct state_slot *slot_lookup(const struct patch *p, const char *kind, const char *value)
{
        size_t mask = p->index_cap - 1;

        for (size_t i = slot_hash(kind, value) & mask;; i = (i + 1) & mask) {
                struct state_slot *s = &p->index[i];

                if (!s->entry || (!strcmp(s->kind, kind) && !strcasecmp(s->value, value)))
                        return s;
        }
}

int state_index(struct patch *p)
{
        size_t n = 0;

        xml_foreach(e, p->record, OEMKVM_NS_STATE, NULL)
                n++;
        /* At most half full: probes stay short. */
        for (p->index_cap = 16; p->index_cap < 2 * n; p->index_cap *= 2)
                ;
        p->index = calloc(p->index_cap, sizeof(*p->index));
        if (!p->index)
                return -ENOMEM;
        xml_foreach(e, p->record, OEMKVM_NS_STATE, NULL) {
                const char *key = key_of((const char *)e->name);
                const char *v = key ? xml_attr(e, key) : NULL;
                struct state_slot *s;

                if (!v)
                        continue;
                s = slot_lookup(p, (const char *)e->name, v);
                if (!s->entry)
                        *s = (struct state_slot){ (const char *)e->name, v, e };
        }
        return 0;
}

void state_index_free(struct patch *p)
{
        free(p->index);
        p->index = NULL;
}

xmlNode *state_find(const struct patch *p, const char *kind, const char *key, const char *value)
{
        const char *indexed = key_of(kind);

        if (key && value && p->index && indexed && !strcmp(key, indexed))
                return slot_lookup(p, kind, value)->entry;
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

/*
 * A re-patch carries most old entries over as they are: copying each one
 * and then comparing the copies with the old record took a fifth of a
 * re-patch at 5,000 devices.  So the new record is kept as a list of
 * entries, new ones (children of new_record) and old ones carried over;
 * state_commit compares the list with the old record, an old entry in its
 * own place by pointer, and copies the carried-over entries only when the
 * record changed.  An old entry whose copy would differ from it
 * (copy_into takes only oemkvm's attributes and children) is copied at
 * once, so "carried over" always means "equal to its copy".
 */
static int entries_add(struct patch *p, const xmlNode *e)
{
        if (p->n_entries == p->entries_cap) {
                size_t cap = p->entries_cap ? 2 * p->entries_cap : 64;
                const xmlNode **grown = realloc(p->entries, cap * sizeof(*grown));

                if (!grown)
                        return -ENOMEM;
                p->entries = grown;
                p->entries_cap = cap;
        }
        p->entries[p->n_entries++] = e;
        return 0;
}

/* Does copy_into(entry) give what xml_equal takes for entry itself? */
static bool copies_exactly(const xmlNode *entry)
{
        if (entry->type != XML_ELEMENT_NODE || !entry->ns ||
            !xmlStrEqual(entry->ns->href, BAD_CAST OEMKVM_NS_STATE))
                return false;
        for (const xmlAttr *a = entry->properties; a; a = a->next)
                if (a->ns || (a->children && (a->children->type != XML_TEXT_NODE || a->children->next)))
                        return false;
        for (const xmlNode *c = xml_significant(entry->children); c; c = xml_significant(c->next))
                if (!copies_exactly(c))
                        return false;
        return true;
}

xmlNode *state_add(struct patch *p, const char *kind, ...)
{
        xmlNode *e = add_child(p->new_record, kind);
        const char *k;
        va_list ap;

        if (!e || entries_add(p, e) < 0)
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

void state_drop(struct patch *p, xmlNode *entry)
{
        for (size_t i = p->n_entries; i-- > 0;)
                if (p->entries[i] == entry) {
                        memmove(p->entries + i, p->entries + i + 1, (--p->n_entries - i) * sizeof(*p->entries));
                        break;
                }
        xml_remove(entry);
}

/* Appends a copy of old to parent: the copy, or NULL when out of memory. */
static xmlNode *copy_into(xmlNode *parent, const xmlNode *old)
{
        xmlNode *e = add_child(parent, (const char *)old->name);

        if (!e)
                return NULL;
        for (const xmlAttr *a = old->properties; a; a = a->next) {
                const char *v = xml_attr(old, (const char *)a->name);

                if (!a->ns && v && !xmlNewProp(e, a->name, BAD_CAST v))
                        return NULL;
        }
        xml_foreach(c, old, OEMKVM_NS_STATE, NULL)
                if (!copy_into(e, c))
                        return NULL;
        return e;
}

int state_keep(struct patch *p, const xmlNode *entry)
{
        if (copies_exactly(entry))
                return entries_add(p, entry);
        return copy_into(p->new_record, entry) ? entries_add(p, p->new_record->last) : -ENOMEM;
}

int state_keep_child(xmlNode *new_entry, const xmlNode *old_child)
{
        return copy_into(new_entry, old_child) ? 0 : -ENOMEM;
}

int state_user(struct patch *p, const xmlNode *old, const char *key, const char *value)
{
        if (!state_is_user(old)) {
                p->flags |= OEMKVM_PATCH_USER_KEPT;
                p->user_marks++;
        }
        if (!key)
                return state_add(p, (const char *)old->name, "owner", "user", NULL) ? 0 : -ENOMEM;
        return state_add(p, (const char *)old->name, key, value, "owner", "user", NULL) ? 0 : -ENOMEM;
}

/* Would the new record equal the old one (xml_equal)?  The new one has no
 * attributes; its entries are compared in order. */
static bool record_same(const struct patch *p)
{
        const xmlNode *old = xml_significant(p->record->children);

        if (p->record->properties)
                return false;
        for (size_t i = 0; i < p->n_entries; i++, old = xml_significant(old->next))
                if (!old || (p->entries[i] != old && !xml_equal(old, p->entries[i])))
                        return false;
        return !old;
}

/* Copies the carried-over entries into new_record, in their places. */
static int record_build(struct patch *p)
{
        xmlNode *next = p->new_record->children;

        for (size_t i = 0; i < p->n_entries; i++) {
                xmlNode *copy;

                if (p->entries[i] == next) {
                        next = next->next;
                        continue;
                }
                copy = copy_into(p->new_record, p->entries[i]);
                if (!copy)
                        return -ENOMEM;
                if (next) {
                        xmlUnlinkNode(copy);
                        xmlAddPrevSibling(next, copy);
                }
        }
        return 0;
}

void state_entries_free(struct patch *p)
{
        free(p->entries);
        p->entries = NULL;
        p->n_entries = p->entries_cap = 0;
}

static int check_new_record(struct patch *p);

int state_commit(struct patch *p)
{
        bool empty;
        xmlNode *rec;
        int r;

        if (p->record && record_same(p))
                return 0;
        r = record_build(p);
        state_entries_free(p);
        if (r >= 0)
                r = check_new_record(p);
        if (r < 0)
                return r;
        empty = !xml_child(p->new_record, NULL, NULL);
        if (p->record ? xml_equal(p->record, p->new_record) : empty)
                return 0;

        /* The index points into the record that goes now. */
        state_index_free(p);
        rec = TAKE_PTR(p->new_record);
        if (empty) {
                xmlFreeNode(rec);
                xml_remove(p->record);
                rec = NULL;
                /* Untagged and nothing left to record: a <metadata> that
                 * held only oemkvm's goes with it. */
                if (!p->config && !xml_child(p->metadata, NULL, NULL)) {
                        xml_remove(p->metadata);
                        p->metadata = NULL;
                }
        } else if (p->record) {
                xml_insert_after(p->record, rec);
                xml_remove(p->record);
        } else
                xml_append(p->metadata, rec);
        /* From here on the record is the one written. */
        p->record = rec;
        p->changed = true;
        return 0;
}

static bool all_of(const char *s, const char *set, size_t min, size_t max)
{
        size_t n = strlen(s);

        return n >= min && n <= max && strspn(s, set) == n;
}

#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define DIGIT "0123456789"

static bool fits(const char *v, enum state_grammar g)
{
        static const char *const buses[] = { "ide", "fdc", "scsi", "virtio", "xen", "usb", "uml", "sata", "sd" };
        static const char *const prefixes[] = { "hd", "sd", "vd", "xvd", "ubd", "fd" };
        unsigned long n;
        char *end;

        switch (g) {
        case STATE_BUS:
                for (size_t i = 0; i < ARRAY_SIZE(buses); i++)
                        if (!strcmp(v, buses[i]))
                                return true;
                return false;
        case STATE_TARGET:
                for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
                        size_t l = strlen(prefixes[i]);

                        if (!strncmp(v, prefixes[i], l) && all_of(v + l, LOWER, 1, 4))
                                return true;
                }
                return false;
        case STATE_MODEL_OR_EMPTY:
                if (!*v)
                        return true;
                /* fall through */
        case STATE_MODEL:
                return all_of(v, LOWER "ABCDEFGHIJKLMNOPQRSTUVWXYZ" DIGIT "_-", 1, 64);
        case STATE_COUNT:
                if (!all_of(v, DIGIT, 1, 4) || v[0] == '0')
                        return false;
                n = strtoul(v, &end, 10);
                return n >= 1 && n <= 4096;
        case STATE_ARG:
                for (const char *c = v; *c; c++)
                        if ((unsigned char)*c < 0x20 || *c == 0x7f)
                                return false;
                return *v && strlen(v) < 4096;
        case STATE_INDEX:
                if (!all_of(v, DIGIT, 1, 5) || (v[0] == '0' && v[1]))
                        return false;
                return strtoul(v, &end, 10) <= 65535;
        case STATE_MAC:
                for (size_t i = 0; i < 17; i++)
                        if (i % 3 == 2 ? v[i] != ':' : !isxdigit((unsigned char)v[i]))
                                return false;
                return !v[17];
        case STATE_PATH: {
                struct oemkvm_error sub = {};

                return domain_check_path("record", v, &sub) >= 0;
        }
        case STATE_UUID: {
                char uuid[OEMKVM_UUID_SIZE];

                return oemkvm_mdev_uuid_parse(v, uuid) >= 0;
        }
        case STATE_MDEV_PARENT:
                return oemkvm_mdev_parent_valid(v);
        case STATE_MDEV_TYPE:
                return oemkvm_mdev_type_valid(v);
        }
        return false;
}

static const char *const grammar_names[] = {
        [STATE_BUS] = "a disk bus",
        [STATE_TARGET] = "a disk target name",
        [STATE_MODEL] = "a device model",
        [STATE_MODEL_OR_EMPTY] = "a device model",
        [STATE_COUNT] = "a count from 1 to 4096",
        [STATE_ARG] = "a QEMU argument on one line",
        [STATE_INDEX] = "a controller index from 0 to 65535",
        [STATE_MAC] = "a MAC address",
        [STATE_PATH] = "a path oemkvm would name (absolute, no '..', none of , = \" ' < > & \\ * ? [ ] { }, not in /proc, /sys or /dev)",
        [STATE_UUID] = "a UUID",
        [STATE_MDEV_PARENT] = "a PCI address or an mdev parent device name",
        [STATE_MDEV_TYPE] = "an mdev type name",
};

/* A value from the definition, made safe to quote in a one-line message. */
static void printable(const char *v, char *buf, size_t size)
{
        size_t i = 0;

        for (; *v && i + 4 < size; v++)
                buf[i++] = (unsigned char)*v < 0x20 || *v == 0x7f ? '?' : *v;
        if (*v)
                memcpy(buf + i, "...", 3), i += 3;
        buf[i] = 0;
}

int state_refuse(struct patch *p, const xmlNode *entry, const char *attr, const char *what)
{
        static const char *const keys[] = { "target", "mac", "index", "option", "what" };
        const char *v = xml_attr(entry, attr), *key = NULL, *key_value = NULL;
        char shown[64], shown_key[64], label[96] = "";

        for (size_t i = 0; !key && i < ARRAY_SIZE(keys); i++)
                if ((key_value = xml_attr(entry, keys[i])))
                        key = keys[i];
        printable(v ? v : "", shown, sizeof(shown));
        if (key) {
                printable(key_value, shown_key, sizeof(shown_key));
                snprintf(label, sizeof(label), " %s='%s'", key, shown_key);
        }
        if (p->checking_new)
                return oemkvm_error_set(p->err, -EINVAL,
                                        "the definition's <%s%s> has %s='%s', which is not %s — libvirt would not define that either; correct it ('virsh edit' the domain)",
                                        (const char *)entry->name, key && strcmp(key, attr) ? label : "", attr, shown, what);
        return oemkvm_error_set(p->err, -EINVAL,
                                "oemkvm's record <oemkvm-state:%s%s> has %s='%s', which is not %s — it was edited by hand; correct or delete that entry ('virsh edit' the domain) so oemkvm can restore what was there",
                                (const char *)entry->name, label, attr, shown, what);
}

int state_get(struct patch *p, const xmlNode *entry, const char *attr, enum state_grammar g,
              const char **ret)
{
        const char *v = xml_attr(entry, attr);

        if (!v || fits(v, g)) {
                *ret = v;
                return 0;
        }
        return state_refuse(p, entry, attr, grammar_names[g]);
}

#define WORDS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/*
 * The attributes the engine reads without writing them back into the
 * definition: keys it finds entries and devices by, values it compares
 * with the definition, and flags.  A revert's was-* values and saved
 * displays are checked where they are read (state_get, restore_removed).
 * None of these reach QEMU, but whoever edits the definition edits the
 * record too: each has one grammar, what oemkvm writes, and anything else
 * is refused before any feature runs, so a hand-edited entry is named
 * rather than quietly dropped or matched against the wrong device.
 */
static const struct state_attr {
        const char *kind;               /* the entry's element; NULL: every one */
        const char *attr;
        enum state_grammar g;
        const char *const *words;       /* instead of g: the only values */
} state_attrs[] = {
        /* state_is_user asks about every entry, and "user" is all it sets. */
        { NULL,         "owner",          .words = WORDS("user") },
        /* Compared with a disk's <target dev>: the names was-target holds. */
        { "disk",       "target",         .g = STATE_TARGET },
        /* Compared with controller_index(), which libvirt writes in decimal. */
        { "controller", "index",          .g = STATE_INDEX },
        /* patch_scsi_controller writes only added="yes". */
        { "controller", "added",          .words = WORDS("yes") },
        /* Compared with <mac address>, as libvirt writes one. */
        { "interface",  "mac",            .g = STATE_MAC },
        /* The sdX add_cdrom chose, compared with a CD-ROM's target. */
        { "cdrom",      "target",         .g = STATE_TARGET },
        /* The drivers ISO the tag named, checked then; only compared now,
         * never opened, so a link (Fedora's virtio-win.iso) stays fine. */
        { "cdrom",      "file",           .g = STATE_PATH },
        /* What oemkvm set and for which <vcpu>: counts, as was-* are. */
        { "topology",   "vcpus",          .g = STATE_COUNT },
        { "topology",   "was-vcpus",      .g = STATE_COUNT },
        { "topology",   "sockets",        .g = STATE_COUNT },
        { "topology",   "dies",           .g = STATE_COUNT },
        { "topology",   "cores",          .g = STATE_COUNT },
        { "topology",   "threads",        .g = STATE_COUNT },
        /* Which element oemkvm created, and so removes on revert. */
        { "topology",   "added",          .words = WORDS("cpu", "topology") },
        /* The dump directory the files for the hook's list are named in. */
        { "license",    "dir",            .g = STATE_PATH },
        /* Scaffolding oemkvm created, and removes once it is empty. */
        { "license",    "commandline",    .words = WORDS("added") },
        { "license",    "qemu-ns",        .words = WORDS("added") },
        /* The two options a license pair is made of. */
        { "arg",        "option",         .words = WORDS("-acpitable", "-smbios") },
        /* A dump file, compared with a pair's file= and relocated by name. */
        { "arg",        "file",           .g = STATE_PATH },
        /* The gvt entry restates the tag, which had these grammars. */
        { "gvt",        "parent",         .g = STATE_MDEV_PARENT },
        { "gvt",        "type",           .g = STATE_MDEV_TYPE },
        { "gvt",        "uuid",           .g = STATE_UUID },
        /* Compared with the vGPU <hostdev>, as hostdev_want() sets it. */
        { "hostdev",    "uuid",           .g = STATE_UUID },
        { "hostdev",    "display",        .words = WORDS("on", "off") },
        { "hostdev",    "ramfb",          .words = WORDS("on") },
        /* Compared with the <qemu:property> values part_override sets. */
        { "override",   "x-igd-opregion", .words = WORDS("true") },
        { "override",   "romfile",        .g = STATE_PATH },
        { "override",   "element",        .words = WORDS("added") },
        { "override",   "qemu-ns",        .words = WORDS("added") },
        /* gvt.c's display modes and the elements it adds for them. */
        { "display",    "mode",           .words = WORDS("spice-gl", "vnc", "none") },
        { "added",      "kind",           .words = WORDS("spice-gl", "vnc", "egl-headless", "video-none") },
        /* What restore_removed puts back: graphics or video, nothing else. */
        { "removed",    "what",           .words = WORDS("graphics", "video") },
};

static bool one_of(const char *v, const char *const *words)
{
        for (; *words; words++)
                if (!strcmp(v, *words))
                        return true;
        return false;
}

static int check_entry(struct patch *p, const xmlNode *entry)
{
        for (size_t i = 0; i < ARRAY_SIZE(state_attrs); i++) {
                const struct state_attr *a = &state_attrs[i];
                const char *v;
                char what[96] = "";

                if (a->kind && strcmp(a->kind, (const char *)entry->name))
                        continue;
                if (!a->words) {
                        int r = state_get(p, entry, a->attr, a->g, &v);

                        if (r < 0)
                                return r;
                        continue;
                }
                v = xml_attr(entry, a->attr);
                if (!v || one_of(v, a->words))
                        continue;
                for (const char *const *w = a->words; *w; w++)
                        snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s'%s'",
                                 w == a->words ? "" : w[1] ? ", " : " or ", *w);
                return state_refuse(p, entry, a->attr, what);
        }
        xml_foreach(c, entry, OEMKVM_NS_STATE, NULL) {
                int r = check_entry(p, c);

                if (r < 0)
                        return r;
        }
        return 0;
}

static int check_record(struct patch *p, const xmlNode *record)
{
        xml_foreach(e, record, OEMKVM_NS_STATE, NULL) {
                int r = check_entry(p, e);

                if (r < 0)
                        return r;
        }
        return 0;
}

int state_check(struct patch *p)
{
        return check_record(p, p->record);
}

/*
 * The record about to be written meets the same grammar: a value copied
 * from the definition that does not (a MAC libvirt would refuse) would
 * make the next run refuse oemkvm's own record.
 */
static int check_new_record(struct patch *p)
{
        int r;

        p->checking_new = true;
        r = check_record(p, p->new_record);
        p->checking_new = false;
        return r;
}
