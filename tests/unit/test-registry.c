/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The registry and the sysfs reader over the recorded hosts
 * (tests/fixtures/hosts) and over deliberately broken sysfs trees.
 * sysfs only (probe = FALSE): the iommufd path is in tests/umockdev.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ihw-error.h"
#include "ihw-registry.h"
#include "ihw-sysfs.h"
#include "ihw-verdict.h"
#include "ihw-test-events.h"
#include "ihw-test-log.h"
#include "ihw-test-util.h"

/* ---- expectations for the recorded hosts ------------------------------- */

typedef struct {
  const char *name;
  const char *vendor;          /* ihw_vendor_name */
  const char *reg1, *reg2;     /* register names */
  guint64 val1, val2;
  const char *version;
  const char *devices;         /* comma-joined */
} ExpectUnit;

typedef struct {
  const char *address;
  const char *unit;            /* NULL: none */
  const char *driver;
  int group;
  const char *cdev;            /* relative to dev_root, "" none */
  guint major, minor;
  guint16 vendor, device;
  guint32 class_code;
} ExpectDevice;

typedef struct {
  const char *host;
  ExpectUnit units[3];
  ExpectDevice devices[4];
} ExpectHost;

#define EAGLE_CAP G_GUINT64_CONSTANT (0x19ed008c40780c66)
#define EAGLE_ECAP G_GUINT64_CONSTANT (0x3ee9e86f050df)

static const ExpectHost hosts[] = {
  { "intel-server-nesting",
    { { "dmar0", "intel-vtd", "cap", "ecap", EAGLE_CAP, EAGLE_ECAP, "6:0", "0000:3a:00.0" },
      { "dmar1", "intel-vtd", "cap", "ecap", EAGLE_CAP, EAGLE_ECAP, "6:0", "0000:b1:00.0" } },
    { { "0000:3a:00.0", "dmar0", "vfio-pci", 12, "vfio/devices/vfio0", 237, 0, 0x8086, 0x1593, 0x020000 },
      { "0000:b1:00.0", "dmar1", "nvme", 27, "", 0, 0, 0x8086, 0x0b60, 0x010802 } } },
  { "intel-client-no-sm",
    { { "dmar0", "intel-vtd", "cap", "ecap", 0x1c0000c40660462, 0x29a00f0505e, "4:0", "0000:00:02.0" },
      { "dmar1", "intel-vtd", "cap", "ecap", 0xd2008c40660462, 0xf050da, "5:0", "0000:00:14.0,0000:01:00.0" } },
    { { "0000:00:02.0", "dmar0", "i915", 0, "", 0, 0, 0x8086, 0x46a6, 0x030000 },
      { "0000:00:14.0", "dmar1", "xhci_hcd", 6, "", 0, 0, 0x8086, 0x51ed, 0x0c0330 },
      { "0000:01:00.0", "dmar1", "vfio-pci", 13, "vfio/devices/vfio0", 511, 0, 0x144d, 0xa80a, 0x010802 } } },
  { "qemu-guest",
    { { "dmar0", "intel-vtd", "cap", "ecap", 0xd2008c222f0606, 0xf00f4a, "1:0", "0000:00:01.0,0000:00:02.0" } },
    { { "0000:00:01.0", "dmar0", "vfio-pci", 0, "vfio/devices/vfio0", 246, 0, 0x1234, 0x11e8, 0x00ff00 },
      { "0000:00:02.0", "dmar0", "virtio-pci", 1, "", 0, 0, 0x1af4, 0x1041, 0x020000 } } },
  { "amd-server",
    { { "ivhd0", "amd-vi", "efr", "efr2", 0x58f77ef22294ade, 0, NULL, "0000:41:00.0" },
      { "ivhd1", "amd-vi", "efr", "efr2", 0x58f77ef22294ade, 0, NULL, "0000:c1:00.0" } },
    { { "0000:41:00.0", "ivhd0", "vfio-pci", 31, "vfio/devices/vfio0", 240, 0, 0x15b3, 0x101b, 0x020000 },
      { "0000:c1:00.0", "ivhd1", "nvme", 58, "", 0, 0, 0x144d, 0xa824, 0x010802 } } },
  { "mixed-two-unit",
    { { "dmar0", "intel-vtd", "cap", "ecap", EAGLE_CAP, EAGLE_ECAP, "6:0", "0000:17:00.0" },
      { "dmar1", "intel-vtd", "cap", "ecap", 0x8d2078c106f0466, 0xf020df, "1:0", "0000:5d:00.0,0000:5e:00.0" } },
    { { "0000:17:00.0", "dmar0", "vfio-pci", 20, "vfio/devices/vfio0", 237, 0, 0x8086, 0x1593, 0x020000 },
      { "0000:5d:00.0", "dmar1", "vfio-pci", 40, "vfio/devices/vfio1", 237, 1, 0x10de, 0x20b5, 0x030200 },
      { "0000:5e:00.0", "dmar1", "nvme", 41, "", 0, 0, 0x8086, 0x0b60, 0x010802 } } },
  { "no-iommu",
    { { NULL } },
    { { "0000:00:00.0", NULL, "", -1, "", 0, 0, 0x8086, 0x1237, 0x060000 },
      { "0000:00:1f.2", NULL, "ahci", -1, "", 0, 0, 0x8086, 0x2922, 0x010601 },
      { "0000:02:00.0", NULL, "e1000e", -1, "", 0, 0, 0x8086, 0x10d3, 0x020000 } } },
};

static char *
host_dir (const char *host)
{
  return g_build_filename (IHW_FIXTURES_DIR, "hosts", host, NULL);
}

static char *
join_ptr_array (GPtrArray *a)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < a->len; i++)
    g_string_append_printf (s, "%s%s", i ? "," : "", (const char *) a->pdata[i]);
  return g_string_free (s, FALSE);
}

