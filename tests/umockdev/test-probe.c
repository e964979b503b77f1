/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The real ioctl path of the iommufd probe (SPEC §3.1) against umockdev's
 * ioctl emulation: the registry opens /dev/iommu and /dev/vfio/devices/vfio0,
 * umockdev's preload library sends each ioctl to FakeIoctlHandler, which
 * answers like 6.12.  sysfs is a recorded host copied into the testbed and
 * read through the redirected /sys.
 *
 * Must run with libumockdev-preload (meson does: LD_PRELOAD); without it
 * every test skips, saying so.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>

#include "fake-iommufd.h"
#include "ihw-error.h"
#include "ihw-registry.h"
#include "ihw-verdict.h"
#include "ihw-uapi.h"
#include "ihw-test-log.h"
#include "ihw-test-util.h"

#define EAGLE_CAP G_GUINT64_CONSTANT (0x19ed008c40780c66)
#define EAGLE_ECAP G_GUINT64_CONSTANT (0x3ee9e86f050df)
#define DEV "0000:3a:00.0"

typedef struct {
  UMockdevTestbed *tb;
  FakeIommufd fake;
  FakeIoctlHandler *handler;
  IhwRegistry *reg;
} Fixture;

/* umockdev_in_mock_environment() looks at /sys once and caches the answer,
 * so main() asks after creating a testbed (only then is /sys redirected). */
static gboolean have_umockdev;

/* `data`: the recorded host to load (NULL: intel-server-nesting). */
static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  static const char *const nodes[] = { "vfio0", NULL };

  memset (&fx->fake, 0, sizeof fx->fake);
  if (!have_umockdev)
    return;
  fx->tb = umockdev_testbed_new ();
  fake_testbed_load_host (fx->tb, data ? data : "intel-server-nesting");
  fx->handler = fake_ioctl_handler_new (&fx->fake);
  fake_testbed_attach (fx->tb, fx->handler, nodes);
  fake_iommufd_set_vtd (&fx->fake, EAGLE_CAP, EAGLE_ECAP);
  fake_iommufd_set_aperture (&fx->fake, 57);   /* MGAW 57, SAGAW 48|57 */
  ihw_test_log_clear ();
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  g_clear_pointer (&fx->reg, ihw_registry_free);
  g_clear_object (&fx->handler);
  g_clear_object (&fx->tb);
}

static gboolean
need_umockdev (void)
{
  return fake_umockdev_usable (have_umockdev, "the ioctl emulation cannot intercept /dev/iommu");
}

/* The daemon's view: real paths, redirected by umockdev. */
static IhwRegistry *
load (Fixture *fx, gboolean probe)
{
  IhwRegistryOptions opts = { .sysfs_root = "/sys", .dev_root = "/dev", .probe = probe };
  g_autoptr (GError) error = NULL;
  fx->reg = ihw_registry_new (&opts);
  g_assert_true (ihw_registry_load (fx->reg, &error));
  g_assert_no_error (error);
  return fx->reg;
}

static void
refresh_dev (Fixture *fx)
{
  const char *one[] = { DEV, NULL };
  g_autoptr (GError) error = NULL;
  g_assert_true (ihw_registry_refresh (fx->reg, one, &error));
  g_assert_no_error (error);
}

/* After every probe the cdev is closed again (SPEC §3: never held). */
static void
assert_cdev_released (Fixture *fx)
{
  g_assert_cmpuint (fake_count_open_fds ("/dev/vfio/devices/vfio0"), ==, 0);
  /* ... while the one /dev/iommu fd stays for the next probe. */
  g_assert_cmpuint (fake_count_open_fds ("/dev/iommu"), ==, 1);
}

