/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hotplug (SPEC §3.3): uevents of the "pci", "iommu" and "vfio-dev"
 * subsystems, received with libsystemd's sd-device monitor, keep the
 * registry current.  Each event re-reads the device or unit it names
 * (ihw_registry_update_device / _unit), which probes a device that newly
 * has a VFIO cdev and fires the registry's listener.
 *
 * Main loop: the monitor lives on a private sd_event whose epoll fd is
 * watched by a GSource on the thread-default GMainContext at creation time;
 * events are handled in that context's thread, like everything else that
 * touches the registry.  Nothing happens until that context iterates.
 *
 * Works under umockdev: its preload library turns the monitor's netlink
 * socket into a Unix socket that umockdev_testbed_uevent() sends to, and
 * sd-device accepts those messages (tests/umockdev/test-hotplug.c).
 */
#pragma once

#include <glib.h>

#include "ihw-registry.h"

G_BEGIN_DECLS

typedef struct _IhwHotplug IhwHotplug;

/* Starts listening.  Fails with the sd-device call and errno named (e.g. no
 * netlink in a container); the daemon can then run without hotplug. */
IhwHotplug *ihw_hotplug_new (IhwRegistry *reg, GError **error);
void ihw_hotplug_free (IhwHotplug *hp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IhwHotplug, ihw_hotplug_free)

/* Events handled so far (for tests and the debug log). */
guint64 ihw_hotplug_get_n_events (IhwHotplug *hp);

G_END_DECLS
