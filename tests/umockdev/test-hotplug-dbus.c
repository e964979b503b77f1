/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hotplug end to end: a uevent sent from this process reaches the REAL
 * iommu-hwinfod binary (a child on a private dbus-daemon), and the daemon's
 * D-Bus signals and state follow (SPEC §3.3, §4).
 *
 * How the uevent gets there.  umockdev 0.17's preload library turns the
 * daemon's AF_NETLINK/NETLINK_KOBJECT_UEVENT socket into a unix socket bound
 * at $UMOCKDEV_DIR/event<fd> (libumockdev-preload.c: netlink_socket/
 * netlink_bind), and umockdev_testbed_uevent() sends the udev-format message
 * to every socket matching $UMOCKDEV_DIR/event[0-9]* (uevent_sender.c:
 * sendmsg_all).  That is a rendezvous in the file system, not in the
 * process, so a child that inherits UMOCKDEV_DIR and LD_PRELOAD (umockdev's
 * documented way to run programs in a testbed) receives the test's uevents.
 *
 * --sysfs-root /sys, not the testbed's real directory.  The daemon runs
 * under the preload, where /sys *is* the testbed, exactly as a production
 * daemon's /sys is the kernel's: the syspaths in the uevents it receives
 * (/sys/devices/...) and the tree it reads then name the same files, and the
 * option under test is the default one.  Handing it $UMOCKDEV_DIR/sys would
 * also read the right files, but would test a configuration nobody runs and
 * mix two spellings of one tree in one process.
 *
 * --no-probe: the ioctl side is test-probe's business; here only sysfs and
 * uevents drive the daemon.
 */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <umockdev.h>

#include "fake-iommufd.h"
#include "ihw-names.h"
#include "fake-iommufd.h"
#include "../dbus/ihw-test-bus.h"

#define CAP_SPR "19ed008c40780c66"
#define ECAP_SPR "3ee9e86f050df"
/* A client VT-d unit without scalable mode, hence without nesting. */
#define CAP_NO_SM "d2008c40660462"
#define ECAP_NO_SM "f050da"
#define OLD "0000:00:02.0" /* there from the start: dmar0, vfio-pci, group 1, vfio0 */
#define NEW "0000:00:03.0" /* hotplugged: dmar0, e1000e then vfio-pci, group 2, vfio1 */
#define NEW_SYSPATH "/sys/devices/pci0000:00/" NEW
#define NEW_DIR "sys/devices/pci0000:00/" NEW
#define SIGNAL_TIMEOUT_S 5

static gboolean have_umockdev;

typedef struct {
  char *path;
  char *iface;
  char *member;
  GVariant *params;
} Signal;

typedef struct {
  IhwTestBus bus;
  UMockdevTestbed *tb;
  char *root; /* the testbed's real directory */
  GPtrArray *signals;
  guint sub;
} Fixture;

static void
signal_free (Signal *s)
{
  g_free (s->path);
  g_free (s->iface);
  g_free (s->member);
  g_variant_unref (s->params);
  g_free (s);
}

static void
on_signal (GDBusConnection *c, const char *sender, const char *path, const char *iface, const char *member,
           GVariant *params, gpointer data)
{
  Fixture *fx = data;
  Signal *s = g_new0 (Signal, 1);
  s->path = g_strdup (path);
  s->iface = g_strdup (iface);
  s->member = g_strdup (member);
  s->params = g_variant_ref (params);
  g_ptr_array_add (fx->signals, s);
  if (g_test_verbose ())
    {
      g_autofree char *p = g_variant_print (params, FALSE);
      g_printerr ("  signal %s %s.%s %.200s\n", path, iface, member, p);
    }
}

typedef gboolean (*SignalMatch) (const Signal *s, gconstpointer data);

/* Runs the main loop until a signal at or after *cursor matches (bounded);
 * moves the cursor past it.  What came before it stays in fx->signals. */
static const Signal *
wait_signal (Fixture *fx, guint *cursor, SignalMatch match, gconstpointer data, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + SIGNAL_TIMEOUT_S * G_USEC_PER_SEC;

  for (;;)
    {
      for (; *cursor < fx->signals->len; (*cursor)++)
        {
          const Signal *s = fx->signals->pdata[*cursor];
          if (match (s, data))
            {
              (*cursor)++;
              return s;
            }
        }
      if (g_get_monotonic_time () >= deadline)
        break;
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (5000);
    }
  g_error ("no %s within %d s (%u signals seen)", what, SIGNAL_TIMEOUT_S, fx->signals->len);
  return NULL;
}

