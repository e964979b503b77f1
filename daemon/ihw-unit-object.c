/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-unit-object.h"

#include "ihw-error.h"
#include "ihw-names.h"
#include "ihw-record-object.h"

static IhwUnit *
lookup (IhwRecordObject *o, GError **error)
{
  IhwUnit *unit = ihw_registry_lookup_unit (o->reg, o->name);
  if (!unit)
    g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "IOMMU unit %s is gone", o->name);
  return unit;
}

static GVariant *
get_name (gpointer data, const char *prop, GError **error)
{
  IhwRecordObject *o = data;
  return g_variant_new_string (o->name);
}

static GVariant *
get_vendor (gpointer data, const char *prop, GError **error)
{
  IhwUnit *unit = lookup (data, error);
  if (!unit)
    return NULL;
  return g_variant_new_string (unit->features.desc ? unit->features.desc->name
                                                   : ihw_vendor_name (IHW_VENDOR_UNKNOWN));
}

static GVariant *
get_registers (gpointer data, const char *prop, GError **error)
{
  IhwUnit *unit = lookup (data, error);
  const IhwVendorDesc *desc;
  GVariantBuilder b;

  if (!unit)
    return NULL;
  desc = unit->features.desc;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{st}"));
  for (guint i = 0; desc && i < desc->n_regs && i < IHW_MAX_REGS; i++)
    if (ihw_features_has_reg (&unit->features, i))
      g_variant_builder_add (&b, "{st}", desc->regs[i].name, (guint64) unit->features.regs[i]);
  return g_variant_builder_end (&b);
}

static GVariant *
get_features (gpointer data, const char *prop, GError **error)
{
  IhwUnit *unit = lookup (data, error);
  const IhwVendorDesc *desc;
  GVariantBuilder b;

  if (!unit)
    return NULL;
  desc = unit->features.desc;
  g_variant_builder_init (&b, G_VARIANT_TYPE_STRING_ARRAY);
  for (guint i = 0; desc && i < desc->n_fields; i++)
    {
      const IhwFieldDef *def = &desc->fields[i];
      IhwValue v;
      if (def->kind != IHW_FIELD_BOOL)
        continue;
      v = ihw_field_value (&unit->features, def);
      if (v.type == IHW_VALUE_BOOL && v.u)
        g_variant_builder_add (&b, "s", def->key);
    }
  return g_variant_builder_end (&b);
}

static GVariant *
get_source (gpointer data, const char *prop, GError **error)
{
  IhwUnit *unit = lookup (data, error);
  if (!unit)
    return NULL;
  return g_variant_new_string (ihw_source_name (unit->source));
}

static const IhwPropertyDef unit_properties[] = {
  { "Name", "s", get_name, TRUE },
  { "Vendor", "s", get_vendor, FALSE },
  { "Registers", "a{st}", get_registers, FALSE },
  { "Features", "as", get_features, FALSE },
  { "Source", "s", get_source, FALSE },
};

const IhwInterfaceDef ihw_unit_interface = {
  .name = IHW_DBUS_UNIT_IFACE,
  .properties = unit_properties,
  .n_properties = G_N_ELEMENTS (unit_properties),
};
