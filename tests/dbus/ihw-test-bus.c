/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-test-bus.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ihw-names.h"
#include "ihw-test-util.h"

void
ihw_test_host_unit_vtd (const char *root, const char *unit, const char *cap, const char *ecap)
{
  g_autofree char *cls = g_strdup_printf ("%s/class/iommu/%s", root, unit);
  g_autofree char *dir = g_strdup_printf ("%s/devices/virtual/iommu/%s", root, unit);
  g_autofree char *devs = g_strdup_printf ("%s/devices", dir);
  g_autofree char *f_cap = g_strdup_printf ("%s/intel-iommu/cap", dir);
  g_autofree char *f_ecap = g_strdup_printf ("%s/intel-iommu/ecap", dir);
  g_autofree char *f_ver = g_strdup_printf ("%s/intel-iommu/version", dir);
  g_autofree char *cap_nl = g_strdup_printf ("%s\n", cap);
  g_autofree char *ecap_nl = g_strdup_printf ("%s\n", ecap);
  g_autofree char *target = g_strdup_printf ("../../devices/virtual/iommu/%s", unit);

  g_assert_cmpint (g_mkdir_with_parents (devs, 0755), ==, 0);
  ihw_test_put_link ("/", cls, target);
  ihw_test_put_file ("/", f_cap, cap_nl, -1);
  ihw_test_put_file ("/", f_ecap, ecap_nl, -1);
  ihw_test_put_file ("/", f_ver, "6:0\n", -1);
}

void
ihw_test_host_device (const char *root, const char *bdf, const char *unit, int group, const char *driver, int vfio)
{
  g_autofree char *dir = g_strdup_printf ("%s/devices/pci0000:00/%s", root, bdf);
  g_autofree char *bus = g_strdup_printf ("%s/bus/pci/devices/%s", root, bdf);
  g_autofree char *bus_target = g_strdup_printf ("../../../devices/pci0000:00/%s", bdf);
  g_autofree char *f_vendor = g_strdup_printf ("%s/vendor", dir);
  g_autofree char *f_device = g_strdup_printf ("%s/device", dir);
  g_autofree char *f_class = g_strdup_printf ("%s/class", dir);

  ihw_test_put_file ("/", f_vendor, "0x8086\n", -1);
  ihw_test_put_file ("/", f_device, "0x0b60\n", -1);
  ihw_test_put_file ("/", f_class, "0x010802\n", -1);
  ihw_test_put_link ("/", bus, bus_target);
  if (unit)
    {
      g_autofree char *l = g_strdup_printf ("%s/iommu", dir);
      g_autofree char *t = g_strdup_printf ("../../virtual/iommu/%s", unit);
      g_autofree char *back = g_strdup_printf ("%s/devices/virtual/iommu/%s/devices/%s", root, unit, bdf);
      g_autofree char *back_t = g_strdup_printf ("../../../../pci0000:00/%s", bdf);
      ihw_test_put_link ("/", l, t);
      ihw_test_put_link ("/", back, back_t);
    }
  if (group >= 0)
    {
      g_autofree char *g = g_strdup_printf ("%s/kernel/iommu_groups/%d/devices", root, group);
      g_autofree char *l = g_strdup_printf ("%s/iommu_group", dir);
      g_autofree char *t = g_strdup_printf ("../../../kernel/iommu_groups/%d", group);
      g_assert_cmpint (g_mkdir_with_parents (g, 0755), ==, 0);
      ihw_test_put_link ("/", l, t);
    }
  if (driver)
    {
      g_autofree char *d = g_strdup_printf ("%s/bus/pci/drivers/%s", root, driver);
      g_autofree char *l = g_strdup_printf ("%s/driver", dir);
      g_autofree char *t = g_strdup_printf ("../../../bus/pci/drivers/%s", driver);
      g_assert_cmpint (g_mkdir_with_parents (d, 0755), ==, 0);
      ihw_test_put_link ("/", l, t);
    }
  if (vfio >= 0)
    {
      g_autofree char *f = g_strdup_printf ("%s/vfio-dev/vfio%d/dev", dir, vfio);
      g_autofree char *v = g_strdup_printf ("237:%d\n", vfio);
      ihw_test_put_file ("/", f, v, -1);
    }
}

static void
rm_rf (const char *path)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", path);
  g_assert_cmpint (system (cmd), ==, 0);
}

