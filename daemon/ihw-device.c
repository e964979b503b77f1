/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-device.h"

#include "ihw-error.h"
#include "ihw-hwinfo.h"
#include "ihw-names.h"

/* Like units: the object holds only the address and reads the registry. */
typedef struct {
  IhwRegistry *reg;
  char *address;
} Device;

static void
device_free (gpointer p)
{
  Device *d = p;
  g_free (d->address);
  g_free (d);
}

static IhwDevice *
lookup (Device *d, GError **error)
{
  IhwDevice *dev = ihw_registry_lookup_device (d->reg, d->address);
  if (!dev)
    g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "PCI device %s is gone", d->address);
  return dev;
}

static gboolean
append_string (DBusMessageIter *iter, const char *s)
{
  if (!s)
    s = "";
  return dbus_message_iter_append_basic (iter, DBUS_TYPE_STRING, &s);
}

static gboolean
get_property (gpointer data, const char *prop, DBusMessageIter *iter, GError **error)
{
  Device *d = data;
  IhwDevice *dev = lookup (d, error);

  if (!dev)
    return FALSE;

  if (g_str_equal (prop, "Address"))
    return append_string (iter, dev->address);
  if (g_str_equal (prop, "Unit"))
    {
      g_autofree char *path = dev->unit && *dev->unit ? ihw_unit_object_path (dev->unit) : g_strdup ("/");
      const char *p = path;
      return dbus_message_iter_append_basic (iter, DBUS_TYPE_OBJECT_PATH, &p);
    }
  if (g_str_equal (prop, "Driver"))
    return append_string (iter, dev->driver);
  if (g_str_equal (prop, "IommuGroup"))
    {
      dbus_int32_t group = dev->iommu_group;
      return dbus_message_iter_append_basic (iter, DBUS_TYPE_INT32, &group);
    }
  if (g_str_equal (prop, "VfioCdev"))
    return append_string (iter, dev->vfio_cdev);
  if (g_str_equal (prop, "HwInfoType"))
    {
      dbus_uint32_t type = dev->has_hw_info ? dev->hw_info_type : 0;
      return dbus_message_iter_append_basic (iter, DBUS_TYPE_UINT32, &type);
    }
  if (g_str_equal (prop, "HwInfoTypeName"))
    {
      g_autofree char *name = ihw_hw_info_type_describe (dev->has_hw_info ? dev->hw_info_type : 0);
      return append_string (iter, name);
    }
  if (g_str_equal (prop, "HwInfoData"))
    {
      DBusMessageIter arr;
      gsize len = 0;
      const guint8 *bytes = dev->has_hw_info && dev->hw_info_data ? g_bytes_get_data (dev->hw_info_data, &len)
                                                                   : NULL;
      dbus_message_iter_open_container (iter, DBUS_TYPE_ARRAY, "y", &arr);
      if (bytes && len)
        dbus_message_iter_append_fixed_array (&arr, DBUS_TYPE_BYTE, &bytes, (int) len);
      return dbus_message_iter_close_container (iter, &arr);
    }
  if (g_str_equal (prop, "Capabilities"))
    {
      dbus_uint64_t caps = dev->has_hw_info ? dev->capabilities : 0;
      return dbus_message_iter_append_basic (iter, DBUS_TYPE_UINT64, &caps);
    }
  if (g_str_equal (prop, "MaxPasidLog2"))
    {
      unsigned char v = dev->has_hw_info ? dev->max_pasid_log2 : 0;
      return dbus_message_iter_append_basic (iter, DBUS_TYPE_BYTE, &v);
    }
  if (g_str_equal (prop, "NestParent"))
    return append_string (iter, ihw_nest_parent_name (dev->nest_parent));
  if (g_str_equal (prop, "Source"))
    return append_string (iter, ihw_source_name (dev->source));
  if (g_str_equal (prop, "UpdatedUsec"))
    {
      dbus_uint64_t t = dev->updated_usec;
      return dbus_message_iter_append_basic (iter, DBUS_TYPE_UINT64, &t);
    }

  g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "no getter for Device.%s", prop);
  return FALSE;
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
  { "Source", "s", get_property, FALSE },
  { "UpdatedUsec", "t", get_property, FALSE },
};

static const IhwInterfaceDef device_interface = {
  .name = IHW_DBUS_DEVICE_IFACE,
  .properties = device_properties,
  .n_properties = G_N_ELEMENTS (device_properties),
};

gboolean
ihw_device_export (IhwBus *bus, IhwRegistry *reg, const char *address, GError **error)
{
  g_autofree char *path = ihw_device_object_path (address);
  Device *d = g_new0 (Device, 1);

  d->reg = reg;
  d->address = g_strdup (address);
  return ihw_bus_export (bus, path, &device_interface, d, device_free, error);
}

void
ihw_device_unexport (IhwBus *bus, const char *address)
{
  g_autofree char *path = ihw_device_object_path (address);
  ihw_bus_unexport (bus, path);
}

void
ihw_device_emit_changed (IhwBus *bus, const char *address)
{
  g_autofree char *path = ihw_device_object_path (address);
  ihw_bus_emit_properties_changed (bus, path, IHW_DBUS_DEVICE_IFACE, NULL);
}
