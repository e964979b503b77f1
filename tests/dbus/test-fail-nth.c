/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fault injection through the daemon's probe and request paths, in the
 * spirit of the kernel's fail_nth (tools/testing/selftests/iommu/
 * iommufd_fail_nth.c): for each scenario, for N = 1, 2, … make the Nth
 * open/read/allocation on its path fail, until a run completes with no
 * injected failure.  Every run: the daemon keeps serving, the failing call
 * gets a typed error or an answer no more definite than a clean run's, a
 * later Refresh restores the clean state, and the daemon exits cleanly
 * (leaks: ASan/LSan with G_SLICE=always-malloc, valgrind in run-all.sh).
 *
 * The host is a recorded one (IHW_HOST, 2 units, 3 devices), read from
 * sysfs only; the ioctl path is tests/umockdev/test-fail-nth-probe.c's.
 * The daemon is iommu-hwinfod-failnth (IHW_DAEMON), the test build.
 */
#include <string.h>

#include "ihw-names.h"
#include "ihw-test-fail-nth.h"

static IhwTestBus tb;
static const char *host;
static IhwTestClean clean;

static void
start_daemon (void)
{
  g_autofree char *devdir = g_build_filename (host, "dev", NULL);
  const char *args[] = { "--sysfs-root", host, "--dev-root", devdir, "--no-probe", NULL };
  ihw_test_daemon_start (&tb, args);
}

/* Start-up over the recorded host.  Only a failed listing of the host may
 * stop it: without one there is nothing true to serve, and an empty answer
 * would call every device unknown to it.  It exits 1 with a message, and
 * systemd restarts it (Restart=on-failure). */
static void
test_startup (void)
{
  g_autofree char *devdir = g_build_filename (host, "dev", NULL);
  g_autofree char *units = g_strdup_printf ("open %s/class/iommu", host);
  g_autofree char *devices = g_strdup_printf ("open %s/bus/pci/devices", host);
  const char *fatal[] = { units, devices, NULL };
  const char *args[] = { "--sysfs-root", host, "--dev-root", devdir, "--no-probe", NULL };
  guint n, exits;

  ihw_test_fail_stop (&tb, "nothing");
  n = ihw_test_fail_nth_startup (&tb, args, &clean, fatal, NULL, &exits);
  g_test_message ("start-up: %u calls failed one at a time (%u stopped the start with a message)", n, exits);
  start_daemon ();
}

static GVariant *
no_args (void)
{
  return NULL;
}

static GVariant *
devices_args (void)
{
  g_autoptr (GPtrArray) devs = g_ptr_array_new ();
  GVariantBuilder req;

  for (guint i = 0; i < clean.devices->len; i++)
    g_ptr_array_add (devs, clean.devices->pdata[i]);
  g_ptr_array_add (devs, NULL);
  g_variant_builder_init (&req, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&req, "{sv}", "aw-bits", g_variant_new_uint32 (48));
  return g_variant_new ("(s^asa{sv})", "intel", (char **) devs->pdata, &req);
}

static GVariant *
refresh_args (void)
{
  const char *none[] = { NULL };
  return g_variant_new ("(^as)", none);
}

static GVariant *
get_all_args (void)
{
  return g_variant_new ("(s)", IHW_DBUS_MANAGER_IFACE);
}

/* Every device by name: the synchronous path (each device and its unit). */
static GVariant *
refresh_devices_args (void)
{
  g_autoptr (GPtrArray) devs = g_ptr_array_new ();

  for (guint i = 0; i < clean.devices->len; i++)
    g_ptr_array_add (devs, clean.devices->pdata[i]);
  g_ptr_array_add (devs, NULL);
  return g_variant_new ("(^as)", (char **) devs->pdata);
}

static const IhwTestFailRequest requests[] = {
  { "refresh", IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "Refresh", refresh_args, -1, TRUE },
  { "refresh-devices", IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "Refresh", refresh_devices_args, -1, TRUE },
  { "check-nesting", IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "CheckNesting", devices_args, 0, FALSE },
  { "negotiate", IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "Negotiate", devices_args, 0, FALSE },
  { "get-managed-objects", IHW_DBUS_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", no_args, -1,
    FALSE },
  { "get-all-manager", IHW_DBUS_PATH, "org.freedesktop.DBus.Properties", "GetAll", get_all_args, -1, FALSE },
};

static void
test_request (gconstpointer data)
{
  const IhwTestFailRequest *r = data;
  guint n = ihw_test_fail_nth_request (&tb, &clean, r, NULL);
  g_test_message ("%s: %u calls failed one at a time", r->name, n);
}

static void
test_exit (void)
{
  ihw_test_fail_stop (&tb, "nothing");
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  host = g_getenv ("IHW_HOST");
  g_assert_nonnull (host);

  ihw_test_bus_start_with (&tb, g_getenv ("IHW_POLICY"), IHW_TEST_FAIL_NTH_POLICY);
  start_daemon ();
  ihw_test_clean_init (&clean, &tb);

  for (guint i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      g_autofree char *path = g_strdup_printf ("/fail-nth/%s", requests[i].name);
      g_test_add_data_func (path, &requests[i], test_request);
    }
  g_test_add_func ("/fail-nth/startup", test_startup);
  g_test_add_func ("/fail-nth/exit", test_exit);

  ret = g_test_run ();
  ihw_test_clean_clear (&clean);
  ihw_test_bus_stop (&tb);
  return ret;
}
