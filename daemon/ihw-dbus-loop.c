/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-dbus-loop.h"

#include <glib-unix.h>

/* One per connection, owned by libdbus through the watch functions' data:
 * it is freed when the functions are replaced (detach) or the connection
 * is finalized. */
typedef struct {
  DBusConnection *conn;   /* not a reference: the loop lives inside it */
  GMainContext *context;
  GSource *dispatch;      /* idle source while messages wait, else NULL */
} Loop;

/* Per watch / timeout: the GSource currently standing for it. */
typedef struct {
  Loop *loop;
  GSource *source;
} Handle;

static void
handle_free (void *data)
{
  Handle *h = data;
  if (h->source)
    {
      g_source_destroy (h->source);
      g_source_unref (h->source);
    }
  g_free (h);
}

static gboolean
dispatch_cb (gpointer user_data)
{
  Loop *loop = user_data;

  /* Keep our reference: a handler may drop the last other one. */
  dbus_connection_ref (loop->conn);
  /* One message per turn, so fd sources get their share of the loop; the
   * idle source stays while data remains. */
  dbus_connection_dispatch (loop->conn);
  if (dbus_connection_get_dispatch_status (loop->conn) == DBUS_DISPATCH_DATA_REMAINS)
    {
      dbus_connection_unref (loop->conn);
      return G_SOURCE_CONTINUE;
    }
  g_clear_pointer (&loop->dispatch, g_source_unref);
  dbus_connection_unref (loop->conn);
  return G_SOURCE_REMOVE;
}

static void
schedule_dispatch (Loop *loop)
{
  if (loop->dispatch)
    return;
  loop->dispatch = g_idle_source_new ();
  g_source_set_name (loop->dispatch, "[ihw] dbus dispatch");
  g_source_set_callback (loop->dispatch, dispatch_cb, loop, NULL);
  g_source_attach (loop->dispatch, loop->context);
}

static void
dispatch_status_cb (DBusConnection *conn, DBusDispatchStatus status, void *data)
{
  if (status == DBUS_DISPATCH_DATA_REMAINS)
    schedule_dispatch (data);
}

static void
wakeup_cb (void *data)
{
  Loop *loop = data;
  g_main_context_wakeup (loop->context);
}

/* --- watches --- */

static gboolean
watch_cb (gint fd, GIOCondition cond, gpointer user_data)
{
  DBusWatch *watch = user_data;
  Handle *h = dbus_watch_get_data (watch);
  Loop *loop = h->loop;
  unsigned int flags = 0;

  if (cond & G_IO_IN)
    flags |= DBUS_WATCH_READABLE;
  if (cond & G_IO_OUT)
    flags |= DBUS_WATCH_WRITABLE;
  if (cond & G_IO_ERR)
    flags |= DBUS_WATCH_ERROR;
  if (cond & G_IO_HUP)
    flags |= DBUS_WATCH_HANGUP;

  /* dbus_watch_handle may toggle or remove this very watch; `loop` stays. */
  dbus_watch_handle (watch, flags);
  if (dbus_connection_get_dispatch_status (loop->conn) == DBUS_DISPATCH_DATA_REMAINS)
    schedule_dispatch (loop);
  return G_SOURCE_CONTINUE;
}

static void
watch_sync (DBusWatch *watch)
{
  Handle *h = dbus_watch_get_data (watch);
  unsigned int flags;
  GIOCondition cond = G_IO_ERR | G_IO_HUP;

  if (h->source)
    {
      g_source_destroy (h->source);
      g_clear_pointer (&h->source, g_source_unref);
    }
  if (!dbus_watch_get_enabled (watch))
    return;

  flags = dbus_watch_get_flags (watch);
  if (flags & DBUS_WATCH_READABLE)
    cond |= G_IO_IN;
  if (flags & DBUS_WATCH_WRITABLE)
    cond |= G_IO_OUT;

  h->source = g_unix_fd_source_new (dbus_watch_get_unix_fd (watch), cond);
  g_source_set_name (h->source, "[ihw] dbus watch");
  g_source_set_callback (h->source, (GSourceFunc) (void (*) (void)) watch_cb, watch, NULL);
  g_source_attach (h->source, h->loop->context);
}

