/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iommu-hwinfoctl monitor: one line per change the daemon announces
 * (InterfacesAdded/Removed, PropertiesChanged) and per daemon start/stop,
 * until SIGINT/SIGTERM.  Needs the bus, not the daemon: it waits for it.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ihw-error.h"
#include "ihw-names.h"

static volatile sig_atomic_t stop_requested;

static void
on_signal (int sig)
{
  stop_requested = 1;
}

static const char *
kind_of (const char *path)
{
  if (!path)
    return "daemon";
  if (g_str_has_prefix (path, IHW_DBUS_DEVICE_PATH_PREFIX))
    return "device";
  if (g_str_has_prefix (path, IHW_DBUS_UNIT_PATH_PREFIX))
    return "unit";
  if (strcmp (path, IHW_DBUS_PATH) == 0)
    return "manager";
  return "object";
}

static const char *const event_names[] = {
  [IHW_CLIENT_EVENT_ADDED] = "added",
  [IHW_CLIENT_EVENT_REMOVED] = "removed",
  [IHW_CLIENT_EVENT_CHANGED] = "changed",
  [IHW_CLIENT_EVENT_DAEMON_STARTED] = "started",
  [IHW_CLIENT_EVENT_DAEMON_STOPPED] = "stopped",
};

/* The a{sv} of the object's own interface in an InterfacesAdded payload. */
static GVariant *
added_properties (const IhwClientEvent *ev)
{
  const char *ifaces[] = { IHW_DBUS_DEVICE_IFACE, IHW_DBUS_UNIT_IFACE, IHW_DBUS_MANAGER_IFACE };

  for (guint i = 0; ev->properties && i < G_N_ELEMENTS (ifaces); i++)
    {
      GVariant *p = g_variant_lookup_value (ev->properties, ifaces[i], G_VARIANT_TYPE_VARDICT);
      if (p)
        return p;
    }
  return NULL;
}

/* Remembers names seen in InterfacesAdded, so later events can use them. */
static char *
event_name (GHashTable *names, const IhwClientEvent *ev, GVariant *props)
{
  const char *known;

  if (!ev->path)
    return g_strdup ("iommu-hwinfod");
  if (props)
    {
      const char *n = *ctl_prop_str (props, "Address") ? ctl_prop_str (props, "Address") : ctl_prop_str (props, "Name");
      if (*n)
        g_hash_table_replace (names, g_strdup (ev->path), g_strdup (n));
    }
  known = g_hash_table_lookup (names, ev->path);
  if (known)
    return g_strdup (known);
  if (strcmp (ev->path, IHW_DBUS_PATH) == 0)
    return g_strdup ("iommu-hwinfod");
  return ctl_path_to_name (ev->path);
}

static void
append_props_text (GString *line, GVariant *props, const char *const *only)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new ();
  GVariantIter it;
  const char *k;

  g_variant_iter_init (&it, props);
  while (g_variant_iter_next (&it, "{&sv}", &k, NULL))
    if (!only || g_strv_contains (only, k))
      g_ptr_array_add (keys, (gpointer) k);
  g_ptr_array_sort (keys, (GCompareFunc) ctl_compare_strv_items);
  for (guint i = 0; i < keys->len; i++)
    {
      g_autoptr (GVariant) v = g_variant_lookup_value (props, keys->pdata[i], NULL);
      g_autofree char *text = ctl_variant_to_text (v);
      g_string_append_printf (line, " %s=%s", (const char *) keys->pdata[i], *text ? text : "\"\"");
    }
}

static void
print_event (CtlGlobal *g, GHashTable *names, const IhwClientEvent *ev)
{
  g_autoptr (GVariant) props = ev->kind == IHW_CLIENT_EVENT_ADDED ? added_properties (ev) : NULL;
  GVariant *changed = ev->kind == IHW_CLIENT_EVENT_CHANGED ? ev->properties : NULL;
  g_autofree char *name = event_name (names, ev, props);
  const char *kind = kind_of (ev->path);

  if (g->json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "event");
      json_builder_add_string_value (b, event_names[ev->kind]);
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, kind);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, name);
      if (ev->path)
        {
          json_builder_set_member_name (b, "path");
          json_builder_add_string_value (b, ev->path);
        }
      if (props || changed)
        {
          json_builder_set_member_name (b, "properties");
          json_builder_begin_object (b);
          ctl_json_add_properties (b, props ? props : changed, NULL);
          json_builder_end_object (b);
        }
      if (ev->kind == IHW_CLIENT_EVENT_CHANGED)
        {
          json_builder_set_member_name (b, "invalidated");
          json_builder_begin_array (b);
          for (guint i = 0; ev->invalidated && ev->invalidated[i]; i++)
            json_builder_add_string_value (b, ev->invalidated[i]);
          json_builder_end_array (b);
        }
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      text = ctl_json_line (root);
      fputs (text, stdout);
    }
  else
    {
      static const char *const added_keys[] = { "Driver", "NestParent", "Source", "Unit", "Vendor", NULL };
      g_autoptr (GString) line = g_string_new (NULL);

      g_string_append_printf (line, "%-8s %-7s %s", event_names[ev->kind], kind, name);
      if (props)
        append_props_text (line, props, added_keys);
      if (changed)
        append_props_text (line, changed, NULL);
      for (guint i = 0; ev->invalidated && ev->invalidated[i]; i++)
        g_string_append_printf (line, " %s=(invalidated)", ev->invalidated[i]);
      puts (line->str);
    }
  fflush (stdout);
}

int
ctl_monitor (CtlGlobal *g, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IhwClient) client = NULL;
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  struct sigaction sa;
  int code;

  if (!ctl_parse_options (g, "monitor", "",
                          "Print one line per change iommu-hwinfod announces (devices and units added, removed\n"
                          "or changed; the daemon starting or stopping) until interrupted.",
                          NULL, &argc, &argv, &code))
    return code;
  if (argc > 1)
    return ctl_usage_error ("monitor", "unexpected argument '%.80s'", argv[1]);

  if (!(client = ctl_connect (&error)) || !ihw_client_watch (client, &error))
    return ctl_fail (error);

  /* Names of what exists now, so "changed"/"removed" lines name objects
   * exactly; the daemon may well be down, which is fine here. */
  {
    g_autoptr (CtlObjects) objs = ctl_objects_load (client, NULL);
    GPtrArray *lists[] = { objs ? objs->units : NULL, objs ? objs->devices : NULL };

    for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
      for (guint i = 0; lists[l] && i < lists[l]->len; i++)
        {
          const CtlObject *o = lists[l]->pdata[i];
          g_hash_table_replace (names, g_strdup (o->path), g_strdup (o->name));
        }
  }

  /* No SA_RESTART: the signal interrupts poll() and the loop ends. */
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);

  while (!stop_requested)
    {
      g_autoptr (IhwClientEvent) ev = NULL;

      /* A bounded wait, so a signal that lands just before poll() still
       * ends the loop soon. */
      if (!ihw_client_next_event (client, 500, &ev, &error))
        return ctl_fail (error);
      if (ev)
        print_event (g, names, ev);
    }
  return 0;
}