static void
test_recorded_host (gconstpointer data)
{
  const ExpectHost *h = data;
  g_autofree char *root = host_dir (h->host);
  IhwRegistryOptions opts = { .sysfs_root = root, .dev_root = "/nonexistent-dev", .probe = FALSE };
  g_autoptr (IhwRegistry) reg = ihw_registry_new (&opts);
  g_autoptr (GError) error = NULL;
  GString *events = g_string_new (NULL);
  g_autoptr (GString) want_events = g_string_new (NULL);
  GPtrArray *units, *devices;
  guint n_units = 0, n_devices = 0;

  ihw_test_log_clear ();
  ihw_registry_set_listener (reg, ihw_test_record_event, events);
  g_assert_true (ihw_registry_load (reg, &error));
  g_assert_no_error (error);
  /* A recorded host is clean: not one complaint. */
  if (ihw_test_log_lines->len)
    ihw_test_log_dump ();
  g_assert_cmpuint (ihw_test_log_lines->len, ==, 0);
  g_assert_false (ihw_registry_iommufd_available (reg));

  for (; n_units < G_N_ELEMENTS (h->units) && h->units[n_units].name; n_units++)
    g_string_append_printf (want_events, "added unit %s;", h->units[n_units].name);
  for (; n_devices < G_N_ELEMENTS (h->devices) && h->devices[n_devices].address; n_devices++)
    g_string_append_printf (want_events, "added device %s;", h->devices[n_devices].address);
  g_assert_cmpstr (events->str, ==, want_events->str);

  units = ihw_registry_get_units (reg);
  devices = ihw_registry_get_devices (reg);
  g_assert_cmpuint (units->len, ==, n_units);
  g_assert_cmpuint (devices->len, ==, n_devices);

  for (guint i = 0; i < n_units; i++)
    {
      const ExpectUnit *x = &h->units[i];
      IhwUnit *u = units->pdata[i];
      g_autofree char *devs = join_ptr_array (u->devices);

      g_assert_true (ihw_registry_lookup_unit (reg, x->name) == u); /* sorted, and the same record */
      g_assert_cmpstr (u->name, ==, x->name);
      g_assert_nonnull (u->features.desc);
      g_assert_cmpstr (u->features.desc->name, ==, x->vendor);
      g_assert_cmphex (ihw_test_reg_value (&u->features, x->reg1), ==, x->val1);
      g_assert_cmphex (ihw_test_reg_value (&u->features, x->reg2), ==, x->val2);
      g_assert_cmpstr (u->version, ==, x->version);
      g_assert_cmpstr (devs, ==, x->devices);
      g_assert_cmpint (u->source, ==, IHW_SOURCE_SYSFS);
      g_assert_cmpuint (u->updated_usec, >, 0);

      /* The sysfs reader's own view of the unit's devices/ directory agrees. */
      {
        g_autoptr (IhwUnit) raw = ihw_sysfs_read_unit (root, x->name);
        g_autofree char *raw_devs = join_ptr_array (raw->devices);
        g_assert_cmpstr (raw_devs, ==, x->devices);
      }
    }

  for (guint i = 0; i < n_devices; i++)
    {
      const ExpectDevice *x = &h->devices[i];
      IhwDevice *d = devices->pdata[i];
      g_autofree char *cdev = *x->cdev ? g_build_filename ("/nonexistent-dev", x->cdev, NULL) : g_strdup ("");
      IhwFeatures f;
      IhwDeviceFacts facts;

      g_assert_true (ihw_registry_lookup_device (reg, x->address) == d);
      g_assert_cmpstr (d->address, ==, x->address);
      g_assert_cmpstr (d->unit, ==, x->unit);
      g_assert_cmpstr (d->driver, ==, x->driver);
      g_assert_cmpint (d->iommu_group, ==, x->group);
      g_assert_cmpstr (d->vfio_cdev, ==, cdev);
      g_assert_cmpuint (d->vfio_cdev_major, ==, x->major);
      g_assert_cmpuint (d->vfio_cdev_minor, ==, x->minor);
      g_assert_cmphex (d->vendor_id, ==, x->vendor);
      g_assert_cmphex (d->device_id, ==, x->device);
      g_assert_cmphex (d->class_code, ==, x->class_code);
      g_assert_false (d->has_hw_info);
      g_assert_null (d->probe_error);
      g_assert_cmpint (d->nest_parent, ==, IHW_NEST_PARENT_UNKNOWN);
      g_assert_cmpint (d->source, ==, x->unit ? IHW_SOURCE_SYSFS : IHW_SOURCE_NONE);

      /* Facts: the unit's registers (no hw_info without a probe). */
      ihw_registry_device_facts (reg, d, &f, &facts);
      g_assert_cmpstr (facts.device, ==, x->address);
      if (x->unit)
        {
          IhwUnit *u = ihw_registry_lookup_unit (reg, x->unit);
          g_assert_true (facts.features == &f);
          g_assert_true (f.desc == u->features.desc);
          g_assert_cmpmem (f.regs, sizeof f.regs, u->features.regs, sizeof u->features.regs);
        }
      else
        {
          g_assert_null (facts.features);
          g_assert_cmpstr (facts.no_features_reason, ==, "no IOMMU");
        }
    }

  /* Lookups normalise case; unknown names are NULL. */
  if (n_devices)
    {
      g_autofree char *upper = g_ascii_strup (h->devices[0].address, -1);
      g_assert_nonnull (ihw_registry_lookup_device (reg, upper));
    }
  g_assert_null (ihw_registry_lookup_device (reg, "0000:ff:1f.7"));
  g_assert_null (ihw_registry_lookup_device (reg, "garbage"));
  g_assert_null (ihw_registry_lookup_unit (reg, "dmar99"));

  /* A second load with nothing changed fires nothing. */
  g_string_truncate (events, 0);
  g_assert_true (ihw_registry_load (reg, &error));
  g_assert_cmpstr (events->str, ==, "");
  g_string_free (events, TRUE);
}

/* The verdict layer gets the recorded registers: the nesting server is
 * supported by the register rules, the client is not (SPEC §4 intel). */
