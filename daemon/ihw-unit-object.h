/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io.iommuhwinfo1.Unit: one host IOMMU unit, read from the registry. */
#pragma once

#include "ihw-exported.h"
#include "ihw-registry.h"

G_BEGIN_DECLS

gboolean ihw_unit_object_export (IhwBus *bus, IhwRegistry *reg, const char *name, GError **error);
void ihw_unit_object_unexport (IhwBus *bus, const char *name);
void ihw_unit_object_emit_changed (IhwBus *bus, const char *name);

G_END_DECLS
