/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-manager.h"

#include <string.h>

#include "ihw-device-object.h"
#include "ihw-error.h"
#include "ihw-names.h"
#include "ihw-negotiate.h"
#include "ihw-record-object.h"
#include "ihw-unit-object.h"

/* NestingModels judged device by device, so that an event re-judges only
 * the devices it names.  A check of {first, d1, ..., dn} is the worst of
 * the check of {first} alone (the model rows and the first device's, `base`)
 * and each other device's own rows judged with the first (QEMU's `auto`
 * defaults resolve from the first device): ihw_check_device_verdicts(). */
typedef struct {
  gboolean valid;        /* FALSE: judge everything again on the next read */
  char *first;           /* the first vfio-pci device (address order), NULL if none */
  IhwVerdict base[IHW_MODEL_LAST];
  GHashTable *failing;   /* address -> GUINT_TO_POINTER (1 + bit mask of the models it fails) */
  guint n_failing[IHW_MODEL_LAST];
  GHashTable *dirty;     /* addresses an event named since */
} ModelVerdicts;

struct _IhwManager {
  IhwBus *bus;
  IhwRegistry *reg;
  IhwRequest defaults;
  guint changed_idle;  /* coalesces the Manager's PropertiesChanged */
  /* Units, Devices and NestingModels as last built: a read costs a bus
   * round trip, not a verdict per device.  NestingModels is dropped on
   * every registry event and new defaults (manager_changed_later), and when
   * /dev/iommu came (the facts depend on it; it may open in a rescan that
   * changes nothing); the lists only when a record comes or goes. */
  GVariant *cached[3];
  gboolean cached_iommufd;
  guint64 generation;  /* moves with every drop: the bus keeps large replies while it stays */
  ModelVerdicts verdicts;
};

/* Text from a caller, cut short for error messages. */
#define SHOWN "%.80s"

/* ------------------------------------------------------------------ */
/* Validation at the door                                              */

static gboolean
read_model (const char *name, IhwModel *model, GError **error)
{
  if (ihw_model_from_name (name, model))
    return TRUE;
  g_set_error (error, IHW_ERROR, IHW_ERROR_UNKNOWN_MODEL,
               "unknown vIOMMU model '" SHOWN "' (known: intel, smmuv3, amd, virtio)", name);
  return FALSE;
}

/* An `as` of PCI addresses: bounded, each valid, normalized, duplicates
 * dropped.  `allow_empty` for Refresh (empty = everything). */
static GPtrArray *
read_addresses (GVariant *list, gboolean allow_empty, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = NULL;
  gsize n = g_variant_n_children (list);
  g_autofree const char **given = NULL;

  if (n > IHW_MAX_DEVICES_PER_REQUEST)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT,
                   "devices: %" G_GSIZE_FORMAT " addresses given, at most %d per request", n,
                   IHW_MAX_DEVICES_PER_REQUEST);
      return NULL;
    }
  if (n == 0 && !allow_empty)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT,
                   "devices: the list is empty; give the PCI addresses (DDDD:BB:DD.F) of the assigned devices");
      return NULL;
    }

  given = g_variant_get_strv (list, NULL);
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (gsize i = 0; i < n; i++)
    {
      const char *a = given[i];
      char *norm;

      norm = ihw_pci_address_normalize (a);
      if (!norm)
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT,
                       "devices[%" G_GSIZE_FORMAT "]: '" SHOWN "' is not a PCI address like 0000:3a:00.0 (DDDD:BB:DD.F)",
                       i, a);
          return NULL;
        }
      if (!g_hash_table_add (seen, norm))
        g_free (norm);
      else
        g_ptr_array_add (out, norm);
    }
  return g_steal_pointer (&out);
}

