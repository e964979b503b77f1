/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-vendor.h"

#include <string.h>

static const IhwVendorDesc *const vendor_list[] = {
#define IHW_VENDOR_ENTRY_(id, file) &ihw_vendor_##file,
  IHW_VENDOR_LIST (IHW_VENDOR_ENTRY_)
#undef IHW_VENDOR_ENTRY_
};

const IhwVendorDesc *const *
ihw_vendors (guint *n)
{
  *n = G_N_ELEMENTS (vendor_list);
  return vendor_list;
}

const IhwVendorDesc *
ihw_vendor_desc (IhwVendor vendor)
{
  for (guint i = 0; i < G_N_ELEMENTS (vendor_list); i++)
    if (vendor_list[i]->vendor == vendor)
      return vendor_list[i];
  return NULL;
}

const IhwVendorDesc *
ihw_vendor_desc_by_name (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (vendor_list); i++)
    if (g_strcmp0 (vendor_list[i]->name, name) == 0)
      return vendor_list[i];
  return NULL;
}

const IhwVendorDesc *
ihw_vendor_desc_by_hw_info (guint32 type)
{
  for (guint i = 0; i < G_N_ELEMENTS (vendor_list); i++)
    if (vendor_list[i]->hw_info_type == type)
      return vendor_list[i];
  return NULL;
}

const IhwVendorDesc *
ihw_vendor_desc_addon_of (guint32 type)
{
  for (guint i = 0; type && i < G_N_ELEMENTS (vendor_list); i++)
    if (vendor_list[i]->addon_of_hw_info_type == type)
      return vendor_list[i];
  return NULL;
}

const IhwVendorDesc *
ihw_vendor_desc_addon_by_property (const char *prop, gboolean *bytes_out)
{
  for (guint i = 0; prop && i < G_N_ELEMENTS (vendor_list); i++)
    {
      const char *name = vendor_list[i]->dbus_property;
      gsize n = name ? strlen (name) : 0;
      if (!name || strncmp (prop, name, n) != 0)
        continue;
      if (prop[n] == '\0' || strcmp (prop + n, "HwInfo") == 0)
        {
          *bytes_out = prop[n] != '\0';
          return vendor_list[i];
        }
    }
  return NULL;
}

const IhwVendorDesc *
ihw_vendor_desc_by_word (const char *word)
{
  for (guint i = 0; word && i < G_N_ELEMENTS (vendor_list); i++)
    for (guint j = 0; j < G_N_ELEMENTS (vendor_list[i]->words) && vendor_list[i]->words[j]; j++)
      if (g_ascii_strcasecmp (vendor_list[i]->words[j], word) == 0)
        return vendor_list[i];
  return NULL;
}

const char *
ihw_vendor_name (IhwVendor vendor)
{
  const IhwVendorDesc *d = ihw_vendor_desc (vendor);
  return d ? d->name : "unknown";
}

char *
ihw_vendor_words (void)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (vendor_list); i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", vendor_list[i]->words[0]);
  return g_string_free (s, FALSE);
}

char *
ihw_vendor_decode_usage (void)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (vendor_list); i++)
    {
      const IhwVendorDesc *d = vendor_list[i];
      g_string_append_printf (s, "%s%s", i ? " | " : "", d->words[0]);
      for (guint j = 0; d->positional[j]; j++)
        {
          g_autofree char *up = g_ascii_strup (d->positional[j], -1);
          g_string_append_printf (s, j < d->n_required ? " %s" : " [%s]", up);
        }
    }
  return g_string_free (s, FALSE);
}
