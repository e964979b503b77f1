/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-probe-iommufd.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "ihw-error.h"
#include "ihw-sys.h"
#include "ihw-sysfs.h"
#include "ihw-uapi.h"

struct _IhwIommufd {
  int fd;
  char *path;
  /* Objects whose IOMMU_DESTROY failed, in the order they were destroyed
   * (a HWPT before its IOAS): the fd lives as long as the daemon, so they
   * would stay allocated in the kernel until restart.  Retried before the
   * next probe. */
  GArray *orphans; /* guint32 */
};

IhwIommufd *
ihw_iommufd_open (const char *dev_root, GError **error)
{
  g_autofree char *path = g_build_filename (dev_root, "iommu", NULL);
  IhwIommufd *self;
  int fd = ihw_sys_open (path, O_RDWR | O_CLOEXEC | O_NOCTTY);

  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, IHW_ERROR, e == ENOENT || e == ENODEV ? IHW_ERROR_NOT_SUPPORTED : IHW_ERROR_FAILED,
                   "%s: open: %s%s", path, g_strerror (e),
                   e == ENOENT ? " (kernel without CONFIG_IOMMUFD?)" : "");
      return NULL;
    }
  self = g_new0 (IhwIommufd, 1);
  self->fd = fd;
  self->path = g_steal_pointer (&path);
  self->orphans = g_array_new (FALSE, FALSE, sizeof (guint32));
  return self;
}

void
ihw_iommufd_close (IhwIommufd *self)
{
  if (!self)
    return;
  close (self->fd);
  g_free (self->path);
  g_array_unref (self->orphans);
  g_free (self);
}

int
ihw_iommufd_get_fd (IhwIommufd *self)
{
  return self->fd;
}

void
ihw_probe_result_free (IhwProbeResult *r)
{
  if (!r)
    return;
  g_free (r->error);
  g_clear_pointer (&r->data, g_bytes_unref);
  g_clear_pointer (&r->addon_data, g_bytes_unref);
  g_free (r);
}

/* errno values meaning "this kernel does not have the call / the feature". */
static gboolean
errno_means_old_kernel (int e)
{
  return e == ENOTTY || e == ENOENT || e == EOPNOTSUPP;
}

const char *
ihw_probe_holder_describe (IhwProbeHolder holder)
{
  switch (holder)
    {
    case IHW_HOLDER_VFIO_GROUP:
      return "a VFIO group (legacy container)";
    case IHW_HOLDER_IOMMUFD:
      return "another iommufd (VFIO cdev)";
    case IHW_HOLDER_NONE:
    default:
      return "";
    }
}

static void
set_failure (IhwProbeResult *r, const char *address, const char *call, int e, const char *hint)
{
  g_free (r->error);
  r->error = g_strdup_printf ("%s: %s: %s%s%s", address, call, g_strerror (e), hint ? " " : "", hint ? hint : "");
  if (errno_means_old_kernel (e))
    r->status = IHW_PROBE_UNSUPPORTED;
  else
    r->status = IHW_PROBE_FAILED;
}

static void
set_in_use (IhwProbeResult *r, const char *address, int e, IhwProbeHolder holder)
{
  g_autofree char *hint = g_strdup_printf ("(in use through %s)", ihw_probe_holder_describe (holder));
  set_failure (r, address, "VFIO_DEVICE_BIND_IOMMUFD", e, hint);
  r->status = IHW_PROBE_IN_USE;
  r->holder = holder;
}

/* PCI enable count from sysfs: -1 when it cannot be read. */
static int
read_enable_count (const char *enable_attr)
{
  g_autofree char *text = NULL;
  guint64 n;

  if (!enable_attr || !ihw_sysfs_read_attr (enable_attr, &text, NULL))
    return -1;
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT, &n, NULL))
    return -1;
  return (int) n;
}

/*
 * Who holds the device, from a failed VFIO_DEVICE_BIND_IOMMUFD (6.6 .. 6.12
 * and mainline, drivers/vfio/device_cdev.c and vfio_main.c):
 *
 * - EBUSY comes from vfio_device_block_group(): the device's group is open
 *   through /dev/vfio/<group>, the legacy path (libvirt + older QEMU).
 * - EINVAL is what vfio_df_open() returns when the device is already open
 *   (open_count != 0) and the new open is not through that group: another
 *   cdev fd was bound to an iommufd first, as QEMU's iommufd backend does.
 *   The same function's other EINVALs are argument checks that our call
 *   cannot trip (argsz == sizeof, flags 0, a valid iommufd, a fresh fd that
 *   was never bound).  But the first open's own work can fail with EINVAL
 *   too (iommufd_device_bind() refuses an IOMMU without cache coherency,
 *   some ARM SMMUs), and that is a real failure, so EINVAL alone is not
 *   enough.  The PCI `enable` count tells them apart: vfio-pci enables the
 *   device on its first open (vfio_pci_core_enable) and disables it on the
 *   last close, so a device bound elsewhere reads >= 1, while a device
 *   whose first open failed was never enabled and reads 0.
 */
