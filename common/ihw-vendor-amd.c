/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AMD-Vi Extended Feature Register (EFR, MMIO 0x30) and EFR2 (MMIO 0x1a0).
 * Bit positions follow drivers/iommu/amd/amd_iommu_types.h and the AMD I/O
 * Virtualization Technology specification (48882), section 3.4.
 * Multi-bit fields are shown raw, as the register holds them; derived widths
 * (guest_levels, pasid_bits, ...) are separate keys.
 */
#include "ihw-vendor.h"

#include <stddef.h>

#include "ihw-uapi.h"

enum { EFR, EFR2 };

static const IhwRegisterDef amd_regs[] = {
  [EFR] = { "efr", 64, offsetof (struct ihw_hw_info_amd, efr) },
  [EFR2] = { "efr2", 64, offsetof (struct ihw_hw_info_amd, efr2) },
};


static const IhwFieldDef amd_fields[] = {
  IHW_BIT ("pref", EFR, "PreFSup", 0, "Prefetch"),
  IHW_BIT ("ppr", EFR, "PPRSup", 1, "Peripheral page requests"),
  IHW_BIT ("xt", EFR, "XTSup", 2, "x2APIC interrupt remapping"),
  IHW_BIT ("nx", EFR, "NXSup", 3, "No-execute protection"),
  IHW_BIT ("gt", EFR, "GTSup", 4, "Guest translation"),
  IHW_BIT ("ia", EFR, "IASup", 6, "Invalidate-all command"),
  IHW_BIT ("ga", EFR, "GASup", 7, "Guest virtual APIC"),
  IHW_BIT ("he", EFR, "HESup", 8, "Hardware error registers"),
  IHW_BIT ("pc", EFR, "PCSup", 9, "Performance counters"),
  IHW_NUM ("hats", EFR, "HATS", 10, 2, 0, "Host address translation size (0: 4, 1: 5, 2: 6 levels)"),
  IHW_NUM ("gats", EFR, "GATS", 12, 2, 0, "Guest address translation size (0: 4, 1: 5 levels)"),
  IHW_NUM ("glx", EFR, "GLXSup", 14, 2, 0, "Guest CR3 table levels (0: 1 level, 1: 2 levels)"),
  IHW_NUM ("smif", EFR, "SmiFSup", 16, 2, 0, "SMI filter"),
  IHW_NUM ("smifrc", EFR, "SmiFRC", 18, 3, 0, "SMI filter register count"),
  IHW_NUM ("gam", EFR, "GAMSup", 21, 3, 0, "Guest APIC modes"),
  IHW_NUM ("dual_ppr_log", EFR, "DualPprLogSup", 24, 2, 0, "Dual PPR log"),
  IHW_NUM ("dual_event_log", EFR, "DualEventLogSup", 28, 2, 0, "Dual event log"),
  IHW_NUM ("pasmax", EFR, "PASmax", 32, 5, 0, "Maximum PASID width - 1"),
  { .key = "pasid_bits", .reg = EFR, .mnemonic = "PASmax", .lo = 32, .width = 5, .kind = IHW_FIELD_UINT,
    .offset = 1, .only_if = "gt", .description = "PASID width (bits; 0 without GT)" },
  IHW_BIT ("us", EFR, "USSup", 38, "User/supervisor page protection"),
  IHW_NUM ("dev_tbl_seg", EFR, "DevTblSegSup", 39, 2, 0, "Device table segmentation"),
  IHW_BIT ("ppr_ovf_early", EFR, "PprOvrflwEarlySup", 41, "PPR log overflow early warning"),
  IHW_BIT ("ppr_auto_rsp", EFR, "PPRAutoRspSup", 42, "PPR automatic response"),
  IHW_NUM ("marc", EFR, "MarcSup", 43, 2, 0, "Memory access routing and control"),
  IHW_BIT ("blk_stop_mrk", EFR, "BlkStopMrkSup", 45, "Block StopMark message"),
  IHW_BIT ("perf_opt", EFR, "PerfOptSup", 46, "Performance optimization"),
  IHW_BIT ("msi_cap_mmio", EFR, "MsiCapMmioSup", 47, "MSI capability MMIO access"),
  IHW_BIT ("gio", EFR, "GIOSup", 48, "Guest I/O protection"),
  IHW_BIT ("ha", EFR, "HASup", 49, "Host access bit"),
  IHW_BIT ("eph", EFR, "EPHSup", 50, "Enhanced PPR handling"),
  IHW_BIT ("attr_fw", EFR, "AttrFWSup", 51, "Attribute forward"),
  IHW_BIT ("hd", EFR, "HDSup", 52, "Host dirty bit (dirty tracking)"),
  IHW_BIT ("inv_iotlb_type", EFR, "InvIotlbTypeSup", 54, "Invalidate IOTLB type"),
  IHW_BIT ("snp", EFR, "SNPSup", 63, "SEV-SNP"),
  IHW_BIT ("sev_snp_io", EFR2, "SEVSNPIOSup", 1, "SEV-SNP I/O"),
  IHW_BIT ("gcr3trp", EFR2, "GCR3TRPMode", 3, "Guest CR3 table root pointer mode (GPA in DTE)"),
  IHW_NUM ("snp_avic", EFR2, "SNPAVICSup", 5, 3, 0, "SNP AVIC support"),
  IHW_NUM ("num_int_remap", EFR2, "NumIntRemapSup", 8, 2, 0, "Interrupt remapping table size"),
  IHW_BIT ("ht_range_ignore", EFR2, "HTRangeIgnore", 11, "HyperTransport range ignored"),
};

const IhwVendorDesc ihw_vendor_amd = {
  .vendor = IHW_VENDOR_AMD_VI,
  .name = "amd-vi",
  .title = "AMD-Vi",
  .short_title = "AMD-Vi",
  .regs = amd_regs,
  .n_regs = G_N_ELEMENTS (amd_regs),
  .fields = amd_fields,
  .n_fields = G_N_ELEMENTS (amd_fields),

  .hw_info_type = IHW_HW_INFO_TYPE_AMD,
  .hw_info_name = "amd",
  .hw_info_len = sizeof (struct ihw_hw_info_amd),
  .hw_info_flags_offset = -1,

  .words = { "amd", "amd-vi" },
  .positional = { "efr", "efr2" },
  .n_required = 1,
  /* dmesg: "AMD-Vi: Extended features (0xEFR, 0xEFR2): PPR NX GT ..." */
  .paste_open = "features (",
  .paste_title = "Extended features",

  /* drivers/iommu/amd/init.c amd_iommu_groups: cap (the PCI capability
   * header, nothing to decode) and features ("efr:efr2" since 6.9ish,
   * "efr" before). */
  .sysfs_dir = "amd-iommu",
  .sysfs_files = { { "cap", { NULL }, 32, TRUE }, { "features", { "efr", "efr2" }, 64 } },
};
