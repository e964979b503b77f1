/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a call to the real daemon costs, as a ratio to a bare
 * org.freedesktop.DBus.Peer.Ping to the same daemon on the same private bus,
 * measured interleaved in one run (issue 12, item 7).  Generated hosts: one
 * VT-d unit and N devices behind it.  Prints one table: goal, measured, met
 * or missed by how much.  Not pass/fail: a benchmark.
 *
 *   meson test -C _build --benchmark --suite bench -v
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dbus/dbus.h>

#include "ihw-test-bus.h"

#define NAME "io.iommuhwinfo1"
#define PATH "/io/iommuhwinfo1"
#define MANAGER "io.iommuhwinfo1.Manager"
#define PROPS "org.freedesktop.DBus.Properties"
#define CAP_SPR "19ed008c40780c66"
#define ECAP_SPR "3ee9e86f050df"

#define BIG 4096
#define RSS_HOST 512
#define ROUNDS 15

static IhwTestBus tb;

/* ------------------------------------------------------------------ */
/* hosts */

typedef struct {
  char *root, *sysfs, *dev;
} Host;

static char *
bdf (guint i)
{
  return g_strdup_printf ("0000:%02x:%02x.0", 1 + i / 32, i % 32);
}

/* In memory when /dev/shm is there: thousands of files on an overlay cost
 * seconds of system time that would be measured as nothing useful. */
static void
host_make (Host *h, guint n)
{
  h->root = g_strdup_printf ("%s/ihw-bench-XXXXXX", access ("/dev/shm", W_OK) == 0 ? "/dev/shm" : g_get_tmp_dir ());
  g_assert_nonnull (g_mkdtemp (h->root));
  h->sysfs = g_build_filename (h->root, "sys", NULL);
  h->dev = g_build_filename (h->root, "dev", NULL);
  g_assert_cmpint (g_mkdir_with_parents (h->sysfs, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (h->dev, 0755), ==, 0);
  ihw_test_host_unit_vtd (h->sysfs, "dmar0", CAP_SPR, ECAP_SPR);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *a = bdf (i);
      ihw_test_host_device (h->sysfs, a, "dmar0", (int) i, "vfio-pci", -1);
    }
}

static void
host_free (Host *h)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", h->root);
  g_assert_cmpint (system (cmd), ==, 0);
  g_free (h->root);
  g_free (h->sysfs);
  g_free (h->dev);
}

/* Starts the daemon over `h`; returns the wall time until it owns its name. */
static double
daemon_start (Host *h)
{
  const char *args[] = { "--sysfs-root", h->sysfs, "--dev-root", h->dev, "--no-probe", NULL };
  gint64 t0 = g_get_monotonic_time ();
  ihw_test_daemon_start (&tb, args);
  return (double) (g_get_monotonic_time () - t0);
}

/* ------------------------------------------------------------------ */
/* the libdbus client */

static DBusConnection *conn;

static DBusMessage *
method (const char *iface, const char *member)
{
  DBusMessage *m = dbus_message_new_method_call (NAME, PATH, iface, member);
  g_assert_nonnull (m);
  return m;
}

/* (s model, as devices, a{sv} {}) with the first `n` devices. */
static DBusMessage *
check_msg (const char *member, guint n)
{
  DBusMessage *m = method (MANAGER, member);
  DBusMessageIter it, arr, dict;
  const char *model = "intel";

  dbus_message_iter_init_append (m, &it);
  g_assert_true (dbus_message_iter_append_basic (&it, DBUS_TYPE_STRING, &model));
  g_assert_true (dbus_message_iter_open_container (&it, DBUS_TYPE_ARRAY, "s", &arr));
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *a = bdf (i);
      const char *s = a;
      g_assert_true (dbus_message_iter_append_basic (&arr, DBUS_TYPE_STRING, &s));
    }
  g_assert_true (dbus_message_iter_close_container (&it, &arr));
  g_assert_true (dbus_message_iter_open_container (&it, DBUS_TYPE_ARRAY, "{sv}", &dict));
  g_assert_true (dbus_message_iter_close_container (&it, &dict));
  return m;
}

