/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-test-fail-nth.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#include "ihw-names.h"

#define FAIL_NTH_IFACE "io.iommuhwinfo1.FailNth"

static const char *const models[] = { "intel", "smmuv3", "amd", "virtio" };

static GVariant *
without_timestamps (GVariant *objects)
{
  GVariantBuilder b;
  GVariantIter it;
  const char *path;
  GVariant *ifaces;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{oa{sa{sv}}}"));
  g_variant_iter_init (&it, objects);
  while (g_variant_iter_loop (&it, "{&o@a{sa{sv}}}", &path, &ifaces))
    {
      GVariantIter ii;
      const char *iface;
      GVariant *props;

      g_variant_builder_open (&b, G_VARIANT_TYPE ("{oa{sa{sv}}}"));
      g_variant_builder_add (&b, "o", path);
      g_variant_builder_open (&b, G_VARIANT_TYPE ("a{sa{sv}}"));
      g_variant_iter_init (&ii, ifaces);
      while (g_variant_iter_loop (&ii, "{&s@a{sv}}", &iface, &props))
        {
          GVariantIter pi;
          const char *name;
          GVariant *value;

          g_variant_builder_open (&b, G_VARIANT_TYPE ("{sa{sv}}"));
          g_variant_builder_add (&b, "s", iface);
          g_variant_builder_open (&b, G_VARIANT_TYPE ("a{sv}"));
          g_variant_iter_init (&pi, props);
          while (g_variant_iter_loop (&pi, "{&sv}", &name, &value))
            if (!g_str_equal (name, "UpdatedUsec"))
              g_variant_builder_add (&b, "{sv}", name, value);
          g_variant_builder_close (&b);
          g_variant_builder_close (&b);
        }
      g_variant_builder_close (&b);
      g_variant_builder_close (&b);
    }
  return g_variant_builder_end (&b);
}

GVariant *
ihw_test_state (IhwTestBus *tb)
{
  g_autoptr (GVariant) objs = ihw_test_call_ok (tb, IHW_DBUS_PATH, "org.freedesktop.DBus.ObjectManager",
                                                "GetManagedObjects", NULL);
  g_autoptr (GVariant) mgr = ihw_test_call_ok (tb, IHW_DBUS_PATH, "org.freedesktop.DBus.Properties", "GetAll",
                                               g_variant_new ("(s)", IHW_DBUS_MANAGER_IFACE));
  g_autoptr (GVariant) o = g_variant_get_child_value (objs, 0);
  g_autoptr (GVariant) m = g_variant_get_child_value (mgr, 0);

  return g_variant_ref_sink (g_variant_new ("(@a{oa{sa{sv}}}@a{sv})", without_timestamps (o), m));
}

/* CheckNesting (model, [device], {}): the verdict, or NULL with `error`. */
static char *
verdict (IhwTestBus *tb, const char *model, const char *device, GError **error)
{
  const char *devs[] = { device, NULL };
  g_autoptr (GVariant) r = ihw_test_call (tb, IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "CheckNesting",
                                          g_variant_new ("(s^asa{sv})", model, devs, NULL), error);
  char *v = NULL;

  if (r)
    g_variant_get (r, "(s@a(ssss))", &v, NULL);
  return v;
}

static GHashTable *
nesting_models (GVariant *state)
{
  g_autoptr (GVariant) mgr = g_variant_get_child_value (state, 1);
  g_autoptr (GVariant) v = g_variant_lookup_value (mgr, "NestingModels", G_VARIANT_TYPE ("as"));
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GVariantIter it;
  const char *m;

  g_assert_nonnull (v);
  g_variant_iter_init (&it, v);
  while (g_variant_iter_next (&it, "&s", &m))
    g_hash_table_add (set, g_strdup (m));
  return set;
}

/* The Device interface's properties of the device at `address`, or NULL. */
static GVariant *
device_props (GVariant *state, const char *address)
{
  g_autoptr (GVariant) objs = g_variant_get_child_value (state, 0);
  GVariantIter it;
  GVariant *ifaces;

  g_variant_iter_init (&it, objs);
  while (g_variant_iter_loop (&it, "{&o@a{sa{sv}}}", NULL, &ifaces))
    {
      g_autoptr (GVariant) dev = g_variant_lookup_value (ifaces, IHW_DBUS_DEVICE_IFACE, G_VARIANT_TYPE ("a{sv}"));
      g_autofree char *a = NULL;

      if (dev && g_variant_lookup (dev, "Address", "s", &a) && g_str_equal (a, address))
        {
          g_variant_unref (ifaces); /* iter_loop's own, as the loop is left early */
          return g_steal_pointer (&dev);
        }
    }
  return NULL;
}

