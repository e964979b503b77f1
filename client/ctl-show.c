/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* iommu-hwinfoctl show DEVICE|UNIT: every property, registers decoded. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ihw-error.h"
#include "ihw-hwinfo.h"
#include "ctl-json.h"
#include "ihw-names.h"

/* out_capabilities bits (enum iommufd_hw_capabilities). */
static const char *const capability_names[] = {
  "dirty-tracking", "pasid-exec", "pasid-priv", "ats-not-supported",
};

static char *
capabilities_text (guint64 caps, gboolean with_hex)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < 64; i++)
    if (caps & (G_GUINT64_CONSTANT (1) << i))
      {
        if (s->len)
          g_string_append (s, ", ");
        if (i < G_N_ELEMENTS (capability_names))
          g_string_append (s, capability_names[i]);
        else
          g_string_append_printf (s, "bit%u", i);
      }
  if (with_hex)
    {
      g_autofree char *names = g_string_free (s, FALSE);
      return g_strdup_printf ("0x%" G_GINT64_MODIFIER "x%s%s%s", caps, *names ? " (" : "", names, *names ? ")" : "");
    }
  return g_string_free (s, FALSE);
}

static char *
time_text (guint64 usec)
{
  g_autoptr (GDateTime) dt = NULL;

  if (!usec)
    return g_strdup ("never");
  dt = g_date_time_new_from_unix_utc ((gint64) (usec / G_USEC_PER_SEC));
  return dt ? g_date_time_format (dt, "%Y-%m-%d %H:%M:%S UTC") : g_strdup ("?");
}

/* The features to decode for a device: the kernel's hw_info payload when it
 * has a known type, else its unit's registers.  Returns a description of the
 * origin, or NULL when there is nothing to decode. */
static const char *
device_features (const CtlObjects *objs, const CtlObject *dev, IhwFeatures *f)
{
  g_autoptr (GVariant) data = g_variant_lookup_value (dev->props, "HwInfoData", G_VARIANT_TYPE_BYTESTRING);
  const CtlObject *unit = ctl_objects_find (objs, ctl_prop_str (dev->props, "Unit"));
  IhwHwInfo info;

  if (data && g_variant_get_size (data) > 0)
    {
      gsize n = 0;
      const guint8 *bytes = g_variant_get_fixed_array (data, &n, 1);
      if (ihw_hw_info_parse ((guint32) ctl_prop_uint (dev->props, "HwInfoType"), bytes, n, (guint32) n, &info, NULL) &&
          info.features.desc)
        {
          *f = info.features;
          return "the kernel's IOMMU_GET_HW_INFO";
        }
    }
  if (unit)
    {
      ctl_unit_features (unit->props, f);
      if (f->desc && f->present)
        return "the IOMMU unit";
    }
  return NULL;
}

/* The add-on of the device's hw_info type (Tegra241 CMDQV on an SMMUv3),
 * NULL when it has none; *answer its Device property ("yes", "no",
 * "unknown"); *decoded whether `f` holds the registers the kernel reported. */
static const IhwVendorDesc *
device_addon (const CtlObject *dev, const char **answer, IhwFeatures *f, gboolean *decoded)
{
  const IhwVendorDesc *addon = ihw_vendor_desc_addon_of ((guint32) ctl_prop_uint (dev->props, "HwInfoType"));
  g_autofree char *bytes_prop = NULL;
  g_autoptr (GVariant) data = NULL;
  IhwHwInfo info;

  *decoded = FALSE;
  if (!addon || !addon->dbus_property)
    return NULL;
  *answer = ctl_prop_str (dev->props, addon->dbus_property);
  bytes_prop = g_strconcat (addon->dbus_property, "HwInfo", NULL);
  data = g_variant_lookup_value (dev->props, bytes_prop, G_VARIANT_TYPE_BYTESTRING);
  if (data && g_variant_get_size (data) > 0)
    {
      gsize n = 0;
      const guint8 *bytes = g_variant_get_fixed_array (data, &n, 1);
      *decoded = ihw_hw_info_parse (addon->hw_info_type, bytes, n, (guint32) n, &info, NULL) && info.features.desc;
      if (*decoded)
        *f = info.features;
    }
  return addon;
}

static void
json_add_decoded (JsonBuilder *b, const IhwFeatures *f, const char *origin)
{
  json_builder_set_member_name (b, "decoded_from");
  json_builder_add_string_value (b, origin ? (strstr (origin, "HW_INFO") ? "hw_info" : "unit") : "none");
  if (!origin)
    return;
  json_builder_set_member_name (b, "decoded");
  json_builder_begin_object (b);
  ctl_json_add_features (b, f);
  json_builder_end_object (b);
}

