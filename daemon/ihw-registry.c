/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The registry: sysfs snapshot + iommufd answers + caches, and the events
 * that tell the D-Bus objects what changed.
 *
 * Every mutation (load, refresh, update) works the same way: apply the new
 * facts, re-derive what depends on them (unit <-> device links, sources,
 * the per-unit iommufd cache), then compare each object's content signature
 * with the one stored after the previous mutation and fire ADDED / CHANGED /
 * REMOVED from that difference.  Deriving events from state rather than from
 * code paths keeps them exact however a change came about.
 */
#include "ihw-registry.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ihw-error.h"
#include "ihw-hwinfo.h"
#include "ihw-names.h"
#include "ihw-probe-iommufd.h"
#include "ihw-sysfs.h"

struct _IhwRegistry {
  char *sysfs_root;
  char *dev_root;
  char *iommu_node;   /* <dev_root>/iommu */
  gboolean probe;

  IhwIommufd *iommufd;         /* long-lived /dev/iommu; NULL when unavailable or --no-probe */
  gboolean iommufd_reported;   /* "not available" logged once */

  GHashTable *units;           /* name -> IhwUnit * (owned) */
  GHashTable *devices;         /* address -> IhwDevice * (owned) */
  GHashTable *unit_hw;         /* name -> IhwFeatures *: registers the kernel reported via iommufd */
  GHashTable *unit_sysfs;      /* name -> IhwFeatures *: registers as the unit's sysfs files last read */

  GHashTable *unit_sigs;       /* name -> content signature after the last mutation */
  GHashTable *device_sigs;     /* address -> content signature */
  GHashTable *fresh_probe;     /* addresses probed successfully during this mutation */

  GPtrArray *unit_list;        /* sorted views, NULL when stale */
  GPtrArray *device_list;

  IhwRegistryListener listener;
  gpointer listener_data;
  IhwRegistryChangeHook change_hook;
  gpointer change_hook_data;

  IhwRefreshRun *refresh_run;  /* a full refresh under way, NULL if none */
};

static void refresh_run_detach (IhwRefreshRun *run);

/* ---- construction -------------------------------------------------------- */

IhwRegistry *
ihw_registry_new (const IhwRegistryOptions *opts)
{
  IhwRegistry *reg = g_new0 (IhwRegistry, 1);

  reg->sysfs_root = g_strdup (opts && opts->sysfs_root ? opts->sysfs_root : "/sys");
  reg->dev_root = g_strdup (opts && opts->dev_root ? opts->dev_root : "/dev");
  reg->iommu_node = g_build_filename (reg->dev_root, "iommu", NULL);
  reg->probe = opts ? opts->probe : TRUE;
  reg->units = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) ihw_unit_free);
  reg->devices = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) ihw_device_free);
  reg->unit_hw = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  reg->unit_sysfs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  reg->unit_sigs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  reg->device_sigs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  reg->fresh_probe = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return reg;
}

void
ihw_registry_free (IhwRegistry *reg)
{
  if (!reg)
    return;
  if (reg->refresh_run)
    refresh_run_detach (reg->refresh_run);
  ihw_iommufd_close (reg->iommufd);
  g_clear_pointer (&reg->unit_list, g_ptr_array_unref);
  g_clear_pointer (&reg->device_list, g_ptr_array_unref);
  g_hash_table_unref (reg->fresh_probe);
  g_hash_table_unref (reg->device_sigs);
  g_hash_table_unref (reg->unit_sigs);
  g_hash_table_unref (reg->unit_hw);
  g_hash_table_unref (reg->unit_sysfs);
  g_hash_table_unref (reg->devices);
  g_hash_table_unref (reg->units);
  g_free (reg->sysfs_root);
  g_free (reg->dev_root);
  g_free (reg->iommu_node);
  g_free (reg);
}

void
ihw_registry_set_listener (IhwRegistry *reg, IhwRegistryListener fn, gpointer user_data)
{
  reg->listener = fn;
  reg->listener_data = user_data;
}

void
ihw_registry_set_change_hook (IhwRegistry *reg, IhwRegistryChangeHook fn, gpointer user_data)
{
  reg->change_hook = fn;
  reg->change_hook_data = user_data;
}

gboolean
ihw_registry_iommufd_available (IhwRegistry *reg)
{
  if (!reg->probe)
    return access (reg->iommu_node, F_OK) == 0;
  return reg->iommufd != NULL;
}

const char *
ihw_registry_probe_state (IhwRegistry *reg)
{
  if (!reg->probe)
    return "no probing";
  return reg->iommufd ? "probing through iommufd" : "no /dev/iommu: sysfs only, iommufd retried on each rescan";
}

/* Opened lazily and retried on every mutation until it works: the iommufd
 * module may be loaded after the daemon started. */
static void
ensure_iommufd (IhwRegistry *reg)
{
  g_autoptr (GError) error = NULL;

  if (!reg->probe || reg->iommufd)
    return;
  reg->iommufd = ihw_iommufd_open (reg->dev_root, &error);
  if (!reg->iommufd && !reg->iommufd_reported)
    {
      g_message ("iommufd not available, answers come from sysfs only: %s", error->message);
      reg->iommufd_reported = TRUE;
    }
  else if (reg->iommufd)
    reg->iommufd_reported = FALSE;
}

/* ---- hw_info ------------------------------------------------------------- */

/* The device's own hw_info decoded into registers, if it decodes to a
 * vendor we know (decoded once, when the bytes arrived). */
