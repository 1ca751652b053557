/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * oemkvm install: (re)install the laptop's Windows in a new domain that
 * carries the license from its very first boot.  virt-manager's installer
 * boots a new install as a transient domain, which nothing can patch;
 * this defines the patched domain first and starts it afterwards.
 *
 * The domain is virt-install's Windows 11 domain (`--print-xml 1 --dry-run
 * --osinfo win11`: UEFI with Secure Boot, TPM 2.0 through swtpm, Hyper-V
 * enlightenments), tagged and patched by liboemkvm (oemkvm_install_build).
 * Every check runs before anything is created; then, in this order: the
 * store (when missing), the disk, the definition, the start.  A failure
 * before the define removes the disk it made; one after it leaves the
 * defined, patched domain and says so.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"
#include "virt.h"
#include "install.h"

static const char install_usage[] =
        "NAME --iso WINDOWS.iso [--virtio-win ISO] [--edition EDITION] [--memory MiB] [--vcpus N] "
        "[--disk SIZE_GiB|PATH [--reuse-disk]] [--gvt TYPE [--rom FILE]] [--virt-type kvm|qemu] [-c URI] "
        "[--print-xml|--dry-run] "
        "[-- VIRT-INSTALL-OPTION...]";

#define DEFAULT_DISK_GIB 64
#define DEFAULT_EDITION "home"
/* Windows 11 Setup refuses less. */
#define WIN11_MIN_MIB 4096

static void install_help(void)
{
        printf("Usage: oemkvm install %s\n\n"
               "Creates a Windows 11 domain that gets this laptop's license (ACPI MSDM/SLIC,\n"
               "SMBIOS 0/1) from its very first boot, so Setup never asks for a product key,\n"
               "then starts it from the install medium with its console open.  The domain is\n"
               "virt-install's Windows 11 machine (UEFI with Secure Boot, TPM 2.0, Hyper-V\n"
               "enlightenments), tagged for oemkvm and patched before it is defined.\n\n"
               "      --iso FILE          the Windows installation ISO (required)\n"
               "      --virtio-win ISO    the virtio-win drivers ISO: disks on VirtIO SCSI, a virtio\n"
               "                          NIC, and the ISO as a second CD-ROM (Setup needs vioscsi\n"
               "                          from it); without it the disk stays SATA, the NIC e1000e\n"
               "      --edition EDITION   home (default), pro, education, enterprise, workstations:\n"
               "                          the Windows edition's CPU caps (always 1 socket)\n"
               "      --memory MiB        default: 3/4 of the host's memory\n"
               "      --vcpus N           default: 3/4 of the host's threads\n"
               "      --disk SIZE_GiB     a new qcow2 image of that size in libvirt's image\n"
               "                          directory (default: %d)\n"
               "      --disk PATH         a new image at PATH, or an existing one with --reuse-disk\n"
               "                          (Setup erases it)\n"
               "      --gvt TYPE          share the Intel iGPU: a GVT-g vGPU of this type ('oemkvm gvt\n"
               "                          types' lists them), with a local SPICE display with OpenGL\n"
               "      --rom FILE          the vGPU's UEFI option ROM (vbios_gvt_uefi.rom; default: the\n"
               "                          store's copy, when 'oemkvm gvt rom' put one there)\n"
               "      --virt-type TYPE    kvm or qemu (no acceleration), as virt-install's\n"
               "  -c, --connect URI       libvirt connection (default: libvirt's default, as virsh)\n"
               "      --print-xml         print the definition; create nothing\n"
               "  -n, --dry-run           check everything and say what would be created; create nothing\n"
               "  -- OPTION...            passed to virt-install as they are (e.g. --network bridge=br0)\n\n"
               "A missing license store is collected first, which needs root.\n",
               install_usage, DEFAULT_DISK_GIB);
}

struct install {
        /* What was asked. */
        const char *name;
        const char *iso;
        const char *virtio_iso;
        const char *edition;
        const char *uri;
        const char *virt_type;
        const char *gvt_type;
        const char *rom;
        unsigned long memory_mib;       /* 0: from the host */
        unsigned long vcpus;            /* 0: from the host */
        unsigned long disk_gib;         /* a new image of this size… */
        char *disk_path;                /* …at this path (NULL: virt-install's default place) */
        char *iso_abs;
        char *virtio_abs;
        char *rom_abs;
        char *gvt_parent;               /* the parent that offers gvt_type */
        bool reuse_disk;
        bool print_xml;
        bool dry_run;
        char **extra;                   /* after "--", for virt-install */
        int n_extra;

        /* What was found. */
        enum disk_kind disk_kind;
        bool store_missing;
        char *tmp_store;                /* a dump to check against before the store exists */
        struct oemkvm_dump dump;
        struct oemkvm_ctx *ctx;
        virConnectPtr conn;
        char *conn_uri;
        virNodeInfo node;
        unsigned long long host_kib;    /* the host's memory */
        char *xml;                      /* the patched definition */
};

static int parse_ulong(const char *opt, const char *s, unsigned long max, unsigned long *ret)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (!*s || *end || errno || v == 0 || v > max || s[0] == '-' || s[0] == '+') {
                tool_error("%s '%s': expected a whole number from 1 to %lu", opt, s, max);
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

/* Options virt-install gets from oemkvm install itself. */
static int check_extra(char **extra, int n)
{
        static const struct {
                const char *opt;
                const char *instead;
        } owned[] = {
                { "--connect", "-c" }, { "--name", "NAME" }, { "-n", "NAME" }, { "--memory", "--memory" },
                { "--ram", "--memory" }, { "-r", "--memory" }, { "--vcpus", "--vcpus" },
                { "--cdrom", "--iso" }, { "-c", "--iso" }, { "--location", "--iso" }, { "-l", "--iso" },
                { "--disk", "--disk (add more disks later, in virt-manager)" },
                { "--osinfo", "nothing: the domain is Windows 11's" }, { "--os-variant", "nothing: the domain is Windows 11's" },
                { "--virt-type", "--virt-type" }, { "--print-xml", "--print-xml" }, { "--print-step", "--print-xml" },
                { "--dry-run", "--dry-run" }, { "--import", "--disk PATH --reuse-disk" },
                { "--transient", "nothing: a transient domain cannot be patched" },
        };

        for (int i = 0; i < n; i++)
                for (size_t k = 0; k < sizeof(owned) / sizeof(owned[0]); k++) {
                        size_t len = strlen(owned[k].opt);

                        if (strncmp(extra[i], owned[k].opt, len) || (extra[i][len] && extra[i][len] != '='))
                                continue;
                        tool_error("'%s' after '--' is oemkvm install's to set — use %s", extra[i], owned[k].instead);
                        return -EINVAL;
                }
        return 0;
}

/* The parent whose GVT-g (or other mdev) types include --gvt's. */
static int gvt_find(struct install *in)
{
        struct oemkvm_mdev_type *types = NULL;
        struct oemkvm_error err = {};
        size_t n = 0;
        int r;

        r = oemkvm_mdev_types_read(in->ctx, NULL, &types, &n, &err);
        if (r < 0) {
                tool_report(&err, r);
                return r;
        }
        for (size_t i = 0; i < n && !in->gvt_parent; i++)
                if (!strcmp(types[i].type, in->gvt_type) && !(in->gvt_parent = strdup(types[i].parent)))
                        r = -ENOMEM;
        oemkvm_mdev_types_free(types, n);
        if (r < 0) {
                tool_error("out of memory");
                return r;
        }
        if (!in->gvt_parent) {
                tool_error(n ? "--gvt '%s': this host offers no such vGPU type — 'oemkvm gvt types' lists the ones it has"
                             : "--gvt '%s': this host offers no vGPU types at all — GVT-g needs an Intel iGPU of the 5th to 10th generation, i915.enable_gvt=1 and the kvmgt module (see README, GVT-g)",
                           in->gvt_type);
                return -ENODEV;
        }
        return 0;
}

/* The tag builder knows the editions: ask it before anything slow runs. */
static int check_edition(const char *edition)
{
        const struct oemkvm_tag tag = { .edition = edition };
        struct oemkvm_error err = {};
        char *xml = NULL;
        int r = oemkvm_tag_build(&tag, &xml, &err);

        if (r < 0)
                tool_error("--edition: %s", err.message);
        free(xml);
        return r;
}

/* An absolute path for --disk (libvirt needs one); virt-install splits its
 * --disk value at commas. */
static int disk_path_set(struct install *in, const char *arg)
{
        char cwd[PATH_MAX];

        if (strchr(arg, ',')) {
                tool_error("--disk '%s': the path contains ',', which virt-install cannot take — rename it", arg);
                return -EINVAL;
        }
        if (arg[0] == '/')
                in->disk_path = strdup(arg);
        else if (getcwd(cwd, sizeof(cwd)) && asprintf(&in->disk_path, "%s/%s", cwd, arg) < 0)
                in->disk_path = NULL;
        if (!in->disk_path) {
                tool_error("--disk '%s': cannot make the path absolute", arg);
                return -ENOMEM;
        }
        return 0;
}

/* Returns 0, or the exit code. */
static int parse_options(struct install *in, int argc, char **argv)
{
        static const struct option options[] = {
                { "iso",        required_argument, NULL, 'i' },
                { "virtio-win", required_argument, NULL, 'v' },
                { "edition",    required_argument, NULL, 'e' },
                { "memory",     required_argument, NULL, 'm' },
                { "vcpus",      required_argument, NULL, 'p' },
                { "disk",       required_argument, NULL, 'd' },
                { "reuse-disk", no_argument,       NULL, 'R' },
                { "virt-type",  required_argument, NULL, 't' },
                { "gvt",        required_argument, NULL, 'g' },
                { "rom",        required_argument, NULL, 'o' },
                { "connect",    required_argument, NULL, 'c' },
                { "print-xml",  no_argument,       NULL, 'x' },
                { "dry-run",    no_argument,       NULL, 'n' },
                { "help",       no_argument,       NULL, 'h' },
                {}
        };
        const char *disk = NULL;
        int c, own = argc;

        /* Everything after "--" is virt-install's; getopt must not see it. */
        for (int i = 1; i < argc; i++)
                if (!strcmp(argv[i], "--")) {
                        own = i;
                        in->extra = argv + i + 1;
                        in->n_extra = argc - i - 1;
                        break;
                }
        while ((c = getopt_long(own, argv, "c:nh", options, NULL)) >= 0)
                switch (c) {
                case 'i':
                        in->iso = optarg;
                        break;
                case 'v':
                        in->virtio_iso = optarg;
                        break;
                case 'e':
                        in->edition = optarg;
                        break;
                case 'm':
                        if (parse_ulong("--memory", optarg, 16UL << 20, &in->memory_mib) < 0)
                                return 2;
                        break;
                case 'p':
                        if (parse_ulong("--vcpus", optarg, 4096, &in->vcpus) < 0)
                                return 2;
                        break;
                case 'd':
                        disk = optarg;
                        break;
                case 'R':
                        in->reuse_disk = true;
                        break;
                case 't':
                        in->virt_type = optarg;
                        break;
                case 'g':
                        in->gvt_type = optarg;
                        break;
                case 'o':
                        in->rom = optarg;
                        break;
                case 'c':
                        in->uri = optarg;
                        break;
                case 'x':
                        in->print_xml = true;
                        break;
                case 'n':
                        in->dry_run = true;
                        break;
                case 'h':
                        install_help();
                        return -1;
                default:
                        return tool_usage_error("install", install_usage);
                }
        if (optind + 1 != own || !in->iso || (in->print_xml && in->dry_run))
                return tool_usage_error("install", install_usage);
        in->name = argv[optind];
        if (!in->name[0] || strchr(in->name, '/') || in->name[0] == '-') {
                tool_error("'%s' is not a domain name: it must be non-empty, hold no '/' and not start with '-'", in->name);
                return 2;
        }
        if (in->virt_type && strcmp(in->virt_type, "kvm") && strcmp(in->virt_type, "qemu")) {
                tool_error("--virt-type '%s': it is kvm (hardware acceleration) or qemu (none)", in->virt_type);
                return 2;
        }
        if (in->rom && !in->gvt_type) {
                tool_error("--rom is the vGPU's option ROM: it goes with --gvt TYPE");
                return 2;
        }
        if (!in->edition)
                in->edition = DEFAULT_EDITION;
        if (check_edition(in->edition) < 0)
                return 2;
        in->disk_gib = DEFAULT_DISK_GIB;
        if (!disk || disk[strspn(disk, "0123456789")] == 0) {
                if (disk && parse_ulong("--disk", disk, 65536, &in->disk_gib) < 0)
                        return 2;
                if (in->reuse_disk) {
                        tool_error("--reuse-disk needs --disk PATH, the image to install onto");
                        return 2;
                }
        } else if (disk_path_set(in, disk) < 0)
                return 2;
        if (check_extra(in->extra, in->n_extra) < 0)
                return 2;
        return 0;
}

/* Does another domain, running or defined, use path as a disk? */
static int disk_used_by(virConnectPtr conn, const char *path, char **ret_name)
{
        virDomainPtr *doms = NULL;
        int n = virConnectListAllDomains(conn, &doms, 0);

        if (n < 0) {
                tool_error("cannot list domains: %s", virt_error());
                return -EIO;
        }
        *ret_name = NULL;
        for (int i = 0; i < n; i++) {
                /* The running definition and the next start's may differ. */
                for (int inactive = 0; inactive < 2 && !*ret_name; inactive++) {
                        char *xml = virDomainGetXMLDesc(doms[i], inactive ? VIR_DOMAIN_XML_INACTIVE : 0);

                        if (xml && oemkvm_domain_uses_disk(xml, strlen(xml), path))
                                *ret_name = strdup(virDomainGetName(doms[i]));
                        free(xml);
                }
                virDomainFree(doms[i]);
        }
        free(doms);
        return 0;
}

/* No other domain may share the disk: Setup erases it. */
static int disk_check_free(const struct install *in)
{
        char *user = NULL;
        int r = disk_used_by(in->conn, in->disk_path, &user);

        if (r >= 0 && user) {
                tool_error("--disk '%s' is a disk of domain '%s' — give this domain a disk of its own",
                           in->disk_path, user);
                r = -EBUSY;
        }
        free(user);
        return r;
}

/* virt-install's first-boot XML for this domain; nothing is created (--dry-run). */
static int virt_install_xml(const struct install *in, char **ret)
{
        struct oemkvm_error err = {};
        char memory[32], vcpus[32], *disk = NULL;
        const char *argv[64];
        int n = 0, r;

        snprintf(memory, sizeof(memory), "%lu", in->memory_mib);
        snprintf(vcpus, sizeof(vcpus), "%lu", in->vcpus);
        if (in->disk_path && in->disk_kind != DISK_NONE)
                r = asprintf(&disk, "path=%s,format=%s", in->disk_path, in->disk_kind == DISK_QCOW2 ? "qcow2" : "raw");
        else if (in->disk_path)
                r = asprintf(&disk, "path=%s,size=%lu,format=qcow2", in->disk_path, in->disk_gib);
        else
                r = asprintf(&disk, "size=%lu,format=qcow2", in->disk_gib);
        if (r < 0)
                return -ENOMEM;
        argv[n++] = "virt-install";
        argv[n++] = "--connect";
        argv[n++] = in->conn_uri;
        argv[n++] = "--print-xml";
        argv[n++] = "1";
        argv[n++] = "--dry-run";
        argv[n++] = "--osinfo";
        argv[n++] = "win11";
        argv[n++] = "--name";
        argv[n++] = in->name;
        argv[n++] = "--memory";
        argv[n++] = memory;
        argv[n++] = "--vcpus";
        argv[n++] = vcpus;
        argv[n++] = "--cdrom";
        argv[n++] = in->iso;
        argv[n++] = "--disk";
        argv[n++] = disk;
        if (in->virt_type) {
                argv[n++] = "--virt-type";
                argv[n++] = in->virt_type;
        }
        if (n + in->n_extra >= (int)(sizeof(argv) / sizeof(argv[0]))) {
                free(disk);
                tool_error("too many options after '--'");
                return -E2BIG;
        }
        for (int i = 0; i < in->n_extra; i++)
                argv[n++] = in->extra[i];
        argv[n] = NULL;
        r = spawn_capture((char *const *)argv, ret, &err);
        free(disk);
        if (r == -ENOENT)
                tool_error("virt-install is not installed: it builds the Windows 11 machine (Debian/Ubuntu: sudo apt install virtinst)");
        else if (r < 0 && strstr(err.message, "--check"))
                /* Its advice names its own option, which goes after "--". */
                tool_error("%s — give virt-install's options after '--', e.g. 'oemkvm install %s … -- --check disk_size=off'",
                           err.message, in->name);
        else if (r < 0)
                tool_report(&err, r);
        return r;
}

static void tmp_store_remove(struct install *in)
{
        static const char *const files[] = { OEMKVM_STORE_MSDM, OEMKVM_STORE_SLIC, OEMKVM_STORE_SMBIOS0,
                                             OEMKVM_STORE_SMBIOS1, OEMKVM_STORE_MARKER };

        if (!in->tmp_store)
                return;
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                char *p = NULL;

                if (asprintf(&p, "%s/%s", in->tmp_store, files[i]) >= 0)
                        unlink(p);
                free(p);
        }
        rmdir(in->tmp_store);
        free(in->tmp_store);
        in->tmp_store = NULL;
}

/*
 * The store must hold a dump before the definition can name it.  When it
 * is missing, the firmware is read now (a check like any other) and the
 * definition is built against a private copy; the store itself is written
 * only once every check has passed.
 */
static int store_check(struct install *in)
{
        const char *store = oemkvm_ctx_get_store_dir(in->ctx);
        struct oemkvm_dump dump = {};
        struct oemkvm_error err = {};
        const char *tmp = getenv("TMPDIR");
        int r;

        r = oemkvm_dump_load(store, &dump, &err);
        oemkvm_dump_clear(&dump);
        if (r >= 0)
                return 0;
        if (r != -ENOENT) {
                tool_report(&err, r);
                return r;
        }
        if (in->print_xml) {
                tool_error("the license store '%s' is missing, and the definition names its files: run 'sudo oemkvm dump' first (--print-xml writes nothing)",
                           store);
                return -ENOENT;
        }
        if (geteuid() != 0) {
                tool_error("the license store '%s' is missing: collecting it from the firmware needs root — run 'sudo oemkvm install …' (or 'sudo oemkvm dump' once)",
                           store);
                return -EACCES;
        }
        r = oemkvm_dump_collect(in->ctx, &in->dump, &err);
        if (r < 0) {
                tool_report(&err, r);
                return r;
        }
        if (asprintf(&in->tmp_store, "%s/oemkvm-install.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0 ||
            !mkdtemp(in->tmp_store)) {
                free(in->tmp_store);
                in->tmp_store = NULL;
                tool_error("cannot make a temporary directory: %s", strerror(errno));
                return -errno;
        }
        r = oemkvm_dump_write(&in->dump, in->tmp_store, (gid_t)-1, &err);
        if (r >= 0)
                r = oemkvm_ctx_set_store_dir(in->ctx, in->tmp_store);
        if (r < 0) {
                tool_report(&err, r);
                return r;
        }
        in->store_missing = true;
        return 0;
}

static int store_write(struct install *in)
{
        struct oemkvm_error err = {};
        char *group = NULL;
        gid_t gid;
        int r;

        r = oemkvm_ctx_set_store_dir(in->ctx, oemkvm_default_store_dir());
        if (r >= 0)
                r = oemkvm_qemu_group(in->ctx, &gid, &group, &err);
        if (r >= 0)
                r = oemkvm_dump_write(&in->dump, oemkvm_default_store_dir(), gid, &err);
        if (r < 0) {
                tool_report(&err, r);
                free(group);
                return r;
        }
        printf("Collected this laptop's license data into %s (readable by group '%s')\n",
               oemkvm_default_store_dir(), group);
        free(group);
        return 0;
}

static int build(struct install *in, const char *vi_xml)
{
        const struct oemkvm_tag tag = {
                .license = true,
                .edition = in->edition,
                .virtio = in->virtio_iso != NULL,
                .drivers_iso = in->virtio_iso,
                .gvt_parent = in->gvt_parent,
                .gvt_type = in->gvt_type,
                .gvt_rom = in->rom,
        };
        struct oemkvm_patch_result res = {};
        struct oemkvm_error err = {};
        int r;

        r = oemkvm_install_build(in->ctx, vi_xml, strlen(vi_xml), &tag, &res, &err);
        if (r < 0) {
                tool_report(&err, r);
                return r;
        }
        free(in->xml);
        in->xml = TAKE_PTR(res.xml);
        oemkvm_patch_result_clear(&res);
        return 0;
}

static int check_host(const struct install *in)
{
        unsigned long host_mib = in->host_kib / 1024;

        if (in->vcpus > in->node.cpus) {
                tool_error("--vcpus %lu: this host has %u CPU threads — give at most %u",
                           in->vcpus, in->node.cpus, in->node.cpus);
                return -EINVAL;
        }
        if (in->memory_mib > host_mib) {
                tool_error("--memory %lu: this host has %lu MiB — give at most %lu",
                           in->memory_mib, host_mib, host_mib);
                return -EINVAL;
        }
        return 0;
}

/*
 * The host's memory as /proc/meminfo has it.  virNodeInfo's is the sum of
 * the NUMA cells', which falls short on machines whose memory is not all in
 * a cell; it is the fallback.
 */
static unsigned long long host_memory_kib(virConnectPtr conn, const virNodeInfo *node)
{
        unsigned long long kib = node->memory;
        virNodeMemoryStatsPtr stats = NULL;
        int n = 0;

        if (virNodeGetMemoryStats(conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, NULL, &n, 0) == 0 && n > 0 &&
            (stats = calloc((size_t)n, sizeof(*stats))) &&
            virNodeGetMemoryStats(conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, stats, &n, 0) == 0)
                for (int i = 0; i < n; i++)
                        if (!strcmp(stats[i].field, VIR_NODE_MEMORY_STATS_TOTAL) && stats[i].value)
                                kib = stats[i].value;
        free(stats);
        return kib;
}

/* Every check, in the order a user can fix them; nothing is created. */
static int prepare(struct install *in)
{
        struct oemkvm_error err = {};
        char *vi_xml = NULL;
        virDomainPtr dom;
        int r;

        r = media_check_iso("--iso", in->iso, &err);
        if (r >= 0 && in->virtio_iso)
                r = media_check_iso("--virtio-win", in->virtio_iso, &err);
        /* libvirt and the tag need absolute paths. */
        if (r >= 0 && !(in->iso = in->iso_abs = realpath(in->iso, NULL)))
                r = oemkvm_error_set(&err, -errno, "--iso: %s", strerror(errno));
        if (r >= 0 && in->virtio_iso && !(in->virtio_iso = in->virtio_abs = realpath(in->virtio_iso, NULL)))
                r = oemkvm_error_set(&err, -errno, "--virtio-win: %s", strerror(errno));
        if (r >= 0 && in->rom && !(in->rom = in->rom_abs = realpath(in->rom, NULL)))
                r = oemkvm_error_set(&err, -errno, "--rom: %s", strerror(errno));
        if (r >= 0 && in->disk_path) {
                r = media_probe_disk(in->disk_path, &in->disk_kind, &err);
                if (r >= 0 && in->disk_kind != DISK_NONE && !in->reuse_disk)
                        r = oemkvm_error_set(&err, -EEXIST,
                                             "--disk '%s' is an existing disk image: add --reuse-disk to install onto it (Setup erases it), or name a new file",
                                             in->disk_path);
                if (r >= 0 && in->disk_kind == DISK_NONE && in->reuse_disk)
                        r = oemkvm_error_set(&err, -ENOENT, "--reuse-disk: '%s' does not exist", in->disk_path);
        }
        if (r < 0) {
                tool_report(&err, r);
                return r;
        }

        in->ctx = tool_ctx_new(NULL);
        if (!in->ctx)
                return -ENOMEM;
        if (in->gvt_type && (r = gvt_find(in)) < 0)
                return r;
        r = store_check(in);
        if (r < 0)
                return r;
        /* The viewer's connection is an event (console.c). */
        if (virEventRegisterDefaultImpl() < 0) {
                tool_error("cannot set up libvirt's event loop: %s", virt_error());
                return -EIO;
        }
        in->conn = virt_connect(in->uri, true);
        if (!in->conn)
                return -EIO;
        in->conn_uri = virConnectGetURI(in->conn);
        if (!in->conn_uri || virNodeGetInfo(in->conn, &in->node) < 0) {
                tool_error("cannot ask libvirt about the host: %s", virt_error());
                return -EIO;
        }
        in->host_kib = host_memory_kib(in->conn, &in->node);
        dom = virDomainLookupByName(in->conn, in->name);
        if (dom) {
                virDomainFree(dom);
                tool_error("a domain named '%s' exists already — pick another name, or remove it first ('virsh -c %s undefine --nvram %s')",
                           in->name, in->conn_uri, in->name);
                return -EEXIST;
        }
        /* Proportional to the host (3/4 of it), as a laptop's reference setup gave. */
        if (!in->memory_mib)
                in->memory_mib = in->host_kib / 1024 * 3 / 4;
        if (!in->vcpus)
                in->vcpus = in->node.cpus * 3 / 4 ? in->node.cpus * 3 / 4 : 1;

        if (!in->print_xml && in->disk_kind == DISK_NONE && !spawn_in_path("qemu-img")) {
                tool_error("qemu-img is not installed: it makes the disk image (Debian/Ubuntu: sudo apt install qemu-utils)");
                return -ENOENT;
        }

        /* Before virt-install, whose own check says less. */
        if (in->disk_path && (r = disk_check_free(in)) < 0)
                return r;
        r = virt_install_xml(in, &vi_xml);
        if (r < 0)
                return r;
        if (!in->disk_path) {
                r = oemkvm_install_disk_path(vi_xml, strlen(vi_xml), &in->disk_path, &err);
                if (r >= 0)
                        r = media_probe_disk(in->disk_path, &in->disk_kind, &err);
                if (r >= 0 && in->disk_kind != DISK_NONE)
                        r = oemkvm_error_set(&err, -EEXIST,
                                             "'%s' exists already — remove it, or install onto it with --disk %s --reuse-disk",
                                             in->disk_path, in->disk_path);
                if (r < 0) {
                        tool_report(&err, r);
                        goto out;
                }
                r = disk_check_free(in);
        }
        if (r >= 0)
                r = build(in, vi_xml);
        if (r >= 0)
                r = check_host(in);
out:
        free(vi_xml);
        return r;
}

static bool boots_cd_first(const char *xml)
{
        char *after = NULL;
        int r = oemkvm_install_boot_disk(xml, strlen(xml), &after, NULL);

        free(after);
        return r > 0;
}

static void print_summary(const struct install *in, const char *prefix)
{
        printf("%s%s: Windows 11 machine (UEFI with Secure Boot, TPM 2.0), %lu vCPU%s on 1 socket, %lu MiB, %s%s%s\n",
               prefix, in->name, in->vcpus, in->vcpus == 1 ? "" : "s", in->memory_mib,
               in->virtio_iso ? "disk on VirtIO SCSI, virtio NIC, drivers CD" : "disk on SATA",
               in->gvt_type ? ", vGPU " : "", in->gvt_type ? in->gvt_type : "");
}

static int dry_run(const struct install *in)
{
        if (in->store_missing)
                printf("would collect this laptop's license data into %s\n", oemkvm_default_store_dir());
        if (in->disk_kind == DISK_NONE)
                printf("would create disk %s (%lu GiB, qcow2)\n", in->disk_path, in->disk_gib);
        else
                printf("would install onto %s (its contents are erased by Setup)\n", in->disk_path);
        print_summary(in, "would define ");
        printf("would start %s from '%s'%s\n", in->name, in->iso,
               boots_cd_first(in->xml) ? " (first start only: the disk boots afterwards)" : "");
        return 0;
}

static int print_xml(const struct install *in)
{
        if (boots_cd_first(in->xml))
                printf("<!-- oemkvm install: the first start boots from '%s', then from the disk;\n"
                       "     after that start the definition boots from the disk only. -->\n", in->iso);
        fputs(in->xml, stdout);
        return 0;
}

static int disk_create(const struct install *in)
{
        struct oemkvm_error err = {};
        char size[32];
        char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", in->disk_path, size, NULL };
        int r;

        snprintf(size, sizeof(size), "%luG", in->disk_gib);
        printf("Creating disk %s (%lu GiB qcow2; space is taken as Windows writes)\n", in->disk_path, in->disk_gib);
        fflush(stdout);
        r = spawn_capture(argv, NULL, &err);
        if (r < 0) {
                tool_report(&err, r);
                unlink(in->disk_path);
        }
        return r;
}

/* After a successful first start, boot from the disk only. */
static void boot_disk_from_now_on(const struct install *in, virDomainPtr dom)
{
        struct oemkvm_error err = {};
        char *xml = virDomainGetXMLDesc(dom, VIRT_XML_FLAGS), *after = NULL;
        virDomainPtr d = NULL;
        int r = xml ? oemkvm_install_boot_disk(xml, strlen(xml), &after, &err) : -EIO;

        if (r > 0 && !(d = virDomainDefineXML(in->conn, after)))
                r = oemkvm_error_set(&err, -EIO, "%s", virt_error());
        if (r < 0)
                tool_error("warning: domain '%s' still boots from the CD first: %s — after Setup, untick the CD in virt-manager's Boot Options",
                           in->name, err.message[0] ? err.message : virt_error());
        if (d)
                virDomainFree(d);
        free(after);
        free(xml);
}

static void print_next_steps(const struct install *in)
{
        printf("\n%s is running Windows Setup from '%s'.\n"
               "  Console: virt-manager --connect %s --show-domain-console %s\n"
               "  - When it shows \"Press any key to boot from CD or DVD...\", press a key (Enter) in it.\n"
               "    Missed it (a UEFI screen instead)? 'virsh -c %s reset %s', then press a key.\n"
               "  - Setup does not ask for a product key: it reads this laptop's from the firmware.\n",
               in->name, in->iso, in->conn_uri, in->name, in->conn_uri, in->name);
        if (in->virtio_iso)
                printf("  - \"Where do you want to install Windows?\" lists no drive: Load driver -> Browse ->\n"
                       "    the virtio-win CD -> vioscsi\\w11\\amd64.\n");
        printf("  - Setup restarts the machine several times: press nothing then, it boots from the disk.\n");
        if (in->virtio_iso)
                printf("  - In Windows, install NetKVM (network) and Balloon from the virtio-win CD\n"
                       "    (virtio-win-guest-tools.exe installs them all).\n");
}

static int create(struct install *in)
{
        virDomainPtr dom = NULL;
        struct virt_applied applied = {};
        struct oemkvm_error err = {};
        bool made_disk = in->disk_kind == DISK_NONE;
        int r;

        if (in->store_missing) {
                r = store_write(in);
                tmp_store_remove(in);
                /* The definition names the store now, not the private copy. */
                if (r < 0)
                        return r;
        }
        if (in->memory_mib < WIN11_MIN_MIB)
                tool_error("note: Windows 11 Setup wants %d MiB at least; %s gets %lu", WIN11_MIN_MIB, in->name,
                           in->memory_mib);
        if (made_disk && disk_create(in) < 0)
                return -EIO;

        print_summary(in, "Defining ");
        dom = virDomainDefineXML(in->conn, in->xml);
        if (!dom) {
                tool_error("libvirt refused the definition of '%s': %s%s", in->name, virt_error(),
                           made_disk ? " — the new disk was removed again" : "");
                if (made_disk)
                        unlink(in->disk_path);
                return -EIO;
        }

        /* Defined: from here on the domain stays, and every failure says so. */
        r = virt_apply(dom, in->ctx, &(const struct virt_request){}, &applied, &err);
        virt_applied_clear(&applied);
        if (r < 0) {
                tool_error("%s — domain '%s' is defined; run 'sudo oemkvm apply %s', then start it", err.message,
                           in->name, in->name);
                goto out;
        }
        printf("Starting %s\n", in->name);
        fflush(stdout);
        if (virDomainCreateWithFlags(dom, VIR_DOMAIN_START_PAUSED) < 0) {
                tool_error("domain '%s' is defined and patched (disk '%s'), but did not start: %s — fix that, then 'virsh -c %s start %s' boots Setup",
                           in->name, in->disk_path, virt_error(), in->conn_uri, in->name);
                r = -EIO;
                goto out;
        }
        boot_disk_from_now_on(in, dom);
        if (console_show_and_resume(dom, in->conn_uri) < 0) {
                tool_error("domain '%s' started paused and cannot be resumed: %s — 'virsh -c %s resume %s'",
                           in->name, virt_error(), in->conn_uri, in->name);
                r = -EIO;
                goto out;
        }
        print_next_steps(in);
        r = 0;
out:
        virDomainFree(dom);
        return r;
}

TOOL_PLUGIN_EXPORT int cmd_install(int argc, char **argv)
{
        struct install in = {};
        int r, ret = 1;

        r = parse_options(&in, argc, argv);
        if (r != 0) {
                free(in.disk_path);
                return r < 0 ? 0 : r;
        }
        if (prepare(&in) >= 0) {
                if (in.print_xml)
                        r = print_xml(&in);
                else if (in.dry_run)
                        r = dry_run(&in);
                else
                        r = create(&in);
                ret = r < 0 ? 1 : 0;
        }
        tmp_store_remove(&in);
        oemkvm_dump_clear(&in.dump);
        free(in.xml);
        free(in.conn_uri);
        free(in.disk_path);
        free(in.iso_abs);
        free(in.virtio_abs);
        free(in.rom_abs);
        free(in.gvt_parent);
        if (in.conn)
                virConnectClose(in.conn);
        oemkvm_ctx_free(in.ctx);
        return ret;
}
