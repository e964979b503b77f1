/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libiommu-hwinfo-client: a small synchronous client for iommu-hwinfod's
 * D-Bus API (SPEC §4), over libdbus, for iommu-hwinfoctl and the libvirt
 * hook.  Values come back as GVariants of the D-Bus signature, so nothing is
 * lost and callers use g_variant_lookup() on a{sv} dictionaries.
 *
 * Errors are GErrors in the IHW_ERROR domain (ihw-error.h), so
 * ihw_error_exit_code() gives the SPEC §5 exit code:
 *   - the bus is unreachable, or iommu-hwinfod is not running or does not
 *     answer in time: IHW_ERROR_UNAVAILABLE (69), with a message that says
 *     how to start it;
 *   - io.iommuhwinfo1.Error.X: the matching IHW_ERROR code
 *     (ihw_error_from_dbus_name), the daemon's message kept as is;
 *   - org.freedesktop.DBus.Error.AccessDenied (bus policy) and
 *     io.iommuhwinfo1.Error.AccessDenied: IHW_ERROR_ACCESS_DENIED (77);
 *   - a reply of the wrong signature: IHW_ERROR_BAD_DATA.
 *
 * Not thread-safe: one IhwClient per thread.  Typical use (the hook):
 *
 *   g_autoptr (IhwClient) c = ihw_client_new (NULL, 0, &error);
 *   g_autoptr (IhwCheckResult) r = NULL;
 *   if (!c || !(r = ihw_client_check_nesting (c, "intel", devs, &req, &error)))
 *     ... ihw_error_exit_code (error) == IHW_EXIT_UNAVAILABLE: allow with a warning
 *   if (r->result->verdict == IHW_VERDICT_UNSUPPORTED)
 *     for each IhwReason in r->result->reasons: print one line, exit 1
 */
#pragma once

#include <glib.h>

#include "ihw-verdict.h"

G_BEGIN_DECLS

typedef struct _IhwClient IhwClient;

/* Default time to wait for the bus (connect + authenticate + Hello) and for
 * each reply, in milliseconds. */
#define IHW_CLIENT_DEFAULT_TIMEOUT_MS 5000

/* Connects to the bus at `address` (a D-Bus address such as
 * "unix:path=/run/dbus/system_bus_socket"); NULL means the system bus:
 * $DBUS_SYSTEM_BUS_ADDRESS if set, else the standard socket.  The
 * connection is private to this client.  `timeout_ms` <= 0 means
 * IHW_CLIENT_DEFAULT_TIMEOUT_MS; it bounds the connect and every call. */
IhwClient *ihw_client_new (const char *address, int timeout_ms, GError **error);
void ihw_client_free (IhwClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IhwClient, ihw_client_free)

/* Whether iommu-hwinfod is on the bus (or the bus can start it): two
 * calls to the bus itself, none to the daemon.  FALSE with
 * IHW_ERROR_UNAVAILABLE when it is not there. */
gboolean ihw_client_daemon_present (IhwClient *client, GError **error);

/* The address connected to (for messages). */
const char *ihw_client_get_address (IhwClient *client);

typedef struct {
  /* The verdict and its (device, requirement, needed, found) reasons, as
   * common's result type; each reason's `why` is the rule table's sentence
   * for it (D-Bus has no room for one), `notes` stays empty. */
  IhwResult *result;
  /* Negotiate only (NULL / empty after CheckNesting): */
  GVariant *config;        /* a{sv}: the request keys (SPEC §4) */
  char *libvirt_xml;       /* an <iommu> element */
  char **qemu_args;        /* NULL-terminated, e.g. {"-device", "intel-iommu,..."} */
} IhwCheckResult;

void ihw_check_result_free (IhwCheckResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IhwCheckResult, ihw_check_result_free)

/* The a{sv} request for an IhwRequest is ihw_request_to_variant() in
 * ihw-verdict.h (only the keys that are set; a full reference). */

/* Manager.CheckNesting.  `model` and each device are sent as given: the
 * daemon validates them (callers may check first with ihw_model_from_name
 * and ihw_pci_address_valid for friendlier messages).  `req` may be NULL. */
IhwCheckResult *ihw_client_check_nesting (IhwClient *client, const char *model, const char *const *devices,
                                          const IhwRequest *req, GError **error);

/* Manager.Negotiate: the same, plus config, libvirt_xml and qemu_args. */
IhwCheckResult *ihw_client_negotiate (IhwClient *client, const char *model, const char *const *devices,
                                      const IhwRequest *req, GError **error);

/* Manager.GetHwInfo: the whole reply, "(uaytys)". */
GVariant *ihw_client_get_hw_info (IhwClient *client, const char *device, GError **error);

/* Manager.Refresh; `devices` NULL or empty: everything.  Privileged. */
gboolean ihw_client_refresh (IhwClient *client, const char *const *devices, GError **error);

/* ObjectManager.GetManagedObjects on the root: "a{oa{sa{sv}}}". */
GVariant *ihw_client_get_managed_objects (IhwClient *client, GError **error);

/* Properties.GetAll(`iface`) on `path`: "a{sv}".  An unknown object or
 * interface is IHW_ERROR_NO_SUCH_DEVICE. */
GVariant *ihw_client_get_all_properties (IhwClient *client, const char *path, const char *iface, GError **error);

/* --- following changes (monitor) -------------------------------------- */

typedef enum {
  IHW_CLIENT_EVENT_ADDED,            /* InterfacesAdded: `properties` is a{sa{sv}} */
  IHW_CLIENT_EVENT_REMOVED,          /* InterfacesRemoved: `interfaces` */
  IHW_CLIENT_EVENT_CHANGED,          /* PropertiesChanged on `interface`: `properties` a{sv}, `invalidated` */
  IHW_CLIENT_EVENT_DAEMON_STARTED,   /* the daemon took the bus name */
  IHW_CLIENT_EVENT_DAEMON_STOPPED,   /* the daemon left the bus */
} IhwClientEventKind;

typedef struct {
  IhwClientEventKind kind;
  char *path;              /* object path (NULL for DAEMON_*) */
  char *interface;         /* CHANGED: the interface whose properties changed */
  GVariant *properties;    /* ADDED: a{sa{sv}}; CHANGED: a{sv}; else NULL */
  char **interfaces;       /* REMOVED: interface names; else NULL */
  char **invalidated;      /* CHANGED: invalidated property names; else NULL */
} IhwClientEvent;

void ihw_client_event_free (IhwClientEvent *ev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IhwClientEvent, ihw_client_event_free)

/* Subscribes to the daemon's ObjectManager and PropertiesChanged signals
 * and to its bus name coming and going.  Works while the daemon is down. */
gboolean ihw_client_watch (IhwClient *client, GError **error);

/* Waits up to `timeout_ms` (-1: forever) for the next event.  Returns TRUE
 * with *event set, TRUE with *event NULL on timeout or when interrupted by a
 * signal (check your flag and call again), FALSE when the bus connection is
 * lost (IHW_ERROR_UNAVAILABLE). */
gboolean ihw_client_next_event (IhwClient *client, int timeout_ms, IhwClientEvent **event, GError **error);

G_END_DECLS
