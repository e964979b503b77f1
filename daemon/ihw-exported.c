/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-exported.h"

#include <malloc.h>
#include <string.h>

#include "ihw-dbus-variant.h"
#include "ihw-error.h"
#include "ihw-sys.h"

#define IFACE_PROPERTIES "org.freedesktop.DBus.Properties"
#define IFACE_INTROSPECTABLE "org.freedesktop.DBus.Introspectable"
#define IFACE_PEER "org.freedesktop.DBus.Peer"
#define IFACE_OBJECT_MANAGER "org.freedesktop.DBus.ObjectManager"

/* The system bus disconnects a connection that sends a message larger than
 * its max_message_size (32 MiB by default), which for the daemon means
 * exiting: a reply that large becomes an error instead.  The host limits
 * (ihw-sysfs.h) keep real replies far below it. */
#define MAX_REPLY_BYTES (32 * 1024 * 1024 - 64 * 1024)

/* The standard interfaces, as every object's introspection lists them. */
static const char standard_xml[] =
  "  <interface name=\"org.freedesktop.DBus.Peer\">\n"
  "    <method name=\"Ping\"/>\n"
  "    <method name=\"GetMachineId\">\n"
  "      <arg name=\"machine_uuid\" type=\"s\" direction=\"out\"/>\n"
  "    </method>\n"
  "  </interface>\n"
  "  <interface name=\"org.freedesktop.DBus.Introspectable\">\n"
  "    <method name=\"Introspect\">\n"
  "      <arg name=\"xml_data\" type=\"s\" direction=\"out\"/>\n"
  "    </method>\n"
  "  </interface>\n"
  "  <interface name=\"org.freedesktop.DBus.Properties\">\n"
  "    <method name=\"Get\">\n"
  "      <arg name=\"interface_name\" type=\"s\" direction=\"in\"/>\n"
  "      <arg name=\"property_name\" type=\"s\" direction=\"in\"/>\n"
  "      <arg name=\"value\" type=\"v\" direction=\"out\"/>\n"
  "    </method>\n"
  "    <method name=\"GetAll\">\n"
  "      <arg name=\"interface_name\" type=\"s\" direction=\"in\"/>\n"
  "      <arg name=\"props\" type=\"a{sv}\" direction=\"out\"/>\n"
  "    </method>\n"
  "    <method name=\"Set\">\n"
  "      <arg name=\"interface_name\" type=\"s\" direction=\"in\"/>\n"
  "      <arg name=\"property_name\" type=\"s\" direction=\"in\"/>\n"
  "      <arg name=\"value\" type=\"v\" direction=\"in\"/>\n"
  "    </method>\n"
  "    <signal name=\"PropertiesChanged\">\n"
  "      <arg name=\"interface_name\" type=\"s\"/>\n"
  "      <arg name=\"changed_properties\" type=\"a{sv}\"/>\n"
  "      <arg name=\"invalidated_properties\" type=\"as\"/>\n"
  "    </signal>\n"
  "  </interface>\n";

static const char object_manager_xml[] =
  "  <interface name=\"org.freedesktop.DBus.ObjectManager\">\n"
  "    <method name=\"GetManagedObjects\">\n"
  "      <arg name=\"object_paths_interfaces_and_properties\" type=\"a{oa{sa{sv}}}\" direction=\"out\"/>\n"
  "    </method>\n"
  "    <signal name=\"InterfacesAdded\">\n"
  "      <arg name=\"object_path\" type=\"o\"/>\n"
  "      <arg name=\"interfaces_and_properties\" type=\"a{sa{sv}}\"/>\n"
  "    </signal>\n"
  "    <signal name=\"InterfacesRemoved\">\n"
  "      <arg name=\"object_path\" type=\"o\"/>\n"
  "      <arg name=\"interfaces\" type=\"as\"/>\n"
  "    </signal>\n"
  "  </interface>\n";

/* ------------------------------------------------------------------ */
/* What the introspection XML declares, to check the tables against.  */

typedef struct {
  char *name;
  GString *in_sig;
  GString *out_sig;
} XmlMethod;

typedef struct {
  char *name;
  GHashTable *methods;     /* name -> XmlMethod */
  GHashTable *properties;  /* name -> signature */
  char *text;              /* the <interface> element, verbatim */
} XmlInterface;

static void
xml_method_free (gpointer p)
{
  XmlMethod *m = p;
  g_free (m->name);
  g_string_free (m->in_sig, TRUE);
  g_string_free (m->out_sig, TRUE);
  g_free (m);
}

static void
xml_interface_free (gpointer p)
{
  XmlInterface *i = p;
  g_free (i->name);
  g_hash_table_unref (i->methods);
  g_hash_table_unref (i->properties);
  g_free (i->text);
  g_free (i);
}

typedef struct {
  GHashTable *interfaces;  /* name -> XmlInterface */
  XmlInterface *iface;     /* being parsed */
  XmlMethod *method;       /* being parsed */
} XmlParse;

static const char *
attr (const char **names, const char **values, const char *want)
{
  for (guint i = 0; names[i]; i++)
    if (strcmp (names[i], want) == 0)
      return values[i];
  return NULL;
}

static void
xml_start (GMarkupParseContext *ctx, const char *element, const char **names, const char **values,
           gpointer user_data, GError **error)
{
  XmlParse *p = user_data;
  const char *name = attr (names, values, "name");

  if (strcmp (element, "interface") == 0 && name)
    {
      p->iface = g_new0 (XmlInterface, 1);
      p->iface->name = g_strdup (name);
      p->iface->methods = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, xml_method_free);
      p->iface->properties = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_replace (p->interfaces, p->iface->name, p->iface);
    }
  else if (strcmp (element, "method") == 0 && name && p->iface)
    {
      p->method = g_new0 (XmlMethod, 1);
      p->method->name = g_strdup (name);
      p->method->in_sig = g_string_new (NULL);
      p->method->out_sig = g_string_new (NULL);
      g_hash_table_replace (p->iface->methods, p->method->name, p->method);
    }
  else if (strcmp (element, "arg") == 0 && p->method)
    {
      const char *type = attr (names, values, "type");
      const char *dir = attr (names, values, "direction");
      if (type)
        g_string_append (g_strcmp0 (dir, "out") == 0 ? p->method->out_sig : p->method->in_sig, type);
    }
  else if (strcmp (element, "property") == 0 && name && p->iface)
    {
      const char *type = attr (names, values, "type");
      g_hash_table_replace (p->iface->properties, g_strdup (name), g_strdup (type ? type : ""));
    }
}

static void
xml_end (GMarkupParseContext *ctx, const char *element, gpointer user_data, GError **error)
{
  XmlParse *p = user_data;
  if (strcmp (element, "interface") == 0)
    p->iface = NULL;
  else if (strcmp (element, "method") == 0)
    p->method = NULL;
}

/* The <interface name="..."> ... </interface> text of `name`, verbatim. */
static char *
xml_interface_text (const char *xml, const char *name)
{
  g_autofree char *open = g_strdup_printf ("<interface name=\"%s\"", name);
  const char *start = strstr (xml, open);
  const char *end;

  if (!start)
    return NULL;
  end = strstr (start, "</interface>");
  if (!end)
    return NULL;
  end += strlen ("</interface>");
  return g_strndup (start, end - start);
}

static GHashTable *
xml_parse (const char *xml, GError **error)
{
  static const GMarkupParser parser = { .start_element = xml_start, .end_element = xml_end };
  XmlParse p = { 0 };
  g_autoptr(GMarkupParseContext) ctx = NULL;
  GHashTableIter it;
  XmlInterface *iface;

  p.interfaces = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, xml_interface_free);
  ctx = g_markup_parse_context_new (&parser, 0, &p, NULL);
  if (!g_markup_parse_context_parse (ctx, xml, -1, error) || !g_markup_parse_context_end_parse (ctx, error))
    {
      g_prefix_error (error, "introspection XML: ");
      g_hash_table_unref (p.interfaces);
      return NULL;
    }

  g_hash_table_iter_init (&it, p.interfaces);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) &iface))
    {
      iface->text = xml_interface_text (xml, iface->name);
      if (!iface->text)
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "introspection XML: cannot cut out interface %s",
                       iface->name);
          g_hash_table_unref (p.interfaces);
          return NULL;
        }
    }
  return p.interfaces;
}