static DBusMessage *
props_msg (const char *member, const char *iface, const char *prop)
{
  DBusMessage *m = method (PROPS, member);
  if (prop)
    g_assert_true (dbus_message_append_args (m, DBUS_TYPE_STRING, &iface, DBUS_TYPE_STRING, &prop, DBUS_TYPE_INVALID));
  else
    g_assert_true (dbus_message_append_args (m, DBUS_TYPE_STRING, &iface, DBUS_TYPE_INVALID));
  return m;
}

/* Appends the arguments under `from` to `to`, whatever their types. */
static void
copy_args (DBusMessageIter *from, DBusMessageIter *to)
{
  int t;

  while ((t = dbus_message_iter_get_arg_type (from)) != DBUS_TYPE_INVALID)
    {
      if (dbus_type_is_basic (t))
        {
          DBusBasicValue v;
          dbus_message_iter_get_basic (from, &v);
          g_assert_true (dbus_message_iter_append_basic (to, t, &v));
        }
      else
        {
          DBusMessageIter fsub, tsub;
          char *sig = t == DBUS_TYPE_ARRAY || t == DBUS_TYPE_VARIANT ? dbus_message_iter_get_signature (from) : NULL;
          char *inner = NULL;

          dbus_message_iter_recurse (from, &fsub);
          if (t == DBUS_TYPE_VARIANT)
            inner = dbus_message_iter_get_signature (&fsub);
          g_assert_true (dbus_message_iter_open_container (to, t,
                                                           t == DBUS_TYPE_ARRAY ? sig + 1 : inner, &tsub));
          copy_args (&fsub, &tsub);
          g_assert_true (dbus_message_iter_close_container (to, &tsub));
          dbus_free (sig);
          dbus_free (inner);
        }
      dbus_message_iter_next (from);
    }
}

/* The bus's own cost for a call's bytes: a Peer.Ping (answered by libdbus
 * in the daemon, no handler) carrying the call's arguments and its reply's
 * body, so the same bytes and types cross the bus and are validated by
 * both ends once each way. */
static DBusMessage *
floor_msg (DBusMessage *call, DBusMessage *reply)
{
  DBusMessage *m = dbus_message_new_method_call (NAME, PATH, "org.freedesktop.DBus.Peer", "Ping");
  DBusMessageIter from, to;

  dbus_message_iter_init_append (m, &to);
  if (dbus_message_iter_init (call, &from))
    copy_args (&from, &to);
  if (dbus_message_iter_init (reply, &from))
    copy_args (&from, &to);
  return m;
}

/* `batch` calls of `m` (copies made before the clock starts); µs per call.
 * `last_reply`, when not NULL, gets the last reply. */
static double
time_calls_keep (DBusMessage *m, guint batch, gsize *reply_bytes, DBusMessage **last_reply)
{
  DBusMessage *copies[64];
  gint64 t0;

  g_assert_cmpuint (batch, <=, G_N_ELEMENTS (copies));
  for (guint i = 0; i < batch; i++)
    copies[i] = dbus_message_copy (m);
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < batch; i++)
    {
      DBusError err = DBUS_ERROR_INIT;
      DBusMessage *r = dbus_connection_send_with_reply_and_block (conn, copies[i], 60000, &err);
      if (!r)
        g_error ("%s: %s", dbus_message_get_member (m), err.message);
      if (reply_bytes)
        {
          char *wire;
          int len;
          g_assert_true (dbus_message_marshal (r, &wire, &len));
          *reply_bytes = (gsize) len;
          dbus_free (wire);
        }
      if (last_reply && i == batch - 1)
        *last_reply = dbus_message_ref (r);
      dbus_message_unref (r);
    }
  t0 = g_get_monotonic_time () - t0;
  for (guint i = 0; i < batch; i++)
    dbus_message_unref (copies[i]);
  return (double) t0 / batch;
}