void
ihw_test_host_remove_device (const char *root, const char *bdf, const char *unit)
{
  g_autofree char *dir = g_strdup_printf ("%s/devices/pci0000:00/%s", root, bdf);
  g_autofree char *bus = g_strdup_printf ("%s/bus/pci/devices/%s", root, bdf);
  (void) unlink (bus);
  if (unit)
    {
      g_autofree char *back = g_strdup_printf ("%s/devices/virtual/iommu/%s/devices/%s", root, unit, bdf);
      (void) unlink (back);
    }
  rm_rf (dir);
}

/* ------------------------------------------------------------------ */

/* Children die with the test, even when an assertion aborts it. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

void
ihw_test_bus_start (IhwTestBus *tb, const char *policy)
{
  ihw_test_bus_start_with (tb, policy, NULL);
}

void
ihw_test_bus_start_with (IhwTestBus *tb, const char *policy, const char *extra_policy)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *config = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *line = NULL;
  g_autoptr(GIOChannel) out = NULL;
  int out_fd;
  const char *argv[] = { "dbus-daemon", "--nofork", "--print-address=1", NULL, NULL };

  tb->tmpdir = g_dir_make_tmp ("ihw-dbus-XXXXXX", &error);
  g_assert_no_error (error);
  /* Clients under other uids (nobody) must reach the socket. */
  g_assert_cmpint (g_chmod (tb->tmpdir, 0755), ==, 0);

  /* Only root may own the name by the project's policy; a non-root test
   * run gets the same right for its own uid and nothing else. */
  if (getuid () != 0)
    extra = g_strdup_printf ("<policy user=\"%u\"><allow own=\"" IHW_DBUS_NAME "\"/></policy>%s", getuid (),
                             extra_policy ? extra_policy : "");
  else
    extra = g_strdup (extra_policy);

  /* The stock system bus defaults (deny method calls unless a policy file
   * punches a hole), then the project's policy file, as installed. */
  config = g_strdup_printf (
    "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
    " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
    "<busconfig>\n"
    "  <type>system</type>\n"
    "  <listen>unix:path=%s/system_bus_socket</listen>\n"
    "  <auth>EXTERNAL</auth>\n"
    "  <policy context=\"default\">\n"
    "    <allow user=\"*\"/>\n"
    "    <deny own=\"*\"/>\n"
    "    <deny send_type=\"method_call\"/>\n"
    "    <allow send_type=\"signal\"/>\n"
    "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
    "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
    "    <allow receive_type=\"method_call\"/>\n"
    "    <allow receive_type=\"method_return\"/>\n"
    "    <allow receive_type=\"error\"/>\n"
    "    <allow receive_type=\"signal\"/>\n"
    "    <allow send_destination=\"org.freedesktop.DBus\" send_interface=\"org.freedesktop.DBus\"/>\n"
    "    <allow send_destination=\"org.freedesktop.DBus\" send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
    "    <allow send_destination=\"org.freedesktop.DBus\" send_interface=\"org.freedesktop.DBus.Properties\"/>\n"
    "  </policy>\n"
    "  %s\n"
    "  <include>%s</include>\n"
    "</busconfig>\n",
    tb->tmpdir, extra ? extra : "", policy);
  config_path = g_build_filename (tb->tmpdir, "bus.conf", NULL);
  g_file_set_contents (config_path, config, -1, &error);
  g_assert_no_error (error);

  argv[3] = g_strconcat ("--config-file=", config_path, NULL);
  g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                            die_with_parent, NULL, &tb->bus_pid, NULL, &out_fd, NULL, &error);
  g_free ((char *) argv[3]);
  g_assert_no_error (error);

  out = g_io_channel_unix_new (out_fd);
  g_io_channel_set_close_on_unref (out, TRUE);
  g_io_channel_read_line (out, &line, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_strstrip (line);
  tb->bus_address = g_steal_pointer (&line);
  g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", tb->bus_address, TRUE);

  tb->conn = g_dbus_connection_new_for_address_sync (tb->bus_address,
                                                      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                        G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                      NULL, NULL, &error);
  g_assert_no_error (error);
}

GVariant *
ihw_test_call (IhwTestBus *tb, const char *path, const char *iface, const char *method, GVariant *args,
               GError **error)
{
  return g_dbus_connection_call_sync (tb->conn, IHW_DBUS_NAME, path, iface, method, args, NULL,
                                      G_DBUS_CALL_FLAGS_NONE, 30000, NULL, error);
}