static IhwVerdict
verdict_for (const char *host, const char *address)
{
  g_autofree char *root = host_dir (host);
  g_autofree char *dev = g_build_filename (root, "dev", NULL);
  IhwRegistryOptions opts = { .sysfs_root = root, .dev_root = dev, .probe = FALSE };
  g_autoptr (IhwRegistry) reg = ihw_registry_new (&opts);
  g_autoptr (IhwResult) res = NULL;
  IhwRequest req = { 0 };
  IhwFeatures f;
  IhwDeviceFacts facts;

  g_assert_true (ihw_registry_load (reg, NULL));
  g_assert_true (ihw_request_set_qemu_version (&req, "11.0", NULL));
  ihw_request_set (&req, "caching-mode", 1);
  ihw_registry_device_facts (reg, ihw_registry_lookup_device (reg, address), &f, &facts);
  res = ihw_check_nesting (IHW_MODEL_INTEL, &facts, 1, &req);
  return res->verdict;
}

static void
test_facts_to_verdict (void)
{
  g_assert_cmpint (verdict_for ("intel-server-nesting", "0000:3a:00.0"), ==, IHW_VERDICT_SUPPORTED);
  g_assert_cmpint (verdict_for ("intel-client-no-sm", "0000:01:00.0"), ==, IHW_VERDICT_UNSUPPORTED);
  g_assert_cmpint (verdict_for ("mixed-two-unit", "0000:17:00.0"), ==, IHW_VERDICT_SUPPORTED);
  g_assert_cmpint (verdict_for ("mixed-two-unit", "0000:5d:00.0"), ==, IHW_VERDICT_UNSUPPORTED);
  /* a device behind no IOMMU is a reason, not missing data */
  g_assert_cmpint (verdict_for ("no-iommu", "0000:02:00.0"), ==, IHW_VERDICT_UNSUPPORTED);
  /* behind a conventional PCI bridge QEMU 11's x-flts refuses the device;
   * behind a PCIe root port it is fine */
  g_assert_cmpint (verdict_for ("intel-server-topology", "0000:06:00.0"), ==, IHW_VERDICT_UNSUPPORTED);
  g_assert_cmpint (verdict_for ("intel-server-topology", "0000:18:00.0"), ==, IHW_VERDICT_SUPPORTED);
}

static void
test_topology_facts (void)
{
  g_autofree char *root = host_dir ("intel-server-topology");
  g_autofree char *dev = g_build_filename (root, "dev", NULL);
  g_autofree char *nodev = host_dir ("intel-client-no-sm");
  IhwRegistryOptions opts = { .sysfs_root = root, .dev_root = dev, .probe = FALSE };
  g_autoptr (IhwRegistry) reg = ihw_registry_new (&opts);
  IhwFeatures f;
  IhwDeviceFacts facts;

  g_assert_true (ihw_registry_load (reg, NULL));
  g_assert_cmpint (ihw_registry_lookup_device (reg, "0000:06:00.0")->behind_pci_bridge, ==, IHW_TRISTATE_YES);
  g_assert_cmpint (ihw_registry_lookup_device (reg, "0000:18:00.0")->behind_pci_bridge, ==, IHW_TRISTATE_NO);
  g_assert_cmpint (ihw_registry_lookup_device (reg, "0000:00:1e.0")->behind_pci_bridge, ==, IHW_TRISTATE_NO);
  ihw_registry_device_facts (reg, ihw_registry_lookup_device (reg, "0000:06:00.0"), &f, &facts);
  g_assert_cmpint (facts.behind_pci_bridge, ==, IHW_TRISTATE_YES);
  g_assert_cmpint (facts.iommufd, ==, IHW_TRISTATE_YES); /* /dev/iommu and a cdev */
  g_assert_cmpstr (facts.unit, ==, "dmar0");
  g_assert_false (facts.no_iommu);
  ihw_registry_device_facts (reg, ihw_registry_lookup_device (reg, "0000:00:01.0"), &f, &facts);
  g_assert_cmpint (facts.iommufd, ==, IHW_TRISTATE_UNKNOWN); /* not on vfio-pci (yet) */

  /* a kernel without /dev/iommu: definitely no iommufd */
  {
    g_autofree char *devdir = g_build_filename (nodev, "dev", NULL);
    IhwRegistryOptions o2 = { .sysfs_root = nodev, .dev_root = devdir, .probe = FALSE };
    g_autoptr (IhwRegistry) r2 = ihw_registry_new (&o2);
    g_assert_true (ihw_registry_load (r2, NULL));
    ihw_registry_device_facts (r2, ihw_registry_lookup_device (r2, "0000:01:00.0"), &f, &facts);
    g_assert_cmpint (facts.iommufd, ==, IHW_TRISTATE_NO);
  }
}

/* ---- broken sysfs --------------------------------------------------------- */

static void
mk_unit_vtd (const char *root, const char *unit, const char *cap, const char *ecap)
{
  g_autofree char *cls = g_strdup_printf ("class/iommu/%s", unit);
  g_autofree char *tgt = g_strdup_printf ("../../devices/virtual/iommu/%s", unit);
  g_autofree char *capf = g_strdup_printf ("devices/virtual/iommu/%s/intel-iommu/cap", unit);
  g_autofree char *ecapf = g_strdup_printf ("devices/virtual/iommu/%s/intel-iommu/ecap", unit);
  ihw_test_put_link (root, cls, tgt);
  if (cap)
    ihw_test_put_file (root, capf, cap, -1);
  if (ecap)
    ihw_test_put_file (root, ecapf, ecap, -1);
}

