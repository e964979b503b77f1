/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libiommu-hwinfo-client over libdbus.  Messages are converted to and from
 * GVariant at the edge (one generic converter each way), so every call is
 * "tuple in, tuple of a checked type out" and the rest of the code never
 * walks a DBusMessageIter.
 */
#include "ihw-client.h"

#include <dbus/dbus.h>
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "ihw-dbus-variant.h"
#include "ihw-error.h"
#include "ihw-names.h"

#define SYSTEM_BUS_DEFAULT_ADDRESS "unix:path=/var/run/dbus/system_bus_socket"
#ifndef DBUS_INTERFACE_OBJECT_MANAGER
#define DBUS_INTERFACE_OBJECT_MANAGER "org.freedesktop.DBus.ObjectManager"
#endif
#define START_HINT "start it with 'systemctl start iommu-hwinfod'"

struct _IhwClient {
  DBusConnection *conn;
  char *address;
  int timeout_ms;
};

/* --- errors --------------------------------------------------------------- */

static gboolean
name_is (const DBusError *e, const char *name)
{
  return dbus_error_has_name (e, name);
}

/* Maps a D-Bus error from a call of `method` into an IHW_ERROR. */
static void
set_error_from_dbus (IhwClient *c, const DBusError *e, const char *method, GError **error)
{
  if (name_is (e, DBUS_ERROR_SERVICE_UNKNOWN) || name_is (e, DBUS_ERROR_NAME_HAS_NO_OWNER) ||
      g_str_has_prefix (e->name, "org.freedesktop.DBus.Error.Spawn."))
    g_set_error (error, IHW_ERROR, IHW_ERROR_UNAVAILABLE,
                 "iommu-hwinfod is not running (no owner of %s on the bus at %s): %s", IHW_DBUS_NAME,
                 c->address, START_HINT);
  else if (name_is (e, DBUS_ERROR_NO_REPLY) || name_is (e, DBUS_ERROR_TIMEOUT) ||
           name_is (e, DBUS_ERROR_TIMED_OUT))
    g_set_error (error, IHW_ERROR, IHW_ERROR_UNAVAILABLE,
                 "iommu-hwinfod did not answer %s within %d ms (is it stuck? 'systemctl status iommu-hwinfod')",
                 method, c->timeout_ms);
  else if (name_is (e, DBUS_ERROR_DISCONNECTED) || name_is (e, DBUS_ERROR_NO_SERVER) ||
           name_is (e, DBUS_ERROR_NO_NETWORK))
    g_set_error (error, IHW_ERROR, IHW_ERROR_UNAVAILABLE, "lost the connection to the bus at %s during %s: %s",
                 c->address, method, e->message);
  else if (name_is (e, DBUS_ERROR_ACCESS_DENIED))
    g_set_error (error, IHW_ERROR, IHW_ERROR_ACCESS_DENIED, "%s: permission denied by the bus policy: %s", method,
                 e->message);
  else if (g_str_has_prefix (e->name, "io.iommuhwinfo1.Error."))
    g_set_error_literal (error, IHW_ERROR, ihw_error_from_dbus_name (e->name), e->message);
  else if (name_is (e, DBUS_ERROR_UNKNOWN_OBJECT) || name_is (e, DBUS_ERROR_UNKNOWN_INTERFACE))
    g_set_error (error, IHW_ERROR, IHW_ERROR_NO_SUCH_DEVICE, "%s: %s", method, e->message);
  else if (name_is (e, DBUS_ERROR_UNKNOWN_METHOD))
    g_set_error (error, IHW_ERROR, IHW_ERROR_NOT_SUPPORTED,
                 "iommu-hwinfod does not implement %s (is it an older version?): %s", method, e->message);
  else if (name_is (e, DBUS_ERROR_INVALID_ARGS))
    g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT, "%s: %s", method, e->message);
  else
    g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "%s failed: %s (%s)", method, e->message, e->name);
}

/* --- connection ------------------------------------------------------------ */

