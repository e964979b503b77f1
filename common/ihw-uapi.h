/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mirror of the iommufd / VFIO-cdev uapi that iommu-hwinfod uses.
 *
 * Debian bookworm's linux-libc-dev is 6.1 and has no <linux/iommufd.h>, so
 * the project carries these definitions itself.  Names and layouts are the
 * kernel's (include/uapi/linux/iommufd.h, include/uapi/linux/vfio.h); every
 * struct size is asserted.  When a system header is present (meson defines
 * IHW_HAVE_LINUX_IOMMUFD_H) we include it instead of declaring the structs,
 * and the asserts below then check that the system header agrees with the
 * layout this project was written against.
 *
 * Newer kernels only ever grow these structs at the end; fields the system
 * header may lack (out_max_pasid_log2 before 6.11, AMD hw_info before 6.19,
 * ...) are accessed through the IHW_ offsets below, never by name, so the
 * code builds against any header version.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#ifdef IHW_HAVE_LINUX_IOMMUFD_H
#include <linux/iommufd.h>
#include <linux/vfio.h>
#define IHW_UAPI_FROM_SYSTEM 1
#else
#define IHW_UAPI_FROM_SYSTEM 0

#define IOMMUFD_TYPE (';')

enum {
  IOMMUFD_CMD_BASE = 0x80,
  IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE,
  IOMMUFD_CMD_IOAS_ALLOC,
  IOMMUFD_CMD_IOAS_ALLOW_IOVAS,
  IOMMUFD_CMD_IOAS_COPY,
  IOMMUFD_CMD_IOAS_IOVA_RANGES,
  IOMMUFD_CMD_IOAS_MAP,
  IOMMUFD_CMD_IOAS_UNMAP,
  IOMMUFD_CMD_OPTION,
  IOMMUFD_CMD_VFIO_IOAS,
  IOMMUFD_CMD_HWPT_ALLOC,
  IOMMUFD_CMD_GET_HW_INFO,
};

struct iommu_destroy {
  uint32_t size;
  uint32_t id;
};
#define IOMMU_DESTROY _IO (IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