static gboolean
device_hw_features (const IhwDevice *d, IhwFeatures *out)
{
  const IhwFeatures *hw = ihw_device_hw_features (d);
  if (!hw)
    return FALSE;
  *out = *hw;
  return TRUE;
}

static gboolean
features_equal (const IhwFeatures *a, const IhwFeatures *b)
{
  if (a->desc != b->desc || a->present != b->present)
    return FALSE;
  for (guint i = 0; i < IHW_MAX_REGS; i++)
    if ((a->present & (1u << i)) && a->regs[i] != b->regs[i])
      return FALSE;
  return TRUE;
}

/* Record what the kernel reported for a unit (per-unit cache, SPEC §3.1). */
static void
remember_unit_hw (IhwRegistry *reg, const char *unit, const IhwFeatures *hw)
{
  const IhwFeatures *sysfs = g_hash_table_lookup (reg->unit_sysfs, unit);

  /* sysfs and GET_HW_INFO read the same registers; a difference means one
   * of them is not what we think it is, worth a line in the log. */
  if (sysfs && !features_equal (sysfs, hw))
    g_message ("%s: registers from IOMMU_GET_HW_INFO differ from sysfs; using the kernel's", unit);
  g_hash_table_replace (reg->unit_hw, g_strdup (unit), g_memdup2 (hw, sizeof *hw));
}

/* ---- probing ------------------------------------------------------------- */

/* Carries an earlier iommufd answer into `d`.  `failed_probe`: a new probe
 * was tried and could not answer, so the old answer is now a cached one;
 * otherwise (a uevent re-read) it keeps its source and its age. */
static void
carry_probe_cache (IhwDevice *d, const IhwDevice *old, gboolean failed_probe)
{
  if (!old || !old->has_hw_info)
    return;
  ihw_device_set_hw_info (d, old->hw_info_type, old->hw_info_data, old->capabilities, old->max_pasid_log2,
                          old->nest_parent);
  ihw_device_set_hw_addon (d, old->hw_addon, old->hw_addon_data);
  d->host_aw_bits = old->host_aw_bits;
  if (old->source != IHW_SOURCE_IOMMUFD && old->source != IHW_SOURCE_CACHE)
    d->source = IHW_SOURCE_NONE; /* bytes kept, but they never decoded: the unit speaks */
  else
    d->source = failed_probe ? IHW_SOURCE_CACHE : old->source;
}

static void
probe_into (IhwRegistry *reg, IhwDevice *d, const IhwDevice *old)
{
  g_autofree char *enable_attr = g_build_filename (reg->sysfs_root, "bus", "pci", "devices", d->address, "enable", NULL);
  g_autoptr (IhwProbeResult) r = ihw_probe_device (reg->iommufd, d->address, d->vfio_cdev, enable_attr);

  g_free (d->probe_error);
  d->probe_error = g_strdup (r->error);
  if (r->status != IHW_PROBE_OK)
    {
      /* In use (a VM has it), an older kernel, or a failure: keep what the
       * kernel told us before, if anything; else sysfs speaks. */
      carry_probe_cache (d, old, TRUE);
      if (r->status == IHW_PROBE_IN_USE)
        g_message ("%s: in use through %s, not probed; answering from %s", d->address,
                   ihw_probe_holder_describe (r->holder),
                   d->has_hw_info ? "its cached iommufd answer" : "its IOMMU unit");
      else
        g_warning ("%s", r->error);
      return;
    }

  ihw_device_set_hw_info (d, r->hw_info_type, r->data, r->capabilities, r->max_pasid_log2, r->nest_parent);
  ihw_device_set_hw_addon (d, r->addon_answer, r->addon_data);
  d->host_aw_bits = r->host_aw_bits;
  d->source = r->parsed && r->info.features.desc ? IHW_SOURCE_IOMMUFD : IHW_SOURCE_NONE;
  if (r->error)
    g_warning ("%s", r->error); /* parse failure: raw bytes kept, sysfs registers used */
  if (d->source == IHW_SOURCE_IOMMUFD && d->unit)
    remember_unit_hw (reg, d->unit, &r->info.features);
  g_hash_table_add (reg->fresh_probe, g_strdup (d->address));
}

/* ---- applying sysfs state ------------------------------------------------ */

static void
invalidate_lists (IhwRegistry *reg)
{
  g_clear_pointer (&reg->unit_list, g_ptr_array_unref);
  g_clear_pointer (&reg->device_list, g_ptr_array_unref);
}

/* Swap the content of `fresh` into the record the registry already has, so
 * pointers handed out earlier stay valid. */
static void
store_unit (IhwRegistry *reg, IhwUnit *fresh)
{
  IhwUnit *old = g_hash_table_lookup (reg->units, fresh->name);
  if (old)
    {
      IhwUnit tmp = *old;
      char *key = tmp.name;
      *old = *fresh;
      *fresh = tmp;
      /* The hash table is keyed by the old record's name string. */
      fresh->name = old->name;
      old->name = key;
      old->updated_usec = fresh->updated_usec;
      ihw_unit_free (fresh);
    }
  else
    g_hash_table_insert (reg->units, fresh->name, fresh);
  invalidate_lists (reg);
}

