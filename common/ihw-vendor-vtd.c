/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Intel VT-d capability (cap) and extended capability (ecap) registers.
 * Bit positions follow drivers/iommu/intel/iommu.h (6.12) and the VT-d
 * specification, rev. 4.x, sections 11.4.2 and 11.4.3.
 */
#include "ihw-vendor.h"

#include <stddef.h>

#include "ihw-uapi.h"

enum { CAP, ECAP };

static const IhwRegisterDef vtd_regs[] = {
  [CAP] = { "cap", 64, offsetof (struct iommu_hw_info_vtd, cap_reg) },
  [ECAP] = { "ecap", 64, offsetof (struct iommu_hw_info_vtd, ecap_reg) },
};


static const IhwFieldDef vtd_fields[] = {
  /* cap */
  IHW_NUM ("nd", CAP, "ND", 0, 3, 0, "Number of domain-ids (2^(4+2*ND))"),
  IHW_BIT ("afl", CAP, "AFL", 3, "Advanced fault logging"),
  IHW_BIT ("rwbf", CAP, "RWBF", 4, "Required write-buffer flushing"),
  IHW_BIT ("plmr", CAP, "PLMR", 5, "Protected low-memory region"),
  IHW_BIT ("phmr", CAP, "PHMR", 6, "Protected high-memory region"),
  IHW_BIT ("cm", CAP, "CM", 7, "Caching mode (set by emulated IOMMUs: the host is a guest)"),
  { .key = "sagaw", .reg = CAP, .mnemonic = "SAGAW", .lo = 8, .width = 5, .kind = IHW_FIELD_BITLIST,
    .map = { 30, 39, 48, 57, 64 }, .n_map = 5, .description = "Second-stage address widths (bits)" },
  IHW_NUM ("mgaw", CAP, "MGAW", 16, 6, 1, "Maximum guest address width (bits)"),
  IHW_BIT ("zlr", CAP, "ZLR", 22, "Zero-length read"),
  IHW_BIT ("isoch", CAP, "ISOCH", 23, "Isochrony (DRD in older specs)"),
  IHW_NUM ("fro", CAP, "FRO", 24, 10, 0, "Fault-recording register offset (x16 bytes)"),
  IHW_NUM ("sllps", CAP, "SLLPS", 34, 4, 0, "Second-stage large pages (bit0 2MiB, bit1 1GiB)"),
  IHW_BIT ("psi", CAP, "PSI", 39, "Page-selective invalidation"),
  IHW_NUM ("nfr", CAP, "NFR", 40, 8, 1, "Number of fault-recording registers"),
  IHW_NUM ("mamv", CAP, "MAMV", 48, 6, 0, "Maximum address mask value"),
  IHW_BIT ("dwd", CAP, "DWD", 54, "Write draining"),
  IHW_BIT ("drd", CAP, "DRD", 55, "Read draining"),
  IHW_BIT ("fl1gp", CAP, "FL1GP", 56, "First-stage 1GiB pages"),
  IHW_BIT ("pi", CAP, "PI", 59, "Posted interrupts"),
  IHW_BIT ("fl5lp", CAP, "FL5LP", 60, "First-stage 5-level paging"),
  IHW_BIT ("ecmds", CAP, "ECMDS", 61, "Enhanced command support"),
  IHW_BIT ("esirtps", CAP, "ESIRTPS", 62, "Enhanced set interrupt root table pointer"),
  IHW_BIT ("esrtps", CAP, "ESRTPS", 63, "Enhanced set root table pointer"),
  /* ecap */
  IHW_BIT ("c", ECAP, "C", 0, "Page-walk coherency"),
  IHW_BIT ("qi", ECAP, "QI", 1, "Queued invalidation"),
  IHW_BIT ("dt", ECAP, "DT", 2, "Device-TLB (ATS)"),
  IHW_BIT ("ir", ECAP, "IR", 3, "Interrupt remapping"),
  IHW_BIT ("eim", ECAP, "EIM", 4, "Extended interrupt mode (x2APIC)"),
  IHW_BIT ("pt", ECAP, "PT", 6, "Pass-through"),
  IHW_BIT ("sc", ECAP, "SC", 7, "Snoop control"),
  IHW_NUM ("iro", ECAP, "IRO", 8, 10, 0, "IOTLB register offset (x16 bytes)"),
  IHW_NUM ("mhmv", ECAP, "MHMV", 20, 4, 0, "Maximum handle mask value"),
  IHW_BIT ("ecs", ECAP, "ECS", 24, "Extended context (deprecated)"),
  IHW_BIT ("mts", ECAP, "MTS", 25, "Memory type support"),
  IHW_BIT ("nest", ECAP, "NEST", 26, "Nested translation"),
  IHW_BIT ("dis", ECAP, "DIS", 27, "Deferred invalidate (deprecated)"),
  IHW_BIT ("pasid_legacy", ECAP, "PASID(28)", 28, "PASID in extended-context mode (deprecated)"),
  IHW_BIT ("prs", ECAP, "PRS", 29, "Page requests"),
  IHW_BIT ("pri", ECAP, "PRS", 29, "Page requests (PRI)"),
  IHW_BIT ("ers", ECAP, "ERS", 30, "Execute requests"),
  IHW_BIT ("srs", ECAP, "SRS", 31, "Supervisor requests"),
  IHW_BIT ("nwfs", ECAP, "NWFS", 33, "No write flag"),
  IHW_BIT ("eafs", ECAP, "EAFS", 34, "Extended accessed flag"),
  { .key = "pasid_bits", .reg = ECAP, .mnemonic = "PSS", .lo = 35, .width = 5, .kind = IHW_FIELD_UINT,
    .offset = 1, .only_if = "pasid", .description = "PASID width (bits; 0 without PASID)" },
  IHW_BIT ("pasid", ECAP, "PASID", 40, "Process address space IDs"),
  IHW_BIT ("dit", ECAP, "DIT", 41, "Device-TLB invalidation throttling"),
  IHW_BIT ("pds", ECAP, "PDS", 42, "Page-request drain"),
  IHW_BIT ("sm", ECAP, "SMTS", 43, "Scalable-mode translation"),
  IHW_BIT ("vcs", ECAP, "VCS", 44, "Virtual command (deprecated)"),
  IHW_BIT ("slads", ECAP, "SLADS", 45, "Second-stage accessed/dirty bits"),
  IHW_BIT ("slts", ECAP, "SLTS", 46, "Second-stage translation"),
  IHW_BIT ("flts", ECAP, "FLTS", 47, "First-stage translation"),
  IHW_BIT ("smpwc", ECAP, "SMPWC", 48, "Scalable-mode page-walk coherency"),
  IHW_BIT ("rps", ECAP, "RPS", 49, "RID-PASID"),
  IHW_BIT ("pms", ECAP, "PMS", 51, "Performance monitoring"),
};

