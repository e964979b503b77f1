/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iommu-hwinfod: options, config, bus name, readiness, signals.  Everything
 * else lives in the static library so tests link the same code.
 */
#include <dbus/dbus.h>
#include <glib-unix.h>
#include <glib.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "ihw-dbus-loop.h"
#include "ihw-error.h"
#include "ihw-exported.h"
#include "ihw-fail-nth.h"
#include "ihw-hotplug.h"
#include "ihw-log.h"
#include "ihw-manager.h"
#include "ihw-names.h"
#include "ihw-nfd-writer.h"
#include "ihw-registry.h"
#include "io.iommuhwinfo1.xml.h"

#define DEFAULT_CONFIG SYSCONFDIR "/iommu-hwinfod/iommu-hwinfod.conf"

typedef struct {
  char *sysfs_root;
  char *dev_root;
  gboolean no_probe;
  char *config;
  gboolean verbose;
  gboolean version;
  char *qemu_version;
  IhwNfdConfig nfd;
} Options;

typedef struct {
  GMainLoop *loop;
  int exit_code;
  Options *options;    /* as the daemon started: command line over config */
  gboolean config_explicit;
  IhwRegistry *reg;
  IhwManager *mgr;
} Daemon;

static void
options_clear (Options *o)
{
  g_free (o->sysfs_root);
  g_free (o->dev_root);
  g_free (o->config);
  g_free (o->qemu_version);
  ihw_nfd_config_clear (&o->nfd);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

/* [daemon] sysfs-root=, dev-root=, probe=, qemu-version=, verbose=; [nfd]
 * (ihw-nfd-writer.h).  The command line wins over the file.  A missing
 * default file is fine; a missing --config FILE is not. */
static gboolean
load_config (Options *o, gboolean explicit_file, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) keys = NULL;
  const char *path = o->config ? o->config : DEFAULT_CONFIG;
  static const char *const known[] = { "sysfs-root", "dev-root", "probe", "qemu-version", "verbose", NULL };

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &local))
    {
      if (!explicit_file && g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT, "config %s: %s", path, local->message);
      return FALSE;
    }

  keys = g_key_file_get_keys (kf, "daemon", NULL, NULL);
  for (guint i = 0; keys && keys[i]; i++)
    if (!g_strv_contains (known, keys[i]))
      g_warning ("config %s: unknown key [daemon] %s ignored", path, keys[i]);

#define STR_KEY(key, field)                                                                                 \
  if (!o->field && g_key_file_has_key (kf, "daemon", key, NULL))                                             \
    o->field = g_key_file_get_string (kf, "daemon", key, NULL);
  STR_KEY ("sysfs-root", sysfs_root)
  STR_KEY ("dev-root", dev_root)
  STR_KEY ("qemu-version", qemu_version)
#undef STR_KEY

  if (g_key_file_has_key (kf, "daemon", "probe", NULL))
    {
      gboolean probe = g_key_file_get_boolean (kf, "daemon", "probe", &local);
      if (local)
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT, "config %s: [daemon] probe: %s", path,
                       local->message);
          return FALSE;
        }
      if (!probe)
        o->no_probe = TRUE;
    }
  if (g_key_file_get_boolean (kf, "daemon", "verbose", NULL))
    o->verbose = TRUE;
  return ihw_nfd_config_load (&o->nfd, kf, path, error);
}

/* A value the new file sets that the running daemon does not use. */
static gboolean
strings_differ (const char *fresh, const char *running)
{
  return fresh && g_strcmp0 (fresh, running) != 0;
}

static void
hangup_refreshed (IhwRegistry *reg, const GError *error, gpointer data)
{
  if (error)
    g_warning ("SIGHUP: host not re-read: %s", error->message);
  else
    g_message ("SIGHUP: host re-read");
}

/* SIGHUP, as daemons do: re-read the config file, then re-read the host
 * (a full Refresh).  qemu-version and verbose apply at once; where to read
 * (sysfs-root, dev-root, probe) is fixed for the process, so a change there
 * is named and waits for a restart.  A config that does not load changes
 * nothing. */
