/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What nested translation needs, one row per requirement.
 *
 * Two sources decide it:
 *  - the kernel's nest-parent conditions (6.12 drivers/iommu/intel/iommu.c
 *    intel_iommu_domain_alloc_paging_flags: sm_supported && ecap_nest;
 *    arm-smmu-v3.c: FEAT_NESTING = S1P && S2P, and S2FWB or a CANWBS master
 *    for a vSMMU; amd (mainline after 6.18): GT && GIOSup), and
 *  - what each QEMU version's vIOMMU checks when a VFIO device is realized
 *    (FACTS.md "What QEMU checks"; each row names the QEMU file it was read
 *    from).  The code index holds one version of each QEMU file, not the
 *    release tags: rows read there cite "qemu/qemu <file> (indexed
 *    version)" and the release whose behaviour FACTS.md gives; a row marked
 *    "not confirmed against the tag" was not found in the indexed sources.
 *
 * Scope: QEMU checks some rows for every VFIO device behind the vIOMMU at
 * VM start, nesting or not (IHW_SCOPE_ALWAYS, e.g. intel aw-bits against
 * the host's), others only in nested mode (the default scope).
 *
 * Per-QEMU-version rows use qemu_min/qemu_max.  Adding a QEMU version or a
 * vendor quirk is adding rows here; the engine (ihw-verdict.c) only knows
 * row kinds.
 */
#include "ihw-rules.h"

#include <stddef.h>
#include <string.h>

#include "ihw-uapi.h"

#define Q IHW_QEMU
#define ANY 0

/* Row constructors: designated initialisers keep every row one line of
 * meaning, whatever the kind needs. */
#define FIELD_EQ(m, lo, hi, f, v, why_, ...) \
  { .model = m, .qemu_min = lo, .qemu_max = hi, .kind = IHW_RULE_FIELD_EQ, .field = f, .value = v, .why = why_, __VA_ARGS__ }
#define FIELD_GE(m, lo, hi, f, v, why_, ...) \
  { .model = m, .qemu_min = lo, .qemu_max = hi, .kind = IHW_RULE_FIELD_GE, .field = f, .value = v, .why = why_, __VA_ARGS__ }
#define ENUM_IN(m, lo, hi, f, why_, ...) \
  { .model = m, .qemu_min = lo, .qemu_max = hi, .kind = IHW_RULE_ENUM_IN, .field = f, .why = why_, __VA_ARGS__ }
#define REQ_LE_FIELD(m, lo, hi, k, f, why_, ...) \
  { .model = m, .qemu_min = lo, .qemu_max = hi, .kind = IHW_RULE_REQUEST_LE_FIELD, .key = k, .field = f, .why = why_, __VA_ARGS__ }
#define REQ_IMPLIES(m, lo, hi, k, above, f, min_, why_, ...) \
  { .model = m, .qemu_min = lo, .qemu_max = hi, .kind = IHW_RULE_REQUEST_IMPLIES_FIELD, .key = k, .value = above, \
    .field = f, .value2 = min_, .why = why_, __VA_ARGS__ }
#define REQ_LE_FACT(m, lo, hi, k, fact, why_, ...) \
  { .model = m, .qemu_min = lo, .qemu_max = hi, .kind = IHW_RULE_REQUEST_LE_FACT, .key = k, .field = fact, .why = why_, \
    __VA_ARGS__ }
#define REQ_EQ(m, lo, hi, k, v, why_, ...) \
  { .model = m, .qemu_min = lo, .qemu_max = hi, .kind = IHW_RULE_REQUEST_EQ, .key = k, .value = v, .why = why_, __VA_ARGS__ }
#define REQ_IN_LIST(m, lo, hi, k, why_, ...) \
  { .model = m, .qemu_min = lo, .qemu_max = hi, .kind = IHW_RULE_REQUEST_IN_LIST, .key = k, .why = why_, __VA_ARGS__ }
#define NAMES(...) .names = { __VA_ARGS__, NULL }
#define LIST(...) .list = { __VA_ARGS__, 0 }
#define ALWAYS .scope = IHW_SCOPE_ALWAYS
#define EMULATED .scope = IHW_SCOPE_EMULATED
#define FIX(text) .fix = text
#define UPGRADE_11_0 FIX ("upgrade QEMU to 11.0 or later")
#define REQ_RANGE(m, lo, hi, k, min_, max_, why_, ...) \
  { .model = m, .qemu_min = lo, .qemu_max = hi, .kind = IHW_RULE_REQUEST_RANGE, .key = k, .value = min_, \
    .value2 = max_, .why = why_, __VA_ARGS__ }
#define FACT_EQ(m, lo, hi, fact, v, req, why_, ...) \
  { .model = m, .qemu_min = lo, .qemu_max = hi, .kind = IHW_RULE_FACT_EQ, .key = fact, .value = v, \
    .requirement = req, .why = why_, __VA_ARGS__ }
#define QEMU_NEVER(m, lo, hi, req, why_, ...) \
  { .model = m, .qemu_min = lo, .qemu_max = hi, .kind = IHW_RULE_QEMU_NEVER, .requirement = req, .why = why_, __VA_ARGS__ }
#define KERNEL_NEST_PARENT(m) \
  { .model = m, .kind = IHW_RULE_KERNEL_NEST_PARENT, .requirement = "kernel.NEST_PARENT", \
    .why = "the kernel refused a nest-parent page table for this device (IOMMU_HWPT_ALLOC_NEST_PARENT)" }

#define INTEL IHW_MODEL_INTEL
#define SMMU IHW_MODEL_SMMUV3
#define AMD IHW_MODEL_AMD
#define VIRTIO IHW_MODEL_VIRTIO

static const IhwRule rules[] = {
  /* ===================== intel (intel-iommu) ============================ */

  /* Kernel: a nest parent needs scalable mode and NEST (6.12
   * drivers/iommu/intel/iommu.c, intel_iommu_domain_alloc_paging_flags:
   * "if (nested_parent && !nested_supported(iommu)) return -EOPNOTSUPP",
   * nested_supported = sm_supported && ecap_nest).  By the VT-d spec NEST
   * is clear unless FLTS and SLTS are both set; they are rows of their own
   * so a report names the missing stage. */
  FIELD_EQ (INTEL, ANY, ANY, "sm", 1,
            "the host IOMMU has no scalable mode (ecap.SMTS), which nesting is built on"),
  FIELD_EQ (INTEL, ANY, ANY, "nest", 1,
            "the host IOMMU does not support nested translation (ecap.NEST)"),
  FIELD_EQ (INTEL, ANY, ANY, "flts", 1,
            "the host IOMMU has no first-stage translation for the guest's page tables (ecap.FLTS)"),
  FIELD_EQ (INTEL, ANY, ANY, "slts", 1,
            "the host IOMMU has no second-stage translation for the host's page tables (ecap.SLTS)"),
  /* QEMU's emulated VT-d sets CM and never NEST (hw/i386/intel_iommu.c
   * vtd_cap_init, every version): the host is itself a guest. */
  FIELD_EQ (INTEL, ANY, ANY, "cm", 0,
            "the host IOMMU is itself emulated (caching mode): this host is a VM, and an emulated "
            "VT-d never offers nesting"),
  /* Kernel 6.12 include/uapi/linux/iommufd.h IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17;
   * QEMU 11.0-dev hw/i386/intel_iommu_accel.c vtd_get_host_iommu_quirks turns
   * it into HOST_IOMMU_QUIRK_NESTING_PARENT_BYPASS_RO. */
  { .model = INTEL, .kind = IHW_RULE_NOTE_IF_HW_FLAG, .value = IHW_HW_INFO_VTD_ERRATA_772415_SPR17,
    .requirement = "hw_info.ERRATA_772415_SPR17",
    .why = "erratum 772415 (SPR17): read-only mappings are not allowed on the nest parent" },
  KERNEL_NEST_PARENT (INTEL),

  /* Before 10.0 intel-iommu has no x-flts property at all (it arrives in
   * 10.0, hw/i386/intel_iommu.c vtd_properties): QEMU stops at the command
   * line ("Property 'intel-iommu.x-flts' not found"), the VM never starts. */
  QEMU_NEVER (INTEL, ANY, Q (9, 2), "qemu.x-flts",
              "this QEMU's intel-iommu has no x-flts property: QEMU refuses the command line and the VM "
              "does not start", UPGRADE_11_0),
  /* QEMU 10.0-10.2 hw/i386/intel_iommu.c vtd_check_hiod: with x-flts=on,
   * "host device is uncompatible with stage-1 translation" for every VFIO
   * device (the passthrough half landed in 11.0). */
  QEMU_NEVER (INTEL, Q (10, 0), Q (10, 2), "qemu.x-flts",
              "this QEMU's intel-iommu x-flts=on refuses every passthrough device (\"host device is "
              "uncompatible with stage-1 translation\")", UPGRADE_11_0),

  /* aw-bits: QEMU 9.1+ hw/i386/intel_iommu.c vtd_check_hiod "Common
   * checks", for every VFIO device, emulated vIOMMU or not, before any
   * x-flts test: "aw-bits %d > host aw-bits %d".  QEMU's host aw-bits is
   * hw/vfio/device.c vfio_device_get_aw_bits (HostIOMMUDevice cap AW_BITS):
   * range_get_last_bit() of the last IOVA range + 1, 64 without ranges; the
   * ranges are IOMMU_IOAS_IOVA_RANGES on the IOAS the device is attached to
   * (hw/vfio/iommufd.c iommufd_cdev_get_info_iova_range, qemu/qemu indexed
   * version).  The daemon asks the kernel the same way; without a probe the
   * registers give the aperture (the vendor's aperture_fields), clipped by
   * the group's reserved_regions. */
  REQ_LE_FACT (INTEL, Q (9, 1), ANY, "aw-bits", "host_aw_bits",
               "QEMU refuses an aw-bits wider than the host aw-bits (\"aw-bits %d > host aw-bits %d\"), the "
               "address width of the host IOMMU's usable IOVA ranges for the device",
               ALWAYS, FIX ("set aw-bits=39 (libvirt: <iommu model='intel'><driver aw_bits='39'/>)")),
  /* Device assignment needs caching mode, with or without x-flts (the
   * accel path, 11.0 hw/i386/intel_iommu_accel.c, makes no exception, and
   * falls back to the shadowing default HWPT when the guest leaves scalable
   * mode): hw/i386/intel_iommu.c vtd_machine_done_notify_one, every version
   * (qemu/qemu indexed version), exits with "We need to set caching-mode=on
   * for intel-iommu to enable device assignment with IOMMU protection." for
   * any vfio-pci device; a later series moves the check into
   * vtd_dev_set_iommu_device ("Device assignment is not allowed without
   * enabling caching-mode=on for Intel IOMMU.", not confirmed against a tag). */
  REQ_EQ (INTEL, ANY, ANY, "caching-mode", 1,
          "QEMU assigns no device behind an intel-iommu without caching mode (\"We need to set caching-mode=on "
          "for intel-iommu to enable device assignment with IOMMU protection.\")",
          ALWAYS, FIX ("set caching_mode='on' (libvirt: <iommu model='intel'><driver caching_mode='on'/>)")),
  /* hw/i386/intel_iommu.c vtd_decide_config: aw-bits 39 or 48 only (every
   * version, the VM does not start otherwise); with x-flts=on (10.0+) only 48. */
  REQ_IN_LIST (INTEL, ANY, ANY, "aw-bits", "QEMU's intel-iommu accepts aw-bits 39 or 48 only", LIST (39, 48),
               ALWAYS),
  REQ_IN_LIST (INTEL, Q (10, 0), ANY, "aw-bits",
               "QEMU's intel-iommu with x-flts=on (nesting) accepts aw-bits=48 only", LIST (48)),
  /* Guest 5-level first-stage tables need FL5LP (VT-d spec 3.6, cap bit 60;
   * QEMU itself never offers 57 bits, the row is for completeness). */
  REQ_IMPLIES (INTEL, ANY, ANY, "aw-bits", 48, "fl5lp", 1,
               "a guest address width above 48 bits needs 5-level first-stage paging (cap.FL5LP)"),
  /* PASID width: the guest cannot use more PASID bits than the host has
   * (ecap.PSS+1); QEMU 11 has no property for it (x-pasid-mode is a bool). */
  REQ_LE_FIELD (INTEL, ANY, ANY, "pasid-bits", "pasid_bits",
                "the host IOMMU's PASID width (ecap.PSS+1) is smaller than requested"),

  /* QEMU 11.0 hw/i386/intel_iommu_accel.c vtd_check_hiod_accel (qemu/qemu
   * indexed version; FACTS.md re-checked the 11.0.0 release), in the
   * order QEMU checks them (the hw_info type check is the engine's vendor
   * check: "Incompatible host platform IOMMU type %d"). */
  FACT_EQ (INTEL, Q (11, 0), ANY, "iommufd", IHW_TRISTATE_YES, "host.iommufd",
           "QEMU needs the iommufd backend for this device when x-flts=on (/dev/iommu and a VFIO "
           "cdev: \"Need IOMMUFD backend when x-flts=on\")",
           FIX ("bind the device to vfio-pci on a kernel with iommufd (/dev/iommu and /dev/vfio/devices/vfio*)")),
  REQ_IMPLIES (INTEL, Q (11, 0), ANY, "fs1gp", 0, "fl1gp", 1,
               "fs1gp=on needs first-stage 1GiB pages on the host (cap.FL1GP): "
               "\"First stage 1GB large page is unsupported by host IOMMU\"",
               FIX ("turn fs1gp off (-global intel-iommu.fs1gp=off)")),
  FACT_EQ (INTEL, Q (11, 0), ANY, "behind_pci_bridge", IHW_TRISTATE_NO, "topology.pci-bridge",
           "QEMU refuses a device downstream of a conventional PCI bridge when x-flts=on (\"Host "
           "device downstream to a PCI bridge is unsupported\")",
           FIX ("assign a device that is not behind a PCI bridge")),

  /* ===================== smmuv3 (arm-smmuv3) ============================ */

  /* Kernel 6.13+ drivers/iommu/arm/arm-smmu-v3: FEAT_NESTING = S1P && S2P
   * (arm_smmu_device_hw_probe), needed for IOMMU_HWPT_ALLOC_NEST_PARENT. */
  FIELD_EQ (SMMU, ANY, ANY, "s1p", 1, "the host SMMU has no stage-1 translation (IDR0.S1P)"),
  FIELD_EQ (SMMU, ANY, ANY, "s2p", 1, "the host SMMU has no stage-2 translation (IDR0.S2P)"),
  /* Kernel arm-smmu-v3-iommufd.c arm_vsmmu_alloc: S2FWB, or a master the
   * firmware marks CANWBS, because VFIO does no cache maintenance. */
  { .model = SMMU, .kind = IHW_RULE_FIELD_OR_FACT, .field = "fwb", .value = 1, .key = "canwbs",
    .why = "IDR3.FWB is 0: the kernel nests only devices that firmware marks coherent (IORT CANWBS)" },
  KERNEL_NEST_PARENT (SMMU),

  /* QEMU <= 10.2 hw/arm/smmuv3.c smmuv3_notify_flag_changed: a VFIO device
   * needs MAP notifiers, which arm-smmuv3 refuses ("requires iommu MAP
   * notifier which is not currently supported"); accel=on arrives in 11.0. */
  QEMU_NEVER (SMMU, ANY, Q (10, 2), "qemu.accel",
              "this QEMU's arm-smmuv3 cannot have an assigned device behind it at all (\"requires iommu "
              "MAP notifier which is not currently supported\") and has no accel=on (nested) mode",
              ALWAYS, UPGRADE_11_0),
  /* From 11.0 only accel=on takes VFIO devices; an emulated arm-smmuv3
   * still refuses them (hw/arm/smmuv3.c smmuv3_notify_flag_changed, qemu/qemu
   * indexed version). */
  QEMU_NEVER (SMMU, Q (11, 0), ANY, "qemu.accel",
              "arm-smmuv3 without accel=on cannot have an assigned device behind it (\"requires iommu MAP "
              "notifier which is not currently supported\")",
              EMULATED, FIX ("turn accel=on (<qemu:override> or -global arm-smmuv3.accel=on), or use "
                             "<iommu model='virtio'>")),

  /* QEMU 11.0: accel=on needs the iommufd backend (hw/arm/smmuv3-accel.c
   * smmuv3_accel_set_iommu_device: only HostIOMMUDeviceIOMMUFD devices). */
  FACT_EQ (SMMU, Q (11, 0), ANY, "iommufd", IHW_TRISTATE_YES, "host.iommufd",
           "QEMU's arm-smmuv3,accel=on needs the iommufd backend for this device (/dev/iommu and a "
           "VFIO cdev)"),
  /* QEMU 11.0 hw/arm/smmuv3-accel.c smmuv3_accel_check_hw_compatible
   * (qemu/qemu indexed version, commit d21a442a of that file; the v11.0.0
   * tag itself not confirmed in the index), in QEMU's order.  QEMU's own
   * IDR0: STLEVEL 2-level, TTENDIAN little, TTF AArch64; IDR1.SIDSIZE 16;
   * IDR5 GRAN4K/16K/64K all 1 (hw/arm/smmuv3.c smmuv3_init_id_regs).
   * ST_LEVEL and the granules must EQUAL the vSMMU's ("!="), the rest be
   * at least as capable. */
  ENUM_IN (SMMU, Q (11, 0), ANY, "st_level",
           "QEMU's vSMMU has a 2-level stream table and the host's must be the same (\"Host SMMUv3 Stream "
           "Table format mismatch\", IDR0.ST_LEVEL)",
           NAMES ("2-level"), FIX ("assign a device behind an SMMU with a 2-level stream table")),
  ENUM_IN (SMMU, Q (11, 0), ANY, "ttendian",
           "QEMU's vSMMU walks little-endian tables only (IDR0.TTENDIAN)", NAMES ("mixed", "little")),
  ENUM_IN (SMMU, Q (11, 0), ANY, "ttf",
           "QEMU's vSMMU uses AArch64 translation tables only (IDR0.TTF)", NAMES ("aarch64", "aarch32+aarch64")),
  FIELD_GE (SMMU, Q (11, 0), ANY, "sidsize", 16,
            "QEMU's vSMMU has 16-bit StreamIDs and needs at least as many on the host (IDR1.SIDSIZE)"),
  REQ_LE_FIELD (SMMU, Q (11, 0), ANY, "ssid-size", "ssidsize",
                "the host SMMU's SubstreamID width (IDR1.SSIDSIZE) is smaller than ssidsize"),
  REQ_IMPLIES (SMMU, Q (11, 0), ANY, "ril", 0, "ril", 1,
               "ril=on needs range invalidation on the host (IDR3.RIL)", FIX ("set ril=off")),
  REQ_LE_FIELD (SMMU, Q (11, 0), ANY, "oas", "oas",
                "the host SMMU's output address size (IDR5.OAS) is smaller than the vSMMU's oas"),
  /* 11.1 only: 11.0 has no ATS check (FACTS.md; the 11.1 check "Host
   * SMMUv3 doesn't support Address Translation Services" is not in the
   * indexed hw/arm/smmuv3-accel.c: not confirmed against the v11.1.0 tag). */
  REQ_IMPLIES (SMMU, Q (11, 1), ANY, "ats", 0, "ats", 1,
               "ats=on needs ATS on the host SMMU (IDR0.ATS): \"Host SMMUv3 doesn't support Address "
               "Translation Services\"", FIX ("set ats=off")),
  /* 11.1 (FACTS.md "What QEMU checks": Tegra241 CMDQV, `cmdqv` property,
   * hw_info type TEGRA241_CMDQV = 3; the qemu/qemu index has no `cmdqv`
   * property: not confirmed against the v11.1.0 tag): cmdqv=on asks the
   * host SMMU for that hw_info type. */
  /* Before 11.1 arm-smmuv3 has no cmdqv property (hw/arm/smmuv3.c
   * smmuv3_properties, qemu/qemu indexed version: no "cmdqv"): QEMU refuses
   * the command line ("Property 'arm-smmuv3.cmdqv' not found"), whatever
   * the value, emulated or accel. */
  QEMU_NEVER (SMMU, ANY, Q (11, 0), "qemu.cmdqv",
              "this QEMU's arm-smmuv3 has no cmdqv property: QEMU refuses the command line and the VM does "
              "not start", ALWAYS, .if_given = "cmdqv", FIX ("upgrade QEMU to 11.1 or later")),
  FACT_EQ (SMMU, Q (11, 1), ANY, "cmdqv", IHW_TRISTATE_YES, "host.cmdqv",
           "cmdqv=on needs an SMMU with NVIDIA Tegra241 CMDQV (iommufd hw_info type TEGRA241_CMDQV)",
           .if_request = "cmdqv", FIX ("set cmdqv=off, or assign a device behind an SMMU with CMDQV")),
  FIELD_EQ (SMMU, Q (11, 0), ANY, "gran4k", 1,
            "QEMU's vSMMU has the 4KiB granule and the host's must match (IDR5.GRAN4K)"),
  FIELD_EQ (SMMU, Q (11, 0), ANY, "gran16k", 1,
            "QEMU's vSMMU has the 16KiB granule and the host's must match (IDR5.GRAN16K)"),
  FIELD_EQ (SMMU, Q (11, 0), ANY, "gran64k", 1,
            "QEMU's vSMMU has the 64KiB granule and the host's must match (IDR5.GRAN64K)"),
  /* hw/arm/smmuv3.c smmuv3 properties (11.0, indexed version): oas 44|48,
   * ssidsize 0..20.  11.1 adds `auto` (below); its explicit values are
   * taken to be 11.0's (not confirmed against the v11.1.0 tag). */
  REQ_IN_LIST (SMMU, Q (11, 0), ANY, "oas", "QEMU's arm-smmuv3 accepts oas=44 or oas=48 only", LIST (44, 48)),
  REQ_RANGE (SMMU, Q (11, 0), ANY, "ssid-size", 0, 20, "QEMU's arm-smmuv3 accepts ssidsize 0 to 20 only"),
  /* 11.1 (FACTS.md; not confirmed against the v11.1.0 tag): with accel=on
   * and a key at `auto`, QEMU resolves it from the first cold-plugged
   * vfio-pci device and aborts when there is none. */
  { .model = SMMU, .qemu_min = Q (11, 1), .kind = IHW_RULE_AUTO_NEEDS_DEVICE, .requirement = "qemu.auto",
    .why = "with accel=on and ats/ril/ssidsize/oas at auto (QEMU 11.1's default), QEMU aborts unless a "
           "vfio-pci device is cold-plugged",
    .fix = "cold-plug a vfio-pci device, or set ats, ril, ssidsize and oas explicitly" },

  /* ===================== amd (amd-iommu) ================================ */

  /* Kernel (AMD nested series, mainline after 6.18, drivers/iommu/amd/
   * iommu.c is_nest_parent_supported): IOMMU_HWPT_ALLOC_NEST_PARENT needs
   * FEATURE_GT, FEATURE_GIOSUP and FEATURE_GCR3TRPMODE (EFR2 bit 3; nested.c:
   * "Currently only support GCR3TRPMode with nested translation"). */
  FIELD_EQ (AMD, ANY, ANY, "gt", 1, "the host IOMMU has no guest translation (EFR.GTSup)"),
  FIELD_EQ (AMD, ANY, ANY, "gio", 1, "the host IOMMU has no guest I/O protection (EFR.GIOSup)"),
  FIELD_EQ (AMD, ANY, ANY, "gcr3trp", 1,
            "the host IOMMU cannot take the guest's CR3 table root as a guest physical address "
            "(EFR2.GCR3TRPMode), which nested translation needs"),
  /* Guest paging levels: 5-level guest tables need GATS >= 1 (AMD IOMMU
   * spec 48882 3.4.12, EFR.GATS 0: 4 levels, 1: 5 levels). */
  REQ_IMPLIES (AMD, ANY, ANY, "aw-bits", 48, "gats", 1,
               "a guest address width above 48 bits needs 5-level guest paging (EFR.GATS)"),
  /* PASIDs: width PASmax+1, and GCR3 tables of 9 bits per level, limited by
   * GLX (kernel drivers/iommu/amd/iommu.c get_gcr3_levels/setup_gcr3_table:
   * "if (levels > amd_iommu_max_glx_val) return -EINVAL"). */
  REQ_LE_FIELD (AMD, ANY, ANY, "pasid-bits", "pasid_bits",
                "the host IOMMU's PASID width (EFR.PASmax+1) is smaller than requested"),
  REQ_IMPLIES (AMD, ANY, ANY, "pasid-bits", 9, "glx", 1,
               "more than 9 PASID bits need 2-level guest CR3 tables (EFR.GLXSup)"),
  REQ_IMPLIES (AMD, ANY, ANY, "pasid-bits", 18, "glx", 2,
               "more than 18 PASID bits need 3-level guest CR3 tables (EFR.GLXSup)"),
  KERNEL_NEST_PARENT (AMD),
  /* hw/i386/amd_iommu.c, every version up to 11.0-dev: no nesting, no
   * HostIOMMUDevice/iommufd use (<= 10.1 VFIO behind amd-iommu fails;
   * 10.2+ dma-remap=on shadows the guest's tables). */
  QEMU_NEVER (AMD, ANY, ANY, "qemu.amd-iommu",
              "no QEMU version's amd-iommu can use nested translation (it shadows the guest's page "
              "tables at best), even where the host IOMMU could nest",
              FIX ("use <iommu model='intel'> on an Intel host or 'smmuv3' on an ARM host to nest; AMD "
                   "nesting waits for QEMU")),
  /* Emulated: up to 10.1 no VFIO device behind amd-iommu at all (FACTS.md;
   * hw/i386/amd_iommu.c amdvi_iommu_notify_flag_changed, not confirmed
   * against a tag); 10.2 shadows with dma-remap=on. */
  QEMU_NEVER (AMD, ANY, Q (10, 1), "qemu.amd-iommu",
              "this QEMU's amd-iommu cannot have an assigned device behind it (no MAP notifier)",
              EMULATED, FIX ("upgrade QEMU to 10.2 or later and set dma-remap=on")),

  /* ===================== virtio (virtio-iommu) ========================== */
  /* hw/virtio/virtio-iommu.c, every version: no nested mode; it checks only
   * the host's page sizes and aliased BDFs. */
  { .model = VIRTIO, .kind = IHW_RULE_MODEL_NEVER, .requirement = "model.virtio",
    .why = "virtio-iommu has no nested (hardware stage-1) mode in any QEMU version",
    .fix = "use <iommu model='intel'> or 'smmuv3' for nesting" },
};

const IhwRule *
ihw_rules (guint *n_rules)
{
  *n_rules = G_N_ELEMENTS (rules);
  return rules;
}

gboolean
ihw_rule_is_model_level (const IhwRule *rule)
{
  switch (rule->kind)
    {
    case IHW_RULE_MODEL_NEVER:
    case IHW_RULE_QEMU_NEVER:
    case IHW_RULE_REQUEST_IN_LIST:
    case IHW_RULE_REQUEST_RANGE:
    case IHW_RULE_AUTO_NEEDS_DEVICE:
      return TRUE;
    default:
      return FALSE;
    }
}

gboolean
ihw_rule_is_host (const IhwRule *rule)
{
  if (rule->qemu_min || rule->qemu_max)
    return FALSE;
  switch (rule->kind)
    {
    case IHW_RULE_FIELD_EQ:
    case IHW_RULE_FIELD_GE:
    case IHW_RULE_ENUM_IN:
    case IHW_RULE_NOTE_UNLESS_FIELD:
    case IHW_RULE_NOTE_IF_HW_FLAG:
    case IHW_RULE_KERNEL_NEST_PARENT:
    case IHW_RULE_FIELD_OR_FACT:
      return TRUE;
    default:
      return FALSE; /* request keys, QEMU versions, whole-model rows */
    }
}

static gboolean
in_range (guint lo, guint hi, guint qemu)
{
  return (!lo || qemu >= lo) && (!hi || qemu <= hi);
}

gboolean
ihw_rule_applies (const IhwRule *rule, IhwModel model, guint qemu)
{
  return rule->model == model && in_range (rule->qemu_min, rule->qemu_max, qemu);
}

gboolean
ihw_rule_in_scope (const IhwRule *rule, gboolean nesting)
{
  switch (rule->scope)
    {
    case IHW_SCOPE_ALWAYS:
      return TRUE;
    case IHW_SCOPE_EMULATED:
      return !nesting;
    default:
      return nesting;
    }
}

/* ------------------------------------------------------------------------ */

/* The QEMU releases the rows above and below are written for, oldest first.
 * Every qemu_min and qemu_max of a row is one of them (test-rules checks
 * it), so the rows a profile selects change only at a profile.  The last
 * row is the default profile: adding a QEMU version is adding its row here
 * and the rows that differ for it. */
static const guint qemu_profiles[] = {
  Q (9, 1),  /* HostIOMMUDevice: intel-iommu checks aw-bits against the host */
  Q (9, 2),
  Q (10, 0), /* intel-iommu x-flts, aw-bits default 48, fs1gp */
  Q (10, 1),
  Q (10, 2), /* arm-smmuv3 user-creatable, still no accel */
  Q (11, 0), /* intel accel (x-flts passthrough), arm-smmuv3 accel=on */
  Q (11, 1), /* arm-smmuv3 ats/ril/ssidsize/oas default auto, ATS check, Tegra241 CMDQV */
};

const guint *
ihw_qemu_profiles (guint *n_profiles)
{
  *n_profiles = G_N_ELEMENTS (qemu_profiles);
  return qemu_profiles;
}

guint
ihw_qemu_newest (void)
{
  return qemu_profiles[G_N_ELEMENTS (qemu_profiles) - 1];
}

static const IhwQemuProperty qemu_properties[] = {
  /* hw/i386/intel_iommu.c vtd_properties: DEFINE_PROP_UINT8("aw-bits", ...)
   * default VTD_HOST_ADDRESS_WIDTH, 48 since 10.0 (39 before; pc-*-9.1
   * machine compat keeps 39). */
  { INTEL, ANY, Q (9, 2), "aw-bits", TRUE, TRUE, 39, "hw/i386/intel_iommu.c vtd_properties (9.x)", NULL },
  { INTEL, Q (10, 0), ANY, "aw-bits", TRUE, TRUE, 48, "hw/i386/intel_iommu.c vtd_properties (10.0+)", NULL },
  /* DEFINE_PROP_BOOL("fs1gp", IntelIOMMUState, fs1gp, true), 10.0+. */
  { INTEL, Q (10, 0), ANY, "fs1gp", TRUE, TRUE, 1, "hw/i386/intel_iommu.c vtd_properties (10.0+)", NULL },
  /* DEFINE_PROP_BOOL("caching-mode", IntelIOMMUState, caching_mode, FALSE),
   * every version. */
  { INTEL, ANY, ANY, "caching-mode", TRUE, TRUE, 0, "hw/i386/intel_iommu.c vtd_properties", NULL },
  /* No pasid-bits property on intel-iommu (x-pasid-mode is a bool). */
  { INTEL, ANY, ANY, "pasid-bits", FALSE, FALSE, 0, "hw/i386/intel_iommu.c vtd_properties", NULL },
  /* hw/arm/smmuv3.c smmuv3_properties (11.0, indexed version): ril ON,
   * ats OFF, oas 44, ssidsize 0. */
  { SMMU, Q (11, 0), Q (11, 0), "ril", TRUE, TRUE, 1, "hw/arm/smmuv3.c smmuv3_properties (11.0)", NULL },
  { SMMU, Q (11, 0), Q (11, 0), "ats", TRUE, TRUE, 0, "hw/arm/smmuv3.c smmuv3_properties (11.0)", NULL },
  { SMMU, Q (11, 0), Q (11, 0), "oas", TRUE, TRUE, 44, "hw/arm/smmuv3.c smmuv3_properties (11.0)", NULL },
  { SMMU, Q (11, 0), Q (11, 0), "ssid-size", TRUE, TRUE, 0, "hw/arm/smmuv3.c smmuv3_properties (11.0)", NULL },
  /* 11.1: the four default to `auto`, the host's value (FACTS.md "What
   * QEMU checks"; not confirmed against the v11.1.0 tag in the index). */
  { SMMU, Q (11, 1), ANY, "ril", TRUE, TRUE, 0, "FACTS.md: QEMU 11.1 smmuv3 ril=auto", "ril" },
  { SMMU, Q (11, 1), ANY, "ats", TRUE, TRUE, 0, "FACTS.md: QEMU 11.1 smmuv3 ats=auto", "ats" },
  { SMMU, Q (11, 1), ANY, "oas", TRUE, TRUE, 0, "FACTS.md: QEMU 11.1 smmuv3 oas=auto", "oas" },
  { SMMU, Q (11, 1), ANY, "ssid-size", TRUE, TRUE, 0, "FACTS.md: QEMU 11.1 smmuv3 ssidsize=auto", "ssidsize" },
  /* Off unless asked for: the default is not in FACTS.md nor confirmed
   * against the v11.1.0 tag, and off is what every host can honour. */
  { SMMU, Q (11, 1), ANY, "cmdqv", TRUE, TRUE, 0, "FACTS.md: QEMU 11.1 smmuv3 cmdqv (default off assumed)", NULL },
  /* amd-iommu has no such properties; pasid-bits/aw-bits are host limits only. */
  { AMD, ANY, ANY, "pasid-bits", FALSE, FALSE, 0, "hw/i386/amd_iommu.c", NULL },
  { AMD, ANY, ANY, "aw-bits", FALSE, FALSE, 0, "hw/i386/amd_iommu.c", NULL },
};

const IhwQemuProperty *
ihw_qemu_properties (guint *n)
{
  *n = G_N_ELEMENTS (qemu_properties);
  return qemu_properties;
}

const IhwQemuProperty *
ihw_qemu_property (IhwModel model, guint qemu, const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (qemu_properties); i++)
    {
      const IhwQemuProperty *p = &qemu_properties[i];
      if (p->model == model && in_range (p->qemu_min, p->qemu_max, qemu) && g_strcmp0 (p->key, key) == 0)
        return p;
    }
  return NULL;
}

