/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ihw-error.h"
#include "ihw-names.h"
#include "ihw-parse.h"
#include "ihw-sys.h"

/* ---- bounded primitives ---------------------------------------------- */

gboolean
ihw_sysfs_read_attr (const char *path, char **out, GError **error)
{
  /* One byte more than allowed, so "exactly at the limit" and "larger" differ. */
  g_autofree char *buf = g_malloc (IHW_SYSFS_MAX_FILE + 2);
  gsize len = 0;
  struct stat st;
  int fd;

  /* O_NONBLOCK: a FIFO planted in the tree must not hang the daemon; it is
   * rejected by the S_ISREG check right after. */
  fd = ihw_sys_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "%s: open: %s", path, g_strerror (e));
      return FALSE;
    }
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "%s: not a regular file", path);
      close (fd);
      return FALSE;
    }
  while (len <= IHW_SYSFS_MAX_FILE)
    {
      ssize_t n = ihw_sys_read (fd, buf + len, IHW_SYSFS_MAX_FILE + 1 - len, path);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int e = errno;
          g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "%s: read: %s", path, g_strerror (e));
          close (fd);
          return FALSE;
        }
      if (n == 0)
        break;
      len += (gsize) n;
    }
  close (fd);
  if (len > IHW_SYSFS_MAX_FILE)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "%s: larger than %d bytes, not a sysfs attribute", path,
                   IHW_SYSFS_MAX_FILE);
      return FALSE;
    }
  if (memchr (buf, '\0', len))
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "%s: contains NUL bytes", path);
      return FALSE;
    }
  if (len > 0 && buf[len - 1] == '\n')
    len--;
  buf[len] = '\0';
  *out = g_steal_pointer (&buf);
  return TRUE;
}

/* Names we accept from link targets and directory entries: what the kernel
 * uses for units, drivers and groups.  Keeps control characters and paths
 * out of D-Bus strings and log lines. */
static gboolean
name_is_sane (const char *name)
{
  gsize n = strlen (name);
  if (n == 0 || n > IHW_MAX_NAME_LEN || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && !strchr ("._-:+", *p))
      return FALSE;
  return TRUE;
}

gboolean
ihw_sysfs_read_link_name (const char *path, char **out, GError **error)
{
  char target[PATH_MAX];
  ssize_t n = ihw_sys_readlink (path, target, sizeof target - 1);
  const char *base;

  if (n < 0)
    {
      int e = errno;
      g_set_error (error, IHW_ERROR, e == ENOENT ? IHW_ERROR_NOT_SUPPORTED : IHW_ERROR_FAILED, "%s: readlink: %s",
                   path, g_strerror (e));
      return FALSE;
    }
  target[n] = '\0';
  while (n > 1 && target[n - 1] == '/')
    target[--n] = '\0';
  base = strrchr (target, '/');
  base = base ? base + 1 : target;
  if (!name_is_sane (base))
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "%s: link target '%.64s' does not end in a usable name",
                   path, target);
      return FALSE;
    }
  *out = g_strdup (base);
  return TRUE;
}

/* Logs the problem and returns NULL; used where a missing value is normal
 * (`quiet_missing`: absent file is not worth a warning). */
static char *
read_attr_logged (const char *path, gboolean quiet_missing)
{
  g_autoptr (GError) error = NULL;
  char *value = NULL;

  if (quiet_missing && access (path, F_OK) < 0 && errno == ENOENT)
    return NULL;
  if (!ihw_sysfs_read_attr (path, &value, &error))
    {
      g_warning ("%s", error->message);
      return NULL;
    }
  return value;
}

/* Hex attribute of at most `bits` bits; FALSE (logged) when absent or bad. */
static gboolean
read_hex_logged (const char *path, guint bits, guint64 *out)
{
  g_autofree char *text = read_attr_logged (path, FALSE);
  g_autoptr (GError) error = NULL;

  if (!text)
    return FALSE;
  if (!ihw_parse_hex (text, bits, path, out, &error))
    {
      g_warning ("%s", error->message);
      return FALSE;
    }
  return TRUE;
}