static gboolean
is_interfaces_added (const Signal *s, gconstpointer path)
{
  const char *p;
  if (!g_str_equal (s->member, "InterfacesAdded") || !g_str_equal (s->path, IHW_DBUS_PATH))
    return FALSE;
  g_variant_get (s->params, "(&o@a{sa{sv}})", &p, NULL);
  return g_str_equal (p, path);
}

static gboolean
is_interfaces_removed (const Signal *s, gconstpointer path)
{
  const char *p;
  if (!g_str_equal (s->member, "InterfacesRemoved") || !g_str_equal (s->path, IHW_DBUS_PATH))
    return FALSE;
  g_variant_get (s->params, "(&o@as)", &p, NULL);
  return g_str_equal (p, path);
}

/* The changed properties of a PropertiesChanged on `path` for `iface`, or NULL. */
static GVariant *
changed_props (const Signal *s, const char *path, const char *iface)
{
  const char *i;
  GVariant *changed;
  if (!g_str_equal (s->member, "PropertiesChanged") || !g_str_equal (s->path, path))
    return NULL;
  g_variant_get (s->params, "(&s@a{sv}@as)", &i, &changed, NULL);
  if (!g_str_equal (i, iface))
    {
      g_variant_unref (changed);
      return NULL;
    }
  return changed;
}

static gboolean
strv_has (GVariant *v, const char *s)
{
  g_autofree const char **a = g_variant_get_objv (v, NULL);
  return g_strv_contains (a, s);
}

typedef struct {
  const char *path;
  gboolean present;
} DevicesWant;

/* Manager PropertiesChanged whose Devices does (not) list a path. */
static gboolean
is_manager_devices (const Signal *s, gconstpointer data)
{
  const DevicesWant *w = data;
  g_autoptr (GVariant) changed = changed_props (s, IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE);
  g_autoptr (GVariant) devs = NULL;
  if (!changed || !(devs = g_variant_lookup_value (changed, "Devices", G_VARIANT_TYPE ("ao"))))
    return FALSE;
  return strv_has (devs, w->path) == w->present;
}

typedef struct {
  const char *path;
  const char *driver;
} DriverWant;

static gboolean
is_device_driver (const Signal *s, gconstpointer data)
{
  const DriverWant *w = data;
  g_autoptr (GVariant) changed = changed_props (s, w->path, IHW_DBUS_DEVICE_IFACE);
  const char *driver;
  return changed && g_variant_lookup (changed, "Driver", "&s", &driver) && g_str_equal (driver, w->driver);
}

/* ------------------------------------------------------------------ */
/* The testbed's sysfs, in the kernel's shape (SPEC §3), plus what umockdev
 * needs to build a uevent (a uevent file and a subsystem link). */