static IhwProbeHolder
bind_holder (int e, const char *enable_attr)
{
  if (e == EBUSY)
    return IHW_HOLDER_VFIO_GROUP;
  if (e == EINVAL && read_enable_count (enable_attr) > 0)
    return IHW_HOLDER_IOMMUFD;
  return IHW_HOLDER_NONE;
}

static void
destroy_object (IhwIommufd *ifd, const char *address, guint32 id, const char *what)
{
  struct iommu_destroy d = { .size = sizeof d, .id = id };
  if (ihw_sys_ioctl (ifd->fd, IOMMU_DESTROY, &d) < 0)
    {
      int e = errno;
      g_warning ("%s: IOMMU_DESTROY (%s %u): %s; retried before the next probe", address, what, id, g_strerror (e));
      g_array_append_val (ifd->orphans, id);
    }
}

static void
destroy_orphans (IhwIommufd *ifd, const char *address)
{
  g_autoptr (GArray) ids = NULL;

  if (ifd->orphans->len == 0)
    return;
  ids = g_steal_pointer (&ifd->orphans);
  ifd->orphans = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (guint i = 0; i < ids->len; i++)
    destroy_object (ifd, address, g_array_index (ids, guint32, i), "left from an earlier probe");
}

/* The kernel's own answer to "can this device be a nesting parent":
 * allocate a NEST_PARENT HWPT on a fresh IOAS and free both again. */
static IhwNestParent
probe_nest_parent (IhwIommufd *ifd, const char *address, guint32 dev_id, char **error_out)
{
  struct iommu_ioas_alloc ioas = { .size = sizeof ioas };
  struct iommu_hwpt_alloc hwpt = { 0 };
  IhwNestParent answer;

  if (ihw_sys_ioctl (ifd->fd, IOMMU_IOAS_ALLOC, &ioas) < 0)
    {
      int e = errno;
      *error_out = g_strdup_printf ("%s: IOMMU_IOAS_ALLOC: %s", address, g_strerror (e));
      return IHW_NEST_PARENT_UNKNOWN;
    }

  hwpt.size = sizeof hwpt;
  hwpt.flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
  hwpt.dev_id = dev_id;
  hwpt.pt_id = ioas.out_ioas_id;
  if (ihw_sys_ioctl (ifd->fd, IOMMU_HWPT_ALLOC, &hwpt) == 0)
    {
      answer = IHW_NEST_PARENT_YES;
      destroy_object (ifd, address, hwpt.out_hwpt_id, "hwpt");
    }
  else
    {
      int e = errno;
      /* The kernel refuses NEST_PARENT with EOPNOTSUPP (driver cannot nest,
       * or a kernel that does not know the flag) or EINVAL (6.12 VT-d
       * without scalable mode / ecap.NEST).  Both are a definite "no". */
      if (e == EOPNOTSUPP || e == EINVAL)
        answer = IHW_NEST_PARENT_NO;
      else
        {
          answer = IHW_NEST_PARENT_UNKNOWN;
          *error_out = g_strdup_printf ("%s: IOMMU_HWPT_ALLOC (NEST_PARENT): %s", address, g_strerror (e));
        }
    }
  destroy_object (ifd, address, ioas.out_ioas_id, "ioas");
  return answer;
}

IhwTristate
ihw_probe_hw_info_type (IhwIommufd *ifd, const char *address, guint32 dev_id, guint32 wanted, guint32 own_type,
                        GBytes **data_out, char **error_out)
{
  IhwHwInfoAsk ask = IHW_HW_INFO_ASK_TYPE;
  const IhwHwInfoStep *step = NULL;

  *data_out = NULL;
  *error_out = NULL;
  while (ask != IHW_HW_INFO_ASK_DONE)
    {
      g_autofree guint8 *buf = g_malloc0 (IHW_HW_INFO_BUF_SIZE);
      struct iommu_hw_info info = { 0 };
      guint32 in_type = ask == IHW_HW_INFO_ASK_TYPE ? wanted : own_type;
      int e = 0;

      info.size = sizeof info;
      info.flags = IHW_HW_INFO_FLAG_INPUT_TYPE;
      info.dev_id = dev_id;
      info.data_len = IHW_HW_INFO_BUF_SIZE;
      info.data_uptr = (guint64) (guintptr) buf;
      info.out_data_type = in_type; /* in_data_type: the same u32 */
      if (ihw_sys_ioctl (ifd->fd, IOMMU_GET_HW_INFO, &info) < 0)
        e = errno;
      step = ihw_hw_info_ask_step (ask, wanted, e, info.out_data_type);
      if (step->failure)
        *error_out = g_strdup_printf ("%s: IOMMU_GET_HW_INFO (IOMMU_HW_INFO_FLAG_INPUT_TYPE, type %u): %s", address,
                                      in_type, e ? g_strerror (e) : step->why);
      else if (step->answer == IHW_TRISTATE_YES)
        *data_out = g_bytes_new (buf, MIN ((gsize) info.data_len, (gsize) IHW_HW_INFO_BUF_SIZE));
      ask = step->next;
    }
  return step->answer;
}

