/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hotplug through the real sd-device monitor: umockdev_testbed_uevent()
 * sends udev-style messages to the monitor's (redirected) netlink socket.
 * A device appears, is rebound to vfio-pci (and probed through the fake
 * iommufd), disappears; a unit appears.  The listener's events must come in
 * order and the registry must follow the tree.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fake-iommufd.h"
#include "ihw-hotplug.h"
#include "ihw-registry.h"
#include "ihw-test-events.h"
#include "ihw-test-log.h"
#include "ihw-test-util.h"

#define NEW "0000:00:03.0"
#define NEW_SYSPATH "/sys/devices/pci0000:00/" NEW

static gboolean have_umockdev;

typedef struct {
  UMockdevTestbed *tb;
  FakeIommufd fake;
  FakeIoctlHandler *handler;
  IhwRegistry *reg;
  IhwHotplug *hp;
  GString *events;
} Fixture;

/* Iterate the main loop until the event log ends with `want` (or ~5 s). */
static void
wait_for_events (Fixture *fx, const char *want)
{
  for (int i = 0; i < 500 && !g_str_has_suffix (fx->events->str, want); i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      if (!g_str_has_suffix (fx->events->str, want))
        g_usleep (10000);
    }
  g_assert_cmpstr (fx->events->str, ==, want);
  g_string_truncate (fx->events, 0);
}

static void
put_link (Fixture *fx, const char *rel, const char *target)
{
  g_autofree char *root = umockdev_testbed_get_root_dir (fx->tb);
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  (void) unlink (path);
  g_assert_cmpint (symlink (target, path), ==, 0);
}

static void
remove_path (Fixture *fx, const char *rel)
{
  g_autofree char *root = umockdev_testbed_get_root_dir (fx->tb);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s/%s'", root, rel);
  g_assert_cmpint (system (cmd), ==, 0);
}