static int
cmp_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Entries of a directory, sorted, filtered by `accept` (rejects are logged);
 * at most `max` accepted ones.  A missing directory has none; one that
 * exists but cannot be listed is an error, not an empty list: that would
 * make every unit or device in it look gone. */
static GPtrArray *
list_dir (const char *dir, gboolean (*accept) (const char *), const char *what, guint max, GError **error)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) local = NULL;
  g_autoptr (GDir) d = ihw_sys_dir_open (dir, &local);
  const char *name;

  if (!d)
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&names);
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "%s: cannot list: %s", dir, local->message);
      return NULL;
    }
  while ((name = g_dir_read_name (d)))
    {
      if (names->len >= max)
        {
          g_warning ("%s: more than %u entries, ignoring the rest", dir, max);
          break;
        }
      if (!accept (name))
        {
          g_autofree char *shown = g_strescape (name, NULL);
          g_warning ("%s: ignoring entry '%.80s': not a valid %s", dir, shown, what);
          continue;
        }
      g_ptr_array_add (names, g_strdup (name));
    }
  g_ptr_array_sort (names, cmp_strings);
  return g_steal_pointer (&names);
}

/* The kernel names PCI devices in one form only (lower-case hex): anything
 * else is not a device it made, and accepting it would give one device two
 * names (the D-Bus side normalises what clients send to this form). */
static gboolean
accept_pci_address (const char *name)
{
  return ihw_pci_address_canonical (name);
}

GPtrArray *
ihw_sysfs_list_units (const char *sysfs_root, GError **error)
{
  g_autofree char *dir = g_build_filename (sysfs_root, "class", "iommu", NULL);
  return list_dir (dir, name_is_sane, "IOMMU unit", IHW_MAX_UNITS + 1, error);
}

GPtrArray *
ihw_sysfs_list_devices (const char *sysfs_root, GError **error)
{
  g_autofree char *dir = g_build_filename (sysfs_root, "bus", "pci", "devices", NULL);
  return list_dir (dir, accept_pci_address, "PCI address", IHW_MAX_DEVICES + 1, error);
}

static gboolean
entry_exists (const char *path)
{
  struct stat st;
  return lstat (path, &st) == 0;
}

gboolean
ihw_sysfs_unit_exists (const char *sysfs_root, const char *name)
{
  g_autofree char *path = NULL;
  if (!name_is_sane (name))
    return FALSE;
  path = g_build_filename (sysfs_root, "class", "iommu", name, NULL);
  return entry_exists (path);
}

gboolean
ihw_sysfs_device_exists (const char *sysfs_root, const char *address)
{
  g_autofree char *path = NULL;
  if (!ihw_pci_address_canonical (address))
    return FALSE;
  path = g_build_filename (sysfs_root, "bus", "pci", "devices", address, NULL);
  return entry_exists (path);
}

/* A directory entry we are about to read below: follows the links, and says
 * (once, naming the path) when they dangle or loop. */
static gboolean
dir_usable (const char *path)
{
  struct stat st;
  if (stat (path, &st) < 0)
    {
      int e = errno;
      g_warning ("%s: %s%s", path, g_strerror (e),
                 e == ELOOP ? " (symlink loop)" : e == ENOENT ? " (dangling symlink)" : "");
      return FALSE;
    }
  if (!S_ISDIR (st.st_mode))
    {
      g_warning ("%s: not a directory", path);
      return FALSE;
    }
  return TRUE;
}

/* ---- units ------------------------------------------------------------ */

