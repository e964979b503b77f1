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
#include <string.h>

#include <umockdev.h>

#include "fake-iommufd.h"
#include "../dbus/ihw-test-fail-nth.h"

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
  int live_before; /* live_objects () before the current start */
} Fixture;

static const char *const daemon_args[] = { "--sysfs-root", "/sys", "--dev-root", "/dev", NULL };

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
note_live_objects (gpointer data)
{
  Fixture *fx = data;
  fx->live_before = live_objects (fx);
}

static void
after_startup_run (const char *fired, gpointer data)
{
  Fixture *fx = data;
  assert_cdev_closed (fx, *fired ? fired : "nothing");
  assert_no_iommufd_leak (fx, fx->live_before, *fired ? fired : "nothing");
}

static GVariant *
refresh_args (void)
{
  const char *none[] = { NULL };
  return g_variant_new ("(^as)", none);
}

static void
after_refresh_run (const char *fired, gpointer data)
{
  Fixture *fx = data;
  assert_cdev_closed (fx, *fired ? fired : "nothing");
  assert_no_iommufd_leak (fx, 0, *fired ? fired : "nothing");
}

static void
test_refresh (Fixture *fx, gconstpointer data)
{
  static const IhwTestFailRequest refresh = {
    "refresh", "/io/iommuhwinfo1", "io.iommuhwinfo1.Manager", "Refresh", refresh_args, -1, TRUE,
  };
  IhwTestFailHooks hooks = { NULL, after_refresh_run, fx };
  guint n;

  if (!need_umockdev ())
    return;
  n = ihw_test_fail_nth_request (&fx->bus, &fx->clean, &refresh, &hooks);
  g_test_message ("refresh with probe: %u calls failed one at a time", n);
  ihw_test_fail_stop (&fx->bus, "nothing");
}

static GVariant *
hw_info_args (void)
{
  return g_variant_new ("(s)", "0000:3a:00.0");
}

/* The probed device's answers, read from the cache the probe filled. */
static void
test_hw_info (Fixture *fx, gconstpointer data)
{
  static const IhwTestFailRequest get_hw_info = {
    "get-hw-info", "/io/iommuhwinfo1", "io.iommuhwinfo1.Manager", "GetHwInfo", hw_info_args, -1, FALSE,
  };
  guint n;

  if (!need_umockdev ())
    return;
  n = ihw_test_fail_nth_request (&fx->bus, &fx->clean, &get_hw_info, NULL);
  g_test_message ("GetHwInfo of the probed device: %u calls failed one at a time", n);
  ihw_test_fail_stop (&fx->bus, "nothing");
}

/* Only a host that cannot be listed may stop the start (see
 * tests/dbus/test-fail-nth.c). */
static void
test_startup (Fixture *fx, gconstpointer data)
{
  const char *fatal[] = { "open /sys/class/iommu", "open /sys/bus/pci/devices", NULL };
  IhwTestFailHooks hooks = { note_live_objects, after_startup_run, fx };
  guint n, exits;

  if (!need_umockdev ())
    return;
  ihw_test_fail_stop (&fx->bus, "nothing");
  n = ihw_test_fail_nth_startup (&fx->bus, daemon_args, &fx->clean, fatal, &hooks, &exits);
  g_test_message ("start-up with probe: %u calls failed one at a time (%u stopped the start)", n, exits);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  have_umockdev = fake_umockdev_detect ();
  g_test_add ("/umockdev/fail-nth/refresh", Fixture, NULL, fixture_setup, test_refresh, fixture_teardown);
  g_test_add ("/umockdev/fail-nth/get-hw-info", Fixture, NULL, fixture_setup, test_hw_info, fixture_teardown);
  g_test_add ("/umockdev/fail-nth/startup", Fixture, NULL, fixture_setup, test_startup, fixture_teardown);
  return g_test_run ();
}
