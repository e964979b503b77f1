/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-unit.h"

#include "ihw-error.h"
#include "ihw-names.h"

/* The object holds only the unit's name: every read goes to the registry,
 * so a stale object can never show freed data. */
typedef struct {
  IhwRegistry *reg;
  char *name;
} Unit;

static void
unit_free (gpointer p)
{
  Unit *u = p;
  g_free (u->name);
  g_free (u);
}

static IhwUnit *
lookup (Unit *u, GError **error)
{
  IhwUnit *unit = ihw_registry_lookup_unit (u->reg, u->name);
  if (!unit)
    g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "IOMMU unit %s is gone", u->name);
  return unit;
}

static gboolean
get_name (gpointer data, const char *prop, DBusMessageIter *iter, GError **error)
{
  Unit *u = data;
  return dbus_message_iter_append_basic (iter, DBUS_TYPE_STRING, &u->name);
}

static gboolean
get_vendor (gpointer data, const char *prop, DBusMessageIter *iter, GError **error)
{
  IhwUnit *unit = lookup (data, error);
  const char *vendor;
  if (!unit)
    return FALSE;
  vendor = unit->features.desc ? unit->features.desc->name : ihw_vendor_name (IHW_VENDOR_UNKNOWN);
  if (!vendor)
    vendor = "unknown";
  return dbus_message_iter_append_basic (iter, DBUS_TYPE_STRING, &vendor);
}

static gboolean
get_registers (gpointer data, const char *prop, DBusMessageIter *iter, GError **error)
{
  IhwUnit *unit = lookup (data, error);
  const IhwVendorDesc *desc;
  DBusMessageIter dict;

  if (!unit)
    return FALSE;
  desc = unit->features.desc;
  dbus_message_iter_open_container (iter, DBUS_TYPE_ARRAY, "{st}", &dict);
  for (guint i = 0; desc && i < desc->n_regs && i < IHW_MAX_REGS; i++)
    {
      DBusMessageIter entry;
      dbus_uint64_t value = unit->features.regs[i];
      if (!ihw_features_has_reg (&unit->features, i))
        continue;
      dbus_message_iter_open_container (&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
      dbus_message_iter_append_basic (&entry, DBUS_TYPE_STRING, &desc->regs[i].name);
      dbus_message_iter_append_basic (&entry, DBUS_TYPE_UINT64, &value);
      dbus_message_iter_close_container (&dict, &entry);
    }
  return dbus_message_iter_close_container (iter, &dict);
}

static gboolean
get_features (gpointer data, const char *prop, DBusMessageIter *iter, GError **error)
{
  IhwUnit *unit = lookup (data, error);
  const IhwVendorDesc *desc;
  DBusMessageIter arr;

  if (!unit)
    return FALSE;
  desc = unit->features.desc;
  dbus_message_iter_open_container (iter, DBUS_TYPE_ARRAY, "s", &arr);
  for (guint i = 0; desc && i < desc->n_fields; i++)
    {
      const IhwFieldDef *def = &desc->fields[i];
      IhwValue v;
      if (def->kind != IHW_FIELD_BOOL)
        continue;
      v = ihw_field_value (&unit->features, def);
      if (v.type == IHW_VALUE_BOOL && v.u)
        dbus_message_iter_append_basic (&arr, DBUS_TYPE_STRING, &def->key);
    }
  return dbus_message_iter_close_container (iter, &arr);
}

static gboolean
get_source (gpointer data, const char *prop, DBusMessageIter *iter, GError **error)
{
  IhwUnit *unit = lookup (data, error);
  const char *source;
  if (!unit)
    return FALSE;
  source = ihw_source_name (unit->source);
  return dbus_message_iter_append_basic (iter, DBUS_TYPE_STRING, &source);
}

static const IhwPropertyDef unit_properties[] = {
  { "Name", "s", get_name, TRUE },
  { "Vendor", "s", get_vendor, FALSE },
  { "Registers", "a{st}", get_registers, FALSE },
  { "Features", "as", get_features, FALSE },
  { "Source", "s", get_source, FALSE },
};

static const IhwInterfaceDef unit_interface = {
  .name = IHW_DBUS_UNIT_IFACE,
  .properties = unit_properties,
  .n_properties = G_N_ELEMENTS (unit_properties),
};

gboolean
ihw_unit_export (IhwBus *bus, IhwRegistry *reg, const char *name, GError **error)
{
  g_autofree char *path = ihw_unit_object_path (name);
  Unit *u = g_new0 (Unit, 1);

  u->reg = reg;
  u->name = g_strdup (name);
  return ihw_bus_export (bus, path, &unit_interface, u, unit_free, error);
}

void
ihw_unit_unexport (IhwBus *bus, const char *name)
{
  g_autofree char *path = ihw_unit_object_path (name);
  ihw_bus_unexport (bus, path);
}

void
ihw_unit_emit_changed (IhwBus *bus, const char *name)
{
  g_autofree char *path = ihw_unit_object_path (name);
  ihw_bus_emit_properties_changed (bus, path, IHW_DBUS_UNIT_IFACE, NULL);
}
