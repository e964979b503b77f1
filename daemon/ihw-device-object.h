/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io.iommuhwinfo1.Device: one PCI device, read from the registry. */
#pragma once

#include "ihw-exported.h"
#include "ihw-registry.h"

G_BEGIN_DECLS

gboolean ihw_device_object_export (IhwBus *bus, IhwRegistry *reg, const char *address, GError **error);
void ihw_device_object_unexport (IhwBus *bus, const char *address);
void ihw_device_object_emit_changed (IhwBus *bus, const char *address);

G_END_DECLS
