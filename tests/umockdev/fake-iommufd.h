/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fake kernel for /dev/iommu and /dev/vfio/devices/vfioN, on umockdev's
 * ioctl emulation: a UMockdevIoctlBase subclass whose handle_ioctl answers
 * VFIO_DEVICE_BIND_IOMMUFD, IOMMU_GET_HW_INFO, IOMMU_IOAS_ALLOC,
 * IOMMU_HWPT_ALLOC, IOMMU_DESTROY, VFIO_DEVICE_ATTACH/DETACH_IOMMUFD_PT and
 * IOMMU_IOAS_IOVA_RANGES the way 6.12 does (FACTS.md), with
 * knobs for the failures a test wants, and counters of what it saw.
 *
 * umockdev runs handlers in its own worker thread while the calling thread
 * blocks in ioctl(); counters are atomics so the test thread reads them
 * safely afterwards.
 */
#pragma once

#include <glib-object.h>
#include <umockdev.h>

G_BEGIN_DECLS

/* Who else holds the device, as the kernel sees it. */
typedef enum {
  FAKE_HOLDER_NONE = 0,
  FAKE_HOLDER_VFIO_GROUP,  /* group open through /dev/vfio/<group>: bind fails EBUSY */
  FAKE_HOLDER_IOMMUFD,     /* cdev bound to another iommufd: bind fails EINVAL, PCI `enable` is 1 */
} FakeHolder;

typedef struct {
  /* Knobs (set before the call under test). */
  FakeHolder holder;          /* set with fake_iommufd_hold (), which also writes sysfs `enable` */
  int bind_errno;             /* 0: bind succeeds, out_devid = FAKE_DEV_ID (checked after `holder`) */
  int hw_info_errno;
  guint32 hw_type;            /* out_data_type */
  guint8 hw_data[64];         /* what the kernel has */
  guint32 hw_len;             /* its length (written back into data_len) */
  guint8 max_pasid_log2;
  guint64 capabilities;
  /* IOMMU_HW_INFO_FLAG_INPUT_TYPE (6.17, kernel-patches/0001): FALSE answers
   * any flag with EOPNOTSUPP, as 6.12 does.  With it, in_data_type DEFAULT
   * or hw_type is the answer above, addon_type (0: none) the add-on's, any
   * other type EOPNOTSUPP, as mainline drivers do. */
  gboolean knows_input_type;
  guint32 addon_type;
  guint8 addon_data[16];
  guint32 addon_len;
  int input_type_errno;       /* 0, or the errno for every call with the flag */
  int ioas_errno;
  int hwpt_errno;             /* 0: NEST_PARENT allocation succeeds */
  int attach_errno, detach_errno, ranges_errno;
  guint64 iova[8][2];         /* the attached IOAS's allowed (start, last) ranges */
  guint n_iova;

  /* What the fake saw. */
  gint opens_iommu, opens_vfio;
  gint binds, hw_infos, ioas_allocs, hwpt_allocs, destroys, bad_args;
  gint attaches, detaches, ranges_calls;
  gboolean attached;          /* a device is attached to the IOAS now */
  guint32 last_bind_argsz, last_hw_info_size, last_hw_info_data_len, last_hwpt_flags;
  guint32 last_hw_info_flags, last_in_data_type;
  gboolean hwpt_pt_was_ioas;
} FakeIommufd;

#define FAKE_DEV_ID 7
#define FAKE_IOAS_ID 3
#define FAKE_HWPT_ID 9

#define FAKE_TYPE_IOCTL_HANDLER (fake_ioctl_handler_get_type ())
G_DECLARE_FINAL_TYPE (FakeIoctlHandler, fake_ioctl_handler, FAKE, IOCTL_HANDLER, UMockdevIoctlBase)

FakeIoctlHandler *fake_ioctl_handler_new (FakeIommufd *state);

/* A VT-d hw_info reply as measured on 6.12: type 1, len 24, flags 1 (SPR17). */
void fake_iommufd_set_vtd (FakeIommufd *f, guint64 cap, guint64 ecap);

/* An SMMUv3 hw_info reply (type 2, len 40): a nesting-capable SMMU's ID
 * registers (S1P, S2P, 2-level stream table, 16-bit StreamIDs). */
void fake_iommufd_set_smmuv3 (FakeIommufd *f);
/* A kernel that knows IOMMU_HW_INFO_FLAG_INPUT_TYPE and whose SMMU has a
 * Tegra241 CMDQV (type 3) with these parameters. */
void fake_iommufd_set_cmdqv (FakeIommufd *f, guint8 version, guint8 log2vcmdqs, guint8 log2vsids);
/* The IOVA ranges of a VT-d paging domain of `bits` address width: the
 * aperture cut by the MSI window 0xfee00000-0xfeefffff. */
void fake_iommufd_set_aperture (FakeIommufd *f, guint bits);

/* Makes `holder` hold the device at `address` as the kernel would show it:
 * the bind's errno and the PCI enable count in sysfs (vfio-pci enables a
 * device on first open, disables it on last close). */
void fake_iommufd_hold (FakeIommufd *f, UMockdevTestbed *tb, const char *address, FakeHolder holder);

/* Writes a file under the testbed root (mkdir -p). */
void fake_testbed_put (UMockdevTestbed *tb, const char *rel, const char *content);
/* Copies a recorded host into the testbed's /sys. */
void fake_testbed_load_host (UMockdevTestbed *tb, const char *host);
/* Creates /dev/iommu and /dev/vfio/devices/<vfio> and attaches the handler.
 * vfio may be NULL. */
void fake_testbed_attach (UMockdevTestbed *tb, FakeIoctlHandler *h, const char *const *vfio_nodes);

/* Whether this process runs under libumockdev-preload.  Asks with a
 * testbed, as umockdev_in_mock_environment() caches its first look at /sys
 * (a testbed's finalize unsets UMOCKDEV_DIR again).  Call once, in main(),
 * before anything else starts a testbed or a bus. */
gboolean fake_umockdev_detect (void);

/* TRUE when `have` (fake_umockdev_detect()); otherwise the test is skipped
 * saying `why` it needs the preload — unless LD_PRELOAD asked for it, as
 * meson test does: a preload that was asked for and does not work is a
 * broken set-up, which CI must report, not skip. */
gboolean fake_umockdev_usable (gboolean have, const char *why);

/* How many of this process's fds are open on a file whose path ends in
 * `suffix` (from /proc/self/fd).  umockdev 0.17 never emits client_vanished,
 * so this is how a test sees that a device node was closed again. */
guint fake_count_open_fds (const char *suffix);

G_END_DECLS