/* At most this many IOVA ranges are read: a real device has a handful
 * (the aperture cut by MSI and RMRR windows). */
#define IHW_IOVA_RANGES_MAX 4096

/* The IOVA ranges of an IOAS (IOMMU_IOAS_IOVA_RANGES: the count first,
 * EMSGSIZE when the array is short, then the array) -> QEMU's host
 * aw-bits: range_get_last_bit() of the last range + 1, 64 without ranges
 * (hw/vfio/device.c vfio_device_get_aw_bits).  0 and *call on failure. */
static guint8
ioas_host_aw_bits (IhwIommufd *ifd, guint32 ioas_id, const char **call, int *err)
{
  struct iommu_ioas_iova_ranges q = { .size = sizeof q, .ioas_id = ioas_id };
  g_autofree struct iommu_iova_range *ranges = NULL;
  guint64 last = 0;

  *call = "IOMMU_IOAS_IOVA_RANGES";
  if (ihw_sys_ioctl (ifd->fd, IOMMU_IOAS_IOVA_RANGES, &q) < 0 && errno != EMSGSIZE)
    return *err = errno, 0;
  if (q.num_iovas == 0)
    return 64;
  if (q.num_iovas > IHW_IOVA_RANGES_MAX)
    return *err = E2BIG, 0;
  ranges = g_new0 (struct iommu_iova_range, q.num_iovas);
  q.allowed_iovas = (guint64) (guintptr) ranges;
  if (ihw_sys_ioctl (ifd->fd, IOMMU_IOAS_IOVA_RANGES, &q) < 0)
    return *err = errno, 0; /* EMSGSIZE too: the ranges changed under us */
  /* The kernel lists them in ascending order; the largest end is the last. */
  for (guint32 i = 0; i < q.num_iovas; i++)
    last = MAX (last, ranges[i].last);
  return last ? (guint8) (64 - __builtin_clzll (last)) : 0;
}

/* QEMU's host aw-bits, learnt as QEMU learns it (hw/vfio/iommufd.c
 * iommufd_cdev_attach: attach the device to an IOAS, then
 * iommufd_cdev_get_info_iova_range): the kernel gives the device an
 * automatic paging domain on a fresh IOAS, whose aperture and the device's
 * reserved regions bound the IOAS's IOVAs; then the device is detached and
 * the IOAS freed.  Any failure is 0, unknown (logged), never an answer. */
static guint8
probe_host_aw_bits (IhwIommufd *ifd, const char *address, int dfd)
{
  struct iommu_ioas_alloc ioas = { .size = sizeof ioas };
  struct vfio_device_attach_iommufd_pt attach = { 0 };
  struct vfio_device_detach_iommufd_pt detach = { .argsz = sizeof detach };
  const char *call = "IOMMU_IOAS_ALLOC";
  guint8 bits = 0;
  int e = 0;

  if (ihw_sys_ioctl (ifd->fd, IOMMU_IOAS_ALLOC, &ioas) < 0)
    e = errno;
  else
    {
      /* argsz up to pt_id: 6.13 appends a pasid that 6.12 does not know */
      attach.argsz = offsetof (struct vfio_device_attach_iommufd_pt, pt_id) + sizeof attach.pt_id;
      attach.pt_id = ioas.out_ioas_id;
      if (ihw_sys_ioctl (dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach) < 0)
        {
          e = errno;
          call = "VFIO_DEVICE_ATTACH_IOMMUFD_PT";
        }
      else
        {
          bits = ioas_host_aw_bits (ifd, ioas.out_ioas_id, &call, &e);
          if (ihw_sys_ioctl (dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach) < 0)
            {
              /* Still attached, the IOAS is busy: closing the cdev detaches
               * it, so it is destroyed before the next probe (an orphan)
               * rather than refused now. */
              if (!e)
                {
                  e = errno;
                  call = "VFIO_DEVICE_DETACH_IOMMUFD_PT";
                }
              g_array_append_val (ifd->orphans, ioas.out_ioas_id);
              ioas.out_ioas_id = 0;
            }
        }
      if (ioas.out_ioas_id)
        destroy_object (ifd, address, ioas.out_ioas_id, "ioas");
    }
  if (e)
    g_message ("%s: %s: %s; host aw-bits unknown, judged from the registers", address, call, g_strerror (e));
  return e ? 0 : bits;
}

