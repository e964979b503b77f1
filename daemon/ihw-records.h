/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's two records: an IOMMU unit and a PCI device, as the sysfs
 * reader builds them, the iommufd probe completes them and the registry
 * keeps them.  Each struct is generated from one field list, which also
 * says how the field enters the record's change signature: a new field is
 * in change detection unless its line says SKIP (test-registry checks that
 * changing any other field changes the signature).
 */
#pragma once

#include <glib.h>

#include "ihw-features.h"
#include "ihw-types.h"

G_BEGIN_DECLS

typedef enum {
  IHW_SOURCE_NONE = 0,  /* nothing known */
  IHW_SOURCE_SYSFS,     /* unit register files */
  IHW_SOURCE_IOMMUFD,   /* IOMMU_GET_HW_INFO, probed just now */
  IHW_SOURCE_CACHE,     /* an earlier iommufd answer, kept while the device is busy */
} IhwSource;

const char *ihw_source_name (IhwSource s); /* "none", "sysfs", "iommufd", "cache" */

/* How a field enters the change signature. */
typedef enum {
  IHW_SIG_STRING,    /* char *; NULL and "" differ */
  IHW_SIG_NUMBER,    /* any integer or enum, by its bytes */
  IHW_SIG_BYTES,     /* GBytes *, by content */
  IHW_SIG_STRV,      /* GPtrArray of char *, by content */
  IHW_SIG_FEATURES,  /* IhwFeatures: vendor, registers, hw_info flags */
  IHW_SIG_SKIP,      /* not content (the stamp the signature itself moves) */
} IhwSigKind;

/* F (type, name, signature kind) */
#define IHW_UNIT_FIELDS(F) \
  F (char *, name, IHW_SIG_STRING)          /* "dmar0", "ivhd0", "smmu3.0x0000000005000000" */ \
  F (IhwFeatures, features, IHW_SIG_FEATURES) /* desc == NULL when the vendor is unknown */ \
  F (IhwSource, source, IHW_SIG_NUMBER) \
  F (guint64, updated_usec, IHW_SIG_SKIP)   /* CLOCK_REALTIME, microseconds: moves when the signature does */ \
  F (GPtrArray *, devices, IHW_SIG_STRV)    /* char * addresses of the devices behind it */ \
  F (char *, version, IHW_SIG_STRING)       /* VT-d "major:minor" from intel-iommu/version, NULL otherwise */

#define IHW_DEVICE_FIELDS(F) \
  F (char *, address, IHW_SIG_STRING)       /* "0000:3a:00.0" */ \
  F (char *, unit, IHW_SIG_STRING)          /* unit name when has_iommu is YES, else NULL */ \
  /* NO: no `iommu` link (a definite "no IOMMU"); UNKNOWN: a link that \
   * dangles, loops or names a unit that is not there (missing data) */ \
  F (IhwTristate, has_iommu, IHW_SIG_NUMBER) \
  F (char *, driver, IHW_SIG_STRING)        /* "vfio-pci", "nvme", "" when unbound, NULL unknown */ \
  F (int, iommu_group, IHW_SIG_NUMBER)      /* -1 when none, IHW_IOMMU_GROUP_UNKNOWN */ \
  F (char *, vfio_cdev, IHW_SIG_STRING)     /* "/dev/vfio/devices/vfio3", "" when none */ \
  F (guint, vfio_cdev_major, IHW_SIG_NUMBER) /* from vfio-dev/vfioN/dev; 0 when vfio_cdev is "" */ \
  F (guint, vfio_cdev_minor, IHW_SIG_NUMBER) \
  F (guint16, vendor_id, IHW_SIG_NUMBER) \
  F (guint16, device_id, IHW_SIG_NUMBER) \
  F (guint32, class_code, IHW_SIG_NUMBER) \
  /* A conventional (non-Express) PCI bridge or bus segment between the \
   * device and the root complex (QEMU 11's x-flts refuses those); read from \
   * the sysfs topology, UNKNOWN when it could not be read. */ \
  F (IhwTristate, behind_pci_bridge, IHW_SIG_NUMBER) \
  /* Its group's reserved_regions that bound DMA (all but direct-relaxable, \
   * as iommufd reserves them): guint64 (start, last) pairs; NULL unknown. */ \
  F (GBytes *, reserved_regions, IHW_SIG_BYTES) \
  /* iommufd probe results (source IOMMUFD or CACHE) */ \
  F (gboolean, has_hw_info, IHW_SIG_NUMBER) \
  F (guint32, hw_info_type, IHW_SIG_NUMBER) \
  F (GBytes *, hw_info_data, IHW_SIG_BYTES) /* the data bytes as the kernel returned them */ \
  F (gboolean, hw_decoded, IHW_SIG_NUMBER)  /* hw_features holds the decoded hw_info_data */ \
  F (IhwFeatures, hw_features, IHW_SIG_FEATURES) /* decoded once, when the bytes arrive */ \
  F (guint64, capabilities, IHW_SIG_NUMBER) /* out_capabilities */ \
  F (guint8, max_pasid_log2, IHW_SIG_NUMBER) \
  F (IhwNestParent, nest_parent, IHW_SIG_NUMBER) \
  /* The add-on of hw_info_type (ihw_vendor_desc_addon_of), asked for by \
   * type: its answer, and its hw_info bytes when YES */ \
  F (IhwTristate, hw_addon, IHW_SIG_NUMBER) \
  F (GBytes *, hw_addon_data, IHW_SIG_BYTES) \
  /* QEMU's host aw-bits from IOMMU_IOAS_IOVA_RANGES (0 unknown) */ \
  F (guint8, host_aw_bits, IHW_SIG_NUMBER) \
  F (char *, probe_error, IHW_SIG_STRING)   /* last probe failure naming the call and errno; NULL if none */ \
  /* Where the device's answer comes from.  iommufd: its own probe just now; \
   * cache: its own earlier probe, or its unit's registers that only a \
   * sibling's probe reported; sysfs: its unit's register files (also when a \
   * sibling's probe confirmed them); none: no registers. */ \
  F (IhwSource, source, IHW_SIG_NUMBER) \
  F (guint64, updated_usec, IHW_SIG_SKIP)