IhwClient *
ihw_client_new (const char *address, int timeout_ms, GError **error)
{
  g_autoptr (IhwClient) c = g_new0 (IhwClient, 1);
  DBusError derr;

  if (!address || !*address)
    address = g_getenv ("DBUS_SYSTEM_BUS_ADDRESS");
  if (!address || !*address)
    address = SYSTEM_BUS_DEFAULT_ADDRESS;
  c->address = g_strdup (address);
  c->timeout_ms = timeout_ms > 0 ? timeout_ms : IHW_CLIENT_DEFAULT_TIMEOUT_MS;

  dbus_error_init (&derr);
  c->conn = dbus_connection_open_private (address, &derr);
  if (!c->conn)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_UNAVAILABLE,
                   "cannot connect to the system bus at %s: %s (is dbus running? 'systemctl status dbus')",
                   address, derr.message);
      dbus_error_free (&derr);
      return NULL;
    }
  dbus_connection_set_exit_on_disconnect (c->conn, FALSE);

  /* Hello by hand rather than dbus_bus_register(), which waits 25 s: the
   * authentication and the bus's answer are bounded by our timeout. */
  {
    DBusMessage *msg = dbus_message_new_method_call (DBUS_SERVICE_DBUS, DBUS_PATH_DBUS, DBUS_INTERFACE_DBUS, "Hello");
    DBusMessage *reply;
    const char *unique = NULL;

    if (!msg)
      g_error ("out of memory");
    reply = dbus_connection_send_with_reply_and_block (c->conn, msg, c->timeout_ms, &derr);
    dbus_message_unref (msg);
    if (!reply || !dbus_message_get_args (reply, &derr, DBUS_TYPE_STRING, &unique, DBUS_TYPE_INVALID))
      {
        g_set_error (error, IHW_ERROR, IHW_ERROR_UNAVAILABLE,
                     "the system bus at %s did not let us in within %d ms: %s (is dbus running? "
                     "'systemctl status dbus')",
                     address, c->timeout_ms, derr.message ? derr.message : "no answer");
        dbus_error_free (&derr);
        if (reply)
          dbus_message_unref (reply);
        return NULL;
      }
    dbus_bus_set_unique_name (c->conn, unique);
    dbus_message_unref (reply);
  }
  return g_steal_pointer (&c);
}

void
ihw_client_free (IhwClient *c)
{
  if (!c)
    return;
  if (c->conn)
    {
      dbus_connection_close (c->conn);
      dbus_connection_unref (c->conn);
    }
  g_free (c->address);
  g_free (c);
}

const char *
ihw_client_get_address (IhwClient *c)
{
  return c->address;
}

/* Sends `method` with the children of tuple `args` (NULL: none) and returns
 * the reply body, which must be of `reply_type`. */
static GVariant *
call_full (IhwClient *c, const char *dest, const char *path, const char *iface, const char *method,
           GVariant *args, const char *reply_type, GError **error)
{
  DBusMessage *msg;
  DBusMessage *reply;
  DBusMessageIter it;
  DBusError derr;
  g_autoptr (GVariant) owned_args = args ? g_variant_ref_sink (args) : NULL;
  g_autoptr (GVariant) body = NULL;

  msg = dbus_message_new_method_call (dest, path, iface, method);
  if (!msg)
    g_error ("out of memory");
  dbus_message_iter_init_append (msg, &it);
  if (owned_args)
    {
      if (!ihw_dbus_append_tuple (&it, owned_args))
        {
          dbus_message_unref (msg);
          g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT, "%s: arguments cannot be sent", method);
          return NULL;
        }
    }

  dbus_error_init (&derr);
  reply = dbus_connection_send_with_reply_and_block (c->conn, msg, c->timeout_ms, &derr);
  dbus_message_unref (msg);
  if (!reply)
    {
      set_error_from_dbus (c, &derr, method, error);
      dbus_error_free (&derr);
      return NULL;
    }
  body = ihw_dbus_message_to_variant (reply, error);
  dbus_message_unref (reply);
  if (!body)
    {
      g_prefix_error (error, "%s: ", method);
      return NULL;
    }
  if (!g_variant_is_of_type (body, G_VARIANT_TYPE (reply_type)))
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "%s answered with %s, expected %s", method,
                   g_variant_get_type_string (body), reply_type);
      return NULL;
    }
  return g_steal_pointer (&body);
}

static GVariant *
call_manager (IhwClient *c, const char *method, GVariant *args, const char *reply_type, GError **error)
{
  return call_full (c, IHW_DBUS_NAME, IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, method, args, reply_type, error);
}