static void
test_vtd_recorded_reply (Fixture *fx, gconstpointer data)
{
  IhwDevice *d, *nvme;
  IhwUnit *u;
  IhwFeatures f;
  IhwDeviceFacts facts;
  gsize len;
  const guint8 *bytes;

  if (!need_umockdev ())
    return;
  fx->fake.max_pasid_log2 = 20;
  fx->fake.capabilities = IHW_HW_CAP_DIRTY_TRACKING | IHW_HW_CAP_PCI_PASID_EXEC;
  load (fx, TRUE);

  /* The calls, as the kernel saw them. */
  g_assert_true (ihw_registry_iommufd_available (fx->reg));
  g_assert_cmpstr (ihw_registry_probe_state (fx->reg), ==, "probing through iommufd");
  g_assert_cmpint (fx->fake.opens_iommu, ==, 1);
  g_assert_cmpint (fx->fake.opens_vfio, ==, 1); /* only the vfio-pci device; nvme is never touched */
  g_assert_cmpint (fx->fake.binds, ==, 1);
  g_assert_cmpuint (fx->fake.last_bind_argsz, ==, 16);
  g_assert_cmpint (fx->fake.hw_infos, ==, 1);
  g_assert_cmpuint (fx->fake.last_hw_info_size, ==, 40);
  g_assert_cmpuint (fx->fake.last_hw_info_data_len, ==, 256);
  g_assert_cmpint (fx->fake.ioas_allocs, ==, 2); /* the nest-parent probe's, the IOVA ranges' */
  g_assert_cmpint (fx->fake.hwpt_allocs, ==, 1);
  g_assert_cmphex (fx->fake.last_hwpt_flags, ==, IOMMU_HWPT_ALLOC_NEST_PARENT);
  g_assert_true (fx->fake.hwpt_pt_was_ioas);
  g_assert_cmpint (fx->fake.attaches, ==, 1);
  g_assert_cmpint (fx->fake.ranges_calls, ==, 2); /* the count, then the array */
  g_assert_cmpint (fx->fake.detaches, ==, 1);
  g_assert_false (fx->fake.attached);
  g_assert_cmpint (fx->fake.destroys, ==, 3); /* hwpt and both ioas */
  g_assert_cmpint (fx->fake.bad_args, ==, 0);
  assert_cdev_released (fx);

  d = ihw_registry_lookup_device (fx->reg, DEV);
  g_assert_true (d->has_hw_info);
  g_assert_cmpuint (d->hw_info_type, ==, 1);
  bytes = g_bytes_get_data (d->hw_info_data, &len);
  g_assert_cmpuint (len, ==, 24);
  g_assert_cmpmem (bytes, len, fx->fake.hw_data, 24);
  g_assert_cmphex (d->capabilities, ==, IHW_HW_CAP_DIRTY_TRACKING | IHW_HW_CAP_PCI_PASID_EXEC);
  g_assert_cmpuint (d->max_pasid_log2, ==, 20);
  g_assert_cmpint (d->nest_parent, ==, IHW_NEST_PARENT_YES);
  g_assert_cmpuint (d->host_aw_bits, ==, 57);
  g_assert_null (d->probe_error);
  g_assert_cmpint (d->source, ==, IHW_SOURCE_IOMMUFD);
  g_assert_cmpuint (d->updated_usec, >, 0);

  /* The kernel's registers, flags included, are the device's facts. */
  ihw_registry_device_facts (fx->reg, d, &f, &facts);
  g_assert_true (facts.features == &f);
  g_assert_cmphex (ihw_test_reg_value (&f, "cap"), ==, EAGLE_CAP);
  g_assert_cmphex (ihw_test_reg_value (&f, "ecap"), ==, EAGLE_ECAP);
  g_assert_true (f.has_hw_info_flags);
  g_assert_cmphex (f.hw_info_flags, ==, 1);
  g_assert_cmpint (facts.nest_parent, ==, IHW_NEST_PARENT_YES);
  g_assert_cmpuint (facts.host_aw_bits, ==, 57);
  g_assert_cmpstr (facts.host_aw_bits_from, ==, "iommufd IOVA ranges");

  /* Per-unit cache: the unit's registers are now the kernel's too. */
  u = ihw_registry_lookup_unit (fx->reg, "dmar0");
  g_assert_cmpint (u->source, ==, IHW_SOURCE_IOMMUFD);
  g_assert_true (u->features.has_hw_info_flags);
  g_assert_cmpint (ihw_registry_lookup_unit (fx->reg, "dmar1")->source, ==, IHW_SOURCE_SYSFS);

  nvme = ihw_registry_lookup_device (fx->reg, "0000:b1:00.0");
  g_assert_false (nvme->has_hw_info);
  g_assert_cmpint (nvme->source, ==, IHW_SOURCE_SYSFS);

  /* The fd check does see an open node, so its 0 above means "closed". */
  {
    int fd = open ("/dev/vfio/devices/vfio0", O_RDWR | O_CLOEXEC);
    g_assert_cmpint (fd, >=, 0);
    g_assert_cmpuint (fake_count_open_fds ("/dev/vfio/devices/vfio0"), ==, 1);
    close (fd);
  }
  /* The long-lived /dev/iommu goes with the registry. */
  g_clear_pointer (&fx->reg, ihw_registry_free);
  g_assert_cmpuint (fake_count_open_fds ("/dev/iommu"), ==, 0);
}

static void
test_nest_parent_refused (Fixture *fx, gconstpointer data)
{
  const int errnos[] = { EOPNOTSUPP, EINVAL };

  if (!need_umockdev ())
    return;
  /* QEMU's VT-d: no NEST, the kernel says EOPNOTSUPP (FACTS.md). */
  fake_iommufd_set_vtd (&fx->fake, 0xd2008c222f0606, 0xf00f4a);
  for (guint i = 0; i < G_N_ELEMENTS (errnos); i++)
    {
      IhwDevice *d;
      fx->fake.hwpt_errno = errnos[i];
      if (!fx->reg)
        load (fx, TRUE);
      else
        refresh_dev (fx);
      d = ihw_registry_lookup_device (fx->reg, DEV);
      g_assert_cmpint (d->nest_parent, ==, IHW_NEST_PARENT_NO);
      g_assert_cmpint (d->source, ==, IHW_SOURCE_IOMMUFD);
      g_assert_null (d->probe_error);
      g_assert_cmpint (fx->fake.destroys, ==, 2 * ((int) i + 1)); /* only the ioas: no hwpt was made */
    }
  assert_cdev_released (fx);

  /* Another errno is not an answer: unknown, and said why. */
  fx->fake.hwpt_errno = ENOMEM;
  refresh_dev (fx);
  {
    IhwDevice *d = ihw_registry_lookup_device (fx->reg, DEV);
    g_assert_cmpint (d->nest_parent, ==, IHW_NEST_PARENT_UNKNOWN);
    g_assert_cmpstr (d->probe_error, ==, DEV ": IOMMU_HWPT_ALLOC (NEST_PARENT): Cannot allocate memory");
  }
}