static void
put (Fixture *fx, const char *rel, const char *content)
{
  g_autofree char *path = g_build_filename (fx->root, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_file_set_contents (path, content, -1, &error);
  g_assert_no_error (error);
}

static void
put_link (Fixture *fx, const char *rel, const char *target)
{
  g_autofree char *path = g_build_filename (fx->root, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  (void) unlink (path);
  if (symlink (target, path) != 0)
    g_error ("symlink %s -> %s: %s", path, target, g_strerror (errno));
}

static void
remove_path (Fixture *fx, const char *rel)
{
  g_autofree char *path = g_build_filename (fx->root, rel, NULL);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", path);
  g_assert_cmpint (system (cmd), ==, 0);
}

static void
new_device_uevent_file (Fixture *fx, const char *driver)
{
  g_autofree char *text = g_strdup_printf ("%s%s%sPCI_CLASS=20000\nPCI_ID=8086:10D3\nPCI_SUBSYS_ID=8086:A01F\n"
                                           "PCI_SLOT_NAME=" NEW "\nMODALIAS=pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00\n",
                                           driver ? "DRIVER=" : "", driver ? driver : "", driver ? "\n" : "");
  put (fx, NEW_DIR "/uevent", text);
}

/* An Intel NIC on dmar0, group 2, bound to e1000e, as the kernel shows it
 * when the uevent "add" goes out. */
static void
add_new_device (Fixture *fx)
{
  put (fx, NEW_DIR "/vendor", "0x8086\n");
  put (fx, NEW_DIR "/device", "0x10d3\n");
  put (fx, NEW_DIR "/class", "0x020000\n");
  new_device_uevent_file (fx, "e1000e");
  put_link (fx, NEW_DIR "/subsystem", "../../../bus/pci");
  put_link (fx, NEW_DIR "/iommu", "../../virtual/iommu/dmar0");
  put_link (fx, "sys/devices/virtual/iommu/dmar0/devices/" NEW, "../../../../pci0000:00/" NEW);
  put (fx, "sys/kernel/iommu_groups/2/type", "DMA\n");
  put_link (fx, "sys/kernel/iommu_groups/2/devices/" NEW, "../../../../devices/pci0000:00/" NEW);
  put_link (fx, NEW_DIR "/iommu_group", "../../../kernel/iommu_groups/2");
  put_link (fx, "sys/bus/pci/drivers/e1000e/" NEW, "../../../../devices/pci0000:00/" NEW);
  put_link (fx, NEW_DIR "/driver", "../../../bus/pci/drivers/e1000e");
  put_link (fx, "sys/bus/pci/devices/" NEW, "../../../devices/pci0000:00/" NEW);
}

/* ------------------------------------------------------------------ */

static GVariant *
call_ok (Fixture *fx, const char *path, const char *iface, const char *method, GVariant *args, const char *type)
{
  g_autoptr (GError) error = NULL;
  GVariant *r = g_dbus_connection_call_sync (fx->bus.conn, IHW_DBUS_NAME, path, iface, method, args,
                                             G_VARIANT_TYPE (type), G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  g_assert_no_error (error);
  return r;
}

static GVariant *
get_property (Fixture *fx, const char *path, const char *iface, const char *prop)
{
  g_autoptr (GVariant) r = call_ok (fx, path, "org.freedesktop.DBus.Properties", "Get",
                                    g_variant_new ("(ss)", iface, prop), "(v)");
  GVariant *v;
  g_variant_get (r, "(v)", &v);
  return v;
}

/* The Device interface's properties of `path` in GetManagedObjects, or NULL
 * when the object is not there; *n_objects: how many objects there are. */
static GVariant *
managed_device (Fixture *fx, const char *path, gsize *n_objects)
{
  g_autoptr (GVariant) r = call_ok (fx, IHW_DBUS_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                                    NULL, "(a{oa{sa{sv}}})");
  g_autoptr (GVariant) objs = g_variant_get_child_value (r, 0);
  g_autoptr (GVariant) ifaces = g_variant_lookup_value (objs, path, G_VARIANT_TYPE ("a{sa{sv}}"));
  *n_objects = g_variant_n_children (objs);
  return ifaces ? g_variant_lookup_value (ifaces, IHW_DBUS_DEVICE_IFACE, G_VARIANT_TYPE ("a{sv}")) : NULL;
}

static void
assert_str_prop (GVariant *props, const char *name, const char *want)
{
  const char *v = NULL;
  if (!g_variant_lookup (props, name, "&s", &v))
    g_error ("property %s missing", name);
  g_assert_cmpstr (v, ==, want);
}

/* Everything a hotplugged, unprobed NIC on dmar0 must say.  A
 * PropertiesChanged leaves out Address (EmitsChangedSignal=const). */
static void
assert_new_device_props (GVariant *props, gboolean with_const, const char *driver, const char *cdev)
{
  g_autofree char *unit = ihw_unit_object_path ("dmar0");
  const char *o = NULL;
  gint32 group = -1;
  guint32 type = 99;
  guint64 updated = 0;

  if (with_const)
    assert_str_prop (props, "Address", NEW);
  else
    g_assert_false (g_variant_lookup (props, "Address", "&s", NULL));
  g_assert_true (g_variant_lookup (props, "Unit", "&o", &o));
  g_assert_cmpstr (o, ==, unit);
  assert_str_prop (props, "Driver", driver);
  g_assert_true (g_variant_lookup (props, "IommuGroup", "i", &group));
  g_assert_cmpint (group, ==, 2);
  assert_str_prop (props, "VfioCdev", cdev);
  g_assert_true (g_variant_lookup (props, "HwInfoType", "u", &type));
  g_assert_cmpuint (type, ==, 0); /* --no-probe: never opened */
  assert_str_prop (props, "HwInfoTypeName", "none");
  assert_str_prop (props, "NestParent", "unknown");
  assert_str_prop (props, "Source", "sysfs");
  g_assert_true (g_variant_lookup (props, "UpdatedUsec", "t", &updated));
  g_assert_cmpuint (updated, >, 0);
}

/* FALSE (test skipped) when run by hand without the preload. */
static gboolean
testbed_usable (void)
{
  return fake_umockdev_usable (have_umockdev, "the daemon could not be given a testbed, nor receive its uevents");
}

static void
test_device_lifecycle (Fixture *fx, gconstpointer data)
{
  g_autofree char *new_path = ihw_device_object_path (NEW);
  g_autofree char *old_path = ihw_device_object_path (OLD);
  g_autofree char *sysfs = NULL;
  guint cursor = 0;
  gsize n_objects_before, n_objects;
  const Signal *s;

  if (!testbed_usable ())
    return;

  /* The bus first: dbus-daemon has no business in the testbed (no
   * UMOCKDEV_DIR yet, so the inherited preload passes everything through). */
  ihw_test_bus_start (&fx->bus, g_getenv ("IHW_POLICY"));
  fx->signals = g_ptr_array_new_with_free_func ((GDestroyNotify) signal_free);
  fx->sub = g_dbus_connection_signal_subscribe (fx->bus.conn, IHW_DBUS_NAME, NULL, NULL, NULL, NULL,
                                                G_DBUS_SIGNAL_FLAGS_NONE, on_signal, fx, NULL);

  fx->tb = umockdev_testbed_new ();
  fx->root = umockdev_testbed_get_root_dir (fx->tb);
  /* What the child inherits: the testbed and the preload. */
  g_assert_cmpstr (g_getenv ("UMOCKDEV_DIR"), ==, fx->root);
  g_assert_nonnull (strstr (g_getenv ("LD_PRELOAD"), "libumockdev-preload"));

  sysfs = g_build_filename (fx->root, "sys", NULL);
  ihw_test_host_unit_vtd (sysfs, "dmar0", CAP_SPR, ECAP_SPR);
  ihw_test_host_device (sysfs, OLD, "dmar0", 1, "vfio-pci", 0);
  {
    const char *args[] = { "--sysfs-root", "/sys", "--no-probe", "--verbose", NULL };
    ihw_test_daemon_start (&fx->bus, args);
  }
  {
    g_autoptr (GVariant) devs = get_property (fx, IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "Devices");
    g_autoptr (GVariant) old = managed_device (fx, old_path, &n_objects_before);
    /* The daemon reads the testbed through /sys: it found OLD there. */
    g_assert_nonnull (old);
    g_assert_cmpuint (g_variant_n_children (devs), ==, 1);
    /* dmar0 and OLD (the spec's children of the manager, not the root) */
    g_assert_cmpuint (n_objects_before, ==, 2);
  }

  /* 1. A NIC appears, bound to e1000e. */
  add_new_device (fx);
  umockdev_testbed_uevent (fx->tb, NEW_SYSPATH, "add");
  s = wait_signal (fx, &cursor, is_interfaces_added, new_path, "InterfacesAdded for the new device");
  {
    g_autoptr (GVariant) ifaces = NULL;
    g_autoptr (GVariant) props = NULL;
    g_autoptr (GVariant) managed = NULL;
    g_variant_get (s->params, "(&o@a{sa{sv}})", NULL, &ifaces);
    g_assert_cmpuint (g_variant_n_children (ifaces), ==, 1);
    props = g_variant_lookup_value (ifaces, IHW_DBUS_DEVICE_IFACE, G_VARIANT_TYPE ("a{sv}"));
    g_assert_nonnull (props);
    assert_new_device_props (props, TRUE, "e1000e", "");
    /* The object is there with what the signal said. */
    managed = managed_device (fx, new_path, &n_objects);
    g_assert_nonnull (managed);
    g_assert_cmpuint (n_objects, ==, n_objects_before + 1);
    assert_new_device_props (managed, TRUE, "e1000e", "");
  }
  {
    DevicesWant w = { new_path, TRUE };
    g_autoptr (GVariant) devs = NULL;
    s = wait_signal (fx, &cursor, is_manager_devices, &w, "Manager PropertiesChanged listing the new device");
    devs = get_property (fx, IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "Devices");
    g_assert_true (strv_has (devs, new_path));
    g_assert_true (strv_has (devs, old_path));
    g_assert_cmpuint (g_variant_n_children (devs), ==, 2);
  }

  /* 2. Unbound from e1000e ... */
  remove_path (fx, NEW_DIR "/driver");
  remove_path (fx, "sys/bus/pci/drivers/e1000e/" NEW);
  new_device_uevent_file (fx, NULL);
  umockdev_testbed_uevent (fx->tb, NEW_SYSPATH, "unbind");
  {
    DriverWant w = { new_path, "" };
    g_autoptr (GVariant) changed = NULL;
    s = wait_signal (fx, &cursor, is_device_driver, &w, "PropertiesChanged with Driver \"\" after unbind");
    changed = changed_props (s, new_path, IHW_DBUS_DEVICE_IFACE);
    assert_str_prop (changed, "VfioCdev", "");
  }

  /* ... and bound to vfio-pci, as the kernel does it: vfio-pci's probe
   * registers the cdev (vfio-dev "add"), then the driver core says "bind". */
  put_link (fx, "sys/bus/pci/drivers/vfio-pci/" NEW, "../../../../devices/pci0000:00/" NEW);
  put_link (fx, NEW_DIR "/driver", "../../../bus/pci/drivers/vfio-pci");
  new_device_uevent_file (fx, "vfio-pci");
  put (fx, NEW_DIR "/vfio-dev/vfio1/dev", "237:1\n");
  put (fx, NEW_DIR "/vfio-dev/vfio1/uevent", "MAJOR=237\nMINOR=1\nDEVNAME=vfio/devices/vfio1\n");
  put_link (fx, NEW_DIR "/vfio-dev/vfio1/subsystem", "../../../../../class/vfio-dev");
  put_link (fx, NEW_DIR "/vfio-dev/vfio1/device", "../../../" NEW);
  put_link (fx, "sys/class/vfio-dev/vfio1", "../../devices/pci0000:00/" NEW "/vfio-dev/vfio1");
  umockdev_testbed_uevent (fx->tb, NEW_SYSPATH "/vfio-dev/vfio1", "add");
  umockdev_testbed_uevent (fx->tb, NEW_SYSPATH, "bind");
  {
    DriverWant w = { new_path, "vfio-pci" };
    g_autoptr (GVariant) changed = NULL;
    g_autoptr (GVariant) cdev = NULL;
    s = wait_signal (fx, &cursor, is_device_driver, &w, "PropertiesChanged with Driver vfio-pci after bind");
    changed = changed_props (s, new_path, IHW_DBUS_DEVICE_IFACE);
    assert_new_device_props (changed, FALSE, "vfio-pci", "/dev/vfio/devices/vfio1");
    cdev = get_property (fx, new_path, IHW_DBUS_DEVICE_IFACE, "VfioCdev");
    g_assert_cmpstr (g_variant_get_string (cdev, NULL), ==, "/dev/vfio/devices/vfio1");
  }

  /* 3. It goes: the vfio cdev, then the device.  The kernel drops the bus
   * and unit links first; umockdev needs the device directory to build the
   * uevent, so that goes last. */
  remove_path (fx, "sys/bus/pci/devices/" NEW);
  remove_path (fx, "sys/bus/pci/drivers/vfio-pci/" NEW);
  remove_path (fx, "sys/devices/virtual/iommu/dmar0/devices/" NEW);
  remove_path (fx, "sys/class/vfio-dev/vfio1");
  umockdev_testbed_uevent (fx->tb, NEW_SYSPATH, "remove");
  {
    g_autoptr (GVariant) ifaces = NULL;
    DevicesWant w = { new_path, FALSE };
    s = wait_signal (fx, &cursor, is_interfaces_removed, new_path, "InterfacesRemoved for the new device");
    g_variant_get (s->params, "(&o@as)", NULL, &ifaces);
    {
      g_autofree const char **names = g_variant_get_strv (ifaces, NULL);
      g_assert_cmpuint (g_strv_length ((char **) names), ==, 1);
      g_assert_cmpstr (names[0], ==, IHW_DBUS_DEVICE_IFACE);
    }
    wait_signal (fx, &cursor, is_manager_devices, &w, "Manager PropertiesChanged without the new device");
  }
  remove_path (fx, NEW_DIR);

  /* The final state agrees: back to what it was, and no object for NEW. */
  {
    g_autoptr (GVariant) gone = managed_device (fx, new_path, &n_objects);
    g_autoptr (GVariant) old = managed_device (fx, old_path, &n_objects);
    g_autoptr (GVariant) devs = get_property (fx, IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "Devices");
    g_assert_null (gone);
    g_assert_nonnull (old);
    g_assert_cmpuint (n_objects, ==, n_objects_before);
    g_assert_false (strv_has (devs, new_path));
    g_assert_cmpuint (g_variant_n_children (devs), ==, 1);
  }

  /* One InterfacesAdded and one InterfacesRemoved, both for NEW: nothing
   * announced twice, nothing else came or went. */
  {
    guint added = 0, removed = 0;
    for (guint i = 0; i < fx->signals->len; i++)
      {
        const Signal *x = fx->signals->pdata[i];
        if (g_str_equal (x->member, "InterfacesAdded"))
          {
            g_assert_true (is_interfaces_added (x, new_path));
            added++;
          }
        else if (g_str_equal (x->member, "InterfacesRemoved"))
          {
            g_assert_true (is_interfaces_removed (x, new_path));
            removed++;
          }
      }
    g_assert_cmpuint (added, ==, 1);
    g_assert_cmpuint (removed, ==, 1);
  }

  /* The unit's device list changed, which the Unit interface does not show:
   * no PropertiesChanged with unchanged values for it. */
  {
    g_autofree char *unit_path = ihw_unit_object_path ("dmar0");
    for (guint i = 0; i < fx->signals->len; i++)
      {
        const Signal *x = fx->signals->pdata[i];
        if (g_str_equal (x->path, unit_path))
          g_error ("unexpected %s on %s: %s", x->member, unit_path, g_variant_print (x->params, TRUE));
      }
  }

  /* The daemon is still well and stops cleanly. */
  {
    int status = ihw_test_daemon_stop (&fx->bus);
    g_assert_true (WIFEXITED (status));
    g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  }
}

/* ------------------------------------------------------------------ */
/* The daemon's own NFD file ([nfd] path=): a hotplug changes its labels
 * within a second, with no command run; writes are at least a second
 * apart; a clean stop removes it (remove-on-stop=true).  The host has a
 * second VT-d unit, dmar1, that cannot nest: a vfio-pci device that
 * appears behind it takes nesting away from the node. */

#define NESTING_INTEL "feature.node.kubernetes.io/iommu.nesting.intel="

/* Polls `path` until its text contains `needle` (bounded); returns the
 * monotonic time it was first seen and the text in *text. */
static gint64
wait_file_with (const char *path, const char *needle, gint64 timeout_us, char **text)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;

  for (;;)
    {
      g_autofree char *t = NULL;
      if (g_file_get_contents (path, &t, NULL, NULL) && strstr (t, needle))
        {
          gint64 now = g_get_monotonic_time ();
          if (text)
            *text = g_steal_pointer (&t);
          return now;
        }
      if (g_get_monotonic_time () >= deadline)
        {
          g_autofree char *last = NULL;
          g_file_get_contents (path, &last, NULL, NULL);
          g_error ("%s did not get '%s' within %" G_GINT64_FORMAT " ms; it holds:\n%s", path, needle,
                   timeout_us / 1000, last ? last : "(no file)");
        }
      g_usleep (5000);
    }
}

static void
test_nfd_file (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL, *devroot = NULL, *features = NULL, *conf = NULL, *sysfs = NULL;
  g_autofree char *text = NULL, *conf_text = NULL, *cmd = NULL;
  gint64 hotplug_at, changed_at, unplug_at, changed_back_at;

  if (!testbed_usable ())
    return;

  ihw_test_bus_start (&fx->bus, g_getenv ("IHW_POLICY"));
  fx->tb = umockdev_testbed_new ();
  fx->root = umockdev_testbed_get_root_dir (fx->tb);
  sysfs = g_build_filename (fx->root, "sys", NULL);
  ihw_test_host_unit_vtd (sysfs, "dmar0", CAP_SPR, ECAP_SPR);
  ihw_test_host_unit_vtd (sysfs, "dmar1", CAP_NO_SM, ECAP_NO_SM);
  ihw_test_host_device (sysfs, OLD, "dmar0", 1, "vfio-pci", 0);

  /* /dev/iommu exists (--no-probe only looks): QEMU 11's x-flts then
   * nests with a device whose VFIO cdev the kernel registered. */
  dir = g_dir_make_tmp ("ihw-nfd-XXXXXX", &error);
  g_assert_no_error (error);
  devroot = g_build_filename (dir, "dev", NULL);
  features = g_build_filename (dir, "features.d", "iommu-hwinfo", NULL);
  conf = g_build_filename (dir, "iommu-hwinfod.conf", NULL);
  {
    g_autofree char *iommu = g_build_filename (devroot, "iommu", NULL);
    g_autofree char *fdir = g_path_get_dirname (features);
    g_assert_cmpint (g_mkdir_with_parents (devroot, 0755), ==, 0);
    g_assert_cmpint (g_mkdir_with_parents (fdir, 0755), ==, 0);
    g_file_set_contents (iommu, "", 0, &error);
    g_assert_no_error (error);
  }
  conf_text = g_strdup_printf ("[nfd]\npath=%s\nremove-on-stop=true\n", features);
  g_file_set_contents (conf, conf_text, -1, &error);
  g_assert_no_error (error);
  {
    const char *args[] = { "--sysfs-root", "/sys", "--dev-root", devroot, "--no-probe", "--config", conf, NULL };
    ihw_test_daemon_start (&fx->bus, args);
  }

  /* Written at start-up (before the bus name was taken). */
  g_assert_true (g_file_get_contents (features, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, NESTING_INTEL "true\n"));
  g_assert_nonnull (strstr (text, "feature.node.kubernetes.io/iommu.intel.aw_bits="));
  g_assert_nonnull (strstr (text, "# judged over vfio-pci devices: " OLD "\n"));
  g_clear_pointer (&text, g_free);
  /* Past the start-up write's one-second window. */
  g_usleep (1100 * 1000);

  /* A device hotplugged behind dmar1, bound to vfio-pci: judged with OLD,
   * the node cannot promise nesting any more. */
  add_new_device (fx);
  remove_path (fx, "sys/devices/virtual/iommu/dmar0/devices/" NEW);
  put_link (fx, "sys/devices/virtual/iommu/dmar1/devices/" NEW, "../../../../pci0000:00/" NEW);
  put_link (fx, NEW_DIR "/iommu", "../../virtual/iommu/dmar1");
  remove_path (fx, "sys/bus/pci/drivers/e1000e/" NEW);
  put_link (fx, "sys/bus/pci/drivers/vfio-pci/" NEW, "../../../../devices/pci0000:00/" NEW);
  put_link (fx, NEW_DIR "/driver", "../../../bus/pci/drivers/vfio-pci");
  new_device_uevent_file (fx, "vfio-pci");
  put (fx, NEW_DIR "/vfio-dev/vfio1/dev", "237:1\n");
  hotplug_at = g_get_monotonic_time ();
  umockdev_testbed_uevent (fx->tb, NEW_SYSPATH, "add");
  changed_at = wait_file_with (features, NESTING_INTEL "false\n", G_USEC_PER_SEC, &text);
  g_test_message ("labels changed %" G_GINT64_FORMAT " ms after the hotplug", (changed_at - hotplug_at) / 1000);
  g_assert_nonnull (strstr (text, "# judged over vfio-pci devices: " OLD " " NEW "\n"));
  g_assert_null (strstr (text, "iommu.intel.aw_bits"));
  g_clear_pointer (&text, g_free);

  /* It goes at once: the file follows, but not sooner than a second after
   * the last write. */
  remove_path (fx, "sys/bus/pci/devices/" NEW);
  remove_path (fx, "sys/bus/pci/drivers/vfio-pci/" NEW);
  remove_path (fx, "sys/devices/virtual/iommu/dmar1/devices/" NEW);
  unplug_at = g_get_monotonic_time ();
  umockdev_testbed_uevent (fx->tb, NEW_SYSPATH, "remove");
  changed_back_at = wait_file_with (features, NESTING_INTEL "true\n", 2 * G_USEC_PER_SEC, &text);
  remove_path (fx, NEW_DIR);
  g_test_message ("labels changed back %" G_GINT64_FORMAT " ms after the removal, %" G_GINT64_FORMAT
                  " ms after the previous write", (changed_back_at - unplug_at) / 1000,
                  (changed_back_at - changed_at) / 1000);
  g_assert_cmpint (changed_back_at - changed_at, >=, G_USEC_PER_SEC - 20000);
  g_assert_cmpint (changed_back_at - unplug_at, <=, 2 * G_USEC_PER_SEC);
  g_assert_nonnull (strstr (text, "# judged over vfio-pci devices: " OLD "\n"));

  /* A clean stop removes it; nothing is left in the directory (no
   * temporary dot files either). */
  {
    int status = ihw_test_daemon_stop (&fx->bus);
    g_autofree char *fdir = g_path_get_dirname (features);
    g_autoptr (GDir) d = NULL;
    g_assert_true (WIFEXITED (status));
    g_assert_cmpint (WEXITSTATUS (status), ==, 0);
    g_assert_false (g_file_test (features, G_FILE_TEST_EXISTS));
    d = g_dir_open (fdir, 0, &error);
    g_assert_no_error (error);
    g_assert_null (g_dir_read_name (d));
  }
  cmd = g_strdup_printf ("rm -rf '%s'", dir);
  g_assert_cmpint (system (cmd), ==, 0);
}

/* Runs the CLI under test (IHW_CTL) against the private bus; returns its
 * exit status, *out its stdout. */
static int
run_ctl (Fixture *fx, const char *const *args, char **out)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "DBUS_SYSTEM_BUS_ADDRESS", fx->bus.bus_address, TRUE);
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  int status = -1;

  g_ptr_array_add (argv, (char *) g_getenv ("IHW_CTL"));
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL, out, &err, &status, &error);
  g_assert_no_error (error);
  if (g_test_verbose ())
    g_printerr ("  $ iommu-hwinfoctl %s\n%s%s", args[0], *out, err);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  memset (fx, 0, sizeof *fx);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  if (fx->sub)
    g_dbus_connection_signal_unsubscribe (fx->bus.conn, fx->sub);
  ihw_test_bus_stop (&fx->bus);
  g_clear_pointer (&fx->signals, g_ptr_array_unref);
  g_clear_pointer (&fx->root, g_free);
  g_clear_object (&fx->tb);
}

