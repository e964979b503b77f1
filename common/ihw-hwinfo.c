/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-hwinfo.h"

#include <string.h>

#include "ihw-error.h"
#include "ihw-uapi.h"

typedef struct {
  guint32 type;
  const char *name;
  IhwVendor vendor;
  guint32 struct_len;
} HwInfoTypeDesc;

static const HwInfoTypeDesc hw_info_types[] = {
  { IHW_HW_INFO_TYPE_NONE, "none", IHW_VENDOR_UNKNOWN, 0 },
  { IHW_HW_INFO_TYPE_INTEL_VTD, "intel-vtd", IHW_VENDOR_INTEL_VTD, sizeof (struct iommu_hw_info_vtd) },
  { IHW_HW_INFO_TYPE_ARM_SMMUV3, "arm-smmuv3", IHW_VENDOR_ARM_SMMUV3, sizeof (struct ihw_hw_info_arm_smmuv3) },
  { IHW_HW_INFO_TYPE_TEGRA241_CMDQV, "tegra241-cmdqv", IHW_VENDOR_UNKNOWN, sizeof (struct ihw_hw_info_tegra241_cmdqv) },
  { IHW_HW_INFO_TYPE_AMD, "amd", IHW_VENDOR_AMD_VI, sizeof (struct ihw_hw_info_amd) },
};

static const HwInfoTypeDesc *
find_type (guint32 type)
{
  for (guint i = 0; i < G_N_ELEMENTS (hw_info_types); i++)
    if (hw_info_types[i].type == type)
      return &hw_info_types[i];
  return NULL;
}

const char *
ihw_hw_info_type_name (guint32 type)
{
  const HwInfoTypeDesc *t = find_type (type);
  return t ? t->name : NULL;
}

char *
ihw_hw_info_type_describe (guint32 type)
{
  const char *n = ihw_hw_info_type_name (type);
  return n ? g_strdup (n) : g_strdup_printf ("unknown type %u", type);
}

/* Little-endian readers: the kernel writes host-endian structs, and every
 * host this targets is little-endian; reading bytewise keeps it alignment-safe. */
static guint32
rd32 (const guint8 *p)
{
  guint32 v;
  memcpy (&v, p, sizeof v);
  return GUINT32_FROM_LE (v);
}

static guint64
rd64 (const guint8 *p)
{
  guint64 v;
  memcpy (&v, p, sizeof v);
  return GUINT64_FROM_LE (v);
}

gboolean
ihw_hw_info_parse (guint32 type, const guint8 *data, gsize avail, guint32 data_len,
                   IhwHwInfo *out, GError **error)
{
  const HwInfoTypeDesc *t = find_type (type);
  gsize usable = MIN (avail, (gsize) data_len);
  IhwHwInfo h = { 0 };

  h.type = type;
  h.data_len = data_len;
  if (usable > 0 && !data)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "hw_info: %zu bytes claimed but no buffer", usable);
      return FALSE;
    }
  if (!t)
    {
      /* A type newer than this build: not an error, just nothing to decode. */
      *out = h;
      return TRUE;
    }
  h.type_known = TRUE;
  h.struct_len = t->struct_len;
  if (usable < t->struct_len)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA,
                   "hw_info type %s: %zu bytes of data (kernel reported %u), the structure needs %u",
                   t->name, usable, data_len, t->struct_len);
      return FALSE;
    }
  h.ignored_len = data_len > t->struct_len ? data_len - t->struct_len : 0;
  ihw_features_init (&h.features, t->vendor);

  switch (type)
    {
    case IHW_HW_INFO_TYPE_INTEL_VTD:
      h.features.hw_info_flags = rd32 (data + offsetof (struct iommu_hw_info_vtd, flags));
      h.features.has_hw_info_flags = TRUE;
      ihw_features_set_reg (&h.features, "cap", rd64 (data + offsetof (struct iommu_hw_info_vtd, cap_reg)));
      ihw_features_set_reg (&h.features, "ecap", rd64 (data + offsetof (struct iommu_hw_info_vtd, ecap_reg)));
      break;
    case IHW_HW_INFO_TYPE_ARM_SMMUV3:
      {
        static const char *const names[] = { "idr0", "idr1", "idr2", "idr3", "idr4", "idr5" };
        h.features.hw_info_flags = rd32 (data + offsetof (struct ihw_hw_info_arm_smmuv3, flags));
        h.features.has_hw_info_flags = TRUE;
        for (guint i = 0; i < 6; i++)
          ihw_features_set_reg (&h.features, names[i],
                                rd32 (data + offsetof (struct ihw_hw_info_arm_smmuv3, idr) + 4 * i));
        ihw_features_set_reg (&h.features, "iidr", rd32 (data + offsetof (struct ihw_hw_info_arm_smmuv3, iidr)));
        ihw_features_set_reg (&h.features, "aidr", rd32 (data + offsetof (struct ihw_hw_info_arm_smmuv3, aidr)));
        break;
      }
    case IHW_HW_INFO_TYPE_TEGRA241_CMDQV:
      h.cmdqv_version = data[offsetof (struct ihw_hw_info_tegra241_cmdqv, version)];
      h.cmdqv_log2vcmdqs = data[offsetof (struct ihw_hw_info_tegra241_cmdqv, log2vcmdqs)];
      h.cmdqv_log2vsids = data[offsetof (struct ihw_hw_info_tegra241_cmdqv, log2vsids)];
      break;
    case IHW_HW_INFO_TYPE_AMD:
      ihw_features_set_reg (&h.features, "efr", rd64 (data + offsetof (struct ihw_hw_info_amd, efr)));
      ihw_features_set_reg (&h.features, "efr2", rd64 (data + offsetof (struct ihw_hw_info_amd, efr2)));
      break;
    default:
      break;
    }
  *out = h;
  return TRUE;
}

