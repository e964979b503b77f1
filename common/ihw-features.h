/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The feature model: raw IOMMU capability registers plus the table that says
 * what each bit field means.  Decoding is lazy and pure: a field's value is
 * extracted from the raw register when asked for, so nothing is ever lost and
 * bits no table row claims are reported as unknown, raw.
 */
#pragma once

#include <glib.h>

#include "ihw-vendor.h"

G_BEGIN_DECLS

/* A unit's capabilities: raw registers of one vendor. */
typedef struct {
  const IhwVendorDesc *desc;       /* NULL: unknown vendor, nothing decodable */
  guint64 regs[IHW_MAX_REGS];
  guint32 present;                 /* bit i: regs[i] is known */
  guint32 hw_info_flags;           /* vendor hw_info flags (VT-d SPR17 erratum, ...) */
  gboolean has_hw_info_flags;      /* flags came from the kernel, not from sysfs/user */
} IhwFeatures;

typedef enum {
  IHW_VALUE_ABSENT = 0,   /* the register holding it was not provided */
  IHW_VALUE_BOOL,
  IHW_VALUE_UINT,
  IHW_VALUE_STRING,
  IHW_VALUE_LIST,
} IhwValueType;

typedef struct {
  IhwValueType type;
  guint64 u;                /* BOOL (0/1) and UINT; LIST: number of entries */
  const char *s;            /* STRING: static text */
  guint16 list[IHW_MAX_MAP];
  guint64 raw;              /* the raw bit-field value */
} IhwValue;

void ihw_features_init (IhwFeatures *f, IhwVendor vendor);
gboolean ihw_features_set_reg (IhwFeatures *f, const char *reg, guint64 value);
gboolean ihw_features_has_reg (const IhwFeatures *f, guint reg);
int ihw_features_reg_index (const IhwFeatures *f, const char *reg);

const IhwFieldDef *ihw_features_field (const IhwFeatures *f, const char *key);
IhwValue ihw_field_value (const IhwFeatures *f, const IhwFieldDef *def);
gboolean ihw_features_get (const IhwFeatures *f, const char *key, IhwValue *out);
/* Convenience: a BOOL or UINT field's number; `fallback` if absent. */
guint64 ihw_features_get_uint (const IhwFeatures *f, const char *key, guint64 fallback);

/* The IOVA aperture's address width the registers imply for a device's
 * paging domain (the vendor's aperture_fields); FALSE when the vendor has
 * none or a register is missing. */
gboolean ihw_features_aperture_bits (const IhwFeatures *f, guint *bits);
/* QEMU's host aw-bits for an aperture of `aperture_bits` whose top may be
 * cut off by reserved regions (`n` (start, last) pairs): the highest bit
 * of the last usable address + 1, 64 when nothing is usable (QEMU's value
 * without IOVA ranges).  *clipped: a region reached the top. */
guint ihw_aperture_host_aw_bits (guint aperture_bits, const guint64 *regions, gsize n, gboolean *clipped);

/* Bits of register `reg` that no field of the table describes. */
guint64 ihw_features_unknown_bits (const IhwFeatures *f, guint reg);
/* Mask of the bits the table describes for register `reg`. */
guint64 ihw_vendor_known_mask (const IhwVendorDesc *desc, guint reg);

/* "48", "true", "39,48", "aarch64": the field as a short string. */
char *ihw_value_to_string (const IhwValue *v);

/* Bit-field extraction shared by every decoder. */
static inline guint64
ihw_bits (guint64 value, guint lo, guint width)
{
  if (width >= 64)
    return value >> lo;
  return (value >> lo) & ((G_GUINT64_CONSTANT (1) << width) - 1);
}

G_END_DECLS