/* One register file: "value" or "value:value" for the registers it names. */
static void
read_register_file (IhwUnit *u, const char *regdir, const IhwSysfsFile *file)
{
  g_autofree char *path = g_build_filename (regdir, file->file, NULL);
  guint n_regs = file->regs[1] ? 2 : file->regs[0] ? 1 : 0;
  g_autofree char *text = NULL;

  if (n_regs == 0)
    {
      /* Nothing we decode, but a garbage value still deserves a line in the log. */
      guint64 ignored;
      if (!file->optional || entry_exists (path))
        (void) read_hex_logged (path, file->bits, &ignored);
      return;
    }
  if (n_regs == 1)
    {
      guint64 v;
      if (read_hex_logged (path, file->bits, &v))
        ihw_features_set_reg (&u->features, file->regs[0], v);
      return;
    }

  /* Several registers in one file; a kernel that knows fewer prints fewer. */
  text = read_attr_logged (path, FALSE);
  if (!text)
    return;
  {
    g_auto (GStrv) parts = g_strsplit (text, ":", n_regs + 1);
    guint n = g_strv_length (parts);

    if (n > n_regs)
      {
        g_autofree char *shown = g_strescape (text, NULL);
        g_warning ("%s: '%.60s' is neither '%s' nor '%s:%s'", path, shown, file->regs[0], file->regs[0],
                   file->regs[1]);
        return;
      }
    for (guint i = 0; i < n; i++)
      {
        g_autofree char *what = g_strdup_printf ("%s (%s)", path, file->regs[i]);
        g_autoptr (GError) error = NULL;
        guint64 v;
        if (!ihw_parse_hex (parts[i], file->bits, what, &v, &error))
          {
            g_warning ("%s", error->message);
            continue;
          }
        ihw_features_set_reg (&u->features, file->regs[i], v);
      }
  }
}

static void
read_vendor_registers (IhwUnit *u, const IhwVendorDesc *d, const char *regdir)
{
  for (guint i = 0; i < G_N_ELEMENTS (d->sysfs_files) && d->sysfs_files[i].file; i++)
    read_register_file (u, regdir, &d->sysfs_files[i]);

  if (d->sysfs_version_file)
    {
      g_autofree char *vpath = g_build_filename (regdir, d->sysfs_version_file, NULL);
      /* "major:minor" as the kernel prints it (DMAR_VER_REG); informational. */
      u->version = read_attr_logged (vpath, TRUE);
      if (u->version && !g_regex_match_simple ("^[0-9]{1,3}:[0-9]{1,3}$", u->version, 0, 0))
        {
          g_autofree char *shown = g_strescape (u->version, NULL);
          g_warning ("%s: '%.40s' is not a 'major:minor' version", vpath, shown);
          g_clear_pointer (&u->version, g_free);
        }
    }
}

/* The vendor whose register directory the unit has, or whose unit names
 * it has; NULL: unknown.  *regdir gets the directory (caller frees). */
static const IhwVendorDesc *
unit_vendor (const char *base, const char *name, char **regdir)
{
  guint n;
  const IhwVendorDesc *const *vendors = ihw_vendors (&n);

  *regdir = NULL;
  for (guint i = 0; i < n; i++)
    if (vendors[i]->sysfs_dir)
      {
        g_autofree char *dir = g_build_filename (base, vendors[i]->sysfs_dir, NULL);
        if (g_file_test (dir, G_FILE_TEST_IS_DIR))
          {
            *regdir = g_steal_pointer (&dir);
            return vendors[i];
          }
      }
  for (guint i = 0; i < n; i++)
    if (vendors[i]->sysfs_unit_prefix && g_str_has_prefix (name, vendors[i]->sysfs_unit_prefix))
      return vendors[i];
  return NULL;
}

/* "intel-iommu/ or amd-iommu/": the directories unit_vendor() looks for. */
static char *
vendor_dirs_text (void)
{
  guint n;
  const IhwVendorDesc *const *vendors = ihw_vendors (&n);
  g_autoptr (GPtrArray) dirs = g_ptr_array_new ();

  for (guint i = 0; i < n; i++)
    if (vendors[i]->sysfs_dir)
      g_ptr_array_add (dirs, g_strdup_printf ("%s/", vendors[i]->sysfs_dir));
  g_ptr_array_set_free_func (dirs, g_free);
  g_ptr_array_add (dirs, NULL);
  return g_strjoinv (" or ", (char **) dirs->pdata);
}

