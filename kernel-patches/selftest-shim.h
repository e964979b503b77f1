/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Force-included (gcc -include) only when build.sh compiles Debian's own
 * 6.12 iommufd selftest against the *unpatched* 6.12 headers.  That selftest
 * was partly taken from a newer kernel and uses five names its own headers do
 * not have; each is given here with its mainline value, nothing else.  The
 * patched build does not use this file.
 */
#ifndef IHW_SELFTEST_SHIM_H
#define IHW_SELFTEST_SHIM_H

/* include/uapi/linux/iommufd.h (mainline 6.17) */
#define IOMMU_HW_INFO_TYPE_DEFAULT 0
#define IOMMU_HW_INFO_FLAG_INPUT_TYPE (1 << 0)
/* mainline: union { __u32 in_data_type; __u32 out_data_type; } */
#define in_data_type out_data_type

/* drivers/iommu/iommufd/iommufd_test.h (mainline 6.15) */
#define MOCK_FLAGS_DEVICE_PASID (1 << 2)
#define MOCK_PASID_WIDTH 20

#endif
