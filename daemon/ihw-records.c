/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-records.h"

#include <stddef.h>
#include <string.h>

#include "ihw-hwinfo.h"

const char *
ihw_source_name (IhwSource s)
{
  switch (s)
    {
    case IHW_SOURCE_SYSFS:
      return "sysfs";
    case IHW_SOURCE_IOMMUFD:
      return "iommufd";
    case IHW_SOURCE_CACHE:
      return "cache";
    case IHW_SOURCE_NONE:
    default:
      return "none";
    }
}

/* ---- field tables, from the same lists as the structs -------------------- */

#define FIELD_ROW_(T, type, name, sig) { #name, offsetof (T, name), sizeof (((T *) 0)->name), sig },
#define UNIT_ROW_(type, name, sig) FIELD_ROW_ (IhwUnit, type, name, sig)
#define DEVICE_ROW_(type, name, sig) FIELD_ROW_ (IhwDevice, type, name, sig)

static const IhwRecordField unit_fields[] = { IHW_UNIT_FIELDS (UNIT_ROW_) };
static const IhwRecordField device_fields[] = { IHW_DEVICE_FIELDS (DEVICE_ROW_) };

const IhwRecordField *
ihw_unit_fields (guint *n)
{
  *n = G_N_ELEMENTS (unit_fields);
  return unit_fields;
}

const IhwRecordField *
ihw_device_fields (guint *n)
{
  *n = G_N_ELEMENTS (device_fields);
  return device_fields;
}

/* ---- change signatures --------------------------------------------------- */

/* Lower-case hex of `len` bytes: a signature is built for every record on
 * every commit, so no printf per byte. */
static void
append_hex (GString *s, const guint8 *p, gsize len)
{
  static const char digits[] = "0123456789abcdef";

  for (gsize i = 0; i < len; i++)
    {
      g_string_append_c (s, digits[p[i] >> 4]);
      g_string_append_c (s, digits[p[i] & 15]);
    }
}

/* The same text as "%" G_GINT64_MODIFIER "x" of `v`. */
static void
append_hex_u64 (GString *s, guint64 v)
{
  char buf[17];
  guint n = sizeof buf;

  do
    buf[--n] = "0123456789abcdef"[v & 15];
  while ((v >>= 4) != 0);
  g_string_append_len (s, buf + n, (gssize) (sizeof buf - n));
}

static void
append_field (GString *s, const void *record, const IhwRecordField *f)
{
  const guint8 *p = (const guint8 *) record + f->offset;

  g_string_append (s, f->name);
  g_string_append_c (s, '=');
  switch (f->sig)
    {
    case IHW_SIG_STRING:
      {
        const char *str = *(const char *const *) (const void *) p;
        if (str)
          {
            g_string_append_c (s, '"');
            g_string_append (s, str);
            g_string_append_c (s, '"');
          }
        else
          g_string_append (s, "-");
        break;
      }
    case IHW_SIG_NUMBER:
      append_hex (s, p, f->size);
      break;
    case IHW_SIG_BYTES:
      {
        GBytes *b = *(GBytes *const *) (const void *) p;
        gsize len = 0;
        const guint8 *data = b ? g_bytes_get_data (b, &len) : NULL;
        if (!b)
          g_string_append (s, "-");
        append_hex (s, data, len);
        break;
      }
    case IHW_SIG_STRV:
      {
        GPtrArray *a = *(GPtrArray *const *) (const void *) p;
        for (guint i = 0; a && i < a->len; i++)
          {
            g_string_append (s, a->pdata[i]);
            g_string_append_c (s, ',');
          }
        break;
      }
    case IHW_SIG_FEATURES:
      {
        const IhwFeatures *feat = (const IhwFeatures *) (const void *) p;
        g_string_append (s, feat->desc ? feat->desc->name : "-");
        g_string_append_c (s, '/');
        append_hex_u64 (s, feat->present);
        g_string_append_c (s, '/');
        for (guint i = 0; i < IHW_MAX_REGS; i++)
          {
            append_hex_u64 (s, feat->regs[i]);
            g_string_append_c (s, ',');
          }
        g_string_append_c (s, '/');
        append_hex_u64 (s, feat->hw_info_flags);
        g_string_append_printf (s, ":%d", feat->has_hw_info_flags);
        break;
      }
    case IHW_SIG_SKIP:
      break;
    }
  g_string_append_c (s, '|');
}