static void
test_device_lifecycle (Fixture *fx, gconstpointer data)
{
  static const char *const nodes[] = { "vfio0", "vfio1", NULL };
  IhwRegistryOptions opts = { .sysfs_root = "/sys", .dev_root = "/dev", .probe = TRUE };
  g_autoptr (GError) error = NULL;
  IhwDevice *d;

  if (!fake_umockdev_usable (have_umockdev, "umockdev cannot deliver uevents to the sd-device monitor"))
    return;

  fx->tb = umockdev_testbed_new ();
  fake_testbed_load_host (fx->tb, "qemu-guest");
  fx->handler = fake_ioctl_handler_new (&fx->fake);
  fake_testbed_attach (fx->tb, fx->handler, nodes);
  fake_iommufd_set_vtd (&fx->fake, 0xd2008c222f0606, 0xf00f4a);
  fx->fake.hwpt_errno = EOPNOTSUPP; /* a QEMU guest cannot nest */
  fx->events = g_string_new (NULL);

  fx->reg = ihw_registry_new (&opts);
  ihw_registry_set_listener (fx->reg, ihw_test_record_event, fx->events);
  g_assert_true (ihw_registry_load (fx->reg, &error));
  g_assert_no_error (error);
  wait_for_events (fx, "added unit dmar0;added device 0000:00:01.0;added device 0000:00:02.0;");
  g_assert_cmpint (fx->fake.binds, ==, 1); /* the vfio-pci edu device */

  fx->hp = ihw_hotplug_new (fx->reg, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fx->hp);

  /* 1. A NIC appears, bound to e1000e. */
  fake_testbed_put (fx->tb, "sys/devices/pci0000:00/" NEW "/vendor", "0x8086\n");
  fake_testbed_put (fx->tb, "sys/devices/pci0000:00/" NEW "/device", "0x10d3\n");
  fake_testbed_put (fx->tb, "sys/devices/pci0000:00/" NEW "/class", "0x020000\n");
  fake_testbed_put (fx->tb, "sys/devices/pci0000:00/" NEW "/uevent", "PCI_SLOT_NAME=" NEW "\n");
  put_link (fx, "sys/devices/pci0000:00/" NEW "/subsystem", "../../../bus/pci");
  put_link (fx, "sys/devices/pci0000:00/" NEW "/iommu", "../../virtual/iommu/dmar0");
  /* The targets too: a link that dangles is read as unknown. */
  fake_testbed_put (fx->tb, "sys/kernel/iommu_groups/2/type", "DMA\n");
  fake_testbed_put (fx->tb, "sys/bus/pci/drivers/e1000e/uevent", "DRIVER=e1000e\n");
  fake_testbed_put (fx->tb, "sys/bus/pci/drivers/vfio-pci/uevent", "DRIVER=vfio-pci\n");
  put_link (fx, "sys/devices/pci0000:00/" NEW "/iommu_group", "../../../kernel/iommu_groups/2");
  put_link (fx, "sys/devices/pci0000:00/" NEW "/driver", "../../../bus/pci/drivers/e1000e");
  put_link (fx, "sys/bus/pci/devices/" NEW, "../../../devices/pci0000:00/" NEW);
  umockdev_testbed_uevent (fx->tb, NEW_SYSPATH, "add");
  wait_for_events (fx, "added device " NEW ";changed unit dmar0;");
  d = ihw_registry_lookup_device (fx->reg, NEW);
  g_assert_cmpstr (d->driver, ==, "e1000e");
  g_assert_cmpstr (d->unit, ==, "dmar0");
  g_assert_cmpint (d->iommu_group, ==, 2);
  /* Not probed itself: its unit's registers, which the edu's probe
   * confirmed equal to the sysfs files. */
  g_assert_cmpint (d->source, ==, IHW_SOURCE_SYSFS);
  g_assert_false (d->has_hw_info);
  g_assert_cmpuint (ihw_registry_lookup_unit (fx->reg, "dmar0")->devices->len, ==, 3);

  /* 2. Unbound from e1000e ... */
  remove_path (fx, "sys/devices/pci0000:00/" NEW "/driver");
  umockdev_testbed_uevent (fx->tb, NEW_SYSPATH, "unbind");
  wait_for_events (fx, "changed device " NEW ";");
  g_assert_cmpstr (d->driver, ==, "");

  /* ... and bound to vfio-pci with a cdev: probed at once, then released. */
  put_link (fx, "sys/devices/pci0000:00/" NEW "/driver", "../../../bus/pci/drivers/vfio-pci");
  fake_testbed_put (fx->tb, "sys/devices/pci0000:00/" NEW "/vfio-dev/vfio1/dev", "246:1\n");
  umockdev_testbed_uevent (fx->tb, NEW_SYSPATH, "bind");
  wait_for_events (fx, "changed device " NEW ";");
  g_assert_true (ihw_registry_lookup_device (fx->reg, NEW) == d);
  g_assert_cmpstr (d->driver, ==, "vfio-pci");
  g_assert_cmpstr (d->vfio_cdev, ==, "/dev/vfio/devices/vfio1");
  g_assert_cmpint (fx->fake.binds, ==, 2);
  g_assert_true (d->has_hw_info);
  g_assert_cmpint (d->source, ==, IHW_SOURCE_IOMMUFD);
  g_assert_cmpint (d->nest_parent, ==, IHW_NEST_PARENT_NO);
  g_assert_cmpuint (fake_count_open_fds ("/dev/vfio/devices/vfio1"), ==, 0);

  /* A repeated event with nothing new: no probe, no event. */
  umockdev_testbed_uevent (fx->tb, NEW_SYSPATH, "change");
  for (int i = 0; i < 20; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (5000);
    }
  g_assert_cmpstr (fx->events->str, ==, "");
  g_assert_cmpint (fx->fake.binds, ==, 2);

  /* 3. It disappears.  The kernel drops the bus link first; umockdev needs
   * the device directory to build the uevent, so it goes last. */
  remove_path (fx, "sys/bus/pci/devices/" NEW);
  umockdev_testbed_uevent (fx->tb, NEW_SYSPATH, "remove");
  wait_for_events (fx, "removed device " NEW ";changed unit dmar0;");
  g_assert_null (ihw_registry_lookup_device (fx->reg, NEW));
  g_assert_cmpuint (ihw_registry_lookup_unit (fx->reg, "dmar0")->devices->len, ==, 2);
  remove_path (fx, "sys/devices/pci0000:00/" NEW);

  /* 4. A second IOMMU unit appears (iommu class uevent). */
  fake_testbed_put (fx->tb, "sys/devices/virtual/iommu/dmar1/intel-iommu/cap", "d2008c40660462\n");
  fake_testbed_put (fx->tb, "sys/devices/virtual/iommu/dmar1/intel-iommu/ecap", "f050da\n");
  /* An empty uevent file, as the kernel has for iommu class devices
   * (libudev needs the file; umockdev turns a bare "\n" in it into an empty
   * property, which sd-device rightly drops as a malformed message). */
  fake_testbed_put (fx->tb, "sys/devices/virtual/iommu/dmar1/uevent", "");
  put_link (fx, "sys/devices/virtual/iommu/dmar1/subsystem", "../../../../class/iommu");
  put_link (fx, "sys/class/iommu/dmar1", "../../devices/virtual/iommu/dmar1");
  umockdev_testbed_uevent (fx->tb, "/sys/devices/virtual/iommu/dmar1", "add");
  wait_for_events (fx, "added unit dmar1;");
  g_assert_cmpint (ihw_registry_lookup_unit (fx->reg, "dmar1")->source, ==, IHW_SOURCE_SYSFS);

  g_assert_cmpuint (ihw_hotplug_get_n_events (fx->hp), >=, 6);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  g_clear_pointer (&fx->hp, ihw_hotplug_free);
  g_clear_pointer (&fx->reg, ihw_registry_free);
  g_clear_object (&fx->handler);
  g_clear_object (&fx->tb);
  if (fx->events)
    g_string_free (fx->events, TRUE);
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  memset (fx, 0, sizeof *fx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  ihw_test_log_init ();
  have_umockdev = fake_umockdev_detect ();
  g_test_add ("/umockdev/hotplug/device-lifecycle", Fixture, NULL, fixture_setup, test_device_lifecycle,
              fixture_teardown);
  return g_test_run ();
}
