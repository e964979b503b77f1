/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The D-Bus API end to end: a private dbus-daemon with the project's policy,
 * the real iommu-hwinfod over a small host built here, clients through
 * GDBus (root) and gdbus under setpriv (nobody).
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ihw-names.h"
#include "ihw-test-bus.h"

/* Sapphire Rapids (nesting capable) and QEMU's legacy VT-d. */
#define CAP_SPR "19ed008c40780c66"
#define ECAP_SPR "3ee9e86f050df"
#define CAP_QEMU "d2008c222f0606"
#define ECAP_QEMU "f00f4a"

#define DEV_VFIO "0000:3a:00.0"   /* dmar0, vfio-pci, group 5, vfio0 */
#define DEV_NVME "0000:3b:00.0"   /* dmar0, nvme, group 6 */
#define DEV_QEMU "0000:00:02.0"   /* dmar1, vfio-pci, group 1, vfio1 */
#define DEV_NEW "0000:3c:00.0"    /* appears during the Refresh test */

static IhwTestBus tb;
static char *sysfs;

/* ------------------------------------------------------------------ */

#define call(path, iface, method, args, error) ihw_test_call (&tb, path, iface, method, args, error)
#define call_ok(path, iface, method, args) ihw_test_call_ok (&tb, path, iface, method, args)

static GVariant *
manager (const char *method, GVariant *args, GError **error)
{
  return call (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, method, args, error);
}

/* The call fails with D-Bus error `name` and a message holding every
 * string of `needles` (NULL-terminated). */
static void
assert_dbus_error (GError *error, const char *name, const char *const *needles)
{
  g_autofree char *remote = NULL;

  g_assert_nonnull (error);
  remote = g_dbus_error_get_remote_error (error);
  g_dbus_error_strip_remote_error (error);
  g_test_message ("%s: %s", remote, error->message);
  g_assert_cmpstr (remote, ==, name);
  for (guint i = 0; needles && needles[i]; i++)
    if (!strstr (error->message, needles[i]))
      g_error ("error message '%s' does not mention '%s'", error->message, needles[i]);
}

#define EXPECT_ERROR(reply_expr, name, ...)                                  \
  G_STMT_START                                                               \
  {                                                                          \
    g_autoptr(GError) err_ = NULL;                                           \
    GError **error_ = &err_;                                                 \
    g_autoptr(GVariant) r_ = reply_expr;                                     \
    const char *needles_[] = { __VA_ARGS__, NULL };                          \
    g_assert_null (r_);                                                      \
    assert_dbus_error (err_, name, needles_);                                \
  }                                                                          \
  G_STMT_END

static GVariant *
get_property (const char *path, const char *iface, const char *prop)
{
  g_autoptr(GVariant) r = call_ok (path, "org.freedesktop.DBus.Properties", "Get",
                                   g_variant_new ("(ss)", iface, prop));
  GVariant *v;
  g_variant_get (r, "(v)", &v);
  return v;
}

static GVariant *
empty_request (void)
{
  return g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0);
}

static GVariant *
check_args (const char *model, const char *const *devices, GVariant *request)
{
  return g_variant_new ("(s^as@a{sv})", model, devices, request ? request : empty_request ());
}

static GVariant *
request1 (const char *key, GVariant *value)
{
  GVariantBuilder b;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&b, "{sv}", key, value);
  return g_variant_builder_end (&b);
}

/* The whole exported state, as text: compared before and after bad input. */
static char *
snapshot (void)
{
  g_autoptr(GVariant) objs = call_ok (IHW_DBUS_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                                      NULL);
  g_autoptr(GVariant) mgr = call_ok (IHW_DBUS_PATH, "org.freedesktop.DBus.Properties", "GetAll",
                                     g_variant_new ("(s)", IHW_DBUS_MANAGER_IFACE));
  g_autofree char *a = g_variant_print (objs, TRUE);
  g_autofree char *b = g_variant_print (mgr, TRUE);
  return g_strconcat (a, "\n", b, NULL);
}

static GPtrArray *
all_object_paths (void)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  const char *props[] = { "Units", "Devices" };

  g_ptr_array_add (paths, g_strdup (IHW_DBUS_PATH));
  for (guint i = 0; i < G_N_ELEMENTS (props); i++)
    {
      g_autoptr(GVariant) v = get_property (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, props[i]);
      g_autofree const char **objs = g_variant_get_objv (v, NULL);
      for (guint j = 0; objs[j]; j++)
        g_ptr_array_add (paths, g_strdup (objs[j]));
    }
  return paths;
}

/* ------------------------------------------------------------------ */