static int
show_device (CtlGlobal *g, const CtlObjects *objs, const CtlObject *dev)
{
  GVariant *p = dev->props;
  const CtlObject *unit = ctl_objects_find (objs, ctl_prop_str (p, "Unit"));
  IhwFeatures f, addon_f;
  const char *origin = device_features (objs, dev, &f);
  guint64 caps = ctl_prop_uint (p, "Capabilities");
  const char *addon_answer = NULL;
  gboolean addon_decoded;
  const IhwVendorDesc *addon = device_addon (dev, &addon_answer, &addon_f, &addon_decoded);

  if (g->json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      g_auto (GStrv) names = NULL;
      g_autofree char *ctext = capabilities_text (caps, FALSE);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, "device");
      ctl_json_add_properties (b, p, NULL);
      json_builder_set_member_name (b, "capability_names");
      json_builder_begin_array (b);
      names = g_strsplit (ctext, ", ", -1);
      for (guint i = 0; names[i]; i++)
        if (*names[i])
          json_builder_add_string_value (b, names[i]);
      json_builder_end_array (b);
      json_add_decoded (b, &f, origin);
      if (addon_decoded)
        {
          g_autofree char *key = g_strconcat (addon->device_fact, "_decoded", NULL);
          json_builder_set_member_name (b, key);
          json_builder_begin_object (b);
          ctl_json_add_features (b, &addon_f);
          json_builder_end_object (b);
        }
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      ctl_print_json (root);
      return 0;
    }

  {
    g_autoptr (CtlTable) t = ctl_table_new (2, "Address", dev->name);
    g_autofree char *unit_text = NULL;
    g_autofree char *group = NULL;
    g_autofree char *type = NULL;
    g_autofree char *data = NULL;
    g_autofree char *ctext = capabilities_text (caps, TRUE);
    g_autofree char *pasid = NULL;
    g_autofree char *updated = time_text (ctl_prop_uint (p, "UpdatedUsec"));
    g_autoptr (GVariant) ay = g_variant_lookup_value (p, "HwInfoData", G_VARIANT_TYPE_BYTESTRING);
    const char *tname = ctl_prop_str (p, "HwInfoTypeName");
    gint64 grp = ctl_prop_int (p, "IommuGroup");
    guint64 pasid_log2 = ctl_prop_uint (p, "MaxPasidLog2");

    if (unit)
      unit_text = g_strdup_printf ("%s (%s)", unit->name, ctl_prop_str (unit->props, "Vendor"));
    group = grp >= 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, grp) : g_strdup ("none");
    type = g_strdup_printf ("%s (%" G_GUINT64_FORMAT ")", *tname ? tname : "?", ctl_prop_uint (p, "HwInfoType"));
    if (ay && g_variant_get_size (ay))
      {
        g_autofree char *hex = ctl_bytes_hex (ay);
        data = g_strdup_printf ("%" G_GSIZE_FORMAT " bytes: %s", g_variant_get_size (ay), hex);
      }
    pasid = pasid_log2 ? g_strdup_printf ("%" G_GUINT64_FORMAT " bits", pasid_log2) : g_strdup ("none");

    ctl_table_add (t, "Unit", unit_text ? unit_text : "none");
    ctl_table_add (t, "Driver", *ctl_prop_str (p, "Driver") ? ctl_prop_str (p, "Driver") : "none");
    ctl_table_add (t, "IOMMU group", group);
    ctl_table_add (t, "VFIO cdev", *ctl_prop_str (p, "VfioCdev") ? ctl_prop_str (p, "VfioCdev") : "none");
    ctl_table_add (t, "hw_info type", type);
    ctl_table_add (t, "hw_info data", data ? data : "none");
    ctl_table_add (t, "Capabilities", ctext);
    ctl_table_add (t, "Max PASID", pasid);
    {
      guint64 aw = ctl_prop_uint (p, "HostAwBits");
      g_autofree char *aw_text = aw ? g_strdup_printf ("%" G_GUINT64_FORMAT " (%s)", aw, ctl_prop_str (p, "HostAwBitsSource"))
                                    : g_strdup ("unknown");
      ctl_table_add (t, "Host aw-bits", aw_text);
    }
    ctl_table_add (t, "Nest parent", ctl_prop_str (p, "NestParent"));
    if (addon)
      ctl_table_add (t, addon->short_title, *addon_answer ? addon_answer : "unknown");
    ctl_table_add (t, "Source", ctl_prop_str (p, "Source"));
    ctl_table_add (t, "Updated", updated);
    printf ("Device %s\n", dev->name);
    ctl_table_print (t, "  ");
  }

  if (origin)
    {
      printf ("\nDecoded from %s:\n", origin);
      ctl_print_features (&f);
    }
  else
    printf ("\nNo IOMMU registers known for this device.\n");
  if (addon_decoded)
    {
      printf ("\nDecoded from the kernel's IOMMU_GET_HW_INFO asked for %s:\n", addon->hw_info_name);
      ctl_print_features (&addon_f);
    }
  return 0;
}