/* `fresh`: the unit as just read (taken), NULL when it is gone. */
static void
apply_unit (IhwRegistry *reg, const char *name, IhwUnit *fresh)
{
  if (!g_hash_table_contains (reg->units, name) && g_hash_table_size (reg->units) >= IHW_MAX_UNITS)
    {
      g_warning ("%s: not added, already %u IOMMU units (the most iommu-hwinfod answers for)", name, IHW_MAX_UNITS);
      ihw_unit_free (fresh);
      return;
    }
  if (!fresh)
    {
      g_hash_table_remove (reg->units, name);
      g_hash_table_remove (reg->unit_hw, name);
      g_hash_table_remove (reg->unit_sysfs, name);
      invalidate_lists (reg);
      return;
    }
  if (fresh->source == IHW_SOURCE_SYSFS && fresh->features.desc && fresh->features.present)
    g_hash_table_replace (reg->unit_sysfs, g_strdup (name), g_memdup2 (&fresh->features, sizeof fresh->features));
  else
    g_hash_table_remove (reg->unit_sysfs, name);
  store_unit (reg, fresh);
}

static void
sync_unit (IhwRegistry *reg, const char *name)
{
  apply_unit (reg, name, ihw_sysfs_read_unit (reg->sysfs_root, name));
}

/* `force_probe`: Refresh asked for it.  Otherwise only a device whose VFIO
 * cdev is new (first scan, hotplug bind) is probed: a uevent is no reason to
 * take a device away from whoever may be about to open it. */
static void
apply_device (IhwRegistry *reg, const char *address, IhwDevice *fresh, gboolean force_probe)
{
  IhwDevice *old = g_hash_table_lookup (reg->devices, address);
  gboolean want_probe;

  if (!old && g_hash_table_size (reg->devices) >= IHW_MAX_DEVICES)
    {
      g_warning ("%s: not added, already %u PCI devices (the most iommu-hwinfod answers for)", address,
                 IHW_MAX_DEVICES);
      ihw_device_free (fresh);
      return;
    }

  if (!fresh)
    {
      g_hash_table_remove (reg->devices, address);
      invalidate_lists (reg);
      return;
    }

  /* Any device with a VFIO cdev is bound to a VFIO driver (vfio-pci or a
   * variant driver such as mlx5_vfio_pci): all can be bound to iommufd. */
  want_probe = reg->probe && *fresh->vfio_cdev &&
               (force_probe || !old || g_strcmp0 (old->vfio_cdev, fresh->vfio_cdev) != 0);
  if (want_probe)
    ensure_iommufd (reg);

  if (want_probe && reg->iommufd)
    probe_into (reg, fresh, old);
  else
    {
      carry_probe_cache (fresh, old, FALSE);
      /* Not probed now: the last probe's complaint still stands. */
      if (old && old->probe_error)
        fresh->probe_error = g_strdup (old->probe_error);
    }

  if (old)
    {
      IhwDevice tmp = *old;
      char *key = tmp.address;
      *old = *fresh;
      *fresh = tmp;
      /* The hash table is keyed by the old record's address string. */
      fresh->address = old->address;
      old->address = key;
      old->updated_usec = fresh->updated_usec;
      ihw_device_free (fresh);
    }
  else
    g_hash_table_insert (reg->devices, fresh->address, fresh);
  invalidate_lists (reg);
}

static void
sync_device (IhwRegistry *reg, const char *address, gboolean force_probe)
{
  apply_device (reg, address, ihw_sysfs_read_device (reg->sysfs_root, reg->dev_root, address), force_probe);
}

static int
cmp_string_ptrs (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Re-derive everything that depends on more than one record. */
static void
derive (IhwRegistry *reg)
{
  GHashTableIter it;
  gpointer value;
  g_autoptr (GPtrArray) missing = g_ptr_array_new_with_free_func (g_free);

  /* A device's `iommu` link may name a unit we have not read (hotplug
   * ordering); read it now, and drop the link if it is not there at all. */
  g_hash_table_iter_init (&it, reg->devices);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      IhwDevice *d = value;
      if (d->unit && !g_hash_table_contains (reg->units, d->unit))
        g_ptr_array_add (missing, g_strdup (d->unit));
    }
  for (guint i = 0; i < missing->len; i++)
    if (!g_hash_table_contains (reg->units, missing->pdata[i]))
      sync_unit (reg, missing->pdata[i]);

  g_hash_table_iter_init (&it, reg->units);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      IhwUnit *u = value;
      const IhwFeatures *hw = g_hash_table_lookup (reg->unit_hw, u->name);
      g_ptr_array_set_size (u->devices, 0);
      if (hw)
        {
          u->features = *hw;
          u->source = IHW_SOURCE_IOMMUFD;
        }
    }

  g_hash_table_iter_init (&it, reg->devices);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      IhwDevice *d = value;
      IhwUnit *u = d->unit ? g_hash_table_lookup (reg->units, d->unit) : NULL;
      IhwFeatures own;

      if (d->unit && !u)
        {
          g_warning ("%s: IOMMU unit %s is not in %s/class/iommu; its IOMMU is unknown", d->address, d->unit,
                     reg->sysfs_root);
          g_clear_pointer (&d->unit, g_free);
          d->has_iommu = IHW_TRISTATE_UNKNOWN;
        }
      if (u)
        g_ptr_array_add (u->devices, g_strdup (d->address));

      /* The device's own kernel answer wins; else its unit's registers. */
      if ((d->source == IHW_SOURCE_IOMMUFD || d->source == IHW_SOURCE_CACHE) && device_hw_features (d, &own))
        continue;
      /* Without an answer of its own, the device's registers are its unit's
       * and its Source says where those came from, the same on every
       * vendor: "sysfs" when the unit's register files say what the kernel
       * said, "cache" only when nothing but a sibling's probe supplied them
       * (SMMUv3 has no register files) or the kernel's differ from sysfs.
       * Never "iommufd": this device was not asked. */
      if (!u || !u->features.desc || !u->features.present)
        d->source = IHW_SOURCE_NONE;
      else if (u->source != IHW_SOURCE_IOMMUFD)
        d->source = u->source;
      else
        {
          const IhwFeatures *sysfs = g_hash_table_lookup (reg->unit_sysfs, u->name);
          d->source = sysfs && features_equal (sysfs, &u->features) ? IHW_SOURCE_SYSFS : IHW_SOURCE_CACHE;
        }
    }

  g_hash_table_iter_init (&it, reg->units);
  while (g_hash_table_iter_next (&it, NULL, &value))
    g_ptr_array_sort (((IhwUnit *) value)->devices, cmp_string_ptrs);
}

