/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which Intel graphics generation the iGPU is, by PCI device ID, and
 * whether i915 offers GVT-g on it.  The IDs are those of Linux 6.1's
 * include/drm/i915_pciids.h, grouped as drivers/gpu/drm/i915/i915_pci.c
 * binds them (Whiskey Lake and Amber Lake 0x87CA are Coffee Lake to i915,
 * Amber Lake 0x591C/0x87C0 Kaby Lake, Apollo Lake is Broxton); intel_gvt.c's
 * is_supported_device() accepts Broadwell, Skylake, Kaby Lake, Broxton,
 * Coffee Lake and Comet Lake only.  The names are the ones laptops are
 * sold with.  Newer iGPUs are listed so the doctor can name them.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "host/probe.h"
#include "util/util.h"

static const struct igpu_gen
        bdw = { "Broadwell", true, false },
        skl = { "Skylake", true, false },
        bxt = { "Apollo Lake", true, false },
        kbl = { "Kaby Lake", true, false },
        aml_kbl = { "Amber Lake", true, false },
        cfl = { "Coffee Lake", true, false },
        whl = { "Whiskey Lake", true, false },
        aml_cfl = { "Amber Lake", true, false },
        cml = { "Comet Lake", true, false },
        glk = { "Gemini Lake", false, false },
        cnl = { "Cannon Lake", false, false },
        icl = { "Ice Lake", false, true },
        ehl = { "Elkhart Lake", false, true },
        jsl = { "Jasper Lake", false, true },
        tgl = { "Tiger Lake", false, true },
        rkl = { "Rocket Lake", false, true },
        adl_s = { "Alder Lake-S", false, true },
        adl_p = { "Alder Lake-P", false, true },
        adl_n = { "Alder Lake-N", false, true },
        rpl_s = { "Raptor Lake-S", false, true },
        rpl_p = { "Raptor Lake-P", false, true },
        mtl = { "Meteor Lake", false, true };

