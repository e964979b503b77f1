/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-fail-nth.h"

#include <stdio.h>
#include <string.h>

#ifndef IHW_FAIL_NTH
#error "ihw-fail-nth.c belongs to the test build only (-DIHW_FAIL_NTH)"
#endif

static const struct {
  const char *name;
  IhwFailKind kind;
  int errno_value;  /* what the failed syscall reports */
} kinds[] = {
  { "alloc", IHW_FAIL_ALLOC, ENOMEM },
  { "open", IHW_FAIL_OPEN, EMFILE },
  { "read", IHW_FAIL_READ, EIO },
  { "ioctl", IHW_FAIL_IOCTL, ENOMEM },
};

/* The Refresh worker reads sysfs while the main loop answers calls: the
 * counter is shared, as the kernel's is per task.  armed_nth 0: off. */
static gint armed_nth;
static gint armed_kinds;
static gint counted;
static GMutex fired_lock;
static char fired[512];
static char *report_path; /* IHW_FAIL_NTH_REPORT */

gboolean
ihw_fail_now (IhwFailKind kind, const char *what)
{
  gint nth = g_atomic_int_get (&armed_nth);

  if (nth == 0 || !(g_atomic_int_get (&armed_kinds) & (gint) kind))
    return FALSE;
  if (g_atomic_int_add (&counted, 1) + 1 != nth)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (kinds[i].kind == kind)
      {
        g_mutex_lock (&fired_lock);
        snprintf (fired, sizeof fired, "%s %s", kinds[i].name, what);
        /* Plain GLib I/O, not the wrappers: this is not the daemon's call. */
        if (report_path)
          (void) g_file_set_contents (report_path, fired, -1, NULL);
        g_mutex_unlock (&fired_lock);
        errno = kinds[i].errno_value;
      }
  return TRUE;
}

/* "alloc,open" -> mask; "" or "all": every kind; 0 on an unknown name. */
static gint
parse_kinds (const char *text)
{
  g_auto (GStrv) names = NULL;
  gint mask = 0;

  if (!text || !*text || g_str_equal (text, "all"))
    {
      for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
        mask |= kinds[i].kind;
      return mask;
    }
  names = g_strsplit (text, ",", -1);
  for (guint j = 0; names[j]; j++)
    {
      gboolean known = FALSE;
      for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
        if (g_str_equal (g_strstrip (names[j]), kinds[i].name))
          {
            mask |= kinds[i].kind;
            known = TRUE;
          }
      if (!known)
        return 0;
    }
  return mask;
}

static void
arm (guint nth, gint mask)
{
  g_atomic_int_set (&armed_nth, 0);
  g_atomic_int_set (&counted, 0);
  g_mutex_lock (&fired_lock);
  fired[0] = '\0';
  g_mutex_unlock (&fired_lock);
  g_atomic_int_set (&armed_kinds, mask);
  g_atomic_int_set (&armed_nth, (gint) MIN (nth, (guint) G_MAXINT));
}

void
ihw_fail_nth_arm_from_env (void)
{
  const char *nth = g_getenv ("IHW_FAIL_NTH");
  guint64 n;
  gint mask;

  if (!nth)
    return;
  report_path = g_strdup (g_getenv ("IHW_FAIL_NTH_REPORT"));
  mask = parse_kinds (g_getenv ("IHW_FAIL_KINDS"));
  if (!g_ascii_string_to_unsigned (nth, 10, 1, G_MAXINT, &n, NULL) || !mask)
    g_error ("IHW_FAIL_NTH=%s IHW_FAIL_KINDS=%s: want N >= 1 and kinds from alloc,open,read,ioctl", nth,
             g_getenv ("IHW_FAIL_KINDS"));
  arm ((guint) n, mask);
}

static DBusMessage *
handle_control (DBusMessage *msg)
{
  DBusError err = DBUS_ERROR_INIT;
  DBusMessage *reply;

  if (dbus_message_is_method_call (msg, IHW_FAIL_NTH_INTERFACE, "Arm"))
    {
      dbus_uint32_t nth = 0;
      const char *names = NULL;
      gint mask;

      if (!dbus_message_get_args (msg, &err, DBUS_TYPE_UINT32, &nth, DBUS_TYPE_STRING, &names, DBUS_TYPE_INVALID))
        {
          reply = dbus_message_new_error (msg, DBUS_ERROR_INVALID_ARGS, err.message);
          dbus_error_free (&err);
          return reply;
        }
      mask = parse_kinds (names);
      if (nth == 0 || !mask)
        return dbus_message_new_error (msg, DBUS_ERROR_INVALID_ARGS, "Arm: want nth >= 1 and kinds from "
                                                                     "alloc,open,read,ioctl");
      /* Armed once the reply is queued: the reply is not the test's call. */
      reply = dbus_message_new_method_return (msg);
      if (reply)
        arm (nth, mask);
      return reply;
    }
  if (dbus_message_is_method_call (msg, IHW_FAIL_NTH_INTERFACE, "Disarm"))
    {
      dbus_uint32_t calls;
      const char *what = fired;

      g_atomic_int_set (&armed_nth, 0);
      calls = (dbus_uint32_t) g_atomic_int_get (&counted);
      g_mutex_lock (&fired_lock);
      reply = dbus_message_new_method_return (msg);
      if (reply && !dbus_message_append_args (reply, DBUS_TYPE_UINT32, &calls, DBUS_TYPE_STRING, &what,
                                              DBUS_TYPE_INVALID))
        g_clear_pointer (&reply, dbus_message_unref);
      g_mutex_unlock (&fired_lock);
      return reply;
    }
  return dbus_message_new_error (msg, DBUS_ERROR_UNKNOWN_METHOD, "FailNth has Arm(us) and Disarm()");
}

static DBusHandlerResult
control_filter (DBusConnection *conn, DBusMessage *msg, void *data)
{
  DBusMessage *reply;

  if (dbus_message_get_type (msg) != DBUS_MESSAGE_TYPE_METHOD_CALL ||
      g_strcmp0 (dbus_message_get_interface (msg), IHW_FAIL_NTH_INTERFACE) != 0)
    return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
  reply = handle_control (msg);
  if (!reply || !dbus_connection_send (conn, reply, NULL))
    g_error ("out of memory answering %s", IHW_FAIL_NTH_INTERFACE);
  dbus_message_unref (reply);
  return DBUS_HANDLER_RESULT_HANDLED;
}

gboolean
ihw_fail_nth_attach (DBusConnection *conn)
{
  return dbus_connection_add_filter (conn, control_filter, NULL, NULL);
}

void
ihw_fail_nth_detach (DBusConnection *conn)
{
  dbus_connection_remove_filter (conn, control_filter, NULL);
}
