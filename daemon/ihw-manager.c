/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-manager.h"

#include <string.h>

#include "ihw-device.h"
#include "ihw-error.h"
#include "ihw-negotiate.h"
#include "ihw-names.h"
#include "ihw-unit.h"

struct _IhwManager {
  IhwBus *bus;
  IhwRegistry *reg;
  IhwRequest defaults;
  guint changed_idle;  /* coalesces the Manager's PropertiesChanged */
};

/* Text from a caller, cut short for error messages. */
#define SHOWN "%.80s"

/* ------------------------------------------------------------------ */
/* Validation at the door                                              */

static gboolean
read_model (DBusMessageIter *iter, IhwModel *model, GError **error)
{
  const char *name;

  dbus_message_iter_get_basic (iter, &name);
  if (ihw_model_from_name (name, model))
    return TRUE;
  g_set_error (error, IHW_ERROR, IHW_ERROR_UNKNOWN_MODEL,
               "unknown vIOMMU model '" SHOWN "' (known: intel, smmuv3, amd, virtio)", name);
  return FALSE;
}

/* An `as` of PCI addresses: bounded, each valid, normalized, duplicates
 * dropped.  `allow_empty` for Refresh (empty = everything). */
static GPtrArray *
read_addresses (DBusMessageIter *iter, gboolean allow_empty, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  DBusMessageIter arr;
  int n = dbus_message_iter_get_element_count (iter);
  guint i = 0;

  if (n > IHW_MAX_DEVICES_PER_REQUEST)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT,
                   "devices: %d addresses given, at most %d per request", n, IHW_MAX_DEVICES_PER_REQUEST);
      return NULL;
    }
  if (n == 0 && !allow_empty)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT,
                   "devices: the list is empty; give the PCI addresses (DDDD:BB:DD.F) of the assigned devices");
      return NULL;
    }

  dbus_message_iter_recurse (iter, &arr);
  for (; dbus_message_iter_get_arg_type (&arr) == DBUS_TYPE_STRING; dbus_message_iter_next (&arr), i++)
    {
      const char *a;
      char *norm;

      dbus_message_iter_get_basic (&arr, &a);
      norm = ihw_pci_address_normalize (a);
      if (!norm)
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT,
                       "devices[%u]: '" SHOWN "' is not a PCI address like 0000:3a:00.0 (DDDD:BB:DD.F)", i, a);
          return NULL;
        }
      if (g_ptr_array_find_with_equal_func (out, norm, g_str_equal, NULL))
        g_free (norm);
      else
        g_ptr_array_add (out, norm);
    }
  return g_steal_pointer (&out);
}

/* The a{sv} request, on top of the daemon's defaults. */
static gboolean
read_request (DBusMessageIter *iter, const IhwRequest *defaults, IhwRequest *req, GError **error)
{
  DBusMessageIter dict;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  *req = *defaults;
  dbus_message_iter_recurse (iter, &dict);
  for (; dbus_message_iter_get_arg_type (&dict) == DBUS_TYPE_DICT_ENTRY; dbus_message_iter_next (&dict))
    {
      DBusMessageIter entry, var;
      const char *key, *want;
      g_autofree char *sig = NULL;

      dbus_message_iter_recurse (&dict, &entry);
      dbus_message_iter_get_basic (&entry, &key);
      dbus_message_iter_next (&entry);
      dbus_message_iter_recurse (&entry, &var);

      /* The keys, their types and ranges are common's (ihw-verdict.c), the
       * same table ihw_request_from_variant() reads. */
      want = ihw_request_key_signature (key);
      if (!want)
        {
          ihw_request_set_checked (req, key, 0, error); /* the unknown-key error */
          g_prefix_error (error, "request: ");
          return FALSE;
        }
      if (!g_hash_table_add (seen, g_strdup (key)))
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT, "request: key '%s' given twice", key);
          return FALSE;
        }
      sig = dbus_message_iter_get_signature (&var);
      if (!sig || strcmp (sig, want) != 0)
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT,
                       "request: key '%s' must be of type '%s' (%s), not '" SHOWN "'", key, want,
                       want[0] == 's' ? "string" : want[0] == 'u' ? "uint32" : "boolean", sig ? sig : "?");
          return FALSE;
        }

      if (want[0] == 's')
        {
          const char *text;
          dbus_message_iter_get_basic (&var, &text);
          req->has_qemu_version = FALSE;
          if (!ihw_request_set_qemu_version (req, text, error))
            {
              g_prefix_error (error, "request: ");
              return FALSE;
            }
        }
      else
        {
          guint64 v;
          if (want[0] == 'u')
            {
              dbus_uint32_t u;
              dbus_message_iter_get_basic (&var, &u);
              v = u;
            }
          else
            {
              dbus_bool_t bv;
              dbus_message_iter_get_basic (&var, &bv);
              v = bv ? 1 : 0;
            }
          if (!ihw_request_set_checked (req, key, v, error))
            {
              g_prefix_error (error, "request: ");
              return FALSE;
            }
        }
    }
  return TRUE;
}

