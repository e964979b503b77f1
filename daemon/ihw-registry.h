/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The registry: IOMMU units and PCI devices of this host, read from sysfs
 * (SPEC §3.2), enriched by the iommufd probe (SPEC §3.1), kept current by
 * hotplug (SPEC §3.3).  Requests are answered from it; only start-up,
 * hotplug and Refresh probe.  The D-Bus objects (ihw-manager.c,
 * ihw-unit-object.c, ihw-device-object.c) read it and listen to its change
 * callback.  The records themselves are in ihw-records.h.
 */
#pragma once

#include <glib.h>

#include "ihw-records.h"
#include "ihw-verdict.h"

G_BEGIN_DECLS

typedef struct _IhwRegistry IhwRegistry;

typedef enum {
  IHW_REGISTRY_ADDED,
  IHW_REGISTRY_CHANGED,
  IHW_REGISTRY_REMOVED,
} IhwRegistryEvent;

typedef enum {
  IHW_OBJECT_UNIT,
  IHW_OBJECT_DEVICE,
} IhwObjectKind;

/* Called after the registry changed; `name` is the unit name or device
 * address.  For REMOVED, the object is already gone from the registry. */
typedef void (*IhwRegistryListener) (IhwRegistry *reg, IhwRegistryEvent ev, IhwObjectKind kind, const char *name,
                                     gpointer user_data);

typedef struct {
  const char *sysfs_root;  /* "/sys" */
  const char *dev_root;    /* "/dev" */
  gboolean probe;          /* FALSE: --no-probe, never open a device */
} IhwRegistryOptions;

IhwRegistry *ihw_registry_new (const IhwRegistryOptions *opts);
void ihw_registry_free (IhwRegistry *reg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IhwRegistry, ihw_registry_free)

void ihw_registry_set_listener (IhwRegistry *reg, IhwRegistryListener fn, gpointer user_data);
/* Called once after each batch of listener events (a scan, one uevent, a
 * Refresh) that changed anything: for observers that only need to know
 * that something changed (the NFD file). */
typedef void (*IhwRegistryChangeHook) (gpointer user_data);
void ihw_registry_set_change_hook (IhwRegistry *reg, IhwRegistryChangeHook fn, gpointer user_data);

/* Full scan of sysfs, then probe (unless disabled).  Problems with single
 * entries (garbage register files, dangling links) are logged and the entry
 * is kept with what could be read; only a missing sysfs root fails.
 * May be called again as a rescan: it fires events for what
 * changed and probes only devices whose VFIO cdev is new; use refresh to
 * re-probe.  /dev/iommu is opened on first need and retried until it works. */
gboolean ihw_registry_load (IhwRegistry *reg, GError **error);

/* Re-read and re-probe the given devices (NULL or empty: everything).
 * Fails with IHW_ERROR_NO_SUCH_DEVICE naming an unknown address, and
 * (changing nothing) when sysfs cannot be listed. */
gboolean ihw_registry_refresh (IhwRegistry *reg, const char *const *addresses, GError **error);

/* Refresh of everything without holding the main loop: sysfs is read in a
 * worker thread, what was read is applied (and devices probed) in slices
 * of a few milliseconds from an idle source, then the listener fires and
 * `done` is called.  A call while one is under way is answered by it. */
typedef struct _IhwRefreshRun IhwRefreshRun;
/* `error`: the host could not be listed, nothing was changed. */
typedef void (*IhwRegistryDone) (IhwRegistry *reg, const GError *error, gpointer data);
void ihw_registry_refresh_all_async (IhwRegistry *reg, IhwRegistryDone done, gpointer data);

/* Hotplug entry points (ihw-hotplug.c calls them; tests may too): re-read
 * one device / unit from sysfs, probe a device that newly has a VFIO cdev,
 * and add, change or remove it, firing the listener.  Units and devices that
 * depend on it follow (a unit's `devices` list, a device's `unit`), each with
 * its own event.  Unlike refresh, a name not (or no longer) in sysfs is not
 * an error: it is simply removed. */
/* `address` as sysfs names it (canonical, ihw_pci_address_canonical()). */
void ihw_registry_update_device (IhwRegistry *reg, const char *address);
void ihw_registry_update_unit (IhwRegistry *reg, const char *name);

/* Whether /dev/iommu could be opened.  With probe = FALSE it is never
 * opened: then this says whether the node exists. */
gboolean ihw_registry_iommufd_available (IhwRegistry *reg);

/* How answers are obtained right now, for the log: "probing through
 * iommufd", "no /dev/iommu: sysfs only, ..." or "no probing". */
const char *ihw_registry_probe_state (IhwRegistry *reg);

/* Sorted by name / address.  Owned by the registry.
 *
 * Lifetime and events: an IhwUnit / IhwDevice pointer stays
 * the same from its ADDED event until its REMOVED event; a change updates it
 * in place.  The arrays are rebuilt after a change, so do not keep them
 * across one.  CHANGED fires when any field changed, including UpdatedUsec,
 * which moves when the content changed or a probe returned a fresh answer.
 * Listeners run after the registry is consistent again (after a whole
 * load/refresh/update), in this order: devices REMOVED, units ADDED, devices
 * ADDED, units CHANGED, devices CHANGED, units REMOVED; within each group
 * sorted by name.  So a device is announced after its unit, and a unit goes
 * after its devices stopped pointing at it.  Single-threaded: call
 * everything from the thread running the GLib main loop. */
GPtrArray *ihw_registry_get_units (IhwRegistry *reg);    /* IhwUnit * */
GPtrArray *ihw_registry_get_devices (IhwRegistry *reg);  /* IhwDevice * */
IhwUnit *ihw_registry_lookup_unit (IhwRegistry *reg, const char *name);
IhwDevice *ihw_registry_lookup_device (IhwRegistry *reg, const char *address);

/* The facts a verdict needs about one device: its unit's features (or the
 * hw_info-decoded ones, which win when present), its nest-parent probe.
 * `features_out` is storage the facts point into. */
void ihw_registry_device_facts (IhwRegistry *reg, const IhwDevice *dev, IhwFeatures *features_out,
                                IhwDeviceFacts *facts_out);

G_END_DECLS
