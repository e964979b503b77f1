/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon keeps what is costly to rebuild: the marshalled replies of
 * GetManagedObjects and of the Manager's large properties, and NestingModels
 * judged device by device (only the devices an event names are judged
 * again).  Whatever changes (a Refresh that adds, removes or rebinds a
 * device, the first vfio-pci device changing, a unit's registers,
 * /dev/iommu appearing without any event), every answer must be the one a
 * freshly started daemon gives over the same host, and the daemon that
 * kept them exits cleanly.  The host is large enough that the replies are
 * kept (more than 16 KiB).
 */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ihw-names.h"
#include "ihw-test-bus.h"
#include "ihw-test-util.h"

#define CAP_SPR "19ed008c40780c66"
#define ECAP_SPR "3ee9e86f050df"
#define CAP_QEMU "12008c22260286"   /* QEMU's legacy VT-d: no nesting */
#define ECAP_QEMU "f00f5e"
#define N_DEVICES 600

static IhwTestBus tb;
static char *sysfs, *devdir;

static char *
bdf (guint i)
{
  return g_strdup_printf ("0000:%02x:%02x.0", 0x10 + i / 32, i % 32);
}

static void
daemon_start (void)
{
  const char *args[] = { "--sysfs-root", sysfs, "--dev-root", devdir, "--no-probe", NULL };
  ihw_test_daemon_start (&tb, args);
}

static GVariant *
call_ok (const char *iface, const char *method, GVariant *args)
{
  return ihw_test_call_ok (&tb, IHW_DBUS_PATH, iface, method, args);
}

static void
refresh (void)
{
  const char *none[] = { NULL };
  g_variant_unref (call_ok (IHW_DBUS_MANAGER_IFACE, "Refresh", g_variant_new ("(^as)", none)));
}

/* Every answer that may come from a kept reply or the kept verdicts, as
 * text; UpdatedUsec (when the daemon saw a change) is left out, since a
 * fresh daemon saw everything at its start. */
static char *
state (void)
{
  g_autoptr(GVariant) objs = call_ok ("org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL);
  g_autoptr(GVariant) all = call_ok ("org.freedesktop.DBus.Properties", "GetAll",
                                     g_variant_new ("(s)", IHW_DBUS_MANAGER_IFACE));
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(GRegex) stamp = g_regex_new ("'UpdatedUsec': <uint64 [0-9]+>", 0, 0, NULL);
  const char *props[] = { "Units", "Devices", "NestingModels", "IommufdAvailable" };
  g_autofree char *objs_text = g_variant_print (objs, TRUE);
  g_autofree char *all_text = g_variant_print (all, TRUE);
  g_autofree char *text = NULL;

  g_string_append (s, objs_text);
  g_string_append_c (s, '\n');
  g_string_append (s, all_text);
  for (guint i = 0; i < G_N_ELEMENTS (props); i++)
    {
      g_autoptr(GVariant) v = call_ok ("org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", IHW_DBUS_MANAGER_IFACE, props[i]));
      g_autofree char *t = g_variant_print (v, TRUE);
      g_string_append_printf (s, "\n%s: %s", props[i], t);
    }
  text = g_regex_replace_literal (stamp, s->str, -1, 0, "'UpdatedUsec': <stamp>", 0, NULL);
  return g_steal_pointer (&text);
}

static char *
nesting_models (void)
{
  g_autoptr(GVariant) r = call_ok ("org.freedesktop.DBus.Properties", "Get",
                                   g_variant_new ("(ss)", IHW_DBUS_MANAGER_IFACE, "NestingModels"));
  return g_variant_print (r, FALSE);
}

/* The running daemon answers as a fresh one would, twice in a row (the
 * second time from what it kept); then the fresh one keeps running. */
static void
assert_fresh (const char *what)
{
  g_autofree char *live = state ();
  g_autofree char *again = state ();
  g_autofree char *fresh = NULL;
  int status;

  g_assert_cmpstr (live, ==, again);
  /* It exits cleanly: under ASan (G_SLICE=always-malloc) a leak of a kept
   * reply or verdict makes the exit status non-zero. */
  status = ihw_test_daemon_stop (&tb);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  daemon_start ();
  fresh = state ();
  if (g_strcmp0 (live, fresh) != 0)
    {
      g_autofree char *models = nesting_models ();
      g_test_message ("after %s: the running daemon's answers differ from a fresh daemon's (fresh NestingModels %s)",
                      what, models);
    }
  g_assert_cmpstr (live, ==, fresh);
}

