/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liboemkvm — the library's API, private to the oemkvm package: the tool,
 * its libvirt plugin and the hook use it; nothing is installed for other
 * consumers, and the ABI is the package version's (no promise across
 * versions).  The layers behind it are lib/util, lib/firmware, lib/host,
 * lib/domain and lib/runtime; calls only go down.
 *
 * Reads a laptop's OEM license data (ACPI MSDM/SLIC, SMBIOS types 0 and 1)
 * byte-exactly, keeps it in a store QEMU can read, and patches libvirt
 * domain XML so the guest gets it.  The library never prints and never links
 * libvirt: the qemu.d hook uses it on every domain start.
 *
 * Conventions:
 *  - functions return 0 (or a small positive count) on success and a negative
 *    errno on failure;
 *  - a function that can fail for a reason a person must read takes a
 *    `struct oemkvm_error *err` (may be NULL) and fills in one line naming
 *    the file/field, the failed check and, where one exists, the fix;
 *  - `ret_*` output parameters are written only on success;
 *  - every reader has three layers: parse a buffer, read it through a
 *    context (which carries the sysroot), and the caller.
 */
#ifndef OEMKVM_H
#define OEMKVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- errors */

#define OEMKVM_ERROR_MAX 512

struct oemkvm_error {
        int code;                       /* negative errno, 0 when unset */
        char message[OEMKVM_ERROR_MAX]; /* one line, no trailing newline */
};

/*
 * Records one line in err (when non-NULL) and returns code (a negative
 * errno), so callers can write `return oemkvm_error_set(err, -EINVAL, …)`.
 */