static void
wr32 (guint8 *p, guint32 v)
{
  v = GUINT32_TO_LE (v);
  memcpy (p, &v, sizeof v);
}

static void
wr64 (guint8 *p, guint64 v)
{
  v = GUINT64_TO_LE (v);
  memcpy (p, &v, sizeof v);
}

static guint64
reg_or_zero (const IhwFeatures *f, const char *name)
{
  int i = ihw_features_reg_index (f, name);
  return i >= 0 && ihw_features_has_reg (f, (guint) i) ? f->regs[i] : 0;
}

GBytes *
ihw_hw_info_build (const IhwFeatures *f, guint32 flags, guint32 *type_out)
{
  guint8 buf[IHW_HW_INFO_BUF_SIZE] = { 0 };
  gsize len;
  guint32 type;

  if (!f->desc)
    return NULL;
  switch (f->desc->vendor)
    {
    case IHW_VENDOR_INTEL_VTD:
      type = IHW_HW_INFO_TYPE_INTEL_VTD;
      len = sizeof (struct iommu_hw_info_vtd);
      wr32 (buf, flags);
      wr64 (buf + offsetof (struct iommu_hw_info_vtd, cap_reg), reg_or_zero (f, "cap"));
      wr64 (buf + offsetof (struct iommu_hw_info_vtd, ecap_reg), reg_or_zero (f, "ecap"));
      break;
    case IHW_VENDOR_ARM_SMMUV3:
      {
        static const char *const names[] = { "idr0", "idr1", "idr2", "idr3", "idr4", "idr5", "iidr", "aidr" };
        type = IHW_HW_INFO_TYPE_ARM_SMMUV3;
        len = sizeof (struct ihw_hw_info_arm_smmuv3);
        wr32 (buf, flags);
        for (guint i = 0; i < G_N_ELEMENTS (names); i++)
          wr32 (buf + offsetof (struct ihw_hw_info_arm_smmuv3, idr) + 4 * i, (guint32) reg_or_zero (f, names[i]));
        break;
      }
    case IHW_VENDOR_AMD_VI:
      type = IHW_HW_INFO_TYPE_AMD;
      len = sizeof (struct ihw_hw_info_amd);
      wr64 (buf, reg_or_zero (f, "efr"));
      wr64 (buf + 8, reg_or_zero (f, "efr2"));
      break;
    default:
      return NULL;
    }
  if (type_out)
    *type_out = type;
  return g_bytes_new (buf, len);
}