static void
test_introspect (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *file_xml = NULL;
  g_autoptr(GDBusNodeInfo) file = NULL;
  g_autoptr(GPtrArray) paths = all_object_paths ();

  g_file_get_contents (g_getenv ("IHW_XML"), &file_xml, NULL, &error);
  g_assert_no_error (error);
  file = g_dbus_node_info_new_for_xml (file_xml, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (paths->len, ==, 1 + 2 + 3);
  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = paths->pdata[i];
      g_autoptr(GVariant) r = call_ok (path, "org.freedesktop.DBus.Introspectable", "Introspect", NULL);
      const char *xml;
      g_autoptr(GDBusNodeInfo) node = NULL;
      const char *want;
      guint n_ours = 0;

      g_variant_get (r, "(&s)", &xml);
      node = g_dbus_node_info_new_for_xml (xml, &error);
      g_assert_no_error (error);

      if (strcmp (path, IHW_DBUS_PATH) == 0)
        want = IHW_DBUS_MANAGER_IFACE;
      else if (g_str_has_prefix (path, IHW_DBUS_UNIT_PATH_PREFIX))
        want = IHW_DBUS_UNIT_IFACE;
      else
        want = IHW_DBUS_DEVICE_IFACE;

      g_assert_nonnull (g_dbus_node_info_lookup_interface (node, "org.freedesktop.DBus.Properties"));
      g_assert_nonnull (g_dbus_node_info_lookup_interface (node, "org.freedesktop.DBus.Introspectable"));
      g_assert_nonnull (g_dbus_node_info_lookup_interface (node, "org.freedesktop.DBus.Peer"));
      g_assert_true ((g_dbus_node_info_lookup_interface (node, "org.freedesktop.DBus.ObjectManager") != NULL) ==
                     (strcmp (path, IHW_DBUS_PATH) == 0));

      /* Every io.iommuhwinfo1 interface served equals the file's, to the
       * annotation; and it is the one this object should have. */
      for (guint j = 0; node->interfaces[j]; j++)
        {
          GDBusInterfaceInfo *got = node->interfaces[j];
          GDBusInterfaceInfo *exp;
          g_autoptr(GString) a = g_string_new (NULL);
          g_autoptr(GString) b = g_string_new (NULL);

          if (!g_str_has_prefix (got->name, "io.iommuhwinfo1."))
            continue;
          n_ours++;
          g_assert_cmpstr (got->name, ==, want);
          exp = g_dbus_node_info_lookup_interface (file, got->name);
          g_assert_nonnull (exp);
          g_dbus_interface_info_generate_xml (got, 0, a);
          g_dbus_interface_info_generate_xml (exp, 0, b);
          g_assert_cmpstr (a->str, ==, b->str);
        }
      g_assert_cmpuint (n_ours, ==, 1);
    }

  /* The root lists its children for tree walkers (busctl tree). */
  {
    g_autoptr(GVariant) r = call_ok (IHW_DBUS_PATH, "org.freedesktop.DBus.Introspectable", "Introspect", NULL);
    const char *xml;
    g_variant_get (r, "(&s)", &xml);
    g_assert_nonnull (strstr (xml, "<node name=\"device\"/>"));
    g_assert_nonnull (strstr (xml, "<node name=\"unit\"/>"));
  }
}

/* Every property of every object: GetAll and Get agree, types match the XML. */
static void
test_properties_types (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *file_xml = NULL;
  g_autoptr(GDBusNodeInfo) file = NULL;
  g_autoptr(GPtrArray) paths = all_object_paths ();

  g_file_get_contents (g_getenv ("IHW_XML"), &file_xml, NULL, &error);
  g_assert_no_error (error);
  file = g_dbus_node_info_new_for_xml (file_xml, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = paths->pdata[i];
      const char *iface = strcmp (path, IHW_DBUS_PATH) == 0                         ? IHW_DBUS_MANAGER_IFACE
                          : g_str_has_prefix (path, IHW_DBUS_UNIT_PATH_PREFIX) ? IHW_DBUS_UNIT_IFACE
                                                                               : IHW_DBUS_DEVICE_IFACE;
      GDBusInterfaceInfo *info = g_dbus_node_info_lookup_interface (file, iface);
      g_autoptr(GVariant) all = call_ok (path, "org.freedesktop.DBus.Properties", "GetAll",
                                         g_variant_new ("(s)", iface));
      g_autoptr(GVariant) dict = g_variant_get_child_value (all, 0);
      guint n = 0;

      for (n = 0; info->properties[n]; n++)
        {
          GDBusPropertyInfo *p = info->properties[n];
          g_autoptr(GVariant) one = get_property (path, iface, p->name);
          g_autoptr(GVariant) from_all = g_variant_lookup_value (dict, p->name, NULL);
          g_assert_nonnull (from_all);
          g_assert_cmpstr (g_variant_get_type_string (one), ==, p->signature);
          /* UpdatedUsec may not move between the two calls either. */
          g_assert_true (g_variant_equal (one, from_all));
        }
      g_assert_cmpuint (g_variant_n_children (dict), ==, n);
    }
}