static double
time_calls (DBusMessage *m, guint batch, gsize *reply_bytes)
{
  return time_calls_keep (m, batch, reply_bytes, NULL);
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (GArray *a)
{
  g_array_sort (a, cmp_double);
  return g_array_index (a, double, a->len / 2);
}

/* ------------------------------------------------------------------ */
/* the table */

typedef struct {
  char *goal, *measured;
  gboolean met;
  char *by;
} Row;

static GArray *rows;

/* `value` against `limit` (lower is better). */
static void
row (const char *goal, const char *unit, double value, double limit)
{
  Row r = { g_strdup (goal), g_strdup_printf ("%.2f%s", value, unit), value <= limit, NULL };
  r.by = r.met ? g_strdup ("met") : g_strdup_printf ("missed by %.2f%s (%.1fx the goal)", value - limit, unit,
                                                     value / limit);
  g_array_append_val (rows, r);
}

/* A line that is no goal: what the same bytes cost the bus alone. */
static void
floor_row (const char *what, double value, const char *unit)
{
  Row r = { g_strdup_printf ("  bus floor: %s", what), g_strdup_printf ("%.2f%s", value, unit), TRUE,
            g_strdup ("(a Ping with the same bytes; not a goal)") };
  g_array_append_val (rows, r);
}

static void
print_table (void)
{
  printf ("\n%-58s %-14s %s\n", "goal", "measured", "result");
  for (guint i = 0; i < rows->len; i++)
    {
      Row *r = &g_array_index (rows, Row, i);
      printf ("%-58s %-14s %s\n", r->goal, r->measured, r->by);
    }
}

/* ------------------------------------------------------------------ */
/* processes */

/* Median wall time (µs) of `argv` with stdin from `in` (or /dev/null). */
static double
time_process (char **argv, char **envp, const char *in)
{
  gint64 t0 = g_get_monotonic_time ();
  GPid pid;
  int in_fd = -1, status;
  g_autoptr (GError) error = NULL;

  if (!g_spawn_async_with_pipes (NULL, argv, envp, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                                 NULL, &pid, in ? &in_fd : NULL, NULL, NULL, &error))
    g_error ("%s: %s", argv[0], error->message);
  if (in)
    {
      /* /bin/true never reads it: EPIPE is expected there */
      (void) !write (in_fd, in, strlen (in));
      close (in_fd);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    g_error ("%s exited with status %d", argv[0], status);
  return (double) (g_get_monotonic_time () - t0);
}

/* python3-dbus (Debian's package, so /usr/bin/python3): its own Ping and CheckNesting(1), interleaved; prints the ratio. */
static const char python_client[] =
  "import sys, time, dbus\n"
  "bus = dbus.bus.BusConnection(sys.argv[1])\n"
  "obj = bus.get_object('" NAME "', '" PATH "')\n"
  "ping = obj.get_dbus_method('Ping', 'org.freedesktop.DBus.Peer')\n"
  "empty = dbus.Array([dbus.Struct(('', '', '', ''), signature='ssss')], signature='(ssss)')\n"
  "check = obj.get_dbus_method('CheckNesting', '" MANAGER "')\n"
  "dev = dbus.Array([sys.argv[2]], signature='s')\n"
  "req = dbus.Dictionary({}, signature='sv')\n"
  "p, c, f = [], [], []\n"
  "for r in range(40):\n"
  "    t = time.perf_counter()\n"
  "    for i in range(25): ping()\n"
  "    p.append(time.perf_counter() - t)\n"
  "    t = time.perf_counter()\n"
  "    for i in range(25): check('intel', dev, req)\n"
  "    c.append(time.perf_counter() - t)\n"
  "    t = time.perf_counter()\n"
  "    for i in range(25): ping('intel', dev, req, 'unsupported', empty, signature='sasa{sv}sa(ssss)')\n"
  "    f.append(time.perf_counter() - t)\n"
  "p.sort(); c.sort(); f.sort()\n"
  "print(c[len(c) // 2] / p[len(p) // 2], f[len(f) // 2] / p[len(p) // 2])\n";

/* CheckNesting(1) / Ping as python3-dbus sees them; `floor` gets a Ping
 * carrying a call's and a reply's worth of the same types / Ping (what
 * python3-dbus itself spends marshalling them). */
static double
python_ratio (double *floor)
{
  g_autofree char *a = bdf (0);
  g_autofree char *out = NULL;
  g_autoptr (GError) error = NULL;
  int status;
  const char *argv[] = { "/usr/bin/python3", "-c", python_client, tb.bus_address, a, NULL };

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL, &status, &error)
      || !g_spawn_check_wait_status (status, NULL))
    return -1;
  {
    char *end = NULL;
    double r = g_ascii_strtod (out, &end);
    *floor = g_ascii_strtod (end, NULL);
    return r;
  }
}

