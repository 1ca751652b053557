/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <oemkvm:gvt parent= type= [uuid=] [rom=] [display=] [opregion=]>: the
 * Intel iGPU shared through GVT-g, as the manual recipe does it by hand.
 *
 *  - a <hostdev mode='subsystem' type='mdev' model='vfio-pci'> with the user
 *    alias ua-oemkvm-gvt (never libvirt's automatic hostdev0) and a UUID
 *    that is stable for the domain: uuid= when given, else derived from the
 *    domain's own UUID.  The hook creates that device at prepare begin.
 *  - <qemu:override> for that alias with only what libvirt cannot express:
 *    x-igd-opregion=true (Intel iGPU parents, i.e. PCI addresses, unless
 *    opregion="no") and romfile for UEFI guests (libvirt drops <rom file>
 *    on an mdev hostdev): rom=, else the store's copy of the GVT-g UEFI
 *    ROM when `oemkvm gvt rom` put one there (docs/gvt-g-findings.md: OVMF
 *    draws on ramfb without it, and runs it unsigned even under Secure Boot,
 *    so it is never required and never refused).
 *  - the display, because GVT-g offers only a dma-buf display, which needs
 *    OpenGL on the host side:
 *      spice-gl (default): display='on' ramfb='on'; every <graphics> gives
 *        way to <graphics type='spice'><listen type='none'/><gl
 *        enable='yes'/></graphics>, every <video> to model 'none';
 *      vnc: the same hostdev, <graphics type='egl-headless'/> beside a VNC
 *        display (added when the domain has none), video 'none' so the
 *        vGPU is the picture VNC shows;
 *      none: display='off', no ramfb, the user's display untouched.
 *
 * Record: <gvt uuid=U> with one child per part, each the user's once they
 * changed it (owner="user"):
 *   <hostdev uuid display [ramfb]/>
 *   <override [x-igd-opregion] [romfile] [element="added"] [qemu-ns="added"]/>
 *   <display mode> with <added kind/> per element oemkvm added and
 *     <removed what xml/> per element it replaced, serialised, so a revert
 *     puts the user's own back where they were.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "domain/domain.h"
#include "host/mdev.h"

#define GVT_ALIAS "ua-oemkvm-gvt"

enum display { DISPLAY_SPICE_GL, DISPLAY_VNC, DISPLAY_NONE };
static const char *const display_names[] = { "spice-gl", "vnc", "none" };

/* What the tag asks for, checked. */
struct gvt_want {
        const char *parent;
        const char *type;
        char uuid[OEMKVM_UUID_SIZE];
        char *rom;                      /* NULL: no romfile */
        enum display display;
        bool opregion;
};

/* ---------------------------------------------------------------- the tag */

static int fail(struct patch *p, const char *attr, const char *value, const char *why)
{
        char shown[DOMAIN_SHOWN_MAX];

        /* Escaped and cut: a newline in the value must not split the line. */
        domain_shown(value, shown);
        return oemkvm_error_set(p->err, -EINVAL, "<oemkvm:gvt %s='%s'>: %s", attr, shown, why);
}

static bool is_uefi(const struct patch *p)
{
        const xmlNode *os = xml_child(p->domain, NULL, "os");

        return xml_attr_is(os, "firmware", "efi") ||
               xml_attr_is(xml_child(os, NULL, "loader"), "type", "pflash");
}

/*
 * The mdev UUID of a domain without uuid=: its own UUID XORed with a fixed
 * key, marked as an RFC 9562 version 8 (custom) UUID.  Stable for the
 * domain, never the domain's UUID itself, and distinct for distinct
 * domains (libvirt's UUIDs differ outside the version and variant bits).
 */
static int derive_uuid(struct patch *p, char out[OEMKVM_UUID_SIZE])
{
        /* 16 key bytes; the text's NUL is not one of them. */
        static const char key[] = "oemkvm:gvt:mdev!";
        _Static_assert(sizeof(key) == 16 + 1, "the derivation key is 16 bytes");
        const xmlNode *n = xml_child(p->domain, NULL, "uuid");
        _cleanup_xml_str_ xmlChar *text = n ? xmlNodeGetContent(n) : NULL;
        char u[OEMKVM_UUID_SIZE];
        uint8_t b[16];

        if (!text || oemkvm_mdev_uuid_parse((const char *)text, u) < 0)
                return oemkvm_error_set(p->err, -EINVAL,
                                        "<oemkvm:gvt>: the domain has no valid <uuid> to derive its vGPU's UUID from — define it first (libvirt gives it one) or give uuid=");
        for (size_t i = 0, j = 0; i < 16; i++, j += 2) {
                if (u[j] == '-')
                        j++;
                sscanf(u + j, "%2hhx", &b[i]);
                b[i] ^= (uint8_t)key[i];
        }
        b[6] = (uint8_t)((b[6] & 0x0f) | 0x80);
        b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
        snprintf(out, OEMKVM_UUID_SIZE,
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                 b[13], b[14], b[15]);
        return 0;
}

/* rom=: a path from metadata as every other (domain_check_path: absolute,
 * no "..", nothing QEMU or XML could read as syntax, not a pseudo file
 * system), and a regular file (a link is followed: QEMU only reads it;
 * where it leads is held to the same rules). */
static int check_rom(struct patch *p, const char *rom)
{
        struct stat st;
        int r;

        r = domain_check_path("<oemkvm:gvt rom=>", rom, p->err);
        if (r >= 0)
                r = domain_check_link("<oemkvm:gvt rom=>", rom, p->err);
        if (r < 0)
                return r;
        if (stat(rom, &st) < 0)
                return oemkvm_error_set(p->err, -errno, "<oemkvm:gvt rom='%.100s'>: %s — give the path of vbios_gvt_uefi.rom, or copy it in with 'sudo oemkvm gvt rom FILE' and drop rom=",
                                        rom, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return fail(p, "rom", rom, "not a regular file — give the path of vbios_gvt_uefi.rom");
        return 0;
}

static void want_clear(struct gvt_want *w)
{
        free(w->rom);
}

static int read_want(struct patch *p, const xmlNode *tag, struct gvt_want *w)
{
        const char *uuid = xml_attr(tag, "uuid"), *rom = xml_attr(tag, "rom");
        const char *display = xml_attr(tag, "display"), *opregion = xml_attr(tag, "opregion");
        int r;

        w->parent = xml_attr(tag, "parent");
        w->type = xml_attr(tag, "type");
        if (!w->parent || !w->type)
                return oemkvm_error_set(p->err, -EINVAL,
                                        "<oemkvm:gvt> needs parent= and type= — run 'oemkvm gvt types' to see what this host offers, e.g. parent='0000:00:02.0' type='i915-GVTg_V5_4'");
        if (!oemkvm_mdev_parent_valid(w->parent))
                return fail(p, "parent", w->parent,
                            "not a PCI address (0000:00:02.0) or a device name under /sys/class/mdev_bus — run 'oemkvm gvt types'");
        if (!oemkvm_mdev_type_valid(w->type))
                return fail(p, "type", w->type, "not an mdev type name such as i915-GVTg_V5_4 — run 'oemkvm gvt types'");
        if (uuid) {
                if (oemkvm_mdev_uuid_parse(uuid, w->uuid) < 0)
                        return fail(p, "uuid", uuid, "not a UUID (8-4-4-4-12 hex digits) — fix it, or drop uuid= for one derived from the domain's");
        } else if ((r = derive_uuid(p, w->uuid)) < 0)
                return r;

        w->display = DISPLAY_SPICE_GL;
        if (display) {
                size_t i = 0;

                while (i < ARRAY_SIZE(display_names) && strcmp(display, display_names[i]))
                        i++;
                if (i == ARRAY_SIZE(display_names))
                        return fail(p, "display", display, "the display is spice-gl, vnc or none");
                w->display = (enum display)i;
        }

        w->opregion = oemkvm_mdev_parent_is_pci(w->parent);
        if (opregion && strcmp(opregion, "yes") && strcmp(opregion, "no"))
                return fail(p, "opregion", opregion, "opregion is yes or no");
        if (opregion && !strcmp(opregion, "yes") && !w->opregion)
                return fail(p, "opregion", opregion,
                            "the IGD OpRegion exists only on an Intel iGPU, whose parent is a PCI address — drop opregion= for this parent");
        if (opregion && !strcmp(opregion, "no"))
                w->opregion = false;

        if (rom) {
                r = check_rom(p, rom);
                if (r < 0)
                        return r;
                if (!is_uefi(p))
                        return fail(p, "rom", rom,
                                    "the GVT-g ROM is a UEFI driver and this domain boots with BIOS — drop rom= or switch the domain to UEFI");
                w->rom = strdup(rom);
                if (!w->rom)
                        return -ENOMEM;
        } else if (is_uefi(p)) {
                /* The store's copy, when `oemkvm gvt rom` put one there. */
                _cleanup_free_ char *path = path_join(oemkvm_ctx_get_store_dir(p->ctx), OEMKVM_STORE_GVT_ROM);
                struct stat st;

                if (!path)
                        return -ENOMEM;
                if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
                        w->rom = TAKE_PTR(path);
        }
        return 0;
}

/* ---------------------------------------------------------------- hostdev */

static bool is_gvt_alias(const xmlNode *n)
{
        return xml_attr_is(xml_child(n, NULL, "alias"), "name", GVT_ALIAS);
}

static xmlNode *hostdev_find(const struct patch *p)
{
        xml_foreach(h, xml_child(p->domain, NULL, "devices"), NULL, "hostdev")
                if (is_gvt_alias(h))
                        return h;
        return NULL;
}

static const char *hostdev_uuid(const xmlNode *h)
{
        return xml_attr(xml_child(xml_child(h, NULL, "source"), NULL, "address"), "uuid");
}

/* Is h the hostdev oemkvm sets for uuid/display/ramfb (ramfb NULL: absent)? */
static bool hostdev_is(const xmlNode *h, const char *uuid, const char *display, const char *ramfb)
{
        return h && xml_attr_is(h, "mode", "subsystem") && xml_attr_is(h, "type", "mdev") &&
               xml_attr_is(h, "model", "vfio-pci") && xml_attr_is(h, "display", display) &&
               xml_attr_is(h, "ramfb", ramfb) && uuid && hostdev_uuid(h) &&
               !strcmp(hostdev_uuid(h), uuid);
}

static void hostdev_want(const struct gvt_want *w, const char **display, const char **ramfb)
{
        *display = w->display == DISPLAY_NONE ? "off" : "on";
        *ramfb = w->display == DISPLAY_NONE ? NULL : "on";
}

static int hostdev_set(struct patch *p, xmlNode *h, const struct gvt_want *w)
{
        const char *display, *ramfb;
        xmlNode *addr;

        hostdev_want(w, &display, &ramfb);
        if (!h) {
                xmlNode *devices = patch_devices(p), *ref = NULL, *src;

                h = xml_new(NULL, "hostdev", NULL);
                src = h ? xmlAddChild(h, xml_new(NULL, "source", NULL)) : NULL;
                if (!devices || !src || !xmlAddChild(src, xml_new(NULL, "address", NULL)) ||
                    !xmlAddChild(h, xml_new(NULL, "alias", "name", GVT_ALIAS, NULL))) {
                        xmlFreeNode(h);
                        return -ENOMEM;
                }
                xml_foreach(x, devices, NULL, "hostdev")
                        ref = x;
                xml_insert_after_or_append(devices, ref, h);
        }
        addr = xml_child(xml_child(h, NULL, "source"), NULL, "address");
        if (!addr)
                return oemkvm_error_set(p->err, -EINVAL,
                                        "<hostdev> with alias %s has no <source><address>: it is not the vGPU oemkvm adds — remove it or give it another alias",
                                        GVT_ALIAS);
        if (xml_attr_set(h, "mode", "subsystem") < 0 || xml_attr_set(h, "type", "mdev") < 0 ||
            xml_attr_set(h, "model", "vfio-pci") < 0 || xml_attr_set(h, "display", display) < 0 ||
            xml_attr_set(h, "ramfb", ramfb) < 0 || xml_attr_set(addr, "uuid", w->uuid) < 0)
                return -ENOMEM;
        patch_touch(p);
        return 0;
}

static int record_hostdev(xmlNode *entry, const struct gvt_want *w)
{
        const char *display, *ramfb;
        xmlNode *e = xmlNewChild(entry, entry->ns, BAD_CAST "hostdev", NULL);

        hostdev_want(w, &display, &ramfb);
        if (!e || xml_attr_set(e, "uuid", w->uuid) < 0 || xml_attr_set(e, "display", display) < 0 ||
            xml_attr_set(e, "ramfb", ramfb) < 0)
                return -ENOMEM;
        return 0;
}

/* A child of the record's entry marked as the user's. */
static int record_user(struct patch *p, xmlNode *entry, const xmlNode *old, const char *kind)
{
        xmlNode *e = xmlNewChild(entry, entry->ns, BAD_CAST kind, NULL);

        if (!state_is_user(old))
                p->flags |= OEMKVM_PATCH_USER_KEPT;
        return e && xml_attr_set(e, "owner", "user") == 0 ? 0 : -ENOMEM;
}

static int part_hostdev(struct patch *p, xmlNode *entry, const xmlNode *old, const struct gvt_want *w)
{
        xmlNode *h = hostdev_find(p);

        if (old && state_is_user(old))
                return w ? record_user(p, entry, old, "hostdev") : 0;
        if (old && !hostdev_is(h, xml_attr(old, "uuid"), xml_attr(old, "display"), xml_attr(old, "ramfb")))
                /* Edited or removed after oemkvm set it: the user's now. */
                return w ? record_user(p, entry, old, "hostdev") : 0;
        if (!w) {
                if (h && old) {
                        xml_remove(h);
                        patch_touch(p);
                }
                return 0;
        }
        if (!old) {
                /* A vGPU the user set up by hand for the same device: two would clash. */
                xml_foreach(x, xml_child(p->domain, NULL, "devices"), NULL, "hostdev")
                        if (x != h && xml_attr_is(x, "type", "mdev") && hostdev_uuid(x) &&
                            !strcasecmp(hostdev_uuid(x), w->uuid))
                                return oemkvm_error_set(p->err, -EEXIST,
                                                        "<oemkvm:gvt>: the domain already has a <hostdev type='mdev'> for %s — remove it, oemkvm adds its own",
                                                        w->uuid);
        }
        {
                const char *display, *ramfb;
                int r;

                hostdev_want(w, &display, &ramfb);
                if (!hostdev_is(h, w->uuid, display, ramfb) && (r = hostdev_set(p, h, w)) < 0)
                        return r;
        }
        return record_hostdev(entry, w);
}

/* ---------------------------------------------------------------- override */

static xmlNode *override_find(const struct patch *p)
{
        return xml_child(p->domain, OEMKVM_NS_QEMU, "override");
}

static xmlNode *override_device(const struct patch *p)
{
        xml_foreach(d, override_find(p), OEMKVM_NS_QEMU, "device")
                if (xml_attr_is(d, "alias", GVT_ALIAS))
                        return d;
        return NULL;
}

/* The two properties oemkvm sets, as a record entry or a tag names them. */
struct props {
        const char *opregion;           /* "true" or NULL */
        const char *romfile;            /* a path or NULL */
};

/* Does device d set exactly props (and nothing else)? */
static bool override_is(const xmlNode *d, const struct props *want)
{
        const xmlNode *fe = xml_child(d, OEMKVM_NS_QEMU, "frontend");
        bool seen_opregion = false, seen_romfile = false;

        xml_foreach(pr, fe, OEMKVM_NS_QEMU, NULL) {
                if (xml_is(pr, OEMKVM_NS_QEMU, "property") && xml_attr_is(pr, "name", "x-igd-opregion") &&
                    xml_attr_is(pr, "type", "bool") && want->opregion && xml_attr_is(pr, "value", want->opregion) &&
                    !seen_opregion)
                        seen_opregion = true;
                else if (xml_is(pr, OEMKVM_NS_QEMU, "property") && xml_attr_is(pr, "name", "romfile") &&
                         xml_attr_is(pr, "type", "string") && want->romfile &&
                         xml_attr_is(pr, "value", want->romfile) && !seen_romfile)
                        seen_romfile = true;
                else
                        return false;
        }
        return seen_opregion == !!want->opregion && seen_romfile == !!want->romfile;
}

static int override_add(struct patch *p, xmlNode *rec, const struct props *want)
{
        xmlNode *ov = override_find(p), *dev, *fe;

        if (!ov) {
                xmlNs *ns = xmlSearchNsByHref(p->doc, p->domain, BAD_CAST OEMKVM_NS_QEMU);
                bool ns_added = !ns;

                if (!ns) {
                        ns = xmlNewNs(p->domain, BAD_CAST OEMKVM_NS_QEMU, BAD_CAST "qemu");
                        if (!ns)
                                return oemkvm_error_set(p->err, -EINVAL,
                                                        "<oemkvm:gvt>: the prefix 'qemu' on <domain> is bound to another namespace — rename that prefix");
                }
                ov = xml_new(ns, "override", NULL);
                if (!ov || xml_attr_set(rec, "element", "added") < 0 ||
                    (ns_added && xml_attr_set(rec, "qemu-ns", "added") < 0))
                        return -ENOMEM;
                xml_append(p->domain, ov);
        }
        dev = xml_new(ov->ns, "device", "alias", GVT_ALIAS, NULL);
        fe = dev ? xmlAddChild(dev, xml_new(ov->ns, "frontend", NULL)) : NULL;
        if (!fe ||
            (want->opregion && !xmlAddChild(fe, xml_new(ov->ns, "property", "name", "x-igd-opregion",
                                                          "type", "bool", "value", want->opregion, NULL))) ||
            (want->romfile && !xmlAddChild(fe, xml_new(ov->ns, "property", "name", "romfile",
                                                         "type", "string", "value", want->romfile, NULL)))) {
                xmlFreeNode(dev);
                return -ENOMEM;
        }
        xml_append(ov, dev);
        patch_touch(p);
        return 0;
}

/* After a revert: drop the <qemu:override> and the namespace oemkvm made to hold its device. */
static void override_scaffolding(struct patch *p, const xmlNode *old)
{
        xmlNode *ov = override_find(p);

        if (xml_attr_is(old, "element", "added") && ov && !xml_child(ov, NULL, NULL)) {
                xml_remove(ov);
                patch_touch(p);
        }
        if (xml_attr_is(old, "qemu-ns", "added"))
                for (xmlNs **pp = &p->domain->nsDef; *pp; pp = &(*pp)->next) {
                        xmlNs *ns = *pp;

                        if (!xmlStrEqual(ns->href, BAD_CAST OEMKVM_NS_QEMU) || xml_ns_used(p->domain, ns))
                                continue;
                        *pp = ns->next;
                        ns->next = NULL;
                        xmlFreeNs(ns);
                        patch_touch(p);
                        break;
                }
}

static int part_override(struct patch *p, xmlNode *entry, const xmlNode *old, const struct gvt_want *w)
{
        struct props want = { w && w->opregion ? "true" : NULL, w ? w->rom : NULL };
        xmlNode *dev = override_device(p), *rec;

        if (old && state_is_user(old))
                return w ? record_user(p, entry, old, "override") : 0;
        if (old) {
                struct props had = { xml_attr(old, "x-igd-opregion"), xml_attr(old, "romfile") };

                if (!dev || !override_is(dev, &had))
                        return w ? record_user(p, entry, old, "override") : 0;
        }
        if (!want.opregion && !want.romfile) {
                /* Nothing to override (or untagged): oemkvm's device goes. */
                if (old) {
                        xml_remove(dev);
                        patch_touch(p);
                        override_scaffolding(p, old);
                }
                return 0;
        }
        /* The same attribute order whichever way the entry comes about. */
        rec = xmlNewChild(entry, entry->ns, BAD_CAST "override", NULL);
        if (!rec || xml_attr_set(rec, "x-igd-opregion", want.opregion) < 0 ||
            xml_attr_set(rec, "romfile", want.romfile) < 0 ||
            (old && (xml_attr_set(rec, "element", xml_attr(old, "element")) < 0 ||
                     xml_attr_set(rec, "qemu-ns", xml_attr(old, "qemu-ns")) < 0)))
                return -ENOMEM;
        if (dev && override_is(dev, &want))
                return 0;
        if (dev && !old)
                return oemkvm_error_set(p->err, -EEXIST,
                                        "<qemu:override> already has a <qemu:device alias='%s'> that oemkvm did not write — remove it, oemkvm writes its own",
                                        GVT_ALIAS);
        if (dev) {
                xml_remove(dev);
                patch_touch(p);
        }
        return override_add(p, rec, &want);
}

/* ---------------------------------------------------------------- display */

/* The elements oemkvm adds for a display, by what identifies them. */
static const struct added_kind {
        const char *kind;
        const char *element;            /* graphics or video */
} added_kinds[] = {
        { "spice-gl",     "graphics" },
        { "vnc",          "graphics" },
        { "egl-headless", "graphics" },
        { "video-none",   "video" },
};

static bool is_kind(const xmlNode *n, const char *kind)
{
        if (!strcmp(kind, "spice-gl"))
                return xml_is(n, NULL, "graphics") && xml_attr_is(n, "type", "spice") &&
                       xml_attr_is(xml_child(n, NULL, "gl"), "enable", "yes");
        if (!strcmp(kind, "vnc") || !strcmp(kind, "egl-headless"))
                return xml_is(n, NULL, "graphics") && xml_attr_is(n, "type", kind);
        return xml_is(n, NULL, "video") && xml_attr_is(xml_child(n, NULL, "model"), "type", "none");
}

static xmlNode *find_kind(const struct patch *p, const char *kind)
{
        xml_foreach(d, xml_child(p->domain, NULL, "devices"), NULL, NULL)
                if (is_kind(d, kind))
                        return d;
        return NULL;
}

static xmlNode *new_kind(const char *kind)
{
        xmlNode *n;

        if (!strcmp(kind, "spice-gl")) {
                n = xml_new(NULL, "graphics", "type", "spice", NULL);
                if (n && xmlAddChild(n, xml_new(NULL, "listen", "type", "none", NULL)) &&
                    xmlAddChild(n, xml_new(NULL, "gl", "enable", "yes", NULL)))
                        return n;
        } else if (!strcmp(kind, "vnc"))
                return xml_new(NULL, "graphics", "type", "vnc", "port", "-1", "autoport", "yes", NULL);
        else if (!strcmp(kind, "egl-headless"))
                return xml_new(NULL, "graphics", "type", "egl-headless", NULL);
        else {
                n = xml_new(NULL, "video", NULL);
                if (n && xmlAddChild(n, xml_new(NULL, "model", "type", "none", NULL)))
                        return n;
        }
        xmlFreeNode(n);
        return NULL;
}

/* The device elements called name, in document order: how many there
 * are, the first max of them in out. */
static size_t list_elements(const struct patch *p, const char *name, xmlNode **out, size_t max)
{
        size_t n = 0;

        xml_foreach(d, xml_child(p->domain, NULL, "devices"), NULL, name) {
                if (n < max)
                        out[n] = d;
                n++;
        }
        return n;
}

static int record_removed(xmlNode *rec, const char *what, xmlNode *n)
{
        xmlBuffer *buf = xmlBufferCreate();
        xmlNode *e;
        int r = -ENOMEM;

        if (buf && xmlNodeDump(buf, n->doc, n, 0, 0) >= 0 &&
            (e = xmlNewChild(rec, rec->ns, BAD_CAST "removed", NULL)) &&
            xml_attr_set(e, "what", what) == 0 && xml_attr_set(e, "xml", (const char *)xmlBufferContent(buf)) == 0)
                r = 0;
        if (buf)
                xmlBufferFree(buf);
        return r;
}

static int record_added(xmlNode *rec, const char *kind)
{
        xmlNode *e = xmlNewChild(rec, rec->ns, BAD_CAST "added", NULL);

        return e && xml_attr_set(e, "kind", kind) == 0 ? 0 : -ENOMEM;
}

/*
 * Every `element` of the definition gives way to one new `kind` in the
 * place of the first (or after the last device when there is none); each
 * one replaced goes into the record whole.  Nothing happens when the
 * definition already has exactly that one element.
 */
static int replace_all(struct patch *p, xmlNode *rec, const char *element, const char *kind)
{
        xmlNode *have[64], *n;
        size_t count = list_elements(p, element, have, ARRAY_SIZE(have));
        int r;

        if (count > ARRAY_SIZE(have))
                return oemkvm_error_set(p->err, -E2BIG, "<oemkvm:gvt>: the domain has more than %zu <%s> elements",
                                        ARRAY_SIZE(have), element);
        if (count == 1 && is_kind(have[0], kind))
                return 0;
        n = new_kind(kind);
        if (!n)
                return -ENOMEM;
        if (count)
                xml_insert_after(have[0], n);
        else
                xml_append(patch_devices(p), n);
        for (size_t i = 0; i < count; i++) {
                r = record_removed(rec, element, have[i]);
                if (r < 0)
                        return r;
                xml_remove(have[i]);
        }
        patch_touch(p);
        return record_added(rec, kind);
}

static int add_kind(struct patch *p, xmlNode *rec, const char *kind)
{
        xmlNode *have[64], *n;
        size_t count = list_elements(p, "graphics", have, ARRAY_SIZE(have));

        if (find_kind(p, kind))
                return 0;
        if (count > ARRAY_SIZE(have))
                return oemkvm_error_set(p->err, -E2BIG, "<oemkvm:gvt>: the domain has more than %zu <graphics> elements",
                                        ARRAY_SIZE(have));
        n = new_kind(kind);
        if (!n)
                return -ENOMEM;
        if (count)
                xml_insert_after(have[count - 1], n);
        else
                xml_append(patch_devices(p), n);
        patch_touch(p);
        return record_added(rec, kind);
}

/* Password-protected displays would have their password copied into the
 * record, which read-only clients of libvirt see: refuse instead. */
static int check_no_password(struct patch *p)
{
        xml_foreach(g, xml_child(p->domain, NULL, "devices"), NULL, "graphics")
                if (xml_attr(g, "passwd"))
                        return oemkvm_error_set(p->err, -EINVAL,
                                                "<oemkvm:gvt display='spice-gl'> would replace the password-protected <graphics type='%s'>, and oemkvm keeps no passwords in its record — remove passwd= (the SPICE display it adds is local only) or use display='vnc'",
                                                xml_attr(g, "type") ? xml_attr(g, "type") : "?");
        return 0;
}

static int display_apply(struct patch *p, xmlNode *entry, enum display mode)
{
        xmlNode *rec;
        int r;

        if (mode == DISPLAY_SPICE_GL && (r = check_no_password(p)) < 0)
                return r;
        rec = xmlNewChild(entry, entry->ns, BAD_CAST "display", NULL);
        if (!rec || xml_attr_set(rec, "mode", display_names[mode]) < 0)
                return -ENOMEM;
        if (mode == DISPLAY_SPICE_GL)
                r = replace_all(p, rec, "graphics", "spice-gl");
        else {
                r = add_kind(p, rec, "egl-headless");
                if (r >= 0 && !find_kind(p, "vnc"))
                        r = add_kind(p, rec, "vnc");
        }
        if (r >= 0)
                r = replace_all(p, rec, "video", "video-none");
        return r;
}

/* Puts each element the record says oemkvm replaced back in place of `at`. */
static int restore_removed(struct patch *p, const xmlNode *old, const char *what, xmlNode *at)
{
        xmlNode *ref = at;

        xml_foreach(e, old, OEMKVM_NS_STATE, "removed") {
                const char *xml = xml_attr(e, "xml");
                xmlDoc *doc = NULL;
                xmlNode *copy, *root;
                char saved[32];
                int r;

                if (!xml_attr_is(e, "what", what) || !xml)
                        continue;
                /* Whoever edits the definition edits the record too: what
                 * goes back is the one <graphics> or <video> oemkvm took
                 * out, never a disk or a hostdev the record smuggles in. */
                snprintf(saved, sizeof(saved), "a saved <%s> element", what);
                r = xml_parse(xml, strlen(xml), "the record's saved display", &doc, NULL);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return state_refuse(p, e, "xml", saved);
                root = xmlDocGetRootElement(doc);
                if (root->ns || !xmlStrEqual(root->name, BAD_CAST what)) {
                        xmlFreeDoc(doc);
                        return state_refuse(p, e, "xml", saved);
                }
                copy = xmlDocCopyNode(root, p->doc, 1);
                xmlFreeDoc(doc);
                if (!copy)
                        return -ENOMEM;
                /* Its old indentation goes; xml_insert_after lays it out here. */
                for (xmlNode *c = copy->children, *next; c; c = next) {
                        next = c->next;
                        if (c->type == XML_TEXT_NODE && xmlIsBlankNode(c)) {
                                xmlUnlinkNode(c);
                                xmlFreeNode(c);
                        }
                }
                if (ref)
                        xml_insert_after(ref, copy);
                else
                        xml_append(patch_devices(p), copy);
                ref = copy;
        }
        return 0;
}

/* Undoes display_apply: its elements go, the user's come back where they were. */
static int display_revert(struct patch *p, const xmlNode *old)
{
        static const char *const whats[] = { "graphics", "video" };

        for (size_t i = 0; i < ARRAY_SIZE(whats); i++) {
                xmlNode *anchor = NULL;
                int r;

                xml_foreach(a, old, OEMKVM_NS_STATE, "added") {
                        for (size_t k = 0; k < ARRAY_SIZE(added_kinds); k++)
                                if (xml_attr_is(a, "kind", added_kinds[k].kind) &&
                                    !strcmp(added_kinds[k].element, whats[i]) && !anchor)
                                        anchor = find_kind(p, added_kinds[k].kind);
                }
                r = restore_removed(p, old, whats[i], anchor);
                if (r < 0)
                        return r;
                xml_foreach(a, old, OEMKVM_NS_STATE, "added")
                        for (size_t k = 0; k < ARRAY_SIZE(added_kinds); k++) {
                                xmlNode *n;

                                if (!xml_attr_is(a, "kind", added_kinds[k].kind) ||
                                    strcmp(added_kinds[k].element, whats[i]))
                                        continue;
                                n = find_kind(p, added_kinds[k].kind);
                                if (n)
                                        xml_remove(n);
                        }
        }
        patch_touch(p);
        return 0;
}

/* Is everything oemkvm added for this display still there? */
static bool display_intact(const struct patch *p, const xmlNode *old)
{
        xml_foreach(a, old, OEMKVM_NS_STATE, "added")
                if (!xml_attr(a, "kind") || !find_kind(p, xml_attr(a, "kind")))
                        return false;
        return true;
}

static int part_display(struct patch *p, xmlNode *entry, const xmlNode *old, const struct gvt_want *w)
{
        enum display mode = w ? w->display : DISPLAY_NONE;
        int r;

        if (old && state_is_user(old))
                return w ? record_user(p, entry, old, "display") : 0;
        if (old && !display_intact(p, old))
                return w ? record_user(p, entry, old, "display") : 0;
        if (old && xml_attr_is(old, "mode", display_names[mode]))
                return state_keep_child(entry, old) < 0 ? -ENOMEM : 0;
        if (old) {
                r = display_revert(p, old);
                if (r < 0)
                        return r;
        }
        return mode == DISPLAY_NONE ? 0 : display_apply(p, entry, mode);
}

/* ---------------------------------------------------------------- feature */

int patch_gvt(struct patch *p, const xmlNode *feature)
{
        const xmlNode *old = state_find(p, "gvt", NULL, NULL);
        struct gvt_want want = {};
        xmlNode *entry;
        int r;

        if (!feature && !old)
                return 0;
        if (feature) {
                r = read_want(p, feature, &want);
                if (r < 0)
                        goto out;
        }
        entry = state_add(p, "gvt", "parent", feature ? want.parent : NULL,
                          "type", feature ? want.type : NULL, "uuid", feature ? want.uuid : NULL, NULL);
        r = entry ? 0 : -ENOMEM;
        if (r >= 0)
                r = part_hostdev(p, entry, xml_child(old, OEMKVM_NS_STATE, "hostdev"), feature ? &want : NULL);
        if (r >= 0)
                r = part_override(p, entry, xml_child(old, OEMKVM_NS_STATE, "override"), feature ? &want : NULL);
        if (r >= 0)
                r = part_display(p, entry, xml_child(old, OEMKVM_NS_STATE, "display"), feature ? &want : NULL);
        /* Untagged: the entry was only scaffolding for the parts. */
        if (r >= 0 && !feature)
                state_drop(p, entry);
        if (r >= 0 && feature) {
                p->gvt.parent = want.parent;
                p->gvt.type = want.type;
                memcpy(p->gvt.uuid, want.uuid, sizeof(want.uuid));
                /* The device the definition names, once the user made the hostdev theirs. */
                if (hostdev_find(p) && hostdev_uuid(hostdev_find(p)) &&
                    oemkvm_mdev_uuid_parse(hostdev_uuid(hostdev_find(p)), p->gvt.uuid) < 0)
                        memcpy(p->gvt.uuid, want.uuid, sizeof(want.uuid));
                p->gvt.rom = TAKE_PTR(want.rom);
        }
out:
        want_clear(&want);
        return r;
}

int patch_gvt_files(struct patch *p, char ***list)
{
        const xmlNode *rom = NULL;
        size_t n = 0;
        char **l;

        /* The romfile of oemkvm's own override device, whoever owns it now. */
        xml_foreach(pr, xml_child(override_device(p), OEMKVM_NS_QEMU, "frontend"), OEMKVM_NS_QEMU, "property")
                if (xml_attr_is(pr, "name", "romfile") && xml_attr(pr, "value"))
                        rom = pr;
        if (!rom || !state_find(p, "gvt", NULL, NULL))
                return 0;
        while ((*list)[n])
                n++;
        l = realloc(*list, (n + 2) * sizeof(char *));
        if (!l)
                return -ENOMEM;
        *list = l;
        l[n] = strdup(xml_attr(rom, "value"));
        l[n + 1] = NULL;
        return l[n] ? 0 : -ENOMEM;
}