static IhwDevice *
find_device (IhwManager *mgr, const char *address, GError **error)
{
  IhwDevice *dev = ihw_registry_lookup_device (mgr->reg, address);
  if (!dev)
    g_set_error (error, IHW_ERROR, IHW_ERROR_NO_SUCH_DEVICE,
                 "no PCI device %s on this host (see the Devices property for the known ones)", address);
  return dev;
}

/* The (model, devices, request) arguments of CheckNesting and Negotiate,
 * checked, as verdict input.  `features` is the storage the facts point to. */
typedef struct {
  IhwModel model;
  GPtrArray *addresses;
  IhwRequest req;
  IhwFeatures *features;
  IhwDeviceFacts *facts;
} NestingArgs;

static void
nesting_args_clear (NestingArgs *a)
{
  g_clear_pointer (&a->addresses, g_ptr_array_unref);
  g_clear_pointer (&a->features, g_free);
  g_clear_pointer (&a->facts, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (NestingArgs, nesting_args_clear)

static void
fill_facts (IhwManager *mgr, IhwDevice *dev, IhwFeatures *features, IhwDeviceFacts *facts)
{
  memset (features, 0, sizeof *features);
  memset (facts, 0, sizeof *facts);
  ihw_registry_device_facts (mgr->reg, dev, features, facts);
  if (!facts->device)
    facts->device = dev->address;
}

static gboolean
read_nesting_args (IhwManager *mgr, DBusMessage *msg, NestingArgs *a, GError **error)
{
  DBusMessageIter iter;

  dbus_message_iter_init (msg, &iter);
  if (!read_model (&iter, &a->model, error))
    return FALSE;
  dbus_message_iter_next (&iter);
  a->addresses = read_addresses (&iter, FALSE, error);
  if (!a->addresses)
    return FALSE;
  dbus_message_iter_next (&iter);
  if (!read_request (&iter, &mgr->defaults, &a->req, error))
    return FALSE;

  a->features = g_new0 (IhwFeatures, a->addresses->len);
  a->facts = g_new0 (IhwDeviceFacts, a->addresses->len);
  for (guint i = 0; i < a->addresses->len; i++)
    {
      IhwDevice *dev = find_device (mgr, a->addresses->pdata[i], error);
      if (!dev)
        return FALSE;
      fill_facts (mgr, dev, &a->features[i], &a->facts[i]);
    }
  return TRUE;
}

static void
append_reasons (DBusMessageIter *iter, const IhwResult *res)
{
  DBusMessageIter arr;

  dbus_message_iter_open_container (iter, DBUS_TYPE_ARRAY, "(ssss)", &arr);
  for (guint i = 0; i < res->reasons->len; i++)
    {
      const IhwReason *r = res->reasons->pdata[i];
      const char *fields[] = { r->device ? r->device : "", r->requirement ? r->requirement : "",
                               r->needed ? r->needed : "", r->found ? r->found : "" };
      DBusMessageIter row;

      dbus_message_iter_open_container (&arr, DBUS_TYPE_STRUCT, NULL, &row);
      for (guint j = 0; j < G_N_ELEMENTS (fields); j++)
        {
          /* Reasons carry sysfs-derived text: never send invalid UTF-8. */
          const char *s = g_utf8_validate (fields[j], -1, NULL) ? fields[j] : "?";
          dbus_message_iter_append_basic (&row, DBUS_TYPE_STRING, &s);
        }
      dbus_message_iter_close_container (&arr, &row);
    }
  dbus_message_iter_close_container (iter, &arr);
}

/* ------------------------------------------------------------------ */
/* Methods                                                             */

static DBusMessage *
handle_check_nesting (IhwCall *call, GError **error)
{
  IhwManager *mgr = call->user_data;
  g_auto(NestingArgs) a = { 0 };
  g_autoptr(IhwResult) res = NULL;
  DBusMessage *reply;
  DBusMessageIter iter;
  const char *verdict;

  if (!read_nesting_args (mgr, call->message, &a, error))
    return NULL;

  res = ihw_check_nesting (a.model, a.facts, a.addresses->len, &a.req);
  verdict = ihw_verdict_name (res->verdict);
  g_debug ("CheckNesting %s on %u device(s): %s, %u reason(s)", ihw_model_name (a.model), a.addresses->len,
           verdict, res->reasons->len);

  reply = ihw_call_new_reply (call);
  dbus_message_iter_init_append (reply, &iter);
  dbus_message_iter_append_basic (&iter, DBUS_TYPE_STRING, &verdict);
  append_reasons (&iter, res);
  return reply;
}

/* One basic value of the negotiated a{sv} (s, u, b: the request keys). */
static void
append_basic_variant (DBusMessageIter *iter, GVariant *v)
{
  DBusMessageIter var;
  const char *sig = g_variant_get_type_string (v);

  dbus_message_iter_open_container (iter, DBUS_TYPE_VARIANT, sig, &var);
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_STRING))
    {
      const char *s = g_variant_get_string (v, NULL);
      dbus_message_iter_append_basic (&var, DBUS_TYPE_STRING, &s);
    }
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_UINT32))
    {
      dbus_uint32_t u = g_variant_get_uint32 (v);
      dbus_message_iter_append_basic (&var, DBUS_TYPE_UINT32, &u);
    }
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_BOOLEAN))
    {
      dbus_bool_t b = g_variant_get_boolean (v) ? TRUE : FALSE;
      dbus_message_iter_append_basic (&var, DBUS_TYPE_BOOLEAN, &b);
    }
  dbus_message_iter_close_container (iter, &var);
}