static void
mk_device (const char *root, const char *bdf, const char *vendor, const char *unit)
{
  g_autofree char *bus = g_strdup_printf ("bus/pci/devices/%s", bdf);
  g_autofree char *tgt = g_strdup_printf ("../../../devices/pci0000:00/%s", bdf);
  g_autofree char *dir = g_strdup_printf ("devices/pci0000:00/%s", bdf);
  g_autofree char *vf = g_strdup_printf ("%s/vendor", dir);
  g_autofree char *df = g_strdup_printf ("%s/device", dir);
  g_autofree char *cf = g_strdup_printf ("%s/class", dir);
  ihw_test_put_link (root, bus, tgt);
  ihw_test_put_file (root, vf, vendor, -1);
  ihw_test_put_file (root, df, "0x1234\n", -1);
  ihw_test_put_file (root, cf, "0x020000\n", -1);
  if (unit)
    {
      g_autofree char *il = g_strdup_printf ("%s/iommu", dir);
      g_autofree char *it = g_strdup_printf ("../../virtual/iommu/%s", unit);
      ihw_test_put_link (root, il, it);
    }
}

/* Without a probe, QEMU's host aw-bits is the registers' aperture, cut by
 * the group's reserved_regions when one reaches its top (direct-relaxable
 * regions do not count, as iommufd does not reserve them); a malformed
 * file is ignored with a warning. */
static void
test_host_aw_bits_sysfs (void)
{
  g_autofree char *root = g_dir_make_tmp ("ihw-resv-sysfs-XXXXXX", NULL);
  g_autofree char *dev = g_build_filename (root, "dev", NULL);
  IhwRegistryOptions opts = { .sysfs_root = root, .dev_root = dev, .probe = FALSE };
  g_autoptr (IhwRegistry) reg = NULL;
  static const struct {
    const char *bdf, *group, *regions;
    guint bits;
    const char *from;
  } cases[] = {
    /* QEMU's VT-d, aw-bits 39: MGAW 39, SAGAW 39 */
    { "0000:00:01.0", "1", "0x00000000fee00000 0x00000000feefffff msi\n", 39, "sysfs registers" },
    { "0000:00:02.0", "2", "0x00000000fee00000 0x00000000feefffff msi\n"
                           "0x0000004000000000 0x0000007fffffffff reserved\n", 38,
      "sysfs registers and reserved_regions" },
    { "0000:00:03.0", "3", "0x0000004000000000 0x0000007fffffffff direct-relaxable\n", 39, "sysfs registers" },
    { "0000:00:04.0", "4", "0xfee00000 garbage\n", 39, "sysfs registers" },
    { "0000:00:05.0", NULL, NULL, 39, "sysfs registers" },
  };

  mk_unit_vtd (root, "dmar0", "d2008c22260206\n", "f00f4a\n");   /* MGAW 39, SAGAW 39 */
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      mk_device (root, cases[i].bdf, "0x8086\n", "dmar0");
      if (cases[i].group)
        {
          g_autofree char *link = g_strdup_printf ("devices/pci0000:00/%s/iommu_group", cases[i].bdf);
          g_autofree char *target = g_strdup_printf ("../../../kernel/iommu_groups/%s", cases[i].group);
          g_autofree char *file = g_strdup_printf ("kernel/iommu_groups/%s/reserved_regions", cases[i].group);
          ihw_test_put_link (root, link, target);
          ihw_test_put_file (root, file, cases[i].regions, -1);
        }
    }
  ihw_test_log_clear ();
  reg = ihw_registry_new (&opts);
  g_assert_true (ihw_registry_load (reg, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      IhwFeatures f;
      IhwDeviceFacts facts;
      ihw_registry_device_facts (reg, ihw_registry_lookup_device (reg, cases[i].bdf), &f, &facts);
      g_test_message ("%s: %u (%s)", cases[i].bdf, facts.host_aw_bits, facts.host_aw_bits_from);
      g_assert_cmpuint (facts.host_aw_bits, ==, cases[i].bits);
      g_assert_cmpstr (facts.host_aw_bits_from, ==, cases[i].from);
    }
  ihw_assert_logged ("WARNING", "0000:00:04.0/iommu_group/reserved_regions", "is not '0xSTART 0xLAST TYPE'");
  g_assert_cmpint (ihw_test_log_count ("WARNING", "reserved_regions", NULL), ==, 1);
}

