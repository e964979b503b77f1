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
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#include "ihw-names.h"
#include "ihw-test-fail-nth.h"

/* Far above any scenario's path: a loop that gets here never ends. */
#define MAX_NTH 5000

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

static void
stop_daemon (const char *fired)
{
  int status = ihw_test_daemon_stop (&tb);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    g_error ("with %s failing: the daemon did not exit cleanly on SIGTERM (status %d; a leak under "
             "ASan or valgrind?)", fired, status);
}

/* The only calls whose failure may stop the daemon at start-up: without a
 * listing of the host there is nothing true to serve, and an empty answer
 * would call every device unknown to it.  It exits 1 with a message, and
 * systemd restarts it (Restart=on-failure). */
static gboolean
fatal_at_startup (const char *fired)
{
  g_autofree char *units = g_strdup_printf ("open %s/class/iommu", host);
  g_autofree char *devices = g_strdup_printf ("open %s/bus/pci/devices", host);
  return g_str_equal (fired, units) || g_str_equal (fired, devices);
}

/* Start-up over the recorded host: IHW_FAIL_NTH counts from main(). */
static void
test_startup (void)
{
  g_autofree char *report = g_build_filename (tb.tmpdir, "fail-nth-report", NULL);
  g_autofree char *devdir = g_build_filename (host, "dev", NULL);
  const char *args[] = { "--sysfs-root", host, "--dev-root", devdir, "--no-probe", NULL };
  guint n, exits = 0;

  stop_daemon ("nothing");
  for (n = 1; n < MAX_NTH; n++)
    {
      g_autofree char *nth = g_strdup_printf ("%u", n);
      const char *env[] = { "IHW_FAIL_NTH", nth, "IHW_FAIL_NTH_REPORT", report, NULL };
      g_autofree char *fired = NULL;
      int status;

      (void) g_unlink (report);
      if (!ihw_test_daemon_try_start (&tb, args, env, &status))
        {
          if (!g_file_get_contents (report, &fired, NULL, NULL))
            g_error ("fail-nth %u: the daemon exited (status %d) with nothing failed", n, status);
          if (!fatal_at_startup (fired) || !WIFEXITED (status) || WEXITSTATUS (status) != 1)
            g_error ("with %s failing: the daemon did not start (status %d)", fired, status);
          exits++;
          continue;
        }
      fired = ihw_test_fail_disarm (&tb, NULL);
      ihw_test_assert_serving (&tb);
      if (!*fired)
        {
          g_autoptr (GVariant) state = ihw_test_state (&tb);
          g_assert_true (g_variant_equal (state, clean.state));
          stop_daemon ("nothing");
          break;
        }
      ihw_test_assert_no_wrong_answer (&tb, &clean, fired);
      ihw_test_assert_restored (&tb, &clean, fired);
      stop_daemon (fired);
    }
  g_assert_cmpuint (n, <, MAX_NTH);
  g_test_message ("start-up: %u calls failed one at a time (%u stopped the start with a message)", n - 1, exits);
  start_daemon ();
}

typedef struct {
  const char *name;
  const char *path, *iface, *method;
  GVariant *(*args) (void);
  /* The answer may differ from a clean run's only by saying less:
   * index of a verdict that may become "unknown" (-1: none). */
  int verdict_child;
  gboolean changes_state; /* Refresh: check and restore the cache after */
} Request;

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

static const Request requests[] = {
  { "refresh", IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "Refresh", refresh_args, -1, TRUE },
  { "check-nesting", IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "CheckNesting", devices_args, 0, FALSE },
  { "negotiate", IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "Negotiate", devices_args, 0, FALSE },
  { "get-managed-objects", IHW_DBUS_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", no_args, -1,
    FALSE },
  { "get-all-manager", IHW_DBUS_PATH, "org.freedesktop.DBus.Properties", "GetAll", get_all_args, -1, FALSE },
};

static gboolean
says_unknown (GVariant *reply, int child)
{
  g_autoptr (GVariant) v = NULL;
  if (child < 0)
    return FALSE;
  v = g_variant_get_child_value (reply, child);
  return g_str_equal (g_variant_get_string (v, NULL), "unknown");
}

static void
test_request (gconstpointer data)
{
  const Request *r = data;
  g_autoptr (GVariant) want = ihw_test_call_ok (&tb, r->path, r->iface, r->method, r->args ());
  guint n, calls = 0;

  for (n = 1; n < MAX_NTH; n++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) got = NULL;
      g_autofree char *fired = NULL;

      ihw_test_fail_arm (&tb, n, "");
      got = ihw_test_call (&tb, r->path, r->iface, r->method, r->args (), &error);
      fired = ihw_test_fail_disarm (&tb, &calls);
      ihw_test_assert_serving (&tb);
      if (!*fired)
        {
          g_assert_no_error (error);
          g_assert_true (g_variant_equal (got, want));
          break;
        }
      if (!got)
        ihw_test_assert_typed_error (error, fired);
      else if (!g_variant_equal (got, want) && !says_unknown (got, r->verdict_child))
        {
          g_autofree char *a = g_variant_print (got, FALSE);
          g_autofree char *b = g_variant_print (want, FALSE);
          g_error ("with %s failing: %s answered\n  %s\n  clean %s", fired, r->method, a, b);
        }
      if (r->changes_state)
        {
          ihw_test_assert_no_wrong_answer (&tb, &clean, fired);
          ihw_test_assert_restored (&tb, &clean, fired);
        }
      else
        {
          g_autoptr (GVariant) state = ihw_test_state (&tb);
          g_assert_true (g_variant_equal (state, clean.state));
        }
    }
  g_assert_cmpuint (n, <, MAX_NTH);
  g_test_message ("%s: %u calls failed one at a time", r->name, n - 1);
}

static void
test_exit (void)
{
  stop_daemon ("nothing");
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