static DBusMessage *
handle_negotiate (IhwCall *call, GError **error)
{
  IhwManager *mgr = call->user_data;
  g_auto(NestingArgs) a = { 0 };
  g_autoptr(IhwNegotiation) n = NULL;
  g_autoptr(GVariant) config = NULL;
  g_autofree char *xml = NULL;
  g_auto(GStrv) args = NULL;
  DBusMessage *reply;
  DBusMessageIter iter, dict, arr;
  GVariantIter it;
  const char *key, *verdict, *s;
  GVariant *value;

  if (!read_nesting_args (mgr, call->message, &a, error))
    return NULL;

  /* The daemon's configured QEMU is already in the request (defaults). */
  n = ihw_negotiate (a.model, a.facts, a.addresses->len, &a.req);
  config = g_variant_ref_sink (ihw_negotiation_config (n));
  xml = ihw_negotiation_libvirt_xml (n);
  args = ihw_negotiation_qemu_args (n);
  verdict = ihw_verdict_name (n->verdict);
  g_debug ("Negotiate %s on %u device(s): %s", ihw_model_name (a.model), a.addresses->len, verdict);

  reply = ihw_call_new_reply (call);
  dbus_message_iter_init_append (reply, &iter);
  dbus_message_iter_append_basic (&iter, DBUS_TYPE_STRING, &verdict);

  dbus_message_iter_open_container (&iter, DBUS_TYPE_ARRAY, "{sv}", &dict);
  g_variant_iter_init (&it, config);
  while (g_variant_iter_loop (&it, "{&sv}", &key, &value))
    {
      DBusMessageIter entry;
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) && !g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32) &&
          !g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
        continue; /* only the SPEC's request key types go out */
      dbus_message_iter_open_container (&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
      dbus_message_iter_append_basic (&entry, DBUS_TYPE_STRING, &key);
      append_basic_variant (&entry, value);
      dbus_message_iter_close_container (&dict, &entry);
    }
  dbus_message_iter_close_container (&iter, &dict);

  s = xml ? xml : "";
  dbus_message_iter_append_basic (&iter, DBUS_TYPE_STRING, &s);
  dbus_message_iter_open_container (&iter, DBUS_TYPE_ARRAY, "s", &arr);
  for (guint i = 0; args && args[i]; i++)
    dbus_message_iter_append_basic (&arr, DBUS_TYPE_STRING, &args[i]);
  dbus_message_iter_close_container (&iter, &arr);
  append_reasons (&iter, n->result);
  return reply;
}

