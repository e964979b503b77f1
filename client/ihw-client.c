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

/* --- GVariant <-> libdbus ------------------------------------------------ */

static GVariant *iter_to_variant (DBusMessageIter *it, GError **error);

static GVariant *
iter_children_to_variant (DBusMessageIter *it, int type, GError **error)
{
  DBusMessageIter sub;
  g_autoptr (GPtrArray) children = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  GVariant *result = NULL;

  dbus_message_iter_recurse (it, &sub);
  while (dbus_message_iter_get_arg_type (&sub) != DBUS_TYPE_INVALID)
    {
      GVariant *child = iter_to_variant (&sub, error);
      if (!child)
        return NULL;
      g_ptr_array_add (children, g_variant_ref_sink (child));
      dbus_message_iter_next (&sub);
    }

  switch (type)
    {
    case DBUS_TYPE_ARRAY:
      {
        char *sig = dbus_message_iter_get_signature (it);   /* "aX" */
        g_autoptr (GVariantType) elem = NULL;

        if (!sig || !g_variant_type_string_is_valid (sig + 1))
          {
            dbus_free (sig);
            g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "reply has an array GVariant cannot hold");
            return NULL;
          }
        elem = g_variant_type_new (sig + 1);
        dbus_free (sig);
        result = g_variant_new_array (elem, (GVariant *const *) children->pdata, children->len);
        break;
      }
    case DBUS_TYPE_STRUCT:
      result = g_variant_new_tuple ((GVariant *const *) children->pdata, children->len);
      break;
    case DBUS_TYPE_DICT_ENTRY:
      if (children->len != 2)
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "reply has a malformed dictionary entry");
          return NULL;
        }
      result = g_variant_new_dict_entry (children->pdata[0], children->pdata[1]);
      break;
    case DBUS_TYPE_VARIANT:
      if (children->len != 1)
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "reply has a malformed variant");
          return NULL;
        }
      result = g_variant_new_variant (children->pdata[0]);
      break;
    default:
      g_assert_not_reached ();
    }
  return result;
}

static GVariant *
iter_to_variant (DBusMessageIter *it, GError **error)
{
  int type = dbus_message_iter_get_arg_type (it);
  DBusBasicValue v;

  switch (type)
    {
    case DBUS_TYPE_ARRAY:
    case DBUS_TYPE_STRUCT:
    case DBUS_TYPE_DICT_ENTRY:
    case DBUS_TYPE_VARIANT:
      return iter_children_to_variant (it, type, error);
    default:
      break;
    }

  memset (&v, 0, sizeof v);
  switch (type)
    {
    case DBUS_TYPE_BYTE:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_byte (v.byt);
    case DBUS_TYPE_BOOLEAN:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_boolean (v.bool_val != 0);
    case DBUS_TYPE_INT16:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_int16 (v.i16);
    case DBUS_TYPE_UINT16:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_uint16 (v.u16);
    case DBUS_TYPE_INT32:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_int32 (v.i32);
    case DBUS_TYPE_UINT32:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_uint32 (v.u32);
    case DBUS_TYPE_INT64:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_int64 (v.i64);
    case DBUS_TYPE_UINT64:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_uint64 (v.u64);
    case DBUS_TYPE_DOUBLE:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_double (v.dbl);
    case DBUS_TYPE_STRING:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_string (v.str);
    case DBUS_TYPE_OBJECT_PATH:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_object_path (v.str);
    case DBUS_TYPE_SIGNATURE:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_signature (v.str);
    default:
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "reply carries D-Bus type '%c', which is not used here",
                   type);
      return NULL;
    }
}

/* The whole body of `msg` as a tuple. */
static GVariant *
message_to_variant (DBusMessage *msg, GError **error)
{
  DBusMessageIter it;
  g_autoptr (GPtrArray) children = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

  if (dbus_message_iter_init (msg, &it))
    while (dbus_message_iter_get_arg_type (&it) != DBUS_TYPE_INVALID)
      {
        GVariant *child = iter_to_variant (&it, error);
        if (!child)
          return NULL;
        g_ptr_array_add (children, g_variant_ref_sink (child));
        dbus_message_iter_next (&it);
      }
  return g_variant_ref_sink (g_variant_new_tuple ((GVariant *const *) children->pdata, children->len));
}