/* Every method and property of the table is in the XML with the same
 * signatures, and the other way round. */
static gboolean
check_against_xml (const IhwInterfaceDef *def, const XmlInterface *x, GError **error)
{
  guint n_methods = 0;

  for (guint i = 0; i < def->n_methods; i++)
    {
      const IhwMethodDef *m = &def->methods[i];
      XmlMethod *xm = g_hash_table_lookup (x->methods, m->name);
      if (!xm || strcmp (xm->in_sig->str, m->in_sig) != 0 || strcmp (xm->out_sig->str, m->out_sig) != 0)
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED,
                       "%s.%s (%s) -> (%s) does not match the introspection XML (%s)", def->name, m->name,
                       m->in_sig, m->out_sig, xm ? "other signature" : "no such method");
          return FALSE;
        }
      n_methods++;
    }
  if (n_methods != g_hash_table_size (x->methods))
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "%s: the introspection XML has %u methods, the table %u",
                   def->name, g_hash_table_size (x->methods), n_methods);
      return FALSE;
    }

  for (guint i = 0; i < def->n_properties; i++)
    {
      const IhwPropertyDef *p = &def->properties[i];
      const char *sig = g_hash_table_lookup (x->properties, p->name);
      if (!sig || strcmp (sig, p->sig) != 0)
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED,
                       "property %s.%s (%s) does not match the introspection XML (%s)", def->name, p->name, p->sig,
                       sig ? sig : "no such property");
          return FALSE;
        }
    }
  if (def->n_properties != g_hash_table_size (x->properties))
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "%s: the introspection XML has %u properties, the table %u",
                   def->name, g_hash_table_size (x->properties), def->n_properties);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */

typedef struct {
  const IhwInterfaceDef *def;
  const XmlInterface *xml;
  gpointer user_data;
  GDestroyNotify destroy;
  /* A 64-bit digest of the values of the last full PropertiesChanged (or
   * of the values at export), not the message: every object keeps one, and
   * it is taken for every object at start-up.  Two different sets of values
   * share one with a chance of 2^-64; then a change would go unsignalled. */
  guint64 last_changed;
  gboolean has_last_changed;
} Export;

/* A reply kept to be copied for the next identical call: a few calls build
 * megabytes (GetManagedObjects, the Manager's Devices), and rebuilding them
 * costs far more than the bus round trip.  Kept until the object changes. */
typedef struct {
  DBusMessage *reply;  /* never sent: serial 0, the template of each copy */
  guint64 stamp;       /* the interface's cache_stamp when it was built */
} CachedReply;

typedef struct {
  IhwBus *bus;
  char *path;
  GPtrArray *exports;  /* Export * */
  GHashTable *replies; /* "member\nif[\nproperty]" -> CachedReply *, NULL until one is kept */
  gboolean routed;     /* reached through its parent's fallback (subtree_message), not registered */
} Object;

struct _IhwBus {
  DBusConnection *conn;
  char *manager_path;
  GHashTable *xml;      /* name -> XmlInterface */
  GHashTable *objects;  /* path -> Object */
  char *fallbacks[2];   /* <manager>/unit, <manager>/device: their objects, else UnknownObject */
  guint trim_source;    /* settle_memory() pending */
  DBusMessage *managed_reply; /* GetManagedObjects' kept reply, NULL when stale */
  GQueue held_senders;  /* HeldSender *, round robin: whose large reply goes next */
  GHashTable *held_by_sender; /* sender -> HeldSender * (in held_senders) */
  guint n_held;         /* large replies waiting, all senders */
  guint release_source; /* release_held() while n_held */
  gboolean releasing;   /* answering a held call: send, however large */
  gboolean announced;   /* export() sends InterfacesAdded (ihw_bus_announce) */
};

static void
export_free (gpointer p)
{
  Export *e = p;
  if (e->destroy)
    e->destroy (e->user_data);
  g_free (e);
}

static void
cached_reply_free (gpointer p)
{
  CachedReply *c = p;
  dbus_message_unref (c->reply);
  g_free (c);
}

static void
object_free (gpointer p)
{
  Object *o = p;
  g_clear_pointer (&o->replies, g_hash_table_unref);
  g_ptr_array_unref (o->exports);
  g_free (o->path);
  g_free (o);
}

/* libdbus reports a failed allocation only after it has left the message
 * half built.  Where the daemon can still answer (a reply or its body, a
 * property value, sending) it does, with an error or by dropping a signal;
 * what is left — appending a string or opening a container inside a
 * message whose values were already accepted — aborts, as g_malloc does.
 * The handled points are IHW_FALLIBLE: the fail-nth tests fail each once. */
static void
oom (void)
{
  g_error ("out of memory in libdbus");
}

#define CHECK(expr) \
  G_STMT_START { if (!(expr)) oom (); } G_STMT_END

/* ------------------------------------------------------------------ */
/* Errors                                                              */