static void
test_bad_sysfs (void)
{
  g_autofree char *root = g_dir_make_tmp ("ihw-bad-sysfs-XXXXXX", NULL);
  g_autofree char *huge = g_malloc (1024 * 1024);
  IhwRegistryOptions opts = { .sysfs_root = root, .dev_root = "/nonexistent-dev", .probe = FALSE };
  g_autoptr (IhwRegistry) reg = NULL;
  g_autoptr (GError) error = NULL;
  IhwUnit *u;
  IhwDevice *d;

  memset (huge, 'f', 1024 * 1024);
  mk_unit_vtd (root, "dmar0", "d2008c222f0606\n", "f00f4a\n");                 /* good */
  mk_unit_vtd (root, "dmar1", "not hex at all\n", "\n");                        /* garbage, empty */
  mk_unit_vtd (root, "dmar2", NULL, "f00f4a\n");
  ihw_test_put_file (root, "devices/virtual/iommu/dmar2/intel-iommu/cap", huge, 1024 * 1024); /* 1 MiB */
  mk_unit_vtd (root, "dmar3", "1d2008c222f06060\n", "0x10000000000000000\n");   /* 16 ok, 17 digits */
  ihw_test_put_link (root, "class/iommu/dmar4", "../../devices/virtual/iommu/gone");       /* dangling */
  ihw_test_put_link (root, "class/iommu/dmar5", "dmar5");                                  /* loop */
  mk_unit_vtd (root, "dmar6", NULL, NULL);                                      /* NUL bytes, escape codes */
  ihw_test_put_file (root, "devices/virtual/iommu/dmar6/intel-iommu/cap", "abc\0def\n", 8);
  ihw_test_put_file (root, "devices/virtual/iommu/dmar6/intel-iommu/version", "\x1b[31mred\n", -1);
  ihw_test_put_link (root, "class/iommu/ivhd0", "../../devices/virtual/iommu/ivhd0");
  ihw_test_put_file (root, "devices/virtual/iommu/ivhd0/amd-iommu/features", "1:2:3\n", -1);
  ihw_test_put_link (root, "class/iommu/ivhd1", "../../devices/virtual/iommu/ivhd1");
  ihw_test_put_file (root, "devices/virtual/iommu/ivhd1/amd-iommu/features", "58f77ef22294ade\n", -1); /* old kernel: efr only */
  ihw_test_put_link (root, "class/iommu/weird", "../../devices/virtual/iommu/weird");
  ihw_test_put_file (root, "devices/virtual/iommu/weird/something", "x\n", -1);           /* unknown vendor */
  ihw_test_put_link (root, "class/iommu/smmu3.0x0000000005000000", "../../devices/virtual/iommu/smmu3.0x0000000005000000");
  ihw_test_put_file (root, "devices/virtual/iommu/smmu3.0x0000000005000000/uevent", "\n", -1);
  ihw_test_put_link (root, "class/iommu/bad\nname", "../../devices/virtual/iommu/x");     /* not a unit name */

  mk_device (root, "0000:00:01.0", "0x8086\n", "dmar0");                         /* good */
  mk_device (root, "0000:00:02.0", "0xzz\n", "dmar-missing");                   /* non-hex id, dangling iommu link */
  ihw_test_put_file (root, "devices/pci0000:00/0000:00:02.0/class", huge, 1024 * 1024);
  ihw_test_put_link (root, "devices/pci0000:00/0000:00:02.0/iommu_group", "../../../kernel/iommu_groups/notanumber");
  ihw_test_put_file (root, "devices/pci0000:00/0000:00:02.0/vfio-dev/vfio3/dev", "garbage\n", -1);
  ihw_test_put_file (root, "devices/pci0000:00/0000:00:02.0/vfio-dev/evil/dev", "1:2\n", -1);
  ihw_test_put_link (root, "bus/pci/devices/0000:00:03.0", "../../../devices/pci0000:00/nowhere"); /* dangling */
  ihw_test_put_link (root, "bus/pci/devices/0000:00:04.0", "0000:00:04.0");                /* loop */
  mk_device (root, "0000:00:05.0", "0x8086\n", NULL);
  ihw_test_put_link (root, "devices/pci0000:00/0000:00:05.0/iommu", "iommu");              /* loop */
  ihw_test_put_link (root, "devices/pci0000:00/0000:00:05.0/driver", "../../../bus/pci/drivers/gone"); /* dangling */
  ihw_test_put_file (root, "devices/pci0000:00/0000:00:05.0/vfio-dev/vfio7/dev", "238:7\n", -1);
  mk_device (root, "0000:00:06.0", "", "dmar0");                                 /* empty vendor */
  ihw_test_put_link (root, "bus/pci/devices/not-an-address", "../../../devices/pci0000:00/0000:00:01.0");
  /* A vfio `dev` of "-1:-1" is not a cdev; a driver link that resolves is. */
  mk_device (root, "0000:00:07.0", "0x8086\n", NULL);
  ihw_test_put_file (root, "devices/pci0000:00/0000:00:07.0/vfio-dev/vfio9/dev", "-1:-1\n", -1);
  ihw_test_put_file (root, "bus/pci/drivers/vfio-pci/new_id", "", -1);
  ihw_test_put_link (root, "devices/pci0000:00/0000:00:07.0/driver", "../../../bus/pci/drivers/vfio-pci");
  /* Upper-case hex: not a name the kernel makes; a second name for 01.0. */
  ihw_test_put_link (root, "bus/pci/devices/0000:00:0A.0", "../../../devices/pci0000:00/0000:00:01.0");

  /* A FIFO instead of the device file: a plain read would block forever. */
  {
    g_autofree char *fifo = g_build_filename (root, "devices/pci0000:00/0000:00:06.0/device", NULL);
    g_assert_cmpint (g_unlink (fifo), ==, 0);
    g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  }

  ihw_test_log_clear ();
  reg = ihw_registry_new (&opts);
  g_assert_true (ihw_registry_load (reg, &error));
  g_assert_no_error (error);

  /* Every unit with a usable name is kept, whatever its files say. */
  g_assert_cmpuint (ihw_registry_get_units (reg)->len, ==, 11);
  u = ihw_registry_lookup_unit (reg, "dmar0");
  g_assert_cmphex (ihw_test_reg_value (&u->features, "cap"), ==, 0xd2008c222f0606);

  u = ihw_registry_lookup_unit (reg, "dmar1");
  g_assert_cmpstr (u->features.desc->name, ==, "intel-vtd");
  g_assert_cmpuint (u->features.present, ==, 0);
  g_assert_cmpint (u->source, ==, IHW_SOURCE_NONE);
  ihw_assert_logged ("WARNING", "dmar1/intel-iommu/cap", "not a hexadecimal number");
  ihw_assert_logged ("WARNING", "dmar1/intel-iommu/ecap", "empty value");

  u = ihw_registry_lookup_unit (reg, "dmar2");
  g_assert_false (ihw_features_has_reg (&u->features, (guint) ihw_features_reg_index (&u->features, "cap")));
  g_assert_cmphex (ihw_test_reg_value (&u->features, "ecap"), ==, 0xf00f4a);
  g_assert_cmpint (u->source, ==, IHW_SOURCE_SYSFS);
  ihw_assert_logged ("WARNING", "dmar2/intel-iommu/cap", "larger than 4096 bytes");

  u = ihw_registry_lookup_unit (reg, "dmar3");
  g_assert_cmphex (ihw_test_reg_value (&u->features, "cap"), ==, G_GUINT64_CONSTANT (0x1d2008c222f06060));
  ihw_assert_logged ("WARNING", "dmar3/intel-iommu/ecap", "more than 64 bits");

  u = ihw_registry_lookup_unit (reg, "dmar4");
  g_assert_nonnull (u);
  g_assert_null (u->features.desc);
  ihw_assert_logged ("WARNING", "class/iommu/dmar4", "dangling symlink");

  u = ihw_registry_lookup_unit (reg, "dmar5");
  g_assert_nonnull (u);
  ihw_assert_logged ("WARNING", "class/iommu/dmar5", "symlink loop");

  u = ihw_registry_lookup_unit (reg, "dmar6");
  g_assert_cmpuint (u->features.present, ==, 0);
  g_assert_null (u->version);
  ihw_assert_logged ("WARNING", "dmar6/intel-iommu/cap", "NUL bytes");
  ihw_assert_logged ("WARNING", "dmar6/intel-iommu/version", "not a 'major:minor' version");

  u = ihw_registry_lookup_unit (reg, "ivhd0");
  g_assert_cmpstr (u->features.desc->name, ==, "amd-vi");
  g_assert_cmpuint (u->features.present, ==, 0);
  ihw_assert_logged ("WARNING", "ivhd0/amd-iommu/features", "neither 'efr' nor 'efr:efr2'");

  u = ihw_registry_lookup_unit (reg, "ivhd1");
  g_assert_cmphex (ihw_test_reg_value (&u->features, "efr"), ==, 0x58f77ef22294ade);
  g_assert_false (ihw_features_has_reg (&u->features, (guint) ihw_features_reg_index (&u->features, "efr2")));

  u = ihw_registry_lookup_unit (reg, "weird");
  g_assert_null (u->features.desc);
  ihw_assert_logged ("MESSAGE", "class/iommu/weird", "vendor unknown");

  u = ihw_registry_lookup_unit (reg, "smmu3.0x0000000005000000");
  g_assert_cmpstr (u->features.desc->name, ==, "arm-smmuv3");
  g_assert_cmpuint (u->features.present, ==, 0);

  ihw_assert_logged ("WARNING", "class/iommu", "bad\\nname", "not a valid IOMMU unit");

  /* Devices: every valid address kept. */
  g_assert_cmpuint (ihw_registry_get_devices (reg)->len, ==, 7);
  ihw_assert_logged ("WARNING", "bus/pci/devices", "not-an-address", "not a valid PCI address");
  ihw_assert_logged ("WARNING", "bus/pci/devices", "0000:00:0A.0", "not a valid PCI address");
  g_assert_null (ihw_registry_lookup_device (reg, "0000:00:0a.0"));

  d = ihw_registry_lookup_device (reg, "0000:00:07.0");
  g_assert_cmpstr (d->vfio_cdev, ==, "");
  g_assert_cmpstr (d->driver, ==, "vfio-pci");
  g_assert_cmpint (d->has_iommu, ==, IHW_TRISTATE_NO);
  ihw_assert_logged ("WARNING", "vfio-dev/vfio9/dev", "'-1:-1' is not 'major:minor'");

  d = ihw_registry_lookup_device (reg, "0000:00:01.0");
  g_assert_cmpstr (d->unit, ==, "dmar0");
  g_assert_cmphex (d->vendor_id, ==, 0x8086);

  d = ihw_registry_lookup_device (reg, "0000:00:02.0");
  g_assert_cmphex (d->vendor_id, ==, 0);
  g_assert_cmphex (d->device_id, ==, 0x1234);
  g_assert_cmphex (d->class_code, ==, 0);
  /* Dangling links are missing data, not "none". */
  g_assert_null (d->unit);
  g_assert_cmpint (d->has_iommu, ==, IHW_TRISTATE_UNKNOWN);
  g_assert_cmpint (d->iommu_group, ==, IHW_IOMMU_GROUP_UNKNOWN);
  g_assert_cmpstr (d->vfio_cdev, ==, "");
  g_assert_cmpint (d->source, ==, IHW_SOURCE_NONE);
  ihw_assert_logged ("WARNING", "0000:00:02.0/vendor", "not a hexadecimal number");
  ihw_assert_logged ("WARNING", "0000:00:02.0/class", "larger than 4096 bytes");
  ihw_assert_logged ("WARNING", "0000:00:02.0/iommu", "dangling symlink");
  ihw_assert_logged ("WARNING", "0000:00:02.0/iommu_group", "dangling symlink");
  ihw_assert_logged ("WARNING", "vfio-dev/vfio3/dev", "not 'major:minor'");
  ihw_assert_logged ("WARNING", "vfio-dev", "evil", "not a vfio<N> cdev");

  d = ihw_registry_lookup_device (reg, "0000:00:03.0");
  g_assert_nonnull (d);
  g_assert_cmpstr (d->driver, ==, "");
  ihw_assert_logged ("WARNING", "bus/pci/devices/0000:00:03.0", "dangling symlink");

  d = ihw_registry_lookup_device (reg, "0000:00:04.0");
  g_assert_nonnull (d);
  ihw_assert_logged ("WARNING", "bus/pci/devices/0000:00:04.0", "symlink loop");

  d = ihw_registry_lookup_device (reg, "0000:00:05.0");
  g_assert_null (d->unit);
  g_assert_cmpint (d->has_iommu, ==, IHW_TRISTATE_UNKNOWN);
  g_assert_null (d->driver); /* the driver link dangles: unknown */
  g_assert_true (g_str_has_suffix (d->vfio_cdev, "/vfio/devices/vfio7"));
  ihw_assert_logged ("WARNING", "0000:00:05.0/iommu");

  d = ihw_registry_lookup_device (reg, "0000:00:06.0");
  g_assert_cmphex (d->device_id, ==, 0);
  g_assert_cmpstr (d->unit, ==, "dmar0");
  ihw_assert_logged ("WARNING", "0000:00:06.0/device", "not a regular file");
  ihw_assert_logged ("WARNING", "0000:00:06.0/vendor", "empty value");

  /* Unit dmar0 lists the devices whose iommu link leads to it. */
  {
    g_autofree char *devs = join_ptr_array (ihw_registry_lookup_unit (reg, "dmar0")->devices);
    g_assert_cmpstr (devs, ==, "0000:00:01.0,0000:00:06.0");
  }

  /* Facts for devices without usable registers say why. */
  {
    IhwFeatures f;
    IhwDeviceFacts facts;
    ihw_registry_device_facts (reg, ihw_registry_lookup_device (reg, "0000:00:02.0"), &f, &facts);
    g_assert_null (facts.features);
    g_assert_false (facts.no_iommu);
    g_assert_cmpstr (facts.no_features_reason, ==, "unknown");
  }

  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", root);
    g_assert_cmpint (system (cmd), ==, 0);
  }
}

