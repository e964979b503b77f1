/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * io.iommuhwinfo1.Manager on /io/iommuhwinfo1 (with ObjectManager): the
 * verdict methods, Refresh, and the Unit/Device objects kept in step with
 * the registry through its listener.
 */
#pragma once

#include "ihw-exported.h"
#include "ihw-registry.h"

G_BEGIN_DECLS

typedef struct _IhwManager IhwManager;

/* Exports the root and every unit and device the registry holds, and
 * listens to the registry from then on.  `defaults` (may be NULL) is the
 * request every call starts from (the config file's qemu-version). */
IhwManager *ihw_manager_new (IhwBus *bus, IhwRegistry *reg, const IhwRequest *defaults, GError **error);
/* The request every later call starts from (SIGHUP's new config). */
void ihw_manager_set_defaults (IhwManager *mgr, const IhwRequest *defaults);
void ihw_manager_free (IhwManager *mgr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IhwManager, ihw_manager_free)

G_END_DECLS