static IhwDevice *
find_device (IhwManager *mgr, const char *address, GError **error)
{
  IhwDevice *dev = ihw_registry_lookup_device (mgr->reg, address);
  if (!dev)
    g_set_error (error, IHW_ERROR, IHW_ERROR_NO_SUCH_DEVICE,
                 "no PCI device %s on this host ('iommu-hwinfoctl list' shows the known ones)", address);
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

/* (s model, as devices, a{sv} request): the request goes on top of the
 * daemon's defaults, through common's one reader. */
static gboolean
read_nesting_args (IhwManager *mgr, GVariant *args, NestingArgs *a, GError **error)
{
  const char *model;
  g_autoptr(GVariant) devices = NULL;
  g_autoptr(GVariant) request = NULL;

  g_variant_get (args, "(&s@as@a{sv})", &model, &devices, &request);
  if (!read_model (model, &a->model, error))
    return FALSE;
  a->addresses = read_addresses (devices, FALSE, error);
  if (!a->addresses)
    return FALSE;
  a->req = mgr->defaults;
  if (!ihw_request_update_from_variant (&a->req, request, error))
    return FALSE;
  /* A key QEMU needs set one way in every VM that assigns a device (intel
   * caching-mode=on) is assumed so unless the request says otherwise: the
   * question is whether the host can nest with these devices, and a request
   * from a VM's real configuration (the libvirt hook) states it. */
  ihw_request_fill_required (a->model, 0, &a->req);

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

/* The a(ssss) of the reasons (every call answers with one: children made
 * directly, no format strings to parse). */
static GVariant *
reasons_variant (const IhwResult *res)
{
  g_autofree GVariant **rows = g_new (GVariant *, res->reasons->len);

  for (guint i = 0; i < res->reasons->len; i++)
    {
      const IhwReason *r = res->reasons->pdata[i];
      const char *fields[] = { r->device, r->requirement, r->needed, r->found };
      GVariant *cells[G_N_ELEMENTS (fields)];

      for (guint j = 0; j < G_N_ELEMENTS (fields); j++)
        {
          /* Reasons carry sysfs-derived text: never send invalid UTF-8. */
          const char *s = fields[j] ? fields[j] : "";
          cells[j] = g_variant_new_string (g_utf8_validate (s, -1, NULL) ? s : "?");
        }
      rows[i] = g_variant_new_tuple (cells, G_N_ELEMENTS (cells));
    }
  return g_variant_new_array (G_VARIANT_TYPE ("(ssss)"), rows, res->reasons->len);
}

/* ------------------------------------------------------------------ */
/* Methods                                                             */

static GVariant *
handle_check_nesting (IhwCall *call, GVariant *args, GError **error)
{
  IhwManager *mgr = call->user_data;
  g_auto(NestingArgs) a = { 0 };
  g_autoptr(IhwResult) res = NULL;
  const char *verdict;

  if (!read_nesting_args (mgr, args, &a, error))
    return NULL;

  res = ihw_check_nesting (a.model, a.facts, a.addresses->len, &a.req);
  verdict = ihw_verdict_name (res->verdict);
  g_debug ("CheckNesting %s on %u device(s): %s, %u reason(s)", ihw_model_name (a.model), a.addresses->len,
           verdict, res->reasons->len);
  return g_variant_new ("(s@a(ssss))", verdict, reasons_variant (res));
}

static GVariant *
handle_negotiate (IhwCall *call, GVariant *args, GError **error)
{
  IhwManager *mgr = call->user_data;
  g_auto(NestingArgs) a = { 0 };
  g_autoptr(IhwNegotiation) n = NULL;
  g_autoptr(GVariant) config = NULL;
  g_autofree char *xml = NULL;
  g_auto(GStrv) qemu_args = NULL;
  const char *verdict;

  if (!read_nesting_args (mgr, args, &a, error))
    return NULL;

  /* The daemon's configured QEMU is already in the request (defaults). */
  n = ihw_negotiate (a.model, a.facts, a.addresses->len, &a.req);
  config = ihw_negotiation_config (n);   /* a full reference, released here */
  xml = ihw_negotiation_libvirt_xml (n);
  qemu_args = ihw_negotiation_qemu_args (n);
  verdict = ihw_verdict_name (n->verdict);
  g_debug ("Negotiate %s on %u device(s): %s", ihw_model_name (a.model), a.addresses->len, verdict);
  return g_variant_new ("(s@a{sv}s^as@a(ssss))", verdict, config, xml ? xml : "", qemu_args,
                        reasons_variant (n->result));
}

static GVariant *
handle_get_hw_info (IhwCall *call, GVariant *args, GError **error)
{
  IhwManager *mgr = call->user_data;
  const char *address;
  g_autofree char *norm = NULL;
  IhwDevice *dev;
  GVariant *data;

  g_variant_get (args, "(&s)", &address);
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
  if (dev->has_hw_info && dev->hw_info_data)
    data = g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, dev->hw_info_data, TRUE);
  else
    data = g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, NULL, 0, 1);
  return g_variant_new ("(u@aytys)", dev->has_hw_info ? dev->hw_info_type : 0, data,
                        (guint64) (dev->has_hw_info ? dev->capabilities : 0),
                        (guchar) (dev->has_hw_info ? dev->max_pasid_log2 : 0), ihw_source_name (dev->source));
}