IhwProbeResult *
ihw_probe_device (IhwIommufd *ifd, const char *address, const char *cdev_path, const char *enable_attr)
{
  g_autoptr (IhwProbeResult) r = g_new0 (IhwProbeResult, 1);
  struct vfio_device_bind_iommufd bind = { 0 };
  struct iommu_hw_info info;
  g_autofree guint8 *buf = NULL;
  g_autoptr (GError) error = NULL;
  const guint8 *raw;
  gsize kept;
  int dfd;

  r->nest_parent = IHW_NEST_PARENT_UNKNOWN;

  /* O_RDWR is what VFIO requires; the fd is closed before we return. */
  dfd = ihw_sys_open (cdev_path, O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (dfd < 0)
    {
      int e = errno;
      g_autofree char *call = g_strdup_printf ("open %s", cdev_path);
      set_failure (r, address, call, e,
                   e == ENOENT ? "(no VFIO cdev node: kernel without CONFIG_VFIO_DEVICE_CDEV?)" : NULL);
      return g_steal_pointer (&r);
    }
  /* Objects an earlier probe could not destroy: that probe's cdev is closed
   * by now, which detached its device, so they are free to go. */
  destroy_orphans (ifd, address);

  bind.argsz = sizeof bind;
  bind.iommufd = ifd->fd;
  if (ihw_sys_ioctl (dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind) < 0)
    {
      int e = errno;
      IhwProbeHolder holder = bind_holder (e, enable_attr);
      if (holder != IHW_HOLDER_NONE)
        set_in_use (r, address, e, holder);
      else
        set_failure (r, address, "VFIO_DEVICE_BIND_IOMMUFD", e,
                     e == ENOTTY ? "(kernel without VFIO cdev/iommufd binding, needs 6.6)"
                     : e == EPERM ? "(MSI not isolated, interrupt remapping off? iommufd.allow_unsafe_interrupts=1 "
                                    "overrides; or another iommufd holds a device of its IOMMU group)"
                                  : NULL);
      close (dfd);
      return g_steal_pointer (&r);
    }

  buf = g_malloc0 (IHW_HW_INFO_BUF_SIZE);
  memset (&info, 0, sizeof info);
  info.size = sizeof info; /* 40: out_capabilities included; older kernels accept the zero tail */
  info.dev_id = bind.out_devid;
  info.data_len = IHW_HW_INFO_BUF_SIZE;
  info.data_uptr = (guint64) (guintptr) buf;
  if (ihw_sys_ioctl (ifd->fd, IOMMU_GET_HW_INFO, &info) < 0)
    {
      int e = errno;
      set_failure (r, address, "IOMMU_GET_HW_INFO", e,
                   e == ENOTTY ? "(kernel without IOMMU_GET_HW_INFO, needs 6.6)" : NULL);
      close (dfd);
      return g_steal_pointer (&r);
    }

  /* Fields newer than some headers are read by offset (see ihw-uapi.h). */
  raw = (const guint8 *) &info;
  r->status = IHW_PROBE_OK;
  r->hw_info_type = info.out_data_type;
  r->data_len = info.data_len;
  memcpy (&r->max_pasid_log2, raw + IHW_HW_INFO_OFF_MAX_PASID_LOG2, sizeof r->max_pasid_log2);
  memcpy (&r->capabilities, raw + IHW_HW_INFO_OFF_CAPABILITIES, sizeof r->capabilities);
  kept = MIN ((gsize) info.data_len, (gsize) IHW_HW_INFO_BUF_SIZE);
  r->data = g_bytes_new (buf, kept);

  if (ihw_hw_info_parse (r->hw_info_type, buf, kept, info.data_len, &r->info, &error))
    r->parsed = TRUE;
  else
    r->error = g_strdup_printf ("%s: IOMMU_GET_HW_INFO: %s", address, error->message);

  r->addon = ihw_vendor_desc_addon_of (r->hw_info_type);
  if (r->addon)
    {
      g_autofree char *addon_error = NULL;
      r->addon_answer = ihw_probe_hw_info_type (ifd, address, bind.out_devid, r->addon->hw_info_type,
                                                r->hw_info_type, &r->addon_data, &addon_error);
      if (addon_error)
        g_warning ("%s", addon_error);
    }

  {
    g_autofree char *nest_error = NULL;
    r->nest_parent = probe_nest_parent (ifd, address, bind.out_devid, &nest_error);
    if (nest_error && !r->error)
      r->error = g_steal_pointer (&nest_error);
    else if (nest_error)
      g_message ("%s", nest_error);
  }

  r->host_aw_bits = probe_host_aw_bits (ifd, address, dfd);

  /* Closing the cdev unbinds it from iommufd and releases DMA ownership,
   * so a VMM can take the device right after. */
  close (dfd);
  return g_steal_pointer (&r);
}
