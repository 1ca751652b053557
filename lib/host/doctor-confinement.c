/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The doctor's confinement checks: QEMU reads the store (and a vGPU's ROM)
 * under AppArmor or SELinux, not only by file mode.  virt-aa-helper cannot
 * add files named only on QEMU's command line to a domain's profile, so
 * they must come from the local include of the libvirt-qemu abstraction:
 * are the rules there, do they cover every file, does libvirt's profile
 * template still compile with them, and — on the live host — do the
 * profiles of running guests let QEMU read the files?  Under SELinux the
 * files need a type svirt lets QEMU read.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/xattr.h>

#include "host/doctor.h"
#include "host/host.h"
#include "host/probe.h"
#include "util/util.h"

#define GROUP "confinement"
#define LOCAL_RULES "/etc/apparmor.d/local/abstractions/libvirt-qemu"

enum lsm_state { LSM_ABSENT, LSM_OFF, LSM_ON, LSM_PERMISSIVE };

/* The files QEMU must read for oemkvm: the store's, every domain's license files and ROMs. */
/* Do the local rules let QEMU read path?  The hook's reader (apparmor.c)
 * decides; a rule it cannot follow counts as granting, as at start. */
static bool rules_grant(const char *text, const char *path)
{
        unsigned line;
        enum apparmor_verdict v = apparmor_rules_verdict(text, strlen(text), path, &line);

        return v == ALLOWED || v == GAVE_UP;
}

static int needed_files(const struct doctor *d, char ***ret)
{
        static const char *const names[] = {
                OEMKVM_STORE_MSDM, OEMKVM_STORE_SLIC, OEMKVM_STORE_SMBIOS0, OEMKVM_STORE_SMBIOS1,
        };
        const char *store = oemkvm_ctx_get_store_dir(d->ctx);
        char **list = calloc(1, sizeof(*list));
        size_t n = 0;

#define PUSH(s)                                                                  \
        do {                                                                     \
                char **_l = realloc(list, (n + 2) * sizeof(*list));              \
                if (!_l || !(_l[n] = (s))) {                                     \
                        oemkvm_strv_free(_l ? _l : list);                        \
                        return -ENOMEM;                                          \
                }                                                                \
                _l[++n] = NULL;                                                  \
                list = _l;                                                       \
        } while (0)

        if (!list)
                return -ENOMEM;
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                _cleanup_free_ char *in_root = path_join(d->store, names[i]);
                struct stat st;

                /* slic.bin is there only when the firmware has a SLIC. */
                if (!strcmp(names[i], OEMKVM_STORE_SLIC) && in_root && stat(in_root, &st) < 0)
                        continue;
                PUSH(path_join(store, names[i]));
        }
        for (size_t i = 0; i < d->in->n_domains; i++) {
                const struct oemkvm_needs *nd = &d->in->domains[i];

                for (char **f = nd->license_files; f && *f; f++) {
                        bool dup = false;

                        for (size_t j = 0; j < n && !dup; j++)
                                dup = !strcmp(list[j], *f);
                        if (!dup)
                                PUSH(strdup(*f));
                }
                if (nd->gvt && nd->gvt_rom)
                        PUSH(strdup(nd->gvt_rom));
        }
#undef PUSH
        *ret = list;
        return 0;
}

static enum lsm_state check_apparmor(struct doctor *d)
{
        struct oemkvm_check *c = check_new(d, "confinement.apparmor", GROUP, NULL, "AppArmor");
        _cleanup_free_ char *enabled = NULL;
        int r;

        r = host_read_line(d->ctx, "/sys/module/apparmor/parameters/enabled", &enabled);
        if (r == -ENOENT) {
                check_set(d, c, OEMKVM_NA, "not in this kernel (/sys/module/apparmor): nothing to configure");
                return LSM_ABSENT;
        }
        if (r < 0 || strcmp(enabled, "Y")) {
                check_set(d, c, OEMKVM_NA, "off (/sys/module/apparmor/parameters/enabled is %s): nothing to configure",
                          r < 0 ? strerror(-r) : enabled);
                return LSM_OFF;
        }
        check_set(d, c, OEMKVM_PASS, "on: libvirt confines each guest's QEMU with a profile of its own (libvirt-<uuid>)");
        return LSM_ON;
}

/* The rule that lets QEMU read path, for a fix: the store's glob, or the file itself. */
static void rule_for(const struct doctor *d, const char *path, char *out, size_t size)
{
        const char *store = oemkvm_ctx_get_store_dir(d->ctx);
        size_t n = strlen(store);

        if (!strncmp(path, store, n) && path[n] == '/' && !strchr(path + n + 1, '/'))
                snprintf(out, size, "%s/*.bin r,", store);
        else
                snprintf(out, size, "%s r,", path);
}