void
ihw_test_clean_init (IhwTestClean *c, IhwTestBus *tb)
{
  g_autoptr (GVariant) objs = NULL;
  GVariantIter it;
  GVariant *ifaces;

  c->state = ihw_test_state (tb);
  c->devices = g_ptr_array_new_with_free_func (g_free);
  c->verdicts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  c->nesting_models = nesting_models (c->state);
  objs = g_variant_get_child_value (c->state, 0);
  g_variant_iter_init (&it, objs);
  while (g_variant_iter_loop (&it, "{&o@a{sa{sv}}}", NULL, &ifaces))
    {
      g_autoptr (GVariant) dev = g_variant_lookup_value (ifaces, IHW_DBUS_DEVICE_IFACE, G_VARIANT_TYPE ("a{sv}"));
      char *a = NULL;
      if (dev && g_variant_lookup (dev, "Address", "s", &a))
        g_ptr_array_add (c->devices, a);
    }
  g_assert_cmpuint (c->devices->len, >, 0);
  for (guint m = 0; m < G_N_ELEMENTS (models); m++)
    for (guint d = 0; d < c->devices->len; d++)
      {
        g_autoptr (GError) error = NULL;
        char *v = verdict (tb, models[m], c->devices->pdata[d], &error);
        g_assert_no_error (error);
        g_hash_table_insert (c->verdicts, g_strdup_printf ("%s %s", models[m], (char *) c->devices->pdata[d]), v);
      }
}

void
ihw_test_clean_clear (IhwTestClean *c)
{
  g_clear_pointer (&c->state, g_variant_unref);
  g_clear_pointer (&c->devices, g_ptr_array_unref);
  g_clear_pointer (&c->verdicts, g_hash_table_unref);
  g_clear_pointer (&c->nesting_models, g_hash_table_unref);
}

void
ihw_test_fail_arm (IhwTestBus *tb, guint nth, const char *kinds)
{
  g_variant_unref (ihw_test_call_ok (tb, IHW_DBUS_PATH, FAIL_NTH_IFACE, "Arm",
                                     g_variant_new ("(us)", nth, kinds ? kinds : "")));
}

char *
ihw_test_fail_disarm (IhwTestBus *tb, guint *calls)
{
  g_autoptr (GVariant) r = ihw_test_call_ok (tb, IHW_DBUS_PATH, FAIL_NTH_IFACE, "Disarm", NULL);
  char *fired = NULL;
  guint32 n;

  g_variant_get (r, "(us)", &n, &fired);
  if (calls)
    *calls = n;
  return fired;
}

void
ihw_test_assert_serving (IhwTestBus *tb)
{
  g_variant_unref (ihw_test_call_ok (tb, IHW_DBUS_PATH, "org.freedesktop.DBus.Peer", "Ping", NULL));
  g_variant_unref (ihw_test_call_ok (tb, IHW_DBUS_PATH, "org.freedesktop.DBus.Properties", "Get",
                                     g_variant_new ("(ss)", IHW_DBUS_MANAGER_IFACE, "Version")));
}

void
ihw_test_assert_typed_error (const GError *error, const char *fired)
{
  g_autofree char *name = g_dbus_error_get_remote_error (error);

  if (!name || !g_str_has_prefix (name, IHW_DBUS_NAME ".Error."))
    g_error ("with %s failing: untyped error %s: %s", fired, name ? name : "(none)", error->message);
}

void
ihw_test_assert_no_wrong_answer (IhwTestBus *tb, const IhwTestClean *c, const char *fired)
{
  g_autoptr (GVariant) state = ihw_test_state (tb);
  g_autoptr (GHashTable) nesting = nesting_models (state);
  GHashTableIter hi;
  const char *model;

  g_hash_table_iter_init (&hi, nesting);
  while (g_hash_table_iter_next (&hi, (gpointer *) &model, NULL))
    if (!g_hash_table_contains (c->nesting_models, model))
      g_error ("with %s failing: NestingModels claims %s, a clean run does not", fired, model);

  for (guint d = 0; d < c->devices->len; d++)
    {
      const char *address = c->devices->pdata[d];
      g_autoptr (GVariant) now = device_props (state, address);
      g_autoptr (GVariant) was = device_props (c->state, address);
      g_autofree char *np_now = NULL, *np_was = NULL;

      if (!now)
        g_error ("with %s failing: device %s is no longer exported", fired, address);
      g_assert_true (g_variant_lookup (now, "NestParent", "s", &np_now));
      g_assert_true (g_variant_lookup (was, "NestParent", "s", &np_was));
      if (!g_str_equal (np_now, np_was) && !g_str_equal (np_now, "unknown"))
        g_error ("with %s failing: %s NestParent %s, a clean run says %s", fired, address, np_now, np_was);

      for (guint m = 0; m < G_N_ELEMENTS (models); m++)
        {
          g_autoptr (GError) error = NULL;
          g_autofree char *key = g_strdup_printf ("%s %s", models[m], address);
          g_autofree char *v = verdict (tb, models[m], address, &error);
          const char *clean = g_hash_table_lookup (c->verdicts, key);

          if (!v)
            ihw_test_assert_typed_error (error, fired);
          else if (!g_str_equal (v, clean) && !g_str_equal (v, "unknown"))
            g_error ("with %s failing: CheckNesting %s says %s, a clean run %s", fired, key, v, clean);
        }
    }
}

