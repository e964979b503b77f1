/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fault injection through the iommufd probe (see tests/dbus/test-fail-nth.c
 * for the method): iommu-hwinfod-failnth runs in a umockdev testbed over a
 * recorded VT-d host whose /dev/iommu and VFIO cdev answer through
 * FakeIoctlHandler, so start-up and a Refresh open /dev/iommu and the cdev,
 * bind, IOMMU_GET_HW_INFO, IOAS_ALLOC, HWPT_ALLOC (NEST_PARENT) and
 * DESTROY.  For N = 1, 2, … the Nth open/read/ioctl/allocation fails; each
 * time the daemon keeps serving, the device's answer is the clean one or
 * less definite (NestParent unknown, Source sysfs/cache, verdict unknown),
 * the cdev is closed again, a Refresh without injection restores the clean
 * state, and the daemon exits 0 (LSan in the ASan build).
 */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#include <umockdev.h>

#include "fake-iommufd.h"
#include "../dbus/ihw-test-fail-nth.h"

#define MAX_NTH 5000
/* The recorded host's own dmar0 registers, as its sysfs has them: the
 * kernel reports the same through IOMMU_GET_HW_INFO, so a device that falls
 * back to sysfs must come to the same verdict. */
#define HOST_CAP 0x19ed008c40780c66ULL
#define HOST_ECAP 0x3ee9e86f050dfULL

static gboolean have_umockdev;

typedef struct {
  IhwTestBus bus;
  UMockdevTestbed *tb;
  FakeIommufd fake;
  FakeIoctlHandler *handler;
  IhwTestClean clean;
} Fixture;

static const char *const daemon_args[] = { "--sysfs-root", "/sys", "--dev-root", "/dev", NULL };

static void
stop_daemon (Fixture *fx, const char *fired)
{
  int status = ihw_test_daemon_stop (&fx->bus);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    g_error ("with %s failing: the daemon did not exit cleanly on SIGTERM (status %d)", fired, status);
}

/* The daemon holds no VFIO cdev between probes (SPEC §3), failed or not. */
static void
assert_cdev_closed (Fixture *fx, const char *fired)
{
  g_autofree char *dir = g_strdup_printf ("/proc/%d/fd", (int) fx->bus.daemon_pid);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)))
    {
      g_autofree char *link = g_build_filename (dir, name, NULL);
      g_autofree char *target = g_file_read_link (link, NULL);
      if (target && g_str_has_suffix (target, "/dev/vfio/devices/vfio0"))
        g_error ("with %s failing: the daemon still holds the VFIO cdev (fd %s)", fired, name);
    }
}

/* IOAS and HWPT objects the fake handed out and was not asked to destroy
 * (every call that reaches it succeeds here). */
static int
live_objects (Fixture *fx)
{
  return g_atomic_int_get (&fx->fake.ioas_allocs) + g_atomic_int_get (&fx->fake.hwpt_allocs) -
         g_atomic_int_get (&fx->fake.destroys);
}

/* After a Refresh without injection nothing the probe allocated in the
 * daemon's long-lived iommufd context is left: a DESTROY that failed is
 * retried.  `before`: live objects of daemons gone (their fd closed). */
static void
assert_no_iommufd_leak (Fixture *fx, int before, const char *fired)
{
  if (live_objects (fx) != before)
    g_error ("with %s failing: %d iommufd objects left allocated after a clean Refresh", fired,
             live_objects (fx) - before);
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  static const char *const nodes[] = { "vfio0", NULL };

  memset (fx, 0, sizeof *fx);
  if (!have_umockdev)
    return;
  /* The bus first, outside the testbed (see test-hotplug-dbus.c). */
  ihw_test_bus_start_with (&fx->bus, g_getenv ("IHW_POLICY"), IHW_TEST_FAIL_NTH_POLICY);
  fx->tb = umockdev_testbed_new ();
  fake_testbed_load_host (fx->tb, "intel-server-nesting");
  fx->handler = fake_ioctl_handler_new (&fx->fake);
  fake_testbed_attach (fx->tb, fx->handler, nodes);
  fake_iommufd_set_vtd (&fx->fake, HOST_CAP, HOST_ECAP);

  ihw_test_daemon_start (&fx->bus, daemon_args);
  ihw_test_clean_init (&fx->clean, &fx->bus);
  {
    /* What is under test: the clean run really probed. */
    g_autofree char *s = g_variant_print (fx->clean.state, FALSE);
    g_assert_nonnull (strstr (s, "'NestParent': <'yes'>"));
    g_assert_nonnull (strstr (s, "'Source': <'iommufd'>"));
  }
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  ihw_test_clean_clear (&fx->clean);
  ihw_test_bus_stop (&fx->bus);
  g_clear_object (&fx->handler);
  g_clear_object (&fx->tb);
}

