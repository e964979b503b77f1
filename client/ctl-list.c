/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* iommu-hwinfoctl list: every IOMMU unit and PCI device the daemon knows. */
#include <stdio.h>

#include "ctl.h"
#include "ihw-error.h"

static void
json_object_list (JsonBuilder *b, const char *member, GPtrArray *objects)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_array (b);
  for (guint i = 0; i < objects->len; i++)
    {
      const CtlObject *o = objects->pdata[i];
      json_builder_begin_object (b);
      ctl_json_add_properties (b, o->props, NULL);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
print_human (const CtlObjects *objs)
{
  g_autoptr (CtlTable) units = ctl_table_new (5, "UNIT", "VENDOR", "SOURCE", "DEVICES", "FEATURES");
  g_autoptr (CtlTable) devs =
    ctl_table_new (7, "DEVICE", "UNIT", "DRIVER", "VFIO CDEV", "HW_INFO", "NEST PARENT", "SOURCE");
  g_autofree char *models = NULL;
  /* unit path -> unit, and -> its number of devices: one pass each, so the
   * listing stays linear in devices */
  g_autoptr (GHashTable) unit_by_path = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) n_devices = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < objs->units->len; i++)
    {
      const CtlObject *u = objs->units->pdata[i];
      g_hash_table_insert (unit_by_path, u->path, (gpointer) u);
    }
  for (guint i = 0; i < objs->devices->len; i++)
    {
      const char *unit_path = ctl_prop_str (((CtlObject *) objs->devices->pdata[i])->props, "Unit");
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (n_devices, unit_path));
      g_hash_table_insert (n_devices, (gpointer) unit_path, GUINT_TO_POINTER (n + 1));
    }

  for (guint i = 0; i < objs->units->len; i++)
    {
      const CtlObject *u = objs->units->pdata[i];
      g_autoptr (GVariant) feats = g_variant_lookup_value (u->props, "Features", G_VARIANT_TYPE_STRING_ARRAY);
      g_autofree char *ftext = feats ? ctl_variant_to_text (feats) : NULL;
      g_autofree char *ndev = g_strdup_printf ("%u", GPOINTER_TO_UINT (g_hash_table_lookup (n_devices, u->path)));

      ctl_table_add (units, u->name, ctl_prop_str (u->props, "Vendor"), ctl_prop_str (u->props, "Source"), ndev, ftext);
    }
  for (guint i = 0; i < objs->devices->len; i++)
    {
      const CtlObject *d = objs->devices->pdata[i];
      const char *unit_path = ctl_prop_str (d->props, "Unit");
      const CtlObject *unit = g_hash_table_lookup (unit_by_path, unit_path);
      g_autofree char *unit_name = unit ? g_strdup (unit->name)
                                   : (*unit_path && g_strcmp0 (unit_path, "/") != 0) ? ctl_path_to_name (unit_path)
                                                                                    : NULL;

      ctl_table_add (devs, d->name, unit_name, ctl_prop_str (d->props, "Driver"), ctl_prop_str (d->props, "VfioCdev"),
                     ctl_prop_str (d->props, "HwInfoTypeName"), ctl_prop_str (d->props, "NestParent"),
                     ctl_prop_str (d->props, "Source"));
    }

  if (objs->units->len)
    ctl_table_print (units, "");
  else
    printf ("No IOMMU units.\n");
  printf ("\n");
  if (objs->devices->len)
    ctl_table_print (devs, "");
  else
    printf ("No PCI devices.\n");

  if (objs->manager)
    {
      g_autoptr (GVariant) nm = g_variant_lookup_value (objs->manager, "NestingModels", G_VARIANT_TYPE_STRING_ARRAY);
      models = nm ? ctl_variant_to_text (nm) : NULL;
      printf ("\niommufd: %s; nesting for every vfio device with: %s\n",
              ctl_prop_bool (objs->manager, "IommufdAvailable") ? "available" : "not available",
              models && *models ? models : "no model");
    }
}

int
ctl_list (CtlGlobal *g, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IhwClient) client = NULL;
  g_autoptr (CtlObjects) objs = NULL;
  int code;

  if (!ctl_parse_options (g, "list", "", "List the IOMMU units and PCI devices iommu-hwinfod knows, one line each.",
                          NULL, &argc, &argv, &code))
    return code;
  if (argc > 1)
    return ctl_usage_error ("list", "unexpected argument '%.80s'", argv[1]);

  if (!(client = ctl_connect (&error)) || !(objs = ctl_objects_load (client, &error)))
    return ctl_fail (error);

  if (g->json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (b);
      if (objs->manager)
        {
          /* version, iommufd_available, nesting_models; the object lists follow in full. */
          static const char *const skip[] = { "Units", "Devices", NULL };
          ctl_json_add_properties (b, objs->manager, skip);
        }
      json_object_list (b, "units", objs->units);
      json_object_list (b, "devices", objs->devices);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      ctl_print_json (root);
    }
  else
    print_human (objs);
  return 0;
}