/* ---- events -------------------------------------------------------------- */

typedef struct {
  IhwRegistryEvent ev;
  IhwObjectKind kind;
  char *name;
} PendingEvent;

static void
pending_event_free (PendingEvent *e)
{
  g_free (e->name);
  g_free (e);
}

static void
queue (GPtrArray *q, IhwRegistryEvent ev, IhwObjectKind kind, const char *name)
{
  PendingEvent *e = g_new0 (PendingEvent, 1);
  e->ev = ev;
  e->kind = kind;
  e->name = g_strdup (name);
  g_ptr_array_add (q, e);
}

static GPtrArray *
sorted_keys (GHashTable *table)
{
  GPtrArray *keys = g_ptr_array_new ();
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init (&it, table);
  while (g_hash_table_iter_next (&it, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, cmp_string_ptrs);
  return keys;
}

/* A commit in steps: derive and the removals, then one signature per
 * record (what costs: a full refresh of 16,384 devices is ~200 ms of it,
 * done in slices), then the events. */
typedef enum { Q_UNIT_ADDED, Q_UNIT_CHANGED, Q_UNIT_RM, Q_DEV_ADDED, Q_DEV_CHANGED, Q_DEV_RM, N_QUEUES } Queue;

typedef struct {
  GPtrArray *q[N_QUEUES];
  GPtrArray *unit_names;    /* sorted keys of the records: diffed in order */
  GPtrArray *device_names;
  guint next;
  guint64 now;
} Commit;

static void
removed_kind (IhwRegistry *reg, IhwObjectKind kind, GPtrArray *removed)
{
  GHashTable *objects = kind == IHW_OBJECT_UNIT ? reg->units : reg->devices;
  GHashTable *sigs = kind == IHW_OBJECT_UNIT ? reg->unit_sigs : reg->device_sigs;
  g_autoptr (GPtrArray) old_names = sorted_keys (sigs);

  for (guint i = 0; i < old_names->len; i++)
    if (!g_hash_table_contains (objects, old_names->pdata[i]))
      {
        queue (removed, IHW_REGISTRY_REMOVED, kind, old_names->pdata[i]);
        g_hash_table_remove (sigs, old_names->pdata[i]);
      }
}

static void
diff_one (IhwRegistry *reg, Commit *c, IhwObjectKind kind, const char *name)
{
  GHashTable *objects = kind == IHW_OBJECT_UNIT ? reg->units : reg->devices;
  GHashTable *sigs = kind == IHW_OBJECT_UNIT ? reg->unit_sigs : reg->device_sigs;
  gpointer obj = g_hash_table_lookup (objects, name);
  g_autofree char *sig = NULL;
  const char *old = g_hash_table_lookup (sigs, name);
  gboolean probed = kind == IHW_OBJECT_DEVICE && g_hash_table_contains (reg->fresh_probe, name);

  if (!obj)
    return; /* gone since commit_begin, and reported by the commit that removed it */
  sig = kind == IHW_OBJECT_UNIT ? ihw_unit_signature (obj) : ihw_device_signature (obj);
  if (old && strcmp (old, sig) == 0 && !probed)
    return;
  if (kind == IHW_OBJECT_UNIT)
    ((IhwUnit *) obj)->updated_usec = c->now;
  else
    ((IhwDevice *) obj)->updated_usec = c->now;
  if (kind == IHW_OBJECT_UNIT)
    queue (old ? c->q[Q_UNIT_CHANGED] : c->q[Q_UNIT_ADDED], old ? IHW_REGISTRY_CHANGED : IHW_REGISTRY_ADDED, kind,
           name);
  else
    queue (old ? c->q[Q_DEV_CHANGED] : c->q[Q_DEV_ADDED], old ? IHW_REGISTRY_CHANGED : IHW_REGISTRY_ADDED, kind,
           name);
  g_hash_table_replace (sigs, g_strdup (name), g_steal_pointer (&sig));
}

static Commit *
commit_begin (IhwRegistry *reg)
{
  Commit *c = g_new0 (Commit, 1);

  for (guint i = 0; i < N_QUEUES; i++)
    c->q[i] = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_event_free);
  c->now = (guint64) g_get_real_time ();
  derive (reg);
  removed_kind (reg, IHW_OBJECT_UNIT, c->q[Q_UNIT_RM]);
  removed_kind (reg, IHW_OBJECT_DEVICE, c->q[Q_DEV_RM]);
  /* Copies: between two steps of a sliced commit the main loop runs, and a
   * hotplug event may remove a record (it then commits on its own). */
  c->unit_names = sorted_keys (reg->units);
  c->device_names = sorted_keys (reg->devices);
  for (guint i = 0; i < c->unit_names->len; i++)
    c->unit_names->pdata[i] = g_strdup (c->unit_names->pdata[i]);
  for (guint i = 0; i < c->device_names->len; i++)
    c->device_names->pdata[i] = g_strdup (c->device_names->pdata[i]);
  g_ptr_array_set_free_func (c->unit_names, g_free);
  g_ptr_array_set_free_func (c->device_names, g_free);
  return c;
}