gboolean
ihw_client_daemon_present (IhwClient *c, GError **error)
{
  g_autoptr (GVariant) owned = NULL;
  g_autoptr (GVariant) names = NULL;
  g_autofree const char **list = NULL;
  gboolean has = FALSE;

  owned = call_full (c, DBUS_SERVICE_DBUS, DBUS_PATH_DBUS, DBUS_INTERFACE_DBUS, "NameHasOwner",
                     g_variant_new ("(s)", IHW_DBUS_NAME), "(b)", error);
  if (!owned)
    return FALSE;
  g_variant_get (owned, "(b)", &has);
  if (has)
    return TRUE;
  /* Not running but bus-activatable: the first call starts it. */
  names = call_full (c, DBUS_SERVICE_DBUS, DBUS_PATH_DBUS, DBUS_INTERFACE_DBUS, "ListActivatableNames", NULL,
                     "(as)", error);
  if (!names)
    return FALSE;
  g_variant_get (names, "(^a&s)", &list);
  if (list && g_strv_contains (list, IHW_DBUS_NAME))
    return TRUE;
  g_set_error (error, IHW_ERROR, IHW_ERROR_UNAVAILABLE,
               "iommu-hwinfod is not running on %s (nobody owns %s, and the bus cannot start it)", c->address,
               IHW_DBUS_NAME);
  return FALSE;
}

/* --- requests and results ------------------------------------------------- */

void
ihw_check_result_free (IhwCheckResult *r)
{
  if (!r)
    return;
  ihw_result_free (r->result);
  if (r->config)
    g_variant_unref (r->config);
  g_free (r->libvirt_xml);
  g_strfreev (r->qemu_args);
  g_free (r);
}

static gboolean
parse_verdict (const char *name, IhwVerdict *out, GError **error)
{
  for (IhwVerdict v = IHW_VERDICT_SUPPORTED; v <= IHW_VERDICT_UNKNOWN; v++)
    if (g_strcmp0 (ihw_verdict_name (v), name) == 0)
      {
        *out = v;
        return TRUE;
      }
  g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "iommu-hwinfod answered with an unknown verdict '%s'", name);
  return FALSE;
}

static IhwCheckResult *
result_new (const char *model_name, const char *verdict, GVariant *reasons, GError **error)
{
  g_autoptr (IhwCheckResult) r = g_new0 (IhwCheckResult, 1);
  GVariantIter it;
  const char *dev, *reqm, *needed, *found;
  IhwModel model;
  gboolean known_model = ihw_model_from_name (model_name, &model);

  r->result = ihw_result_new ();
  if (!parse_verdict (verdict, &r->result->verdict, error))
    return NULL;
  g_variant_iter_init (&it, reasons);
  while (g_variant_iter_next (&it, "(&s&s&s&s)", &dev, &reqm, &needed, &found))
    {
      g_autofree char *why = known_model ? ihw_requirement_why (model, reqm, needed, found) : NULL;
      ihw_result_append (r->result, dev, reqm, needed, found, why);
    }
  return g_steal_pointer (&r);
}

static GVariant *
devices_variant (const char *const *devices)
{
  static const char *const none[] = { NULL };
  return g_variant_new_strv (devices ? devices : none, -1);
}

/* A CheckNesting "(sa(ssss))" or Negotiate "(sa{sv}sasa(ssss))" reply (of
 * that type: call_full() checked) -> the result. */
static IhwCheckResult *
result_from_reply (const char *model, GVariant *reply, GError **error)
{
  g_autoptr (GVariant) reasons = NULL;
  g_autoptr (GVariant) config = NULL;
  const char *verdict, *xml;
  IhwCheckResult *r;
  char **args = NULL;

  if (g_variant_is_of_type (reply, G_VARIANT_TYPE ("(sa(ssss))")))
    {
      g_variant_get (reply, "(&s@a(ssss))", &verdict, &reasons);
      return result_new (model, verdict, reasons, error);
    }
  g_variant_get (reply, "(&s@a{sv}&s^as@a(ssss))", &verdict, &config, &xml, &args, &reasons);
  r = result_new (model, verdict, reasons, error);
  if (!r)
    {
      g_strfreev (args);
      return NULL;
    }
  r->config = g_steal_pointer (&config);
  r->libvirt_xml = g_strdup (xml);
  r->qemu_args = args;
  return r;
}

