/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the daemon's sysfs reader (ihw-sysfs.c) over a hostile
 * tree.  Input: fields separated by '|', written as the files, links and
 * names of a sysfs tree with a fixed layout (a field that is not there is a
 * file that is not there; an empty one is an empty file):
 *
 *   - each register file of each vendor that has a register directory, in
 *     the vendor table's order (the version file after a vendor's files),
 *     under class/iommu/unit<N>/<dir>/;
 *   - names under unit0's devices/ (one a line);
 *   - the device's vendor, device and class files;
 *   - the targets of its iommu, driver and iommu_group links (verbatim;
 *     "DIR": a real directory instead);
 *   - the name of its vfio-dev/ entry and that entry's dev file;
 *   - more names under class/iommu (one a line).
 *
 * The device is devices/pci0000:00/0000:00:1c.0/0000:01:00.0 (behind a
 * bridge without max_link_speed) with its bus/pci/devices link.  Every unit
 * listed and the device are read; the records must hold what the reader
 * promises.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ihw-names.h"
#include "ihw-sysfs.h"
#include "ihw-vendor.h"

#define ADDRESS "0000:01:00.0"
#define MAX_NAMES 16

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static GLogWriterOutput
discard (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  (void) level, (void) fields, (void) n_fields, (void) user_data;
  return G_LOG_WRITER_HANDLED;
}

static void
remove_tree (const char *path)
{
  struct stat st;

  if (lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;
      while (dir && (name = g_dir_read_name (dir)))
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_assert_cmpint (rmdir (path), ==, 0);
    }
  else
    g_assert_cmpint (unlink (path), ==, 0);
}

static void
mkdirs (const char *path)
{
  g_assert_cmpint (g_mkdir_with_parents (path, 0755), ==, 0);
}

/* Whether a name from the input is usable as one directory entry. */
static gboolean
entry_name_ok (const char *name)
{
  return *name && !strchr (name, '/') && strcmp (name, ".") != 0 && strcmp (name, "..") != 0 &&
         strlen (name) < 256;
}

static char *base;

static void
remove_base (void)
{
  remove_tree (base);
}

typedef struct {
  const char *p, *end;
} Fields;

/* The next field (a new string), or NULL when the input has no more. */
static char *
next_field (Fields *f)
{
  const char *bar;

  if (!f->p)
    return NULL;
  bar = memchr (f->p, '|', (size_t) (f->end - f->p));
  {
    /* Not g_strndup: a file keeps its NUL bytes. */
    gsize n = (gsize) ((bar ? bar : f->end) - f->p);
    char *field = g_malloc (n + 1);
    memcpy (field, f->p, n);
    field[n] = '\0';
    f->p = bar ? bar + 1 : NULL;
    return field;
  }
}

/* The field as the contents of dir/name (absent: no file). */
static void
file_field (Fields *f, const char *dir, const char *name)
{
  const char *start = f->p;
  g_autofree char *field = next_field (f);
  g_autofree char *path = NULL;

  if (!field)
    return;
  mkdirs (dir);
  path = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (path, field, (f->p ? f->p - 1 : f->end) - start, NULL));
}

static void
link_field (Fields *f, const char *dir, const char *name)
{
  g_autofree char *field = next_field (f);
  g_autofree char *path = g_build_filename (dir, name, NULL);

  if (!field || !*field)
    return;
  if (strcmp (field, "DIR") == 0)
    mkdirs (path);
  else
    g_assert_cmpint (symlink (field, path), ==, 0);
}

/* One line of the field: one empty directory each under `dir`. */
static void
names_field (Fields *f, const char *dir)
{
  g_autofree char *field = next_field (f);
  g_auto (GStrv) names = field ? g_strsplit (field, "\n", MAX_NAMES + 1) : NULL;

  for (guint i = 0; names && names[i] && i < MAX_NAMES; i++)
    if (entry_name_ok (names[i]))
      {
        g_autofree char *path = g_build_filename (dir, names[i], NULL);
        mkdirs (path);
      }
}

static void
check_unit (const IhwUnit *u, const char *name)
{
  g_autofree char *sig = ihw_unit_signature (u);

  g_assert_nonnull (sig);
  g_assert_cmpstr (u->name, ==, name);
  g_assert_true (u->source == IHW_SOURCE_SYSFS || u->source == IHW_SOURCE_NONE);
  for (guint i = 0; i < u->devices->len; i++)
    g_assert_true (ihw_pci_address_canonical (u->devices->pdata[i]));
  if (u->version)
    g_assert_true (g_regex_match_simple ("^[0-9]{1,3}:[0-9]{1,3}$", u->version, 0, 0));
}