/* Signatures until `deadline` (monotonic; 0: all).  TRUE when done. */
static gboolean
commit_step (IhwRegistry *reg, Commit *c, gint64 deadline)
{
  guint total = c->unit_names->len + c->device_names->len;

  while (c->next < total)
    {
      guint i = c->next++;
      if (i < c->unit_names->len)
        diff_one (reg, c, IHW_OBJECT_UNIT, c->unit_names->pdata[i]);
      else
        diff_one (reg, c, IHW_OBJECT_DEVICE, c->device_names->pdata[i - c->unit_names->len]);
      if (deadline && (c->next & 63) == 0 && g_get_monotonic_time () >= deadline)
        break;
    }
  return c->next >= total;
}

/* Fires the events and frees `c`; `reg` NULL: only frees (the registry went). */
static void
commit_end (IhwRegistry *reg, Commit *c)
{
  /* An object is announced after what it points to and before what it
   * stops pointing to goes away: a device's Unit, a unit's Devices. */
  static const Queue order[] = { Q_DEV_RM, Q_UNIT_ADDED, Q_DEV_ADDED, Q_UNIT_CHANGED, Q_DEV_CHANGED, Q_UNIT_RM };

  if (reg)
    {
      g_hash_table_remove_all (reg->fresh_probe);
      invalidate_lists (reg);
    }
  gboolean any = FALSE;

  for (guint k = 0; reg && reg->listener && k < G_N_ELEMENTS (order); k++)
    for (guint i = 0; i < c->q[order[k]]->len; i++)
      {
        PendingEvent *e = c->q[order[k]]->pdata[i];
        reg->listener (reg, e->ev, e->kind, e->name, reg->listener_data);
      }
  for (guint i = 0; i < N_QUEUES; i++)
    any = any || c->q[i]->len > 0;
  /* Once per batch, after every event: writers of derived state (the NFD
   * file) see the registry as the listeners left it. */
  if (reg && any && reg->change_hook)
    reg->change_hook (reg->change_hook_data);
  for (guint i = 0; i < N_QUEUES; i++)
    g_ptr_array_unref (c->q[i]);
  g_ptr_array_unref (c->unit_names);
  g_ptr_array_unref (c->device_names);
  g_free (c);
}

/* End of every mutation: derive, diff, fire. */
static void
commit (IhwRegistry *reg)
{
  Commit *c = commit_begin (reg);
  commit_step (reg, c, 0);
  commit_end (reg, c);
}

/* ---- public mutations ---------------------------------------------------- */

/* Whether the sorted list holds `name` (lists of 16,384 names: no scans). */
static gboolean
sorted_contains (GPtrArray *sorted, const char *name)
{
  return bsearch (&name, sorted->pdata, sorted->len, sizeof (gpointer), cmp_string_ptrs) != NULL;
}

/* More than `max` names: at start that is refused (`error` set); later the
 * first `max` are kept and the rest named in the log. */
static gboolean
within_limit (GPtrArray *names, guint max, const char *what, const char *where, GError **error)
{
  if (names->len <= max)
    return TRUE;
  if (error)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED,
                   "%s lists more than %u %s: more than iommu-hwinfod answers for (all of them must fit one "
                   "GetManagedObjects reply within the system bus's 32 MiB message limit)",
                   where, max, what);
      return FALSE;
    }
  g_warning ("%s lists more than %u %s: answering for the first %u only", where, max, what, max);
  g_ptr_array_set_size (names, max);
  return TRUE;
}

/* One full scan, in two halves: reading sysfs (scan_read: touches nothing
 * of the registry, so a worker thread may do it) and applying what was read
 * (scan_apply_some: the registry, a slice at a time on the main loop). */
typedef struct {
  char *sysfs_root;
  char *dev_root;
  gboolean force_probe;
  GPtrArray *unit_names;    /* char *, sorted */
  GPtrArray *device_names;
  GPtrArray *units;         /* IhwUnit * per name; NULL: gone meanwhile (or applied) */
  GPtrArray *devices;       /* IhwDevice * per name */
  guint next;               /* applied so far: units, then devices */
  GError *error;            /* a listing failed: nothing may be applied */
} Scan;

static void
scan_free (Scan *sc)
{
  g_free (sc->sysfs_root);
  g_free (sc->dev_root);
  g_clear_pointer (&sc->unit_names, g_ptr_array_unref);
  g_clear_pointer (&sc->device_names, g_ptr_array_unref);
  g_clear_pointer (&sc->units, g_ptr_array_unref);
  g_clear_pointer (&sc->devices, g_ptr_array_unref);
  g_clear_error (&sc->error);
  g_free (sc);
}

static Scan *
scan_new (IhwRegistry *reg, gboolean force_probe)
{
  Scan *sc = g_new0 (Scan, 1);
  sc->sysfs_root = g_strdup (reg->sysfs_root);
  sc->dev_root = g_strdup (reg->dev_root);
  sc->force_probe = force_probe;
  return sc;
}

/* A listing that fails fails the scan (sc->error, also in `error`): the
 * registry keeps what it had rather than dropping all it cannot see.
 * `error` NULL: over the limits is logged, not refused (Refresh). */
