/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io.iommuhwinfo1.Unit: one host IOMMU unit, read from the registry. */
#pragma once

#include "ihw-exported.h"

G_BEGIN_DECLS

/* Exported with an IhwRecordObject (ihw-record-object.c) as its data. */
extern const IhwInterfaceDef ihw_unit_interface;

G_END_DECLS