static void
test_properties_values (void)
{
  g_autofree char *unit0 = ihw_unit_object_path ("dmar0");
  g_autofree char *dev = ihw_device_object_path (DEV_VFIO);
  g_autofree char *qdev = ihw_device_object_path (DEV_QEMU);
  g_autoptr(GVariant) v = NULL;
  guint64 cap = 0, ecap = 0;
  g_autoptr(GVariant) regs = NULL;
  g_autofree const char **features = NULL;
  gsize n;

  /* Manager */
  v = get_property (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "Version");
  g_assert_cmpstr (g_variant_get_string (v, NULL), ==, PACKAGE_VERSION);
  g_clear_pointer (&v, g_variant_unref);
  v = get_property (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "IommufdAvailable");
  g_assert_true (g_variant_get_boolean (v)); /* <dev-root>/iommu exists */
  g_clear_pointer (&v, g_variant_unref);
  v = get_property (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "Units");
  g_assert_cmpuint (g_variant_n_children (v), ==, 2);
  g_clear_pointer (&v, g_variant_unref);
  v = get_property (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "Devices");
  g_assert_cmpuint (g_variant_n_children (v), ==, 3);
  g_clear_pointer (&v, g_variant_unref);
  /* vfio-pci devices: one on a nesting host, one on QEMU's legacy VT-d. */
  v = get_property (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "NestingModels");
  g_assert_cmpuint (g_variant_n_children (v), ==, 0);
  g_clear_pointer (&v, g_variant_unref);

  /* Unit */
  v = get_property (unit0, IHW_DBUS_UNIT_IFACE, "Name");
  g_assert_cmpstr (g_variant_get_string (v, NULL), ==, "dmar0");
  g_clear_pointer (&v, g_variant_unref);
  v = get_property (unit0, IHW_DBUS_UNIT_IFACE, "Vendor");
  g_assert_cmpstr (g_variant_get_string (v, NULL), ==, "intel-vtd");
  g_clear_pointer (&v, g_variant_unref);
  regs = get_property (unit0, IHW_DBUS_UNIT_IFACE, "Registers");
  g_assert_true (g_variant_lookup (regs, "cap", "t", &cap));
  g_assert_true (g_variant_lookup (regs, "ecap", "t", &ecap));
  g_assert_cmphex (cap, ==, 0x19ed008c40780c66);
  g_assert_cmphex (ecap, ==, 0x3ee9e86f050df);
  g_assert_cmpuint (g_variant_n_children (regs), ==, 2);
  v = get_property (unit0, IHW_DBUS_UNIT_IFACE, "Features");
  features = g_variant_get_strv (v, &n);
  g_assert_true (g_strv_contains (features, "nest"));
  g_assert_true (g_strv_contains (features, "sm"));
  g_assert_false (g_strv_contains (features, "pasid"));
  g_clear_pointer (&v, g_variant_unref);
  v = get_property (unit0, IHW_DBUS_UNIT_IFACE, "Source");
  g_assert_cmpstr (g_variant_get_string (v, NULL), ==, "sysfs");
  g_clear_pointer (&v, g_variant_unref);

  /* Device */
  v = get_property (dev, IHW_DBUS_DEVICE_IFACE, "Address");
  g_assert_cmpstr (g_variant_get_string (v, NULL), ==, DEV_VFIO);
  g_clear_pointer (&v, g_variant_unref);
  v = get_property (dev, IHW_DBUS_DEVICE_IFACE, "Unit");
  g_assert_cmpstr (g_variant_get_string (v, NULL), ==, unit0);
  g_clear_pointer (&v, g_variant_unref);
  v = get_property (dev, IHW_DBUS_DEVICE_IFACE, "Driver");
  g_assert_cmpstr (g_variant_get_string (v, NULL), ==, "vfio-pci");
  g_clear_pointer (&v, g_variant_unref);
  v = get_property (dev, IHW_DBUS_DEVICE_IFACE, "IommuGroup");
  g_assert_cmpint (g_variant_get_int32 (v), ==, 5);
  g_clear_pointer (&v, g_variant_unref);
  v = get_property (dev, IHW_DBUS_DEVICE_IFACE, "VfioCdev");
  g_assert_true (g_str_has_suffix (g_variant_get_string (v, NULL), "vfio/devices/vfio0"));
  g_clear_pointer (&v, g_variant_unref);
  v = get_property (dev, IHW_DBUS_DEVICE_IFACE, "HwInfoType");
  g_assert_cmpuint (g_variant_get_uint32 (v), ==, 0);
  g_clear_pointer (&v, g_variant_unref);
  v = get_property (dev, IHW_DBUS_DEVICE_IFACE, "HwInfoTypeName");
  g_assert_cmpstr (g_variant_get_string (v, NULL), ==, "none");
  g_clear_pointer (&v, g_variant_unref);
  v = get_property (dev, IHW_DBUS_DEVICE_IFACE, "HwInfoData");
  g_assert_cmpuint (g_variant_n_children (v), ==, 0);
  g_clear_pointer (&v, g_variant_unref);
  v = get_property (dev, IHW_DBUS_DEVICE_IFACE, "NestParent");
  g_assert_cmpstr (g_variant_get_string (v, NULL), ==, "unknown");
  g_clear_pointer (&v, g_variant_unref);
  /* Only an SMMUv3 device is asked for its CMDQV; this one never was. */
  v = get_property (dev, IHW_DBUS_DEVICE_IFACE, "Cmdqv");
  g_assert_cmpstr (g_variant_get_string (v, NULL), ==, "unknown");
  g_clear_pointer (&v, g_variant_unref);
  v = get_property (dev, IHW_DBUS_DEVICE_IFACE, "CmdqvHwInfo");
  g_assert_cmpuint (g_variant_n_children (v), ==, 0);
  g_clear_pointer (&v, g_variant_unref);
  v = get_property (dev, IHW_DBUS_DEVICE_IFACE, "Source");
  g_assert_cmpstr (g_variant_get_string (v, NULL), ==, "sysfs");
  g_clear_pointer (&v, g_variant_unref);
  v = get_property (qdev, IHW_DBUS_DEVICE_IFACE, "IommuGroup");
  g_assert_cmpint (g_variant_get_int32 (v), ==, 1);
  g_clear_pointer (&v, g_variant_unref);
}