static gboolean
scan_read (Scan *sc, GError **error)
{
  g_autofree char *units_dir = g_build_filename (sc->sysfs_root, "class", "iommu", NULL);
  g_autofree char *devices_dir = g_build_filename (sc->sysfs_root, "bus", "pci", "devices", NULL);

  sc->unit_names = ihw_sysfs_list_units (sc->sysfs_root, &sc->error);
  if (sc->unit_names)
    sc->device_names = ihw_sysfs_list_devices (sc->sysfs_root, &sc->error);
  if (sc->error)
    {
      if (error)
        *error = g_error_copy (sc->error);
      return FALSE;
    }
  if (!within_limit (sc->unit_names, IHW_MAX_UNITS, "IOMMU units", units_dir, error) ||
      !within_limit (sc->device_names, IHW_MAX_DEVICES, "PCI devices", devices_dir, error))
    return FALSE;
  sc->units = g_ptr_array_new_with_free_func ((GDestroyNotify) ihw_unit_free);
  sc->devices = g_ptr_array_new_with_free_func ((GDestroyNotify) ihw_device_free);
  for (guint i = 0; i < sc->unit_names->len; i++)
    g_ptr_array_add (sc->units, ihw_sysfs_read_unit (sc->sysfs_root, sc->unit_names->pdata[i]));
  for (guint i = 0; i < sc->device_names->len; i++)
    g_ptr_array_add (sc->devices, ihw_sysfs_read_device (sc->sysfs_root, sc->dev_root, sc->device_names->pdata[i]));
  return TRUE;
}

/* Drops what sysfs no longer lists. */
static void
scan_apply_begin (IhwRegistry *reg, Scan *sc)
{
  g_autoptr (GPtrArray) known = sorted_keys (reg->devices);

  for (guint i = 0; i < known->len; i++)
    if (!sorted_contains (sc->device_names, known->pdata[i]))
      g_hash_table_remove (reg->devices, known->pdata[i]);
  g_clear_pointer (&known, g_ptr_array_unref);
  known = sorted_keys (reg->units);
  for (guint i = 0; i < known->len; i++)
    if (!sorted_contains (sc->unit_names, known->pdata[i]))
      {
        g_hash_table_remove (reg->unit_hw, known->pdata[i]);
        g_hash_table_remove (reg->unit_sysfs, known->pdata[i]);
        g_hash_table_remove (reg->units, known->pdata[i]);
      }
  invalidate_lists (reg);
}

/* Applies records until `deadline` (monotonic; 0: all).  TRUE when done. */
static gboolean
scan_apply_some (IhwRegistry *reg, Scan *sc, gint64 deadline)
{
  guint n_units = sc->unit_names->len;
  guint total = n_units + sc->device_names->len;

  while (sc->next < total)
    {
      guint i = sc->next++;
      if (i < n_units)
        apply_unit (reg, sc->unit_names->pdata[i], g_steal_pointer (&sc->units->pdata[i]));
      else
        apply_device (reg, sc->device_names->pdata[i - n_units], g_steal_pointer (&sc->devices->pdata[i - n_units]),
                      sc->force_probe);
      if (deadline && (sc->next & 15) == 0 && g_get_monotonic_time () >= deadline)
        break;
    }
  return sc->next >= total;
}

/* `strict`: over the limits fails too (start-up); else it is logged. */
static gboolean
sync_all (IhwRegistry *reg, gboolean force_probe, gboolean strict, GError **error)
{
  Scan *sc = scan_new (reg, force_probe);
  gboolean ok = scan_read (sc, strict ? error : NULL);

  if (ok)
    {
      scan_apply_begin (reg, sc);
      scan_apply_some (reg, sc, 0);
      invalidate_lists (reg);
    }
  else if (sc->error && !strict)
    g_propagate_error (error, g_steal_pointer (&sc->error));
  scan_free (sc);
  return ok;
}

/* ---- the full refresh off the main loop ------------------------------------ */

/* How long one slice of applying may hold the main loop. */
#define APPLY_SLICE_USEC 3000

typedef struct {
  IhwRegistryDone done;
  gpointer data;
} Waiter;

struct _IhwRefreshRun {
  IhwRegistry *reg;         /* NULL once the registry is gone */
  Scan *scan;
  Commit *commit;           /* once everything read is applied */
  guint idle;
  GArray *waiters;          /* Waiter */
};

static void
refresh_run_free (IhwRefreshRun *run)
{
  if (run->idle)
    g_source_remove (run->idle);
  if (run->scan)
    scan_free (run->scan);
  if (run->commit)
    commit_end (NULL, run->commit);
  g_array_unref (run->waiters);
  g_free (run);
}

/* The registry goes: a run still reading is freed by its thread's callback
 * (which finds no registry), one applying is freed now. */
static void
refresh_run_detach (IhwRefreshRun *run)
{
  run->reg = NULL;
  if (run->idle)
    refresh_run_free (run);
}

/* Answers every waiter (with the scan's error, if any) and frees the run. */
static void
refresh_run_finish (IhwRegistry *reg, IhwRefreshRun *run)
{
  reg->refresh_run = NULL;
  for (guint i = 0; i < run->waiters->len; i++)
    {
      Waiter *w = &g_array_index (run->waiters, Waiter, i);
      w->done (reg, run->scan->error, w->data);
    }
  refresh_run_free (run);
}

static gboolean
refresh_apply_slice (gpointer data)
{
  IhwRefreshRun *run = data;
  IhwRegistry *reg = run->reg;

  gint64 deadline = g_get_monotonic_time () + APPLY_SLICE_USEC;

  if (!run->commit)
    {
      if (!scan_apply_some (reg, run->scan, deadline))
        return G_SOURCE_CONTINUE;
      invalidate_lists (reg);
      run->commit = commit_begin (reg);
      return G_SOURCE_CONTINUE;
    }
  if (!commit_step (reg, run->commit, deadline))
    return G_SOURCE_CONTINUE;
  run->idle = 0;
  commit_end (reg, g_steal_pointer (&run->commit));
  refresh_run_finish (reg, run);
  return G_SOURCE_REMOVE;
}

