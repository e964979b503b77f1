/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The per-vendor register tables (one file each). */
#pragma once

#include "ihw-features.h"

extern const IhwVendorDesc ihw_vtd_desc;
extern const IhwVendorDesc ihw_amd_desc;
extern const IhwVendorDesc ihw_smmuv3_desc;
