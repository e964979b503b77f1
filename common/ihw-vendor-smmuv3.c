/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ARM SMMUv3 ID registers IDR0..IDR5 (and IIDR/AIDR from iommufd).
 * Bit positions follow drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h and the
 * SMMUv3 architecture specification (IHI 0070), section 6.3.
 */
#include "ihw-vendor.h"

#include <stddef.h>

#include "ihw-uapi.h"

enum { IDR0, IDR1, IDR2, IDR3, IDR4, IDR5, IIDR, AIDR };

static const IhwRegisterDef smmuv3_regs[] = {
#define IDR(i) offsetof (struct ihw_hw_info_arm_smmuv3, idr) + 4 * (i)
  [IDR0] = { "idr0", 32, IDR (0) }, [IDR1] = { "idr1", 32, IDR (1) }, [IDR2] = { "idr2", 32, IDR (2) },
  [IDR3] = { "idr3", 32, IDR (3) }, [IDR4] = { "idr4", 32, IDR (4) }, [IDR5] = { "idr5", 32, IDR (5) },
  [IIDR] = { "iidr", 32, offsetof (struct ihw_hw_info_arm_smmuv3, iidr) },
  [AIDR] = { "aidr", 32, offsetof (struct ihw_hw_info_arm_smmuv3, aidr) },
#undef IDR
};


static const IhwFieldDef smmuv3_fields[] = {
  IHW_BIT ("s2p", IDR0, "S2P", 0, "Stage-2 translation"),
  IHW_BIT ("s1p", IDR0, "S1P", 1, "Stage-1 translation"),
  { .key = "ttf", .reg = IDR0, .mnemonic = "TTF", .lo = 2, .width = 2, .kind = IHW_FIELD_ENUM,
    .names = { "reserved", "aarch32", "aarch64", "aarch32+aarch64" }, .n_map = 4,
    .description = "Translation table formats" },
  IHW_BIT ("cohacc", IDR0, "COHACC", 4, "Coherent access (IO-coherent table walks)"),
  IHW_BIT ("btm", IDR0, "BTM", 5, "Broadcast TLB maintenance"),
  IHW_NUM ("httu", IDR0, "HTTU", 6, 2, 0, "Hardware table update (1: access flag, 2: +dirty)"),
  IHW_BIT ("dormhint", IDR0, "DORMHINT", 8, "Dormant hint"),
  IHW_BIT ("hyp", IDR0, "Hyp", 9, "Hypervisor stage-1 contexts"),
  IHW_BIT ("ats", IDR0, "ATS", 10, "PCIe ATS"),
  IHW_BIT ("ns1ats", IDR0, "NS1ATS", 11, "Split-stage ATS not supported"),
  IHW_BIT ("asid16", IDR0, "ASID16", 12, "16-bit ASIDs"),
  IHW_BIT ("msi", IDR0, "MSI", 13, "MSI interrupts"),
  IHW_BIT ("sev", IDR0, "SEV", 14, "WFE wake-up events"),
  IHW_BIT ("atos", IDR0, "ATOS", 15, "Address translation operations"),
  IHW_BIT ("pri", IDR0, "PRI", 16, "PCIe page requests"),
  IHW_BIT ("vmw", IDR0, "VMW", 17, "VMID wildcard matching"),
  IHW_BIT ("vmid16", IDR0, "VMID16", 18, "16-bit VMIDs"),
  IHW_BIT ("cd2l", IDR0, "CD2L", 19, "2-level context descriptor tables"),
  IHW_BIT ("vatos", IDR0, "VATOS", 20, "Virtual ATOS page"),
  { .key = "ttendian", .reg = IDR0, .mnemonic = "TTENDIAN", .lo = 21, .width = 2, .kind = IHW_FIELD_ENUM,
    .names = { "mixed", "reserved", "little", "big" }, .n_map = 4,
    .description = "Table endianness" },
  IHW_NUM ("stall_model", IDR0, "STALL_MODEL", 24, 2, 0, "Stall model (0: stall+terminate, 1: terminate, 2: stall forced)"),
  IHW_BIT ("term_model", IDR0, "TERM_MODEL", 26, "Terminate model"),
  { .key = "st_level", .reg = IDR0, .mnemonic = "ST_LEVEL", .lo = 27, .width = 2, .kind = IHW_FIELD_ENUM,
    .names = { "linear", "2-level", "reserved", "reserved" }, .n_map = 4,
    .description = "Stream table format" },
  IHW_NUM ("sidsize", IDR1, "SIDSIZE", 0, 6, 0, "StreamID bits"),
  IHW_NUM ("ssidsize", IDR1, "SSIDSIZE", 6, 5, 0, "SubstreamID (PASID) bits"),
  IHW_NUM ("priqs", IDR1, "PRIQS", 11, 5, 0, "log2 PRI queue entries"),
  IHW_NUM ("eventqs", IDR1, "EVENTQS", 16, 5, 0, "log2 event queue entries"),
  IHW_NUM ("cmdqs", IDR1, "CMDQS", 21, 5, 0, "log2 command queue entries"),
  IHW_BIT ("attr_perms_ovr", IDR1, "ATTR_PERMS_OVR", 26, "Incoming permission override"),
  IHW_BIT ("attr_types_ovr", IDR1, "ATTR_TYPES_OVR", 27, "Incoming attribute override"),
  IHW_BIT ("rel", IDR1, "REL", 28, "Relative table base addresses"),
  IHW_BIT ("queues_preset", IDR1, "QUEUES_PRESET", 29, "Fixed queue base addresses"),
  IHW_BIT ("tables_preset", IDR1, "TABLES_PRESET", 30, "Fixed table base addresses"),
  IHW_BIT ("ecmdq", IDR1, "ECMDQ", 31, "Enhanced command queues"),
  IHW_NUM ("ba_vatos", IDR2, "BA_VATOS", 0, 10, 0, "VATOS page base"),
  IHW_BIT ("had", IDR3, "HAD", 2, "Hierarchical attribute disable"),
  IHW_BIT ("pbha", IDR3, "PBHA", 3, "Page-based hardware attributes"),
  IHW_BIT ("xnx", IDR3, "XNX", 4, "EL0/EL1 execute-never distinction"),
  IHW_BIT ("pps", IDR3, "PPS", 5, "PRI response PASID"),
  IHW_BIT ("mpam", IDR3, "MPAM", 7, "Memory partitioning and monitoring"),
  IHW_BIT ("fwb", IDR3, "FWB", 8, "Stage-2 forced write-back"),
  IHW_BIT ("stt", IDR3, "STT", 9, "Small translation tables"),
  IHW_BIT ("ril", IDR3, "RIL", 10, "Range invalidation"),
  IHW_NUM ("bbml", IDR3, "BBML", 11, 2, 0, "Break-before-make level"),
  IHW_BIT ("e0pd", IDR3, "E0PD", 13, "E0PD"),
  IHW_BIT ("ptwnnc", IDR3, "PTWNNC", 14, "Page-table walks non-coherent"),
  IHW_BIT ("dpt", IDR3, "DPT", 15, "Device permission tables"),
  { .key = "oas", .reg = IDR5, .mnemonic = "OAS", .lo = 0, .width = 3, .kind = IHW_FIELD_MAP,
    .map = { 32, 36, 40, 42, 44, 48, 52, 56 }, .n_map = 8, .description = "Output address size (bits)" },
  IHW_BIT ("gran4k", IDR5, "GRAN4K", 4, "4KiB granule"),
  IHW_BIT ("gran16k", IDR5, "GRAN16K", 5, "16KiB granule"),
  IHW_BIT ("gran64k", IDR5, "GRAN64K", 6, "64KiB granule"),
  IHW_NUM ("vax", IDR5, "VAX", 10, 2, 0, "Virtual address extension (0: 48, 1: 52 bits)"),
  IHW_NUM ("stall_max", IDR5, "STALL_MAX", 16, 16, 0, "Maximum outstanding stalls"),
};