static char *
signature (const void *record, const IhwRecordField *fields, guint n)
{
  GString *s = g_string_sized_new (512);
  for (guint i = 0; i < n; i++)
    if (fields[i].sig != IHW_SIG_SKIP)
      append_field (s, record, &fields[i]);
  return g_string_free (s, FALSE);
}

char *
ihw_unit_signature (const IhwUnit *u)
{
  return signature (u, unit_fields, G_N_ELEMENTS (unit_fields));
}

char *
ihw_device_signature (const IhwDevice *d)
{
  return signature (d, device_fields, G_N_ELEMENTS (device_fields));
}

/* ---- constructors -------------------------------------------------------- */

IhwUnit *
ihw_unit_new (const char *name)
{
  IhwUnit *u = g_new0 (IhwUnit, 1);
  u->name = g_strdup (name);
  ihw_features_init (&u->features, IHW_VENDOR_UNKNOWN);
  u->devices = g_ptr_array_new_with_free_func (g_free);
  return u;
}

void
ihw_unit_free (IhwUnit *u)
{
  if (!u)
    return;
  g_free (u->name);
  g_free (u->version);
  g_clear_pointer (&u->devices, g_ptr_array_unref);
  g_free (u);
}

IhwDevice *
ihw_device_new (const char *address)
{
  IhwDevice *d = g_new0 (IhwDevice, 1);
  d->address = g_strdup (address);
  d->driver = g_strdup ("");
  d->vfio_cdev = g_strdup ("");
  d->iommu_group = -1;
  d->nest_parent = IHW_NEST_PARENT_UNKNOWN;
  return d;
}

void
ihw_device_free (IhwDevice *d)
{
  if (!d)
    return;
  g_free (d->address);
  g_free (d->unit);
  g_free (d->driver);
  g_free (d->vfio_cdev);
  g_clear_pointer (&d->hw_info_data, g_bytes_unref);
  g_clear_pointer (&d->hw_addon_data, g_bytes_unref);
  g_clear_pointer (&d->reserved_regions, g_bytes_unref);
  g_free (d->probe_error);
  g_free (d);
}

void
ihw_device_set_hw_info (IhwDevice *d, guint32 type, GBytes *data, guint64 capabilities, guint8 max_pasid_log2,
                        IhwNestParent nest_parent)
{
  IhwHwInfo info;
  gsize len = 0;
  const guint8 *bytes = data ? g_bytes_get_data (data, &len) : NULL;

  d->has_hw_info = TRUE;
  d->hw_info_type = type;
  if (data)
    g_bytes_ref (data);
  g_clear_pointer (&d->hw_info_data, g_bytes_unref);
  d->hw_info_data = data;
  d->capabilities = capabilities;
  d->max_pasid_log2 = max_pasid_log2;
  d->nest_parent = nest_parent;

  /* Type NONE, types newer than this build and truncated data decode to no
   * vendor: the unit's registers speak for the device then. */
  d->hw_decoded = data && ihw_hw_info_parse (type, bytes, len, (guint32) len, &info, NULL) && info.features.desc;
  if (d->hw_decoded)
    d->hw_features = info.features;
  else
    ihw_features_init (&d->hw_features, IHW_VENDOR_UNKNOWN);
}

void
ihw_device_set_hw_addon (IhwDevice *d, IhwTristate answer, GBytes *data)
{
  d->hw_addon = answer;
  if (data)
    g_bytes_ref (data);
  g_clear_pointer (&d->hw_addon_data, g_bytes_unref);
  d->hw_addon_data = data;
}

const IhwVendorDesc *
ihw_device_hw_addon (const IhwDevice *d, IhwFeatures *features_out)
{
  const IhwVendorDesc *addon = d->has_hw_info ? ihw_vendor_desc_addon_of (d->hw_info_type) : NULL;
  IhwHwInfo info;
  gsize len = 0;
  const guint8 *bytes = d->hw_addon_data ? g_bytes_get_data (d->hw_addon_data, &len) : NULL;

  if (!addon || d->hw_addon != IHW_TRISTATE_YES || !bytes
      || !ihw_hw_info_parse (addon->hw_info_type, bytes, len, (guint32) len, &info, NULL) || !info.features.desc)
    return NULL;
  *features_out = info.features;
  return addon;
}

const IhwFeatures *
ihw_device_hw_features (const IhwDevice *d)
{
  return d->has_hw_info && d->hw_decoded ? &d->hw_features : NULL;
}
