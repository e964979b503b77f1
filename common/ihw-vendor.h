/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IOMMU vendors: one descriptor per vendor (common/ihw-vendor-<name>.c)
 * says everything the rest of the tree needs to know about it — its
 * registers and their fields, where iommufd's hw_info keeps them, how people
 * paste them on a command line, which sysfs files hold them, and its names.
 * Everything else loops over ihw_vendors(); the list itself comes from
 * common/meson.build (ihw_vendors), so adding a vendor is its file, its
 * entry there and its rows in ihw-rules.c.
 */
#pragma once

#include <glib.h>

#include "ihw-vendor-list.h"

G_BEGIN_DECLS

typedef enum {
  IHW_VENDOR_UNKNOWN = 0,
#define IHW_VENDOR_ENUM_(id, file) IHW_VENDOR_##id,
  IHW_VENDOR_LIST (IHW_VENDOR_ENUM_)
#undef IHW_VENDOR_ENUM_
  IHW_VENDOR_LAST
} IhwVendor;

typedef enum {
  IHW_FIELD_BOOL,     /* one bit */
  IHW_FIELD_UINT,     /* raw value of the bit range, plus `offset` */
  IHW_FIELD_MAP,      /* raw value indexes `map` (n_map entries); out of range = reserved */
  IHW_FIELD_BITLIST,  /* bit i set -> map[i] (e.g. SAGAW bit 2 -> 48) */
  IHW_FIELD_ENUM,     /* raw value indexes `names` */
} IhwFieldKind;

#define IHW_MAX_REGS 8
#define IHW_MAX_MAP 8

typedef struct {
  const char *key;          /* JSON key, lower case ("nest", "pasid_bits") */
  guint reg;                /* index into the vendor's register table */
  const char *mnemonic;     /* the spec's name ("NEST"), used in reasons */
  guint8 lo;                /* lowest bit */
  guint8 width;             /* number of bits */
  IhwFieldKind kind;
  gint8 offset;             /* IHW_FIELD_UINT: added to the raw value */
  guint16 map[IHW_MAX_MAP]; /* IHW_FIELD_MAP / IHW_FIELD_BITLIST */
  guint8 n_map;
  const char *names[IHW_MAX_MAP]; /* IHW_FIELD_ENUM (n_map entries) */
  const char *only_if;      /* key of a BOOL field: when it is 0, this value is 0 */
  const char *description;  /* human text for the table */
} IhwFieldDef;

typedef struct {
  const char *name;   /* "cap", "efr2", "idr3" */
  guint bits;         /* 32 or 64 */
  guint hw_info_offset; /* where IOMMU_GET_HW_INFO's struct holds it (bits/8 bytes, little-endian) */
} IhwRegisterDef;

/* A sysfs attribute under the unit's vendor directory.  It prints the
 * registers in `regs` as hex, ':'-separated; none: read only so that a
 * garbage value is logged (`bits` wide). */
typedef struct {
  const char *file;
  const char *regs[2];
  guint bits;
  gboolean optional;  /* absent is normal (not logged) */
} IhwSysfsFile;

