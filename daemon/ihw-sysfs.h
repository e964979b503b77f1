/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sysfs reader (SPEC §3.2): IOMMU units and PCI devices as the kernel
 * shows them under a sysfs root (`--sysfs-root`, "/sys" by default).
 *
 * Everything under the root is untrusted: files are read with a hard size
 * bound, symlinks may dangle or loop, values may be garbage.  Nothing here
 * fails as a whole because of one bad entry: each problem is logged with
 * g_warning() naming the path, and the entry is returned with what could be
 * read.  Pure reading: no probing, no caching.
 */
#pragma once

#include <glib.h>

#include "ihw-records.h"

G_BEGIN_DECLS

/* No sysfs attribute the daemon reads is longer than a line; a file larger
 * than this is treated as garbage rather than read further. */
#define IHW_SYSFS_MAX_FILE 4096
/* Upper bound on entries read from one directory (a unit's devices/). */
#define IHW_SYSFS_MAX_ENTRIES 65536

/* The largest host the daemon answers for.  GetManagedObjects returns every
 * object in one message, and the system bus disconnects a sender whose
 * message exceeds its max_message_size (32 MiB by default): the daemon
 * would be gone.  A device object is ~540 bytes on recorded hosts and at
 * most ~1.3 KiB (64-byte unit and driver names, the unit path escaped at
 * 3 bytes a byte, 256 bytes of hw_info, a long cdev path); a unit at most
 * ~1 KiB.  16,384 devices and 1,024 units stay under 22 MiB even then,
 * and above any real host (256 VFs on each of 64 functions). */
#define IHW_MAX_DEVICES 16384
#define IHW_MAX_UNITS 1024

/* Read one attribute file: at most IHW_SYSFS_MAX_FILE bytes, regular files
 * only, no NUL bytes; one trailing newline is stripped.  Errors
 * (IHW_ERROR_BAD_DATA, or IHW_ERROR_FAILED with errno text) name the path. */
gboolean ihw_sysfs_read_attr (const char *path, char **out, GError **error);

/* The basename of a symlink's target ("../../virtual/iommu/dmar0" -> "dmar0").
 * Does not require the target to exist (sysfs `driver` and `iommu_group`
 * links may point outside a recorded tree).  Errors name the path. */
gboolean ihw_sysfs_read_link_name (const char *path, char **out, GError **error);

/* Names under <root>/class/iommu and <root>/bus/pci/devices, sorted.  A
 * missing directory is an empty list (a host without an IOMMU has no
 * class/iommu); one that cannot be listed fails (NULL, `error`); names that
 * cannot be a unit or a PCI address are skipped with a warning. */
/* At most IHW_MAX_UNITS + 1 and IHW_MAX_DEVICES + 1 names: one more than
 * the limit says the host is larger than it. */
GPtrArray *ihw_sysfs_list_units (const char *sysfs_root, GError **error);
GPtrArray *ihw_sysfs_list_devices (const char *sysfs_root, GError **error);

/* Whether <root>/class/iommu/<name> or <root>/bus/pci/devices/<address>
 * exists as a directory entry at all (even as a dangling link). */
gboolean ihw_sysfs_unit_exists (const char *sysfs_root, const char *name);
gboolean ihw_sysfs_device_exists (const char *sysfs_root, const char *address);

/* One unit, read fresh: vendor from which register directory exists
 * (intel-iommu/, amd-iommu/; "smmu3.*" names are SMMUv3 without register
 * files), registers parsed from hex, `devices` from the unit's devices/
 * directory.  Source is SYSFS when at least one register was read, else NONE.
 * Returns NULL only when the unit does not exist. */
IhwUnit *ihw_sysfs_read_unit (const char *sysfs_root, const char *name);

/* One PCI device, read fresh: ids, class, iommu/iommu_group/driver links,
 * and the VFIO cdev (`vfio-dev/vfioN/dev`) mapped to <dev_root>/vfio/devices/vfioN.
 * Probe fields are left empty; source is NONE.  Returns NULL only when the
 * device does not exist. */
IhwDevice *ihw_sysfs_read_device (const char *sysfs_root, const char *dev_root, const char *address);

/* Whether a conventional PCI segment lies between the device and its root
 * bus: the device's real sysfs path (devices/pci0000:00/<bridge>/.../<bdf>)
 * names every upstream bridge; PCI Express functions have max_link_speed,
 * conventional ones do not.  A device directly on the root bus: NO. */
IhwTristate ihw_sysfs_behind_pci_bridge (const char *sysfs_root, const char *address);

G_END_DECLS