static gboolean
need_umockdev (void)
{
  return fake_umockdev_usable (have_umockdev, "the ioctl emulation cannot intercept /dev/iommu");
}

static void
test_refresh (Fixture *fx, gconstpointer data)
{
  const char *none[] = { NULL };
  guint n;

  if (!need_umockdev ())
    return;
  for (n = 1; n < MAX_NTH; n++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) r = NULL;
      g_autofree char *fired = NULL;

      ihw_test_fail_arm (&fx->bus, n, "");
      r = ihw_test_call (&fx->bus, "/io/iommuhwinfo1", "io.iommuhwinfo1.Manager", "Refresh",
                         g_variant_new ("(^as)", none), &error);
      fired = ihw_test_fail_disarm (&fx->bus, NULL);
      ihw_test_assert_serving (&fx->bus);
      assert_cdev_closed (fx, *fired ? fired : "nothing");
      if (!*fired)
        {
          g_autoptr (GVariant) state = ihw_test_state (&fx->bus);
          g_assert_no_error (error);
          g_assert_true (g_variant_equal (state, fx->clean.state));
          break;
        }
      if (!r)
        ihw_test_assert_typed_error (error, fired);
      ihw_test_assert_no_wrong_answer (&fx->bus, &fx->clean, fired);
      ihw_test_assert_restored (&fx->bus, &fx->clean, fired);
      assert_no_iommufd_leak (fx, 0, fired);
    }
  g_assert_cmpuint (n, <, MAX_NTH);
  g_test_message ("refresh with probe: %u calls failed one at a time", n - 1);
  stop_daemon (fx, "nothing");
}

static void
test_startup (Fixture *fx, gconstpointer data)
{
  g_autofree char *report = NULL;
  guint n, exits = 0;

  if (!need_umockdev ())
    return;
  report = g_build_filename (fx->bus.tmpdir, "fail-nth-report", NULL);
  stop_daemon (fx, "nothing");
  for (n = 1; n < MAX_NTH; n++)
    {
      g_autofree char *nth = g_strdup_printf ("%u", n);
      const char *env[] = { "IHW_FAIL_NTH", nth, "IHW_FAIL_NTH_REPORT", report, NULL };
      g_autofree char *fired = NULL;
      int status;
      int before = live_objects (fx);

      (void) g_unlink (report);
      if (!ihw_test_daemon_try_start (&fx->bus, daemon_args, env, &status))
        {
          /* Only a host that cannot be listed stops the start. */
          if (!g_file_get_contents (report, &fired, NULL, NULL))
            g_error ("fail-nth %u: the daemon exited (status %d) with nothing failed", n, status);
          if ((!g_str_equal (fired, "open /sys/class/iommu") && !g_str_equal (fired, "open /sys/bus/pci/devices")) ||
              !WIFEXITED (status) || WEXITSTATUS (status) != 1)
            g_error ("with %s failing: the daemon did not start (status %d)", fired, status);
          exits++;
          continue;
        }
      fired = ihw_test_fail_disarm (&fx->bus, NULL);
      ihw_test_assert_serving (&fx->bus);
      assert_cdev_closed (fx, *fired ? fired : "nothing");
      if (!*fired)
        {
          g_autoptr (GVariant) state = ihw_test_state (&fx->bus);
          g_assert_true (g_variant_equal (state, fx->clean.state));
          stop_daemon (fx, "nothing");
          break;
        }
      ihw_test_assert_no_wrong_answer (&fx->bus, &fx->clean, fired);
      ihw_test_assert_restored (&fx->bus, &fx->clean, fired);
      assert_no_iommufd_leak (fx, before, fired);
      stop_daemon (fx, fired);
    }
  g_assert_cmpuint (n, <, MAX_NTH);
  g_test_message ("start-up with probe: %u calls failed one at a time (%u stopped the start)", n - 1, exits);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  have_umockdev = fake_umockdev_detect ();
  g_test_add ("/umockdev/fail-nth/refresh", Fixture, NULL, fixture_setup, test_refresh, fixture_teardown);
  g_test_add ("/umockdev/fail-nth/startup", Fixture, NULL, fixture_setup, test_startup, fixture_teardown);
  return g_test_run ();
}