/* AMD as the kernel lays it out: the unit's class device lives under the
 * IOMMU's own PCI function (00:00.2/iommu/ivhd0, a directory), devices
 * behind it link there.  Reading that function is no problem to report. */
static void
test_amd_iommu_own_function (void)
{
  g_autofree char *root = g_dir_make_tmp ("ihw-amd-sysfs-XXXXXX", NULL);
  IhwRegistryOptions opts = { .sysfs_root = root, .dev_root = "/nonexistent-dev", .probe = FALSE };
  g_autoptr (IhwRegistry) reg = NULL;
  IhwDevice *d;

  ihw_test_put_link (root, "class/iommu/ivhd0", "../../devices/pci0000:00/0000:00:00.2/iommu/ivhd0");
  ihw_test_put_file (root, "devices/pci0000:00/0000:00:00.2/iommu/ivhd0/amd-iommu/features", "246577efa2254afa:10\n", -1);
  ihw_test_put_file (root, "devices/pci0000:00/0000:00:00.2/iommu/ivhd0/amd-iommu/cap", "190b3\n", -1);
  mk_device (root, "0000:00:00.2", "0x1022\n", NULL);
  mk_device (root, "0000:00:03.0", "0x1234\n", NULL);
  ihw_test_put_link (root, "devices/pci0000:00/0000:00:03.0/iommu", "../0000:00:00.2/iommu/ivhd0");

  ihw_test_log_clear ();
  reg = ihw_registry_new (&opts);
  g_assert_true (ihw_registry_load (reg, NULL));
  if (ihw_test_log_lines->len)
    ihw_test_log_dump ();
  g_assert_cmpuint (ihw_test_log_lines->len, ==, 0);

  d = ihw_registry_lookup_device (reg, "0000:00:00.2");
  g_assert_null (d->unit); /* the IOMMU itself is behind none */
  d = ihw_registry_lookup_device (reg, "0000:00:03.0");
  g_assert_cmpstr (d->unit, ==, "ivhd0");
  g_assert_cmpint (d->source, ==, IHW_SOURCE_SYSFS);
  g_assert_cmpstr (ihw_registry_lookup_unit (reg, "ivhd0")->features.desc->name, ==, "amd-vi");
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", root);
    g_assert_cmpint (system (cmd), ==, 0);
  }
}