static DBusMessage *
handle_get_hw_info (IhwCall *call, GError **error)
{
  IhwManager *mgr = call->user_data;
  DBusMessageIter iter, arr;
  const char *address;
  g_autofree char *norm = NULL;
  IhwDevice *dev;
  DBusMessage *reply;
  dbus_uint32_t type = 0;
  dbus_uint64_t caps = 0;
  unsigned char pasid = 0;
  const guint8 *bytes = NULL;
  gsize len = 0;
  const char *source;

  dbus_message_iter_init (call->message, &iter);
  dbus_message_iter_get_basic (&iter, &address);
  norm = ihw_pci_address_normalize (address);
  if (!norm)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT,
                   "device: '" SHOWN "' is not a PCI address like 0000:3a:00.0 (DDDD:BB:DD.F)", address);
      return NULL;
    }
  dev = find_device (mgr, norm, error);
  if (!dev)
    return NULL;

  /* Only the kernel's answer is returned: a device never probed says so
   * through type 0, no data and its source. */
  if (dev->has_hw_info)
    {
      type = dev->hw_info_type;
      caps = dev->capabilities;
      pasid = dev->max_pasid_log2;
      if (dev->hw_info_data)
        bytes = g_bytes_get_data (dev->hw_info_data, &len);
    }
  source = ihw_source_name (dev->source);

  reply = ihw_call_new_reply (call);
  dbus_message_iter_init_append (reply, &iter);
  dbus_message_iter_append_basic (&iter, DBUS_TYPE_UINT32, &type);
  dbus_message_iter_open_container (&iter, DBUS_TYPE_ARRAY, "y", &arr);
  if (bytes && len)
    dbus_message_iter_append_fixed_array (&arr, DBUS_TYPE_BYTE, &bytes, (int) len);
  dbus_message_iter_close_container (&iter, &arr);
  dbus_message_iter_append_basic (&iter, DBUS_TYPE_UINT64, &caps);
  dbus_message_iter_append_basic (&iter, DBUS_TYPE_BYTE, &pasid);
  dbus_message_iter_append_basic (&iter, DBUS_TYPE_STRING, &source);
  return reply;
}

static DBusMessage *
handle_refresh (IhwCall *call, GError **error)
{
  IhwManager *mgr = call->user_data;
  g_autoptr(GPtrArray) addresses = NULL;
  DBusMessageIter iter;
  uid_t uid;

  /* Privileged: the bus policy lets everyone call it, the daemon decides
   * from the caller's credentials as the bus saw them. */
  if (!ihw_call_get_unix_user (call, &uid, error))
    return NULL;
  if (uid != 0)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_ACCESS_DENIED,
                   "Refresh re-probes devices and needs root; the caller runs as uid %u", (guint) uid);
      return NULL;
    }

  dbus_message_iter_init (call->message, &iter);
  addresses = read_addresses (&iter, TRUE, error);
  if (!addresses)
    return NULL;
  for (guint i = 0; i < addresses->len; i++)
    if (!find_device (mgr, addresses->pdata[i], error))
      return NULL;
  g_ptr_array_add (addresses, NULL);

  g_info ("Refresh of %s requested by %s", addresses->len > 1 ? "some devices" : "everything", call->sender);
  if (!ihw_registry_refresh (mgr->reg, addresses->len > 1 ? (const char *const *) addresses->pdata : NULL, error))
    return NULL;
  return ihw_call_new_reply (call);
}