static void
refresh_read_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Scan *sc = data;
  scan_read (sc, NULL);
  g_task_return_boolean (task, TRUE);
}

static void
refresh_read_done (GObject *source, GAsyncResult *result, gpointer data)
{
  IhwRefreshRun *run = data;

  if (!run->reg)
    {
      refresh_run_free (run);
      return;
    }
  if (run->scan->error)
    {
      g_warning ("Refresh: %s; keeping what was known", run->scan->error->message);
      refresh_run_finish (run->reg, run);
      return;
    }
  ensure_iommufd (run->reg);
  scan_apply_begin (run->reg, run->scan);
  run->idle = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, refresh_apply_slice, run, NULL);
}

void
ihw_registry_refresh_all_async (IhwRegistry *reg, IhwRegistryDone done, gpointer data)
{
  IhwRefreshRun *run = reg->refresh_run;
  Waiter w = { done, data };
  g_autoptr (GTask) task = NULL;

  /* A full refresh already under way answers this caller too. */
  if (run)
    {
      g_array_append_val (run->waiters, w);
      return;
    }
  run = g_new0 (IhwRefreshRun, 1);
  run->reg = reg;
  run->scan = scan_new (reg, TRUE);
  run->waiters = g_array_new (FALSE, FALSE, sizeof (Waiter));
  g_array_append_val (run->waiters, w);
  reg->refresh_run = run;

  task = g_task_new (NULL, NULL, refresh_read_done, run);
  g_task_set_task_data (task, run->scan, NULL);
  g_task_run_in_thread (task, refresh_read_thread);
}

gboolean
ihw_registry_load (IhwRegistry *reg, GError **error)
{
  if (!g_file_test (reg->sysfs_root, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "sysfs root %s: not a directory", reg->sysfs_root);
      return FALSE;
    }
  ensure_iommufd (reg);
  if (!sync_all (reg, FALSE, TRUE, error))
    return FALSE;
  commit (reg);
  return TRUE;
}

gboolean
ihw_registry_refresh (IhwRegistry *reg, const char *const *addresses, GError **error)
{
  g_autoptr (GPtrArray) norm = g_ptr_array_new_with_free_func (g_free);

  if (!addresses || !addresses[0])
    {
      if (!g_file_test (reg->sysfs_root, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "sysfs root %s: not a directory", reg->sysfs_root);
          return FALSE;
        }
      ensure_iommufd (reg);
      if (!sync_all (reg, TRUE, FALSE, error))
        return FALSE;
      commit (reg);
      return TRUE;
    }

  /* Validate everything before touching anything: all or nothing. */
  for (guint i = 0; addresses[i]; i++)
    {
      char *a = ihw_pci_address_normalize (addresses[i]);
      if (!a)
        {
          g_autofree char *shown = g_strescape (addresses[i], NULL);
          g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT,
                       "'%.64s' is not a PCI address (expected DDDD:BB:DD.F)", shown);
          return FALSE;
        }
      if (!g_hash_table_contains (reg->devices, a))
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_NO_SUCH_DEVICE, "no PCI device %s on this host", a);
          g_free (a);
          return FALSE;
        }
      g_ptr_array_add (norm, a);
    }
  ensure_iommufd (reg);
  for (guint i = 0; i < norm->len; i++)
    {
      const IhwDevice *d = g_hash_table_lookup (reg->devices, norm->pdata[i]);
      /* The unit too: its registers are part of the device's answer. */
      if (d && d->unit)
        {
          g_autofree char *unit = g_strdup (d->unit);
          sync_unit (reg, unit);
        }
      sync_device (reg, norm->pdata[i], TRUE);
    }
  commit (reg);
  return TRUE;
}

void
ihw_registry_update_device (IhwRegistry *reg, const char *address)
{
  /* A sysfs name: only the kernel's own form is a device (see ihw-sysfs). */
  if (!ihw_pci_address_canonical (address))
    return;
  sync_device (reg, address, FALSE);
  commit (reg);
}

void
ihw_registry_update_unit (IhwRegistry *reg, const char *name)
{
  g_autoptr (GPtrArray) devices = NULL;
  g_autoptr (GError) error = NULL;

  sync_unit (reg, name);
  /* Devices re-link to a unit through their own `iommu` links; re-read the
   * devices sysfs now lists so a new unit gets its devices (and a device's
   * cdev or driver may have moved with it). */
  devices = ihw_sysfs_list_devices (reg->sysfs_root, &error);
  if (!devices)
    g_warning ("%s: its devices are not re-read: %s", name, error->message);
  for (guint i = 0; devices && i < devices->len; i++)
    {
      IhwDevice *d = g_hash_table_lookup (reg->devices, devices->pdata[i]);
      if (!d || !d->unit || g_strcmp0 (d->unit, name) == 0)
        sync_device (reg, devices->pdata[i], FALSE);
    }
  commit (reg);
}

/* ---- lookups ------------------------------------------------------------- */

static int
cmp_units (gconstpointer a, gconstpointer b)
{
  return strcmp ((*(IhwUnit *const *) a)->name, (*(IhwUnit *const *) b)->name);
}

static int
cmp_devices (gconstpointer a, gconstpointer b)
{
  return strcmp ((*(IhwDevice *const *) a)->address, (*(IhwDevice *const *) b)->address);
}

