/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What nested translation needs, one row per requirement.
 *
 * Sources: the kernel's nest-parent conditions (6.12
 * drivers/iommu/intel/iommu.c: sm_supported && ecap_nest;
 * arm-smmu-v3: FEAT_NESTING = S1P && S2P, and S2FWB or a CANWBS master for
 * a nested domain; amd (6.19+): GT && GIOSup) and QEMU's vIOMMU models
 * (FACTS.md, "What QEMU checks").  Per-QEMU-version rows use qemu_min/max.
 */
#include "ihw-rules.h"

#include "ihw-uapi.h"

static const IhwRule rules[] = {
  /* --- intel: kernel nest parent needs scalable mode and NEST ----------- */
  { IHW_MODEL_INTEL, 0, 0, IHW_RULE_FIELD_EQ, "sm", 1, NULL,
    "the host IOMMU has no scalable mode (ecap.SMTS), which nesting is built on" },
  { IHW_MODEL_INTEL, 0, 0, IHW_RULE_FIELD_EQ, "nest", 1, NULL,
    "the host IOMMU does not support nested translation (ecap.NEST)" },
  { IHW_MODEL_INTEL, 0, 0, IHW_RULE_FIELD_EQ, "flts", 1, NULL,
    "the host IOMMU has no first-stage translation for the guest's page tables (ecap.FLTS)" },
  { IHW_MODEL_INTEL, 0, 0, IHW_RULE_FIELD_EQ, "slts", 1, NULL,
    "the host IOMMU has no second-stage translation for the host's page tables (ecap.SLTS)" },
  { IHW_MODEL_INTEL, 0, 0, IHW_RULE_FIELD_EQ, "cm", 0, NULL,
    "the host IOMMU is itself emulated (caching mode): this host is a VM, and an emulated "
    "VT-d never offers nesting" },
  { IHW_MODEL_INTEL, 0, 0, IHW_RULE_NOTE_IF_HW_FLAG, NULL, IHW_HW_INFO_VTD_ERRATA_772415_SPR17,
    "hw_info.ERRATA_772415_SPR17",
    "erratum 772415 (SPR17): read-only mappings are not allowed on the nest parent" },
  { IHW_MODEL_INTEL, 0, 0, IHW_RULE_KERNEL_NEST_PARENT, NULL, 0, "kernel.NEST_PARENT",
    "the kernel refused a nest-parent page table for this device (IOMMU_HWPT_ALLOC_NEST_PARENT)" },

  /* --- smmuv3: both stages, and FWB or coherent masters ------------------ */
  { IHW_MODEL_SMMUV3, 0, 0, IHW_RULE_FIELD_EQ, "s1p", 1, NULL,
    "the host SMMU has no stage-1 translation (IDR0.S1P)" },
  { IHW_MODEL_SMMUV3, 0, 0, IHW_RULE_FIELD_EQ, "s2p", 1, NULL,
    "the host SMMU has no stage-2 translation (IDR0.S2P)" },
  { IHW_MODEL_SMMUV3, 0, 0, IHW_RULE_NOTE_UNLESS_FIELD, "fwb", 1, NULL,
    "IDR3.FWB is 0: the kernel nests only devices that firmware marks coherent (IORT CANWBS)" },
  { IHW_MODEL_SMMUV3, 0, 0, IHW_RULE_KERNEL_NEST_PARENT, NULL, 0, "kernel.NEST_PARENT",
    "the kernel refused a nest-parent page table for this device (IOMMU_HWPT_ALLOC_NEST_PARENT)" },

  /* --- amd: guest translation and guest I/O protection ------------------- */
  { IHW_MODEL_AMD, 0, 0, IHW_RULE_FIELD_EQ, "gt", 1, NULL,
    "the host IOMMU has no guest translation (EFR.GTSup)" },
  { IHW_MODEL_AMD, 0, 0, IHW_RULE_FIELD_EQ, "gio", 1, NULL,
    "the host IOMMU has no guest I/O protection (EFR.GIOSup)" },
  { IHW_MODEL_AMD, 0, 0, IHW_RULE_KERNEL_NEST_PARENT, NULL, 0, "kernel.NEST_PARENT",
    "the kernel refused a nest-parent page table for this device (IOMMU_HWPT_ALLOC_NEST_PARENT)" },

  /* --- virtio: no nested mode in any QEMU -------------------------------- */
  { IHW_MODEL_VIRTIO, 0, 0, IHW_RULE_MODEL_NEVER, NULL, 0, "model.virtio",
    "virtio-iommu has no nested (hardware stage-1) mode in any QEMU version" },
};

const IhwRule *
ihw_rules (guint *n_rules)
{
  *n_rules = G_N_ELEMENTS (rules);
  return rules;
}