static void
test_busy_keeps_cache (Fixture *fx, gconstpointer data)
{
  IhwDevice *d;
  g_autoptr (GBytes) before = NULL;

  if (!need_umockdev ())
    return;
  load (fx, TRUE);
  d = ihw_registry_lookup_device (fx->reg, DEV);
  g_assert_cmpint (d->source, ==, IHW_SOURCE_IOMMUFD);
  before = g_bytes_ref (d->hw_info_data);

  /* A VM took the device through its group: the earlier answer stays,
   * marked as cached, and that is no failure. */
  fake_iommufd_hold (&fx->fake, fx->tb, DEV, FAKE_HOLDER_VFIO_GROUP);
  ihw_test_log_clear ();
  refresh_dev (fx);
  g_assert_true (ihw_registry_lookup_device (fx->reg, DEV) == d);
  g_assert_cmpint (d->source, ==, IHW_SOURCE_CACHE);
  g_assert_true (d->has_hw_info);
  g_assert_true (g_bytes_equal (before, d->hw_info_data));
  g_assert_cmpint (d->nest_parent, ==, IHW_NEST_PARENT_YES);
  g_assert_cmpstr (d->probe_error, ==,
                   DEV ": VFIO_DEVICE_BIND_IOMMUFD: Device or resource busy "
                       "(in use through a VFIO group (legacy container))");
  ihw_assert_logged ("MESSAGE", DEV ": in use through a VFIO group (legacy container), not probed; "
                                "answering from its cached iommufd answer");
  g_assert_cmpuint (ihw_test_log_count ("WARNING", NULL), ==, 0);
  g_assert_cmpint (fx->fake.hw_infos, ==, 1); /* nothing asked past the failed bind */
  assert_cdev_released (fx);

  /* Free again: a fresh answer. */
  fake_iommufd_hold (&fx->fake, fx->tb, DEV, FAKE_HOLDER_NONE);
  refresh_dev (fx);
  g_assert_cmpint (d->source, ==, IHW_SOURCE_IOMMUFD);
  g_assert_null (d->probe_error);
}

static void
test_busy_without_cache (Fixture *fx, gconstpointer data)
{
  IhwDevice *d;

  if (!need_umockdev ())
    return;
  fake_iommufd_hold (&fx->fake, fx->tb, DEV, FAKE_HOLDER_VFIO_GROUP);
  load (fx, TRUE);
  d = ihw_registry_lookup_device (fx->reg, DEV);
  g_assert_false (d->has_hw_info);
  g_assert_cmpint (d->source, ==, IHW_SOURCE_SYSFS);
  g_assert_cmpint (d->nest_parent, ==, IHW_NEST_PARENT_UNKNOWN);
  g_assert_nonnull (strstr (d->probe_error, "VFIO_DEVICE_BIND_IOMMUFD: Device or resource busy"));
  ihw_assert_logged ("MESSAGE", DEV ": in use through a VFIO group (legacy container), not probed; "
                                "answering from its IOMMU unit");
  g_assert_cmpuint (ihw_test_log_count ("WARNING", NULL), ==, 0);
  assert_cdev_released (fx);
}

/* QEMU's iommufd backend binds the cdev to its own iommufd: the kernel
 * refuses a second cdev bind with EINVAL, not EBUSY.  In use, not failed. */
