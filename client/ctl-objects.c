/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's object tree (one GetManagedObjects call), sorted by name. */
#include <string.h>

#include "ctl.h"
#include "ihw-error.h"
#include "ihw-names.h"

static void
object_free (CtlObject *o)
{
  g_free (o->path);
  g_free (o->name);
  if (o->props)
    g_variant_unref (o->props);
  g_free (o);
}

void
ctl_objects_free (CtlObjects *o)
{
  if (!o)
    return;
  if (o->manager)
    g_variant_unref (o->manager);
  g_ptr_array_unref (o->units);
  g_ptr_array_unref (o->devices);
  g_free (o);
}

static int
compare_objects (gconstpointer a, gconstpointer b)
{
  const CtlObject *x = *(CtlObject *const *) a;
  const CtlObject *y = *(CtlObject *const *) b;
  return strcmp (x->name, y->name);
}

static CtlObject *
object_new (const char *path, GVariant *props, const char *name_key)
{
  CtlObject *o = g_new0 (CtlObject, 1);
  const char *name = ctl_prop_str (props, name_key);

  o->path = g_strdup (path);
  o->name = *name ? g_strdup (name) : ctl_path_to_name (path);
  o->props = g_variant_ref (props);
  return o;
}

CtlObjects *
ctl_objects_load (IhwClient *client, GError **error)
{
  g_autoptr (GVariant) all = ihw_client_get_managed_objects (client, error);
  g_autoptr (CtlObjects) o = NULL;
  GVariantIter it;
  const char *path;
  GVariant *ifaces;

  if (!all)
    return NULL;
  o = g_new0 (CtlObjects, 1);
  o->units = g_ptr_array_new_with_free_func ((GDestroyNotify) object_free);
  o->devices = g_ptr_array_new_with_free_func ((GDestroyNotify) object_free);

  g_variant_iter_init (&it, all);
  while (g_variant_iter_next (&it, "{&o@a{sa{sv}}}", &path, &ifaces))
    {
      g_autoptr (GVariant) props = NULL;

      if ((props = g_variant_lookup_value (ifaces, IHW_DBUS_DEVICE_IFACE, G_VARIANT_TYPE_VARDICT)))
        g_ptr_array_add (o->devices, object_new (path, props, "Address"));
      else if ((props = g_variant_lookup_value (ifaces, IHW_DBUS_UNIT_IFACE, G_VARIANT_TYPE_VARDICT)))
        g_ptr_array_add (o->units, object_new (path, props, "Name"));
      else if ((props = g_variant_lookup_value (ifaces, IHW_DBUS_MANAGER_IFACE, G_VARIANT_TYPE_VARDICT)))
        o->manager = g_steal_pointer (&props);
      g_variant_unref (ifaces);
    }
  /* An ObjectManager does not list itself: the Manager's properties come
   * from the root object.  Optional: older daemons may lack some. */
  if (!o->manager)
    o->manager = ihw_client_get_all_properties (client, IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, NULL);
  g_ptr_array_sort (o->units, compare_objects);
  g_ptr_array_sort (o->devices, compare_objects);
  return g_steal_pointer (&o);
}

const CtlObject *
ctl_objects_find (const CtlObjects *o, const char *name_or_path)
{
  GPtrArray *lists[] = { o->devices, o->units };

  for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
    for (guint i = 0; i < lists[l]->len; i++)
      {
        const CtlObject *obj = lists[l]->pdata[i];
        if (g_ascii_strcasecmp (obj->name, name_or_path) == 0 || strcmp (obj->path, name_or_path) == 0)
          return obj;
      }
  return NULL;
}

/* --- property helpers ----------------------------------------------------- */

static GVariant *
lookup (GVariant *props, const char *key)
{
  return props ? g_variant_lookup_value (props, key, NULL) : NULL;
}

const char *
ctl_prop_str (GVariant *props, const char *key)
{
  g_autoptr (GVariant) v = lookup (props, key);
  const char *s = "";

  /* The string lives as long as `props`: look it up in place. */
  if (v && (g_variant_is_of_type (v, G_VARIANT_TYPE_STRING) || g_variant_is_of_type (v, G_VARIANT_TYPE_OBJECT_PATH)))
    g_variant_lookup (props, key, g_variant_is_of_type (v, G_VARIANT_TYPE_STRING) ? "&s" : "&o", &s);
  return s;
}

guint64
ctl_prop_uint (GVariant *props, const char *key)
{
  g_autoptr (GVariant) v = lookup (props, key);

  if (!v)
    return 0;
  switch (g_variant_classify (v))
    {
    case G_VARIANT_CLASS_BYTE:
      return g_variant_get_byte (v);
    case G_VARIANT_CLASS_UINT32:
      return g_variant_get_uint32 (v);
    case G_VARIANT_CLASS_UINT64:
      return g_variant_get_uint64 (v);
    case G_VARIANT_CLASS_INT32:
      return (guint64) MAX (0, g_variant_get_int32 (v));
    default:
      return 0;
    }
}

gint64
ctl_prop_int (GVariant *props, const char *key)
{
  g_autoptr (GVariant) v = lookup (props, key);

  if (v && g_variant_is_of_type (v, G_VARIANT_TYPE_INT32))
    return g_variant_get_int32 (v);
  return (gint64) ctl_prop_uint (props, key);
}

gboolean
ctl_prop_bool (GVariant *props, const char *key)
{
  g_autoptr (GVariant) v = lookup (props, key);
  return v && g_variant_is_of_type (v, G_VARIANT_TYPE_BOOLEAN) && g_variant_get_boolean (v);
}

void
ctl_unit_features (GVariant *unit_props, IhwFeatures *f)
{
  const IhwVendorDesc *desc = ihw_vendor_desc_by_name (ctl_prop_str (unit_props, "Vendor"));
  g_autoptr (GVariant) regs = unit_props ? g_variant_lookup_value (unit_props, "Registers", G_VARIANT_TYPE ("a{st}"))
                                         : NULL;
  GVariantIter it;
  const char *name;
  guint64 value;

  ihw_features_init (f, desc ? desc->vendor : IHW_VENDOR_UNKNOWN);
  if (!desc || !regs)
    return;
  g_variant_iter_init (&it, regs);
  while (g_variant_iter_next (&it, "{&st}", &name, &value))
    ihw_features_set_reg (f, name, value);  /* unknown register names are ignored */
}
