/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The D-Bus object of one registry record (a unit or a device): it holds
 * only the record's key and reads the registry on every Get, so a stale
 * object can never show freed data.  The interfaces are in
 * ihw-unit-object.c and ihw-device-object.c; the manager exports them as
 * the registry's records come and go.
 */
#pragma once

#include "ihw-exported.h"
#include "ihw-registry.h"

G_BEGIN_DECLS

typedef struct {
  IhwRegistry *reg;
  char *name;      /* unit name or device address */
} IhwRecordObject;

G_END_DECLS