GVariant *
ihw_test_call_ok (IhwTestBus *tb, const char *path, const char *iface, const char *method, GVariant *args)
{
  g_autoptr (GError) error = NULL;
  GVariant *r = ihw_test_call (tb, path, iface, method, args, &error);
  g_assert_no_error (error);
  return r;
}

static void
name_appeared (GDBusConnection *c, const char *name, const char *owner, gpointer data)
{
  *(gboolean *) data = TRUE;
}

gboolean
ihw_test_daemon_try_start (IhwTestBus *tb, const char *const *args, const char *const *env, int *status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) wrapper = NULL;
  g_auto(GStrv) envp = g_get_environ ();
  const char *daemon = g_getenv ("IHW_DAEMON");
  gboolean owned = FALSE;
  gint64 deadline;
  guint watch;

  g_assert_nonnull (daemon);
  /* IHW_DAEMON_WRAPPER: a command to run it under (run-all.sh: valgrind). */
  if (g_getenv ("IHW_DAEMON_WRAPPER"))
    {
      g_assert_true (g_shell_parse_argv (g_getenv ("IHW_DAEMON_WRAPPER"), NULL, &wrapper, NULL));
      for (guint i = 0; wrapper[i]; i++)
        g_ptr_array_add (argv, wrapper[i]);
      g_ptr_array_add (argv, (char *) daemon);
    }
  else
    g_ptr_array_add (argv, (char *) daemon);
  for (guint i = 0; args && args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  for (guint i = 0; env && env[i] && env[i + 1]; i += 2)
    envp = g_environ_setenv (envp, env[i], env[i + 1], TRUE);

  watch = g_bus_watch_name_on_connection (tb->conn, IHW_DBUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE, name_appeared,
                                          NULL, &owned, NULL);
  g_spawn_async (NULL, (char **) argv->pdata, envp, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH,
                 die_with_parent, NULL, &tb->daemon_pid, &error);
  g_assert_no_error (error);

  /* ASan builds start slowly: generous, but bounded. */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (!owned && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      if (waitpid (tb->daemon_pid, status, WNOHANG) == tb->daemon_pid)
        {
          tb->daemon_pid = 0;
          g_bus_unwatch_name (watch);
          return FALSE;
        }
      g_usleep (10 * 1000);
    }
  g_bus_unwatch_name (watch);
  g_assert_true (owned);
  return TRUE;
}

void
ihw_test_daemon_start (IhwTestBus *tb, const char *const *args)
{
  int status;
  if (!ihw_test_daemon_try_start (tb, args, NULL, &status))
    g_error ("iommu-hwinfod exited before owning the name (status %d)", status);
}

int
ihw_test_daemon_stop (IhwTestBus *tb)
{
  int status = -1;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  if (!tb->daemon_pid)
    return 0;
  kill (tb->daemon_pid, SIGTERM);
  while (g_get_monotonic_time () < deadline)
    {
      if (waitpid (tb->daemon_pid, &status, WNOHANG) == tb->daemon_pid)
        break;
      g_usleep (10 * 1000);
    }
  if (g_get_monotonic_time () >= deadline)
    {
      kill (tb->daemon_pid, SIGKILL);
      waitpid (tb->daemon_pid, &status, 0);
      g_test_message ("iommu-hwinfod did not stop on SIGTERM within 30 s");
      status = -1;
    }
  tb->daemon_pid = 0;
  return status;
}

guint64
ihw_test_proc_status_kib (GPid pid, const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *key = g_strdup_printf ("\n%s:", field);
  g_autofree char *text = NULL;
  const char *p;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  p = strstr (text, key);
  g_assert_nonnull (p);
  return g_ascii_strtoull (p + strlen (key), NULL, 10);
}

void
ihw_test_bus_stop (IhwTestBus *tb)
{
  ihw_test_daemon_stop (tb);
  g_clear_object (&tb->conn);
  if (tb->bus_pid)
    {
      kill (tb->bus_pid, SIGTERM);
      waitpid (tb->bus_pid, NULL, 0);
    }
  if (tb->tmpdir)
    rm_rf (tb->tmpdir);
  g_clear_pointer (&tb->tmpdir, g_free);
  g_clear_pointer (&tb->bus_address, g_free);
}