static void
refresh_done (IhwRegistry *reg, const GError *error, gpointer data)
{
  if (error)
    ihw_pending_call_error (data, error);
  else
    ihw_pending_call_return (data, g_variant_new_tuple (NULL, 0));
}

static GVariant *
handle_refresh (IhwCall *call, GVariant *args, GError **error)
{
  IhwManager *mgr = call->user_data;
  g_autoptr(GPtrArray) addresses = NULL;
  g_autoptr(GVariant) devices = NULL;
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

  devices = g_variant_get_child_value (args, 0);
  addresses = read_addresses (devices, TRUE, error);
  if (!addresses)
    return NULL;
  for (guint i = 0; i < addresses->len; i++)
    if (!find_device (mgr, addresses->pdata[i], error))
      return NULL;
  g_ptr_array_add (addresses, NULL);

  g_info ("Refresh of %s requested by %s", addresses->len > 1 ? "some devices" : "everything", call->sender);
  /* Everything: read off the main loop, answered when applied. */
  if (addresses->len == 1)
    {
      ihw_registry_refresh_all_async (mgr->reg, refresh_done, ihw_call_defer (call));
      return NULL;
    }
  if (!ihw_registry_refresh (mgr->reg, (const char *const *) addresses->pdata, error))
    return NULL;
  return g_variant_new_tuple (NULL, 0);
}

static const IhwMethodDef manager_methods[] = {
  { "CheckNesting", "sasa{sv}", "sa(ssss)", handle_check_nesting },
  { "Negotiate", "sasa{sv}", "sa{sv}sasa(ssss)", handle_negotiate },
  { "GetHwInfo", "s", "uaytys", handle_get_hw_info },
  { "Refresh", "as", "", handle_refresh },
};

/* ------------------------------------------------------------------ */
/* Properties                                                          */

static GVariant *
paths_variant (GPtrArray *items, gboolean units)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_OBJECT_PATH_ARRAY);
  for (guint i = 0; items && i < items->len; i++)
    {
      g_autofree char *path = units ? ihw_unit_object_path (((IhwUnit *) items->pdata[i])->name)
                                    : ihw_device_object_path (((IhwDevice *) items->pdata[i])->address);
      g_variant_builder_add_value (&b, g_variant_new_object_path (path));
    }
  return g_variant_builder_end (&b);
}

static gboolean
is_vfio (const IhwDevice *dev)
{
  return dev && ihw_driver_counts_as_vfio (dev->driver);
}

/* The first vfio-pci device (or one whose driver is unknown, which counts
 * as one) in address order (the one a check of them all
 * would start with). */
static IhwDevice *
first_vfio_device (IhwManager *mgr)
{
  GPtrArray *devices = ihw_registry_get_devices (mgr->reg);

  for (guint i = 0; devices && i < devices->len; i++)
    if (is_vfio (devices->pdata[i]))
      return devices->pdata[i];
  return NULL;
}