const IhwVendorDesc ihw_vendor_vtd = {
  .vendor = IHW_VENDOR_INTEL_VTD,
  .name = "intel-vtd",
  .title = "Intel VT-d",
  .short_title = "VT-d",
  .regs = vtd_regs,
  .n_regs = G_N_ELEMENTS (vtd_regs),
  .fields = vtd_fields,
  .n_fields = G_N_ELEMENTS (vtd_fields),

  .hw_info_type = IHW_HW_INFO_TYPE_INTEL_VTD,
  .hw_info_name = "intel-vtd",
  .hw_info_len = sizeof (struct iommu_hw_info_vtd),
  .hw_info_flags_offset = offsetof (struct iommu_hw_info_vtd, flags),

  .words = { "intel", "intel-vtd", "vtd" },
  .positional = { "cap", "ecap" },
  .n_required = 2,

  /* drivers/iommu/intel/iommu.c intel_iommu_groups: cap, ecap, version. */
  .sysfs_dir = "intel-iommu",
  .sysfs_files = { { "cap", { "cap" }, 64 }, { "ecap", { "ecap" }, 64 } },
  .sysfs_version_file = "version",

  /* 6.12 drivers/iommu/intel/iommu.c paging_domain_alloc (second stage,
   * what iommufd allocates): gaw = min(agaw_to_width(iommu->agaw),
   * cap_mgaw), agaw the widest SAGAW up to DEFAULT_DOMAIN_ADDRESS_WIDTH
   * (57); aperture_end = 2^gaw - 1.  (In scalable mode with first-stage
   * translation the kernel also intersects SAGAW with the first-stage
   * widths, 48 and, with FL5LP, 57; hardware offers those anyway.) */
  .aperture_fields = { "mgaw", "sagaw" },
  .aperture_max = 57,
};