static gboolean
append_variant (DBusMessageIter *it, GVariant *v)
{
  const GVariantType *t = g_variant_get_type (v);
  DBusMessageIter sub;
  DBusBasicValue b;
  int container;
  g_autofree char *sig = NULL;
  GVariantIter children;
  GVariant *child;
  gboolean ok = TRUE;

  memset (&b, 0, sizeof b);
  switch (g_variant_classify (v))
    {
    case G_VARIANT_CLASS_BYTE:
      b.byt = g_variant_get_byte (v);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_BYTE, &b);
    case G_VARIANT_CLASS_BOOLEAN:
      b.bool_val = g_variant_get_boolean (v);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_BOOLEAN, &b);
    case G_VARIANT_CLASS_INT16:
      b.i16 = g_variant_get_int16 (v);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_INT16, &b);
    case G_VARIANT_CLASS_UINT16:
      b.u16 = g_variant_get_uint16 (v);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_UINT16, &b);
    case G_VARIANT_CLASS_INT32:
      b.i32 = g_variant_get_int32 (v);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_INT32, &b);
    case G_VARIANT_CLASS_UINT32:
      b.u32 = g_variant_get_uint32 (v);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_UINT32, &b);
    case G_VARIANT_CLASS_INT64:
      b.i64 = g_variant_get_int64 (v);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_INT64, &b);
    case G_VARIANT_CLASS_UINT64:
      b.u64 = g_variant_get_uint64 (v);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_UINT64, &b);
    case G_VARIANT_CLASS_DOUBLE:
      b.dbl = g_variant_get_double (v);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_DOUBLE, &b);
    case G_VARIANT_CLASS_STRING:
      b.str = (char *) g_variant_get_string (v, NULL);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_STRING, &b);
    case G_VARIANT_CLASS_OBJECT_PATH:
      b.str = (char *) g_variant_get_string (v, NULL);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_OBJECT_PATH, &b);
    case G_VARIANT_CLASS_SIGNATURE:
      b.str = (char *) g_variant_get_string (v, NULL);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_SIGNATURE, &b);
    case G_VARIANT_CLASS_ARRAY:
      container = DBUS_TYPE_ARRAY;
      sig = g_variant_type_dup_string (g_variant_type_element (t));
      break;
    case G_VARIANT_CLASS_TUPLE:
      container = DBUS_TYPE_STRUCT;
      break;
    case G_VARIANT_CLASS_DICT_ENTRY:
      container = DBUS_TYPE_DICT_ENTRY;
      break;
    case G_VARIANT_CLASS_VARIANT:
      {
        g_autoptr (GVariant) inner = g_variant_get_variant (v);
        container = DBUS_TYPE_VARIANT;
        sig = g_strdup (g_variant_get_type_string (inner));
        break;
      }
    default:
      return FALSE; /* maybe and handle types have no D-Bus form here */
    }

  if (!dbus_message_iter_open_container (it, container, sig, &sub))
    return FALSE;
  g_variant_iter_init (&children, v);
  while (ok && (child = g_variant_iter_next_value (&children)))
    {
      ok = append_variant (&sub, child);
      g_variant_unref (child);
    }
  if (!ok)
    {
      dbus_message_iter_abandon_container (it, &sub);
      return FALSE;
    }
  return dbus_message_iter_close_container (it, &sub);
}

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
      GVariantIter children;
      GVariant *child;

      g_variant_iter_init (&children, owned_args);
      while ((child = g_variant_iter_next_value (&children)))
        {
          gboolean ok = append_variant (&it, child);
          g_variant_unref (child);
          if (!ok)
            {
              dbus_message_unref (msg);
              g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT, "%s: arguments cannot be sent", method);
              return NULL;
            }
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
  body = message_to_variant (reply, error);
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

/* --- requests and results ------------------------------------------------- */

static void
reason_free (IhwClientReason *r)
{
  g_free (r->device);
  g_free (r->requirement);
  g_free (r->needed);
  g_free (r->found);
  g_free (r);
}

void
ihw_check_result_free (IhwCheckResult *r)
{
  if (!r)
    return;
  g_ptr_array_unref (r->reasons);
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
result_new (const char *verdict, GVariant *reasons, GError **error)
{
  g_autoptr (IhwCheckResult) r = g_new0 (IhwCheckResult, 1);
  GVariantIter it;
  const char *dev, *reqm, *needed, *found;

  r->reasons = g_ptr_array_new_with_free_func ((GDestroyNotify) reason_free);
  if (!parse_verdict (verdict, &r->verdict, error))
    return NULL;
  g_variant_iter_init (&it, reasons);
  while (g_variant_iter_next (&it, "(&s&s&s&s)", &dev, &reqm, &needed, &found))
    {
      IhwClientReason *reason = g_new0 (IhwClientReason, 1);
      reason->device = g_strdup (dev);
      reason->requirement = g_strdup (reqm);
      reason->needed = g_strdup (needed);
      reason->found = g_strdup (found);
      g_ptr_array_add (r->reasons, reason);
    }
  return g_steal_pointer (&r);
}

static GVariant *
devices_variant (const char *const *devices)
{
  static const char *const none[] = { NULL };
  return g_variant_new_strv (devices ? devices : none, -1);
}

IhwCheckResult *
ihw_client_check_nesting (IhwClient *c, const char *model, const char *const *devices, const IhwRequest *req,
                          GError **error)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) reasons = NULL;
  g_autoptr (GVariant) request = ihw_request_to_variant (req);
  const char *verdict;

  reply = call_manager (c, "CheckNesting",
                        g_variant_new ("(s@as@a{sv})", model, devices_variant (devices), request),
                        "(sa(ssss))", error);
  if (!reply)
    return NULL;
  g_variant_get (reply, "(&s@a(ssss))", &verdict, &reasons);
  return result_new (verdict, reasons, error);
}

IhwCheckResult *
ihw_client_negotiate (IhwClient *c, const char *model, const char *const *devices, const IhwRequest *req,
                      GError **error)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) reasons = NULL;
  g_autoptr (GVariant) config = NULL;
  g_autoptr (GVariant) request = ihw_request_to_variant (req);
  const char *verdict, *xml;
  IhwCheckResult *r;
  char **args = NULL;

  reply = call_manager (c, "Negotiate",
                        g_variant_new ("(s@as@a{sv})", model, devices_variant (devices), request),
                        "(sa{sv}sasa(ssss))", error);
  if (!reply)
    return NULL;
  g_variant_get (reply, "(&s@a{sv}&s^as@a(ssss))", &verdict, &config, &xml, &args, &reasons);
  r = result_new (verdict, reasons, error);
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
  body = message_to_variant (msg, NULL);
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