static void
verdicts_forget (ModelVerdicts *v, const char *address)
{
  guint mask = GPOINTER_TO_UINT (g_hash_table_lookup (v->failing, address));

  if (!mask)
    return;
  for (IhwModel m = 0; m < IHW_MODEL_LAST; m++)
    if ((mask - 1) & (1u << m))
      v->n_failing[m]--;
  g_hash_table_remove (v->failing, address);
}

/* Judges `devices` (vfio-pci, not the first) for every model with the
 * first's facts. */
static void
verdicts_judge (IhwManager *mgr, GPtrArray *devices, const IhwDeviceFacts *first)
{
  ModelVerdicts *v = &mgr->verdicts;
  guint n = devices->len;
  g_autofree IhwFeatures *features = g_new (IhwFeatures, n);
  g_autofree IhwDeviceFacts *facts = g_new (IhwDeviceFacts, n);
  g_autofree IhwVerdict *verdicts = g_new (IhwVerdict, n);
  g_autofree guint *masks = g_new0 (guint, n);

  for (guint i = 0; i < n; i++)
    fill_facts (mgr, devices->pdata[i], &features[i], &facts[i]);
  for (IhwModel m = 0; m < IHW_MODEL_LAST; m++)
    {
      IhwRequest req = mgr->defaults;
      ihw_request_fill_required (m, 0, &req);
      ihw_check_device_verdicts (m, first, facts, n, &req, verdicts);
      for (guint i = 0; i < n; i++)
        if (verdicts[i] != IHW_VERDICT_SUPPORTED)
          {
            masks[i] |= 1u << m;
            v->n_failing[m]++;
          }
    }
  for (guint i = 0; i < n; i++)
    g_hash_table_replace (v->failing, g_strdup (((IhwDevice *) devices->pdata[i])->address),
                          GUINT_TO_POINTER (masks[i] + 1));
}

/* Brings the verdicts up to date: the devices events named, or everything
 * when the first device, a unit, the defaults or /dev/iommu changed. */
static void
verdicts_update (IhwManager *mgr)
{
  ModelVerdicts *v = &mgr->verdicts;
  IhwDevice *first = first_vfio_device (mgr);
  IhwFeatures first_features;
  IhwDeviceFacts first_facts;
  g_autoptr(GPtrArray) judge = g_ptr_array_new ();
  GHashTableIter it;
  const char *address;

  if (v->valid && g_strcmp0 (v->first, first ? first->address : NULL) == 0
      && !(v->first && g_hash_table_contains (v->dirty, v->first)))
    {
      if (g_hash_table_size (v->dirty) == 0)
        return;
      g_hash_table_iter_init (&it, v->dirty);
      while (g_hash_table_iter_next (&it, (gpointer *) &address, NULL))
        {
          IhwDevice *dev = ihw_registry_lookup_device (mgr->reg, address);
          verdicts_forget (v, address);
          if (is_vfio (dev))
            g_ptr_array_add (judge, dev);
        }
      if (judge->len)
        {
          fill_facts (mgr, first, &first_features, &first_facts);
          verdicts_judge (mgr, judge, &first_facts);
        }
      g_hash_table_remove_all (v->dirty);
      return;
    }

  g_hash_table_remove_all (v->dirty);
  g_hash_table_remove_all (v->failing);
  memset (v->n_failing, 0, sizeof v->n_failing);
  g_clear_pointer (&v->first, g_free);
  v->valid = TRUE;
  if (!first)
    return;
  v->first = g_strdup (first->address);
  fill_facts (mgr, first, &first_features, &first_facts);
  for (IhwModel m = 0; m < IHW_MODEL_LAST; m++)
    {
      IhwRequest req = mgr->defaults;
      g_autoptr(IhwResult) res = NULL;
      ihw_request_fill_required (m, 0, &req);
      res = ihw_check_nesting (m, &first_facts, 1, &req);
      v->base[m] = res->verdict;
    }
  {
    GPtrArray *devices = ihw_registry_get_devices (mgr->reg);
    for (guint i = 0; i < devices->len; i++)
      if (devices->pdata[i] != first && is_vfio (devices->pdata[i]))
        g_ptr_array_add (judge, devices->pdata[i]);
    verdicts_judge (mgr, judge, &first_facts);
  }
}

