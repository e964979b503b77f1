/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-features.h"
#include <string.h>


void
ihw_features_init (IhwFeatures *f, IhwVendor vendor)
{
  memset (f, 0, sizeof *f);
  f->desc = ihw_vendor_desc (vendor);
}

int
ihw_features_reg_index (const IhwFeatures *f, const char *reg)
{
  if (!f->desc || !reg)
    return -1;
  for (guint i = 0; i < f->desc->n_regs; i++)
    if (g_ascii_strcasecmp (f->desc->regs[i].name, reg) == 0)
      return (int) i;
  return -1;
}

gboolean
ihw_features_set_reg (IhwFeatures *f, const char *reg, guint64 value)
{
  int i = ihw_features_reg_index (f, reg);
  if (i < 0)
    return FALSE;
  if (f->desc->regs[i].bits < 64 && (value >> f->desc->regs[i].bits) != 0)
    return FALSE;
  f->regs[i] = value;
  f->present |= 1u << i;
  return TRUE;
}

gboolean
ihw_features_has_reg (const IhwFeatures *f, guint reg)
{
  return f->desc && reg < f->desc->n_regs && (f->present & (1u << reg));
}

const IhwFieldDef *
ihw_features_field (const IhwFeatures *f, const char *key)
{
  if (!f->desc || !key)
    return NULL;
  for (guint i = 0; i < f->desc->n_fields; i++)
    if (strcmp (f->desc->fields[i].key, key) == 0)
      return &f->desc->fields[i];
  return NULL;
}

IhwValue
ihw_field_value (const IhwFeatures *f, const IhwFieldDef *def)
{
  IhwValue v = { 0 };

  if (!ihw_features_has_reg (f, def->reg))
    return v;

  v.raw = ihw_bits (f->regs[def->reg], def->lo, def->width);
  switch (def->kind)
    {
    case IHW_FIELD_BOOL:
      v.type = IHW_VALUE_BOOL;
      v.u = v.raw != 0;
      break;
    case IHW_FIELD_UINT:
      v.type = IHW_VALUE_UINT;
      v.u = v.raw + (guint64) (gint64) def->offset;
      if (def->only_if)
        {
          const IhwFieldDef *gate = ihw_features_field (f, def->only_if);
          if (gate && ihw_field_value (f, gate).u == 0)
            v.u = 0;
        }
      break;
    case IHW_FIELD_MAP:
      if (v.raw < def->n_map)
        {
          v.type = IHW_VALUE_UINT;
          v.u = def->map[v.raw];
        }
      else
        {
          v.type = IHW_VALUE_STRING;
          v.s = "reserved";
        }
      break;
    case IHW_FIELD_BITLIST:
      v.type = IHW_VALUE_LIST;
      for (guint i = 0; i < def->n_map && i < def->width; i++)
        if (v.raw & (G_GUINT64_CONSTANT (1) << i))
          v.list[v.u++] = def->map[i];
      break;
    case IHW_FIELD_ENUM:
      v.type = IHW_VALUE_STRING;
      v.s = v.raw < def->n_map && def->names[v.raw] ? def->names[v.raw] : "reserved";
      break;
    }
  return v;
}

gboolean
ihw_features_get (const IhwFeatures *f, const char *key, IhwValue *out)
{
  const IhwFieldDef *def = ihw_features_field (f, key);
  IhwValue v = { 0 };

  if (def)
    v = ihw_field_value (f, def);
  if (out)
    *out = v;
  return v.type != IHW_VALUE_ABSENT;
}

guint64
ihw_features_get_uint (const IhwFeatures *f, const char *key, guint64 fallback)
{
  IhwValue v;
  if (!ihw_features_get (f, key, &v))
    return fallback;
  if (v.type == IHW_VALUE_BOOL || v.type == IHW_VALUE_UINT)
    return v.u;
  return fallback;
}

guint64
ihw_vendor_known_mask (const IhwVendorDesc *desc, guint reg)
{
  guint64 mask = 0;
  for (guint i = 0; desc && i < desc->n_fields; i++)
    {
      const IhwFieldDef *d = &desc->fields[i];
      if (d->reg != reg)
        continue;
      if (d->width >= 64)
        mask |= G_MAXUINT64 << d->lo;
      else
        mask |= ((G_GUINT64_CONSTANT (1) << d->width) - 1) << d->lo;
    }
  return mask;
}

guint64
ihw_features_unknown_bits (const IhwFeatures *f, guint reg)
{
  if (!ihw_features_has_reg (f, reg))
    return 0;
  return f->regs[reg] & ~ihw_vendor_known_mask (f->desc, reg);
}

char *
ihw_value_to_string (const IhwValue *v)
{
  switch (v->type)
    {
    case IHW_VALUE_ABSENT:
      return g_strdup ("-");
    case IHW_VALUE_BOOL:
      return g_strdup (v->u ? "true" : "false");
    case IHW_VALUE_UINT:
      return g_strdup_printf ("%" G_GUINT64_FORMAT, v->u);
    case IHW_VALUE_STRING:
      return g_strdup (v->s);
    case IHW_VALUE_LIST:
      {
        GString *s = g_string_new (NULL);
        for (guint i = 0; i < v->u; i++)
          g_string_append_printf (s, "%s%u", i ? "," : "", v->list[i]);
        return g_string_free (s, FALSE);
      }
    }
  g_return_val_if_reached (NULL);
}

gboolean
ihw_features_aperture_bits (const IhwFeatures *f, guint *bits)
{
  guint width = G_MAXUINT;

  if (!f || !f->desc || !f->desc->aperture_fields[0])
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (f->desc->aperture_fields) && f->desc->aperture_fields[i]; i++)
    {
      IhwValue v;
      guint64 n = 0;

      if (!ihw_features_get (f, f->desc->aperture_fields[i], &v))
        return FALSE;
      if (v.type == IHW_VALUE_LIST)
        {
          for (guint j = 0; j < v.u; j++)
            if (v.list[j] <= f->desc->aperture_max)
              n = MAX (n, v.list[j]);
        }
      else if (v.type == IHW_VALUE_UINT)
        n = v.u;
      else
        return FALSE;
      width = MIN (width, (guint) MIN (n, (guint64) f->desc->aperture_max));
    }
  if (width == 0)
    return FALSE;
  *bits = width;
  return TRUE;
}

guint
ihw_aperture_host_aw_bits (guint aperture_bits, const guint64 *regions, gsize n, gboolean *clipped)
{
  guint64 top = aperture_bits >= 64 ? G_MAXUINT64 : (G_GUINT64_CONSTANT (1) << aperture_bits) - 1;
  gboolean moved = TRUE;

  *clipped = FALSE;
  /* Regions may overlap and come in any order: lower the top until none
   * holds it. */
  while (moved)
    {
      moved = FALSE;
      for (gsize i = 0; i < n; i++)
        if (regions[2 * i] <= top && regions[2 * i + 1] >= top)
          {
            if (regions[2 * i] == 0)
              return 64;
            top = regions[2 * i] - 1;
            *clipped = moved = TRUE;
          }
    }
  return 64 - (guint) __builtin_clzll (top | 1);
}