IhwCheckResult *
ihw_client_check_nesting (IhwClient *c, const char *model, const char *const *devices, const IhwRequest *req,
                          GError **error)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) request = ihw_request_to_variant (req);

  reply = call_manager (c, "CheckNesting",
                        g_variant_new ("(s@as@a{sv})", model, devices_variant (devices), request),
                        "(sa(ssss))", error);
  return reply ? result_from_reply (model, reply, error) : NULL;
}

IhwCheckResult *
ihw_client_negotiate (IhwClient *c, const char *model, const char *const *devices, const IhwRequest *req,
                      GError **error)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) request = ihw_request_to_variant (req);

  reply = call_manager (c, "Negotiate",
                        g_variant_new ("(s@as@a{sv})", model, devices_variant (devices), request),
                        "(sa{sv}sasa(ssss))", error);
  return reply ? result_from_reply (model, reply, error) : NULL;
}

GVariant *
ihw_client_get_hw_info (IhwClient *c, const char *device, GError **error)
{
  return call_manager (c, "GetHwInfo", g_variant_new ("(s)", device), "(uaytys)", error);
}

gboolean
ihw_client_refresh (IhwClient *c, const char *const *devices, GError **error)
{
  g_autoptr (GVariant) reply = call_manager (c, "Refresh", g_variant_new ("(@as)", devices_variant (devices)), "()",
                                             error);
  return reply != NULL;
}

GVariant *
ihw_client_get_managed_objects (IhwClient *c, GError **error)
{
  g_autoptr (GVariant) reply = call_full (c, IHW_DBUS_NAME, IHW_DBUS_PATH, DBUS_INTERFACE_OBJECT_MANAGER,
                                          "GetManagedObjects", NULL, "(a{oa{sa{sv}}})", error);
  return reply ? g_variant_get_child_value (reply, 0) : NULL;
}

GVariant *
ihw_client_get_all_properties (IhwClient *c, const char *path, const char *iface, GError **error)
{
  g_autoptr (GVariant) reply = NULL;

  if (!g_variant_is_object_path (path))
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT, "'%s' is not a D-Bus object path", path);
      return NULL;
    }
  reply = call_full (c, IHW_DBUS_NAME, path, DBUS_INTERFACE_PROPERTIES, "GetAll", g_variant_new ("(s)", iface),
                     "(a{sv})", error);
  return reply ? g_variant_get_child_value (reply, 0) : NULL;
}

/* --- events --------------------------------------------------------------- */

void
ihw_client_event_free (IhwClientEvent *ev)
{
  if (!ev)
    return;
  g_free (ev->path);
  g_free (ev->interface);
  if (ev->properties)
    g_variant_unref (ev->properties);
  g_strfreev (ev->interfaces);
  g_strfreev (ev->invalidated);
  g_free (ev);
}

gboolean
ihw_client_watch (IhwClient *c, GError **error)
{
  const char *rules[] = {
    "type='signal',sender='" IHW_DBUS_NAME "',interface='" DBUS_INTERFACE_OBJECT_MANAGER "',path='" IHW_DBUS_PATH "'",
    "type='signal',sender='" IHW_DBUS_NAME "',interface='" DBUS_INTERFACE_PROPERTIES
    "',member='PropertiesChanged',path_namespace='" IHW_DBUS_PATH "'",
    "type='signal',sender='" DBUS_SERVICE_DBUS "',interface='" DBUS_INTERFACE_DBUS
    "',member='NameOwnerChanged',arg0='" IHW_DBUS_NAME "'",
  };

  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    {
      g_autoptr (GVariant) r = call_full (c, DBUS_SERVICE_DBUS, DBUS_PATH_DBUS, DBUS_INTERFACE_DBUS, "AddMatch",
                                          g_variant_new ("(s)", rules[i]), "()", error);
      if (!r)
        return FALSE;
    }
  return TRUE;
}