static void
test_properties_errors (void)
{
  g_autofree char *dev = ihw_device_object_path (DEV_VFIO);

#define PROPS "org.freedesktop.DBus.Properties"
  EXPECT_ERROR (call (IHW_DBUS_PATH, PROPS, "Set",
                      g_variant_new ("(ssv)", IHW_DBUS_MANAGER_IFACE, "Version", g_variant_new_string ("9")), error_),
                "org.freedesktop.DBus.Error.PropertyReadOnly", "Version", "read-only");
  EXPECT_ERROR (call (dev, PROPS, "Set",
                      g_variant_new ("(ssv)", IHW_DBUS_DEVICE_IFACE, "Driver", g_variant_new_string ("x")), error_),
                "org.freedesktop.DBus.Error.PropertyReadOnly", "Driver");
  EXPECT_ERROR (call (dev, PROPS, "Set",
                      g_variant_new ("(ssv)", IHW_DBUS_DEVICE_IFACE, "Bogus", g_variant_new_string ("x")), error_),
                "org.freedesktop.DBus.Error.UnknownProperty", "Bogus");
  EXPECT_ERROR (call (dev, PROPS, "Get", g_variant_new ("(ss)", IHW_DBUS_DEVICE_IFACE, "Bogus"), error_),
                "org.freedesktop.DBus.Error.UnknownProperty", "Bogus");
  EXPECT_ERROR (call (dev, PROPS, "Get", g_variant_new ("(ss)", IHW_DBUS_MANAGER_IFACE, "Version"), error_),
                "org.freedesktop.DBus.Error.UnknownInterface", IHW_DBUS_MANAGER_IFACE);
  EXPECT_ERROR (call (dev, PROPS, "GetAll", g_variant_new ("(s)", "no.such.Iface"), error_),
                "org.freedesktop.DBus.Error.UnknownInterface", "no.such.Iface");
  EXPECT_ERROR (call (dev, PROPS, "Get", g_variant_new ("(s)", IHW_DBUS_DEVICE_IFACE), error_),
                "org.freedesktop.DBus.Error.InvalidArgs", "(ss)");
  /* a device or unit that is not there (gone, mistyped) */
  EXPECT_ERROR (call (IHW_DBUS_DEVICE_PATH_PREFIX "0000_ff_00_0", PROPS, "Get",
                      g_variant_new ("(ss)", IHW_DBUS_DEVICE_IFACE, "Address"), error_),
                "org.freedesktop.DBus.Error.UnknownObject", "0000_ff_00_0");
  EXPECT_ERROR (call (IHW_DBUS_UNIT_PATH_PREFIX "dmar9", PROPS, "GetAll", g_variant_new ("(s)", IHW_DBUS_UNIT_IFACE),
                      error_),
                "org.freedesktop.DBus.Error.UnknownObject", "dmar9");
#undef PROPS
}

static void
test_peer_and_manager (void)
{
  g_autoptr(GPtrArray) paths = all_object_paths ();
  g_autoptr(GVariant) objs = NULL;
  g_autoptr(GVariant) dict = NULL;

  for (guint i = 0; i < paths->len; i++)
    {
      g_autoptr(GVariant) pong = call_ok (paths->pdata[i], "org.freedesktop.DBus.Peer", "Ping", NULL);
      g_assert_nonnull (pong);
      g_autoptr(GVariant) id = call_ok (paths->pdata[i], "org.freedesktop.DBus.Peer", "GetMachineId", NULL);
      const char *s;
      g_variant_get (id, "(&s)", &s);
      g_assert_cmpuint (strlen (s), ==, 32);
    }

  objs = call_ok (IHW_DBUS_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL);
  dict = g_variant_get_child_value (objs, 0);
  /* Every unit and device, not the root itself. */
  g_assert_cmpuint (g_variant_n_children (dict), ==, paths->len - 1);
  for (guint i = 1; i < paths->len; i++)
    {
      g_autoptr(GVariant) ifaces = g_variant_lookup_value (dict, paths->pdata[i], G_VARIANT_TYPE ("a{sa{sv}}"));
      const char *iface = g_str_has_prefix (paths->pdata[i], IHW_DBUS_UNIT_PATH_PREFIX) ? IHW_DBUS_UNIT_IFACE
                                                                                        : IHW_DBUS_DEVICE_IFACE;
      g_autoptr(GVariant) props = NULL;
      g_assert_nonnull (ifaces);
      props = g_variant_lookup_value (ifaces, iface, G_VARIANT_TYPE ("a{sv}"));
      g_assert_nonnull (props);
      g_assert_cmpuint (g_variant_n_children (props), >=, 5);
    }
}

static void
verdict_of (GVariant *r, const char **verdict, GVariant **reasons)
{
  g_variant_get (r, "(&s@a(ssss))", verdict, reasons);
}