static void
check_device (const IhwDevice *d, const char *dev_root)
{
  g_autofree char *sig = ihw_device_signature (d);

  g_assert_nonnull (sig);
  g_assert_cmpstr (d->address, ==, ADDRESS);
  /* A unit name only with a definite link to it. */
  g_assert_true ((d->unit != NULL) == (d->has_iommu == IHW_TRISTATE_YES));
  g_assert_true (d->iommu_group >= IHW_IOMMU_GROUP_UNKNOWN);
  if (d->vfio_cdev && *d->vfio_cdev)
    g_assert_true (g_str_has_prefix (d->vfio_cdev, dev_root));
  g_assert_true (d->behind_pci_bridge == IHW_TRISTATE_YES);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *root = NULL;
  g_autofree char *units = NULL;
  g_autofree char *devdir = NULL;
  g_autofree char *link = NULL;
  g_autoptr (GPtrArray) listed = NULL;
  const IhwVendorDesc *const *vendors;
  Fields f = { (const char *) data, (const char *) data + size };
  guint n, unit_no = 0;

  if (!base)
    {
      const char *tmp = g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : g_get_tmp_dir ();
      g_autofree char *tmpl = g_build_filename (tmp, "fuzz-sysfs-XXXXXX", NULL);
      base = g_mkdtemp (g_steal_pointer (&tmpl));
      g_assert_nonnull (base);
      g_log_set_writer_func (discard, NULL, NULL);
      atexit (remove_base);
    }
  root = g_build_filename (base, "sys", NULL);
  units = g_build_filename (root, "class", "iommu", NULL);
  mkdirs (units);

  vendors = ihw_vendors (&n);
  for (guint v = 0; v < n; v++)
    if (vendors[v]->sysfs_dir)
      {
        g_autofree char *unit = g_strdup_printf ("unit%u", unit_no++);
        g_autofree char *regdir = g_build_filename (units, unit, vendors[v]->sysfs_dir, NULL);
        mkdirs (regdir);
        for (guint i = 0; i < G_N_ELEMENTS (vendors[v]->sysfs_files) && vendors[v]->sysfs_files[i].file; i++)
          file_field (&f, regdir, vendors[v]->sysfs_files[i].file);
        if (vendors[v]->sysfs_version_file)
          file_field (&f, regdir, vendors[v]->sysfs_version_file);
      }
  {
    g_autofree char *unit_devs = g_build_filename (units, "unit0", "devices", NULL);
    mkdirs (unit_devs);
    names_field (&f, unit_devs);
  }

  devdir = g_build_filename (root, "devices", "pci0000:00", "0000:00:1c.0", ADDRESS, NULL);
  mkdirs (devdir);
  file_field (&f, devdir, "vendor");
  file_field (&f, devdir, "device");
  file_field (&f, devdir, "class");
  link_field (&f, devdir, "iommu");
  link_field (&f, devdir, "driver");
  link_field (&f, devdir, "iommu_group");
  {
    g_autofree char *vname = next_field (&f);
    if (vname && entry_name_ok (vname))
      {
        g_autofree char *vdir = g_build_filename (devdir, "vfio-dev", vname, NULL);
        mkdirs (vdir);
        file_field (&f, vdir, "dev");
      }
  }
  names_field (&f, units);
  {
    g_autofree char *pci = g_build_filename (root, "bus", "pci", "devices", NULL);
    mkdirs (pci);
    link = g_build_filename (pci, ADDRESS, NULL);
    g_assert_cmpint (symlink ("../../../devices/pci0000:00/0000:00:1c.0/" ADDRESS, link), ==, 0);
  }

  listed = ihw_sysfs_list_units (root, NULL);
  g_assert_nonnull (listed);
  for (guint i = 0; i < listed->len; i++)
    {
      IhwUnit *u = ihw_sysfs_read_unit (root, listed->pdata[i]);
      g_assert_nonnull (u);
      check_unit (u, listed->pdata[i]);
      ihw_unit_free (u);
    }
  {
    g_autoptr (GPtrArray) devices = ihw_sysfs_list_devices (root, NULL);
    IhwDevice *d;
    g_assert_nonnull (devices);
    g_assert_cmpuint (devices->len, ==, 1);
    d = ihw_sysfs_read_device (root, "/dev", ADDRESS);
    g_assert_nonnull (d);
    check_device (d, "/dev");
    ihw_device_free (d);
  }

  remove_tree (root);
  return 0;
}