const IhwVendorDesc ihw_vendor_smmuv3 = {
  .vendor = IHW_VENDOR_ARM_SMMUV3,
  .name = "arm-smmuv3",
  .title = "ARM SMMUv3",
  .short_title = "SMMUv3",
  .regs = smmuv3_regs,
  .n_regs = G_N_ELEMENTS (smmuv3_regs),
  .fields = smmuv3_fields,
  .n_fields = G_N_ELEMENTS (smmuv3_fields),

  .hw_info_type = IHW_HW_INFO_TYPE_ARM_SMMUV3,
  .hw_info_name = "arm-smmuv3",
  .hw_info_len = sizeof (struct ihw_hw_info_arm_smmuv3),
  .hw_info_flags_offset = offsetof (struct ihw_hw_info_arm_smmuv3, flags),

  .words = { "smmuv3", "arm-smmuv3" },
  .positional = { "idr0", "idr1", "idr3", "idr5" },
  .n_required = 4,
  .label_prefix = "SMMU_",

  /* The driver exports no register files; its units are named
   * "smmu3.0x<base>" (arm-smmu-v3.c iommu_device_sysfs_add). */
  .sysfs_unit_prefix = "smmu3.",
  .registers_need_iommufd = TRUE,
  .no_registers_reason = "no registers (SMMUv3 has none in sysfs; needs iommufd)",
};