static const IhwMethodDef manager_methods[] = {
  { "CheckNesting", "sasa{sv}", "sa(ssss)", handle_check_nesting },
  { "Negotiate", "sasa{sv}", "sa{sv}sasa(ssss)", handle_negotiate },
  { "GetHwInfo", "s", "uaytys", handle_get_hw_info },
  { "Refresh", "as", "", handle_refresh },
};

/* ------------------------------------------------------------------ */
/* Properties                                                          */

static gboolean
append_paths (DBusMessageIter *iter, GPtrArray *items, gboolean units)
{
  DBusMessageIter arr;

  dbus_message_iter_open_container (iter, DBUS_TYPE_ARRAY, "o", &arr);
  for (guint i = 0; items && i < items->len; i++)
    {
      g_autofree char *path = units ? ihw_unit_object_path (((IhwUnit *) items->pdata[i])->name)
                                    : ihw_device_object_path (((IhwDevice *) items->pdata[i])->address);
      const char *p = path;
      dbus_message_iter_append_basic (&arr, DBUS_TYPE_OBJECT_PATH, &p);
    }
  return dbus_message_iter_close_container (iter, &arr);
}

/* Models for which every vfio-pci device is `supported` by default. */
static gboolean
append_nesting_models (IhwManager *mgr, DBusMessageIter *iter)
{
  GPtrArray *devices = ihw_registry_get_devices (mgr->reg);
  g_autofree IhwFeatures *features = g_new0 (IhwFeatures, devices ? devices->len : 0);
  g_autofree IhwDeviceFacts *facts = g_new0 (IhwDeviceFacts, devices ? devices->len : 0);
  guint n = 0;
  DBusMessageIter arr;

  for (guint i = 0; devices && i < devices->len; i++)
    {
      IhwDevice *dev = devices->pdata[i];
      if (g_strcmp0 (dev->driver, "vfio-pci") == 0)
        {
          fill_facts (mgr, dev, &features[n], &facts[n]);
          n++;
        }
    }

  dbus_message_iter_open_container (iter, DBUS_TYPE_ARRAY, "s", &arr);
  for (IhwModel m = 0; n > 0 && m < IHW_MODEL_LAST; m++)
    {
      g_autoptr(IhwResult) res = ihw_check_nesting (m, facts, n, &mgr->defaults);
      if (res->verdict == IHW_VERDICT_SUPPORTED)
        {
          const char *name = ihw_model_name (m);
          dbus_message_iter_append_basic (&arr, DBUS_TYPE_STRING, &name);
        }
    }
  return dbus_message_iter_close_container (iter, &arr);
}

static gboolean
get_property (gpointer data, const char *prop, DBusMessageIter *iter, GError **error)
{
  IhwManager *mgr = data;

  if (g_str_equal (prop, "Version"))
    {
      const char *v = PACKAGE_VERSION;
      return dbus_message_iter_append_basic (iter, DBUS_TYPE_STRING, &v);
    }
  if (g_str_equal (prop, "IommufdAvailable"))
    {
      dbus_bool_t b = ihw_registry_iommufd_available (mgr->reg) ? TRUE : FALSE;
      return dbus_message_iter_append_basic (iter, DBUS_TYPE_BOOLEAN, &b);
    }
  if (g_str_equal (prop, "Units"))
    return append_paths (iter, ihw_registry_get_units (mgr->reg), TRUE);
  if (g_str_equal (prop, "Devices"))
    return append_paths (iter, ihw_registry_get_devices (mgr->reg), FALSE);
  if (g_str_equal (prop, "NestingModels"))
    return append_nesting_models (mgr, iter);

  g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "no getter for Manager.%s", prop);
  return FALSE;
}