static const struct {
        uint16_t id;
        const struct igpu_gen *gen;
} ids[] = {
        /* INTEL_BDW_IDS */
        { 0x1602, &bdw }, { 0x1606, &bdw }, { 0x160A, &bdw }, { 0x160B, &bdw }, { 0x160D, &bdw },
        { 0x160E, &bdw }, { 0x1612, &bdw }, { 0x1616, &bdw }, { 0x161A, &bdw }, { 0x161B, &bdw },
        { 0x161D, &bdw }, { 0x161E, &bdw }, { 0x1622, &bdw }, { 0x1626, &bdw }, { 0x162A, &bdw },
        { 0x162B, &bdw }, { 0x162D, &bdw }, { 0x162E, &bdw }, { 0x1632, &bdw }, { 0x1636, &bdw },
        { 0x163A, &bdw }, { 0x163B, &bdw }, { 0x163D, &bdw }, { 0x163E, &bdw },
        /* INTEL_SKL_IDS */
        { 0x1902, &skl }, { 0x1906, &skl }, { 0x190A, &skl }, { 0x190B, &skl }, { 0x190E, &skl },
        { 0x1912, &skl }, { 0x1913, &skl }, { 0x1915, &skl }, { 0x1916, &skl }, { 0x1917, &skl },
        { 0x191A, &skl }, { 0x191B, &skl }, { 0x191D, &skl }, { 0x191E, &skl }, { 0x1921, &skl },
        { 0x1923, &skl }, { 0x1926, &skl }, { 0x1927, &skl }, { 0x192A, &skl }, { 0x192B, &skl },
        { 0x192D, &skl }, { 0x1932, &skl }, { 0x193A, &skl }, { 0x193B, &skl }, { 0x193D, &skl },
        /* INTEL_BXT_IDS */
        { 0x0A84, &bxt }, { 0x1A84, &bxt }, { 0x1A85, &bxt }, { 0x5A84, &bxt }, { 0x5A85, &bxt },
        /* INTEL_KBL_IDS, INTEL_AML_KBL_GT2_IDS */
        { 0x5902, &kbl }, { 0x5906, &kbl }, { 0x5908, &kbl }, { 0x590A, &kbl }, { 0x590B, &kbl },
        { 0x590E, &kbl }, { 0x5912, &kbl }, { 0x5913, &kbl }, { 0x5915, &kbl }, { 0x5916, &kbl },
        { 0x5917, &kbl }, { 0x591A, &kbl }, { 0x591B, &kbl }, { 0x591D, &kbl }, { 0x591E, &kbl },
        { 0x5921, &kbl }, { 0x5923, &kbl }, { 0x5926, &kbl }, { 0x5927, &kbl }, { 0x593B, &kbl },
        { 0x591C, &aml_kbl }, { 0x87C0, &aml_kbl },
        /* INTEL_CFL_IDS: S, H, U */
        { 0x3E90, &cfl }, { 0x3E91, &cfl }, { 0x3E92, &cfl }, { 0x3E93, &cfl }, { 0x3E94, &cfl },
        { 0x3E96, &cfl }, { 0x3E98, &cfl }, { 0x3E99, &cfl }, { 0x3E9A, &cfl }, { 0x3E9B, &cfl },
        { 0x3E9C, &cfl }, { 0x3EA5, &cfl }, { 0x3EA6, &cfl }, { 0x3EA7, &cfl }, { 0x3EA8, &cfl },
        { 0x3EA9, &cfl },
        /* INTEL_WHL_U_GT{1,2,3}_IDS, INTEL_AML_CFL_GT2_IDS */
        { 0x3EA0, &whl }, { 0x3EA1, &whl }, { 0x3EA2, &whl }, { 0x3EA3, &whl }, { 0x3EA4, &whl },
        { 0x87CA, &aml_cfl },
        /* INTEL_CML_{,U_}GT{1,2}_IDS */
        { 0x9B21, &cml }, { 0x9B41, &cml }, { 0x9BA2, &cml }, { 0x9BA4, &cml }, { 0x9BA5, &cml },
        { 0x9BA8, &cml }, { 0x9BAA, &cml }, { 0x9BAC, &cml }, { 0x9BC2, &cml }, { 0x9BC4, &cml },
        { 0x9BC5, &cml }, { 0x9BC6, &cml }, { 0x9BC8, &cml }, { 0x9BCA, &cml }, { 0x9BCC, &cml },
        { 0x9BE6, &cml }, { 0x9BF6, &cml },
        /* Gen9/10 without GVT-g */
        { 0x3184, &glk }, { 0x3185, &glk },
        { 0x5A40, &cnl }, { 0x5A41, &cnl }, { 0x5A42, &cnl }, { 0x5A44, &cnl }, { 0x5A49, &cnl },
        { 0x5A4A, &cnl }, { 0x5A4C, &cnl }, { 0x5A50, &cnl }, { 0x5A51, &cnl }, { 0x5A52, &cnl },
        { 0x5A54, &cnl }, { 0x5A59, &cnl }, { 0x5A5A, &cnl }, { 0x5A5C, &cnl },
        /* Gen11 and later */
        { 0x8A50, &icl }, { 0x8A51, &icl }, { 0x8A52, &icl }, { 0x8A53, &icl }, { 0x8A54, &icl },
        { 0x8A56, &icl }, { 0x8A57, &icl }, { 0x8A58, &icl }, { 0x8A59, &icl }, { 0x8A5A, &icl },
        { 0x8A5B, &icl }, { 0x8A5C, &icl }, { 0x8A5D, &icl }, { 0x8A70, &icl }, { 0x8A71, &icl },
        { 0x4541, &ehl }, { 0x4551, &ehl }, { 0x4555, &ehl }, { 0x4557, &ehl }, { 0x4571, &ehl },
        { 0x4E51, &jsl }, { 0x4E55, &jsl }, { 0x4E57, &jsl }, { 0x4E61, &jsl }, { 0x4E71, &jsl },
        { 0x9A40, &tgl }, { 0x9A49, &tgl }, { 0x9A59, &tgl }, { 0x9A60, &tgl }, { 0x9A68, &tgl },
        { 0x9A70, &tgl }, { 0x9A78, &tgl }, { 0x9AC0, &tgl }, { 0x9AC9, &tgl }, { 0x9AD9, &tgl },
        { 0x9AF8, &tgl },
        { 0x4C80, &rkl }, { 0x4C8A, &rkl }, { 0x4C8B, &rkl }, { 0x4C8C, &rkl }, { 0x4C90, &rkl },
        { 0x4C9A, &rkl },
        { 0x4680, &adl_s }, { 0x4682, &adl_s }, { 0x4688, &adl_s }, { 0x468A, &adl_s },
        { 0x468B, &adl_s }, { 0x4690, &adl_s }, { 0x4692, &adl_s }, { 0x4693, &adl_s },
        { 0x4626, &adl_p }, { 0x4628, &adl_p }, { 0x462A, &adl_p }, { 0x46A0, &adl_p },
        { 0x46A1, &adl_p }, { 0x46A2, &adl_p }, { 0x46A3, &adl_p }, { 0x46A6, &adl_p },
        { 0x46A8, &adl_p }, { 0x46AA, &adl_p }, { 0x46B0, &adl_p }, { 0x46B1, &adl_p },
        { 0x46B2, &adl_p }, { 0x46B3, &adl_p }, { 0x46C0, &adl_p }, { 0x46C1, &adl_p },
        { 0x46C2, &adl_p }, { 0x46C3, &adl_p },
        { 0x46D0, &adl_n }, { 0x46D1, &adl_n }, { 0x46D2, &adl_n },
        { 0xA780, &rpl_s }, { 0xA781, &rpl_s }, { 0xA782, &rpl_s }, { 0xA783, &rpl_s },
        { 0xA788, &rpl_s }, { 0xA789, &rpl_s }, { 0xA78A, &rpl_s }, { 0xA78B, &rpl_s },
        { 0xA720, &rpl_p }, { 0xA721, &rpl_p }, { 0xA7A0, &rpl_p }, { 0xA7A1, &rpl_p },
        { 0xA7A8, &rpl_p }, { 0xA7A9, &rpl_p },
        { 0x7D40, &mtl }, { 0x7D45, &mtl }, { 0x7D55, &mtl }, { 0x7D60, &mtl }, { 0x7DD5, &mtl },
};

