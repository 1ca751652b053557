/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The oemkvm command's libvirt client code: connecting, finding domains,
 * libvirt's errors in oemkvm's words, and virt_apply — the one
 * patch-and-define step that apply, tag and watch all use.
 */
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "tool.h"
#include "virt.h"

extern char **environ;

/* libvirt prints every error itself unless told not to; tools report once. */
static void virt_error_silent(void *opaque, virErrorPtr e)
{
        (void)opaque;
        (void)e;
}

virConnectPtr virt_connect(const char *uri, bool report)
{
        virConnectPtr conn;

        virSetErrorFunc(NULL, virt_error_silent);
        conn = virConnectOpen(uri);
        if (!conn && report)
                tool_error("cannot connect to libvirt%s%s%s: %s", uri ? " at '" : "", uri ? uri : "",
                           uri ? "'" : "", virt_error());
        return conn;
}

const char *virt_error(void)
{
        static char line[1024];
        virErrorPtr e = virGetLastError();
        const char *msg = e && e->message ? e->message : "unknown libvirt error";
        const char *hint = "";

        if (e && (e->code == VIR_ERR_AUTH_FAILED || e->code == VIR_ERR_AUTH_CANCELLED ||
                  e->code == VIR_ERR_ACCESS_DENIED || strstr(msg, "Permission denied")))
                hint = " — run it with sudo";
        else if (e && e->code == VIR_ERR_SYSTEM_ERROR && strstr(msg, "Failed to connect socket"))
                hint = " — is libvirtd (or virtqemud) running? 'systemctl status libvirtd'";
        snprintf(line, sizeof(line), "%s%s", msg, hint);
        /* One line, whatever libvirt put into it. */
        for (char *c = line; *c; c++)
                if (*c == '\n' || *c == '\r' || *c == '\t')
                        *c = ' ';
        return line;
}

virDomainPtr virt_lookup(virConnectPtr conn, const char *name)
{
        virDomainPtr dom = NULL;
        char *end;
        long id;

        /* virsh's order: an ID, a UUID, a name. */
        errno = 0;
        id = strtol(name, &end, 10);
        if (!errno && end != name && !*end && id >= 0 && id <= INT_MAX)
                dom = virDomainLookupByID(conn, (int)id);
        if (!dom && strlen(name) == VIR_UUID_STRING_BUFLEN - 1)
                dom = virDomainLookupByUUIDString(conn, name);
        if (!dom)
                dom = virDomainLookupByName(conn, name);
        if (dom)
                return dom;
        if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN)
                tool_error("domain '%s' not found: no domain has that name, UUID or ID ('virsh list --all' lists them)",
                           name);
        else
                tool_error("domain '%s': %s", name, virt_error());
        return NULL;
}

void virt_applied_clear(struct virt_applied *a)
{
        oemkvm_patch_result_clear(&a->patch);
        free(a->before);
        free(a->after);
        *a = (struct virt_applied){};
}

/*
 * libvirt writes attributes in single quotes, the engine's libxml2 in
 * double quotes: a diff of the raw sides would show every line.  Both
 * sides go through libxml2's serializer so only real changes show.
 * oemkvm's record is left out unless asked for: it is bookkeeping.
 */
static char *xml_normalize(const char *xml, bool with_record)
{
        xmlDoc *doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        xmlNode *metadata = NULL;
        xmlChar *out = NULL;
        char *ret = NULL;
        int len = 0;

        if (!doc)
                return NULL;
        for (xmlNode *n = xmlDocGetRootElement(doc)->children; n; n = n->next)
                if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST "metadata"))
                        metadata = n;
        for (xmlNode *n = metadata ? metadata->children : NULL, *next; !with_record && n; n = next) {
                next = n->next;
                if (n->type == XML_ELEMENT_NODE && n->ns && xmlStrEqual(n->ns->href, BAD_CAST OEMKVM_NS_STATE)) {
                        xmlNode *indent = n->prev;

                        /* With the indentation in front of it. */
                        if (indent && indent->type == XML_TEXT_NODE && xmlIsBlankNode(indent)) {
                                xmlUnlinkNode(indent);
                                xmlFreeNode(indent);
                        }
                        xmlUnlinkNode(n);
                        xmlFreeNode(n);
                }
        }
        xmlDocDumpMemory(doc, &out, &len);
        xmlFreeDoc(doc);
        if (out)
                ret = strdup((const char *)out);
        xmlFree(out);
        return ret;
}

/*
 * The definition with the tag set as asked, then patched.  A tag that
 * needs the host store when there is none yet (tagged before the first
 * `oemkvm dump`) makes the store first, from this host's firmware, as the
 * hook would at the start: when run as root and not a dry run.
 */
static int patch_with_tag(const struct oemkvm_ctx *ctx, const struct virt_request *req, const char *xml,
                          struct oemkvm_patch_result *res, bool *ret_tag_changed, bool *collected,
                          struct oemkvm_error *err)
{
        _cleanup_free_ char *tagged = NULL;
        const char *x;
        int r = 0;

