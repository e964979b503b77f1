/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libdbus driven by a GLib main context: each DBusWatch is a GSource on its
 * fd, each DBusTimeout a GLib timeout, and incoming messages are dispatched
 * from an idle source whenever libdbus says data remains.  Nothing polls.
 */
#pragma once

#include <dbus/dbus.h>
#include <glib.h>

G_BEGIN_DECLS

/* Attaches `conn` to `context` (NULL: the default context).  Fails only on
 * out-of-memory inside libdbus. */
gboolean ihw_dbus_loop_attach (DBusConnection *conn, GMainContext *context);

/* Removes every source again (before the connection is closed and unref'd). */
void ihw_dbus_loop_detach (DBusConnection *conn);

G_END_DECLS
