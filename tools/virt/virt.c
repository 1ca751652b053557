/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The oemkvm command's libvirt client code: connecting, and virt_apply —
 * the one patch-and-define step that apply, tag and watch all use.
 */
#include <errno.h>
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
        return virGetLastErrorMessage();
}

void virt_applied_clear(struct virt_applied *a)
{
        free(a->before);
        free(a->after);
        *a = (struct virt_applied){};
}

/*
 * libvirt writes attributes in single quotes, the engine's libxml2 in
 * double quotes: a diff of the raw sides would show every line.  Both
 * sides go through libxml2's serializer so only real changes show.
 */
static char *xml_normalize(const char *xml)
{
        xmlDoc *doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        xmlChar *out = NULL;
        char *ret = NULL;
        int len = 0;

        if (!doc)
                return NULL;
        xmlDocDumpMemory(doc, &out, &len);
        xmlFreeDoc(doc);
        if (out)
                ret = strdup((const char *)out);
        xmlFree(out);
        return ret;
}

static int apply_once(virDomainPtr dom, const struct oemkvm_ctx *ctx, bool dry_run, bool want_diff,
                      struct virt_applied *ret, struct oemkvm_error *err)
{
        const char *name = virDomainGetName(dom);
        struct oemkvm_patch_result res = {};
        struct oemkvm_error sub = {};
        struct virt_applied a = {};
        char *xml = NULL, *now = NULL;
        virDomainPtr defined;
        int r = 0;

        switch (virDomainIsPersistent(dom)) {
        case 1:
                break;
        case 0:
                return oemkvm_error_set(err, -EPERM,
                        "domain '%s' is transient (never defined): there is no definition to patch — define it first",
                        name);
        default:
                return oemkvm_error_set(err, -EIO, "domain '%s': %s", name, virt_error());
        }

        xml = virDomainGetXMLDesc(dom, VIRT_XML_FLAGS);
        if (!xml)
                return oemkvm_error_set(err, -EIO, "domain '%s': cannot read its definition: %s",
                        name, virt_error());
        r = oemkvm_patch(ctx, xml, strlen(xml), &res, &sub);
        if (r == -ENODATA && !dry_run && geteuid() == 0) {
                /* Tagged before the first `oemkvm dump`: make the store from
                 * this host's firmware, as the hook would at the start. */
                struct oemkvm_error why = {};

                r = oemkvm_store_refresh(ctx, &why);
                if (r < 0) {
                        r = oemkvm_error_set(err, r,
                                "domain '%s': the license store '%s' holds no dump and cannot be made from this host's firmware: %s",
                                name, oemkvm_ctx_get_store_dir(ctx), why.message);
                        goto out;
                }
                a.collected = true;
                sub = (struct oemkvm_error){};
                r = oemkvm_patch(ctx, xml, strlen(xml), &res, &sub);
        }
        if (r < 0) {
                r = oemkvm_error_set(err, r, "domain '%s': %s", name, sub.message);
                goto out;
        }
        a.flags = res.flags;
        if (!(res.flags & OEMKVM_PATCH_CHANGED))
                goto done;

        if (want_diff) {
                a.before = xml_normalize(xml);
                a.after = xml_normalize(res.xml);
                if (!a.before || !a.after) {
                        r = oemkvm_error_set(err, -ENOMEM, "domain '%s': cannot prepare the diff", name);
                        goto out;
                }
        }
        if (dry_run)
                goto done;

        /* Never overwrite a define that happened while we patched. */
        now = virDomainGetXMLDesc(dom, VIRT_XML_FLAGS);
        if (!now) {
                r = oemkvm_error_set(err, -EIO, "domain '%s': cannot re-read its definition: %s",
                        name, virt_error());
                goto out;
        }
        if (strcmp(now, xml) != 0) {
                r = oemkvm_error_set(err, -EAGAIN,
                        "domain '%s' was redefined while oemkvm patched it; left as it is now — run 'oemkvm apply %s' again",
                        name, name);
                goto out;
        }
        defined = virDomainDefineXML(virDomainGetConnect(dom), res.xml);
        if (!defined) {
                r = oemkvm_error_set(err, -EIO, "domain '%s': libvirt refused the patched definition: %s",
                        name, virt_error());
                goto out;
        }
        virDomainFree(defined);
        a.defined = true;
done:
        *ret = a;
        a = (struct virt_applied){};
        r = 0;
out:
        virt_applied_clear(&a);
        oemkvm_patch_result_clear(&res);
        free(xml);
        free(now);
        return r;
}

int virt_apply(virDomainPtr dom, const struct oemkvm_ctx *ctx, bool dry_run, bool want_diff,
               struct virt_applied *ret, struct oemkvm_error *err)
{
        int r;

        /*
         * A define that raced ours is patched in turn, never overwritten:
         * usually it was the watcher's (or apply's) own, and the next pass
         * finds the definition up to date.
         */
        for (int attempt = 0;; attempt++) {
                r = apply_once(dom, ctx, dry_run, want_diff, ret, err);
                if (r != -EAGAIN || attempt == 2)
                        return r;
        }
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

void virt_warn_changes(virDomainPtr dom, unsigned flags, bool defined)
{
        const char *name = virDomainGetName(dom);

        if (flags & OEMKVM_PATCH_BUS_SWITCHED)
                tool_error("warning: domain '%s': a disk moved to VirtIO SCSI — a Windows already installed on SATA cannot boot from it until the vioscsi driver is installed in it (virtio-win ISO); or move the disk back to SATA: oemkvm keeps your choice",
                           name);
        if (defined && virDomainIsActive(dom) == 1)
                tool_error("note: domain '%s' is running: the change takes effect when it is shut down and started again (a reboot inside the guest keeps the old configuration)",
                           name);
}

int virt_apply_print(virDomainPtr dom, const struct oemkvm_ctx *ctx, bool dry_run, bool quiet_untagged,
                     struct oemkvm_error *err)
{
        const char *name = virDomainGetName(dom);
        struct virt_applied a = {};
        int r;

        r = virt_apply(dom, ctx, dry_run, true, &a, err);
        if (r < 0)
                return r;
        if (a.collected)
                printf("made the license store %s from this host's firmware (no 'oemkvm dump' had been run)\n",
                       oemkvm_ctx_get_store_dir(ctx));
        if (!(a.flags & (OEMKVM_PATCH_TAGGED | OEMKVM_PATCH_CHANGED))) {
                if (!quiet_untagged)
                        printf("%s: not tagged, nothing to do\n", name);
        } else if (!(a.flags & OEMKVM_PATCH_CHANGED))
                printf("%s: up to date\n", name);
        else {
                print_diff(name, &a);
                printf("%s: %s\n", name, a.defined ? "defined" : "not defined (dry run)");
                virt_warn_changes(dom, a.flags, a.defined);
        }
        virt_applied_clear(&a);
        return 0;
}