static const IhwQemuDevice qemu_devices[] = {
  /* hw/i386/intel_iommu.c (11.0-dev): x-scalable-mode and x-flts are bools;
   * x-flts=on needs x-scalable-mode=on; caching-mode (device assignment
   * needs it) is a request key, appended with the others; intremap is the
   * x86-iommu OnOffAuto property (needs kernel-irqchip=split). */
  { INTEL, Q (11, 0), ANY, "intel-iommu,intremap=on,x-scalable-mode=on,x-flts=on", TRUE,
    "the machine needs -machine q35,kernel-irqchip=split (intremap=on)",
    "libvirt has no <iommu> attribute for x-scalable-mode=on and x-flts=on: without them QEMU emulates "
    "the vIOMMU instead of nesting. Add to the domain (<domain xmlns:qemu='http://libvirt.org/schemas/"
    "domain/qemu/1.0'>): <qemu:commandline><qemu:arg value='-global'/><qemu:arg "
    "value='intel-iommu.x-scalable-mode=on'/><qemu:arg value='-global'/><qemu:arg "
    "value='intel-iommu.x-flts=on'/></qemu:commandline>, and give it <ioapic driver='qemu'/>" },
  /* hw/arm/smmuv3.c (11.0-dev): user-creatable since 10.2, attached to a
   * PCIe root bus with primary-bus; accel=on is stage 1 only and needs KVM
   * with kernel-irqchip=on. */
  { SMMU, Q (11, 0), ANY, "arm-smmuv3,primary-bus=pcie.0,accel=on", TRUE,
    "the machine needs -machine virt with KVM and kernel-irqchip=on; accel=on is stage 1 only",
    "no released libvirt checked here has <iommu model='smmuv3'> attributes for accel, ril, ats, oas "
    "or ssidsize: without accel=on QEMU does not nest. Add them with <qemu:override> (or "
    "<qemu:commandline><qemu:arg value='-global'/><qemu:arg value='arm-smmuv3.accel=on'/>...)" },
};