/* An SMMUv3 host whose kernel reports a Tegra241 CMDQV when asked for it:
 * the real daemon probes it through the ioctl emulation (probing on), and
 * the real CLI shows it and judges cmdqv=on with it, as an admin runs them. */
static void
test_cmdqv_probe (Fixture *fx, gconstpointer data)
{
  static const char *const nodes[] = { "vfio0", NULL };
  const char *dev = "0000:01:00.0";
  g_autofree char *path = ihw_device_object_path (dev);
  g_autoptr (FakeIoctlHandler) handler = NULL;
  g_autoptr (GVariant) answer = NULL, bytes = NULL;
  g_autofree char *out = NULL;
  FakeIommufd fake = { 0 };
  gsize n = 0;

  if (!testbed_usable ())
    return;
  ihw_test_bus_start (&fx->bus, g_getenv ("IHW_POLICY"));
  fx->tb = umockdev_testbed_new ();
  fake_testbed_load_host (fx->tb, "arm-smmuv3-server");
  handler = fake_ioctl_handler_new (&fake);
  fake_testbed_attach (fx->tb, handler, nodes);
  fake_iommufd_set_smmuv3 (&fake);
  fake_iommufd_set_cmdqv (&fake, 1, 2, 5);
  {
    const char *args[] = { "--sysfs-root", "/sys", "--dev-root", "/dev", NULL };
    ihw_test_daemon_start (&fx->bus, args);
  }

  answer = get_property (fx, path, IHW_DBUS_DEVICE_IFACE, "Cmdqv");
  g_assert_cmpstr (g_variant_get_string (answer, NULL), ==, "yes");
  bytes = get_property (fx, path, IHW_DBUS_DEVICE_IFACE, "CmdqvHwInfo");
  g_assert_cmpmem (g_variant_get_fixed_array (bytes, &n, 1), n, fake.addon_data, 8);

  /* show: the answer and the parameters decoded */
  g_assert_cmpint (run_ctl (fx, (const char *[]) { "show", dev, NULL }, &out), ==, 0);
  g_assert_true (g_regex_match_simple ("^  CMDQV +yes$", out, G_REGEX_MULTILINE, 0));
  g_assert_nonnull (strstr (out, "Decoded from the kernel's IOMMU_GET_HW_INFO asked for tegra241-cmdqv:"));
  g_assert_true (g_regex_match_simple ("^  log2vsids +[^ ]+ +5 ", out, G_REGEX_MULTILINE, 0));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_ctl (fx, (const char *[]) { "--json", "show", dev, NULL }, &out), ==, 0);
  g_assert_nonnull (strstr (out, "\"cmdqv\" : \"yes\""));
  g_assert_nonnull (strstr (out, "\"cmdqv_hw_info\" : \"0000000001020500\""));
  g_assert_nonnull (strstr (out, "\"cmdqv_decoded\""));
  g_clear_pointer (&out, g_free);

  /* check: QEMU 11.1 takes cmdqv=on on this host; 11.0 has no such
   * property, and the JSON says what to change */
  run_ctl (fx, (const char *[]) { "check", "smmuv3", dev, "--qemu-version", "11.1", "--cmdqv", NULL }, &out);
  g_assert_null (strstr (out, "host.cmdqv"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_ctl (fx, (const char *[]) { "--json", "check", "smmuv3", dev, "--qemu-version", "11.0",
                                                    "--cmdqv", NULL }, &out), ==, 1);
  g_assert_nonnull (strstr (out, "\"fix\" : \"upgrade QEMU to 11.1 or later\""));
  g_assert_cmpint (ihw_test_daemon_stop (&fx->bus), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* Before the bus: the testbed it asks with is gone again, so the bus
   * started first in each test runs outside any testbed. */
  have_umockdev = fake_umockdev_detect ();
  g_test_add ("/umockdev/hotplug-dbus/device-lifecycle", Fixture, NULL, fixture_setup, test_device_lifecycle,
              fixture_teardown);
  g_test_add ("/umockdev/hotplug-dbus/nfd-file", Fixture, NULL, fixture_setup, test_nfd_file, fixture_teardown);
  g_test_add ("/umockdev/hotplug-dbus/cmdqv-probe", Fixture, NULL, fixture_setup, test_cmdqv_probe, fixture_teardown);
  return g_test_run ();
}
