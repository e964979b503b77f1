/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io.iommuhwinfo1.Device: one PCI device, read from the registry. */
#pragma once

#include "ihw-exported.h"

G_BEGIN_DECLS

/* Exported with an IhwRecordObject (ihw-record-object.c) as its data. */
extern const IhwInterfaceDef ihw_device_interface;

G_END_DECLS
