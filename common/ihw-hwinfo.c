/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-hwinfo.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "ihw-error.h"
#include "ihw-uapi.h"

/* hw_info types that carry no vendor's registers (the vendors' own types
 * are in their descriptors, ihw-vendor-*.c). */
static const struct {
  guint32 type;
  const char *name;
  guint32 struct_len;
} other_types[] = {
  { IHW_HW_INFO_TYPE_NONE, "none", 0 },
};

/* The type's name and struct length; FALSE for a type newer than this build. */
static gboolean
find_type (guint32 type, const char **name, guint32 *struct_len, const IhwVendorDesc **vendor)
{
  const IhwVendorDesc *d = ihw_vendor_desc_by_hw_info (type);

  *vendor = d;
  if (d)
    {
      *name = d->hw_info_name;
      *struct_len = d->hw_info_len;
      return TRUE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (other_types); i++)
    if (other_types[i].type == type)
      {
        *name = other_types[i].name;
        *struct_len = other_types[i].struct_len;
        return TRUE;
      }
  return FALSE;
}

const char *
ihw_hw_info_type_name (guint32 type)
{
  const char *name;
  guint32 len;
  const IhwVendorDesc *d;
  return find_type (type, &name, &len, &d) ? name : NULL;
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
  const IhwVendorDesc *d;
  const char *name;
  guint32 struct_len;
  gsize usable = MIN (avail, (gsize) data_len);
  IhwHwInfo h = { 0 };

  h.type = type;
  h.data_len = data_len;
  if (usable > 0 && !data)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "hw_info: %zu bytes claimed but no buffer", usable);
      return FALSE;
    }
  if (!find_type (type, &name, &struct_len, &d))
    {
      /* A type newer than this build: not an error, just nothing to decode. */
      *out = h;
      return TRUE;
    }
  h.type_known = TRUE;
  h.struct_len = struct_len;
  if (usable < struct_len)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA,
                   "hw_info type %s: %zu bytes of data (kernel reported %u), the structure needs %u",
                   name, usable, data_len, struct_len);
      return FALSE;
    }
  h.ignored_len = data_len > struct_len ? data_len - struct_len : 0;
  ihw_features_init (&h.features, d ? d->vendor : IHW_VENDOR_UNKNOWN);

  if (d)
    {
      if (d->hw_info_flags_offset >= 0)
        {
          h.features.hw_info_flags = rd32 (data + d->hw_info_flags_offset);
          h.features.has_hw_info_flags = TRUE;
        }
      for (guint i = 0; i < d->n_regs; i++)
        ihw_features_set_reg (&h.features, d->regs[i].name,
                              d->regs[i].bits == 64 ? rd64 (data + d->regs[i].hw_info_offset)
                                                    : rd32 (data + d->regs[i].hw_info_offset));
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

GBytes *
ihw_hw_info_build (const IhwFeatures *f, guint32 flags, guint32 *type_out)
{
  guint8 buf[IHW_HW_INFO_BUF_SIZE] = { 0 };
  const IhwVendorDesc *d = f->desc;

  if (!d || !d->hw_info_type)
    return NULL;
  if (d->hw_info_flags_offset >= 0)
    wr32 (buf + d->hw_info_flags_offset, flags);
  for (guint i = 0; i < d->n_regs; i++)
    {
      guint64 v = ihw_features_has_reg (f, i) ? f->regs[i] : 0;
      if (d->regs[i].bits == 64)
        wr64 (buf + d->regs[i].hw_info_offset, v);
      else
        wr32 (buf + d->regs[i].hw_info_offset, (guint32) v);
    }
  if (type_out)
    *type_out = d->hw_info_type;
  return g_bytes_new (buf, d->hw_info_len);
}

/*
 * IOMMU_GET_HW_INFO with IOMMU_HW_INFO_FLAG_INPUT_TYPE, as the kernels
 * answer it:
 * - 6.17+ (drivers/iommu/iommufd/device.c iommufd_get_hw_info, and
 *   kernel-patches/0001 on 6.12): the flag is known; the driver answers a
 *   type it can report and refuses any other with EOPNOTSUPP (VT-d, AMD,
 *   arm_smmu_hw_info without an implementation hw_info, the CMDQV
 *   implementation for anything but TEGRA241_CMDQV); a driver without
 *   hw_info answers NONE whatever was asked.
 * - 6.6 .. 6.16 (6.12 unpatched): any flag is EOPNOTSUPP ("if (cmd->flags
 *   || ...) return -EOPNOTSUPP"), before the device is even looked up.
 * So a refusal of the type wanted says nothing alone: the device's own
 * type, asked the same way, tells a kernel that knows the flag (it
 * answers) from one that does not (EOPNOTSUPP again).
 */
#define ANY_ERRNO (-1)
#define ANY_TYPE (-1)
static const struct {
  IhwHwInfoAsk ask;
  int err;         /* 0 success, an errno, or ANY_ERRNO */
  int same_type;   /* success only: 1 reported the type wanted, 0 another, ANY_TYPE */
  IhwHwInfoStep step;
} ask_answers[] = {
  { IHW_HW_INFO_ASK_TYPE, 0, 1,
    { IHW_HW_INFO_ASK_DONE, IHW_TRISTATE_YES, "the kernel reports the type asked for" } },
  { IHW_HW_INFO_ASK_TYPE, 0, 0,
    { IHW_HW_INFO_ASK_DONE, IHW_TRISTATE_NO,
      "the kernel knows IOMMU_HW_INFO_FLAG_INPUT_TYPE and answered another type: the IOMMU has not the one asked for" } },
  { IHW_HW_INFO_ASK_TYPE, EOPNOTSUPP, ANY_TYPE,
    { IHW_HW_INFO_ASK_OWN, IHW_TRISTATE_UNKNOWN,
      "refused: either the IOMMU has not the type, or the kernel does not know IOMMU_HW_INFO_FLAG_INPUT_TYPE" } },
  { IHW_HW_INFO_ASK_OWN, 0, ANY_TYPE,
    { IHW_HW_INFO_ASK_DONE, IHW_TRISTATE_NO,
      "the kernel knows IOMMU_HW_INFO_FLAG_INPUT_TYPE (it answers the device's own type) and refused the type "
      "asked for: the IOMMU has not that type" } },
  { IHW_HW_INFO_ASK_OWN, EOPNOTSUPP, ANY_TYPE,
    { IHW_HW_INFO_ASK_DONE, IHW_TRISTATE_UNKNOWN,
      "the kernel does not know IOMMU_HW_INFO_FLAG_INPUT_TYPE (before 6.17): it cannot be asked for a type" } },
  { IHW_HW_INFO_ASK_TYPE, ANY_ERRNO, ANY_TYPE,
    { IHW_HW_INFO_ASK_DONE, IHW_TRISTATE_UNKNOWN, "the kernel failed the call", TRUE } },
  { IHW_HW_INFO_ASK_OWN, ANY_ERRNO, ANY_TYPE,
    { IHW_HW_INFO_ASK_DONE, IHW_TRISTATE_UNKNOWN, "the kernel failed the call", TRUE } },
};

const IhwHwInfoStep *
ihw_hw_info_ask_step (IhwHwInfoAsk ask, guint32 wanted, int err, guint32 out_type)
{
  static const IhwHwInfoStep done = { IHW_HW_INFO_ASK_DONE, IHW_TRISTATE_UNKNOWN, "nothing was asked", TRUE };

  for (guint i = 0; i < G_N_ELEMENTS (ask_answers); i++)
    {
      const int same = out_type == wanted;
      if (ask_answers[i].ask != ask)
        continue;
      if (ask_answers[i].err != ANY_ERRNO && ask_answers[i].err != err)
        continue;
      if (err == 0 && ask_answers[i].same_type != ANY_TYPE && ask_answers[i].same_type != same)
        continue;
      return &ask_answers[i].step;
    }
  return &done;
}