static void check_rules(struct doctor *d, enum lsm_state aa, char *const *files)
{
        struct oemkvm_check *c = check_new(d, "confinement.apparmor-rules", GROUP, NULL,
                                           "local AppArmor rules letting QEMU read the store");
        _cleanup_free_ char *text = NULL;
        char missing[1024] = "", rules[1024] = "";
        int r;

        if (aa != LSM_ON) {
                check_set(d, c, OEMKVM_NA, "AppArmor is off");
                return;
        }
        r = host_read(d->ctx, LOCAL_RULES, 1024 * 1024, &text, NULL);
        if (r == -ENOENT) {
                check_set(d, c, OEMKVM_FAIL, "'" LOCAL_RULES "' is missing: QEMU may not read the store, so a tagged domain cannot start");
                check_fix(d, c, "sudo make install (in oemkvm's source tree) writes it; or put the line '%s/*.bin r,' into it",
                          oemkvm_ctx_get_store_dir(d->ctx));
                return;
        }
        if (r < 0) {
                check_set(d, c, OEMKVM_WARN, "cannot read '" LOCAL_RULES "': %s", strerror(-r));
                check_fix(d, c, "run it as root: 'sudo oemkvm doctor'");
                return;
        }
        for (char *const *f = files; *f; f++)
                if (!rules_grant(text, *f)) {
                        char rule[PATH_MAX + 8];

                        list_add(missing, sizeof(missing), "%s", *f);
                        rule_for(d, *f, rule, sizeof(rule));
                        if (!strstr(rules, rule))
                                list_add(rules, sizeof(rules), "'%s'", rule);
                }
        if (missing[0]) {
                check_set(d, c, OEMKVM_FAIL, "no rule in " LOCAL_RULES " lets QEMU read %s: a guest that needs %s is denied by AppArmor",
                          missing, strchr(missing, ',') ? "them" : "it");
                check_fix(d, c, "add %s to " LOCAL_RULES " ('sudo make install' adds the store's); guests take the rules in at their next start",
                          rules);
        } else {
                char names[1024] = "";

                for (char *const *f = files; *f; f++)
                        list_add(names, sizeof(names), "%s", *f);
                check_set(d, c, OEMKVM_PASS, "the rules in " LOCAL_RULES " let QEMU read %s", names);
        }
}

static void check_template(struct doctor *d, enum lsm_state aa)
{
        struct oemkvm_check *c = check_new(d, "confinement.apparmor-template", GROUP, NULL,
                                           "libvirt's profile template compiling with them");
        _cleanup_free_ char *msg = NULL;
        int r;

        if (aa != LSM_ON) {
                check_set(d, c, OEMKVM_NA, "AppArmor is off");
                return;
        }
        r = aa_template_compile(d->ctx, &msg);
        if (r == 0)
                check_set(d, c, OEMKVM_PASS, "/etc/apparmor.d/libvirt/TEMPLATE.qemu compiles (apparmor_parser -Q -K)");
        else if (r == -ENOENT)
                check_set(d, c, OEMKVM_NA, "no /etc/apparmor.d/libvirt/TEMPLATE.qemu: this libvirt confines no guest with AppArmor");
        else if (r == -ENOPKG) {
                check_set(d, c, OEMKVM_WARN, "apparmor_parser is not installed: nothing can compile the rules here");
                check_fix(d, c, "sudo apt-get install apparmor");
        } else if (r == -EBADMSG) {
                check_set(d, c, OEMKVM_FAIL, "%s", msg);
                check_fix(d, c, "correct the line it names (each rule ends with ','): until then libvirt cannot build a profile and no guest starts");
        } else
                check_set(d, c, OEMKVM_FAIL, "cannot run apparmor_parser: %s", strerror(-r));
}

/* The running domain a libvirt-<uuid> profile belongs to, when the daemon told us. */
static const char *domain_of(const struct doctor *d, const char *profile)
{
        const char *uuid = profile + strlen("libvirt-");

        for (size_t i = 0; i < d->in->n_domains; i++)
                if (!strcasecmp(d->in->domains[i].uuid, uuid))
                        return d->in->domains[i].name;
        return NULL;
}