static void
test_iommufd_holder (Fixture *fx, gconstpointer data)
{
  IhwDevice *d;
  g_autoptr (GBytes) before = NULL;

  if (!need_umockdev ())
    return;
  /* Held from the start: no answer of its own, sysfs speaks. */
  fake_iommufd_hold (&fx->fake, fx->tb, DEV, FAKE_HOLDER_IOMMUFD);
  load (fx, TRUE);
  d = ihw_registry_lookup_device (fx->reg, DEV);
  g_assert_false (d->has_hw_info);
  g_assert_cmpint (d->source, ==, IHW_SOURCE_SYSFS);
  g_assert_cmpstr (d->probe_error, ==,
                   DEV ": VFIO_DEVICE_BIND_IOMMUFD: Invalid argument (in use through another iommufd (VFIO cdev))");
  ihw_assert_logged ("MESSAGE", DEV ": in use through another iommufd (VFIO cdev), not probed; "
                                "answering from its IOMMU unit");
  g_assert_cmpuint (ihw_test_log_count ("WARNING", NULL), ==, 0);
  g_assert_cmpint (fx->fake.hw_infos, ==, 0);
  assert_cdev_released (fx);

  /* Released, probed, then taken again: the answer stays as a cached one. */
  fake_iommufd_hold (&fx->fake, fx->tb, DEV, FAKE_HOLDER_NONE);
  refresh_dev (fx);
  g_assert_cmpint (d->source, ==, IHW_SOURCE_IOMMUFD);
  before = g_bytes_ref (d->hw_info_data);
  fake_iommufd_hold (&fx->fake, fx->tb, DEV, FAKE_HOLDER_IOMMUFD);
  ihw_test_log_clear ();
  refresh_dev (fx);
  g_assert_cmpint (d->source, ==, IHW_SOURCE_CACHE);
  g_assert_true (g_bytes_equal (before, d->hw_info_data));
  g_assert_cmpint (d->nest_parent, ==, IHW_NEST_PARENT_YES);
  ihw_assert_logged ("MESSAGE", DEV ": in use through another iommufd (VFIO cdev)", "cached iommufd answer");
  g_assert_cmpuint (ihw_test_log_count ("WARNING", NULL), ==, 0);
  assert_cdev_released (fx);
}

/* EINVAL from a device nobody opened (never enabled) is the kernel refusing
 * the bind itself (e.g. an IOMMU without cache coherency): a failure. */
static void
test_einval_not_in_use (Fixture *fx, gconstpointer data)
{
  IhwDevice *d;

  if (!need_umockdev ())
    return;
  fake_testbed_put (fx->tb, "sys/bus/pci/devices/" DEV "/enable", "0\n");
  fx->fake.bind_errno = EINVAL;
  load (fx, TRUE);
  d = ihw_registry_lookup_device (fx->reg, DEV);
  g_assert_false (d->has_hw_info);
  g_assert_cmpint (d->source, ==, IHW_SOURCE_SYSFS);
  g_assert_cmpstr (d->probe_error, ==, DEV ": VFIO_DEVICE_BIND_IOMMUFD: Invalid argument");
  ihw_assert_logged ("WARNING", DEV ": VFIO_DEVICE_BIND_IOMMUFD: Invalid argument");
  g_assert_cmpuint (ihw_test_log_count ("in use", NULL), ==, 0);
  assert_cdev_released (fx);
}

static void
test_old_kernel (Fixture *fx, gconstpointer data)
{
  IhwDevice *d;
  IhwFeatures f;
  IhwDeviceFacts facts;

  if (!need_umockdev ())
    return;
  /* No IOMMU_GET_HW_INFO (before 6.6): ENOTTY. */
  fx->fake.hw_info_errno = ENOTTY;
  load (fx, TRUE);
  d = ihw_registry_lookup_device (fx->reg, DEV);
  g_assert_false (d->has_hw_info);
  g_assert_cmpint (d->source, ==, IHW_SOURCE_SYSFS);
  g_assert_cmpstr (d->probe_error, ==,
                   DEV ": IOMMU_GET_HW_INFO: Inappropriate ioctl for device (kernel without IOMMU_GET_HW_INFO, needs 6.6)");
  ihw_assert_logged ("WARNING", DEV, "IOMMU_GET_HW_INFO", "Inappropriate ioctl");
  g_assert_cmpint (fx->fake.hwpt_allocs, ==, 0);
  ihw_registry_device_facts (fx->reg, d, &f, &facts);
  g_assert_cmphex (ihw_test_reg_value (&f, "cap"), ==, EAGLE_CAP); /* sysfs registers */
  g_assert_false (f.has_hw_info_flags);

  /* No VFIO cdev binding at all: ENOTTY on bind. */
  fx->fake.hw_info_errno = 0;
  fx->fake.bind_errno = ENOTTY;
  refresh_dev (fx);
  g_assert_nonnull (strstr (d->probe_error, DEV ": VFIO_DEVICE_BIND_IOMMUFD: Inappropriate ioctl for device"));
  assert_cdev_released (fx);
}

static void
test_truncated_data (Fixture *fx, gconstpointer data)
{
  IhwDevice *d;
  IhwFeatures f;
  IhwDeviceFacts facts;

  if (!need_umockdev ())
    return;
  /* A kernel that claims VT-d but hands over 12 bytes. */
  fx->fake.hw_len = 12;
  load (fx, TRUE);
  d = ihw_registry_lookup_device (fx->reg, DEV);
  g_assert_true (d->has_hw_info);
  g_assert_cmpuint (d->hw_info_type, ==, 1);
  g_assert_cmpuint (g_bytes_get_size (d->hw_info_data), ==, 12); /* raw bytes kept */
  g_assert_nonnull (strstr (d->probe_error, DEV ": IOMMU_GET_HW_INFO: hw_info type intel-vtd: 12 bytes"));
  g_assert_cmpint (d->source, ==, IHW_SOURCE_SYSFS);
  g_assert_cmpint (ihw_registry_lookup_unit (fx->reg, "dmar0")->source, ==, IHW_SOURCE_SYSFS);
  ihw_registry_device_facts (fx->reg, d, &f, &facts);
  g_assert_true (facts.features == &f);
  g_assert_cmphex (ihw_test_reg_value (&f, "ecap"), ==, EAGLE_ECAP);
}