/* Models for which every vfio-pci device is `supported` by default (a
 * device whose driver is unknown counts as one), with what QEMU needs of
 * every VM, such as intel caching-mode=on. */
static GVariant *
nesting_models_variant (IhwManager *mgr)
{
  GVariantBuilder b;

  verdicts_update (mgr);
  g_variant_builder_init (&b, G_VARIANT_TYPE_STRING_ARRAY);
  for (IhwModel m = 0; mgr->verdicts.first && m < IHW_MODEL_LAST; m++)
    if (mgr->verdicts.base[m] == IHW_VERDICT_SUPPORTED && mgr->verdicts.n_failing[m] == 0)
      g_variant_builder_add (&b, "s", ihw_model_name (m));
  return g_variant_builder_end (&b);
}

static const char *const cached_props[] = { "Units", "Devices", "NestingModels" };

static GVariant *
build_cached (IhwManager *mgr, guint i)
{
  switch (i)
    {
    case 0:
      return paths_variant (ihw_registry_get_units (mgr->reg), TRUE);
    case 1:
      return paths_variant (ihw_registry_get_devices (mgr->reg), FALSE);
    default:
      return nesting_models_variant (mgr);
    }
}

/* `lists`: Units and Devices too, not only NestingModels. */
static void
drop_cached (IhwManager *mgr, gboolean lists)
{
  for (guint i = 0; i < G_N_ELEMENTS (mgr->cached); i++)
    if (lists || i == G_N_ELEMENTS (mgr->cached) - 1)
      g_clear_pointer (&mgr->cached[i], g_variant_unref);
  mgr->generation++;
  ihw_bus_invalidate (mgr->bus, IHW_DBUS_PATH);
}

/* What the Manager shows moves with the generation and /dev/iommu. */
static guint64
cache_stamp (gpointer data)
{
  IhwManager *mgr = data;
  return mgr->generation << 1 | (ihw_registry_iommufd_available (mgr->reg) ? 1 : 0);
}

static GVariant *
get_property (gpointer data, const char *prop, GError **error)
{
  IhwManager *mgr = data;

  G_STATIC_ASSERT (G_N_ELEMENTS (cached_props) == G_N_ELEMENTS (((IhwManager *) NULL)->cached));
  if (g_str_equal (prop, "Version"))
    return g_variant_new_string (PACKAGE_VERSION);
  if (g_str_equal (prop, "IommufdAvailable"))
    return g_variant_new_boolean (ihw_registry_iommufd_available (mgr->reg));
  if (mgr->cached_iommufd != ihw_registry_iommufd_available (mgr->reg))
    {
      drop_cached (mgr, FALSE);
      mgr->verdicts.valid = FALSE;
      mgr->cached_iommufd = ihw_registry_iommufd_available (mgr->reg);
    }
  for (guint i = 0; i < G_N_ELEMENTS (cached_props); i++)
    if (g_str_equal (prop, cached_props[i]))
      {
        if (!mgr->cached[i])
          mgr->cached[i] = g_variant_ref_sink (build_cached (mgr, i));
        return g_variant_ref (mgr->cached[i]);
      }

  g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "no getter for Manager.%s", prop);
  return NULL;
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
  .cache_stamp = cache_stamp,
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
manager_changed_later (IhwManager *mgr, gboolean lists)
{
  drop_cached (mgr, lists);
  if (!mgr->changed_idle)
    mgr->changed_idle = g_idle_add (emit_manager_changed, mgr);
}

/* The D-Bus object of each record (ihw-record-object.h). */
static char *
object_path (IhwObjectKind kind, const char *name)
{
  return kind == IHW_OBJECT_UNIT ? ihw_unit_object_path (name) : ihw_device_object_path (name);
}