static int
show_unit (CtlGlobal *g, const CtlObjects *objs, const CtlObject *unit)
{
  GVariant *p = unit->props;
  g_autoptr (GPtrArray) devices = g_ptr_array_new ();
  IhwFeatures f;

  for (guint i = 0; i < objs->devices->len; i++)
    {
      const CtlObject *d = objs->devices->pdata[i];
      if (strcmp (ctl_prop_str (d->props, "Unit"), unit->path) == 0)
        g_ptr_array_add (devices, d->name);
    }
  ctl_unit_features (p, &f);

  if (g->json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      gboolean decodable = f.desc && f.present;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, "unit");
      ctl_json_add_properties (b, p, NULL);
      json_builder_set_member_name (b, "devices");
      json_builder_begin_array (b);
      for (guint i = 0; i < devices->len; i++)
        json_builder_add_string_value (b, devices->pdata[i]);
      json_builder_end_array (b);
      json_add_decoded (b, &f, decodable ? "the IOMMU unit" : NULL);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      ctl_print_json (root);
      return 0;
    }

  {
    g_autoptr (CtlTable) t = ctl_table_new (2, "Name", unit->name);
    g_autoptr (GVariant) feats = g_variant_lookup_value (p, "Features", G_VARIANT_TYPE_STRING_ARRAY);
    g_autofree char *ftext = feats ? ctl_variant_to_text (feats) : NULL;
    g_autofree char *dtext = NULL;

    g_ptr_array_add (devices, NULL);
    dtext = g_strjoinv (", ", (char **) devices->pdata);
    g_ptr_array_remove_index (devices, devices->len - 1);
    ctl_table_add (t, "Vendor", ctl_prop_str (p, "Vendor"));
    ctl_table_add (t, "Source", ctl_prop_str (p, "Source"));
    ctl_table_add (t, "Devices", *dtext ? dtext : "none");
    ctl_table_add (t, "Features", ftext && *ftext ? ftext : "none");
    printf ("IOMMU unit %s\n", unit->name);
    ctl_table_print (t, "  ");
  }
  if (f.desc && f.present)
    {
      printf ("\n");
      ctl_print_features (&f);
    }
  else if (f.desc && f.desc->registers_need_iommufd)
    printf ("\nNo registers known for this unit (%s has none in sysfs; iommufd gives them per device).\n",
            f.desc->short_title);
  else
    printf ("\nNo registers known for this unit (%s).\n", f.desc ? "none could be read" : "unknown vendor");
  return 0;
}

int
ctl_show (CtlGlobal *g, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IhwClient) client = NULL;
  g_autoptr (CtlObjects) objs = NULL;
  const CtlObject *obj;
  int code;

  if (!ctl_parse_options (g, "show", "DEVICE|UNIT",
                          "Show every property of a PCI device (DDDD:BB:DD.F) or IOMMU unit (dmar0, ivhd0, ...),\n"
                          "with its IOMMU registers decoded.",
                          NULL, &argc, &argv, &code))
    return code;
  if (argc < 2)
    return ctl_usage_error ("show", "which device or unit? e.g. 0000:3a:00.0 or dmar0");
  if (argc > 2)
    return ctl_usage_error ("show", "unexpected argument '%.80s': one device or unit at a time", argv[2]);
  if (strchr (argv[1], ':') && !ihw_pci_address_valid (argv[1]))
    {
      g_printerr ("iommu-hwinfoctl show: '%.80s' is not a PCI address: expected DDDD:BB:DD.F, e.g. 0000:3a:00.0\n",
                  argv[1]);
      return IHW_EXIT_DATAERR;
    }

  if (!(client = ctl_connect (&error)) || !(objs = ctl_objects_load (client, &error)))
    return ctl_fail (error);
  obj = ctl_objects_find (objs, argv[1]);
  if (!obj)
    {
      g_printerr ("iommu-hwinfoctl show: iommu-hwinfod knows no %s '%.80s' (see 'iommu-hwinfoctl list')\n",
                  ihw_pci_address_valid (argv[1]) ? "PCI device" : "device or IOMMU unit", argv[1]);
      return IHW_EXIT_DATAERR;
    }
  if (g_str_has_prefix (obj->path, IHW_DBUS_UNIT_PATH_PREFIX))
    return show_unit (g, objs, obj);
  return show_device (g, objs, obj);
}