static gboolean
on_hangup (gpointer data)
{
  Daemon *d = data;
  g_auto (Options) fresh = { .config = g_strdup (d->options->config) };
  g_autoptr (GError) error = NULL;
  IhwRequest defaults = { 0 };

  g_message ("SIGHUP: re-reading the configuration and the host");
  if (!load_config (&fresh, d->config_explicit, &error) ||
      (fresh.qemu_version && !ihw_request_set_qemu_version (&defaults, fresh.qemu_version, &error)))
    {
      g_warning ("SIGHUP: %s; keeping the running configuration", error->message);
      return G_SOURCE_CONTINUE;
    }
  if (strings_differ (fresh.sysfs_root, d->options->sysfs_root) ||
      strings_differ (fresh.dev_root, d->options->dev_root) || (fresh.no_probe && !d->options->no_probe))
    g_warning ("SIGHUP: sysfs-root, dev-root and probe take effect on restart only");
  ihw_manager_set_defaults (d->mgr, &defaults);
  ihw_log_setup (d->options->verbose || fresh.verbose);
  ihw_registry_refresh_all_async (d->reg, hangup_refreshed, NULL);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_signal (gpointer data)
{
  Daemon *d = data;
  g_message ("Signal received, shutting down");
  g_main_loop_quit (d->loop);
  return G_SOURCE_CONTINUE;
}

static DBusHandlerResult
on_disconnected (DBusConnection *conn, DBusMessage *msg, void *data)
{
  Daemon *d = data;
  if (dbus_message_is_signal (msg, DBUS_INTERFACE_LOCAL, "Disconnected"))
    {
      g_warning ("Lost the connection to the system bus, exiting");
      d->exit_code = EXIT_FAILURE;
      g_main_loop_quit (d->loop);
      return DBUS_HANDLER_RESULT_HANDLED;
    }
  return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
}

static gboolean
request_name (DBusConnection *conn, GError **error)
{
  DBusError derr = DBUS_ERROR_INIT;
  int r = dbus_bus_request_name (conn, IHW_DBUS_NAME, DBUS_NAME_FLAG_DO_NOT_QUEUE, &derr);

  if (dbus_error_is_set (&derr))
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "cannot own %s on the system bus: %s (%s)", IHW_DBUS_NAME,
                   derr.message, derr.name);
      dbus_error_free (&derr);
      return FALSE;
    }
  if (r != DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_BUSY,
                   "%s is already owned on the system bus: is another iommu-hwinfod running?", IHW_DBUS_NAME);
      return FALSE;
    }
  return TRUE;
}

/* Whether a --sysfs-root is the running kernel's /sys ("/sys/", a link). */
static gboolean
is_real_sysfs (const char *root)
{
  g_autofree char *real = realpath (root, NULL);
  return g_strcmp0 (real, "/sys") == 0;
}