static DBusMessage *
error_reply (DBusMessage *msg, const char *name, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static DBusMessage *
error_reply (DBusMessage *msg, const char *name, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *text = NULL;

  va_start (ap, fmt);
  text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  return IHW_FALLIBLE (dbus_message_new_error (msg, name, text));
}

DBusMessage *
ihw_error_reply (DBusMessage *in_reply_to, const GError *error)
{
  const char *name = ihw_error_dbus_name (error->domain == IHW_ERROR ? error->code : IHW_ERROR_FAILED);
  return error_reply (in_reply_to, name, "%s", error->message);
}

static DBusMessage *bounded_reply (DBusMessage *msg, DBusMessage *reply, gsize bound, int *len_out);
static gsize wire_bound (GVariant *body);
static Export *find_export (Object *o, const char *iface);
static gboolean is_managed (IhwBus *bus, const char *path);

/* A call's interface ("" when it names none) and sender ("(peer)" on a
 * direct connection), for messages about it. */
static const char *
call_iface (DBusMessage *msg)
{
  const char *iface = dbus_message_get_interface (msg);
  return iface ? iface : "";
}

static const char *
call_sender (DBusMessage *msg)
{
  const char *sender = dbus_message_get_sender (msg);
  return sender ? sender : "(peer)";
}

/* What the caller gets when its reply could not be built or queued. */
static DBusMessage *
oom_reply (DBusMessage *msg)
{
  return error_reply (msg, ihw_error_dbus_name (IHW_ERROR_FAILED), "%s.%s: out of memory for the reply",
                      call_iface (msg), dbus_message_get_member (msg));
}

/* The reply carrying `out` (a tuple), or NULL without the memory for it. */
static DBusMessage *
method_return (DBusMessage *msg, GVariant *out)
{
  DBusMessage *reply = IHW_FALLIBLE (dbus_message_new_method_return (msg));
  DBusMessageIter iter;

  if (!reply)
    return NULL;
  dbus_message_iter_init_append (reply, &iter);
  if (!IHW_FALLIBLE (ihw_dbus_append_tuple (&iter, out)))
    g_clear_pointer (&reply, dbus_message_unref);
  return reply;
}

/* Queues `reply` (taken, within the bus's limit: bounded_reply(); NULL: the
 * reply could not be built) unless the
 * caller asked for none.  A reply that cannot be built or queued becomes
 * an error, which is smaller; without memory for even that, the caller's
 * call times out: logged, the daemon goes on. */
static void
send_reply (DBusConnection *conn, DBusMessage *msg, DBusMessage *reply)
{
  if (dbus_message_get_no_reply (msg))
    {
      g_clear_pointer (&reply, dbus_message_unref);
      return;
    }
  for (int attempt = 0; attempt < 2; attempt++)
    {
      if (reply && IHW_FALLIBLE (dbus_connection_send (conn, reply, NULL)))
        {
          dbus_message_unref (reply);
          return;
        }
      g_clear_pointer (&reply, dbus_message_unref);
      if (attempt == 0)
        reply = oom_reply (msg);
    }
  g_warning ("%s.%s from %s: out of memory, not answered", call_iface (msg), dbus_message_get_member (msg),
             call_sender (msg));
}

struct _IhwPendingCall {
  DBusConnection *conn;
  DBusMessage *msg;
};

IhwPendingCall *
ihw_call_defer (IhwCall *call)
{
  IhwPendingCall *p = g_new0 (IhwPendingCall, 1);
  p->conn = dbus_connection_ref (call->conn);
  p->msg = dbus_message_ref (call->message);
  call->deferred = TRUE;
  return p;
}

static void
pending_send (IhwPendingCall *p, DBusMessage *reply, gsize bound)
{
  send_reply (p->conn, p->msg, reply ? bounded_reply (p->msg, reply, bound, NULL) : NULL);
  dbus_message_unref (p->msg);
  dbus_connection_unref (p->conn);
  g_free (p);
}

void
ihw_pending_call_return (IhwPendingCall *p, GVariant *out)
{
  g_autoptr (GVariant) sunk = g_variant_ref_sink (out);

  pending_send (p, method_return (p->msg, sunk), wire_bound (sunk));
}

void
ihw_pending_call_error (IhwPendingCall *p, const GError *error)
{
  pending_send (p, ihw_error_reply (p->msg, error), 0);
}

/* A reply of megabytes (GetManagedObjects) leaves that much free heap
 * behind, which glibc keeps; so does heap-layout churn.  A second after a
 * call, what is free goes back to the kernel: the memory the daemon holds
 * at rest stays what its data needs.  Once a second at most, never on the
 * call's own path. */
static gboolean
settle_memory (gpointer data)
{
  IhwBus *bus = data;
  bus->trim_source = 0;
  malloc_trim (0);
  return G_SOURCE_REMOVE;
}

/* Replies at least this big are kept (a few: GetManagedObjects, the
 * Manager's Devices and Units, and GetAll of the Manager) and wait their
 * turn to be queued (see below); smaller ones cost less to build than the
 * bus round trip. */
#define KEEP_MIN_BYTES (16 * 1024)

/* A reply's header: destination, reply serial, signature, ... */
#define HEADER_BOUND 4096

/* More than the wire size of a reply whose body is `body`: D-Bus pads what
 * GVariant packs, at worst 8 bytes for a 1-byte struct in an array. */
static gsize
wire_bound (GVariant *body)
{
  return 8 * g_variant_get_size (body) + HEADER_BOUND;
}

/* More than the wire size of `reply` if that is cheap to know (an error:
 * one string), else 0. */
static gsize
cheap_bound (DBusMessage *reply)
{
  DBusMessageIter iter;
  const char *text;

  if (dbus_message_get_type (reply) != DBUS_MESSAGE_TYPE_ERROR || !dbus_message_iter_init (reply, &iter) ||
      dbus_message_iter_get_arg_type (&iter) != DBUS_TYPE_STRING)
    return 0;
  dbus_message_iter_get_basic (&iter, &text);
  return strlen (text) + 8 + HEADER_BOUND;
}

/* `reply`, or (taken) an error when it would not fit on the bus.
 * `bound`: more than its size when known, else 0.  `len_out` gets the
 * size of what is returned, or 0 when that is surely under KEEP_MIN_BYTES:
 * then it is not marshalled just to measure it. */
static DBusMessage *
bounded_reply (DBusMessage *msg, DBusMessage *reply, gsize bound, int *len_out)
{
  char *wire = NULL;
  int len = 0;

  if (!bound)
    bound = cheap_bound (reply);
  if (bound && bound < KEEP_MIN_BYTES)
    {
      if (len_out)
        *len_out = 0;
      return reply;
    }
  if (!dbus_message_marshal (reply, &wire, &len))
    oom ();
  dbus_free (wire);
  if (len_out)
    *len_out = len;
  if (len <= MAX_REPLY_BYTES)
    return reply;
  dbus_message_unref (reply);
  g_warning ("%s.%s from %s: the reply would be %d bytes, more than the bus carries; answered with an error",
             call_iface (msg), dbus_message_get_member (msg), call_sender (msg), len);
  return error_reply (msg, ihw_error_dbus_name (IHW_ERROR_FAILED),
                      "the reply would be %d bytes, more than the %d a bus message may carry", len, MAX_REPLY_BYTES);
}

/* ------------------------------------------------------------------ */
/* Kept replies                                                        */

/* The reply to `call` from a kept one: the same body, headers of its own. */
static DBusMessage *
reply_from_kept (DBusMessage *kept, DBusMessage *call)
{
  DBusMessage *r = dbus_message_copy (kept);

  if (!r)
    oom ();
  CHECK (dbus_message_set_reply_serial (r, dbus_message_get_serial (call)));
  CHECK (dbus_message_set_destination (r, dbus_message_get_sender (call)));
  return r;
}

/* A copy of `reply` to keep, before it is sent (so it has no serial). */
static DBusMessage *
keep_reply (DBusMessage *reply)
{
  DBusMessage *kept = dbus_message_copy (reply);
  if (!kept)
    oom ();
  return kept;
}

/* ------------------------------------------------------------------ */
/* Large replies wait their turn                                       */

/* The connection's outgoing queue is one FIFO for every caller: a small
 * reply (Ping, CheckNesting for the hook) queued behind a flood of
 * megabyte replies waits for all of them to be written and relayed by the
 * bus.  So a large reply is queued only while the queue holds less than
 * this; otherwise it waits here and the waiting ones go one at a time as
 * the queue drains, a small reply never waits behind more than one. */
#define OUTGOING_BUDGET (64 * 1024)
/* Large calls held at once (all callers, and one caller): beyond them the
 * caller gets Error.Busy, so a flood costs bounded memory. */
#define HELD_MAX 64
#define HELD_PER_SENDER 8
/* How often a non-empty wait list looks at the outgoing queue. */
#define RELEASE_INTERVAL_MS 2

typedef struct {
  char *path;         /* the object called */
  DBusMessage *call;
  DBusMessage *reply; /* a method's reply, sent as it is; NULL: answered
                       * again at release from the kept reply (cheap, and
                       * current, not older than the signals sent since) */
} Held;

typedef struct {
  char *sender;
  GQueue calls; /* Held * */
} HeldSender;

static void
held_free (Held *h)
{
  g_free (h->path);
  dbus_message_unref (h->call);
  if (h->reply)
    dbus_message_unref (h->reply);
  g_free (h);
}

static void
held_sender_free (gpointer p)
{
  HeldSender *hs = p;
  g_queue_clear_full (&hs->calls, (GDestroyNotify) held_free);
  g_free (hs->sender);
  g_free (hs);
}

static gboolean release_held (gpointer data);

/* Whether the large `reply` to `msg` on `path` waits its turn: TRUE when
 * it was taken, held or (too many waiting) answered with Error.Busy;
 * FALSE: send it now.  `again`: the call can be answered again at release
 * from a kept reply, so only the call is held (`reply` may be NULL). */
static gboolean
reply_waits (IhwBus *bus, const char *path, DBusMessage *msg, DBusMessage *reply, gboolean again)
{
  const char *sender = dbus_message_get_sender (msg) ? dbus_message_get_sender (msg) : "";
  HeldSender *hs;
  Held *h;

  if (bus->releasing || dbus_message_get_no_reply (msg) ||
      (reply && dbus_message_get_type (reply) != DBUS_MESSAGE_TYPE_METHOD_RETURN))
    return FALSE;
  if (bus->n_held == 0 && dbus_connection_get_outgoing_size (bus->conn) <= OUTGOING_BUDGET)
    return FALSE;
  hs = g_hash_table_lookup (bus->held_by_sender, sender);
  if (bus->n_held >= HELD_MAX || (hs && hs->calls.length >= HELD_PER_SENDER))
    {
      g_clear_pointer (&reply, dbus_message_unref);
      send_reply (bus->conn, msg, error_reply (msg, ihw_error_dbus_name (IHW_ERROR_BUSY),
                            "%s.%s: %u large replies are already waiting to be sent (%u of them yours); "
                            "try again when yours have arrived",
                            call_iface (msg), dbus_message_get_member (msg), bus->n_held, hs ? hs->calls.length : 0));
      return TRUE;
    }
  if (!hs)
    {
      hs = g_new0 (HeldSender, 1);
      hs->sender = g_strdup (sender);
      g_queue_init (&hs->calls);
      g_hash_table_insert (bus->held_by_sender, hs->sender, hs);
      g_queue_push_tail (&bus->held_senders, hs);
    }
  h = g_new0 (Held, 1);
  h->path = g_strdup (path);
  h->call = dbus_message_ref (msg);
  if (again)
    g_clear_pointer (&reply, dbus_message_unref);
  h->reply = reply;
  g_queue_push_tail (&hs->calls, h);
  bus->n_held++;
  if (!bus->release_source)
    bus->release_source = g_timeout_add (RELEASE_INTERVAL_MS, release_held, bus);
  return TRUE;
}

/* Which kept reply a Properties call may be answered from: Get and GetAll
 * with the right arguments, on an exported interface.  NULL otherwise. */
static char *
properties_key (Object *o, DBusMessage *msg, const char *member, Export **e_out)
{
  const char *sig = dbus_message_get_signature (msg);
  const char *iface = NULL, *prop = NULL;
  DBusMessageIter iter;

  if (!(strcmp (member, "Get") == 0 && strcmp (sig, "ss") == 0)
      && !(strcmp (member, "GetAll") == 0 && strcmp (sig, "s") == 0))
    return NULL;
  dbus_message_iter_init (msg, &iter);
  dbus_message_iter_get_basic (&iter, &iface);
  if (dbus_message_iter_next (&iter))
    dbus_message_iter_get_basic (&iter, &prop);
  *e_out = find_export (o, iface);
  if (!*e_out)
    return NULL;
  return g_strjoin ("\n", member, iface, prop, NULL);
}

/* ------------------------------------------------------------------ */
/* Properties                                                          */

static const IhwPropertyDef *
find_property (const IhwInterfaceDef *def, const char *name)
{
  for (guint i = 0; i < def->n_properties; i++)
    if (strcmp (def->properties[i].name, name) == 0)
      return &def->properties[i];
  return NULL;
}

static Export *
find_export (Object *o, const char *iface)
{
  for (guint i = 0; i < o->exports->len; i++)
    {
      Export *e = o->exports->pdata[i];
      if (strcmp (e->def->name, iface) == 0)
        return e;
    }
  return NULL;
}

/* One property's value, checked against its signature (a full reference). */
static GVariant *
property_value (Export *e, const IhwPropertyDef *p, GError **error)
{
  /* A getter may hand out a floating value or a reference to one it keeps
   * (a cache): take_ref owns either exactly once. */
  GVariant *got = p->get (e->user_data, p->name, error);
  g_autoptr(GVariant) value = got ? g_variant_take_ref (got) : NULL;

  if (!value)
    {
      if (error && !*error)
        g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "no value");
      g_prefix_error (error, "%s.%s: ", e->def->name, p->name);
      return NULL;
    }
  if (strcmp (g_variant_get_type_string (value), p->sig) != 0)
    {
      /* A bug in a getter: never send what the XML does not promise. */
      g_critical ("%s.%s is %s instead of %s", e->def->name, p->name, g_variant_get_type_string (value), p->sig);
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "%s.%s: internal error", e->def->name, p->name);
      return NULL;
    }
  return g_steal_pointer (&value);
}

