/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-names.h"

static void
test_pci_address (void)
{
  static const char *const good[] = { "0000:3a:00.0", "0000:00:1f.7", "ffff:FF:00.1", NULL };
  static const char *const bad[] = { "", "0000:3a:00", "0000:3a:00.8", "0000:3a:20.0", "000:3a:00.0",
                                     "0000:3a:00.0 ", "0000-3a-00.0", "0000:3g:00.0", "0000:3a:00.00",
                                     "../../../etc", NULL };
  for (guint i = 0; good[i]; i++)
    g_assert_true (ihw_pci_address_valid (good[i]));
  for (guint i = 0; bad[i]; i++)
    g_assert_false (ihw_pci_address_valid (bad[i]));
  g_assert_false (ihw_pci_address_valid (NULL));
  {
    g_autofree char *n = ihw_pci_address_normalize ("FFFF:FF:00.1");
    g_assert_cmpstr (n, ==, "ffff:ff:00.1");
  }
}

static void
test_paths (void)
{
  g_autofree char *d = ihw_device_object_path ("0000:3a:00.0");
  g_autofree char *u = ihw_unit_object_path ("dmar0");
  g_autofree char *e = ihw_object_path_escape ("");
  g_assert_cmpstr (d, ==, "/io/iommuhwinfo1/device/0000_3a_00_0");
  g_assert_cmpstr (u, ==, "/io/iommuhwinfo1/unit/dmar0");
  g_assert_cmpstr (e, ==, "_");
}

/* Two units whose names differ only where the old escaping wrote '_' used
 * to share a path (the daemon stopped at start-up, Refresh dropped one). */
static void
test_paths_one_to_one (void)
{
  static const char *const names[] = { "dmar.1", "dmar_1", "dmar-1", "dmar:1", "dmar1", "", "_", "a_5f",
                                       "smmu3.0x0000000005000000", "ivhd0", "\xff\n", NULL };
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; names[i]; i++)
    {
      g_autofree char *path = ihw_unit_object_path (names[i]);
      g_autofree char *back = ihw_unit_path_name (path);
      g_assert_true (g_variant_is_object_path (path));
      g_assert_false (g_hash_table_contains (seen, path));
      g_hash_table_add (seen, g_strdup (path));
      g_assert_cmpstr (back, ==, names[i]);
    }
  {
    g_autofree char *a = ihw_unit_object_path ("dmar.1");
    g_autofree char *b = ihw_unit_object_path ("dmar_1");
    g_assert_cmpstr (a, ==, "/io/iommuhwinfo1/unit/dmar_2e1");
    g_assert_cmpstr (b, ==, "/io/iommuhwinfo1/unit/dmar_5f1");
  }
  /* Only what escape writes unescapes. */
  for (guint i = 0; i < 6; i++)
    {
      static const char *const bad[] = { "a_", "a_2", "a_2E", "a_41", "a_00", "a_zz" };
      g_assert_null (ihw_object_path_unescape (bad[i]));
    }
  {
    g_autofree char *addr = ihw_device_path_address ("/io/iommuhwinfo1/device/0000_3a_00_0");
    g_autofree char *upper = ihw_device_path_address ("/io/iommuhwinfo1/device/0000_3A_00_0");
    g_assert_cmpstr (addr, ==, "0000:3a:00.0");
    g_assert_null (upper);
  }
  g_assert_true (ihw_pci_address_canonical ("0000:3a:00.0"));
  g_assert_false (ihw_pci_address_canonical ("0000:3A:00.0"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/names/pci-address", test_pci_address);
  g_test_add_func ("/names/paths", test_paths);
  g_test_add_func ("/names/paths-one-to-one", test_paths_one_to_one);
  return g_test_run ();
}