        *ret_tag_changed = false;
        if (req->set_tag) {
                r = oemkvm_tag_set(req->tag, xml, strlen(xml), &tagged, err);
                if (r < 0)
                        return r;
                *ret_tag_changed = r > 0;
        }
        x = tagged ? tagged : xml;
        r = oemkvm_patch(ctx, x, strlen(x), res, err);
        if (r == -ENODATA && !*collected && !req->dry_run && geteuid() == 0) {
                struct oemkvm_error why = {};

                r = oemkvm_store_refresh(ctx, &why);
                if (r < 0)
                        return oemkvm_error_set(err, r,
                                                "the license store '%s' holds no dump and cannot be made from this host's firmware: %s",
                                                oemkvm_ctx_get_store_dir(ctx), why.message);
                *collected = true;
                *err = (struct oemkvm_error){};
                r = oemkvm_patch(ctx, x, strlen(x), res, err);
        }
        return r;
}

static char *get_xml(virDomainPtr dom, const char *what, struct oemkvm_error *err)
{
        char *xml = virDomainGetXMLDesc(dom, VIRT_XML_FLAGS);

        if (!xml)
                oemkvm_error_set(err, -EIO, "domain '%s': cannot %s its definition: %s",
                                 virDomainGetName(dom), what, virt_error());
        return xml;
}

int virt_apply(virDomainPtr dom, const struct oemkvm_ctx *ctx, const struct virt_request *req,
               struct virt_applied *ret, struct oemkvm_error *err)
{
        const char *name = virDomainGetName(dom);
        struct oemkvm_patch_result again = {};
        struct oemkvm_error sub = {};
        struct virt_applied a = {};
        _cleanup_free_ char *first = NULL, *xml = NULL, *final = NULL;
        const char *define;
        virDomainPtr defined;
        bool changed;
        int r = 0;

        switch (virDomainIsPersistent(dom)) {
        case 1:
                break;
        case 0:
                return oemkvm_error_set(err, -EPERM,
                        "domain '%s' is transient (never defined, as virt-manager's installer starts a new one): there is no definition to %s — define it first",
                        name, req->set_tag ? "tag" : "patch");
        default:
                return oemkvm_error_set(err, -EIO, "domain '%s': %s", name, virt_error());
        }

        /* What the user's action changes is measured against this. */
        first = get_xml(dom, "read", err);
        if (!first)
                return -EIO;
        r = patch_with_tag(ctx, req, first, &a.patch, &a.tag_changed, &a.collected, &sub);
        if (r < 0)
                goto fail;
        a.changed = a.tag_changed || (a.patch.flags & OEMKVM_PATCH_CHANGED);
        if (!a.changed)
                goto done;
        if (req->dry_run) {
                final = strdup(a.patch.xml);
                goto diff;
        }

        /*
         * Never overwrite a define that happened while we patched: the new
         * definition is patched in turn.  Usually it was the watcher's own
         * define of the same change, and then there is nothing left to do.
         */
        xml = strdup(first);
        define = a.patch.xml;
        for (int attempt = 0;; attempt++) {
                _cleanup_free_ char *now = get_xml(dom, "re-read", err);

                if (!now) {
                        r = -EIO;
                        goto out;
                }
                if (!xml || strcmp(now, xml)) {
                        bool tag_changed;

                        if (attempt == 3) {
                                r = oemkvm_error_set(err, -EAGAIN,
                                        "domain '%s' keeps being redefined while oemkvm patches it; left as it is now — run 'oemkvm apply %s' again",
                                        name, name);
                                goto out;
                        }
                        oemkvm_patch_result_clear(&again);
                        r = patch_with_tag(ctx, req, now, &again, &tag_changed, &a.collected, &sub);
                        if (r < 0)
                                goto fail;
                        free(xml);
                        xml = TAKE_PTR(now);
                        changed = tag_changed || (again.flags & OEMKVM_PATCH_CHANGED);
                        if (!changed) {
                                a.raced = true;
                                final = strdup(xml);
                                break;
                        }
                        define = again.xml;
                        continue;
                }
                defined = virDomainDefineXML(virDomainGetConnect(dom), define);
                if (!defined) {
                        r = oemkvm_error_set(err, -EIO, "domain '%s': libvirt refused the patched definition: %s",
                                             name, virt_error());
                        goto out;
                }
                virDomainFree(defined);
                a.defined = true;
                final = strdup(define);
                break;
        }
diff:
        if (!final) {
                r = oemkvm_error_set(err, -ENOMEM, "domain '%s': out of memory", name);
                goto out;
        }
        if (req->want_diff) {
                a.before = xml_normalize(first, req->verbose);
                a.after = xml_normalize(final, req->verbose);
                if (!a.before || !a.after) {
                        r = oemkvm_error_set(err, -ENOMEM, "domain '%s': cannot prepare the diff", name);
                        goto out;
                }
        }
done:
        *ret = a;
        a = (struct virt_applied){};
        r = 0;
        goto out;
fail:
        r = oemkvm_error_set(err, r, "domain '%s': %s", name, sub.message[0] ? sub.message : strerror(-r));
out:
        oemkvm_patch_result_clear(&again);
        virt_applied_clear(&a);
        return r;
}