/* Appends the property as a variant. */
static gboolean
append_property (Export *e, const IhwPropertyDef *p, DBusMessageIter *iter, GError **error)
{
  g_autoptr(GVariant) value = property_value (e, p, error);
  DBusMessageIter var;

  if (!value)
    return FALSE;
  CHECK (dbus_message_iter_open_container (iter, DBUS_TYPE_VARIANT, p->sig, &var));
  if (!IHW_FALLIBLE (ihw_dbus_append_value (&var, value)))
    {
      dbus_message_iter_abandon_container (iter, &var);
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "%s.%s: out of memory", e->def->name, p->name);
      return FALSE;
    }
  CHECK (dbus_message_iter_close_container (iter, &var));
  return TRUE;
}

typedef struct {
  const IhwPropertyDef *def;
  GVariant *value;
} PropertyValue;

static void
property_value_clear (gpointer p)
{
  g_variant_unref (((PropertyValue *) p)->value);
}

/* The values of the properties `names` (NULL: all; skip_const: leave out
 * const ones), in table order; NULL when a getter failed. */
static GArray *
property_values (Export *e, const char *const *names, gboolean skip_const, GError **error)
{
  g_autoptr(GArray) values = g_array_sized_new (FALSE, FALSE, sizeof (PropertyValue), e->def->n_properties);

  g_array_set_clear_func (values, property_value_clear);
  for (guint i = 0; i < e->def->n_properties; i++)
    {
      PropertyValue pv = { &e->def->properties[i], NULL };

      if (names && !g_strv_contains (names, pv.def->name))
        continue;
      if (skip_const && pv.def->is_const)
        continue;
      pv.value = property_value (e, pv.def, error);
      if (!pv.value)
        return NULL;
      g_array_append_val (values, pv);
    }
  return g_steal_pointer (&values);
}

/* The values as an a{sv} (a full reference). */
static GVariant *
vardict (GArray *values)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  for (guint i = 0; i < values->len; i++)
    {
      PropertyValue *pv = &g_array_index (values, PropertyValue, i);
      g_variant_builder_add_value (&b, g_variant_new_dict_entry (g_variant_new_string (pv->def->name),
                                                                 g_variant_new_variant (pv->value)));
    }
  return g_variant_ref_sink (g_variant_builder_end (&b));
}

/* a{sv} of the properties `names` (NULL: all; skip_const: leave out const
 * ones), as a full reference. */
static GVariant *
properties_variant (Export *e, const char *const *names, gboolean skip_const, GError **error)
{
  g_autoptr(GArray) values = property_values (e, names, skip_const, error);
  return values ? vardict (values) : NULL;
}

/* a{sv} of the properties `names` (NULL: all; skip_const: leave out const ones). */
static gboolean
append_properties (Export *e, const char *const *names, gboolean skip_const, DBusMessageIter *iter,
                   GError **error)
{
  g_autoptr(GVariant) props = properties_variant (e, names, skip_const, error);

  if (!props)
    return FALSE;
  CHECK (ihw_dbus_append_value (iter, props));
  return TRUE;
}

/* a{sa{sv}}: every interface of the object with all its properties. */
static gboolean
append_interfaces (Object *o, DBusMessageIter *iter, GError **error)
{
  DBusMessageIter dict;

  CHECK (dbus_message_iter_open_container (iter, DBUS_TYPE_ARRAY, "{sa{sv}}", &dict));
  for (guint i = 0; i < o->exports->len; i++)
    {
      Export *e = o->exports->pdata[i];
      DBusMessageIter entry;
      CHECK (dbus_message_iter_open_container (&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry));
      CHECK (dbus_message_iter_append_basic (&entry, DBUS_TYPE_STRING, &e->def->name));
      if (!append_properties (e, NULL, FALSE, &entry, error))
        {
          dbus_message_iter_abandon_container (&dict, &entry);
          dbus_message_iter_abandon_container (iter, &dict);
          return FALSE;
        }
      CHECK (dbus_message_iter_close_container (&dict, &entry));
    }
  CHECK (dbus_message_iter_close_container (iter, &dict));
  return TRUE;
}