static void
test_missing_root (void)
{
  IhwRegistryOptions opts = { .sysfs_root = "/nonexistent-sysfs-root", .dev_root = "/dev", .probe = FALSE };
  g_autoptr (IhwRegistry) reg = ihw_registry_new (&opts);
  g_autoptr (GError) error = NULL;

  g_assert_false (ihw_registry_load (reg, &error));
  g_assert_error (error, IHW_ERROR, IHW_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "/nonexistent-sysfs-root"));
}

/* ---- refresh and updates: events follow the tree -------------------------- */

static char *
copy_host (const char *host)
{
  g_autofree char *src = host_dir (host);
  char *dst = g_dir_make_tmp ("ihw-host-XXXXXX", NULL);
  g_autofree char *cmd = g_strdup_printf ("cp -a '%s/.' '%s'", src, dst);
  g_assert_cmpint (system (cmd), ==, 0);
  return dst;
}

static void
rm_tree (const char *dir)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  g_assert_cmpint (system (cmd), ==, 0);
}

static void
test_refresh_and_updates (void)
{
  g_autofree char *root = copy_host ("qemu-guest");
  IhwRegistryOptions opts = { .sysfs_root = root, .dev_root = "/nonexistent-dev", .probe = FALSE };
  g_autoptr (IhwRegistry) reg = ihw_registry_new (&opts);
  g_autoptr (GError) error = NULL;
  GString *events = g_string_new (NULL);
  IhwDevice *d;
  guint64 stamp;
  const char *one[] = { "0000:00:02.0", NULL };
  const char *unknown[] = { "0000:00:02.0", "0000:aa:00.0", NULL };
  const char *bad[] = { "0000:00:2.0", NULL };

  ihw_registry_set_listener (reg, ihw_test_record_event, events);
  g_assert_true (ihw_registry_load (reg, &error));
  d = ihw_registry_lookup_device (reg, "0000:00:02.0");
  stamp = d->updated_usec;

  /* Unknown and malformed addresses: nothing refreshed, error names them. */
  g_string_truncate (events, 0);
  g_assert_false (ihw_registry_refresh (reg, unknown, &error));
  g_assert_error (error, IHW_ERROR, IHW_ERROR_NO_SUCH_DEVICE);
  g_assert_nonnull (strstr (error->message, "0000:aa:00.0"));
  g_clear_error (&error);
  g_assert_false (ihw_registry_refresh (reg, bad, &error));
  g_assert_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "0000:00:2.0"));
  g_clear_error (&error);
  g_assert_cmpstr (events->str, ==, "");

  /* Refresh with nothing changed: no event, same record, same stamp. */
  g_assert_true (ihw_registry_refresh (reg, one, &error));
  g_assert_cmpstr (events->str, ==, "");
  g_assert_true (ihw_registry_lookup_device (reg, "0000:00:02.0") == d);
  g_assert_cmpuint (d->updated_usec, ==, stamp);

  /* Rebind in sysfs (virtio-pci -> vfio-pci with a cdev): CHANGED, in place. */
  {
    g_autofree char *drv = g_build_filename (root, "devices/pci0000:00/0000:00:02.0/driver", NULL);
    g_assert_cmpint (g_unlink (drv), ==, 0);
    g_assert_cmpint (symlink ("../../../bus/pci/drivers/vfio-pci", drv), ==, 0);
    ihw_test_put_file (root, "devices/pci0000:00/0000:00:02.0/vfio-dev/vfio1/dev", "246:1\n", -1);
  }
  g_usleep (2);
  g_assert_true (ihw_registry_refresh (reg, one, &error));
  g_assert_cmpstr (events->str, ==, "changed device 0000:00:02.0;");
  g_assert_true (ihw_registry_lookup_device (reg, "0000:00:02.0") == d);
  g_assert_cmpstr (d->driver, ==, "vfio-pci");
  g_assert_cmpstr (d->vfio_cdev, ==, "/nonexistent-dev/vfio/devices/vfio1");
  g_assert_cmpuint (d->updated_usec, >, stamp);

  /* A device disappears: REMOVED, and its unit's list follows (CHANGED). */
  g_string_truncate (events, 0);
  {
    g_autofree char *bus = g_build_filename (root, "bus/pci/devices/0000:00:02.0", NULL);
    g_assert_cmpint (g_unlink (bus), ==, 0);
  }
  ihw_registry_update_device (reg, "0000:00:02.0");
  g_assert_cmpstr (events->str, ==, "removed device 0000:00:02.0;changed unit dmar0;");
  g_assert_null (ihw_registry_lookup_device (reg, "0000:00:02.0"));
  g_assert_cmpuint (ihw_registry_lookup_unit (reg, "dmar0")->devices->len, ==, 1);

  /* It comes back: ADDED, then the unit's list (CHANGED). */
  g_string_truncate (events, 0);
  {
    g_autofree char *bus = g_build_filename (root, "bus/pci/devices/0000:00:02.0", NULL);
    g_assert_cmpint (symlink ("../../../devices/pci0000:00/0000:00:02.0", bus), ==, 0);
  }
  ihw_registry_update_device (reg, "0000:00:02.0");
  g_assert_cmpstr (events->str, ==, "added device 0000:00:02.0;changed unit dmar0;");

  /* A unit goes away: its devices drop it (CHANGED), then it is REMOVED. */
  g_string_truncate (events, 0);
  {
    g_autofree char *cls = g_build_filename (root, "class/iommu/dmar0", NULL);
    g_assert_cmpint (g_unlink (cls), ==, 0);
    g_autofree char *kobj = g_build_filename (root, "devices/virtual/iommu/dmar0", NULL);
    rm_tree (kobj);
  }
  ihw_test_log_clear ();
  ihw_registry_update_unit (reg, "dmar0");
  g_assert_cmpstr (events->str, ==, "changed device 0000:00:01.0;changed device 0000:00:02.0;removed unit dmar0;");
  g_assert_null (ihw_registry_lookup_device (reg, "0000:00:01.0")->unit);
  ihw_assert_logged ("WARNING", "0000:00:01.0/iommu", "dangling symlink");

  /* Full refresh on an unchanged tree: nothing. */
  g_string_truncate (events, 0);
  ihw_test_log_clear ();
  g_assert_true (ihw_registry_refresh (reg, NULL, &error));
  g_assert_cmpstr (events->str, ==, "");

  g_string_free (events, TRUE);
  rm_tree (root);
}