const IhwQemuDevice *
ihw_qemu_device (IhwModel model, guint qemu)
{
  for (guint i = 0; i < G_N_ELEMENTS (qemu_devices); i++)
    if (qemu_devices[i].model == model && in_range (qemu_devices[i].qemu_min, qemu_devices[i].qemu_max, qemu))
      return &qemu_devices[i];
  return NULL;
}

/* FACTS.md "What libvirt has" (libvirt docs/formatdomain.rst, "IOMMU
 * devices"): models intel (2.1), smmuv3 (5.5), virtio (8.3), amd (11.5);
 * <driver> intremap/caching_mode/eim (3.4), iotlb (3.5), aw_bits (6.5).
 * No libvirt attribute carries x-scalable-mode/x-flts, or (in a release
 * checked here) SMMUv3 accel/ril/ats/oas/ssidsize. */
static const IhwLibvirtAttr libvirt_attrs[] = {
  { INTEL, NULL, NULL, NULL, IHW_LIBVIRT (2, 1, 0) },
  { INTEL, "intremap", NULL, "on", IHW_LIBVIRT (3, 4, 0) },
  { INTEL, NULL, "caching-mode", NULL, IHW_LIBVIRT (3, 4, 0) },  /* caching_mode */
  { INTEL, NULL, "aw-bits", NULL, IHW_LIBVIRT (6, 5, 0) },  /* aw_bits */
  { SMMU, NULL, NULL, NULL, IHW_LIBVIRT (5, 5, 0) },
  { VIRTIO, NULL, NULL, NULL, IHW_LIBVIRT (8, 3, 0) },
  { AMD, NULL, NULL, NULL, IHW_LIBVIRT (11, 5, 0) },
};