static int
run (Options *o, gboolean config_explicit)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(IhwRegistry) reg = NULL;
  g_autoptr(IhwHotplug) hotplug = NULL;
  g_autoptr(IhwBus) bus = NULL;
  g_autoptr(IhwManager) mgr = NULL;
  g_autoptr(IhwNfdWriter) nfd = NULL;
  DBusConnection *conn;
  DBusError derr = DBUS_ERROR_INIT;
  IhwRequest defaults = { 0 };
  IhwRegistryOptions ropts = {
    .sysfs_root = o->sysfs_root ? o->sysfs_root : "/sys",
    .dev_root = o->dev_root ? o->dev_root : "/dev",
    .probe = !o->no_probe,
  };
  Daemon d = { .exit_code = EXIT_SUCCESS, .options = o, .config_explicit = config_explicit };

  if (o->qemu_version && !ihw_request_set_qemu_version (&defaults, o->qemu_version, &error))
    {
      g_printerr ("iommu-hwinfod: config: %s\n", error->message);
      return EXIT_FAILURE;
    }

  ihw_fail_nth_arm_from_env ();
  reg = ihw_registry_new (&ropts);
  /* Listen before the first scan, so nothing that happens during it is
   * missed; what arrives waits in the socket until the main loop runs, by
   * then the objects are exported and every change becomes a signal. */
  /* Uevents describe the running kernel's /sys: a recorded tree under
   * another --sysfs-root (tests, replays of a captured host) has none, and
   * the host's own events are not about it. */
  if (!is_real_sysfs (ropts.sysfs_root))
    g_message ("Hotplug off: uevents describe /sys, not %s (Refresh re-reads it)", ropts.sysfs_root);
  else if (!(hotplug = ihw_hotplug_new (reg, &error)))
    {
      /* Still useful without it: answers stay right after a Refresh. */
      g_warning ("No hotplug (%s): devices that come, go or change driver are seen only on Refresh",
                 error->message);
      g_clear_error (&error);
    }
  if (!ihw_registry_load (reg, &error))
    {
      g_critical ("Cannot read the host's IOMMUs under %s: %s", ropts.sysfs_root, error->message);
      return EXIT_FAILURE;
    }

  /* The labels are on disk before the daemon says it is ready. */
  if (o->nfd.path)
    {
      nfd = ihw_nfd_writer_new (reg, &o->nfd, &defaults);
      ihw_registry_set_change_hook (reg, ihw_nfd_writer_changed, nfd);
    }

  /* DBUS_SYSTEM_BUS_ADDRESS is honoured by libdbus: tests use a private bus. */
  conn = dbus_bus_get_private (DBUS_BUS_SYSTEM, &derr);
  if (!conn)
    {
      g_critical ("Cannot connect to the system bus: %s", derr.message);
      dbus_error_free (&derr);
      return EXIT_FAILURE;
    }
  dbus_connection_set_exit_on_disconnect (conn, FALSE);
  d.loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, on_signal, &d);
  g_unix_signal_add (SIGINT, on_signal, &d);
  if (!ihw_dbus_loop_attach (conn, NULL) || !dbus_connection_add_filter (conn, on_disconnected, &d, NULL) ||
      !ihw_fail_nth_attach (conn))
    g_error ("out of memory attaching to the bus");

  bus = ihw_bus_new (conn, ihw_introspection_xml, IHW_DBUS_PATH, &error);
  if (bus)
    mgr = ihw_manager_new (bus, reg, &defaults, &error);
  if (!mgr || !request_name (conn, &error))
    {
      g_critical ("%s", error->message);
      d.exit_code = EXIT_FAILURE;
      goto out;
    }
  d.reg = reg;
  d.mgr = mgr;
  g_unix_signal_add (SIGHUP, on_hangup, &d);

  g_message ("Ready on the system bus as %s (sysfs %s, %s)", IHW_DBUS_NAME, ropts.sysfs_root,
             ihw_registry_probe_state (reg));
  sd_notify (0, "READY=1\nSTATUS=Answering on the system bus");

  g_main_loop_run (d.loop);

  sd_notify (0, "STOPPING=1");
  /* Only a clean stop: after a lost bus the labels are still the truth. */
  if (d.exit_code == EXIT_SUCCESS)
    ihw_nfd_writer_stop (nfd);

out:
  ihw_registry_set_change_hook (reg, NULL, NULL);
  g_clear_pointer (&nfd, ihw_nfd_writer_free);
  g_clear_pointer (&hotplug, ihw_hotplug_free);
  g_clear_pointer (&mgr, ihw_manager_free);
  g_clear_pointer (&bus, ihw_bus_free);
  ihw_fail_nth_detach (conn);
  dbus_connection_remove_filter (conn, on_disconnected, &d);
  ihw_dbus_loop_detach (conn);
  dbus_connection_close (conn);
  dbus_connection_unref (conn);
  g_main_loop_unref (d.loop);
  return d.exit_code;
}

int
main (int argc, char **argv)
{
  g_auto(Options) o = { 0 };
  g_autoptr(GOptionContext) ctx = NULL;
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
    { "sysfs-root", 0, 0, G_OPTION_ARG_FILENAME, &o.sysfs_root, "Where sysfs is (default /sys)", "DIR" },
    { "dev-root", 0, 0, G_OPTION_ARG_FILENAME, &o.dev_root, "Where /dev is (default /dev)", "DIR" },
    { "no-probe", 0, 0, G_OPTION_ARG_NONE, &o.no_probe, "Never open a device: sysfs only", NULL },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &o.config, "Configuration file (default " DEFAULT_CONFIG ")",
      "FILE" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &o.verbose, "Log debug messages", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &o.version, "Print the version and exit", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  ctx = g_option_context_new ("- IOMMU nesting facts on the system bus");
  g_option_context_set_summary (ctx, "Tells libvirt and admins whether a vIOMMU model can use nested\n"
                                     "translation with assigned PCI devices (D-Bus " IHW_DBUS_NAME ").");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("iommu-hwinfod: %s\nTry --help.\n", error->message);
      return 64; /* EX_USAGE */
    }
  if (argc > 1)
    {
      g_printerr ("iommu-hwinfod: unexpected argument '%s'\nTry --help.\n", argv[1]);
      return 64;
    }
  if (o.version)
    {
      printf ("iommu-hwinfod %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }
  if (!load_config (&o, o.config != NULL, &error))
    {
      g_printerr ("iommu-hwinfod: %s\n", error->message);
      return 78; /* EX_CONFIG */
    }

  ihw_log_setup (o.verbose);
  return run (&o, o.config != NULL);
}