/* Writes s to a new temp file; returns its path (malloc'd). */
static char *write_temp(const char *s)
{
        const char *tmp = getenv("TMPDIR");
        char *path = NULL;
        size_t len = strlen(s);
        int fd;

        if (asprintf(&path, "%s/oemkvm-diff.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
                return NULL;
        fd = mkstemp(path);
        if (fd < 0) {
                free(path);
                return NULL;
        }
        for (size_t off = 0; off < len;) {
                ssize_t n = write(fd, s + off, len - off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        close(fd);
                        unlink(path);
                        free(path);
                        return NULL;
                }
                off += (size_t)n;
        }
        close(fd);
        return path;
}

static int print_diff(const char *name, const struct virt_applied *a)
{
        char *old_path = write_temp(a->before), *new_path = write_temp(a->after);
        char *old_label = NULL, *new_label = NULL;
        int r = -ENOMEM, status;
        pid_t pid;

        if (old_path && new_path && asprintf(&old_label, "%s (defined)", name) >= 0 &&
            asprintf(&new_label, "%s (patched)", name) >= 0) {
                char *argv[] = { "diff", "-u", "--label", old_label, "--label", new_label,
                                 old_path, new_path, NULL };

                fflush(stdout);
                r = -posix_spawnp(&pid, "diff", NULL, NULL, argv, environ);
                /* diff exits 1 when the files differ, which is the point. */
                if (r == 0 && (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) > 1))
                        r = -EIO;
        }
        if (r < 0)
                tool_error("domain '%s': cannot print the diff (is diff(1) installed?): %s", name, strerror(-r));
        if (old_path)
                unlink(old_path);
        if (new_path)
                unlink(new_path);
        free(old_path);
        free(new_path);
        free(old_label);
        free(new_label);
        return r;
}

void virt_warn_changes(virDomainPtr dom, const struct oemkvm_patch_result *res, bool defined)
{
        const char *name = virDomainGetName(dom);

        for (char **n = res->notes; n && *n; n++)
                tool_error("note: domain '%s': %s", name, *n);
        if (res->flags & OEMKVM_PATCH_BUS_SWITCHED)
                tool_error("warning: domain '%s': a disk moved to VirtIO SCSI — a Windows already installed on SATA cannot boot from it until the vioscsi driver is installed in it (virtio-win ISO); or move the disk back to SATA: oemkvm keeps your choice",
                           name);
        if (defined && virDomainIsActive(dom) == 1)
                tool_error("note: domain '%s' is running: the change takes effect when it is shut down and started again (a reboot inside the guest keeps the old configuration)",
                           name);
}

/* What was done, in words: the engine's summary, or what the tag did. */
static const char *what_was_done(const struct virt_applied *a, const struct virt_request *req)
{
        if (a->patch.summary)
                return a->patch.summary;
        if (a->tag_changed)
                return req->tag ? "tag set" : "tag removed";
        return "updated";
}

int virt_apply_print(virDomainPtr dom, const struct oemkvm_ctx *ctx, const struct virt_request *req,
                     bool quiet_untagged, enum virt_outcome *ret_outcome, struct oemkvm_error *err)
{
        const char *name = virDomainGetName(dom);
        struct virt_request with_diff = *req;
        struct virt_applied a = {};
        enum virt_outcome outcome;
        int r;

        with_diff.want_diff = true;
        r = virt_apply(dom, ctx, &with_diff, &a, err);
        if (r < 0)
                return r;
        if (a.collected)
                printf("made the license store %s from this host's firmware (no 'oemkvm dump' had been run)\n",
                       oemkvm_ctx_get_store_dir(ctx));
        if (!a.changed && !(a.patch.flags & OEMKVM_PATCH_TAGGED)) {
                outcome = VIRT_UNTAGGED;
                if (!quiet_untagged)
                        printf("%s: not tagged, nothing to do\n", name);
        } else if (!a.changed) {
                outcome = VIRT_UP_TO_DATE;
                printf("%s: up to date\n", name);
        } else {
                outcome = req->dry_run ? VIRT_DRY_RUN : VIRT_DEFINED;
                print_diff(name, &a);
                printf("%s: %s (%s)\n", name,
                       req->dry_run ? "not defined, dry run" :
                       a.raced ? "defined meanwhile by another client" : "defined",
                       what_was_done(&a, req));
        }
        /* Warnings whoever defined: they are about the user's change. */
        if (a.changed)
                virt_warn_changes(dom, &a.patch, a.defined || a.raced);
        if (ret_outcome)
                *ret_outcome = outcome;
        virt_applied_clear(&a);
        return 0;
}