/* One device of `h` changes driver (as a hotplug rebind does): the time of
 * a Refresh of that device and the next Get(NestingModels), which judges it
 * again (median µs).  Needs root (Refresh); -1 otherwise. */
static double
one_device_change (Host *h)
{
  g_autofree char *a = bdf (BIG / 2);
  g_autofree char *link = g_strdup_printf ("%s/devices/pci0000:00/%s/driver", h->sysfs, a);
  g_autofree char *nvme = g_strdup_printf ("%s/bus/pci/drivers/nvme", h->sysfs);
  g_autoptr (GArray) us = g_array_new (FALSE, FALSE, sizeof (double));
  DBusMessage *refresh = method (MANAGER, "Refresh");
  DBusMessage *models = props_msg ("Get", MANAGER, "NestingModels");
  DBusMessageIter it, arr;
  const char *as = a;

  if (getuid () != 0)
    return -1;
  g_assert_cmpint (g_mkdir_with_parents (nvme, 0755), ==, 0);
  dbus_message_iter_init_append (refresh, &it);
  g_assert_true (dbus_message_iter_open_container (&it, DBUS_TYPE_ARRAY, "s", &arr));
  g_assert_true (dbus_message_iter_append_basic (&arr, DBUS_TYPE_STRING, &as));
  g_assert_true (dbus_message_iter_close_container (&it, &arr));
  for (guint i = 0; i < 20; i++) /* ends as it began, on vfio-pci */
    {
      double t;
      g_assert_cmpint (unlink (link), ==, 0);
      g_assert_cmpint (symlink (i % 2 ? "../../../bus/pci/drivers/vfio-pci" : "../../../bus/pci/drivers/nvme", link),
                       ==, 0);
      t = time_calls (refresh, 1, NULL) + time_calls (models, 1, NULL);
      g_array_append_val (us, t);
    }
  dbus_message_unref (refresh);
  dbus_message_unref (models);
  return median (us);
}

/* ------------------------------------------------------------------ */

typedef struct {
  const char *name;
  DBusMessage *msg;
  guint batch;
  GArray *us;
  gsize bytes;
  DBusMessage *floor;   /* Ping with the same bytes (floor_msg), NULL for Ping */
  GArray *floor_us;
} Op;

enum { PING, CHECK1, CHECK64, NEG1, GET_MODELS, GETALL, GMO, N_OPS };