const struct igpu_gen *igpu_gen_find(uint16_t device)
{
        for (size_t i = 0; i < ARRAY_SIZE(ids); i++)
                if (ids[i].id == device)
                        return ids[i].gen;
        return NULL;
}

/* A sysfs number attribute ("0x8086\n"). */
static int read_hex(const struct oemkvm_ctx *ctx, const char *attr, unsigned long max, unsigned long *ret)
{
        _cleanup_free_ char *rel = NULL, *line = NULL;
        unsigned long v;
        char *end;
        int r;

        if (asprintf(&rel, "/sys/bus/pci/devices/%s/%s", IGPU_PCI_ADDRESS, attr) < 0)
                return -ENOMEM;
        r = host_read_line(ctx, rel, &line);
        if (r < 0)
                return r;
        errno = 0;
        v = strtoul(line, &end, 16);
        if (errno || end == line || *end || v > max)
                return -EBADMSG;
        *ret = v;
        return 0;
}

void igpu_clear(struct igpu *g)
{
        free(g->driver);
        *g = (struct igpu){};
}

int igpu_read(const struct oemkvm_ctx *ctx, struct igpu *ret)
{
        _cleanup_free_ char *link = NULL;
        struct igpu g = {};
        unsigned long vendor, device, class;
        char target[PATH_MAX];
        ssize_t n;
        int r;

        r = read_hex(ctx, "vendor", 0xffff, &vendor);
        if (r == -ENOENT) {
                *ret = g;
                return 0;
        }
        if (r >= 0)
                r = read_hex(ctx, "device", 0xffff, &device);
        if (r >= 0)
                r = read_hex(ctx, "class", 0xffffff, &class);
        if (r < 0)
                return r;
        g.present = true;
        g.vendor = (uint16_t)vendor;
        g.device = (uint16_t)device;
        g.class = (uint32_t)class;

        r = oemkvm_ctx_path(ctx, "/sys/bus/pci/devices/" IGPU_PCI_ADDRESS "/driver", &link);
        if (r < 0)
                return r;
        n = readlink(link, target, sizeof(target) - 1);
        if (n > 0) {
                target[n] = '\0';
                g.driver = strdup(strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
                if (!g.driver)
                        return -ENOMEM;
        }
        *ret = g;
        return 0;
}
