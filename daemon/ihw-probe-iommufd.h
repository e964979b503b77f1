/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The iommufd probe (SPEC §3.1): ask the kernel itself what IOMMU a
 * vfio-pci device sits behind.  One long-lived /dev/iommu fd; per device the
 * VFIO cdev is opened, bound, asked (IOMMU_GET_HW_INFO, then a NEST_PARENT
 * HWPT on a fresh IOAS, then attached to another fresh IOAS for its IOVA
 * ranges, and detached) and closed again before the function returns, which
 * unbinds it and releases DMA ownership: the daemon never holds a device
 * open longer than one probe.
 *
 * Synchronous: every step is one ioctl that the kernel answers at once.
 */
#pragma once

#include <glib.h>

#include "ihw-hwinfo.h"
#include "ihw-types.h"

G_BEGIN_DECLS

typedef struct _IhwIommufd IhwIommufd;

/* Opens <dev_root>/iommu.  Fails (IHW_ERROR_NOT_SUPPORTED when the node is
 * missing, i.e. a kernel without CONFIG_IOMMUFD) with a message naming the
 * path, the call and errno. */
IhwIommufd *ihw_iommufd_open (const char *dev_root, GError **error);
void ihw_iommufd_close (IhwIommufd *fd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IhwIommufd, ihw_iommufd_close)

typedef enum {
  IHW_PROBE_OK = 0,       /* GET_HW_INFO answered (nest_parent may still be unknown) */
  IHW_PROBE_IN_USE,       /* someone else holds the device (a VMM): `holder` says how */
  IHW_PROBE_UNSUPPORTED,  /* the kernel lacks the call (ENOTTY, ENOENT, EOPNOTSUPP): too old */
  IHW_PROBE_FAILED,       /* anything else */
} IhwProbeStatus;

/* How another process holds a device, as VFIO_DEVICE_BIND_IOMMUFD tells. */
typedef enum {
  IHW_HOLDER_NONE = 0,
  IHW_HOLDER_VFIO_GROUP,  /* EBUSY: the legacy /dev/vfio/<group> path has the group open */
  IHW_HOLDER_IOMMUFD,     /* EINVAL while enabled: its cdev is bound to another iommufd (QEMU's way) */
} IhwProbeHolder;

/* "a VFIO group (legacy container)", "another iommufd (VFIO cdev)"; "" for NONE. */
const char *ihw_probe_holder_describe (IhwProbeHolder holder);

typedef struct {
  IhwProbeStatus status;
  IhwProbeHolder holder;    /* IHW_PROBE_IN_USE only */
  char *error;              /* "0000:3a:00.0: VFIO_DEVICE_BIND_IOMMUFD: Device or resource busy"; NULL on full success */

  /* IHW_PROBE_OK only: */
  guint32 hw_info_type;     /* out_data_type */
  guint32 data_len;         /* the length the kernel wrote back (may exceed the bytes kept) */
  GBytes *data;             /* the bytes the kernel copied: MIN (data_len, IHW_HW_INFO_BUF_SIZE) */
  guint64 capabilities;     /* out_capabilities (0 on kernels before 6.7) */
  guint8 max_pasid_log2;    /* out_max_pasid_log2 (0 on kernels before 6.11) */
  gboolean parsed;          /* ihw_hw_info_parse() accepted `data` */
  IhwHwInfo info;           /* when parsed */
  IhwNestParent nest_parent;
  /* The add-on the kernel reports only when asked for by type (Tegra241
   * CMDQV on an SMMUv3): ihw_vendor_desc_addon_of (hw_info_type), NULL when
   * the type has none; then the answer and, when YES, its bytes. */
  const IhwVendorDesc *addon;
  IhwTristate addon_answer;
  GBytes *addon_data;
  guint8 host_aw_bits;      /* QEMU's host aw-bits from IOMMU_IOAS_IOVA_RANGES; 0 unknown */
} IhwProbeResult;

void ihw_probe_result_free (IhwProbeResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IhwProbeResult, ihw_probe_result_free)

/* Probe one device through its VFIO cdev.  Never fails as a call: the
 * outcome and any error text are in the result.  `enable_attr` is the
 * device's sysfs `enable` file (PCI enable count), read only to tell a
 * device bound elsewhere from a real EINVAL; NULL: cannot tell. */
IhwProbeResult *ihw_probe_device (IhwIommufd *fd, const char *address, const char *cdev_path,
                                  const char *enable_attr);

/* Asks the kernel for hw_info type `wanted` of the device bound to `fd` as
 * `dev_id`, whose default answer is `own_type`, and says what the answers
 * mean (ihw_hw_info_ask_step()).  *data_out: the bytes when YES;
 * *error_out: a call that failed unexpectedly, naming it and errno. */
IhwTristate ihw_probe_hw_info_type (IhwIommufd *fd, const char *address, guint32 dev_id, guint32 wanted,
                                    guint32 own_type, GBytes **data_out, char **error_out);
/* The /dev/iommu fd itself (a test binds a device to it). */
int ihw_iommufd_get_fd (IhwIommufd *fd);

G_END_DECLS