GPtrArray *
ihw_registry_get_units (IhwRegistry *reg)
{
  if (!reg->unit_list)
    {
      GHashTableIter it;
      gpointer value;
      reg->unit_list = g_ptr_array_new ();
      g_hash_table_iter_init (&it, reg->units);
      while (g_hash_table_iter_next (&it, NULL, &value))
        g_ptr_array_add (reg->unit_list, value);
      g_ptr_array_sort (reg->unit_list, cmp_units);
    }
  return reg->unit_list;
}

GPtrArray *
ihw_registry_get_devices (IhwRegistry *reg)
{
  if (!reg->device_list)
    {
      GHashTableIter it;
      gpointer value;
      reg->device_list = g_ptr_array_new ();
      g_hash_table_iter_init (&it, reg->devices);
      while (g_hash_table_iter_next (&it, NULL, &value))
        g_ptr_array_add (reg->device_list, value);
      g_ptr_array_sort (reg->device_list, cmp_devices);
    }
  return reg->device_list;
}

IhwUnit *
ihw_registry_lookup_unit (IhwRegistry *reg, const char *name)
{
  return name ? g_hash_table_lookup (reg->units, name) : NULL;
}

IhwDevice *
ihw_registry_lookup_device (IhwRegistry *reg, const char *address)
{
  g_autofree char *a = NULL;

  /* The keys are canonical: most callers (the objects, the manager) hold
   * one already, and are answered without a copy. */
  if (address && ihw_pci_address_canonical (address))
    return g_hash_table_lookup (reg->devices, address);
  a = address ? ihw_pci_address_normalize (address) : NULL;
  return a ? g_hash_table_lookup (reg->devices, a) : NULL;
}

/* QEMU's host aw-bits: the kernel's IOVA ranges when a probe read them,
 * else the registers' aperture cut by the group's reserved regions. */
static void
host_aw_bits_facts (const IhwDevice *dev, IhwDeviceFacts *facts, gboolean regs_from_hw_info)
{
  /* [hw_info registers][cut by a reserved region] */
  static const char *const from[2][2] = {
    { "sysfs registers", "sysfs registers and reserved_regions" },
    { "hw_info registers", "hw_info registers and reserved_regions" },
  };
  guint aperture;
  gboolean clipped = FALSE;
  gsize size = 0;
  const guint64 *regions = dev->reserved_regions ? g_bytes_get_data (dev->reserved_regions, &size) : NULL;

  if (dev->host_aw_bits)
    {
      facts->host_aw_bits = dev->host_aw_bits;
      facts->host_aw_bits_from = dev->source == IHW_SOURCE_CACHE ? "cached iommufd IOVA ranges" : "iommufd IOVA ranges";
      return;
    }
  if (!ihw_features_aperture_bits (facts->features, &aperture))
    return;
  facts->host_aw_bits = ihw_aperture_host_aw_bits (aperture, regions, size / (2 * sizeof (guint64)), &clipped);
  facts->host_aw_bits_from = from[regs_from_hw_info][clipped];
}

void
ihw_registry_device_facts (IhwRegistry *reg, const IhwDevice *dev, IhwFeatures *features_out,
                           IhwDeviceFacts *facts_out)
{
  const IhwUnit *u = dev->unit ? g_hash_table_lookup (reg->units, dev->unit) : NULL;

  memset (facts_out, 0, sizeof *facts_out);
  facts_out->device = dev->address;
  facts_out->nest_parent = dev->nest_parent;
  facts_out->unit = dev->unit;
  /* Only a device without an `iommu` link has no IOMMU; a link nobody can
   * follow is missing data. */
  facts_out->no_iommu = dev->has_iommu == IHW_TRISTATE_NO;
  facts_out->behind_pci_bridge = dev->behind_pci_bridge;
  /* QEMU's accel paths need the device through iommufd: /dev/iommu and the
   * device's VFIO cdev.  No /dev/iommu is definite; a device not yet bound to
   * vfio-pci (libvirt binds managed hostdevs at start) is not known yet. */
  if (!ihw_registry_iommufd_available (reg))
    facts_out->iommufd = IHW_TRISTATE_NO;
  else if (dev->vfio_cdev && *dev->vfio_cdev)
    facts_out->iommufd = IHW_TRISTATE_YES;
  else
    facts_out->iommufd = IHW_TRISTATE_UNKNOWN;

  /* What the kernel said when asked for the add-on of the device's hw_info
   * type (Tegra241 CMDQV on an SMMUv3) is the fact the add-on names. */
  {
    const IhwVendorDesc *addon = dev->has_hw_info ? ihw_vendor_desc_addon_of (dev->hw_info_type) : NULL;
    if (addon && addon->device_fact)
      ihw_device_fact_set (facts_out, addon->device_fact, dev->hw_addon);
  }

  if (device_hw_features (dev, features_out))
    {
      facts_out->features = features_out;
      host_aw_bits_facts (dev, facts_out, TRUE);
      return;
    }
  if (!u && dev->has_iommu == IHW_TRISTATE_NO)
    facts_out->no_features_reason = "no IOMMU";
  else if (!u)
    facts_out->no_features_reason = "unknown";
  else if (!u->features.desc)
    facts_out->no_features_reason = "unknown IOMMU vendor";
  else if (!u->features.present)
    facts_out->no_features_reason = u->features.desc->registers_need_iommufd
                                      ? u->features.desc->no_registers_reason
                                      : "no readable registers";
  else
    {
      *features_out = u->features;
      facts_out->features = features_out;
    }
  host_aw_bits_facts (dev, facts_out, u && u->source != IHW_SOURCE_SYSFS);
}