static void
test_check_nesting (void)
{
  const char *vfio[] = { DEV_VFIO, NULL };
  const char *qemu[] = { DEV_QEMU, NULL };
  const char *both[] = { DEV_VFIO, DEV_QEMU, "0000:3A:00.0", NULL };
  const char *verdict;
  g_autoptr(GVariant) reasons = NULL;
  GVariantBuilder b;

  {
    /* caching-mode=off (QEMU's default, which a domain without
     * caching_mode runs with, as the hook says): no device assignment */
    g_autoptr(GVariant) r = call_ok (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "CheckNesting",
                                     check_args ("intel", vfio, request1 ("caching-mode", g_variant_new_boolean (FALSE))));
    const char *req, *needed, *found;
    verdict_of (r, &verdict, &reasons);
    g_assert_cmpstr (verdict, ==, "unsupported");
    g_assert_cmpuint (g_variant_n_children (reasons), ==, 1);
    g_variant_get_child (reasons, 0, "(s&s&s&s)", NULL, &req, &needed, &found);
    g_assert_cmpstr (req, ==, "request.caching-mode");
    g_assert_cmpstr (needed, ==, "on");
    g_assert_cmpstr (found, ==, "off");
    g_clear_pointer (&reasons, g_variant_unref);
  }
  for (guint i = 0; i < 2; i++)
    {
      /* left out, caching-mode is assumed on, as every VM that assigns a
       * device must have it: the answer is about the host */
      g_autoptr(GVariant) r = call_ok (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "CheckNesting",
                                       check_args ("intel", vfio,
                                                   i ? NULL : request1 ("caching-mode", g_variant_new_boolean (TRUE))));
      verdict_of (r, &verdict, &reasons);
      g_assert_cmpstr (verdict, ==, "supported");
      g_assert_cmpuint (g_variant_n_children (reasons), ==, 0);
      g_clear_pointer (&reasons, g_variant_unref);
    }
  {
    g_autoptr(GVariant) r = call_ok (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "CheckNesting",
                                     check_args ("intel", qemu, NULL));
    const char *dev, *req, *needed, *found;
    verdict_of (r, &verdict, &reasons);
    g_assert_cmpstr (verdict, ==, "unsupported");
    g_assert_cmpuint (g_variant_n_children (reasons), >, 0);
    g_variant_get_child (reasons, 0, "(&s&s&s&s)", &dev, &req, &needed, &found);
    g_assert_cmpstr (dev, ==, DEV_QEMU);
    g_assert_cmpstr (req, !=, "");
    g_clear_pointer (&reasons, g_variant_unref);
  }
  {
    /* Upper-case addresses are the same device; rows only for the bad one. */
    g_autoptr(GVariant) r = call_ok (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "CheckNesting",
                                     check_args ("intel", both,
                                                 request1 ("caching-mode", g_variant_new_boolean (TRUE))));
    verdict_of (r, &verdict, &reasons);
    g_assert_cmpstr (verdict, ==, "unsupported");
    for (gsize i = 0; i < g_variant_n_children (reasons); i++)
      {
        const char *dev;
        g_variant_get_child (reasons, i, "(&ssss)", &dev, NULL, NULL, NULL);
        g_assert_cmpstr (dev, ==, DEV_QEMU);
      }
    g_clear_pointer (&reasons, g_variant_unref);
  }
  {
    g_autoptr(GVariant) r = call_ok (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "CheckNesting",
                                     check_args ("smmuv3", vfio, NULL));
    const char *req;
    verdict_of (r, &verdict, &reasons);
    g_assert_cmpstr (verdict, ==, "unsupported");
    g_variant_get_child (reasons, 0, "(s&sss)", NULL, &req, NULL, NULL);
    g_assert_cmpstr (req, ==, "iommu.vendor");
    g_clear_pointer (&reasons, g_variant_unref);
  }
  {
    g_autoptr(GVariant) r = call_ok (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "CheckNesting",
                                     check_args ("amd", vfio, NULL));
    verdict_of (r, &verdict, &reasons);
    g_assert_cmpstr (verdict, ==, "unsupported");
    g_clear_pointer (&reasons, g_variant_unref);
  }

  /* Every request key with its type is accepted. */
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&b, "{sv}", "qemu-version", g_variant_new_string ("10.0"));
  g_variant_builder_add (&b, "{sv}", "aw-bits", g_variant_new_uint32 (48));
  g_variant_builder_add (&b, "{sv}", "fs1gp", g_variant_new_boolean (TRUE));
  g_variant_builder_add (&b, "{sv}", "pasid-bits", g_variant_new_uint32 (20));
  g_variant_builder_add (&b, "{sv}", "ssid-size", g_variant_new_uint32 (16));
  g_variant_builder_add (&b, "{sv}", "oas", g_variant_new_uint32 (48));
  g_variant_builder_add (&b, "{sv}", "ril", g_variant_new_boolean (TRUE));
  g_variant_builder_add (&b, "{sv}", "ats", g_variant_new_boolean (FALSE));
  g_variant_builder_add (&b, "{sv}", "caching-mode", g_variant_new_boolean (TRUE));
  {
    g_autoptr(GVariant) r = call_ok (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "CheckNesting",
                                     check_args ("intel", vfio, g_variant_builder_end (&b)));
    verdict_of (r, &verdict, &reasons);
    g_assert_true (g_str_equal (verdict, "supported") || g_str_equal (verdict, "unsupported") ||
                   g_str_equal (verdict, "unknown"));
    g_clear_pointer (&reasons, g_variant_unref);
  }
}

static void
test_negotiate (void)
{
  const char *vfio[] = { DEV_VFIO, NULL };
  const char *qemu[] = { DEV_QEMU, NULL };
  g_autoptr(GVariant) r = call_ok (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "Negotiate",
                                   check_args ("intel", vfio, NULL));
  g_autoptr(GVariant) r2 = NULL;
  g_autoptr(GVariant) config = NULL, reasons = NULL;
  g_autofree const char **args = NULL;
  const char *verdict, *xml;

  g_variant_get (r, "(&s@a{sv}&s^a&s@a(ssss))", &verdict, &config, &xml, &args, &reasons);
  g_test_message ("Negotiate intel: %s, %s", verdict, xml);
  g_assert_cmpstr (verdict, ==, "supported");
  g_assert_true (g_variant_lookup (config, "qemu-version", "&s", NULL));
  g_assert_nonnull (strstr (xml, "<iommu model=\"intel\""));
  g_assert_cmpuint (g_strv_length ((char **) args), >, 0);
  g_assert_cmpuint (g_variant_n_children (reasons), ==, 0);
  g_clear_pointer (&config, g_variant_unref);
  g_clear_pointer (&reasons, g_variant_unref);
  g_clear_pointer (&args, g_free);

  r2 = call_ok (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "Negotiate", check_args ("intel", qemu, NULL));
  g_variant_get (r2, "(&s@a{sv}&s^a&s@a(ssss))", &verdict, &config, &xml, &args, &reasons);
  g_assert_cmpstr (verdict, ==, "unsupported");
  g_assert_cmpuint (g_variant_n_children (reasons), >, 0);
}

