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
  log_verbose = verbose;
  /* Checks JOURNAL_STREAM against stderr's device and inode. */
  log_journal = g_log_writer_is_journald (STDERR_FILENO);
  g_log_set_writer_func (writer, NULL, NULL);
}