IhwUnit *
ihw_sysfs_read_unit (const char *sysfs_root, const char *name)
{
  g_autofree char *base = NULL;
  g_autofree char *regdir = NULL;
  g_autofree char *devdir = NULL;
  const IhwVendorDesc *vendor;
  IhwUnit *u;

  if (!ihw_sysfs_unit_exists (sysfs_root, name))
    return NULL;

  base = g_build_filename (sysfs_root, "class", "iommu", name, NULL);
  u = ihw_unit_new (name);
  if (!dir_usable (base))
    return u; /* kept: the name is all we know */

  vendor = unit_vendor (base, name, &regdir);
  if (vendor)
    {
      ihw_features_init (&u->features, vendor->vendor);
      /* A vendor without register files (SMMUv3): only iommufd can tell. */
      if (regdir)
        read_vendor_registers (u, vendor, regdir);
    }
  else
    {
      g_autofree char *dirs = vendor_dirs_text ();
      g_message ("%s: no %s register directory; vendor unknown", base, dirs);
    }
  u->source = u->features.present ? IHW_SOURCE_SYSFS : IHW_SOURCE_NONE;

  devdir = g_build_filename (base, "devices", NULL);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) devs = list_dir (devdir, accept_pci_address, "PCI address", IHW_SYSFS_MAX_ENTRIES, &error);
    /* Devices find their unit through their own `iommu` link: this list
     * only adds the back links, so an unreadable one is logged. */
    if (!devs)
      g_warning ("%s", error->message);
    for (guint i = 0; devs && i < devs->len; i++)
      g_ptr_array_add (u->devices, g_strdup (devs->pdata[i]));
  }
  return u;
}

/* ---- devices ---------------------------------------------------------- */

static gboolean
read_id (const char *dir, const char *attr, guint bits, guint64 *out)
{
  g_autofree char *path = g_build_filename (dir, attr, NULL);
  return read_hex_logged (path, bits, out);
}