int oemkvm_error_set(struct oemkvm_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* ---------------------------------------------------------------- context */

struct oemkvm_ctx;

/*
 * A context carries the sysroot every reader builds its paths from
 * (default "/"), and the store directory (default
 * LOCALSTATEDIR/lib/oemkvm/host).  Tests point both at fixture trees.
 */
int oemkvm_ctx_new(const char *sysroot, struct oemkvm_ctx **ret);
void oemkvm_ctx_free(struct oemkvm_ctx *ctx);
const char *oemkvm_ctx_get_sysroot(const struct oemkvm_ctx *ctx);
/* Joins the sysroot and an absolute path: "/sys/x" -> "<sysroot>/sys/x". */
int oemkvm_ctx_path(const struct oemkvm_ctx *ctx, const char *abs_path, char **ret);
int oemkvm_ctx_set_store_dir(struct oemkvm_ctx *ctx, const char *dir);
const char *oemkvm_ctx_get_store_dir(const struct oemkvm_ctx *ctx);
/* The store directory compiled in: LOCALSTATEDIR/lib/oemkvm/host. */
const char *oemkvm_default_store_dir(void);

/* ---------------------------------------------------------------- ACPI */

#define OEMKVM_ACPI_HEADER_SIZE 36

/*
 * Validates a whole ACPI table's structure (header included): the
 * signature, the header's length against len, the minimum size of a table
 * whose layout is known (MSDM 85 bytes, SLIC 374) and the checksum.  A
 * table that fails is refused (-EBADMSG); one that passes is handed to the
 * guest byte-exactly whatever its payload holds — firmware vendors ship
 * sound tables with blank payloads, and the guest must see what the host
 * has.  `origin` names the source in messages (a file name).
 */
int oemkvm_acpi_parse(const uint8_t *buf, size_t len, const char *signature,
                      const char *origin, struct oemkvm_error *err);

/*
 * Reads and validates <sysroot>/sys/firmware/acpi/tables/<signature>
 * without blocking (a FIFO there is refused, -EINVAL).  -ENOENT when the
 * host has no such table; -EACCES when it is not readable (the tables are
 * 0400 root).  On success *ret_buf is malloc'd.
 */
int oemkvm_acpi_read(const struct oemkvm_ctx *ctx, const char *signature,
                     uint8_t **ret_buf, size_t *ret_len, struct oemkvm_error *err);

/* What a license table's payload holds; decoding reports it, never refuses. */
enum oemkvm_payload {
        OEMKVM_PAYLOAD_VALID,           /* a product key (MSDM), a marker (SLIC) */
        OEMKVM_PAYLOAD_BLANK,           /* the vendor's placeholder: all 0x00 or all 0xFF */
        OEMKVM_PAYLOAD_MALFORMED,       /* something else */
};

#define OEMKVM_NOTE_MAX 192

/*
 * The decoders fail only on what oemkvm_acpi_parse refuses; `note` is ""
 * for a VALID payload, else one line saying what the guest's Windows gets
 * instead, e.g. "no product key (blank placeholder from the firmware
 * vendor) — Windows Setup will ask for a key".
 */

/* MSDM: the Windows 8+ OEM product key (29 characters, "XXXXX-…-XXXXX"). */
struct oemkvm_msdm {
        uint32_t version;
        uint32_t data_type;
        uint32_t data_length;
        enum oemkvm_payload payload;
        char product_key[30];           /* "" unless the payload is VALID */
        char note[OEMKVM_NOTE_MAX];
};
int oemkvm_msdm_decode(const uint8_t *buf, size_t len, struct oemkvm_msdm *ret,
                       struct oemkvm_error *err);

/* The product key with every group but the last hidden ("*****-…-ABCDE"):
 * enough to tell keys apart, as `show` and `doctor` print it. */
void oemkvm_product_key_mask(const char *key, char *out, size_t size);

/* SLIC: the Vista/7 OEM activation marker. */
struct oemkvm_slic {
        enum oemkvm_payload payload;
        char oem_id[7];                 /* the marker's; "" unless VALID */
        char oem_table_id[9];
        uint32_t marker_version;        /* e.g. 0x00020001 for 2.1 */
        char note[OEMKVM_NOTE_MAX];
};
int oemkvm_slic_decode(const uint8_t *buf, size_t len, struct oemkvm_slic *ret,
                       struct oemkvm_error *err);

/* ---------------------------------------------------------------- SMBIOS */

struct oemkvm_smbios;

/*
 * Parses an entry point (_SM_ 2.x or _SM3_ 3.0) and the structure table it
 * describes, walking every structure with bounds checks.  The table is
 * copied.
 */
int oemkvm_smbios_parse(const uint8_t *entry_point, size_t ep_len,
                        const uint8_t *table, size_t table_len,
                        struct oemkvm_smbios **ret, struct oemkvm_error *err);
/* Reads <sysroot>/sys/firmware/dmi/tables/{smbios_entry_point,DMI}. */
int oemkvm_smbios_read(const struct oemkvm_ctx *ctx, struct oemkvm_smbios **ret,
                       struct oemkvm_error *err);
void oemkvm_smbios_free(struct oemkvm_smbios *smbios);
/* (major << 8) | minor from the entry point, e.g. 0x0303. */
unsigned oemkvm_smbios_version(const struct oemkvm_smbios *smbios);

/*
 * The first structure of `type`, byte-exactly: formatted area, string set
 * and the string set's terminating NUL (two NULs when it has no strings).
 * The pointer is into `smbios`.  -ENOENT when there is none.
 */
int oemkvm_smbios_find(const struct oemkvm_smbios *smbios, uint8_t type,
                       const uint8_t **ret_buf, size_t *ret_len);

/*
 * Checks that buf holds exactly one well-formed structure (what a
 * smbios_type_N.bin file holds) of the expected type.
 */
int oemkvm_smbios_struct_check(const uint8_t *buf, size_t len, uint8_t type,
                               const char *origin, struct oemkvm_error *err);

/* String number `index` (1-based) of a checked structure; NULL if absent. */
const char *oemkvm_smbios_string(const uint8_t *buf, size_t len, uint8_t index);

/* Type 0 and type 1, decoded; strings point into the structure buffer. */
struct oemkvm_smbios_bios {
        const char *vendor;
        const char *version;
        const char *date;
};
struct oemkvm_smbios_system {
        const char *manufacturer;
        const char *product;
        const char *version;
        const char *serial;
        const char *sku;
        const char *family;
        char uuid[37];                  /* "" when absent */
};
int oemkvm_smbios_bios_decode(const uint8_t *buf, size_t len,
                              struct oemkvm_smbios_bios *ret);
/* `smbios_version` decides the UUID byte order (2.6+ is little-endian). */
int oemkvm_smbios_system_decode(const uint8_t *buf, size_t len, unsigned smbios_version,
                                struct oemkvm_smbios_system *ret);

/* ---------------------------------------------------------------- store */

/*
 * A dump: what is passed to the guest.  File names in a dump directory:
 * msdm.bin and slic.bin (whichever the host has; at least one — a SLIC
 * alone is a Windows Vista/7 era machine), smbios_type_0.bin,
 * smbios_type_1.bin.
 */
#define OEMKVM_STORE_MSDM    "msdm.bin"
#define OEMKVM_STORE_SLIC    "slic.bin"
#define OEMKVM_STORE_SMBIOS0 "smbios_type_0.bin"
#define OEMKVM_STORE_SMBIOS1 "smbios_type_1.bin"
/* In every store oemkvm_dump_write builds: what marks the directory as oemkvm's. */
#define OEMKVM_STORE_MARKER  ".oemkvm-store"
/* Not part of a dump: the GVT-g UEFI option ROM `oemkvm gvt rom` copies in. */
#define OEMKVM_STORE_GVT_ROM "vbios_gvt_uefi.rom"

struct oemkvm_blob {
        uint8_t *data;                  /* NULL when absent */
        size_t len;
};

struct oemkvm_dump {
        struct oemkvm_blob msdm;        /* msdm or slic, or both */
        struct oemkvm_blob slic;
        struct oemkvm_blob smbios0;
        struct oemkvm_blob smbios1;
};

/*
 * Reads and validates everything from host firmware; nothing is written.
 * Fails when a table is structurally broken, or when the host has neither
 * an MSDM nor a SLIC (-ENOENT); a blank payload is passed on as it is.
 */
int oemkvm_dump_collect(const struct oemkvm_ctx *ctx, struct oemkvm_dump *ret,
                        struct oemkvm_error *err);
/*
 * Loads and validates a dump directory (what oemkvm_dump_write wrote, or a
 * copy of it: no marker needed) with the same checks as collecting.  Opens
 * the directory once and reads every file through that handle, without
 * blocking (a FIFO there is refused, -EINVAL); a set that is switched while
 * it is read is read again.  -ENOENT when a required file is missing.
 */
int oemkvm_dump_load(const char *dir, struct oemkvm_dump *ret, struct oemkvm_error *err);
void oemkvm_dump_clear(struct oemkvm_dump *dump);

/*
 * Writes a dump as the store directory dir, all or nothing.  dir must be
 * missing, an empty directory or an oemkvm store (one this function wrote,
 * or an older oemkvm's); one everyone may write, one owned by another user
 * than root or the caller, or one holding anything else is refused, and
 * left as it was.  The new set is built in a sibling directory that carries
 * oemkvm's marker, files 0640 group gid (unchanged when gid is (gid_t)-1)
 * in a directory 0750, synced, and swapped in with one
 * renameat2(RENAME_EXCHANGE): dir's path never changes and is never a
 * symlink, and at any moment — after a failure, or a kill at any point —
 * dir holds the old set or the new one, whole.  The old set is then
 * removed; what a killed write left beside dir is removed by the next
 * write (only marked directories holding nothing but oemkvm's names).
 * When the bytes are already right nothing is written.  Missing parents
 * are created 0755 whatever the umask, each renamed into place with that
 * mode (a kill leaves none QEMU cannot enter; an empty sibling it may
 * leave is removed by the next creation); the mode and group of a
 * directory oemkvm did not create are never changed.  Temp names do not
 * depend on getrandom().  Writers of one store wait for each other (at
 * most 10 s).  A write the caller may not do fails -EACCES/-EPERM with a
 * message that names dir and the directory that denied it.  Returns the
 * number of files that changed.
 */
int oemkvm_dump_write(const struct oemkvm_dump *dump, const char *dir, gid_t gid,
                      struct oemkvm_error *err);

/*
 * The group QEMU runs under: `group =` in <sysroot>/etc/libvirt/qemu.conf,
 * else the distribution default compiled in.  -ENOENT with a message when
 * the group does not exist.
 */
int oemkvm_qemu_group(const struct oemkvm_ctx *ctx, gid_t *ret_gid, char **ret_name,
                      struct oemkvm_error *err);
/* Same for `user =` (QEMU's uid and its groups decide readability). */
int oemkvm_qemu_user(const struct oemkvm_ctx *ctx, uid_t *ret_uid, char **ret_name,
                     struct oemkvm_error *err);

/*
 * Collects the firmware's tables (ctx's sysroot) and writes them as ctx's
 * store with oemkvm_dump_write — given to QEMU's group when the caller is
 * root — as the hook does at every start.  A current store is not touched.
 * Returns what oemkvm_dump_write returns.
 */
int oemkvm_store_refresh(const struct oemkvm_ctx *ctx, struct oemkvm_error *err);

/* ---------------------------------------------------------------- patch */

/*
 * The metadata contract (see oemkvm(7)):
 *   <oemkvm:config xmlns:oemkvm="urn:oemkvm:domain:1"> with children
 *   license, topology, virtio, gvt.  The engine's record of what it changed and what was there
 *   before lives in its own metadata element, <oemkvm-state:state> in
 *   urn:oemkvm:state:1 (libvirt keeps one <metadata> child per namespace and
 *   drops unknown attributes on devices, so it cannot live anywhere else).
 */
#define OEMKVM_NS_CONFIG "urn:oemkvm:domain:1"
#define OEMKVM_NS_STATE  "urn:oemkvm:state:1"
#define OEMKVM_NS_QEMU   "http://libvirt.org/schemas/domain/qemu/1.0"

/* Flags to the result of a patch, so tools can print warnings. */
enum {
        OEMKVM_PATCH_CHANGED          = 1 << 0, /* the definition needs a define */
        OEMKVM_PATCH_TAGGED           = 1 << 1, /* the domain carries <oemkvm:config> */
        OEMKVM_PATCH_BUS_SWITCHED     = 1 << 2, /* a disk moved to SCSI: vioscsi warning */
        OEMKVM_PATCH_USER_KEPT        = 1 << 3, /* a value oemkvm set was edited by the user; now theirs */
        OEMKVM_PATCH_PATCHED          = 1 << 5, /* a tagged feature changed the definition */
        OEMKVM_PATCH_REVERTED         = 1 << 6, /* a feature no longer tagged was reverted */
};

struct oemkvm_patch_result {
        char *xml;                      /* malloc'd, NUL-terminated; the input bytes when unchanged */
        size_t len;
        unsigned flags;
        /* With CHANGED: what was done, one line for a person, e.g. "patched
         * license, topology; reverted virtio"; NULL otherwise. */
        char *summary;
        /* NULL-terminated lines a person should read (a user's arg kept or
         * taken over, the topology following <vcpu>); NULL when none. */
        char **notes;
};

/*
 * Patches a domain definition to match its <oemkvm:config> tag.  Untagged
 * input (and input that needs nothing) comes back byte-identical; output
 * patched again comes back byte-identical.  CHANGED is a semantic verdict:
 * a definition libvirt re-serialised after a define is recognised as
 * unchanged.  Uses ctx's store directory for `<oemkvm:license/>` without
 * source=; the dump it names (store or source=) is loaded and validated as
 * oemkvm_dump_load does.  -ENODATA when the tag uses the store and the
 * store holds no complete dump (oemkvm_store_refresh makes one); the
 * message says the `oemkvm dump` command that writes it.
 * Malformed XML or a conflict is an error with a one-line message saying
 * what to change.
 */
int oemkvm_patch(const struct oemkvm_ctx *ctx, const char *xml, size_t len,
                 struct oemkvm_patch_result *ret, struct oemkvm_error *err);
void oemkvm_patch_result_clear(struct oemkvm_patch_result *res);

/*
 * The files a patched definition makes QEMU read for oemkvm: the file= of
 * the -acpitable/-smbios args oemkvm owns (per its state record), or the
 * native <os><acpi><table> equivalents of them, and the vGPU's romfile.  NULL-terminated malloc'd
 * array of malloc'd absolute paths (empty when the domain uses none); free
 * with oemkvm_strv_free().  Does not touch the files.
 */
int oemkvm_patch_files(const char *xml, size_t len, char ***ret_paths,
                       struct oemkvm_error *err);
void oemkvm_strv_free(char **strv);

/*
 * The migrate/restore filter: rewrites only the file paths of oemkvm's own
 * license args so they point into ctx's store (paths from a `source=` dump
 * stay), never devices, buses or topology — libvirt checks ABI stability on
 * the result.  -ENOENT with a message when this host's store (loaded and
 * validated) lacks a dump file the definition needs.  Untagged input comes
 * back byte-identical.
 */
int oemkvm_patch_relocate(const struct oemkvm_ctx *ctx, const char *xml, size_t len,
                          struct oemkvm_patch_result *ret, struct oemkvm_error *err);

/* ---------------------------------------------------------------- tag */

/* The features `oemkvm tag` sets; each optional. */
struct oemkvm_tag {
        bool license;
        const char *license_dir;        /* source=; NULL: the host store */
        const char *edition;            /* <topology edition=>; NULL: no topology */
        bool virtio;
        const char *drivers_iso;        /* <virtio drivers=>; NULL: no CD-ROM */
        const char *gvt_parent;         /* <gvt parent=>, with gvt_type */
        const char *gvt_type;           /* <gvt type=>; NULL: no vGPU */
        const char *gvt_rom;            /* <gvt rom=>; NULL: the store's copy, if any */
};

/*
 * The <config> element for virDomainSetMetadata (no namespace: libvirt puts
 * it into the one it is given), checked with the engine's own rules (path
 * grammar, edition names).  *ret_xml is malloc'd.
 */
int oemkvm_tag_build(const struct oemkvm_tag *tag, char **ret_xml, struct oemkvm_error *err);

/*
 * A domain definition with its tag set to exactly tag (NULL: removed),
 * everything else as it was; a <metadata> that held nothing but the tag
 * goes with it.  1 when the tag changed, 0 when the definition already
 * carried it (then *ret_xml is a copy of the input).  *ret_xml malloc'd.
 */
int oemkvm_tag_set(const struct oemkvm_tag *tag, const char *xml, size_t len, char **ret_xml,
                   struct oemkvm_error *err);

/* The tag a definition carries (*ret_tag NULL when it has none), its
 * strings owned by it; free with oemkvm_tag_free(). */
int oemkvm_tag_get(const char *xml, size_t len, struct oemkvm_tag **ret_tag, struct oemkvm_error *err);
void oemkvm_tag_free(struct oemkvm_tag *tag);

/* ---------------------------------------------------------------- GVT-g */

/* One type of one parent, as `mdevctl types` lists it. */
struct oemkvm_mdev_type {
        char *parent;                   /* "0000:00:02.0", "mbochs" */
        char *type;                     /* the directory: what create and mdevctl take */
        char *name;                     /* `name`, NULL when the driver has none */
        char *description;              /* `description` (lines kept), NULL when none */
        char *device_api;               /* `device_api`: "vfio-pci" */
        unsigned available;             /* `available_instances` */
};

/*
 * Every mediated device (mdev) type of `parent` (NULL: of every parent)
 * under <sysroot>/sys/class/mdev_bus, sorted by parent and type.  No /sys/class/mdev_bus means no types (0, *ret_n = 0);
 * -ENODEV when `parent` is not there.  Free with oemkvm_mdev_types_free().
 */
int oemkvm_mdev_types_read(const struct oemkvm_ctx *ctx, const char *parent,
                           struct oemkvm_mdev_type **ret, size_t *ret_n, struct oemkvm_error *err);
void oemkvm_mdev_types_free(struct oemkvm_mdev_type *types, size_t n);

/* The SHA-256 of Intel's vbios_gvt_uefi.rom, the ROM the manual recipe uses. */
#define OEMKVM_GVT_ROM_SHA256 "33e540db0838fd49236087d2cda21f4eaa38672f6b2ac56f45351799858de085"

/*
 * Copies a GVT-g UEFI option ROM (the user's file; oemkvm never downloads
 * it) into ctx's store as OEMKVM_STORE_GVT_ROM, as the dump's files are
 * written: atomically, never through a link, 0640 with group gid (unchanged
 * when (gid_t)-1).  The file must be a regular file of at most 16 MiB
 * starting with a PCI expansion ROM's 0x55 0xAA.  ret_sha256 gets its
 * SHA-256 in hex (compare with OEMKVM_GVT_ROM_SHA256).  Returns 1 when
 * written, 0 when the store held exactly these bytes already.
 */
int oemkvm_gvt_rom_install(const struct oemkvm_ctx *ctx, const char *path, gid_t gid,
                           char ret_sha256[65], struct oemkvm_error *err);

/* ---------------------------------------------------------------- install */

/*
 * The definition `oemkvm install` defines, from virt-install's first-boot
 * XML for a Windows 11 guest (`virt-install --print-xml 1 --osinfo win11`):
 * refuses XML without UEFI firmware or an emulated TPM (-ENODEV, naming the
 * package to install), adds the tag, sets on_reboot to restart (Setup
 * reboots several times) and runs the engine against ctx's store.  The
 * boot order stays virt-install's: install medium first.
 */
int oemkvm_install_build(const struct oemkvm_ctx *ctx, const char *xml, size_t len,
                         const struct oemkvm_tag *tag, struct oemkvm_patch_result *ret,
                         struct oemkvm_error *err);

/*
 * After the first start: the definition without the CD-ROM as a boot
 * device, so Windows boots from its disk from then on.  Returns 1 and
 * *ret_xml (malloc'd) when it changed something, 0 when there was nothing
 * to drop.
 */
int oemkvm_install_boot_disk(const char *xml, size_t len, char **ret_xml,
                             struct oemkvm_error *err);

/* The image of the first disk (not CD-ROM) in virt-install's XML:
 * where it puts a new one.  -ENOENT when it names none. */
int oemkvm_install_disk_path(const char *xml, size_t len, char **ret_path,
                             struct oemkvm_error *err);

/* Does the domain XML use path (a file or a device) as a disk or CD-ROM? */
bool oemkvm_domain_uses_disk(const char *xml, size_t len, const char *path);

/* ---------------------------------------------------------------- needs */

/*
 * What one domain needs from the host, read from its definition by the
 * engine (oemkvm_domain_needs) and checked against the host by the doctor
 * (oemkvm_doctor_run).  Strings and lists are malloc'd; NULL when absent.
 */
struct oemkvm_needs {
        char *name;                     /* <name> */
        char uuid[37];                  /* <uuid>, "" when absent */
        bool tagged;                    /* carries <oemkvm:config> */
        bool active;                    /* running (the caller knows; the XML does not say) */
        unsigned patch_flags;           /* the engine's verdict, OEMKVM_PATCH_* */
        char *patch_error;              /* the engine refuses this definition: its message */
        char **license_files;           /* what the definition makes QEMU read for oemkvm: license files, vGPU ROM */
        char *drivers_iso;              /* <oemkvm:virtio drivers=…> */
        bool gvt;                       /* <oemkvm:gvt> */
        char *gvt_parent;               /* parent= (default 0000:00:02.0) */
        char *gvt_type;                 /* type= */
        char *gvt_uuid;                 /* uuid=, else the mdev hostdev's */
        char *gvt_rom;                  /* rom= */
        bool uefi;                      /* <os firmware='efi'> or a pflash <loader> */
        char *loader;                   /* <loader> path */
        bool secure_boot;               /* <loader secure='yes'> or the secure-boot firmware feature */
        bool tpm_emulator;              /* <tpm><backend type='emulator'>: swtpm */
        bool qemu_override;             /* <qemu:override>: libvirt >= 8.2 */
        bool mdev_ramfb;                /* <hostdev type='mdev' ramfb='on'>: libvirt >= 5.10 */
};

/*
 * Reads what a domain definition needs.  An untagged domain is not an
 * error (tagged false); a definition the engine refuses is recorded in
 * patch_error, not returned: the doctor reports it as a check.  Only XML
 * that does not parse fails.
 */
int oemkvm_domain_needs(const struct oemkvm_ctx *ctx, const char *xml, size_t len,
                        struct oemkvm_needs *ret, struct oemkvm_error *err);
void oemkvm_needs_clear(struct oemkvm_needs *needs);

/* ---------------------------------------------------------------- doctor */

/*
 * `oemkvm doctor`: whether this host can give Windows its license and its
 * iGPU.  Each check is a small unit with a verdict, what it found and the
 * fix; everything is read through the context's sysroot.  What only the
 * libvirt daemon knows (versions, the tagged domains) comes in through
 * oemkvm_doctor_in: the library never talks to libvirt.
 */
enum oemkvm_verdict {
        OEMKVM_PASS,
        OEMKVM_WARN,                    /* works, but not as well or not for long */
        OEMKVM_FAIL,                    /* a feature that is wanted cannot work */
        OEMKVM_NA,                      /* not applicable here, or not wanted */
};

struct oemkvm_check {
        const char *id;                 /* stable: "gvt.enable_gvt" */
        const char *group;              /* "license", "gvt", "install", "confinement", "stack" */
        char *domain;                   /* the domain a per-domain check is about, else NULL */
        char *what;                     /* "Checking for <what>" */
        enum oemkvm_verdict verdict;
        char *detail;                   /* what was found, one line */
        char *fix;                      /* WARN/FAIL: the exact fix, one line; else NULL */
};

struct oemkvm_report {
        struct oemkvm_check *checks;
        size_t n;
};

enum oemkvm_daemon {
        OEMKVM_DAEMON_NOT_ASKED,        /* offline run: libvirt was not consulted */
        OEMKVM_DAEMON_UNREACHABLE,      /* asked, no answer: daemon_error says why */
        OEMKVM_DAEMON_OK,
};

struct oemkvm_doctor_in {
        bool gvt;                       /* --gvt: the GVT-g checks may FAIL */
        const char *domain;             /* DOMAIN asked about, or NULL */
        const char *domain_error;       /* the daemon answered but DOMAIN is not there */
        enum oemkvm_daemon daemon;
        const char *uri;                /* the connection asked for (NULL: libvirt's default) */
        const char *daemon_error;
        unsigned long libvirt_version;  /* the daemon's, 1000000 * major + 1000 * minor + micro */
        unsigned long qemu_version;     /* the same encoding */
        const struct oemkvm_needs *domains;     /* the tagged domains (or DOMAIN alone) */
        size_t n_domains;
};

/* Runs every check, in groups: license, gvt, install, confinement, stack. */
int oemkvm_doctor_run(const struct oemkvm_ctx *ctx, const struct oemkvm_doctor_in *in,
                      struct oemkvm_report *ret, struct oemkvm_error *err);
void oemkvm_report_clear(struct oemkvm_report *report);
/* "PASS", "WARN", "FAIL", "N/A". */
const char *oemkvm_verdict_name(enum oemkvm_verdict v);

/* ---------------------------------------------------------------- hook */

/*
 * The phases in which the hook acts for a tagged domain, as
 * X(op, subop, steps, needs): the hook binary decides from its arguments
 * (and, where `needs` is not NULL, from whether the XML holds that text at
 * all) before it loads this library — libvirt runs it five times per
 * start, and most phases have nothing to do; the runtime maps each phase
 * to its list of steps.  Every other phase, tagged or not, costs a bare
 * exec.  release end has work only for a domain with a vGPU
 * (<oemkvm:gvt>, and its record).
 */
#define OEMKVM_HOOK_PHASES(X)                           \
        X("prepare", "begin", prepare, NULL)            \
        X("migrate", "begin", relocate, NULL)           \
        X("restore", "begin", relocate, NULL)           \
        X("release", "end", release, "gvt")

/*
 * Fast check, no XML parser: does this text carry the oemkvm config
 * namespace?  A match may still be no tag (the engine decides); no match is
 * certainly none.  The hook binary makes the same check itself before it
 * loads this library: the untagged path is a bare exec.
 */
bool oemkvm_xml_is_tagged(const char *xml, size_t len);

/*
 * What the qemu.d hook does for one call from libvirt, `NAME OP SUBOP
 * EXTRA` with the domain XML on stdin (EXTRA is not needed: since libvirt
 * 10.5 it is the shutoff reason at release end).
 *  - prepare begin: refreshes ctx's store from firmware (when the host has
 *    the tables; oemkvm_store_refresh), then refuses unless the definition
 *    is patched to match its tag, the dump it names (store or source=)
 *    loads as oemkvm_dump_load loads it, and QEMU's user can read every
 *    file it names — when the store holds no dump because the refresh
 *    failed, the refusal says why the refresh failed;
 *    It then starts the vGPU <oemkvm:gvt> asks for unless it is active,
 *    recording under <sysroot>/run/oemkvm/gvt that oemkvm started it;
 *  - release end: stops the vGPU oemkvm started for the domain, if any;
 *  - migrate begin / restore begin: the path filter of
 *    oemkvm_patch_relocate;
 *  - anything else, and any domain without an <oemkvm:config> in its
 *    <metadata> (one that only mentions the namespace, or keeps a record
 *    after the user removed the tag): nothing, and nothing is written.
 * On success *ret_out is the XML libvirt must use instead (malloc'd), or
 * NULL for "print nothing" (libvirt reads empty output as unchanged).  A
 * refusal is a negative errno and one line in err naming the domain and
 * the remedy.
 */
int oemkvm_hook_run(const struct oemkvm_ctx *ctx, const char *name, const char *op,
                    const char *subop, const char *xml, size_t len, char **ret_out,
                    struct oemkvm_error *err);

#ifdef __cplusplus
}
#endif

#endif