static void
test_get_hw_info (void)
{
  g_autoptr(GVariant) r = call_ok (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "GetHwInfo",
                                   g_variant_new ("(s)", DEV_VFIO));
  guint32 type;
  g_autoptr(GVariant) data = NULL;
  guint64 caps;
  guint8 pasid;
  const char *source;

  g_variant_get (r, "(u@ayty&s)", &type, &data, &caps, &pasid, &source);
  g_assert_cmpuint (type, ==, 0);
  g_assert_cmpuint (g_variant_n_children (data), ==, 0);
  g_assert_cmpuint (caps, ==, 0);
  g_assert_cmpuint (pasid, ==, 0);
  g_assert_cmpstr (source, ==, "sysfs");
}

static void
test_errors (void)
{
  g_autofree char *before = snapshot ();
  g_autofree char *after = NULL;
  const char *vfio[] = { DEV_VFIO, NULL };
  const char *bad[] = { DEV_VFIO, "0000:3a:00", NULL };
  const char *unknown[] = { DEV_VFIO, "0000:99:00.0", NULL };
  const char *empty[] = { NULL };
  g_autoptr(GPtrArray) many = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *long_key = g_strnfill (10000, 'k');

  for (guint i = 0; i < IHW_MAX_DEVICES_PER_REQUEST + 1; i++)
    g_ptr_array_add (many, g_strdup (DEV_VFIO));
  g_ptr_array_add (many, NULL);

#define MGR_ERR "io.iommuhwinfo1.Error."
  EXPECT_ERROR (manager ("CheckNesting", check_args ("sparc", vfio, NULL), error_), MGR_ERR "UnknownModel",
                "'sparc'", "intel");
  EXPECT_ERROR (manager ("CheckNesting", check_args ("", vfio, NULL), error_), MGR_ERR "UnknownModel", "''");
  EXPECT_ERROR (manager ("CheckNesting", check_args ("intel", bad, NULL), error_), MGR_ERR "InvalidArgument",
                "devices[1]", "0000:3a:00");
  EXPECT_ERROR (manager ("CheckNesting", check_args ("intel", unknown, NULL), error_), MGR_ERR "NoSuchDevice",
                "0000:99:00.0");
  EXPECT_ERROR (manager ("CheckNesting", check_args ("intel", empty, NULL), error_), MGR_ERR "InvalidArgument",
                "devices", "empty");
  EXPECT_ERROR (manager ("CheckNesting", check_args ("intel", (const char *const *) many->pdata, NULL), error_),
                MGR_ERR "InvalidArgument", "257", "256");
  EXPECT_ERROR (manager ("CheckNesting", check_args ("intel", vfio, request1 ("bogus", g_variant_new_uint32 (1))),
                         error_),
                MGR_ERR "InvalidArgument", "'bogus'", "aw-bits");
  EXPECT_ERROR (manager ("CheckNesting",
                         check_args ("intel", vfio, request1 (long_key, g_variant_new_uint32 (1))), error_),
                MGR_ERR "InvalidArgument", "unknown key");
  EXPECT_ERROR (manager ("CheckNesting",
                         check_args ("intel", vfio, request1 ("aw-bits", g_variant_new_string ("48"))), error_),
                MGR_ERR "InvalidArgument", "'aw-bits'", "'u'", "'s'");
  EXPECT_ERROR (manager ("CheckNesting",
                         check_args ("intel", vfio, request1 ("fs1gp", g_variant_new_uint32 (1))), error_),
                MGR_ERR "InvalidArgument", "'fs1gp'", "'b'");
  EXPECT_ERROR (manager ("CheckNesting",
                         check_args ("intel", vfio, request1 ("qemu-version", g_variant_new_uint32 (10))), error_),
                MGR_ERR "InvalidArgument", "'qemu-version'", "'s'");
  EXPECT_ERROR (manager ("CheckNesting",
                         check_args ("intel", vfio, request1 ("qemu-version", g_variant_new_string ("banana"))),
                         error_),
                MGR_ERR "InvalidArgument", "qemu-version", "banana");
  EXPECT_ERROR (manager ("CheckNesting",
                         check_args ("smmuv3", vfio, request1 ("ssid-size", g_variant_new_uint32 (99))), error_),
                MGR_ERR "InvalidArgument", "ssid-size", "99");
  EXPECT_ERROR (manager ("CheckNesting", g_variant_new ("(s)", "intel"), error_),
                "org.freedesktop.DBus.Error.InvalidArgs", "CheckNesting", "(sasa{sv})", "(s)");
  EXPECT_ERROR (manager ("CheckNesting", g_variant_new ("(sas)", "intel", NULL), error_),
                "org.freedesktop.DBus.Error.InvalidArgs", "(sasa{sv})");
  EXPECT_ERROR (manager ("GetHwInfo", g_variant_new ("(s)", "3a:00.0"), error_), MGR_ERR "InvalidArgument",
                "3a:00.0");
  EXPECT_ERROR (manager ("GetHwInfo", g_variant_new ("(s)", "0000:99:00.0"), error_), MGR_ERR "NoSuchDevice",
                "0000:99:00.0");
  EXPECT_ERROR (manager ("GetHwInfo", g_variant_new ("(u)", 1), error_), "org.freedesktop.DBus.Error.InvalidArgs",
                "(s)");
  EXPECT_ERROR (manager ("Negotiate", check_args ("sparc", vfio, NULL), error_), MGR_ERR "UnknownModel", "sparc");
  EXPECT_ERROR (manager ("Refresh", g_variant_new ("(^as)", bad), error_), MGR_ERR "InvalidArgument",
                "0000:3a:00");
  EXPECT_ERROR (manager ("Refresh", g_variant_new ("(^as)", unknown), error_), MGR_ERR "NoSuchDevice",
                "0000:99:00.0");
  EXPECT_ERROR (manager ("Refresh", g_variant_new ("(s)", DEV_VFIO), error_),
                "org.freedesktop.DBus.Error.InvalidArgs", "(as)");
  EXPECT_ERROR (manager ("NoSuchMethod", NULL, error_), "org.freedesktop.DBus.Error.UnknownMethod",
                "NoSuchMethod");
  /* The bus policy already stops interfaces the daemon does not have. */
  EXPECT_ERROR (call (IHW_DBUS_PATH, "no.such.Interface", "Foo", NULL, error_),
                "org.freedesktop.DBus.Error.AccessDenied", "no.such.Interface");
#undef MGR_ERR

  /* Bad input changed nothing. */
  after = snapshot ();
  g_assert_cmpstr (before, ==, after);
}