int
main (void)
{
  const char *ctl = g_getenv ("IHW_CTL");
  const char *hook = g_getenv ("IHW_HOOK");
  const char *domain = g_getenv ("IHW_NO_IOMMU_XML");
  Host big, small, none;
  Op ops[N_OPS] = {
    [PING] = { "Ping", NULL, 50 },
    [CHECK1] = { "CheckNesting(1)", NULL, 50 },
    [CHECK64] = { "CheckNesting(64)", NULL, 10 },
    [NEG1] = { "Negotiate(1)", NULL, 50 },
    [GET_MODELS] = { "Get(NestingModels)", NULL, 1 },
    [GETALL] = { "GetAll(Manager)", NULL, 1 },
    [GMO] = { "GetManagedObjects", NULL, 1 },
  };
  GArray *start_big = g_array_new (FALSE, FALSE, sizeof (double));
  GArray *start_none = g_array_new (FALSE, FALSE, sizeof (double));
  double ping, v, py, py_floor = 0, one_change;
  DBusError err = DBUS_ERROR_INIT;
  char buf[128];

  g_assert_nonnull (ctl);
  g_assert_nonnull (hook);
  g_assert_nonnull (domain);
  signal (SIGPIPE, SIG_IGN);
  rows = g_array_new (FALSE, FALSE, sizeof (Row));
  ihw_test_bus_start (&tb, g_getenv ("IHW_POLICY"));
  conn = dbus_connection_open_private (tb.bus_address, &err);
  g_assert_nonnull (conn);
  g_assert_true (dbus_bus_register (conn, &err));

  host_make (&big, BIG);
  host_make (&none, 0);

  /* start-up, alternating between the two hosts */
  for (guint i = 0; i < 3; i++)
    {
      v = daemon_start (&none);
      g_array_append_val (start_none, v);
      ihw_test_daemon_stop (&tb);
      v = daemon_start (&big);
      g_array_append_val (start_big, v);
      if (i < 2)
        ihw_test_daemon_stop (&tb);
    }

  /* the calls, interleaved round by round; medians */
  ops[PING].msg = method ("org.freedesktop.DBus.Peer", "Ping");
  ops[CHECK1].msg = check_msg ("CheckNesting", 1);
  ops[CHECK64].msg = check_msg ("CheckNesting", 64);
  ops[NEG1].msg = check_msg ("Negotiate", 1);
  ops[GET_MODELS].msg = props_msg ("Get", MANAGER, "NestingModels");
  ops[GETALL].msg = props_msg ("GetAll", MANAGER, NULL);
  ops[GMO].msg = method ("org.freedesktop.DBus.ObjectManager", "GetManagedObjects");
  for (guint k = 0; k < N_OPS; k++)
    {
      DBusMessage *reply = NULL;
      ops[k].us = g_array_new (FALSE, FALSE, sizeof (double));
      ops[k].floor_us = g_array_new (FALSE, FALSE, sizeof (double));
      (void) time_calls_keep (ops[k].msg, 1, &ops[k].bytes, &reply); /* warm */
      if (k != PING)
        {
          ops[k].floor = floor_msg (ops[k].msg, reply);
          (void) time_calls (ops[k].floor, 1, NULL);
        }
      dbus_message_unref (reply);
    }
  for (guint r = 0; r < ROUNDS; r++)
    for (guint k = 0; k < N_OPS; k++)
      {
        /* Ping follows the largest replies of the round before: a few
         * untimed ones first, as every other call follows a small one. */
        if (k == PING)
          (void) time_calls (ops[k].msg, 10, NULL);
        v = time_calls (ops[k].msg, ops[k].batch, NULL);
        g_array_append_val (ops[k].us, v);
        if (ops[k].floor)
          {
            v = time_calls (ops[k].floor, ops[k].batch, NULL);
            g_array_append_val (ops[k].floor_us, v);
          }
      }
  py = python_ratio (&py_floor);
  one_change = one_device_change (&big);

  ping = median (ops[PING].us);
  printf ("%u devices; Ping %.1f us (median of %u rounds)\n", BIG, ping, ROUNDS);
  printf ("  (bus floor: a Ping carrying the same call and reply bytes, answered by libdbus itself)\n");
  for (guint k = 0; k < N_OPS; k++)
    {
      printf ("  %-20s %10.1f us  %6.2fx Ping  reply %zu bytes", ops[k].name, median (ops[k].us),
              median (ops[k].us) / ping, ops[k].bytes);
      if (ops[k].floor)
        printf ("; bus floor %.1f us (%.2fx Ping), the daemon's share %.1f us", median (ops[k].floor_us),
                median (ops[k].floor_us) / ping, median (ops[k].us) - median (ops[k].floor_us));
      printf ("\n");
    }

  row ("CheckNesting(1), libdbus client <= 1.15x Ping", "x", median (ops[CHECK1].us) / ping, 1.15);
  floor_row ("CheckNesting(1)", median (ops[CHECK1].floor_us) / ping, "x");
  if (py > 0)
    {
      row ("CheckNesting(1), python3-dbus client <= 1.15x Ping", "x", py, 1.15);
      floor_row ("python3-dbus, CheckNesting(1)", py_floor, "x");
    }
  else
    {
      Row r = { g_strdup ("CheckNesting(1), python3-dbus client <= 1.15x Ping"), g_strdup ("-"), FALSE,
                g_strdup ("not measured: python3 -c 'import dbus' failed") };
      g_array_append_val (rows, r);
    }
  row ("CheckNesting(64) <= 2x Ping", "x", median (ops[CHECK64].us) / ping, 2);
  floor_row ("CheckNesting(64)", median (ops[CHECK64].floor_us) / ping, "x");
  row ("Negotiate(1) <= 1.2x Ping", "x", median (ops[NEG1].us) / ping, 1.2);
  floor_row ("Negotiate(1)", median (ops[NEG1].floor_us) / ping, "x");
  g_snprintf (buf, sizeof buf, "Get(NestingModels) at %u devices <= 1.2x Ping", BIG);
  row (buf, "x", median (ops[GET_MODELS].us) / ping, 1.2);
  g_snprintf (buf, sizeof buf, "GetAll(Manager) at %u devices <= 1.2x Ping", BIG);
  row (buf, "x", median (ops[GETALL].us) / ping, 1.2);
  floor_row ("GetAll(Manager)", median (ops[GETALL].floor_us) / ping, "x");
  g_snprintf (buf, sizeof buf, "GetManagedObjects at %u devices <= 20 ms", BIG);
  row (buf, " ms", median (ops[GMO].us) / 1000, 20);
  floor_row ("GetManagedObjects", median (ops[GMO].floor_us) / 1000, " ms");
  {
    Row r = { g_strdup_printf ("one device changes at %u devices (its Refresh + Get(NestingModels))", BIG),
              one_change < 0 ? g_strdup ("-") : g_strdup_printf ("%.2fx", one_change / ping), TRUE,
              one_change < 0 ? g_strdup ("not measured: Refresh needs root")
                             : g_strdup_printf ("%.2f ms (no goal: only that device is judged again)",
                                                one_change / 1000) };
    g_array_append_val (rows, r);
  }
  g_snprintf (buf, sizeof buf, "start-up, %u devices <= 10x none (%.0f / %.0f ms)", BIG,
              median (start_big) / 1000, median (start_none) / 1000);
  row (buf, "x", median (start_big) / median (start_none), 10);

  /* iommu-hwinfoctl list: at BIG (now running), then at smaller hosts */
  {
    const guint sizes[] = { BIG / 4, BIG / 2, BIG };
    double list_us[G_N_ELEMENTS (sizes)], json_us = 0;
    const char *argv_list[] = { ctl, "list", NULL };
    const char *argv_json[] = { ctl, "--json", "list", NULL };

    for (int s = G_N_ELEMENTS (sizes) - 1; s >= 0; s--)
      {
        g_autoptr (GArray) a = g_array_new (FALSE, FALSE, sizeof (double));
        g_autoptr (GArray) j = g_array_new (FALSE, FALSE, sizeof (double));
        Host h;

        if (sizes[s] != BIG)
          {
            ihw_test_daemon_stop (&tb);
            host_make (&h, sizes[s]);
            daemon_start (&h);
          }
        for (guint i = 0; i < 5; i++)
          {
            v = time_process ((char **) argv_list, NULL, NULL);
            g_array_append_val (a, v);
            if (sizes[s] == BIG)
              {
                v = time_process ((char **) argv_json, NULL, NULL);
                g_array_append_val (j, v);
              }
          }
        list_us[s] = median (a);
        if (sizes[s] == BIG)
          json_us = median (j);
        else
          host_free (&h);
        printf ("iommu-hwinfoctl list, %5u devices: %8.1f ms\n", sizes[s], list_us[s] / 1000);
      }
    printf ("iommu-hwinfoctl --json list, %u devices: %8.1f ms\n", BIG, json_us / 1000);
    /* linear: 4x the devices costs 4x the time, give or take 10 % (a
     * quadratic list would be 16x) */
    g_snprintf (buf, sizeof buf, "list linear: time(%u)/time(%u) <= 4.4x (%.0f / %.0f ms)", sizes[2], sizes[0],
                list_us[2] / 1000, list_us[0] / 1000);
    row (buf, "x", list_us[2] / list_us[0], 4.4);
    g_snprintf (buf, sizeof buf, "list at %u devices <= 1.2x --json list (%.0f ms)", BIG, json_us / 1000);
    row (buf, "x", list_us[2] / json_us, 1.2);
  }

  /* the hook, whole process, for a domain without <iommu>, vs /bin/true */
  {
    g_autofree char *conf = g_build_filename (tb.tmpdir, "hook.conf", NULL);
    g_autofree char *conf_text = g_strdup_printf ("[hook]\nbus-address=%s\n", tb.bus_address);
    g_autofree char *xml = NULL;
    g_auto (GStrv) envp = g_environ_setenv (g_get_environ (), "IHW_HOOK_CONF", conf, TRUE);
    g_autoptr (GArray) h = g_array_new (FALSE, FALSE, sizeof (double));
    g_autoptr (GArray) t = g_array_new (FALSE, FALSE, sizeof (double));
    const char *argv_hook[] = { hook, "plain-vm", "prepare", "begin", "-", NULL };
    const char *argv_true[] = { "/bin/true", "plain-vm", "prepare", "begin", "-", NULL };

    g_assert_true (g_file_set_contents (conf, conf_text, -1, NULL));
    g_assert_true (g_file_get_contents (domain, &xml, NULL, NULL));
    for (guint i = 0; i < 30; i++)
      {
        v = time_process ((char **) argv_hook, envp, xml);
        g_array_append_val (h, v);
        v = time_process ((char **) argv_true, envp, xml);
        g_array_append_val (t, v);
      }
    g_snprintf (buf, sizeof buf, "hook, no <iommu> <= 1.5x /bin/true (%.2f / %.2f ms)", median (h) / 1000,
                median (t) / 1000);
    row (buf, "x", median (h) / median (t), 1.5);
  }

  /* RssAnon of a fresh daemon over a smaller host, after every call */
  {
    g_autofree char *a = bdf (0);
    DBusMessage *hw = method (MANAGER, "GetHwInfo");
    const char *as = a;
    guint64 before, after;

    ihw_test_daemon_stop (&tb);
    host_make (&small, RSS_HOST);
    daemon_start (&small);
    before = ihw_test_proc_status_kib (tb.daemon_pid, "RssAnon");
    g_assert_true (dbus_message_append_args (hw, DBUS_TYPE_STRING, &as, DBUS_TYPE_INVALID));
    for (guint k = 0; k < N_OPS; k++)
      (void) time_calls (ops[k].msg, 1, NULL);
    (void) time_calls (hw, 1, NULL);
    after = ihw_test_proc_status_kib (tb.daemon_pid, "RssAnon");
    dbus_message_unref (hw);
    printf ("RssAnon at %u devices: %" G_GUINT64_FORMAT " KiB after start, %" G_GUINT64_FORMAT
            " KiB after every call\n", RSS_HOST, before, after);
    g_snprintf (buf, sizeof buf, "RssAnon at %u devices after every call <= 2 MiB", RSS_HOST);
    row (buf, " MiB", after / 1024.0, 2);
  }

  print_table ();

  ihw_test_bus_stop (&tb);
  dbus_connection_close (conn);
  dbus_connection_unref (conn);
  for (guint k = 0; k < N_OPS; k++)
    {
      dbus_message_unref (ops[k].msg);
      g_array_unref (ops[k].us);
      if (ops[k].floor)
        dbus_message_unref (ops[k].floor);
      g_array_unref (ops[k].floor_us);
    }
  host_free (&big);
  host_free (&none);
  host_free (&small);
  return 0;
}
