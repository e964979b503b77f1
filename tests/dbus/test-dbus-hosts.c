/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every recorded host (tests/fixtures/hosts/<name>) through the real daemon
 * on a private bus: every object's properties, CheckNesting for every
 * model over all devices, a clean exit on SIGTERM.
 */
#include <string.h>
#include <sys/wait.h>

#include "ihw-names.h"
#include "ihw-test-bus.h"

static const char *const models[] = { "intel", "smmuv3", "amd", "virtio" };

static GVariant *
call_ok (GDBusConnection *c, const char *path, const char *iface, const char *method, GVariant *args)
{
  g_autoptr(GError) error = NULL;
  GVariant *r = g_dbus_connection_call_sync (c, IHW_DBUS_NAME, path, iface, method, args, NULL,
                                             G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &error);
  g_assert_no_error (error);
  return r;
}

static void
test_host (gconstpointer data)
{
  const char *host = data;
  IhwTestBus tb = { 0 };
  g_autofree char *devdir = NULL;
  g_autoptr(GVariant) objs = NULL, dict = NULL, devices = NULL;
  g_autoptr(GPtrArray) addresses = g_ptr_array_new_with_free_func (g_free);
  GVariantIter it;
  const char *path;
  GVariant *ifaces;
  int status;

  ihw_test_bus_start (&tb, g_getenv ("IHW_POLICY"));
  /* The recorded host's own /dev (placeholders for /dev/iommu and the VFIO
   * cdevs: whether the kernel had iommufd); an empty one when it has none. */
  devdir = g_build_filename (host, "dev", NULL);
  if (!g_file_test (devdir, G_FILE_TEST_IS_DIR))
    {
      g_free (devdir);
      devdir = g_build_filename (tb.tmpdir, "dev", NULL);
      g_assert_cmpint (g_mkdir_with_parents (devdir, 0755), ==, 0);
    }
  {
    const char *args[] = { "--sysfs-root", host, "--dev-root", devdir, "--no-probe", NULL };
    ihw_test_daemon_start (&tb, args);
  }

  objs = call_ok (tb.conn, IHW_DBUS_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL);
  dict = g_variant_get_child_value (objs, 0);
  g_variant_iter_init (&it, dict);
  while (g_variant_iter_loop (&it, "{&o@a{sa{sv}}}", &path, &ifaces))
    {
      g_autoptr(GVariant) addr = NULL;
      g_autoptr(GVariant) dev = g_variant_lookup_value (ifaces, IHW_DBUS_DEVICE_IFACE, G_VARIANT_TYPE ("a{sv}"));
      if (!dev)
        continue;
      addr = g_variant_lookup_value (dev, "Address", G_VARIANT_TYPE_STRING);
      g_assert_nonnull (addr);
      g_ptr_array_add (addresses, g_variant_dup_string (addr, NULL));
    }

  devices = call_ok (tb.conn, IHW_DBUS_PATH, "org.freedesktop.DBus.Properties", "Get",
                     g_variant_new ("(ss)", IHW_DBUS_MANAGER_IFACE, "Devices"));
  {
    g_autoptr(GVariant) v = g_variant_get_child_value (devices, 0);
    g_autoptr(GVariant) inner = g_variant_get_variant (v);
    g_assert_cmpuint (g_variant_n_children (inner), ==, addresses->len);
  }
  g_test_message ("%s: %u devices", host, addresses->len);

  if (addresses->len > 0)
    {
      g_ptr_array_add (addresses, NULL);
      for (guint m = 0; m < G_N_ELEMENTS (models); m++)
        {
          g_autoptr(GVariant) r = call_ok (
            tb.conn, IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "CheckNesting",
            g_variant_new ("(s^as@a{sv})", models[m], (const char *const *) addresses->pdata,
                           g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)));
          const char *verdict;
          g_variant_get (r, "(&s@a(ssss))", &verdict, NULL);
          g_test_message ("%s: %s %s", host, models[m], verdict);
        }
      for (guint i = 0; addresses->pdata[i]; i++)
        {
          g_autoptr(GVariant) info = call_ok (tb.conn, IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "GetHwInfo",
                                              g_variant_new ("(s)", (const char *) addresses->pdata[i]));
          g_assert_true (g_variant_is_of_type (info, G_VARIANT_TYPE ("(uaytys)")));
        }
    }
  {
    g_autoptr(GVariant) done = call_ok (tb.conn, IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "Refresh",
                                        g_variant_new ("(as)", NULL));
    g_assert_true (g_variant_is_of_type (done, G_VARIANT_TYPE_UNIT));
  }

  status = ihw_test_daemon_stop (&tb);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  ihw_test_bus_stop (&tb);
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

int
main (int argc, char **argv)
{
  const char *dir = g_getenv ("IHW_HOSTS");
  g_autoptr(GDir) d = NULL;
  g_autoptr(GPtrArray) hosts = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_test_init (&argc, &argv, NULL);
  d = dir ? g_dir_open (dir, 0, NULL) : NULL;
  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        g_ptr_array_add (hosts, g_steal_pointer (&p));
    }
  g_ptr_array_sort (hosts, compare_paths);
  for (guint i = 0; i < hosts->len; i++)
    {
      g_autofree char *base = g_path_get_basename (hosts->pdata[i]);
      g_autofree char *tp = g_strdup_printf ("/dbus-hosts/%s", base);
      g_test_add_data_func (tp, hosts->pdata[i], test_host);
    }
  return g_test_run ();
}
