/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Intel VT-d capability (cap) and extended capability (ecap) registers.
 * Bit positions follow drivers/iommu/intel/iommu.h (6.12) and the VT-d
 * specification, rev. 4.x, sections 11.4.2 and 11.4.3.
 */
#include "ihw-decode.h"

enum { CAP, ECAP };

static const IhwRegisterDef vtd_regs[] = {
  [CAP] = { "cap", 64 },
  [ECAP] = { "ecap", 64 },
};

#define B(k, r, m, bit, d) { .key = k, .reg = r, .mnemonic = m, .lo = bit, .width = 1, .kind = IHW_FIELD_BOOL, .description = d }
#define U(k, r, m, lo_, w, off, d) { .key = k, .reg = r, .mnemonic = m, .lo = lo_, .width = w, .kind = IHW_FIELD_UINT, .offset = off, .description = d }

static const IhwFieldDef vtd_fields[] = {
  /* cap */
  U ("nd", CAP, "ND", 0, 3, 0, "Number of domain-ids (2^(4+2*ND))"),
  B ("afl", CAP, "AFL", 3, "Advanced fault logging"),
  B ("rwbf", CAP, "RWBF", 4, "Required write-buffer flushing"),
  B ("plmr", CAP, "PLMR", 5, "Protected low-memory region"),
  B ("phmr", CAP, "PHMR", 6, "Protected high-memory region"),
  B ("cm", CAP, "CM", 7, "Caching mode (set by emulated IOMMUs: the host is a guest)"),
  { .key = "sagaw", .reg = CAP, .mnemonic = "SAGAW", .lo = 8, .width = 5, .kind = IHW_FIELD_BITLIST,
    .map = { 30, 39, 48, 57, 64 }, .n_map = 5, .description = "Second-stage address widths (bits)" },
  U ("mgaw", CAP, "MGAW", 16, 6, 1, "Maximum guest address width (bits)"),
  B ("zlr", CAP, "ZLR", 22, "Zero-length read"),
  B ("isoch", CAP, "ISOCH", 23, "Isochrony (DRD in older specs)"),
  U ("fro", CAP, "FRO", 24, 10, 0, "Fault-recording register offset (x16 bytes)"),
  U ("sllps", CAP, "SLLPS", 34, 4, 0, "Second-stage large pages (bit0 2MiB, bit1 1GiB)"),
  B ("psi", CAP, "PSI", 39, "Page-selective invalidation"),
  U ("nfr", CAP, "NFR", 40, 8, 1, "Number of fault-recording registers"),
  U ("mamv", CAP, "MAMV", 48, 6, 0, "Maximum address mask value"),
  B ("dwd", CAP, "DWD", 54, "Write draining"),
  B ("drd", CAP, "DRD", 55, "Read draining"),
  B ("fl1gp", CAP, "FL1GP", 56, "First-stage 1GiB pages"),
  B ("pi", CAP, "PI", 59, "Posted interrupts"),
  B ("fl5lp", CAP, "FL5LP", 60, "First-stage 5-level paging"),
  B ("ecmds", CAP, "ECMDS", 61, "Enhanced command support"),
  B ("esirtps", CAP, "ESIRTPS", 62, "Enhanced set interrupt root table pointer"),
  B ("esrtps", CAP, "ESRTPS", 63, "Enhanced set root table pointer"),
  /* ecap */
  B ("c", ECAP, "C", 0, "Page-walk coherency"),
  B ("qi", ECAP, "QI", 1, "Queued invalidation"),
  B ("dt", ECAP, "DT", 2, "Device-TLB (ATS)"),
  B ("ir", ECAP, "IR", 3, "Interrupt remapping"),
  B ("eim", ECAP, "EIM", 4, "Extended interrupt mode (x2APIC)"),
  B ("pt", ECAP, "PT", 6, "Pass-through"),
  B ("sc", ECAP, "SC", 7, "Snoop control"),
  U ("iro", ECAP, "IRO", 8, 10, 0, "IOTLB register offset (x16 bytes)"),
  U ("mhmv", ECAP, "MHMV", 20, 4, 0, "Maximum handle mask value"),
  B ("ecs", ECAP, "ECS", 24, "Extended context (deprecated)"),
  B ("mts", ECAP, "MTS", 25, "Memory type support"),
  B ("nest", ECAP, "NEST", 26, "Nested translation"),
  B ("dis", ECAP, "DIS", 27, "Deferred invalidate (deprecated)"),
  B ("pasid_legacy", ECAP, "PASID(28)", 28, "PASID in extended-context mode (deprecated)"),
  B ("prs", ECAP, "PRS", 29, "Page requests"),
  B ("pri", ECAP, "PRS", 29, "Page requests (PRI)"),
  B ("ers", ECAP, "ERS", 30, "Execute requests"),
  B ("srs", ECAP, "SRS", 31, "Supervisor requests"),
  B ("nwfs", ECAP, "NWFS", 33, "No write flag"),
  B ("eafs", ECAP, "EAFS", 34, "Extended accessed flag"),
  { .key = "pasid_bits", .reg = ECAP, .mnemonic = "PSS", .lo = 35, .width = 5, .kind = IHW_FIELD_UINT,
    .offset = 1, .only_if = "pasid", .description = "PASID width (bits; 0 without PASID)" },
  B ("pasid", ECAP, "PASID", 40, "Process address space IDs"),
  B ("dit", ECAP, "DIT", 41, "Device-TLB invalidation throttling"),
  B ("pds", ECAP, "PDS", 42, "Page-request drain"),
  B ("sm", ECAP, "SMTS", 43, "Scalable-mode translation"),
  B ("vcs", ECAP, "VCS", 44, "Virtual command (deprecated)"),
  B ("slads", ECAP, "SLADS", 45, "Second-stage accessed/dirty bits"),
  B ("slts", ECAP, "SLTS", 46, "Second-stage translation"),
  B ("flts", ECAP, "FLTS", 47, "First-stage translation"),
  B ("smpwc", ECAP, "SMPWC", 48, "Scalable-mode page-walk coherency"),
  B ("rps", ECAP, "RPS", 49, "RID-PASID"),
  B ("pms", ECAP, "PMS", 51, "Performance monitoring"),
};

const IhwVendorDesc ihw_vtd_desc = {
  .vendor = IHW_VENDOR_INTEL_VTD,
  .name = "intel-vtd",
  .title = "Intel VT-d",
  .regs = vtd_regs,
  .n_regs = G_N_ELEMENTS (vtd_regs),
  .fields = vtd_fields,
  .n_fields = G_N_ELEMENTS (vtd_fields),
};