/* The event a signal stands for, or NULL for anything else. */
static IhwClientEvent *
event_from_message (DBusMessage *msg)
{
  g_autoptr (GVariant) body = NULL;
  g_autoptr (IhwClientEvent) ev = g_new0 (IhwClientEvent, 1);
  const char *path = dbus_message_get_path (msg);

  if (dbus_message_get_type (msg) != DBUS_MESSAGE_TYPE_SIGNAL)
    return NULL;
  body = ihw_dbus_message_to_variant (msg, NULL);
  if (!body)
    return NULL;

  if (dbus_message_is_signal (msg, DBUS_INTERFACE_OBJECT_MANAGER, "InterfacesAdded") &&
      g_variant_is_of_type (body, G_VARIANT_TYPE ("(oa{sa{sv}})")))
    {
      ev->kind = IHW_CLIENT_EVENT_ADDED;
      g_variant_get (body, "(o@a{sa{sv}})", &ev->path, &ev->properties);
    }
  else if (dbus_message_is_signal (msg, DBUS_INTERFACE_OBJECT_MANAGER, "InterfacesRemoved") &&
           g_variant_is_of_type (body, G_VARIANT_TYPE ("(oas)")))
    {
      ev->kind = IHW_CLIENT_EVENT_REMOVED;
      g_variant_get (body, "(o^as)", &ev->path, &ev->interfaces);
    }
  else if (dbus_message_is_signal (msg, DBUS_INTERFACE_PROPERTIES, "PropertiesChanged") &&
           g_variant_is_of_type (body, G_VARIANT_TYPE ("(sa{sv}as)")) && path)
    {
      ev->kind = IHW_CLIENT_EVENT_CHANGED;
      ev->path = g_strdup (path);
      g_variant_get (body, "(s@a{sv}^as)", &ev->interface, &ev->properties, &ev->invalidated);
    }
  else if (dbus_message_is_signal (msg, DBUS_INTERFACE_DBUS, "NameOwnerChanged") &&
           g_variant_is_of_type (body, G_VARIANT_TYPE ("(sss)")))
    {
      const char *name, *old_owner, *new_owner;
      g_variant_get (body, "(&s&s&s)", &name, &old_owner, &new_owner);
      if (strcmp (name, IHW_DBUS_NAME) != 0)
        return NULL;
      ev->kind = *new_owner ? IHW_CLIENT_EVENT_DAEMON_STARTED : IHW_CLIENT_EVENT_DAEMON_STOPPED;
    }
  else
    return NULL;
  return g_steal_pointer (&ev);
}

gboolean
ihw_client_next_event (IhwClient *c, int timeout_ms, IhwClientEvent **event, GError **error)
{
  gint64 deadline = timeout_ms < 0 ? -1 : g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  int fd = -1;

  *event = NULL;
  if (!dbus_connection_get_unix_fd (c->conn, &fd))
    fd = -1;

  for (;;)
    {
      DBusMessage *msg;
      struct pollfd pfd;
      int wait_ms = -1;
      int rc;

      /* Parse what is buffered, send what is queued, without blocking. */
      if (!dbus_connection_read_write (c->conn, 0))
        goto lost;
      while ((msg = dbus_connection_pop_message (c->conn)))
        {
          if (dbus_message_is_signal (msg, DBUS_INTERFACE_LOCAL, "Disconnected"))
            {
              dbus_message_unref (msg);
              goto lost;
            }
          *event = event_from_message (msg);
          dbus_message_unref (msg);
          if (*event)
            return TRUE;
        }

      if (deadline >= 0)
        {
          gint64 left = deadline - g_get_monotonic_time ();
          if (left <= 0)
            return TRUE;
          wait_ms = (int) ((left + 999) / 1000);
        }
      if (fd < 0)
        {
          /* No fd to poll (not a socket transport): let libdbus block. */
          if (!dbus_connection_read_write (c->conn, wait_ms))
            goto lost;
          continue;
        }
      pfd.fd = fd;
      pfd.events = POLLIN;
      pfd.revents = 0;
      rc = poll (&pfd, 1, wait_ms);
      if (rc < 0 && errno == EINTR)
        return TRUE;  /* the caller's signal handler wants to run */
      if (rc < 0)
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "poll on the bus connection: %s", g_strerror (errno));
          return FALSE;
        }
    }

lost:
  g_set_error (error, IHW_ERROR, IHW_ERROR_UNAVAILABLE, "lost the connection to the bus at %s", c->address);
  return FALSE;
}