/* An `iommu_group` link that cannot be read (D-Bus IommuGroup -2). */
#define IHW_IOMMU_GROUP_UNKNOWN (-2)

#define IHW_RECORD_FIELD_DECL_(type, name, sig) type name;
typedef struct {
  IHW_UNIT_FIELDS (IHW_RECORD_FIELD_DECL_)
} IhwUnit;

typedef struct {
  IHW_DEVICE_FIELDS (IHW_RECORD_FIELD_DECL_)
} IhwDevice;
#undef IHW_RECORD_FIELD_DECL_

/* A field as the signature reads it (and tests mutate it). */
typedef struct {
  const char *name;
  gsize offset;
  gsize size;
  IhwSigKind sig;
} IhwRecordField;

const IhwRecordField *ihw_unit_fields (guint *n);
const IhwRecordField *ihw_device_fields (guint *n);

/* Every field but the SKIP ones, as one string: two records with equal
 * signatures look the same on D-Bus. */
char *ihw_unit_signature (const IhwUnit *unit);
char *ihw_device_signature (const IhwDevice *dev);

/* A new unit has no vendor, an empty `devices`; a new device has driver "",
 * vfio_cdev "", iommu_group -1. */
IhwUnit *ihw_unit_new (const char *name);
void ihw_unit_free (IhwUnit *unit);
IhwDevice *ihw_device_new (const char *address);
void ihw_device_free (IhwDevice *dev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IhwUnit, ihw_unit_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IhwDevice, ihw_device_free)

/* The device's kernel answer.  `data` may be NULL; the bytes are decoded
 * here, once, into hw_features (hw_decoded FALSE when they do not decode to
 * a known vendor). */
void ihw_device_set_hw_info (IhwDevice *dev, guint32 type, GBytes *data, guint64 capabilities,
                             guint8 max_pasid_log2, IhwNestParent nest_parent);
/* The kernel's answer about the add-on of the device's hw_info type
 * (IhwProbeResult.addon_answer); `data` may be NULL. */
void ihw_device_set_hw_addon (IhwDevice *dev, IhwTristate answer, GBytes *data);
/* The add-on's vendor and its decoded registers: NULL unless the kernel
 * reported it (hw_addon YES) with bytes that parse. */
const IhwVendorDesc *ihw_device_hw_addon (const IhwDevice *dev, IhwFeatures *features_out);
/* The decoded hw_info registers, if any. */
const IhwFeatures *ihw_device_hw_features (const IhwDevice *dev);

G_END_DECLS