static void
test_unknown_type (Fixture *fx, gconstpointer data)
{
  IhwDevice *d;
  IhwFeatures f;
  IhwDeviceFacts facts;

  if (!need_umockdev ())
    return;
  fx->fake.hw_type = 99;
  fx->fake.hw_len = 8;
  memset (fx->fake.hw_data, 0xab, 8);
  load (fx, TRUE);
  d = ihw_registry_lookup_device (fx->reg, DEV);
  g_assert_true (d->has_hw_info);
  g_assert_cmpuint (d->hw_info_type, ==, 99);
  g_assert_cmpuint (g_bytes_get_size (d->hw_info_data), ==, 8);
  g_assert_cmpint (d->source, ==, IHW_SOURCE_SYSFS);
  g_assert_cmpint (d->nest_parent, ==, IHW_NEST_PARENT_YES);
  ihw_registry_device_facts (fx->reg, d, &f, &facts);
  g_assert_cmphex (ihw_test_reg_value (&f, "cap"), ==, EAGLE_CAP);
}

/* The kernel answers but has no registers for this IOMMU: sysfs speaks. */
static void
test_type_none (Fixture *fx, gconstpointer data)
{
  IhwDevice *d;

  if (!need_umockdev ())
    return;
  /* amd-iommu on 6.12: type NONE, len 0 (FACTS.md). */
  fx->fake.hw_type = 0;
  fx->fake.hw_len = 0;
  load (fx, TRUE);
  d = ihw_registry_lookup_device (fx->reg, DEV);
  g_assert_true (d->has_hw_info);
  g_assert_cmpuint (d->hw_info_type, ==, 0);
  g_assert_cmpuint (g_bytes_get_size (d->hw_info_data), ==, 0);
  g_assert_null (d->probe_error);
  g_assert_cmpint (d->source, ==, IHW_SOURCE_SYSFS);
}

/* A device that was never probed answers with its unit's registers; its
 * Source says where those came from, whoever else was probed. */
static void
test_unprobed_sibling_source (Fixture *fx, gconstpointer data)
{
  g_autofree char *root = NULL;
  IhwDevice *sib;

  if (!need_umockdev ())
    return;
  root = umockdev_testbed_get_root_dir (fx->tb);
  {
    const char *links[][2] = {
      { "sys/bus/pci/devices/0000:3a:00.1", "../../../devices/pci0000:00/0000:3a:00.1" },
      { "sys/devices/pci0000:00/0000:3a:00.1/iommu", "../../virtual/iommu/dmar0" },
    };
    fake_testbed_put (fx->tb, "sys/devices/pci0000:00/0000:3a:00.1/vendor", "0x8086\n");
    fake_testbed_put (fx->tb, "sys/devices/pci0000:00/0000:3a:00.1/device", "0x10d3\n");
    fake_testbed_put (fx->tb, "sys/devices/pci0000:00/0000:3a:00.1/class", "0x020000\n");
    for (guint i = 0; i < G_N_ELEMENTS (links); i++)
      {
        g_autofree char *path = g_build_filename (root, links[i][0], NULL);
        g_assert_cmpint (symlink (links[i][1], path), ==, 0);
      }
  }

  load (fx, TRUE);
  g_assert_cmpint (ihw_registry_lookup_device (fx->reg, DEV)->source, ==, IHW_SOURCE_IOMMUFD);
  g_assert_cmpint (ihw_registry_lookup_unit (fx->reg, "dmar0")->source, ==, IHW_SOURCE_IOMMUFD);
  sib = ihw_registry_lookup_device (fx->reg, "0000:3a:00.1");
  g_assert_false (sib->has_hw_info);
  /* The kernel said what sysfs says: the sibling's registers are sysfs's. */
  g_assert_cmpint (sib->source, ==, IHW_SOURCE_SYSFS);

  /* The kernel's registers differ from the files: then they are an earlier
   * iommufd answer for the sibling, not sysfs. */
  fake_iommufd_set_vtd (&fx->fake, EAGLE_CAP, EAGLE_ECAP ^ 1);
  ihw_test_log_clear ();
  refresh_dev (fx);
  ihw_assert_logged ("MESSAGE", "dmar0: registers from IOMMU_GET_HW_INFO differ from sysfs");
  g_assert_cmpint (sib->source, ==, IHW_SOURCE_CACHE);
}

