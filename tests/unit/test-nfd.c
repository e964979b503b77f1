/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * common/ihw-nfd.c: the NFD labels the daemon's file and `iommu-hwinfoctl
 * nfd` share, the choice of devices, and the atomic write.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ihw-error.h"
#include "ihw-nfd.h"

static void
test_prefix (void)
{
  g_assert_true (ihw_nfd_prefix_valid ("feature.node.kubernetes.io"));
  g_assert_true (ihw_nfd_prefix_valid ("example.com"));
  g_assert_false (ihw_nfd_prefix_valid (""));
  g_assert_false (ihw_nfd_prefix_valid ("Example.com"));
  g_assert_false (ihw_nfd_prefix_valid ("example.com/x"));
  g_assert_false (ihw_nfd_prefix_valid ("-example.com"));
}

static GVariant *
intel_config (void)
{
  GVariantBuilder b;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&b, "{sv}", "pasid-bits", g_variant_new_uint32 (20));
  g_variant_builder_add (&b, "{sv}", "aw-bits", g_variant_new_uint32 (48));
  g_variant_builder_add (&b, "{sv}", "qemu-version", g_variant_new_string ("11.0"));
  g_variant_builder_add (&b, "{sv}", "fs1gp", g_variant_new_boolean (TRUE));
  return g_variant_ref_sink (g_variant_builder_end (&b));
}

static void
test_labels (void)
{
  g_autoptr (IhwNfdLabels) l = ihw_nfd_labels_new (NULL);
  g_autoptr (GVariant) config = intel_config ();
  const char *devices[] = { "0000:3a:00.0", NULL };
  g_autofree char *text = NULL;

  ihw_nfd_labels_add_iommufd (l, TRUE);
  ihw_nfd_labels_add_model (l, IHW_MODEL_INTEL, IHW_VERDICT_SUPPORTED, config);
  /* A model that cannot nest carries no configuration, whatever is passed. */
  ihw_nfd_labels_add_model (l, IHW_MODEL_SMMUV3, IHW_VERDICT_UNKNOWN, config);
  text = ihw_nfd_labels_to_text (l, "test", "vfio-pci devices", devices);
  /* SPEC key order (qemu-version first), '-' -> '_', decimal and true/false. */
  g_assert_cmpstr (text, ==,
                   "# test: vIOMMU nested translation on this host (iommu-hwinfod)\n"
                   "# judged over vfio-pci devices: 0000:3a:00.0\n"
                   "feature.node.kubernetes.io/iommu.iommufd=true\n"
                   "feature.node.kubernetes.io/iommu.nesting.intel=true\n"
                   "feature.node.kubernetes.io/iommu.intel.qemu_version=11.0\n"
                   "feature.node.kubernetes.io/iommu.intel.aw_bits=48\n"
                   "feature.node.kubernetes.io/iommu.intel.fs1gp=true\n"
                   "feature.node.kubernetes.io/iommu.intel.pasid_bits=20\n"
                   "feature.node.kubernetes.io/iommu.nesting.smmuv3=false\n");
  g_assert_cmpuint (l->skipped->len, ==, 0);
}

static void
test_labels_bare_and_invalid (void)
{
  g_autoptr (IhwNfdLabels) l = ihw_nfd_labels_new ("");
  GVariantBuilder b;
  g_autoptr (GVariant) config = NULL;

  /* A value that is not a label value (a space) is left out and reported. */
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&b, "{sv}", "qemu-version", g_variant_new_string ("11.0 beta"));
  config = g_variant_ref_sink (g_variant_builder_end (&b));
  ihw_nfd_labels_add_model (l, IHW_MODEL_INTEL, IHW_VERDICT_SUPPORTED, config);
  g_assert_cmpuint (l->names->len, ==, 1);
  g_assert_cmpstr (l->names->pdata[0], ==, "iommu.nesting.intel");
  g_assert_cmpuint (l->skipped->len, ==, 1);
  g_assert_cmpstr (l->skipped->pdata[0], ==, "iommu.intel.qemu_version=11.0 beta");
}

static void
test_pick_devices (void)
{
  const IhwNfdDevice some_vfio[] = {
    { "0000:00:1f.6", "e1000e", TRUE },
    { "0000:3a:00.0", "vfio-pci", TRUE },
    { "0000:00:14.0", "", FALSE },
  };
  const IhwNfdDevice no_vfio[] = {
    { "0000:00:1f.6", "e1000e", TRUE },
    { "0000:00:14.0", "xhci_hcd", FALSE },
  };
  /* A driver link that could not be read: it may be vfio-pci. */
  const IhwNfdDevice unknown_driver[] = {
    { "0000:00:1f.6", "e1000e", TRUE },
    { "0000:3b:00.0", NULL, TRUE },
  };
  const char *which = NULL;
  g_autoptr (GPtrArray) a = ihw_nfd_pick_devices (some_vfio, G_N_ELEMENTS (some_vfio), &which);
  g_autoptr (GPtrArray) b = NULL, c = NULL, d = NULL;

  g_assert_cmpuint (a->len, ==, 2);
  g_assert_cmpstr (a->pdata[0], ==, "0000:3a:00.0");
  g_assert_null (a->pdata[1]);
  g_assert_cmpstr (which, ==, "vfio-pci devices");

  b = ihw_nfd_pick_devices (no_vfio, G_N_ELEMENTS (no_vfio), &which);
  g_assert_cmpuint (b->len, ==, 2);
  g_assert_cmpstr (b->pdata[0], ==, "0000:00:1f.6");
  g_assert_cmpstr (which, ==, "no vfio-pci device; every device behind an IOMMU");

  c = ihw_nfd_pick_devices (NULL, 0, &which);
  g_assert_cmpuint (c->len, ==, 1);
  g_assert_null (c->pdata[0]);

  d = ihw_nfd_pick_devices (unknown_driver, G_N_ELEMENTS (unknown_driver), &which);
  g_assert_cmpuint (d->len, ==, 2);
  g_assert_cmpstr (d->pdata[0], ==, "0000:3b:00.0");
  g_assert_cmpstr (which, ==, "vfio-pci devices");
}

static void
test_write_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ihw-nfd-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "iommu-hwinfo", NULL);
  g_autofree char *missing = g_build_filename (dir, "no-such-dir", "iommu-hwinfo", NULL);
  g_autofree char *text = NULL;
  struct stat st;

  g_assert_no_error (error);
  /* UMask=0077 under systemd: the file is still readable by NFD. */
  umask (0077);
  g_assert_true (ihw_nfd_write_file (path, "a=1\n", &error));
  g_assert_no_error (error);
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0644);
  g_assert_true (ihw_nfd_write_file (path, "a=2\n", &error));
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "a=2\n");

  /* A failure names the file and leaves nothing behind. */
  g_assert_false (ihw_nfd_write_file (missing, "a=3\n", &error));
  g_assert_error (error, IHW_ERROR, IHW_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "no-such-dir"));
  {
    g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;
    guint n = 0;
    while ((name = g_dir_read_name (d)))
      {
        g_assert_cmpstr (name, ==, "iommu-hwinfo");
        n++;
      }
    g_assert_cmpuint (n, ==, 1);
  }
  g_assert_cmpint (unlink (path), ==, 0);
  g_assert_cmpint (rmdir (dir), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/nfd/prefix", test_prefix);
  g_test_add_func ("/nfd/labels", test_labels);
  g_test_add_func ("/nfd/labels-bare-and-invalid", test_labels_bare_and_invalid);
  g_test_add_func ("/nfd/pick-devices", test_pick_devices);
  g_test_add_func ("/nfd/write-file", test_write_file);
  return g_test_run ();
}