static DBusMessage *
handle_properties (Object *o, DBusMessage *msg, const char *member)
{
  const char *iface = NULL, *prop = NULL;
  g_autoptr(GError) error = NULL;
  DBusMessage *reply;
  DBusMessageIter iter;
  Export *e;
  const char *sig = dbus_message_get_signature (msg);

  if (strcmp (member, "Get") == 0 || strcmp (member, "Set") == 0)
    {
      const char *want = member[0] == 'G' ? "ss" : "ssv";
      if (strcmp (sig, want) != 0)
        return error_reply (msg, DBUS_ERROR_INVALID_ARGS, "%s.%s takes arguments (%s), not (%s)", IFACE_PROPERTIES,
                            member, want, sig);
      dbus_message_iter_init (msg, &iter);
      dbus_message_iter_get_basic (&iter, &iface);
      dbus_message_iter_next (&iter);
      dbus_message_iter_get_basic (&iter, &prop);
    }
  else if (strcmp (member, "GetAll") == 0)
    {
      if (strcmp (sig, "s") != 0)
        return error_reply (msg, DBUS_ERROR_INVALID_ARGS, "%s.GetAll takes arguments (s), not (%s)",
                            IFACE_PROPERTIES, sig);
      dbus_message_iter_init (msg, &iter);
      dbus_message_iter_get_basic (&iter, &iface);
    }
  else
    return error_reply (msg, DBUS_ERROR_UNKNOWN_METHOD, "No method %s in interface %s", member, IFACE_PROPERTIES);

  e = find_export (o, iface);
  if (!e)
    {
      /* The standard interfaces have no properties. */
      if (strcmp (member, "GetAll") == 0 && (strcmp (iface, IFACE_PROPERTIES) == 0 ||
                                             strcmp (iface, IFACE_INTROSPECTABLE) == 0 ||
                                             strcmp (iface, IFACE_PEER) == 0))
        {
          reply = IHW_FALLIBLE (dbus_message_new_method_return (msg));
          if (!reply)
            return NULL;
          dbus_message_iter_init_append (reply, &iter);
          DBusMessageIter dict;
          CHECK (dbus_message_iter_open_container (&iter, DBUS_TYPE_ARRAY, "{sv}", &dict));
          CHECK (dbus_message_iter_close_container (&iter, &dict));
          return reply;
        }
      return error_reply (msg, DBUS_ERROR_UNKNOWN_INTERFACE, "Object %s has no interface '%s'", o->path, iface);
    }

  if (strcmp (member, "GetAll") == 0)
    {
      reply = IHW_FALLIBLE (dbus_message_new_method_return (msg));
      if (!reply)
        return NULL;
      dbus_message_iter_init_append (reply, &iter);
      if (!append_properties (e, NULL, FALSE, &iter, &error))
        {
          dbus_message_unref (reply);
          return ihw_error_reply (msg, error);
        }
      return reply;
    }

  const IhwPropertyDef *p = find_property (e->def, prop);
  if (!p)
    return error_reply (msg, DBUS_ERROR_UNKNOWN_PROPERTY, "Interface %s has no property '%s'", iface, prop);

  if (member[0] == 'S')
    return error_reply (msg, DBUS_ERROR_PROPERTY_READ_ONLY, "Property %s.%s is read-only", iface, prop);

  reply = IHW_FALLIBLE (dbus_message_new_method_return (msg));
  if (!reply)
    return NULL;
  dbus_message_iter_init_append (reply, &iter);
  if (!append_property (e, p, &iter, &error))
    {
      dbus_message_unref (reply);
      return ihw_error_reply (msg, error);
    }
  return reply;
}

/* ------------------------------------------------------------------ */
/* Introspectable, ObjectManager                                       */

/* The reply to Introspect: `xml` (the <node> so far) closed; NULL without
 * the memory for it. */
static DBusMessage *
introspect_reply (DBusMessage *msg, GString *xml)
{
  DBusMessage *reply = IHW_FALLIBLE (dbus_message_new_method_return (msg));
  const char *text;

  if (!reply)
    return NULL; /* answered as out of memory */
  g_string_append (xml, "</node>\n");
  text = xml->str;
  CHECK (dbus_message_append_args (reply, DBUS_TYPE_STRING, &text, DBUS_TYPE_INVALID));
  return reply;
}

static DBusMessage *
handle_introspect (Object *o, DBusMessage *msg)
{
  g_autoptr(GString) xml = g_string_new (DBUS_INTROSPECT_1_0_XML_DOCTYPE_DECL_NODE "<node>\n");
  char **children = NULL;

  if (strcmp (dbus_message_get_signature (msg), "") != 0)
    return error_reply (msg, DBUS_ERROR_INVALID_ARGS, "%s.Introspect takes no arguments, not (%s)",
                        IFACE_INTROSPECTABLE, dbus_message_get_signature (msg));

  g_string_append (xml, standard_xml);
  if (strcmp (o->path, o->bus->manager_path) == 0)
    g_string_append (xml, object_manager_xml);
  for (guint i = 0; i < o->exports->len; i++)
    {
      Export *e = o->exports->pdata[i];
      g_string_append_printf (xml, "  %s\n", e->xml->text);
    }
  if (dbus_connection_list_registered (o->bus->conn, o->path, &children))
    {
      for (guint i = 0; children[i]; i++)
        g_string_append_printf (xml, "  <node name=\"%s\"/>\n", children[i]);
      dbus_free_string_array (children);
    }
  return introspect_reply (msg, xml);
}

static gboolean
is_managed (IhwBus *bus, const char *path)
{
  gsize n = strlen (bus->manager_path);
  return strncmp (path, bus->manager_path, n) == 0 && path[n] == '/';
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
ihw_bus_list_paths (IhwBus *bus, const char *prefix)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter it;
  const char *path;

  g_hash_table_iter_init (&it, bus->objects);
  while (g_hash_table_iter_next (&it, (gpointer *) &path, NULL))
    if (g_str_has_prefix (path, prefix))
      g_ptr_array_add (paths, g_strdup (path));
  g_ptr_array_sort (paths, compare_strings);
  return paths;
}

static DBusMessage *
handle_get_managed_objects (Object *o, DBusMessage *msg)
{
  g_autoptr(GPtrArray) paths = NULL;
  g_autoptr(GError) error = NULL;
  DBusMessageIter iter, dict;
  DBusMessage *reply;

  if (strcmp (dbus_message_get_signature (msg), "") != 0)
    return error_reply (msg, DBUS_ERROR_INVALID_ARGS, "%s.GetManagedObjects takes no arguments, not (%s)",
                        IFACE_OBJECT_MANAGER, dbus_message_get_signature (msg));

  reply = IHW_FALLIBLE (dbus_message_new_method_return (msg));
  if (!reply)
    return NULL;
  dbus_message_iter_init_append (reply, &iter);
  CHECK (dbus_message_iter_open_container (&iter, DBUS_TYPE_ARRAY, "{oa{sa{sv}}}", &dict));

  paths = ihw_bus_list_paths (o->bus, o->bus->manager_path);
  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = paths->pdata[i];
      Object *child = g_hash_table_lookup (o->bus->objects, path);
      DBusMessageIter entry;

      if (!is_managed (o->bus, path))
        continue;
      CHECK (dbus_message_iter_open_container (&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry));
      CHECK (dbus_message_iter_append_basic (&entry, DBUS_TYPE_OBJECT_PATH, &path));
      if (!append_interfaces (child, &entry, &error))
        {
          dbus_message_iter_abandon_container (&dict, &entry);
          dbus_message_iter_abandon_container (&iter, &dict);
          dbus_message_unref (reply);
          return ihw_error_reply (msg, error);
        }
      CHECK (dbus_message_iter_close_container (&dict, &entry));
    }
  CHECK (dbus_message_iter_close_container (&iter, &dict));
  return reply;
}

/* ------------------------------------------------------------------ */
/* Method calls                                                        */

/* The reply; NULL when the handler answers later (*deferred) or there was
 * no memory for it. */
static DBusMessage *
handle_method (Object *o, Export *e, const IhwMethodDef *m, DBusMessage *msg, gboolean *deferred, gsize *bound)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) args = NULL;
  g_autoptr(GVariant) out = NULL;
  g_autofree char *out_type = g_strdup_printf ("(%s)", m->out_sig);
  const char *sig = dbus_message_get_signature (msg);
  IhwCall call = {
    .bus = o->bus,
    .conn = o->bus->conn,
    .sender = dbus_message_get_sender (msg),
    .path = o->path,
    .interface = e->def->name,
    .member = m->name,
    .user_data = e->user_data,
    .message = msg,
  };

  /* Checked at the door: handlers read their arguments without looking. */
  if (strcmp (sig, m->in_sig) != 0)
    return error_reply (msg, DBUS_ERROR_INVALID_ARGS, "%s.%s takes arguments (%s), not (%s)", e->def->name, m->name,
                        m->in_sig, sig);
  args = ihw_dbus_message_to_variant (msg, &error);
  if (args)
    out = m->handler (&call, args, &error);
  if (!out && call.deferred && !error)
    {
      *deferred = TRUE; /* answered later, ihw_pending_call_*() */
      return NULL;
    }
  if (!out)
    {
      if (!error)
        g_set_error (&error, IHW_ERROR, IHW_ERROR_FAILED, "%s.%s failed", e->def->name, m->name);
      g_debug ("%s.%s from %s: %s", e->def->name, m->name, call.sender ? call.sender : "(peer)", error->message);
      return ihw_error_reply (msg, error);
    }
  g_variant_ref_sink (out);
  if (strcmp (g_variant_get_type_string (out), out_type) != 0)
    {
      /* A bug in a handler: never send the caller something the XML does not promise. */
      g_critical ("%s.%s replied %s instead of %s", e->def->name, m->name, g_variant_get_type_string (out),
                  out_type);
      return error_reply (msg, ihw_error_dbus_name (IHW_ERROR_FAILED), "%s.%s: internal error", e->def->name,
                          m->name);
    }
  *bound = wire_bound (out);
  return method_return (msg, out);
}