/* Probing on, but no /dev/iommu: sysfs answers, and the log says why. */
static void
test_no_dev_iommu (Fixture *fx, gconstpointer data)
{
  g_autofree char *root = NULL;
  g_autofree char *empty = NULL;
  IhwRegistryOptions opts = { .sysfs_root = "/sys", .probe = TRUE };
  IhwDevice *d;

  if (!need_umockdev ())
    return;
  root = umockdev_testbed_get_root_dir (fx->tb);
  empty = g_build_filename (root, "empty-dev", NULL);
  g_assert_cmpint (g_mkdir_with_parents (empty, 0755), ==, 0);
  opts.dev_root = empty;
  fx->reg = ihw_registry_new (&opts);
  g_assert_true (ihw_registry_load (fx->reg, NULL));
  g_assert_false (ihw_registry_iommufd_available (fx->reg));
  g_assert_cmpstr (ihw_registry_probe_state (fx->reg), ==,
                   "no /dev/iommu: sysfs only, iommufd retried on each rescan");
  ihw_assert_logged ("MESSAGE", "iommufd not available", "empty-dev/iommu");
  d = ihw_registry_lookup_device (fx->reg, DEV);
  g_assert_cmpint (d->source, ==, IHW_SOURCE_SYSFS);
  g_assert_cmpint (fx->fake.opens_vfio, ==, 0);
}

static void
test_no_probe (Fixture *fx, gconstpointer data)
{
  const char *all[] = { NULL };
  IhwDevice *d;

  if (!need_umockdev ())
    return;
  load (fx, FALSE);
  g_assert_true (ihw_registry_refresh (fx->reg, all, NULL));
  refresh_dev (fx);
  /* Give umockdev's worker a moment: a connection would have been counted. */
  g_usleep (50000);
  g_assert_cmpint (g_atomic_int_get (&fx->fake.opens_iommu), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&fx->fake.opens_vfio), ==, 0);
  g_assert_cmpint (fx->fake.binds + fx->fake.hw_infos, ==, 0);
  /* The node is there, so iommufd counts as available, without opening it. */
  g_assert_true (ihw_registry_iommufd_available (fx->reg));
  g_assert_cmpstr (ihw_registry_probe_state (fx->reg), ==, "no probing");
  d = ihw_registry_lookup_device (fx->reg, DEV);
  g_assert_false (d->has_hw_info);
  g_assert_cmpint (d->source, ==, IHW_SOURCE_SYSFS);
  g_assert_cmpstr (d->vfio_cdev, ==, "/dev/vfio/devices/vfio0");
}

/* ---- the add-on asked for by type: Tegra241 CMDQV on an SMMUv3 --------- */

#define ARM_DEV "0000:01:00.0"

/* The device's cmdqv fact, and what CheckNesting makes of cmdqv=on. */
static IhwTristate
cmdqv_fact (Fixture *fx, IhwDevice *d, IhwResult **check_out)
{
  IhwFeatures f;
  IhwDeviceFacts facts;
  IhwRequest req = { 0 };

  ihw_registry_device_facts (fx->reg, d, &f, &facts);
  g_assert_true (ihw_request_set_qemu_version (&req, "11.1", NULL));
  g_assert_true (ihw_request_set (&req, "cmdqv", 1));
  *check_out = ihw_check_nesting (IHW_MODEL_SMMUV3, &facts, 1, &req);
  return facts.cmdqv;
}

static const IhwReason *
reason_named (const IhwResult *res, const char *requirement)
{
  for (guint i = 0; i < res->reasons->len; i++)
    if (strcmp (((const IhwReason *) res->reasons->pdata[i])->requirement, requirement) == 0)
      return res->reasons->pdata[i];
  return NULL;
}

/* The three answers a kernel gives when asked for TEGRA241_CMDQV
 * (IOMMU_HW_INFO_FLAG_INPUT_TYPE) on an SMMUv3 device. */