static void
set_driver (const char *address, const char *driver)
{
  g_autofree char *link = g_strdup_printf ("%s/devices/pci0000:00/%s/driver", sysfs, address);
  g_autofree char *dir = g_strdup_printf ("%s/bus/pci/drivers/%s", sysfs, driver);
  g_autofree char *target = g_strdup_printf ("../../../bus/pci/drivers/%s", driver);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_cmpint (g_unlink (link), ==, 0);
  g_assert_cmpint (symlink (target, link), ==, 0);
}

static void
test_follow_changes (void)
{
  g_autofree char *first = bdf (0);
  g_autofree char *middle = bdf (N_DEVICES / 2);
  g_autofree char *iommu = g_build_filename (devdir, "iommu", NULL);
  g_autofree char *models = NULL;
  g_autofree char *before = NULL;

  if (getuid () != 0)
    {
      g_test_skip ("Refresh needs root");
      return;
    }

  /* /dev/iommu appears with no event at all: IommufdAvailable and the
   * verdicts that depend on it must not come from before. */
  before = state (); /* everything read, and kept */
  g_assert_true (g_file_set_contents (iommu, "", 0, NULL));
  assert_fresh ("/dev/iommu appeared");
  models = nesting_models ();
  g_test_message ("NestingModels with /dev/iommu: %s", models);
  /* The host is one nesting-capable VT-d unit and vfio-pci devices with
   * cdevs: intel is judged supported, so a change can take it away. */
  g_assert_nonnull (strstr (models, "intel"));

  /* A device appears behind QEMU's legacy VT-d, bound to vfio-pci: no
   * model nests over every device any more. */
  ihw_test_host_device (sysfs, "0000:f0:00.0", "dmar9", 900, "vfio-pci", 900);
  refresh ();
  assert_fresh ("a device added behind a unit that cannot nest");

  /* It leaves vfio-pci: intel is back (only that device re-judged). */
  set_driver ("0000:f0:00.0", "nvme");
  refresh ();
  assert_fresh ("the failing device left vfio-pci");

  /* A device in the middle changes driver and comes back. */
  set_driver (middle, "nvme");
  refresh ();
  assert_fresh ("a device left vfio-pci");
  set_driver (middle, "vfio-pci");
  refresh ();
  assert_fresh ("a device came back to vfio-pci");

  /* The first vfio-pci device changes: every verdict is judged again
   * (QEMU's auto defaults resolve from it). */
  set_driver (first, "nvme");
  refresh ();
  assert_fresh ("the first vfio-pci device left vfio-pci");

  /* A new first device, behind the unit that cannot nest. */
  ihw_test_host_device (sysfs, "0000:00:01.0", "dmar9", 901, "vfio-pci", 901);
  refresh ();
  assert_fresh ("a new first device");

  /* Devices go. */
  ihw_test_host_remove_device (sysfs, "0000:00:01.0", "dmar9");
  ihw_test_host_remove_device (sysfs, middle, "dmar0");
  refresh ();
  assert_fresh ("devices removed");

  /* /dev/iommu goes again, with no event. */
  g_assert_cmpint (g_unlink (iommu), ==, 0);
  assert_fresh ("/dev/iommu went");
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  ihw_test_bus_start (&tb, g_getenv ("IHW_POLICY"));
  sysfs = g_build_filename (tb.tmpdir, "sys", NULL);
  devdir = g_build_filename (tb.tmpdir, "dev", NULL);
  g_assert_cmpint (g_mkdir_with_parents (devdir, 0755), ==, 0);
  ihw_test_host_unit_vtd (sysfs, "dmar0", CAP_SPR, ECAP_SPR);
  ihw_test_host_unit_vtd (sysfs, "dmar9", CAP_QEMU, ECAP_QEMU);
  for (guint i = 0; i < N_DEVICES; i++)
    {
      g_autofree char *a = bdf (i);
      ihw_test_host_device (sysfs, a, "dmar0", (int) i, "vfio-pci", (int) i);
    }
  daemon_start ();

  g_test_add_func ("/dbus/cache/follows-changes", test_follow_changes);

  ret = g_test_run ();
  ihw_test_bus_stop (&tb);
  g_free (sysfs);
  g_free (devdir);
  return ret;
}
