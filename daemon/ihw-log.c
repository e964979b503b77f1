/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-log.h"

#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

static gboolean log_verbose;
static gboolean log_journal;

/* Per call site (file:line), at most LOG_BURST lines per LOG_WINDOW: a
 * hostile sysfs with 100,000 bad names must not write 100,000 lines on
 * every scan.  The line that hits the limit says so. */
#define LOG_BURST 10
#define LOG_WINDOW_USEC (30 * G_USEC_PER_SEC)
#define LOG_MAX_SITES 1024

typedef struct {
  gint64 window_start;
  guint count;
  guint suppressed;
} LogSite;

static GHashTable *log_sites; /* "file:line" -> LogSite; the Refresh reader thread logs too */
G_LOCK_DEFINE_STATIC (log_sites);

/* NULL: drop the line.  Otherwise a note to append ("" or a suppression
 * notice), caller frees. */
static char *rate_limit_locked (const char *file, const char *line);

static char *
rate_limit (const char *file, const char *line)
{
  char *note;
  G_LOCK (log_sites);
  note = rate_limit_locked (file, line);
  G_UNLOCK (log_sites);
  return note;
}

static char *
rate_limit_locked (const char *file, const char *line)
{
  g_autofree char *key = g_strdup_printf ("%s:%s", file ? file : "?", line ? line : "?");
  gint64 now = g_get_monotonic_time ();
  LogSite *site;
  char *note = NULL;

  if (!log_sites)
    log_sites = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  site = g_hash_table_lookup (log_sites, key);
  if (!site)
    {
      if (g_hash_table_size (log_sites) >= LOG_MAX_SITES)
        g_hash_table_remove_all (log_sites);
      site = g_new0 (LogSite, 1);
      site->window_start = now;
      g_hash_table_insert (log_sites, g_steal_pointer (&key), site);
    }
  if (now - site->window_start >= LOG_WINDOW_USEC)
    {
      if (site->suppressed)
        note = g_strdup_printf (" (%u more like this were suppressed)", site->suppressed);
      site->window_start = now;
      site->count = 0;
      site->suppressed = 0;
    }
  if (site->count >= LOG_BURST)
    {
      site->suppressed++;
      return NULL;
    }
  if (++site->count == LOG_BURST)
    return g_strdup_printf (" (%d such lines in %d s: further ones suppressed for a while)", LOG_BURST,
                            (int) (LOG_WINDOW_USEC / G_USEC_PER_SEC));
  return note ? note : g_strdup ("");
}

/* Log text is one line of printable text: control bytes (a newline in a
 * sysfs name would forge a second entry) and bytes that are not UTF-8 come
 * out as \xNN. */
static char *
escape_message (const char *message)
{
  GString *out = g_string_sized_new (strlen (message));
  const char *p = message;

  while (*p)
    {
      gunichar c = g_utf8_get_char_validated (p, -1);
      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", (guchar) *p);
          p++;
          continue;
        }
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
  return g_string_free (out, FALSE);
}

static int
level_priority (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return LOG_CRIT;
  if (level & G_LOG_LEVEL_CRITICAL)
    return LOG_ERR;
  if (level & G_LOG_LEVEL_WARNING)
    return LOG_WARNING;
  if (level & G_LOG_LEVEL_MESSAGE)
    return LOG_NOTICE;
  if (level & G_LOG_LEVEL_INFO)
    return LOG_INFO;
  return LOG_DEBUG;
}

static const char *
level_name (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "error";
  if (level & G_LOG_LEVEL_CRITICAL)
    return "critical";
  if (level & G_LOG_LEVEL_WARNING)
    return "warning";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "notice";
  if (level & G_LOG_LEVEL_INFO)
    return "info";
  return "debug";
}

static GLogWriterOutput
writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  const char *message = NULL, *file = NULL, *line = NULL, *func = NULL;
  int prio = level_priority (level);
  g_autofree char *note = NULL;
  g_autofree char *escaped = NULL;

  if (prio >= LOG_INFO && !log_verbose)
    return G_LOG_WRITER_HANDLED;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
      else if (g_strcmp0 (fields[i].key, "CODE_FILE") == 0)
        file = fields[i].value;
      else if (g_strcmp0 (fields[i].key, "CODE_LINE") == 0)
        line = fields[i].value;
      else if (g_strcmp0 (fields[i].key, "CODE_FUNC") == 0)
        func = fields[i].value;
    }
  if (!message)
    message = "(no message)";

  /* Debug lines are asked for (--verbose); the rest are rate-limited. */
  if (prio < LOG_INFO)
    {
      note = rate_limit (file, line);
      if (!note)
        return G_LOG_WRITER_HANDLED;
    }
  escaped = escape_message (message);
  if (note && *note)
    {
      char *joined = g_strconcat (escaped, note, NULL);
      g_free (escaped);
      escaped = joined;
    }
  message = escaped;

  if (log_journal)
    {
      struct iovec iov[6];
      g_autofree char *f_msg = g_strconcat ("MESSAGE=", message, NULL);
      g_autofree char *f_prio = g_strdup_printf ("PRIORITY=%d", prio);
      g_autofree char *f_file = file ? g_strconcat ("CODE_FILE=", file, NULL) : NULL;
      g_autofree char *f_line = line ? g_strconcat ("CODE_LINE=", line, NULL) : NULL;
      g_autofree char *f_func = func ? g_strconcat ("CODE_FUNC=", func, NULL) : NULL;
      const char *all[] = { f_msg, f_prio, "SYSLOG_IDENTIFIER=iommu-hwinfod", f_file, f_line, f_func };
      int n = 0;

      for (gsize i = 0; i < G_N_ELEMENTS (all); i++)
        if (all[i])
          iov[n++] = (struct iovec) { .iov_base = (void *) all[i], .iov_len = strlen (all[i]) };
      if (sd_journal_sendv (iov, n) >= 0)
        return G_LOG_WRITER_HANDLED;
      /* journal gone: fall through to stderr */
    }
  fprintf (stderr, "iommu-hwinfod: %s: %s\n", level_name (level), message);
  return G_LOG_WRITER_HANDLED;
}

void
ihw_log_setup (gboolean verbose)
{
  static gboolean installed;

  log_verbose = verbose;
  /* GLib takes a writer once per process; SIGHUP only changes verbosity. */
  if (installed)
    return;
  installed = TRUE;
  /* Checks JOURNAL_STREAM against stderr's device and inode. */
  log_journal = g_log_writer_is_journald (STDERR_FILENO);
  g_log_set_writer_func (writer, NULL, NULL);
}