static void
test_cmdqv_answers (Fixture *fx, gconstpointer data)
{
  static const struct {
    const char *kernel;
    gboolean knows_flag, has_cmdqv;
    IhwTristate want;
    int hw_infos;         /* GET_HW_INFO calls: the default one, then the asks */
    guint32 last_asked;   /* in_data_type of the last one */
  } cases[] = {
    /* reported: one ask for type 3 */
    { "6.17 with a CMDQV", TRUE, TRUE, IHW_TRISTATE_YES, 2, IHW_HW_INFO_TYPE_TEGRA241_CMDQV },
    /* refused, but the device's own type asked the same way is answered */
    { "6.17 without", TRUE, FALSE, IHW_TRISTATE_NO, 3, IHW_HW_INFO_TYPE_ARM_SMMUV3 },
    /* refused both ways: the flag itself is unknown (6.12 unpatched) */
    { "6.12", FALSE, FALSE, IHW_TRISTATE_UNKNOWN, 3, IHW_HW_INFO_TYPE_ARM_SMMUV3 },
  };

  if (!need_umockdev ())
    return;
  fake_iommufd_set_smmuv3 (&fx->fake);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (IhwResult) res = NULL;
      IhwDevice *d;

      g_test_message ("kernel %s", cases[i].kernel);
      fx->fake.knows_input_type = cases[i].knows_flag;
      fx->fake.addon_type = 0;
      if (cases[i].has_cmdqv)
        fake_iommufd_set_cmdqv (&fx->fake, 1, 2, 5);
      fx->fake.hw_infos = 0;
      ihw_test_log_clear ();
      if (!fx->reg)
        load (fx, TRUE);
      else
        {
          const char *one[] = { ARM_DEV, NULL };
          g_assert_true (ihw_registry_refresh (fx->reg, one, NULL));
        }

      g_assert_cmpint (fx->fake.hw_infos, ==, cases[i].hw_infos);
      g_assert_cmphex (fx->fake.last_hw_info_flags, ==, IHW_HW_INFO_FLAG_INPUT_TYPE);
      g_assert_cmpuint (fx->fake.last_in_data_type, ==, cases[i].last_asked);
      g_assert_cmpint (fx->fake.bad_args, ==, 0);
      g_assert_cmpuint (ihw_test_log_count ("WARNING", NULL), ==, 0);

      d = ihw_registry_lookup_device (fx->reg, ARM_DEV);
      /* The default answer is untouched by the asks. */
      g_assert_cmpint (d->source, ==, IHW_SOURCE_IOMMUFD);
      g_assert_cmpuint (d->hw_info_type, ==, IHW_HW_INFO_TYPE_ARM_SMMUV3);
      g_assert_cmpint (d->hw_addon, ==, cases[i].want);
      g_assert_cmpint (cmdqv_fact (fx, d, &res), ==, cases[i].want);
      if (cases[i].want == IHW_TRISTATE_YES)
        {
          IhwFeatures f;
          const IhwVendorDesc *addon = ihw_device_hw_addon (d, &f);
          g_assert_nonnull (d->hw_addon_data);
          g_assert_cmpmem (g_bytes_get_data (d->hw_addon_data, NULL), g_bytes_get_size (d->hw_addon_data),
                           fx->fake.addon_data, 8);
          g_assert_true (addon == ihw_vendor_desc (IHW_VENDOR_TEGRA241_CMDQV));
          g_assert_cmpuint (ihw_features_get_uint (&f, "version", 0), ==, 1);
          g_assert_cmpuint (ihw_features_get_uint (&f, "log2vcmdqs", 0), ==, 2);
          g_assert_cmpuint (ihw_features_get_uint (&f, "log2vsids", 0), ==, 5);
          g_assert_null (reason_named (res, "host.cmdqv"));
        }
      else
        {
          g_assert_null (d->hw_addon_data);
          if (cases[i].want == IHW_TRISTATE_NO)
            {
              const IhwReason *r = reason_named (res, "host.cmdqv");
              g_assert_nonnull (r);
              g_assert_cmpstr (r->found, ==, "no");
            }
          else /* unknown is a note, never a refusal */
            g_assert_null (reason_named (res, "host.cmdqv"));
        }
      assert_cdev_released (fx);
    }

  /* A VM takes the device: the last answer is kept with the cached one. */
  fake_iommufd_set_cmdqv (&fx->fake, 1, 2, 5);
  g_assert_true (ihw_registry_refresh (fx->reg, (const char *[]) { ARM_DEV, NULL }, NULL));
  fake_iommufd_hold (&fx->fake, fx->tb, ARM_DEV, FAKE_HOLDER_VFIO_GROUP);
  g_assert_true (ihw_registry_refresh (fx->reg, (const char *[]) { ARM_DEV, NULL }, NULL));
  g_assert_cmpint (ihw_registry_lookup_device (fx->reg, ARM_DEV)->source, ==, IHW_SOURCE_CACHE);
  g_assert_cmpint (ihw_registry_lookup_device (fx->reg, ARM_DEV)->hw_addon, ==, IHW_TRISTATE_YES);
  fake_iommufd_hold (&fx->fake, fx->tb, ARM_DEV, FAKE_HOLDER_NONE);

  /* Any other errno is no answer: unknown, and said with the call. */
  fx->fake.input_type_errno = ENOMEM;
  ihw_test_log_clear ();
  g_assert_true (ihw_registry_refresh (fx->reg, (const char *[]) { ARM_DEV, NULL }, NULL));
  g_assert_cmpint (ihw_registry_lookup_device (fx->reg, ARM_DEV)->hw_addon, ==, IHW_TRISTATE_UNKNOWN);
  ihw_assert_logged ("WARNING", ARM_DEV ": IOMMU_GET_HW_INFO (IOMMU_HW_INFO_FLAG_INPUT_TYPE, type 3): "
                                "Cannot allocate memory");
}

/* A VT-d device is never asked for a type (its type has no add-on). */
static void
test_vtd_not_asked (Fixture *fx, gconstpointer data)
{
  if (!need_umockdev ())
    return;
  fx->fake.knows_input_type = TRUE;
  load (fx, TRUE);
  g_assert_cmpint (fx->fake.hw_infos, ==, 1);
  g_assert_cmphex (fx->fake.last_hw_info_flags, ==, 0);
  g_assert_cmpint (ihw_registry_lookup_device (fx->reg, DEV)->hw_addon, ==, IHW_TRISTATE_UNKNOWN);
}

