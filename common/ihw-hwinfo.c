/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-hwinfo.h"

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
