/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * NVIDIA Tegra241 CMDQV (the SMMUv3 command-queue virtualisation on Grace):
 * iommufd's hw_info type TEGRA241_CMDQV, struct iommu_hw_info_tegra241_cmdqv
 * in include/uapi/linux/iommufd.h.  Its three u8 fields sit in one
 * little-endian u32 after the flags, so they are one register here.
 */
#include "ihw-vendor.h"

#include <stddef.h>

#include "ihw-uapi.h"

enum { PARAMS };

static const IhwRegisterDef cmdqv_regs[] = {
  [PARAMS] = { "params", 32, offsetof (struct ihw_hw_info_tegra241_cmdqv, version) },
};

static const IhwFieldDef cmdqv_fields[] = {
  IHW_NUM ("version", PARAMS, "VERSION", 0, 8, 0, "CMDQV hardware version"),
  IHW_NUM ("log2vcmdqs", PARAMS, "LOG2VCMDQS", 8, 8, 0, "log2 of the virtual command queues per VM"),
  IHW_NUM ("log2vsids", PARAMS, "LOG2VSIDS", 16, 8, 0, "log2 of the virtual StreamIDs per VM"),
};

const IhwVendorDesc ihw_vendor_tegra241_cmdqv = {
  .vendor = IHW_VENDOR_TEGRA241_CMDQV,
  .name = "tegra241-cmdqv",
  .title = "NVIDIA Tegra241 CMDQV",
  .short_title = "CMDQV",
  .regs = cmdqv_regs,
  .n_regs = G_N_ELEMENTS (cmdqv_regs),
  .fields = cmdqv_fields,
  .n_fields = G_N_ELEMENTS (cmdqv_fields),

  .hw_info_type = IHW_HW_INFO_TYPE_TEGRA241_CMDQV,
  .hw_info_name = "tegra241-cmdqv",
  .hw_info_len = sizeof (struct ihw_hw_info_tegra241_cmdqv),
  .hw_info_flags_offset = offsetof (struct ihw_hw_info_tegra241_cmdqv, flags),

  .words = { "cmdqv", "tegra241-cmdqv" },
  .positional = { "params" },
  .n_required = 1,
  .label_prefix = "CMDQV_",

  /* The CMDQV sits on an SMMUv3 unit (smmu3.*, which the SMMUv3 descriptor
   * claims) and exports nothing in sysfs: only iommufd knows it. */
  .registers_need_iommufd = TRUE,
  .no_registers_reason = "no registers (Tegra241 CMDQV has none in sysfs; needs iommufd)",

  /* Mainline arm_smmu_hw_info() answers ARM_SMMUV3 by default and hands a
   * request for any other type to the implementation's hw_info
   * (tegra241_cmdqv_hw_info: only TEGRA241_CMDQV, else EOPNOTSUPP). */
  .addon_of_hw_info_type = IHW_HW_INFO_TYPE_ARM_SMMUV3,
  .device_fact = "cmdqv",
  .dbus_property = "Cmdqv",
};