/* QEMU's host aw-bits from the IOVA ranges of an IOAS the device is
 * attached to; any failure of those steps is "unknown" (the registers then
 * speak, and say so), never a wrong answer, and the cdev is still closed. */
static void
test_host_aw_bits (Fixture *fx, gconstpointer data)
{
  IhwDevice *d;
  IhwFeatures f;
  IhwDeviceFacts facts;

  if (!need_umockdev ())
    return;
  /* QEMU's VT-d with aw-bits=39: the kernel's answer wins over nothing */
  fake_iommufd_set_aperture (&fx->fake, 39);
  load (fx, TRUE);
  d = ihw_registry_lookup_device (fx->reg, DEV);
  g_assert_cmpuint (d->host_aw_bits, ==, 39);
  ihw_registry_device_facts (fx->reg, d, &f, &facts);
  g_assert_cmpuint (facts.host_aw_bits, ==, 39);
  g_assert_cmpstr (facts.host_aw_bits_from, ==, "iommufd IOVA ranges");
  assert_cdev_released (fx);

  /* More ranges than a first guess: counted, then read whole */
  fx->fake.n_iova = 8;
  for (guint i = 0; i < 8; i++)
    {
      fx->fake.iova[i][0] = (guint64) i << 36;
      fx->fake.iova[i][1] = ((guint64) (i + 1) << 36) - 0x100000 - 1;
    }
  refresh_dev (fx);
  g_assert_cmpuint (ihw_registry_lookup_device (fx->reg, DEV)->host_aw_bits, ==, 39);

  /* No ranges at all: QEMU takes 64 */
  fx->fake.n_iova = 0;
  refresh_dev (fx);
  g_assert_cmpuint (ihw_registry_lookup_device (fx->reg, DEV)->host_aw_bits, ==, 64);

  /* Each extra step failing: unknown, logged as such, no probe error */
  fake_iommufd_set_aperture (&fx->fake, 39);
  {
    int *knobs[] = { &fx->fake.attach_errno, &fx->fake.ranges_errno, &fx->fake.detach_errno };
    const char *calls[] = { "VFIO_DEVICE_ATTACH_IOMMUFD_PT", "IOMMU_IOAS_IOVA_RANGES", "VFIO_DEVICE_DETACH_IOMMUFD_PT" };
    for (guint i = 0; i < G_N_ELEMENTS (knobs); i++)
      {
        g_autofree char *line = g_strdup_printf (DEV ": %s: Cannot allocate memory; host aw-bits unknown", calls[i]);
        ihw_test_log_clear ();
        *knobs[i] = ENOMEM;
        refresh_dev (fx);
        *knobs[i] = 0;
        fx->fake.attached = FALSE;   /* the close detached it */
        d = ihw_registry_lookup_device (fx->reg, DEV);
        g_assert_cmpuint (d->host_aw_bits, ==, 0);
        g_assert_true (d->has_hw_info);
        g_assert_cmpint (d->source, ==, IHW_SOURCE_IOMMUFD);
        g_assert_null (d->probe_error);
        ihw_assert_logged ("MESSAGE", line);
        assert_cdev_released (fx);
        /* the registers (the kernel's hw_info) give the aperture: 57 */
        ihw_registry_device_facts (fx->reg, d, &f, &facts);
        g_assert_cmpuint (facts.host_aw_bits, ==, 57);
        g_assert_cmpstr (facts.host_aw_bits_from, ==, "hw_info registers");
      }
  }
  g_assert_cmpint (fx->fake.bad_args, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  ihw_test_log_init ();
  have_umockdev = fake_umockdev_detect ();

#define ADD(path, fn) g_test_add ("/umockdev/probe/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("vtd-recorded-reply", test_vtd_recorded_reply);
  ADD ("nest-parent-refused", test_nest_parent_refused);
  ADD ("host-aw-bits", test_host_aw_bits);
  ADD ("busy-keeps-cache", test_busy_keeps_cache);
  ADD ("busy-without-cache", test_busy_without_cache);
  ADD ("iommufd-holder-in-use", test_iommufd_holder);
  ADD ("einval-not-in-use", test_einval_not_in_use);
  ADD ("old-kernel-enotty", test_old_kernel);
  ADD ("truncated-data", test_truncated_data);
  ADD ("unknown-type-99", test_unknown_type);
  ADD ("type-none", test_type_none);
  ADD ("unprobed-sibling-source", test_unprobed_sibling_source);
  ADD ("no-probe-never-opens", test_no_probe);
  ADD ("no-dev-iommu", test_no_dev_iommu);
  ADD ("vtd-not-asked-for-a-type", test_vtd_not_asked);
  g_test_add ("/umockdev/probe/cmdqv-answers", Fixture, "arm-smmuv3-server", fixture_setup, test_cmdqv_answers,
              fixture_teardown);
#undef ADD
  return g_test_run ();
}
