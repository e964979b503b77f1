/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GVariant <-> libdbus messages, for the daemon and the client library. */
#pragma once

#include <dbus/dbus.h>
#include <glib.h>

G_BEGIN_DECLS

/* The whole body of `msg` as a tuple (a full reference).  Types GVariant
 * has no use for here (unix fds) are IHW_ERROR_BAD_DATA. */
GVariant *ihw_dbus_message_to_variant (DBusMessage *msg, GError **error);

/* Appends one value of any D-Bus type; FALSE for what D-Bus cannot carry
 * (maybe and handle types, also nested; an empty tuple; nesting too deep)
 * or when libdbus runs out of memory.  On FALSE the message is unusable. */
gboolean ihw_dbus_append_value (DBusMessageIter *it, GVariant *value);
/* Appends each child of `tuple` (a message body). */
gboolean ihw_dbus_append_tuple (DBusMessageIter *it, GVariant *tuple);

G_END_DECLS