/* A client under another uid, through the gdbus tool. */
static gboolean
run_as_nobody (const char *const *gdbus_args, char **out, char **err)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *prefix[] = { "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "gdbus", "call",
                           "--system", "--dest", IHW_DBUS_NAME };
  int status = -1;

  for (guint i = 0; i < G_N_ELEMENTS (prefix); i++)
    g_ptr_array_add (argv, (char *) prefix[i]);
  for (guint i = 0; gdbus_args[i]; i++)
    g_ptr_array_add (argv, (char *) gdbus_args[i]);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync ("/", (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, out, err, &status, &error);
  g_assert_no_error (error);
  g_test_message ("as nobody: %s%s", *out, *err);
  return g_spawn_check_wait_status (status, NULL);
}

static void
test_refresh_unprivileged (void)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *before = NULL, *after = NULL;
  const char *refresh[] = { "--object-path", IHW_DBUS_PATH, "--method", IHW_DBUS_MANAGER_IFACE ".Refresh", "[]",
                            NULL };
  const char *check[] = { "--object-path", IHW_DBUS_PATH, "--method", IHW_DBUS_MANAGER_IFACE ".CheckNesting",
                          "intel", "['" DEV_VFIO "']", "{'caching-mode': <true>}", NULL };
  const char *getall[] = { "--object-path", IHW_DBUS_PATH, "--method", "org.freedesktop.DBus.Properties.GetAll",
                           IHW_DBUS_MANAGER_IFACE, NULL };

  if (getuid () != 0)
    {
      g_test_skip ("needs root to run a client as nobody");
      return;
    }
  before = snapshot ();

  g_assert_false (run_as_nobody (refresh, &out, &err));
  g_assert_nonnull (strstr (err, "io.iommuhwinfo1.Error.AccessDenied"));
  g_assert_nonnull (strstr (err, "uid 65534"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Read-only methods are open to every local user (bus policy). */
  g_assert_true (run_as_nobody (check, &out, &err));
  g_assert_nonnull (strstr (out, "'supported'"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_true (run_as_nobody (getall, &out, &err));
  g_assert_nonnull (strstr (out, "NestingModels"));

  after = snapshot ();
  g_assert_cmpstr (before, ==, after);
}

typedef struct {
  GPtrArray *added;    /* paths */
  GPtrArray *removed;
  guint manager_changed;
} Signals;

static void
on_signal (GDBusConnection *c, const char *sender, const char *path, const char *iface, const char *member,
           GVariant *params, gpointer data)
{
  Signals *s = data;
  if (g_str_equal (member, "InterfacesAdded"))
    {
      const char *p;
      g_variant_get (params, "(&o@a{sa{sv}})", &p, NULL);
      g_ptr_array_add (s->added, g_strdup (p));
    }
  else if (g_str_equal (member, "InterfacesRemoved"))
    {
      const char *p;
      g_variant_get (params, "(&o@as)", &p, NULL);
      g_ptr_array_add (s->removed, g_strdup (p));
    }
  else if (g_str_equal (member, "PropertiesChanged") && g_str_equal (path, IHW_DBUS_PATH))
    s->manager_changed++;
}

static gboolean
has_path (GPtrArray *paths, const char *path)
{
  return g_ptr_array_find_with_equal_func (paths, path, g_str_equal, NULL);
}

/* Signals are dispatched in this thread's main context: run it until the
 * condition holds (bounded). */
static void
wait_for (gboolean (*cond) (Signals *), Signals *s)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!cond (s) && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (5000);
}

static gboolean
added_new (Signals *s)
{
  g_autofree char *p = ihw_device_object_path (DEV_NEW);
  return has_path (s->added, p) && s->manager_changed > 0;
}

static gboolean
removed_new (Signals *s)
{
  g_autofree char *p = ihw_device_object_path (DEV_NEW);
  return has_path (s->removed, p) && s->manager_changed > 0;
}

static void
test_refresh_root (void)
{
  const char *one[] = { DEV_VFIO, NULL };
  const char *none[] = { NULL };
  g_autofree char *new_path = ihw_device_object_path (DEV_NEW);
  Signals s = { g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free), 0 };
  guint sub = g_dbus_connection_signal_subscribe (tb.conn, IHW_DBUS_NAME, NULL, NULL, NULL, NULL,
                                                  G_DBUS_SIGNAL_FLAGS_NONE, on_signal, &s, NULL);
  g_autoptr(GVariant) r1 = NULL, r2 = NULL, r3 = NULL;
  g_autoptr(GVariant) devs = NULL;

  r1 = call_ok (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "Refresh", g_variant_new ("(^as)", one));

  /* A device appears in sysfs: Refresh of everything exports it. */
  ihw_test_host_device (sysfs, DEV_NEW, "dmar0", 7, "vfio-pci", 2);
  r2 = call_ok (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "Refresh", g_variant_new ("(^as)", none));
  wait_for (added_new, &s);
  g_assert_true (has_path (s.added, new_path));
  g_assert_cmpuint (s.manager_changed, >, 0);
  devs = get_property (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "Devices");
  g_assert_cmpuint (g_variant_n_children (devs), ==, 4);
  {
    g_autoptr(GVariant) v = get_property (new_path, IHW_DBUS_DEVICE_IFACE, "Driver");
    g_assert_cmpstr (g_variant_get_string (v, NULL), ==, "vfio-pci");
  }

  /* ... and goes again. */
  s.manager_changed = 0;
  ihw_test_host_remove_device (sysfs, DEV_NEW, "dmar0");
  r3 = call_ok (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "Refresh", g_variant_new ("(^as)", none));
  wait_for (removed_new, &s);
  g_assert_true (has_path (s.removed, new_path));
  /* the Manager's cached properties follow the registry */
  g_clear_pointer (&devs, g_variant_unref);
  devs = get_property (IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "Devices");
  g_assert_cmpuint (g_variant_n_children (devs), ==, 3);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) v = call (new_path, "org.freedesktop.DBus.Properties", "Get",
                                  g_variant_new ("(ss)", IHW_DBUS_DEVICE_IFACE, "Driver"), &error);
    g_assert_null (v);
    g_assert_nonnull (error);
  }

  g_dbus_connection_signal_unsubscribe (tb.conn, sub);
  g_ptr_array_unref (s.added);
  g_ptr_array_unref (s.removed);
}