static dbus_bool_t
watch_add (DBusWatch *watch, void *data)
{
  Handle *h = g_new0 (Handle, 1);
  h->loop = data;
  dbus_watch_set_data (watch, h, handle_free);
  watch_sync (watch);
  return TRUE;
}

static void
watch_remove (DBusWatch *watch, void *data)
{
  /* Frees the handle, which destroys the source. */
  dbus_watch_set_data (watch, NULL, NULL);
}

static void
watch_toggled (DBusWatch *watch, void *data)
{
  watch_sync (watch);
}

/* --- timeouts --- */

static gboolean
timeout_cb (gpointer user_data)
{
  DBusTimeout *timeout = user_data;
  Handle *h = dbus_timeout_get_data (timeout);
  Loop *loop = h->loop;

  /* libdbus timeouts repeat until removed or disabled, like GLib's. */
  dbus_timeout_handle (timeout);
  if (dbus_connection_get_dispatch_status (loop->conn) == DBUS_DISPATCH_DATA_REMAINS)
    schedule_dispatch (loop);
  return G_SOURCE_CONTINUE;
}

static void
timeout_sync (DBusTimeout *timeout)
{
  Handle *h = dbus_timeout_get_data (timeout);

  if (h->source)
    {
      g_source_destroy (h->source);
      g_clear_pointer (&h->source, g_source_unref);
    }
  if (!dbus_timeout_get_enabled (timeout))
    return;

  h->source = g_timeout_source_new ((guint) MAX (dbus_timeout_get_interval (timeout), 0));
  g_source_set_name (h->source, "[ihw] dbus timeout");
  g_source_set_callback (h->source, timeout_cb, timeout, NULL);
  g_source_attach (h->source, h->loop->context);
}

static dbus_bool_t
timeout_add (DBusTimeout *timeout, void *data)
{
  Handle *h = g_new0 (Handle, 1);
  h->loop = data;
  dbus_timeout_set_data (timeout, h, handle_free);
  timeout_sync (timeout);
  return TRUE;
}

static void
timeout_remove (DBusTimeout *timeout, void *data)
{
  dbus_timeout_set_data (timeout, NULL, NULL);
}

static void
timeout_toggled (DBusTimeout *timeout, void *data)
{
  timeout_sync (timeout);
}

/* --- attach / detach --- */

static void
loop_free (void *data)
{
  Loop *loop = data;
  if (loop->dispatch)
    {
      g_source_destroy (loop->dispatch);
      g_source_unref (loop->dispatch);
    }
  g_main_context_unref (loop->context);
  g_free (loop);
}

gboolean
ihw_dbus_loop_attach (DBusConnection *conn, GMainContext *context)
{
  Loop *loop = g_new0 (Loop, 1);

  loop->conn = conn;
  loop->context = g_main_context_ref (context ? context : g_main_context_default ());

  /* The dispatch-status function owns `loop` (frees it when replaced); the
   * other three only borrow it. */
  dbus_connection_set_dispatch_status_function (conn, dispatch_status_cb, loop, loop_free);
  dbus_connection_set_wakeup_main_function (conn, wakeup_cb, loop, NULL);
  if (!dbus_connection_set_watch_functions (conn, watch_add, watch_remove, watch_toggled, loop, NULL) ||
      !dbus_connection_set_timeout_functions (conn, timeout_add, timeout_remove, timeout_toggled, loop, NULL))
    {
      ihw_dbus_loop_detach (conn);
      return FALSE;
    }

  /* Messages may already be queued (e.g. read while connecting). */
  if (dbus_connection_get_dispatch_status (conn) == DBUS_DISPATCH_DATA_REMAINS)
    schedule_dispatch (loop);
  return TRUE;
}

void
ihw_dbus_loop_detach (DBusConnection *conn)
{
  /* Removing the functions calls watch_remove / timeout_remove for every
   * watch and timeout, which destroys their sources. */
  dbus_connection_set_watch_functions (conn, NULL, NULL, NULL, NULL, NULL);
  dbus_connection_set_timeout_functions (conn, NULL, NULL, NULL, NULL, NULL);
  dbus_connection_set_wakeup_main_function (conn, NULL, NULL, NULL);
  dbus_connection_set_dispatch_status_function (conn, NULL, NULL, NULL);
}