/* `name` under `dir` is a directory itself, not a symlink to one. */
static gboolean
is_real_dir (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  struct stat st;
  return lstat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

/* `what` link of a device -> name.  NO: there is no such link (a definite
 * "none"); UNKNOWN: a link that cannot be read, dangles or loops (logged) --
 * it says there is something, not what; YES: *name is set. */
static IhwTristate
read_device_link (const char *dir, const char *what, char **name)
{
  g_autofree char *path = g_build_filename (dir, what, NULL);
  g_autoptr (GError) error = NULL;

  *name = NULL;
  if (!ihw_sysfs_read_link_name (path, name, &error))
    {
      if (g_error_matches (error, IHW_ERROR, IHW_ERROR_NOT_SUPPORTED))
        return IHW_TRISTATE_NO;
      g_warning ("%s", error->message);
      return IHW_TRISTATE_UNKNOWN;
    }
  if (!dir_usable (path))
    {
      g_clear_pointer (name, g_free);
      return IHW_TRISTATE_UNKNOWN;
    }
  return IHW_TRISTATE_YES;
}

/* "major:minor" as the kernel prints a dev_t: decimal digits only (sscanf's
 * %u would take "-1" as 4294967295). */
static gboolean
parse_dev_t (const char *text, guint *major, guint *minor)
{
  g_auto (GStrv) parts = g_strsplit (text, ":", 3);
  guint64 ma, mi;

  if (g_strv_length (parts) != 2 || !g_ascii_string_to_unsigned (parts[0], 10, 0, 4095, &ma, NULL) ||
      !g_ascii_string_to_unsigned (parts[1], 10, 0, (1u << 20) - 1, &mi, NULL) ||
      !g_ascii_isdigit (parts[0][0]) || !g_ascii_isdigit (parts[1][0]))
    return FALSE;
  *major = (guint) ma;
  *minor = (guint) mi;
  return TRUE;
}

static void
read_vfio_cdev (IhwDevice *d, const char *dir, const char *dev_root)
{
  g_autofree char *vdir = g_build_filename (dir, "vfio-dev", NULL);
  g_autoptr (GDir) dd = NULL;
  const char *name;

  if (!g_file_test (vdir, G_FILE_TEST_IS_DIR))
    return;
  dd = ihw_sys_dir_open (vdir, NULL);
  if (!dd)
    {
      g_warning ("%s: cannot list", vdir);
      return;
    }
  while ((name = g_dir_read_name (dd)))
    {
      g_autofree char *devpath = NULL;
      g_autofree char *text = NULL;
      guint major, minor;

      /* The kernel names the cdev node after this directory: vfio<N>. */
      if (!g_str_has_prefix (name, "vfio") || name[4] == '\0' || strlen (name) > 14 ||
          strspn (name + 4, "0123456789") != strlen (name + 4))
        {
          g_autofree char *shown = g_strescape (name, NULL);
          g_warning ("%s: ignoring '%.40s': not a vfio<N> cdev", vdir, shown);
          continue;
        }
      devpath = g_build_filename (vdir, name, "dev", NULL);
      text = read_attr_logged (devpath, FALSE);
      if (!text)
        continue;
      if (!parse_dev_t (text, &major, &minor))
        {
          g_autofree char *shown = g_strescape (text, NULL);
          g_warning ("%s: '%.40s' is not 'major:minor'", devpath, shown);
          continue;
        }
      g_free (d->vfio_cdev);
      d->vfio_cdev = g_build_filename (dev_root, "vfio", "devices", name, NULL);
      d->vfio_cdev_major = major;
      d->vfio_cdev_minor = minor;
      break; /* one cdev per device */
    }
}

/* "0x<start> 0x<last> <type>" per line (drivers/iommu/iommu.c
 * iommu_group_show_resv_regions): the regions iommufd keeps out of an
 * IOAS, which is all of them but direct-relaxable ones
 * (iopt_table_enforce_dev_resv_regions).  NULL when the file is missing
 * (quietly: recorded trees lack it) or malformed (logged). */
static GBytes *
read_reserved_regions (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "iommu_group", "reserved_regions", NULL);
  g_autofree char *text = read_attr_logged (path, TRUE);
  g_autoptr (GArray) pairs = NULL;
  g_auto (GStrv) lines = NULL;

  if (!text)
    return NULL;
  pairs = g_array_new (FALSE, FALSE, sizeof (guint64));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      g_auto (GStrv) f = NULL;
      guint64 start, last;

      if (!*lines[i])
        continue;
      f = g_strsplit (lines[i], " ", 4);
      if (g_strv_length (f) != 3 || !g_str_has_prefix (f[0], "0x") || !g_str_has_prefix (f[1], "0x")
          || !g_ascii_string_to_unsigned (f[0] + 2, 16, 0, G_MAXUINT64, &start, NULL)
          || !g_ascii_string_to_unsigned (f[1] + 2, 16, 0, G_MAXUINT64, &last, NULL) || last < start)
        {
          g_autofree char *shown = g_strescape (lines[i], NULL);
          g_warning ("%s: line %u '%.80s' is not '0xSTART 0xLAST TYPE'; its regions are ignored", path, i + 1, shown);
          return NULL;
        }
      if (strcmp (f[2], "direct-relaxable") == 0)
        continue;
      g_array_append_val (pairs, start);
      g_array_append_val (pairs, last);
    }
  return g_bytes_new (pairs->data, pairs->len * sizeof (guint64));
}