static const IhwPropertyDef manager_properties[] = {
  { "Version", "s", get_property, TRUE },
  { "IommufdAvailable", "b", get_property, FALSE },
  { "Units", "ao", get_property, FALSE },
  { "Devices", "ao", get_property, FALSE },
  { "NestingModels", "as", get_property, FALSE },
};

static const IhwInterfaceDef manager_interface = {
  .name = IHW_DBUS_MANAGER_IFACE,
  .methods = manager_methods,
  .n_methods = G_N_ELEMENTS (manager_methods),
  .properties = manager_properties,
  .n_properties = G_N_ELEMENTS (manager_properties),
};

/* ------------------------------------------------------------------ */
/* Registry events                                                     */

static gboolean
emit_manager_changed (gpointer data)
{
  IhwManager *mgr = data;
  mgr->changed_idle = 0;
  ihw_bus_emit_properties_changed (mgr->bus, IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, NULL);
  return G_SOURCE_REMOVE;
}

/* One PropertiesChanged on the root per burst of registry events (a full
 * Refresh changes every device). */
static void
manager_changed_later (IhwManager *mgr)
{
  if (!mgr->changed_idle)
    mgr->changed_idle = g_idle_add (emit_manager_changed, mgr);
}

static void
registry_changed (IhwRegistry *reg, IhwRegistryEvent ev, IhwObjectKind kind, const char *name, gpointer data)
{
  IhwManager *mgr = data;
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  switch (ev)
    {
    case IHW_REGISTRY_ADDED:
      ok = kind == IHW_OBJECT_UNIT ? ihw_unit_export (mgr->bus, reg, name, &error)
                                   : ihw_device_export (mgr->bus, reg, name, &error);
      break;
    case IHW_REGISTRY_CHANGED:
      if (kind == IHW_OBJECT_UNIT)
        ihw_unit_emit_changed (mgr->bus, name);
      else
        ihw_device_emit_changed (mgr->bus, name);
      break;
    case IHW_REGISTRY_REMOVED:
      if (kind == IHW_OBJECT_UNIT)
        ihw_unit_unexport (mgr->bus, name);
      else
        ihw_device_unexport (mgr->bus, name);
      break;
    }
  if (!ok)
    g_warning ("Cannot export %s %s: %s", kind == IHW_OBJECT_UNIT ? "unit" : "device", name, error->message);
  manager_changed_later (mgr);
}

/* ------------------------------------------------------------------ */

IhwManager *
ihw_manager_new (IhwBus *bus, IhwRegistry *reg, const IhwRequest *defaults, GError **error)
{
  g_autoptr(IhwManager) mgr = g_new0 (IhwManager, 1);
  GPtrArray *units, *devices;

  mgr->bus = bus;
  mgr->reg = reg;
  if (defaults)
    mgr->defaults = *defaults;

  if (!ihw_bus_export (bus, IHW_DBUS_PATH, &manager_interface, mgr, NULL, error))
    return NULL;

  units = ihw_registry_get_units (reg);
  for (guint i = 0; units && i < units->len; i++)
    if (!ihw_unit_export (bus, reg, ((IhwUnit *) units->pdata[i])->name, error))
      return NULL;
  devices = ihw_registry_get_devices (reg);
  for (guint i = 0; devices && i < devices->len; i++)
    if (!ihw_device_export (bus, reg, ((IhwDevice *) devices->pdata[i])->address, error))
      return NULL;

  ihw_registry_set_listener (reg, registry_changed, mgr);
  return g_steal_pointer (&mgr);
}

void
ihw_manager_free (IhwManager *mgr)
{
  if (!mgr)
    return;
  ihw_registry_set_listener (mgr->reg, NULL, NULL);
  if (mgr->changed_idle)
    g_source_remove (mgr->changed_idle);
  ihw_bus_unexport (mgr->bus, IHW_DBUS_PATH);
  g_free (mgr);
}
