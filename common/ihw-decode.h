/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The per-vendor register tables (one file each). */
#pragma once

#include "ihw-features.h"

/* Table rows: a one-bit flag, and a multi-bit number (+ offset). */
#define IHW_BIT(k, r, m, bit, d) \
  { .key = k, .reg = r, .mnemonic = m, .lo = bit, .width = 1, .kind = IHW_FIELD_BOOL, .description = d }
#define IHW_NUM(k, r, m, lo_, w, off, d) \
  { .key = k, .reg = r, .mnemonic = m, .lo = lo_, .width = w, .kind = IHW_FIELD_UINT, .offset = off, .description = d }

extern const IhwVendorDesc ihw_vtd_desc;
extern const IhwVendorDesc ihw_amd_desc;
extern const IhwVendorDesc ihw_smmuv3_desc;