const IhwLibvirtAttr *
ihw_libvirt_attrs (guint *n)
{
  *n = G_N_ELEMENTS (libvirt_attrs);
  return libvirt_attrs;
}

/* ------------------------------------------------------------------------ */

static const struct {
  const char *name;
  size_t offset;
} device_facts[] = {
  { "iommufd", offsetof (IhwDeviceFacts, iommufd) },
  { "behind_pci_bridge", offsetof (IhwDeviceFacts, behind_pci_bridge) },
  { "canwbs", offsetof (IhwDeviceFacts, canwbs) },
  { "cmdqv", offsetof (IhwDeviceFacts, cmdqv) },
};

static const struct {
  const char *name;
  const char *label;
  size_t offset, from_offset;
} device_number_facts[] = {
  { "host_aw_bits", "host aw-bits", offsetof (IhwDeviceFacts, host_aw_bits),
    offsetof (IhwDeviceFacts, host_aw_bits_from) },
};

gboolean
ihw_device_number_fact (const IhwDeviceFacts *dev, const char *name, guint *value, const char **from,
                        const char **label)
{
  for (guint i = 0; i < G_N_ELEMENTS (device_number_facts); i++)
    if (g_strcmp0 (device_number_facts[i].name, name) == 0)
      {
        const char *base = (const char *) dev;
        if (value && dev)
          *value = *(const guint *) (const void *) (base + device_number_facts[i].offset);
        if (from && dev)
          *from = *(const char *const *) (const void *) (base + device_number_facts[i].from_offset);
        if (label)
          *label = device_number_facts[i].label;
        return TRUE;
      }
  return FALSE;
}

static IhwTristate *
device_fact_slot (const IhwDeviceFacts *dev, const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (device_facts); i++)
    if (g_strcmp0 (device_facts[i].name, name) == 0)
      return (IhwTristate *) (void *) ((char *) dev + device_facts[i].offset);
  return NULL;
}

gboolean
ihw_device_fact (const IhwDeviceFacts *dev, const char *name, IhwTristate *out)
{
  const IhwTristate *p = device_fact_slot (dev, name);
  if (p)
    *out = *p;
  return p != NULL;
}

gboolean
ihw_device_fact_set (IhwDeviceFacts *dev, const char *name, IhwTristate value)
{
  IhwTristate *p = device_fact_slot (dev, name);
  if (p)
    *p = value;
  return p != NULL;
}
