/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The registry: IOMMU units and PCI devices of this host, read from sysfs
 * (SPEC §3.2), enriched by the iommufd probe (SPEC §3.1), kept current by
 * hotplug (SPEC §3.3).  Requests are answered from it; only start-up,
 * hotplug and Refresh probe.  The D-Bus objects (ihw-manager.c, ihw-unit.c,
 * ihw-device.c) read it and listen to its change callback.
 *
 * This header is the contract between the registry/probe code and the D-Bus
 * code.  Extend it additively.
 */
#pragma once

#include <glib.h>

#include "ihw-features.h"
#include "ihw-verdict.h"

G_BEGIN_DECLS

typedef enum {
  IHW_SOURCE_NONE = 0,  /* nothing known */
  IHW_SOURCE_SYSFS,     /* unit register files */
  IHW_SOURCE_IOMMUFD,   /* IOMMU_GET_HW_INFO, probed just now */
  IHW_SOURCE_CACHE,     /* an earlier iommufd answer, kept while the device is busy */
} IhwSource;

const char *ihw_source_name (IhwSource s); /* "none", "sysfs", "iommufd", "cache" */

typedef struct {
  char *name;              /* "dmar0", "ivhd0", "smmu3.0x0000000005000000" */
  IhwFeatures features;    /* desc == NULL when the vendor is unknown */
  IhwSource source;
  guint64 updated_usec;    /* CLOCK_REALTIME, microseconds */
  GPtrArray *devices;      /* char * addresses of devices behind it */
} IhwUnit;

typedef struct {
  char *address;           /* "0000:3a:00.0" */
  char *unit;              /* unit name, NULL when the device has no IOMMU */
  char *driver;            /* "vfio-pci", "nvme", "" when unbound */
  int iommu_group;         /* -1 when none */
  char *vfio_cdev;         /* "/dev/vfio/devices/vfio3", "" when none */
  guint16 vendor_id;
  guint16 device_id;
  guint32 class_code;

  /* iommufd probe results (source IOMMUFD or CACHE) */
  gboolean has_hw_info;
  guint32 hw_info_type;
  GBytes *hw_info_data;    /* the data bytes as the kernel returned them */
  guint64 capabilities;    /* out_capabilities */
  guint8 max_pasid_log2;
  IhwNestParent nest_parent;
  char *probe_error;       /* last probe failure, human text naming the call and errno; NULL if none */

  IhwSource source;        /* where the device's answer comes from */
  guint64 updated_usec;
} IhwDevice;

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

/* Full scan of sysfs, then probe (unless disabled).  Problems with single
 * entries (garbage register files, dangling links) are logged and the entry
 * is kept with what could be read; only a missing sysfs root fails. */
gboolean ihw_registry_load (IhwRegistry *reg, GError **error);

/* Re-read and re-probe the given devices (NULL or empty: everything).
 * Fails with IHW_ERROR_NO_SUCH_DEVICE naming an unknown address. */
gboolean ihw_registry_refresh (IhwRegistry *reg, const char *const *addresses, GError **error);

/* Whether /dev/iommu could be opened. */
gboolean ihw_registry_iommufd_available (IhwRegistry *reg);

/* Sorted by name / address.  Owned by the registry. */
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