IhwDevice *
ihw_sysfs_read_device (const char *sysfs_root, const char *dev_root, const char *address)
{
  g_autofree char *dir = NULL;
  g_autofree char *group = NULL;
  IhwDevice *d;
  guint64 v;

  if (!ihw_sysfs_device_exists (sysfs_root, address))
    return NULL;

  dir = g_build_filename (sysfs_root, "bus", "pci", "devices", address, NULL);
  d = ihw_device_new (address);
  if (!dir_usable (dir))
    return d; /* kept: the address is all we know */

  if (read_id (dir, "vendor", 16, &v))
    d->vendor_id = (guint16) v;
  if (read_id (dir, "device", 16, &v))
    d->device_id = (guint16) v;
  if (read_id (dir, "class", 24, &v))
    d->class_code = (guint32) v;

  /* Only a missing `iommu` link says "no IOMMU"; one that dangles or loops
   * names a unit nobody can read, which is missing data, not an answer.  A
   * directory there is no link at all: the function is an IOMMU itself
   * (AMD's 00:00.2) and `iommu/` holds its own class device
   * (iommu_device_sysfs_add() with the PCI device as parent); it sits
   * behind no IOMMU. */
  d->has_iommu = is_real_dir (dir, "iommu") ? IHW_TRISTATE_NO : read_device_link (dir, "iommu", &d->unit);

  {
    g_autofree char *drv = NULL;
    IhwTristate bound = read_device_link (dir, "driver", &drv);
    g_free (d->driver);
    d->driver = bound == IHW_TRISTATE_YES ? g_steal_pointer (&drv) : bound == IHW_TRISTATE_NO ? g_strdup ("") : NULL;
  }

  switch (read_device_link (dir, "iommu_group", &group))
    {
    case IHW_TRISTATE_YES:
      {
        guint64 n;
        if (g_ascii_string_to_unsigned (group, 10, 0, G_MAXINT, &n, NULL))
          d->iommu_group = (int) n;
        else
          {
            g_autofree char *shown = g_strescape (group, NULL);
            g_warning ("%s/iommu_group: '%s' is not a group number", dir, shown);
            d->iommu_group = IHW_IOMMU_GROUP_UNKNOWN;
          }
      }
      break;
    case IHW_TRISTATE_UNKNOWN:
      d->iommu_group = IHW_IOMMU_GROUP_UNKNOWN;
      break;
    case IHW_TRISTATE_NO:
      break;
    }
  if (d->iommu_group >= 0)
    d->reserved_regions = read_reserved_regions (dir);

  read_vfio_cdev (d, dir, dev_root);
  d->behind_pci_bridge = ihw_sysfs_behind_pci_bridge (sysfs_root, address);
  return d;
}

IhwTristate
ihw_sysfs_behind_pci_bridge (const char *sysfs_root, const char *address)
{
  g_autofree char *link = g_build_filename (sysfs_root, "bus", "pci", "devices", address, NULL);
  g_autofree char *real = realpath (link, NULL);
  g_autofree char *devices = g_build_filename (sysfs_root, "devices", NULL);
  g_autofree char *devices_real = realpath (devices, NULL);
  g_auto (GStrv) parts = NULL;
  guint n_funcs = 0, n_conventional = 0;
  GString *path;

  if (!real || !devices_real || !g_str_has_prefix (real, devices_real))
    return IHW_TRISTATE_UNKNOWN;

  /* devices/pci0000:00/0000:00:1c.0/0000:02:00.0: the PCI functions on the
   * path are the upstream bridges and the device itself. */
  parts = g_strsplit (real + strlen (devices_real), "/", -1);
  path = g_string_new (devices_real);
  for (guint i = 0; parts[i]; i++)
    {
      if (!*parts[i])
        continue;
      g_string_append_printf (path, "/%s", parts[i]);
      if (!ihw_pci_address_valid (parts[i]))
        continue;
      n_funcs++;
      {
        g_autofree char *speed = g_build_filename (path->str, "max_link_speed", NULL);
        if (!g_file_test (speed, G_FILE_TEST_EXISTS))
          n_conventional++;
      }
      if (n_funcs > 64)
        break; /* no real topology is that deep */
    }
  g_string_free (path, TRUE);

  if (n_funcs == 0)
    return IHW_TRISTATE_UNKNOWN;
  if (n_funcs == 1)
    return IHW_TRISTATE_NO; /* on the root bus: no bridge at all */
  return n_conventional ? IHW_TRISTATE_YES : IHW_TRISTATE_NO;
}
