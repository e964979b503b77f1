/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AMD-Vi Extended Feature Register (EFR, MMIO 0x30) and EFR2 (MMIO 0x1a0).
 * Bit positions follow drivers/iommu/amd/amd_iommu_types.h and the AMD I/O
 * Virtualization Technology specification (48882), section 3.4.
 * Multi-bit fields are shown raw, as the register holds them; derived widths
 * (guest_levels, pasid_bits, ...) are separate keys.
 */
#include "ihw-decode.h"

enum { EFR, EFR2 };

static const IhwRegisterDef amd_regs[] = {
  [EFR] = { "efr", 64 },
  [EFR2] = { "efr2", 64 },
};

#define B(k, r, m, bit, d) { .key = k, .reg = r, .mnemonic = m, .lo = bit, .width = 1, .kind = IHW_FIELD_BOOL, .description = d }
#define U(k, r, m, lo_, w, off, d) { .key = k, .reg = r, .mnemonic = m, .lo = lo_, .width = w, .kind = IHW_FIELD_UINT, .offset = off, .description = d }

static const IhwFieldDef amd_fields[] = {
  B ("pref", EFR, "PreFSup", 0, "Prefetch"),
  B ("ppr", EFR, "PPRSup", 1, "Peripheral page requests"),
  B ("xt", EFR, "XTSup", 2, "x2APIC interrupt remapping"),
  B ("nx", EFR, "NXSup", 3, "No-execute protection"),
  B ("gt", EFR, "GTSup", 4, "Guest translation"),
  B ("ia", EFR, "IASup", 6, "Invalidate-all command"),
  B ("ga", EFR, "GASup", 7, "Guest virtual APIC"),
  B ("he", EFR, "HESup", 8, "Hardware error registers"),
  B ("pc", EFR, "PCSup", 9, "Performance counters"),
  U ("hats", EFR, "HATS", 10, 2, 0, "Host address translation size (0: 4, 1: 5, 2: 6 levels)"),
  U ("gats", EFR, "GATS", 12, 2, 0, "Guest address translation size (0: 4, 1: 5 levels)"),
  U ("glx", EFR, "GLXSup", 14, 2, 0, "Guest CR3 table levels (0: 1 level, 1: 2 levels)"),
  U ("smif", EFR, "SmiFSup", 16, 2, 0, "SMI filter"),
  U ("smifrc", EFR, "SmiFRC", 18, 3, 0, "SMI filter register count"),
  U ("gam", EFR, "GAMSup", 21, 3, 0, "Guest APIC modes"),
  U ("dual_ppr_log", EFR, "DualPprLogSup", 24, 2, 0, "Dual PPR log"),
  U ("dual_event_log", EFR, "DualEventLogSup", 28, 2, 0, "Dual event log"),
  U ("pasmax", EFR, "PASmax", 32, 5, 0, "Maximum PASID width - 1"),
  { .key = "pasid_bits", .reg = EFR, .mnemonic = "PASmax", .lo = 32, .width = 5, .kind = IHW_FIELD_UINT,
    .offset = 1, .only_if = "gt", .description = "PASID width (bits; 0 without GT)" },
  B ("us", EFR, "USSup", 38, "User/supervisor page protection"),
  U ("dev_tbl_seg", EFR, "DevTblSegSup", 39, 2, 0, "Device table segmentation"),
  B ("ppr_ovf_early", EFR, "PprOvrflwEarlySup", 41, "PPR log overflow early warning"),
  B ("ppr_auto_rsp", EFR, "PPRAutoRspSup", 42, "PPR automatic response"),
  U ("marc", EFR, "MarcSup", 43, 2, 0, "Memory access routing and control"),
  B ("blk_stop_mrk", EFR, "BlkStopMrkSup", 45, "Block StopMark message"),
  B ("perf_opt", EFR, "PerfOptSup", 46, "Performance optimization"),
  B ("msi_cap_mmio", EFR, "MsiCapMmioSup", 47, "MSI capability MMIO access"),
  B ("gio", EFR, "GIOSup", 48, "Guest I/O protection"),
  B ("ha", EFR, "HASup", 49, "Host access bit"),
  B ("eph", EFR, "EPHSup", 50, "Enhanced PPR handling"),
  B ("attr_fw", EFR, "AttrFWSup", 51, "Attribute forward"),
  B ("hd", EFR, "HDSup", 52, "Host dirty bit (dirty tracking)"),
  B ("inv_iotlb_type", EFR, "InvIotlbTypeSup", 54, "Invalidate IOTLB type"),
  B ("snp", EFR, "SNPSup", 63, "SEV-SNP"),
  B ("sev_snp_io", EFR2, "SEVSNPIOSup", 1, "SEV-SNP I/O"),
  B ("gcr3trp", EFR2, "GCR3TRPMode", 3, "Guest CR3 table root pointer mode (GPA in DTE)"),
  U ("snp_avic", EFR2, "SNPAVICSup", 5, 3, 0, "SNP AVIC support"),
  U ("num_int_remap", EFR2, "NumIntRemapSup", 8, 2, 0, "Interrupt remapping table size"),
  B ("ht_range_ignore", EFR2, "HTRangeIgnore", 11, "HyperTransport range ignored"),
};

const IhwVendorDesc ihw_amd_desc = {
  .vendor = IHW_VENDOR_AMD_VI,
  .name = "amd-vi",
  .title = "AMD-Vi",
  .regs = amd_regs,
  .n_regs = G_N_ELEMENTS (amd_regs),
  .fields = amd_fields,
  .n_fields = G_N_ELEMENTS (amd_fields),
};
