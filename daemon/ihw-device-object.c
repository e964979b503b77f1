/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-device-object.h"

#include "ihw-error.h"
#include "ihw-hwinfo.h"
#include "ihw-names.h"
#include "ihw-record-object.h"

static IhwDevice *
lookup (IhwRecordObject *o, GError **error)
{
  IhwDevice *dev = ihw_registry_lookup_device (o->reg, o->name);
  if (!dev)
    g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "PCI device %s is gone", o->name);
  return dev;
}

static GVariant *
string_value (const char *s)
{
  return g_variant_new_string (s ? s : "");
}

/* The kernel's answer about add-on `want`: unknown unless it is the add-on
 * of the device's hw_info type. */
static IhwTristate
addon_answer (const IhwDevice *dev, const IhwVendorDesc *want, GBytes **data_out)
{
  const IhwVendorDesc *addon = dev->has_hw_info ? ihw_vendor_desc_addon_of (dev->hw_info_type) : NULL;

  *data_out = NULL;
  if (addon != want)
    return IHW_TRISTATE_UNKNOWN;
  if (dev->hw_addon == IHW_TRISTATE_YES)
    *data_out = dev->hw_addon_data;
  return dev->hw_addon;
}

static GVariant *
bytes_value (GBytes *bytes)
{
  if (bytes)
    return g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE);
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, NULL, 0, 1);
}

static GVariant *
get_property (gpointer data, const char *prop, GError **error)
{
  IhwDevice *dev = lookup (data, error);
  gboolean hw = dev && dev->has_hw_info;

  if (!dev)
    return NULL;

  if (g_str_equal (prop, "Address"))
    return string_value (dev->address);
  if (g_str_equal (prop, "Unit"))
    {
      g_autofree char *path = dev->unit && *dev->unit ? ihw_unit_object_path (dev->unit) : g_strdup ("/");
      return g_variant_new_object_path (path);
    }
  if (g_str_equal (prop, "Driver"))
    return string_value (dev->driver ? dev->driver : "unknown");
  if (g_str_equal (prop, "IommuGroup"))
    return g_variant_new_int32 (dev->iommu_group);
  if (g_str_equal (prop, "VfioCdev"))
    return string_value (dev->vfio_cdev);
  if (g_str_equal (prop, "HwInfoType"))
    return g_variant_new_uint32 (hw ? dev->hw_info_type : 0);
  if (g_str_equal (prop, "HwInfoTypeName"))
    {
      g_autofree char *name = ihw_hw_info_type_describe (hw ? dev->hw_info_type : 0);
      return string_value (name);
    }
  if (g_str_equal (prop, "HwInfoData"))
    return bytes_value (hw ? dev->hw_info_data : NULL);
  if (g_str_equal (prop, "Capabilities"))
    return g_variant_new_uint64 (hw ? dev->capabilities : 0);
  if (g_str_equal (prop, "MaxPasidLog2"))
    return g_variant_new_byte (hw ? dev->max_pasid_log2 : 0);
  if (g_str_equal (prop, "NestParent"))
    return string_value (ihw_nest_parent_name (dev->nest_parent));
  {
    gboolean want_bytes = FALSE;
    const IhwVendorDesc *addon = ihw_vendor_desc_addon_by_property (prop, &want_bytes);
    if (addon)
      {
        GBytes *bytes;
        IhwTristate answer = addon_answer (dev, addon, &bytes);
        return want_bytes ? bytes_value (bytes) : string_value (ihw_tristate_name (answer));
      }
  }
  if (g_str_equal (prop, "Source"))
    return string_value (ihw_source_name (dev->source));
  if (g_str_equal (prop, "UpdatedUsec"))
    return g_variant_new_uint64 (dev->updated_usec);
  if (g_str_equal (prop, "HostAwBits") || g_str_equal (prop, "HostAwBitsSource"))
    {
      /* what the verdicts use: the same facts CheckNesting reads */
      IhwFeatures f;
      IhwDeviceFacts facts;
      ihw_registry_device_facts (((IhwRecordObject *) data)->reg, dev, &f, &facts);
      if (g_str_equal (prop, "HostAwBits"))
        return g_variant_new_byte ((guint8) facts.host_aw_bits);
      return string_value (facts.host_aw_bits ? facts.host_aw_bits_from : "");
    }

  g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "no getter for Device.%s", prop);
  return NULL;
}

static const IhwPropertyDef device_properties[] = {
  { "Address", "s", get_property, TRUE },
  { "Unit", "o", get_property, FALSE },
  { "Driver", "s", get_property, FALSE },
  { "IommuGroup", "i", get_property, FALSE },
  { "VfioCdev", "s", get_property, FALSE },
  { "HwInfoType", "u", get_property, FALSE },
  { "HwInfoTypeName", "s", get_property, FALSE },
  { "HwInfoData", "ay", get_property, FALSE },
  { "Capabilities", "t", get_property, FALSE },
  { "MaxPasidLog2", "y", get_property, FALSE },
  { "NestParent", "s", get_property, FALSE },
  { "Cmdqv", "s", get_property, FALSE },
  { "CmdqvHwInfo", "ay", get_property, FALSE },
  { "Source", "s", get_property, FALSE },
  { "UpdatedUsec", "t", get_property, FALSE },
  { "HostAwBits", "y", get_property, FALSE },
  { "HostAwBitsSource", "s", get_property, FALSE },
};

const IhwInterfaceDef ihw_device_interface = {
  .name = IHW_DBUS_DEVICE_IFACE,
  .properties = device_properties,
  .n_properties = G_N_ELEMENTS (device_properties),
};