struct iommu_ioas_alloc {
  uint32_t size;
  uint32_t flags;
  uint32_t out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO (IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

struct iommu_iova_range {
  uint64_t start __attribute__ ((aligned (8)));
  uint64_t last __attribute__ ((aligned (8)));
};

struct iommu_ioas_iova_ranges {
  uint32_t size;
  uint32_t ioas_id;
  uint32_t num_iovas;
  uint32_t __reserved;
  uint64_t allowed_iovas __attribute__ ((aligned (8)));
  uint64_t out_iova_alignment __attribute__ ((aligned (8)));
};
#define IOMMU_IOAS_IOVA_RANGES _IO (IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)

enum iommufd_hwpt_alloc_flags {
  IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,
  IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1,
};

struct iommu_hwpt_alloc {
  uint32_t size;
  uint32_t flags;
  uint32_t dev_id;
  uint32_t pt_id;
  uint32_t out_hwpt_id;
  uint32_t __reserved;
  uint32_t data_type;
  uint32_t data_len;
  uint64_t data_uptr __attribute__ ((aligned (8)));
};
#define IOMMU_HWPT_ALLOC _IO (IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)

struct iommu_hw_info_vtd {
  uint32_t flags;
  uint32_t __reserved;
  uint64_t cap_reg __attribute__ ((aligned (8)));
  uint64_t ecap_reg __attribute__ ((aligned (8)));
};

enum iommu_hw_info_type {
  IOMMU_HW_INFO_TYPE_NONE = 0,
  IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,
};

/* Since 6.11 the u32 __reserved after out_data_type is out_max_pasid_log2 +
 * 3 reserved bytes; 6.12 has that layout, which is the one mirrored. */
struct iommu_hw_info {
  uint32_t size;
  uint32_t flags;
  uint32_t dev_id;
  uint32_t data_len;
  uint64_t data_uptr __attribute__ ((aligned (8)));
  uint32_t out_data_type;
  uint8_t out_max_pasid_log2;
  uint8_t __reserved[3];
  uint64_t out_capabilities __attribute__ ((aligned (8)));
};
#define IOMMU_GET_HW_INFO _IO (IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)

/* include/uapi/linux/vfio.h: VFIO_TYPE is also ';', VFIO_BASE 100. */
struct vfio_device_bind_iommufd {
  uint32_t argsz;
  uint32_t flags;
  int32_t iommufd;
  uint32_t out_devid;
};
#define VFIO_DEVICE_BIND_IOMMUFD _IO (';', 100 + 18)

/* 6.6; 6.13 appends a u32 pasid (with a flag): argsz up to pt_id is enough. */
struct vfio_device_attach_iommufd_pt {
  uint32_t argsz;
  uint32_t flags;
  uint32_t pt_id;
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO (';', 100 + 19)

struct vfio_device_detach_iommufd_pt {
  uint32_t argsz;
  uint32_t flags;
};
#define VFIO_DEVICE_DETACH_IOMMUFD_PT _IO (';', 100 + 20)
#endif /* !IHW_HAVE_LINUX_IOMMUFD_H */

/*
 * Types, flags and structs newer than some kernel headers.  Defined with our
 * own IHW_ names so they never collide with a system header that has them.
 */
enum {
  IHW_HW_INFO_TYPE_NONE = 0,
  IHW_HW_INFO_TYPE_INTEL_VTD = 1,       /* 6.6 */
  IHW_HW_INFO_TYPE_ARM_SMMUV3 = 2,      /* 6.13 */
  IHW_HW_INFO_TYPE_TEGRA241_CMDQV = 3,  /* 6.17 */
  IHW_HW_INFO_TYPE_AMD = 4,             /* after 6.18 */
};

#define IHW_HW_INFO_FLAG_INPUT_TYPE (1u << 0)        /* 6.17 */
#define IHW_HW_INFO_VTD_ERRATA_772415_SPR17 (1u << 0)
#define IHW_HW_INFO_ARM_SMMUV3_ERRATA_REPEAT_TLBI_CFGI (1u << 0)

#define IHW_HW_CAP_DIRTY_TRACKING (1ull << 0)
#define IHW_HW_CAP_PCI_PASID_EXEC (1ull << 1)
#define IHW_HW_CAP_PCI_PASID_PRIV (1ull << 2)
#define IHW_HW_CAP_PCI_ATS_NOT_SUPPORTED (1ull << 3)

struct ihw_hw_info_arm_smmuv3 {
  uint32_t flags;
  uint32_t __reserved;
  uint32_t idr[6];
  uint32_t iidr;
  uint32_t aidr;
};

struct ihw_hw_info_tegra241_cmdqv {
  uint32_t flags;
  uint8_t version;
  uint8_t log2vcmdqs;
  uint8_t log2vsids;
  uint8_t __reserved;
};

struct ihw_hw_info_amd {
  uint64_t efr __attribute__ ((aligned (8)));
  uint64_t efr2 __attribute__ ((aligned (8)));
};

/* Offsets inside struct iommu_hw_info that older headers do not name. */
#define IHW_HW_INFO_OFF_MAX_PASID_LOG2 28
#define IHW_HW_INFO_OFF_CAPABILITIES 32

/* Sizes the kernel ABI fixes.  Checked against whichever header is in use. */
_Static_assert (sizeof (struct iommu_hw_info) == 40, "iommu_hw_info is 40 bytes");
_Static_assert (offsetof (struct iommu_hw_info, out_data_type) == 24, "out_data_type at 24");
_Static_assert (offsetof (struct iommu_hw_info, out_capabilities) == IHW_HW_INFO_OFF_CAPABILITIES,
                "out_capabilities at 32");
_Static_assert (sizeof (struct iommu_hw_info_vtd) == 24, "iommu_hw_info_vtd is 24 bytes");
_Static_assert (offsetof (struct iommu_hw_info_vtd, cap_reg) == 8, "vtd cap_reg at 8");
_Static_assert (sizeof (struct ihw_hw_info_arm_smmuv3) == 40, "iommu_hw_info_arm_smmuv3 is 40 bytes");
_Static_assert (sizeof (struct ihw_hw_info_tegra241_cmdqv) == 8, "iommu_hw_info_tegra241_cmdqv is 8 bytes");
_Static_assert (offsetof (struct ihw_hw_info_tegra241_cmdqv, version) == 4
                && offsetof (struct ihw_hw_info_tegra241_cmdqv, log2vsids) == 6,
                "tegra241_cmdqv: u32 flags, then version, log2vcmdqs, log2vsids");
_Static_assert (sizeof (struct ihw_hw_info_amd) == 16, "iommu_hw_info_amd is 16 bytes");
_Static_assert (sizeof (struct iommu_hwpt_alloc) == 40, "iommu_hwpt_alloc is 40 bytes");
_Static_assert (offsetof (struct iommu_hwpt_alloc, data_uptr) == 32, "hwpt data_uptr at 32");
_Static_assert (sizeof (struct iommu_ioas_alloc) == 12, "iommu_ioas_alloc is 12 bytes");
_Static_assert (sizeof (struct iommu_destroy) == 8, "iommu_destroy is 8 bytes");
_Static_assert (sizeof (struct vfio_device_bind_iommufd) == 16, "vfio_device_bind_iommufd is 16 bytes");
_Static_assert (IOMMU_GET_HW_INFO == 0x3b8a, "IOMMU_GET_HW_INFO is _IO(';', 0x8a)");
_Static_assert (IOMMU_HWPT_ALLOC == 0x3b89, "IOMMU_HWPT_ALLOC is _IO(';', 0x89)");
_Static_assert (IOMMU_IOAS_ALLOC == 0x3b81, "IOMMU_IOAS_ALLOC is _IO(';', 0x81)");
_Static_assert (IOMMU_DESTROY == 0x3b80, "IOMMU_DESTROY is _IO(';', 0x80)");
_Static_assert (VFIO_DEVICE_BIND_IOMMUFD == 0x3b76, "VFIO_DEVICE_BIND_IOMMUFD is _IO(';', 118)");
_Static_assert (IOMMU_HWPT_ALLOC_NEST_PARENT == 1, "NEST_PARENT is bit 0");
_Static_assert (sizeof (struct iommu_iova_range) == 16, "iommu_iova_range is 16 bytes");
_Static_assert (sizeof (struct iommu_ioas_iova_ranges) == 32, "iommu_ioas_iova_ranges is 32 bytes");
_Static_assert (offsetof (struct iommu_ioas_iova_ranges, allowed_iovas) == 16, "allowed_iovas at 16");
_Static_assert (offsetof (struct vfio_device_attach_iommufd_pt, pt_id) == 8, "attach pt_id at 8");
_Static_assert (sizeof (struct vfio_device_detach_iommufd_pt) == 8, "vfio_device_detach_iommufd_pt is 8 bytes");
_Static_assert (IOMMU_IOAS_IOVA_RANGES == 0x3b84, "IOMMU_IOAS_IOVA_RANGES is _IO(';', 0x84)");
_Static_assert (VFIO_DEVICE_ATTACH_IOMMUFD_PT == 0x3b77, "VFIO_DEVICE_ATTACH_IOMMUFD_PT is _IO(';', 119)");
_Static_assert (VFIO_DEVICE_DETACH_IOMMUFD_PT == 0x3b78, "VFIO_DEVICE_DETACH_IOMMUFD_PT is _IO(';', 120)");