static void check_live(struct doctor *d, enum lsm_state aa, char *const *files)
{
        struct oemkvm_check *c = check_new(d, "confinement.apparmor-live", GROUP, NULL,
                                           "running guests' profiles letting QEMU read the store");
        char **profiles = NULL;
        char denied[1024] = "", who[512] = "";
        size_t n = 0;
        int r;

        if (!d->live) {
                check_set(d, c, OEMKVM_NA, "asks the running kernel: run it on the live host (without --sysroot)");
                return;
        }
        if (aa != LSM_ON) {
                check_set(d, c, OEMKVM_NA, "AppArmor is off");
                return;
        }
        r = aa_profiles_loaded(d->ctx, "libvirt-", &profiles);
        if (r == -EACCES || r == -EPERM) {
                check_set(d, c, OEMKVM_WARN, "cannot list the loaded profiles: %s", strerror(-r));
                check_fix(d, c, "run it as root: 'sudo oemkvm doctor'");
                return;
        }
        if (r < 0 || !profiles[0]) {
                check_set(d, c, OEMKVM_NA, "no guest runs confined (no libvirt-<uuid> profile is loaded)");
                oemkvm_strv_free(profiles);
                return;
        }
        for (char **p = profiles; *p; p++, n++)
                for (char *const *f = files; *f; f++) {
                        const char *dom = domain_of(d, *p);

                        r = aa_profile_may_read(*p, *f);
                        if (r < 0) {
                                check_set(d, c, OEMKVM_WARN, "cannot ask the kernel about profile %s: %s", *p, strerror(-r));
                                check_fix(d, c, "run it as root: 'sudo oemkvm doctor'");
                                oemkvm_strv_free(profiles);
                                return;
                        }
                        if (r == 0) {
                                list_add(denied, sizeof(denied), "%s%s%s%s may not read %s", *p, dom ? " (domain '" : "",
                                         dom ? dom : "", dom ? "')" : "", *f);
                                if (!strstr(who, dom ? dom : *p))
                                        list_add(who, sizeof(who), "%s", dom ? dom : *p);
                        }
                }
        if (denied[0]) {
                check_set(d, c, OEMKVM_FAIL, "%s", denied);
                check_fix(d, c, "stop and start %s: a profile takes the local rules in when its guest starts (check the rules above first)",
                          who);
        } else
                check_set(d, c, OEMKVM_PASS, "the %zu loaded libvirt-<uuid> profile%s let QEMU read every file above",
                          n, n == 1 ? "" : "s");
        oemkvm_strv_free(profiles);
}

static enum lsm_state check_selinux(struct doctor *d)
{
        struct oemkvm_check *c = check_new(d, "confinement.selinux", GROUP, NULL, "SELinux");
        _cleanup_free_ char *enforce = NULL;

        if (host_read_line(d->ctx, "/sys/fs/selinux/enforce", &enforce) < 0) {
                check_set(d, c, OEMKVM_NA, "not enabled (no /sys/fs/selinux): nothing to configure");
                return LSM_ABSENT;
        }
        if (!strcmp(enforce, "1")) {
                check_set(d, c, OEMKVM_PASS, "enforcing: svirt lets QEMU read only files of a type it allows");
                return LSM_ON;
        }
        check_set(d, c, OEMKVM_PASS, "permissive: denials are logged, not enforced");
        return LSM_PERMISSIVE;
}

/* The type field of a context, "user:role:type:level". */
static void context_type(const char *ctx, char *out, size_t size)
{
        const char *p = strchr(ctx, ':');

        p = p ? strchr(p + 1, ':') : NULL;
        if (!p) {
                snprintf(out, size, "%s", ctx);
                return;
        }
        p++;
        snprintf(out, size, "%.*s", (int)strcspn(p, ":"), p);
}

static void check_selinux_store(struct doctor *d, enum lsm_state se, char *const *files)
{
        struct oemkvm_check *c = check_new(d, "confinement.selinux-store", GROUP, NULL,
                                           "the store's SELinux type (virt_content_t)");
        char wrong[1024] = "";

        if (se == LSM_ABSENT) {
                check_set(d, c, OEMKVM_NA, "SELinux is not enabled");
                return;
        }
        for (char *const *f = files; *f; f++) {
                _cleanup_free_ char *path = NULL;
                char label[256], type[256];
                ssize_t n;

                if (oemkvm_ctx_path(d->ctx, *f, &path) < 0)
                        continue;
                n = lgetxattr(path, "security.selinux", label, sizeof(label) - 1);
                if (n < 0) {
                        if (errno != ENOENT)
                                list_add(wrong, sizeof(wrong), "%s (no label: %s)", *f, strerror(errno));
                        continue;
                }
                label[n] = '\0';
                context_type(label, type, sizeof(type));
                if (strcmp(type, "virt_content_t"))
                        list_add(wrong, sizeof(wrong), "%s (%s)", *f, type);
        }
        if (wrong[0]) {
                check_set(d, c, se == LSM_ON ? OEMKVM_FAIL : OEMKVM_WARN,
                          "svirt keeps QEMU from reading %s", wrong);
                check_fix(d, c, "sudo semanage fcontext -a -t virt_content_t '%s(/.*)?' && sudo restorecon -Rv %s",
                          oemkvm_ctx_get_store_dir(d->ctx), oemkvm_ctx_get_store_dir(d->ctx));
        } else
                check_set(d, c, OEMKVM_PASS, "virt_content_t");
}

void doctor_confinement(struct doctor *d)
{
        enum lsm_state aa, se;
        char **files = NULL;

        if (needed_files(d, &files) < 0) {
                d->error = -ENOMEM;
                return;
        }
        aa = check_apparmor(d);
        check_rules(d, aa, files);
        check_template(d, aa);
        check_live(d, aa, files);
        se = check_selinux(d);
        check_selinux_store(d, se, files);
        oemkvm_strv_free(files);
}
