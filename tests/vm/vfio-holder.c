/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Holds a vfio-pci device the way a VMM does, for the vm suite (runs inside
 * the guest, against the real kernel):
 *
 *   vfio-holder iommufd CDEV        its cdev bound to this process's own
 *                                   iommufd (QEMU's iommufd backend)
 *   vfio-holder group GROUP BDF     /dev/vfio/GROUP opened, set on a type1
 *                                   container, the device fd taken (the
 *                                   legacy path: libvirt + QEMU without iommufd)
 *   vfio-holder bind-once CDEV      bind to a fresh iommufd, then let go:
 *                                   proves nobody else holds the device
 *
 * The holding modes print one line starting "held" once they hold, then
 * wait for SIGTERM.  Every failure names the call and errno; exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "ihw-uapi.h"

static int
die (const char *what, const char *arg)
{
  fprintf (stderr, "vfio-holder: %s %s: %s\n", what, arg, strerror (errno));
  return 1;
}

/* Opens CDEV and binds it to a new iommufd; returns the cdev fd or -1. */
static int
bind_cdev (const char *cdev, unsigned *devid)
{
  struct vfio_device_bind_iommufd bind = { .argsz = sizeof bind };
  int iommufd = open ("/dev/iommu", O_RDWR | O_CLOEXEC);
  int fd;

  if (iommufd < 0)
    return die ("open", "/dev/iommu"), -1;
  fd = open (cdev, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return die ("open", cdev), -1;
  bind.iommufd = iommufd;
  if (ioctl (fd, VFIO_DEVICE_BIND_IOMMUFD, &bind) < 0)
    return die ("VFIO_DEVICE_BIND_IOMMUFD", cdev), -1;
  *devid = bind.out_devid;
  return fd;
}

static int
hold_group (const char *group, const char *bdf)
{
  char path[64];
  int container, gfd, dfd;

  snprintf (path, sizeof path, "/dev/vfio/%s", group);
  container = open ("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
  if (container < 0)
    return die ("open", "/dev/vfio/vfio");
  gfd = open (path, O_RDWR | O_CLOEXEC);
  if (gfd < 0)
    return die ("open", path);
  if (ioctl (gfd, VFIO_GROUP_SET_CONTAINER, &container) < 0)
    return die ("VFIO_GROUP_SET_CONTAINER", path);
  if (ioctl (container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
    return die ("VFIO_SET_IOMMU (TYPE1v2)", path);
  dfd = ioctl (gfd, VFIO_GROUP_GET_DEVICE_FD, bdf);
  if (dfd < 0)
    return die ("VFIO_GROUP_GET_DEVICE_FD", bdf);
  printf ("held %s through VFIO group %s (type1 container, device fd %d)\n", bdf, path, dfd);
  return 0;
}

int
main (int argc, char **argv)
{
  unsigned devid = 0;
  sigset_t set;
  int sig;

  if (argc == 3 && strcmp (argv[1], "bind-once") == 0)
    {
      int fd = bind_cdev (argv[2], &devid);
      if (fd < 0)
        return 1;
      close (fd);
      printf ("bound %s to a new iommufd (dev_id %u) and released it\n", argv[2], devid);
      return 0;
    }
  if (argc == 3 && strcmp (argv[1], "iommufd") == 0)
    {
      if (bind_cdev (argv[2], &devid) < 0)
        return 1;
      printf ("held %s through this process's own iommufd (dev_id %u)\n", argv[2], devid);
    }
  else if (argc == 4 && strcmp (argv[1], "group") == 0)
    {
      if (hold_group (argv[2], argv[3]) != 0)
        return 1;
    }
  else
    {
      fprintf (stderr, "usage: vfio-holder iommufd CDEV | group GROUP BDF | bind-once CDEV\n");
      return 64;
    }
  fflush (stdout);

  /* Hold until told to stop; exiting closes every fd, which releases it. */
  sigemptyset (&set);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGINT);
  sigprocmask (SIG_BLOCK, &set, NULL);
  sigwait (&set, &sig);
  return 0;
}
