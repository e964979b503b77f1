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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/names/pci-address", test_pci_address);
  g_test_add_func ("/names/paths", test_paths);
  return g_test_run ();
}