/* Sends `reply` (taken; see send_reply); the memory a big reply took is
 * given back a second later. */
static void
object_reply_sent (IhwBus *bus, DBusMessage *msg, DBusMessage *reply)
{
  send_reply (bus->conn, msg, reply);
  if (!bus->trim_source)
    bus->trim_source = g_timeout_add_seconds (1, settle_memory, bus);
}

/* Sends or holds `reply` (taken) to a call on `o`: `large` ones wait their
 * turn (reply_waits). */
static void
object_reply (Object *o, DBusMessage *msg, DBusMessage *reply, gboolean large, gboolean again)
{
  if (large && reply_waits (o->bus, o->path, msg, reply, again))
    return;
  object_reply_sent (o->bus, msg, reply);
}

static DBusHandlerResult object_message (DBusConnection *conn, DBusMessage *msg, void *user_data);

/* Answers the longest-waiting large call of the next caller in turn, once
 * the outgoing queue has drained below the budget. */
static gboolean
release_held (gpointer data)
{
  IhwBus *bus = data;
  HeldSender *hs;
  Held *h;

  if (dbus_connection_get_outgoing_size (bus->conn) > OUTGOING_BUDGET)
    return G_SOURCE_CONTINUE;
  hs = g_queue_pop_head (&bus->held_senders);
  h = g_queue_pop_head (&hs->calls);
  bus->n_held--;
  if (hs->calls.length)
    g_queue_push_tail (&bus->held_senders, hs);
  else
    g_hash_table_remove (bus->held_by_sender, hs->sender);

  bus->releasing = TRUE;
  if (h->reply)
    object_reply_sent (bus, h->call, g_steal_pointer (&h->reply));
  else
    {
      Object *o = g_hash_table_lookup (bus->objects, h->path);
      if (o)
        object_message (bus->conn, h->call, o);
      else
        send_reply (bus->conn, h->call,
                    error_reply (h->call, DBUS_ERROR_UNKNOWN_OBJECT, "Object %s is gone", h->path));
    }
  bus->releasing = FALSE;
  held_free (h);
  if (bus->n_held)
    return G_SOURCE_CONTINUE;
  bus->release_source = 0;
  return G_SOURCE_REMOVE;
}

static DBusHandlerResult
object_message (DBusConnection *conn, DBusMessage *msg, void *user_data)
{
  Object *o = user_data;
  const char *iface = dbus_message_get_interface (msg);
  const char *member = dbus_message_get_member (msg);
  DBusMessage *reply = NULL;
  gboolean deferred = FALSE;
  g_autofree char *key = NULL;      /* a Properties call that may be kept */
  guint64 stamp = 0;
  gboolean managed = FALSE;         /* GetManagedObjects */
  gboolean key_kept = FALSE;        /* the reply was kept under `key` */
  gsize bound = 0;                  /* more than the reply's size, when known */
  int len = 0;

  if (dbus_message_get_type (msg) != DBUS_MESSAGE_TYPE_METHOD_CALL || !member)
    return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;

  if (iface && strcmp (iface, IFACE_PEER) == 0)
    return DBUS_HANDLER_RESULT_NOT_YET_HANDLED; /* libdbus answers Peer itself */
  else if (iface && strcmp (iface, IFACE_PROPERTIES) == 0)
    {
      Export *e = NULL;
      CachedReply *kept;

      key = properties_key (o, msg, member, &e);
      if (key && e->def->cache_stamp)
        stamp = e->def->cache_stamp (e->user_data);
      kept = key && o->replies ? g_hash_table_lookup (o->replies, key) : NULL;
      if (kept && kept->stamp == stamp)
        {
          if (!reply_waits (o->bus, o->path, msg, NULL, TRUE))
            object_reply (o, msg, reply_from_kept (kept->reply, msg), FALSE, FALSE);
          return DBUS_HANDLER_RESULT_HANDLED;
        }
      reply = handle_properties (o, msg, member);
    }
  else if ((!iface || strcmp (iface, IFACE_INTROSPECTABLE) == 0) && strcmp (member, "Introspect") == 0)
    reply = handle_introspect (o, msg);
  else if ((!iface || strcmp (iface, IFACE_OBJECT_MANAGER) == 0) && strcmp (member, "GetManagedObjects") == 0 &&
           strcmp (o->path, o->bus->manager_path) == 0)
    {
      if (o->bus->managed_reply && strcmp (dbus_message_get_signature (msg), "") == 0)
        {
          if (!reply_waits (o->bus, o->path, msg, NULL, TRUE))
            object_reply (o, msg, reply_from_kept (o->bus->managed_reply, msg), FALSE, FALSE);
          return DBUS_HANDLER_RESULT_HANDLED;
        }
      reply = handle_get_managed_objects (o, msg);
      managed = TRUE;
    }
  else
    {
      /* The interface is optional in a method call: then the member
       * is looked up in every interface of the object. */
      gboolean found = FALSE;
      for (guint i = 0; i < o->exports->len && !found; i++)
        {
          Export *e = o->exports->pdata[i];
          if (iface && strcmp (iface, e->def->name) != 0)
            continue;
          for (guint j = 0; j < e->def->n_methods; j++)
            if (strcmp (e->def->methods[j].name, member) == 0)
              {
                reply = handle_method (o, e, &e->def->methods[j], msg, &deferred, &bound);
                found = TRUE;
                break;
              }
        }
      if (deferred)
        return DBUS_HANDLER_RESULT_HANDLED;
      if (!found)
        {
          if (iface && !find_export (o, iface) && strcmp (iface, IFACE_INTROSPECTABLE) != 0 &&
              strcmp (iface, IFACE_OBJECT_MANAGER) != 0)
            reply = error_reply (msg, DBUS_ERROR_UNKNOWN_INTERFACE, "Object %s has no interface '%s'", o->path,
                                 iface);
          else
            reply = error_reply (msg, DBUS_ERROR_UNKNOWN_METHOD, "No method '%s' in %s on %s", member,
                                 iface ? iface : "any interface", o->path);
        }
    }

  if (reply)
    reply = bounded_reply (msg, reply, bound, &len);
  if (reply && len >= KEEP_MIN_BYTES && dbus_message_get_type (reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN)
    {
      if (managed)
        {
          g_clear_pointer (&o->bus->managed_reply, dbus_message_unref);
          o->bus->managed_reply = keep_reply (reply);
        }
      else if (key)
        {
          CachedReply *kept = g_new0 (CachedReply, 1);
          kept->reply = keep_reply (reply);
          kept->stamp = stamp;
          if (!o->replies)
            o->replies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, cached_reply_free);
          g_hash_table_replace (o->replies, g_steal_pointer (&key), kept);
          key_kept = TRUE;
        }
    }
  object_reply (o, msg, reply, len >= KEEP_MIN_BYTES, managed || key_kept);
  return DBUS_HANDLER_RESULT_HANDLED;
}

static void
object_unregistered (DBusConnection *conn, void *user_data)
{
  /* Objects are freed by the bus's table, not here. */
}

static const DBusObjectPathVTable object_vtable = {
  .unregister_function = object_unregistered,
  .message_function = object_message,
};

/* ------------------------------------------------------------------ */
/* Signals                                                             */

