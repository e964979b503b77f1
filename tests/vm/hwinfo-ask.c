/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Asks the real kernel for hw_info types the way iommu-hwinfod does, for the
 * vm suite (runs inside the guest, against the patched and unpatched 6.12):
 *
 *   hwinfo-ask CDEV
 *
 * binds the vfio-pci cdev to the daemon's own IhwIommufd, then prints
 * key=value lines:
 *   raw.default, raw.ask.TYPE   what IOMMU_GET_HW_INFO itself answered, asked
 *                               without a flag, and with
 *                               IOMMU_HW_INFO_FLAG_INPUT_TYPE for TYPE: "ok
 *                               type N len L" or the errno's name
 *   class.TYPE                  ihw_probe_hw_info_type()'s answer for TYPE
 *                               (yes/no/unknown): the daemon's probe code
 *   class.TYPE.error            its error text, if any
 * for TYPE = 3 (TEGRA241_CMDQV, what the daemon asks on an SMMUv3) and the
 * device's own default type.  An x86 guest has no SMMUv3, so this is the
 * same probe and classification code on a VT-d or AMD device.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ihw-probe-iommufd.h"
#include "ihw-uapi.h"

/* One raw call: 0 and the type/len reported, or the errno. */
static int
raw_ask (int iommufd, guint32 dev_id, guint32 flags, guint32 type, guint32 *out_type, guint32 *out_len)
{
  guint8 buf[IHW_HW_INFO_BUF_SIZE];
  struct iommu_hw_info info = { .size = sizeof info, .flags = flags, .dev_id = dev_id };

  info.data_len = sizeof buf;
  info.data_uptr = (guint64) (guintptr) buf;
  info.out_data_type = type;
  if (ioctl (iommufd, IOMMU_GET_HW_INFO, &info) < 0)
    return errno;
  *out_type = info.out_data_type;
  *out_len = info.data_len;
  return 0;
}

static void
print_raw (const char *key, int e, guint32 type, guint32 len)
{
  if (e)
    printf ("%s=%s\n", key, strerrorname_np (e) ? strerrorname_np (e) : "?");
  else
    printf ("%s=ok type %u len %u\n", key, type, len);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IhwIommufd) ifd = NULL;
  struct vfio_device_bind_iommufd bind = { .argsz = sizeof bind };
  guint32 own = 0, len = 0, asks[2];
  int dfd, e;

  if (argc != 2)
    {
      fprintf (stderr, "usage: hwinfo-ask CDEV\n");
      return 64;
    }
  ifd = ihw_iommufd_open ("/dev", &error);
  if (!ifd)
    {
      fprintf (stderr, "hwinfo-ask: %s\n", error->message);
      return 1;
    }
  dfd = open (argv[1], O_RDWR | O_CLOEXEC);
  bind.iommufd = ihw_iommufd_get_fd (ifd);
  if (dfd < 0 || ioctl (dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind) < 0)
    {
      fprintf (stderr, "hwinfo-ask: %s %s: %s\n", dfd < 0 ? "open" : "VFIO_DEVICE_BIND_IOMMUFD", argv[1],
               strerror (errno));
      return 1;
    }

  e = raw_ask (bind.iommufd, bind.out_devid, 0, 0, &own, &len);
  print_raw ("raw.default", e, own, len);
  if (e)
    return 1;
  asks[0] = IHW_HW_INFO_TYPE_TEGRA241_CMDQV;
  asks[1] = own;
  for (guint i = 0; i < G_N_ELEMENTS (asks); i++)
    {
      g_autoptr (GBytes) data = NULL;
      g_autofree char *failure = NULL;
      g_autofree char *key = g_strdup_printf ("raw.ask.%u", asks[i]);
      guint32 type = 0;
      IhwTristate answer;

      e = raw_ask (bind.iommufd, bind.out_devid, IHW_HW_INFO_FLAG_INPUT_TYPE, asks[i], &type, &len);
      print_raw (key, e, type, len);
      answer = ihw_probe_hw_info_type (ifd, argv[1], bind.out_devid, asks[i], own, &data, &failure);
      printf ("class.%u=%s\n", asks[i], ihw_tristate_name (answer));
      if (failure)
        printf ("class.%u.error=%s\n", asks[i], failure);
    }
  close (dfd);
  return 0;
}