void
ihw_test_assert_restored (IhwTestBus *tb, const IhwTestClean *c, const char *fired)
{
  const char *none[] = { NULL };
  g_autoptr (GVariant) state = NULL;

  g_variant_unref (ihw_test_call_ok (tb, IHW_DBUS_PATH, IHW_DBUS_MANAGER_IFACE, "Refresh",
                                     g_variant_new ("(^as)", none)));
  state = ihw_test_state (tb);

  if (!g_variant_equal (state, c->state))
    {
      g_autofree char *a = g_variant_print (state, FALSE);
      g_autofree char *b = g_variant_print (c->state, FALSE);
      g_error ("with %s failing, a later Refresh did not restore the clean state:\n  now   %s\n  clean %s", fired, a,
               b);
    }
}

void
ihw_test_fail_stop (IhwTestBus *tb, const char *fired)
{
  int status = ihw_test_daemon_stop (tb);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    g_error ("with %s failing: the daemon did not exit cleanly on SIGTERM (status %d; a leak under ASan or "
             "valgrind?)", fired, status);
}

guint
ihw_test_fail_nth_startup (IhwTestBus *tb, const char *const *args, const IhwTestClean *c,
                           const char *const *fatal, const IhwTestFailHooks *hooks, guint *exits)
{
  g_autofree char *report = g_build_filename (tb->tmpdir, "fail-nth-report", NULL);
  guint n;

  *exits = 0;
  for (n = 1; n < IHW_TEST_FAIL_MAX_NTH; n++)
    {
      g_autofree char *nth = g_strdup_printf ("%u", n);
      const char *env[] = { "IHW_FAIL_NTH", nth, "IHW_FAIL_NTH_REPORT", report, NULL };
      g_autofree char *fired = NULL;
      int status;

      (void) g_unlink (report);
      if (hooks && hooks->before_start)
        hooks->before_start (hooks->data);
      if (!ihw_test_daemon_try_start (tb, args, env, &status))
        {
          if (!g_file_get_contents (report, &fired, NULL, NULL))
            g_error ("fail-nth %u: the daemon exited (status %d) with nothing failed", n, status);
          if (!g_strv_contains (fatal, fired) || !WIFEXITED (status) || WEXITSTATUS (status) != 1)
            g_error ("with %s failing: the daemon did not start (status %d)", fired, status);
          (*exits)++;
          continue;
        }
      fired = ihw_test_fail_disarm (tb, NULL);
      ihw_test_assert_serving (tb);
      if (!*fired)
        {
          g_autoptr (GVariant) state = ihw_test_state (tb);
          g_assert_true (g_variant_equal (state, c->state));
        }
      else
        {
          ihw_test_assert_no_wrong_answer (tb, c, fired);
          ihw_test_assert_restored (tb, c, fired);
        }
      if (hooks && hooks->after_run)
        hooks->after_run (fired, hooks->data);
      ihw_test_fail_stop (tb, *fired ? fired : "nothing");
      if (!*fired)
        break;
    }
  g_assert_cmpuint (n, <, IHW_TEST_FAIL_MAX_NTH);
  return n - 1;
}

static gboolean
says_unknown (GVariant *reply, int child)
{
  g_autoptr (GVariant) v = NULL;
  if (child < 0)
    return FALSE;
  v = g_variant_get_child_value (reply, child);
  return g_str_equal (g_variant_get_string (v, NULL), "unknown");
}

guint
ihw_test_fail_nth_request (IhwTestBus *tb, const IhwTestClean *c, const IhwTestFailRequest *r,
                           const IhwTestFailHooks *hooks)
{
  g_autoptr (GVariant) want = ihw_test_call_ok (tb, r->path, r->iface, r->method, r->args ());
  guint n;

  for (n = 1; n < IHW_TEST_FAIL_MAX_NTH; n++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) got = NULL;
      g_autofree char *fired = NULL;

      ihw_test_fail_arm (tb, n, "");
      got = ihw_test_call (tb, r->path, r->iface, r->method, r->args (), &error);
      fired = ihw_test_fail_disarm (tb, NULL);
      ihw_test_assert_serving (tb);
      if (!*fired)
        {
          g_autoptr (GVariant) state = ihw_test_state (tb);
          g_assert_no_error (error);
          g_assert_true (g_variant_equal (got, want));
          g_assert_true (g_variant_equal (state, c->state));
        }
      else if (!got)
        ihw_test_assert_typed_error (error, fired);
      else if (!g_variant_equal (got, want) && !says_unknown (got, r->verdict_child))
        {
          g_autofree char *a = g_variant_print (got, FALSE);
          g_autofree char *b = g_variant_print (want, FALSE);
          g_error ("with %s failing: %s answered\n  %s\n  clean %s", fired, r->method, a, b);
        }
      if (*fired && r->changes_state)
        {
          ihw_test_assert_no_wrong_answer (tb, c, fired);
          ihw_test_assert_restored (tb, c, fired);
        }
      else if (*fired)
        {
          g_autoptr (GVariant) state = ihw_test_state (tb);
          g_assert_true (g_variant_equal (state, c->state));
        }
      if (hooks && hooks->after_run)
        hooks->after_run (fired, hooks->data);
      if (!*fired)
        break;
    }
  g_assert_cmpuint (n, <, IHW_TEST_FAIL_MAX_NTH);
  return n - 1;
}