/* Sends `sig` (taken); FALSE (logged) without the memory to queue it:
 * listeners miss one change, GetManagedObjects still has it. */
static gboolean
send_signal (IhwBus *bus, DBusMessage *sig)
{
  gboolean sent = IHW_FALLIBLE (dbus_connection_send (bus->conn, sig, NULL));
  if (!sent)
    g_warning ("Out of memory: signal %s on %s not sent", dbus_message_get_member (sig), dbus_message_get_path (sig));
  dbus_message_unref (sig);
  return sent;
}

/* NULL (logged) without the memory for it. */
static DBusMessage *
new_signal (const char *path, const char *iface, const char *name)
{
  DBusMessage *sig = IHW_FALLIBLE (dbus_message_new_signal (path, iface, name));
  if (!sig)
    g_warning ("Out of memory: signal %s on %s not sent", name, path);
  return sig;
}

/* PropertiesChanged with `props` (an a{sv}). */
static DBusMessage *
build_properties_changed (const char *path, Export *e, GVariant *props)
{
  DBusMessage *sig = new_signal (path, IFACE_PROPERTIES, "PropertiesChanged");
  DBusMessageIter iter, inval;

  if (!sig)
    return NULL;
  dbus_message_iter_init_append (sig, &iter);
  CHECK (dbus_message_iter_append_basic (&iter, DBUS_TYPE_STRING, &e->def->name));
  CHECK (ihw_dbus_append_value (&iter, props));
  CHECK (dbus_message_iter_open_container (&iter, DBUS_TYPE_ARRAY, "s", &inval));
  CHECK (dbus_message_iter_close_container (&iter, &inval));
  return sig;
}

static guint64
fnv1a (guint64 h, gconstpointer data, gsize len)
{
  const guint8 *p = data;

  for (gsize i = 0; i < len; i++)
    h = (h ^ p[i]) * G_GUINT64_CONSTANT (1099511628211);
  return h;
}

/* The digest of `values` (`digest_out`), and whether it differs from the
 * last full emission sent. */
static gboolean
changed_since_last (Export *e, GArray *values, guint64 *digest_out)
{
  guint64 digest = G_GUINT64_CONSTANT (14695981039346656037); /* FNV-1a */

  /* Each value in its serialised form (the types are the table's), after
   * the property's name and the value's size. */
  for (guint i = 0; i < values->len; i++)
    {
      PropertyValue *pv = &g_array_index (values, PropertyValue, i);
      gsize size = g_variant_get_size (pv->value);
      digest = fnv1a (digest, pv->def->name, strlen (pv->def->name) + 1);
      digest = fnv1a (digest, &size, sizeof size);
      digest = fnv1a (digest, g_variant_get_data (pv->value), size);
    }
  *digest_out = digest;
  return !e->has_last_changed || digest != e->last_changed;
}

/* The object's kept replies, and GetManagedObjects' when it is one of the
 * managed objects, go stale. */
static void
drop_replies (IhwBus *bus, Object *o, const char *path)
{
  if (o && o->replies)
    g_hash_table_remove_all (o->replies);
  if (is_managed (bus, path))
    g_clear_pointer (&bus->managed_reply, dbus_message_unref);
}

void
ihw_bus_invalidate (IhwBus *bus, const char *path)
{
  drop_replies (bus, g_hash_table_lookup (bus->objects, path), path);
}

void
ihw_bus_emit_properties_changed (IhwBus *bus, const char *path, const char *iface, const char *const *names)
{
  Object *o = g_hash_table_lookup (bus->objects, path);
  Export *e = o ? find_export (o, iface) : NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) values = NULL;
  g_autoptr(GVariant) props = NULL;
  DBusMessage *sig;
  guint64 digest = 0;

  drop_replies (bus, o, path);
  if (!e)
    return;
  values = property_values (e, names, names == NULL, &error);
  if (!values)
    {
      g_warning ("Not sending PropertiesChanged for %s: %s", path, error->message);
      return;
    }
  /* A change of something the interface does not show (a unit's device
   * list) must not become a signal whose values are all the same: a full
   * emission identical to the last one is dropped. */
  if (!names && !changed_since_last (e, values, &digest))
    return;
  props = vardict (values);
  sig = build_properties_changed (path, e, props);
  /* Remembered once sent: an emission that was lost is not "the last". */
  if (sig && send_signal (bus, sig) && !names)
    {
      e->last_changed = digest;
      e->has_last_changed = TRUE;
    }
}

static void
emit_interfaces_added (IhwBus *bus, Object *o, Export *only)
{
  g_autoptr(GError) error = NULL;
  DBusMessage *sig = new_signal (bus->manager_path, IFACE_OBJECT_MANAGER, "InterfacesAdded");
  DBusMessageIter iter, dict, entry;

  if (!sig)
    return;
  dbus_message_iter_init_append (sig, &iter);
  CHECK (dbus_message_iter_append_basic (&iter, DBUS_TYPE_OBJECT_PATH, &o->path));
  CHECK (dbus_message_iter_open_container (&iter, DBUS_TYPE_ARRAY, "{sa{sv}}", &dict));
  CHECK (dbus_message_iter_open_container (&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry));
  CHECK (dbus_message_iter_append_basic (&entry, DBUS_TYPE_STRING, &only->def->name));
  if (!append_properties (only, NULL, FALSE, &entry, &error))
    {
      g_warning ("Not sending InterfacesAdded for %s: %s", o->path, error->message);
      dbus_message_iter_abandon_container (&dict, &entry);
      dbus_message_iter_abandon_container (&iter, &dict);
      dbus_message_unref (sig);
      return;
    }
  CHECK (dbus_message_iter_close_container (&dict, &entry));
  CHECK (dbus_message_iter_close_container (&iter, &dict));
  send_signal (bus, sig);
}

static void
emit_interfaces_removed (IhwBus *bus, Object *o)
{
  DBusMessage *sig = new_signal (bus->manager_path, IFACE_OBJECT_MANAGER, "InterfacesRemoved");
  DBusMessageIter iter, arr;

  if (!sig)
    return;
  dbus_message_iter_init_append (sig, &iter);
  CHECK (dbus_message_iter_append_basic (&iter, DBUS_TYPE_OBJECT_PATH, &o->path));
  CHECK (dbus_message_iter_open_container (&iter, DBUS_TYPE_ARRAY, "s", &arr));
  for (guint i = 0; i < o->exports->len; i++)
    {
      Export *e = o->exports->pdata[i];
      CHECK (dbus_message_iter_append_basic (&arr, DBUS_TYPE_STRING, &e->def->name));
    }
  CHECK (dbus_message_iter_close_container (&iter, &arr));
  send_signal (bus, sig);
}

/* ------------------------------------------------------------------ */
/* Objects                                                             */

/* The fallback that `path` is a direct child of, or NULL.  The unit and
 * device objects are not registered with libdbus one by one (its object
 * tree inserts into a sorted array: thousands of objects cost seconds of
 * start-up, quadratically): the fallback finds them in the bus's table. */
static const char *
parent_fallback (IhwBus *bus, const char *path)
{
  for (guint i = 0; i < G_N_ELEMENTS (bus->fallbacks); i++)
    {
      gsize n = bus->fallbacks[i] ? strlen (bus->fallbacks[i]) : 0;
      if (n && strncmp (path, bus->fallbacks[i], n) == 0 && path[n] == '/' && path[n + 1]
          && !strchr (path + n + 1, '/'))
        return bus->fallbacks[i];
    }
  return NULL;
}

/* Introspect of a fallback itself: its children, as libdbus lists those of
 * an intermediate node. */
static DBusMessage *
introspect_children (IhwBus *bus, DBusMessage *msg, const char *path)
{
  g_autofree char *prefix = g_strconcat (path, "/", NULL);
  g_autoptr(GPtrArray) paths = ihw_bus_list_paths (bus, prefix);
  g_autoptr(GString) xml = g_string_new (DBUS_INTROSPECT_1_0_XML_DOCTYPE_DECL_NODE "<node>\n");

  for (guint i = 0; i < paths->len; i++)
    if (parent_fallback (bus, paths->pdata[i]) == path)
      g_string_append_printf (xml, "  <node name=\"%s\"/>\n", (const char *) paths->pdata[i] + strlen (prefix));
  return introspect_reply (msg, xml);
}

