/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The registry listener the registry and hotplug tests share. */
#pragma once

#include "ihw-registry.h"

/* Appends "added unit dmar0;" for each event to the GString `log`, and
 * checks that an object is in the registry when announced and gone when
 * REMOVED. */
static inline void
ihw_test_record_event (IhwRegistry *reg, IhwRegistryEvent ev, IhwObjectKind kind, const char *name, gpointer log)
{
  static const char *const evs[] = { "added", "changed", "removed" };
  gboolean present = kind == IHW_OBJECT_UNIT ? ihw_registry_lookup_unit (reg, name) != NULL
                                             : ihw_registry_lookup_device (reg, name) != NULL;

  g_assert_true (present == (ev != IHW_REGISTRY_REMOVED));
  g_string_append_printf (log, "%s %s %s;", evs[ev], kind == IHW_OBJECT_UNIT ? "unit" : "device", name);
}