typedef struct {
  IhwVendor vendor;
  const char *name;        /* "intel-vtd", "amd-vi", "arm-smmuv3" (SPEC names) */
  const char *title;       /* "Intel VT-d" */
  const char *short_title; /* "VT-d", "SMMUv3": in sentences about the registers */
  const IhwRegisterDef *regs;
  guint n_regs;
  const IhwFieldDef *fields;
  guint n_fields;

  /* iommufd: IOMMU_GET_HW_INFO's out_data_type and struct for this vendor. */
  guint32 hw_info_type;
  const char *hw_info_name;   /* the kernel's name for the type ("intel-vtd", "amd") */
  guint32 hw_info_len;
  gint hw_info_flags_offset;  /* the struct's u32 flags; -1: it has none */

  /* The command line (iommu-hwinfoctl decode). */
  const char *words[4];                  /* what names the vendor; the first is shown */
  const char *positional[IHW_MAX_REGS + 1]; /* registers given without labels, in order */
  guint n_required;                      /* how many of them must be given */
  const char *label_prefix;              /* the spec's register prefix ("SMMU_" in SMMU_IDR0) */
  const char *paste_open;                /* a log line's "<marker>(V, V)": "features (" */
  const char *paste_title;               /* how messages name that line: "Extended features" */

  /* sysfs: the register directory under /sys/class/iommu/<unit>/. */
  const char *sysfs_dir;                 /* "intel-iommu"; NULL: the driver exports none */
  IhwSysfsFile sysfs_files[3];
  const char *sysfs_version_file;        /* "major:minor" (VT-d) */
  const char *sysfs_unit_prefix;         /* unit names that mean this vendor without a directory */
  gboolean registers_need_iommufd;       /* no register files anywhere: only iommufd knows them */
  const char *no_registers_reason;       /* what a verdict says then, as `found` */

  /* An add-on to another vendor's unit that IOMMU_GET_HW_INFO reports only
   * when asked for by type (IOMMU_HW_INFO_FLAG_INPUT_TYPE, 6.17): the
   * daemon asks every device whose default answer is `addon_of_hw_info_type`
   * (0: not an add-on), and the answer (ihw_hw_info_ask_step()) is the
   * device fact `device_fact` (ihw_device_fact()). */
  guint32 addon_of_hw_info_type;
  const char *device_fact;
  const char *dbus_property;  /* the Device property with the answer ("Cmdqv"); "<it>HwInfo" has the bytes */
  /* The address width of the kernel's IOVA aperture for a device's paging
   * domain, from the registers: the smallest of these fields (a list by its
   * largest entry up to `aperture_max`); no fields: not known from the
   * registers.  What iommufd's IOVA ranges report, without a probe. */
  const char *aperture_fields[3];
  guint aperture_max;
} IhwVendorDesc;

/* The vendors, in the order the CLI lists them. */
const IhwVendorDesc *const *ihw_vendors (guint *n);
const IhwVendorDesc *ihw_vendor_desc (IhwVendor vendor);
const IhwVendorDesc *ihw_vendor_desc_by_name (const char *name);
/* The vendor with hw_info type `type`, or NULL. */
const IhwVendorDesc *ihw_vendor_desc_by_hw_info (guint32 type);
/* The add-on asked for on devices whose default hw_info type is `type`, or NULL. */
const IhwVendorDesc *ihw_vendor_desc_addon_of (guint32 type);
/* The add-on whose Device property is `prop` (its answer) or
 * "<prop>HwInfo" (*bytes_out TRUE: its hw_info bytes), or NULL. */
const IhwVendorDesc *ihw_vendor_desc_addon_by_property (const char *prop, gboolean *bytes_out);
/* A command-line word ("intel", "amd-vi", case-insensitive), or NULL. */
const IhwVendorDesc *ihw_vendor_desc_by_word (const char *word);
const char *ihw_vendor_name (IhwVendor vendor);
/* "intel, amd, smmuv3": the first word of every vendor. */
char *ihw_vendor_words (void);
/* "intel CAP ECAP | amd EFR [EFR2] | ...": decode's arguments. */
char *ihw_vendor_decode_usage (void);

/* Table rows for the vendor files: a one-bit flag, and a multi-bit number (+ offset). */
#define IHW_BIT(k, r, m, bit, d) \
  { .key = k, .reg = r, .mnemonic = m, .lo = bit, .width = 1, .kind = IHW_FIELD_BOOL, .description = d }
#define IHW_NUM(k, r, m, lo_, w, off, d) \
  { .key = k, .reg = r, .mnemonic = m, .lo = lo_, .width = w, .kind = IHW_FIELD_UINT, .offset = off, .description = d }

#define IHW_VENDOR_EXTERN_(id, file) extern const IhwVendorDesc ihw_vendor_##file;
IHW_VENDOR_LIST (IHW_VENDOR_EXTERN_)
#undef IHW_VENDOR_EXTERN_

G_END_DECLS