/* A directory that exists but cannot be listed is no evidence that what
 * it held is gone: start-up fails naming it, a full Refresh fails and
 * keeps every record (async and sync). */
static void
refresh_failed (IhwRegistry *reg, const GError *error, gpointer data)
{
  *(GError **) data = g_error_copy (error);
}

static void
test_unlistable (void)
{
  g_autofree char *root = copy_host ("mixed-two-unit");
  g_autofree char *devices = g_build_filename (root, "bus/pci/devices", NULL);
  g_autofree char *aside = g_build_filename (root, "bus/pci/devices.aside", NULL);
  IhwRegistryOptions opts = { .sysfs_root = root, .dev_root = "/nonexistent-dev", .probe = FALSE };
  g_autoptr (IhwRegistry) reg = ihw_registry_new (&opts);
  g_autoptr (IhwRegistry) fresh = ihw_registry_new (&opts);
  g_autoptr (GError) error = NULL;
  GError *async_error = NULL;
  guint before;

  g_assert_true (ihw_registry_load (reg, &error));
  before = ihw_registry_get_devices (reg)->len;
  g_assert_cmpuint (before, ==, 3);

  /* ENOTDIR, as root cannot be kept out by permissions. */
  g_assert_cmpint (g_rename (devices, aside), ==, 0);
  g_assert_true (g_file_set_contents (devices, "", 0, NULL));
  ihw_test_log_clear ();

  g_assert_false (ihw_registry_refresh (reg, NULL, &error));
  g_assert_error (error, IHW_ERROR, IHW_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "bus/pci/devices: cannot list"));
  g_assert_cmpuint (ihw_registry_get_devices (reg)->len, ==, before);
  g_clear_error (&error);

  ihw_registry_refresh_all_async (reg, refresh_failed, &async_error);
  while (!async_error)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (async_error, IHW_ERROR, IHW_ERROR_FAILED);
  g_clear_error (&async_error);
  g_assert_cmpuint (ihw_registry_get_devices (reg)->len, ==, before);
  ihw_assert_logged ("WARNING", "Refresh", "keeping what was known");

  g_assert_false (ihw_registry_load (fresh, &error));
  g_assert_nonnull (strstr (error->message, "bus/pci/devices: cannot list"));

  rm_tree (root);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  ihw_test_log_init ();

  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      g_autofree char *path = g_strdup_printf ("/registry/host/%s", hosts[i].host);
      g_test_add_data_func (path, &hosts[i], test_recorded_host);
    }
  g_test_add_func ("/registry/facts-to-verdict", test_facts_to_verdict);
  g_test_add_func ("/registry/topology-facts", test_topology_facts);
  g_test_add_func ("/registry/bad-sysfs", test_bad_sysfs);
  g_test_add_func ("/registry/host-aw-bits-sysfs", test_host_aw_bits_sysfs);
  g_test_add_func ("/registry/missing-root", test_missing_root);
  g_test_add_func ("/registry/amd-iommu-own-function", test_amd_iommu_own_function);
  g_test_add_func ("/registry/refresh-and-updates", test_refresh_and_updates);
  g_test_add_func ("/registry/unlistable", test_unlistable);
  return g_test_run ();
}