/* Below the manager's unit and device nodes: the object at the path, else
 * UnknownObject (a device that went, a mistyped address), as sd-bus and
 * GDBus services answer, rather than libdbus's UnknownMethod.  Introspect
 * of a deeper path that is no object is left to libdbus. */
static DBusHandlerResult
subtree_message (DBusConnection *conn, DBusMessage *msg, void *user_data)
{
  IhwBus *bus = user_data;
  const char *path = dbus_message_get_path (msg);
  Object *o = path ? g_hash_table_lookup (bus->objects, path) : NULL;
  DBusMessage *reply;
  g_autofree char *text = NULL;

  if (o && o->routed)
    return object_message (conn, msg, o);
  if (dbus_message_is_method_call (msg, "org.freedesktop.DBus.Introspectable", "Introspect") && path)
    for (guint i = 0; i < G_N_ELEMENTS (bus->fallbacks); i++)
      if (g_strcmp0 (bus->fallbacks[i], path) == 0)
        {
          reply = introspect_children (bus, msg, bus->fallbacks[i]);
          dbus_connection_send (conn, reply, NULL);
          dbus_message_unref (reply);
          return DBUS_HANDLER_RESULT_HANDLED;
        }
  if (dbus_message_get_type (msg) != DBUS_MESSAGE_TYPE_METHOD_CALL
      || dbus_message_is_method_call (msg, "org.freedesktop.DBus.Introspectable", "Introspect"))
    return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
  text = g_strdup_printf ("no object at %.200s", dbus_message_get_path (msg));
  reply = dbus_message_new_error (msg, DBUS_ERROR_UNKNOWN_OBJECT, text);
  if (reply)
    {
      dbus_connection_send (conn, reply, NULL);
      dbus_message_unref (reply);
    }
  return DBUS_HANDLER_RESULT_HANDLED;
}

static const DBusObjectPathVTable subtree_vtable = { .message_function = subtree_message };

IhwBus *
ihw_bus_new (DBusConnection *conn, const char *introspection_xml, const char *manager_path, GError **error)
{
  g_autoptr(IhwBus) bus = g_new0 (IhwBus, 1);

  bus->conn = dbus_connection_ref (conn);
  bus->manager_path = g_strdup (manager_path);
  bus->objects = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, object_free);
  bus->held_by_sender = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, held_sender_free);
  bus->xml = xml_parse (introspection_xml, error);
  if (!bus->xml)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (bus->fallbacks); i++)
    {
      bus->fallbacks[i] = g_strdup_printf ("%s/%s", manager_path, i == 0 ? "unit" : "device");
      if (!dbus_connection_register_fallback (conn, bus->fallbacks[i], &subtree_vtable, bus))
        g_clear_pointer (&bus->fallbacks[i], g_free); /* out of memory: libdbus's default answer stays */
    }
  return g_steal_pointer (&bus);
}

void
ihw_bus_free (IhwBus *bus)
{
  GHashTableIter it;
  Object *o;

  if (!bus)
    return;
  if (bus->trim_source)
    g_source_remove (bus->trim_source);
  g_hash_table_iter_init (&it, bus->objects);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) &o))
    if (!o->routed)
      dbus_connection_unregister_object_path (bus->conn, o->path);
  g_hash_table_unref (bus->objects);
  g_clear_pointer (&bus->managed_reply, dbus_message_unref);
  if (bus->release_source)
    g_source_remove (bus->release_source);
  g_queue_clear (&bus->held_senders);
  g_clear_pointer (&bus->held_by_sender, g_hash_table_unref);
  for (guint i = 0; i < G_N_ELEMENTS (bus->fallbacks); i++)
    if (bus->fallbacks[i])
      {
        dbus_connection_unregister_object_path (bus->conn, bus->fallbacks[i]);
        g_free (bus->fallbacks[i]);
      }
  if (bus->xml)
    g_hash_table_unref (bus->xml);
  g_free (bus->manager_path);
  dbus_connection_unref (bus->conn);
  g_free (bus);
}

DBusConnection *
ihw_bus_get_connection (IhwBus *bus)
{
  return bus->conn;
}

void
ihw_bus_announce (IhwBus *bus)
{
  bus->announced = TRUE;
}

gboolean
ihw_bus_is_exported (IhwBus *bus, const char *path)
{
  return g_hash_table_contains (bus->objects, path);
}

gboolean
ihw_bus_export (IhwBus *bus, const char *path, const IhwInterfaceDef *iface, gpointer user_data,
                GDestroyNotify destroy, GError **error)
{
  const XmlInterface *x = g_hash_table_lookup (bus->xml, iface->name);
  Object *o;
  Export *e;

  if (!x)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "interface %s is not in the introspection XML", iface->name);
      goto fail;
    }
  if (!check_against_xml (iface, x, error))
    goto fail;
  if (!dbus_validate_path (path, NULL))
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "'%s' is not a valid D-Bus object path", path);
      goto fail;
    }

  o = g_hash_table_lookup (bus->objects, path);
  if (!o)
    {
      DBusError derr = DBUS_ERROR_INIT;
      o = g_new0 (Object, 1);
      o->bus = bus;
      o->path = g_strdup (path);
      o->exports = g_ptr_array_new_with_free_func (export_free);
      o->routed = parent_fallback (bus, path) != NULL;
      if (!o->routed && !dbus_connection_try_register_object_path (bus->conn, path, &object_vtable, o, &derr))
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "cannot export %s: %s", path, derr.message);
          dbus_error_free (&derr);
          object_free (o);
          goto fail;
        }
      g_hash_table_insert (bus->objects, o->path, o);
    }
  else if (find_export (o, iface->name))
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "%s already has interface %s", path, iface->name);
      goto fail;
    }

  e = g_new0 (Export, 1);
  e->def = iface;
  e->xml = x;
  e->user_data = user_data;
  e->destroy = destroy;
  g_ptr_array_add (o->exports, e);
  drop_replies (bus, o, path);
  {
    /* What a client has after InterfacesAdded/GetAll: the baseline an
     * identical PropertiesChanged is compared with. */
    g_autoptr(GError) baseline_error = NULL;
    g_autoptr(GArray) baseline = property_values (e, NULL, TRUE, &baseline_error);
    guint64 digest;
    if (baseline)
      {
        changed_since_last (e, baseline, &digest);
        e->last_changed = digest;
        e->has_last_changed = TRUE;
      }
  }

  if (bus->announced && is_managed (bus, path))
    emit_interfaces_added (bus, o, e);
  return TRUE;

fail:
  if (destroy)
    destroy (user_data);
  return FALSE;
}

void
ihw_bus_unexport (IhwBus *bus, const char *path)
{
  Object *o = g_hash_table_lookup (bus->objects, path);

  if (!o)
    return;
  drop_replies (bus, o, path);
  if (bus->announced && is_managed (bus, path))
    emit_interfaces_removed (bus, o);
  if (!o->routed)
    dbus_connection_unregister_object_path (bus->conn, path);
  g_hash_table_remove (bus->objects, path);
}

/* ------------------------------------------------------------------ */
/* Handler helpers                                                     */

gboolean
ihw_call_get_unix_user (IhwCall *call, uid_t *uid_out, GError **error)
{
  DBusError derr = DBUS_ERROR_INIT;
  unsigned long uid;

  if (!call->sender)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_ACCESS_DENIED,
                   "%s.%s: the caller has no bus name, so its credentials are unknown", call->interface,
                   call->member);
      return FALSE;
    }
  /* Asks the bus (GetConnectionUnixUser): the bus saw the caller's
   * SO_PEERCRED, nothing the caller put in the message is trusted. */
  uid = dbus_bus_get_unix_user (call->conn, call->sender, &derr);
  if (dbus_error_is_set (&derr))
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_ACCESS_DENIED, "%s.%s: cannot get the credentials of %s: %s",
                   call->interface, call->member, call->sender, derr.message);
      dbus_error_free (&derr);
      return FALSE;
    }
  *uid_out = (uid_t) uid;
  return TRUE;
}