/* A second daemon must not steal or queue for the name. */
static void
test_name_taken (void)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { g_getenv ("IHW_DAEMON"), "--sysfs-root", sysfs, "--no-probe", NULL };
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, 0, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  g_test_message ("second daemon: %s", err);
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (err, "already owned"));
}

static void
test_sigterm (void)
{
  int status = ihw_test_daemon_stop (&tb);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
}

/* ------------------------------------------------------------------ */

static void
build_host (const char *root)
{
  ihw_test_host_unit_vtd (root, "dmar0", CAP_SPR, ECAP_SPR);
  ihw_test_host_unit_vtd (root, "dmar1", CAP_QEMU, ECAP_QEMU);
  ihw_test_host_device (root, DEV_QEMU, "dmar1", 1, "vfio-pci", 1);
  ihw_test_host_device (root, DEV_VFIO, "dmar0", 5, "vfio-pci", 0);
  ihw_test_host_device (root, DEV_NVME, "dmar0", 6, "nvme", -1);
}

int
main (int argc, char **argv)
{
  g_autofree char *devdir = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  ihw_test_bus_start (&tb, g_getenv ("IHW_POLICY"));
  sysfs = g_build_filename (tb.tmpdir, "sys", NULL);
  devdir = g_build_filename (tb.tmpdir, "dev", NULL);
  g_assert_cmpint (g_mkdir_with_parents (devdir, 0755), ==, 0);
  {
    /* this host's kernel has iommufd (--no-probe never opens it) */
    g_autofree char *iommu = g_build_filename (devdir, "iommu", NULL);
    g_assert_true (g_file_set_contents (iommu, "", 0, NULL));
  }
  build_host (sysfs);
  {
    const char *args[] = { "--sysfs-root", sysfs, "--dev-root", devdir, "--no-probe", "--verbose", NULL };
    ihw_test_daemon_start (&tb, args);
  }

  /* In this order: read-only checks, then Refresh, then shutdown. */
  g_test_add_func ("/dbus/introspect", test_introspect);
  g_test_add_func ("/dbus/properties-types", test_properties_types);
  g_test_add_func ("/dbus/properties-values", test_properties_values);
  g_test_add_func ("/dbus/properties-errors", test_properties_errors);
  g_test_add_func ("/dbus/peer-object-manager", test_peer_and_manager);
  g_test_add_func ("/dbus/check-nesting", test_check_nesting);
  g_test_add_func ("/dbus/negotiate", test_negotiate);
  g_test_add_func ("/dbus/get-hw-info", test_get_hw_info);
  g_test_add_func ("/dbus/errors", test_errors);
  g_test_add_func ("/dbus/refresh-unprivileged", test_refresh_unprivileged);
  g_test_add_func ("/dbus/refresh-root", test_refresh_root);
  g_test_add_func ("/dbus/name-taken", test_name_taken);
  g_test_add_func ("/dbus/sigterm", test_sigterm);

  ret = g_test_run ();
  ihw_test_bus_stop (&tb);
  g_free (sysfs);
  return ret;
}