static void
record_object_free (gpointer p)
{
  IhwRecordObject *o = p;
  g_free (o->name);
  g_free (o);
}

static gboolean
record_object_export (IhwBus *bus, IhwRegistry *reg, IhwObjectKind kind, const char *name, GError **error)
{
  g_autofree char *path = object_path (kind, name);
  IhwRecordObject *o = g_new0 (IhwRecordObject, 1);

  o->reg = reg;
  o->name = g_strdup (name);
  return ihw_bus_export (bus, path, kind == IHW_OBJECT_UNIT ? &ihw_unit_interface : &ihw_device_interface, o,
                         record_object_free, error);
}

static void
record_object_unexport (IhwBus *bus, IhwObjectKind kind, const char *name)
{
  g_autofree char *path = object_path (kind, name);
  ihw_bus_unexport (bus, path);
}

static void
record_object_emit_changed (IhwBus *bus, IhwObjectKind kind, const char *name)
{
  g_autofree char *path = object_path (kind, name);
  ihw_bus_emit_properties_changed (bus, path,
                                   kind == IHW_OBJECT_UNIT ? IHW_DBUS_UNIT_IFACE : IHW_DBUS_DEVICE_IFACE, NULL);
}

static void
registry_changed (IhwRegistry *reg, IhwRegistryEvent ev, IhwObjectKind kind, const char *name, gpointer data)
{
  IhwManager *mgr = data;
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  /* A unit's registers are the facts of every device behind it. */
  if (kind == IHW_OBJECT_UNIT)
    mgr->verdicts.valid = FALSE;
  else
    g_hash_table_add (mgr->verdicts.dirty, g_strdup (name));
  switch (ev)
    {
    case IHW_REGISTRY_ADDED:
      ok = record_object_export (mgr->bus, reg, kind, name, &error);
      break;
    case IHW_REGISTRY_CHANGED:
      record_object_emit_changed (mgr->bus, kind, name);
      break;
    case IHW_REGISTRY_REMOVED:
      record_object_unexport (mgr->bus, kind, name);
      break;
    }
  if (!ok)
    g_warning ("Cannot export %s %s: %s", kind == IHW_OBJECT_UNIT ? "unit" : "device", name, error->message);
  manager_changed_later (mgr, ev != IHW_REGISTRY_CHANGED);
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
  mgr->verdicts.failing = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  mgr->verdicts.dirty = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (!ihw_bus_export (bus, IHW_DBUS_PATH, &manager_interface, mgr, NULL, error))
    return NULL;

  units = ihw_registry_get_units (reg);
  for (guint i = 0; units && i < units->len; i++)
    if (!record_object_export (bus, reg, IHW_OBJECT_UNIT, ((IhwUnit *) units->pdata[i])->name, error))
      return NULL;
  devices = ihw_registry_get_devices (reg);
  for (guint i = 0; devices && i < devices->len; i++)
    if (!record_object_export (bus, reg, IHW_OBJECT_DEVICE, ((IhwDevice *) devices->pdata[i])->address, error))
      return NULL;

  ihw_registry_set_listener (reg, registry_changed, mgr);
  /* From here on objects come and go as changes: before, they are the
   * state a client reads once the daemon owns its name. */
  ihw_bus_announce (bus);
  return g_steal_pointer (&mgr);
}

void
ihw_manager_set_defaults (IhwManager *mgr, const IhwRequest *defaults)
{
  mgr->defaults = *defaults;
  mgr->verdicts.valid = FALSE;
  manager_changed_later (mgr, FALSE); /* NestingModels is judged with them */
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
  drop_cached (mgr, TRUE);
  g_clear_pointer (&mgr->verdicts.failing, g_hash_table_unref);
  g_clear_pointer (&mgr->verdicts.dirty, g_hash_table_unref);
  g_free (mgr->verdicts.first);
  g_free (mgr);
}
