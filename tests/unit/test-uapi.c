/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The uapi mirror at run time: what the static asserts promise, checked
 * again on the values the kernel ABI fixes (FACTS.md). */
#include <stddef.h>

#include <glib.h>

#include "ihw-uapi.h"

static void
test_numbers (void)
{
  g_assert_cmphex (IOMMU_GET_HW_INFO, ==, 0x3b8a);
  g_assert_cmphex (IOMMU_HWPT_ALLOC, ==, 0x3b89);
  g_assert_cmphex (IOMMU_IOAS_ALLOC, ==, 0x3b81);
  g_assert_cmphex (IOMMU_DESTROY, ==, 0x3b80);
  g_assert_cmphex (VFIO_DEVICE_BIND_IOMMUFD, ==, 0x3b76);
}

static void
test_layout (void)
{
  struct iommu_hw_info info = { 0 };
  guint8 *p = (guint8 *) &info;

  g_assert_cmpuint (sizeof info, ==, 40);
  g_assert_cmpuint (offsetof (struct iommu_hw_info, data_uptr), ==, 16);
  g_assert_cmpuint (offsetof (struct iommu_hw_info, out_data_type), ==, 24);
  /* out_max_pasid_log2 is the byte at 28 (the old u32 __reserved's first byte) */
  p[IHW_HW_INFO_OFF_MAX_PASID_LOG2] = 20;
  g_assert_cmpuint (((guint8 *) &info)[28], ==, 20);
  g_assert_cmpuint (offsetof (struct iommu_hwpt_alloc, data_type), ==, 24);
  g_assert_cmpuint (offsetof (struct vfio_device_bind_iommufd, out_devid), ==, 12);
  g_test_message ("uapi from %s", IHW_UAPI_FROM_SYSTEM ? "<linux/iommufd.h>" : "the project's mirror");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/uapi/numbers", test_numbers);
  g_test_add_func ("/uapi/layout", test_layout);
  return g_test_run ();
}
