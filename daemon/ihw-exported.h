/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small exported-object layer over libdbus (after bolt's bolt-exported.c).
 * An object file (ihw-manager.c, ihw-unit-object.c, ihw-device-object.c) declares one
 * interface as a method table and a property table; this layer does the
 * rest for every object:
 *
 *  - marshals once, through common's GVariant converter: a method handler
 *    gets its in arguments as one tuple of the in-signature and returns a
 *    tuple of the out-signature; a property getter returns one value of
 *    the property's signature;
 *  - routes method calls, checks the argument signature at the door
 *    (org.freedesktop.DBus.Error.InvalidArgs naming the expected one),
 *    and turns a handler's GError into io.iommuhwinfo1.Error.* (IHW_ERROR);
 *  - org.freedesktop.DBus.Properties: Get, GetAll, Set (every property is
 *    read-only: PropertyReadOnly), PropertiesChanged;
 *  - org.freedesktop.DBus.Introspectable, serving each interface's element
 *    verbatim from dbus/io.iommuhwinfo1.xml (compiled in), and refusing to
 *    export a table that disagrees with that file;
 *  - org.freedesktop.DBus.ObjectManager on one root: GetManagedObjects,
 *    InterfacesAdded, InterfacesRemoved;
 *  - org.freedesktop.DBus.Peer (Ping, GetMachineId) is answered by libdbus
 *    itself before messages reach object handlers.
 */
#pragma once

#include <dbus/dbus.h>
#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

typedef struct _IhwBus IhwBus;

/* One method call, as a handler sees it. */
typedef struct {
  IhwBus *bus;
  DBusConnection *conn;
  const char *sender;     /* unique name; NULL on a peer-to-peer connection */
  const char *path;
  const char *interface;
  const char *member;
  gpointer user_data;     /* what the interface was exported with */
  DBusMessage *message;   /* the call itself */
  gboolean deferred;      /* ihw_call_defer() took it */
} IhwCall;

/* `args` is a tuple of the method's in-signature (checked at the door).
 * Returns a tuple of the out-signature (floating or not; the layer takes
 * it), or NULL with `error` set. */
typedef GVariant *(*IhwMethodHandler) (IhwCall *call, GVariant *args, GError **error);

/* Returns one value of the property's signature (floating or not), or NULL
 * with `error` set. */
typedef GVariant *(*IhwPropertyGetter) (gpointer user_data, const char *property, GError **error);

typedef struct {
  const char *name;
  const char *in_sig;
  const char *out_sig;
  IhwMethodHandler handler;
} IhwMethodDef;

typedef struct {
  const char *name;
  const char *sig;
  IhwPropertyGetter get;
  gboolean is_const;      /* never changes: not sent in PropertiesChanged */
} IhwPropertyDef;

typedef struct {
  const char *name;
  const IhwMethodDef *methods;
  guint n_methods;
  const IhwPropertyDef *properties;
  guint n_properties;
  /* Optional: a value that moves whenever a property may have changed.
   * Large Get/GetAll replies (a list of every device) are then kept and
   * copied while it stays the same; without it they are kept until
   * PropertiesChanged or ihw_bus_invalidate(). */
  guint64 (*cache_stamp) (gpointer user_data);
} IhwInterfaceDef;

/* `introspection_xml`: the whole <node> document holding every interface
 * that will be exported.  `manager_path`: where ObjectManager lives; the
 * objects below it are its managed objects. */
IhwBus *ihw_bus_new (DBusConnection *conn, const char *introspection_xml, const char *manager_path,
                     GError **error);
void ihw_bus_free (IhwBus *bus);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IhwBus, ihw_bus_free)

DBusConnection *ihw_bus_get_connection (IhwBus *bus);

/* Adds `iface` to the object at `path` (created on first use) and announces
 * it with InterfacesAdded when the path is below the manager.  `destroy`
 * frees `user_data` when the object goes.  Fails when the table disagrees
 * with the introspection XML, or the path is already taken. */
gboolean ihw_bus_export (IhwBus *bus, const char *path, const IhwInterfaceDef *iface, gpointer user_data,
                         GDestroyNotify destroy, GError **error);

/* InterfacesAdded and InterfacesRemoved are sent from now on.  Objects
 * exported before it are the initial state, which clients read with
 * GetManagedObjects once the service has its name. */
void ihw_bus_announce (IhwBus *bus);

/* What the object at `path` shows changed (without PropertiesChanged yet):
 * replies kept for it and for GetManagedObjects are dropped. */
void ihw_bus_invalidate (IhwBus *bus, const char *path);

/* Removes the object and every interface on it, with InterfacesRemoved. */
void ihw_bus_unexport (IhwBus *bus, const char *path);
gboolean ihw_bus_is_exported (IhwBus *bus, const char *path);

/* Paths of the exported objects starting with `prefix`, sorted. */
GPtrArray *ihw_bus_list_paths (IhwBus *bus, const char *prefix);

/* PropertiesChanged with the current values of `names` (NULL: every
 * property of the interface that is not const). */
void ihw_bus_emit_properties_changed (IhwBus *bus, const char *path, const char *iface, const char *const *names);

/* For a handler that answers later (from the main loop): it takes the
 * call, returns NULL without setting an error, and later completes the
 * pending call exactly once, with a tuple of the out-signature or an error. */
typedef struct _IhwPendingCall IhwPendingCall;
IhwPendingCall *ihw_call_defer (IhwCall *call);
void ihw_pending_call_return (IhwPendingCall *pending, GVariant *out);
void ihw_pending_call_error (IhwPendingCall *pending, const GError *error);

/* For handlers: the caller's uid, from the bus's credentials of the sender. */
gboolean ihw_call_get_unix_user (IhwCall *call, uid_t *uid_out, GError **error);

/* The D-Bus error reply for a GError: IHW_ERROR codes map to
 * io.iommuhwinfo1.Error.*, anything else to ...Error.Failed. */
DBusMessage *ihw_error_reply (DBusMessage *in_reply_to, const GError *error);

G_END_DECLS
