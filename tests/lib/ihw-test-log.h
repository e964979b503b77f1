/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test helper: collect the daemon's log lines instead of aborting on them.
 * g_test_init() makes warnings fatal; the registry logs a warning for every
 * bad sysfs entry by design, and the tests want to assert on those lines.
 */
#pragma once

#include <glib.h>
#include <stdarg.h>
#include <string.h>

static GPtrArray *ihw_test_log_lines;

static void
ihw_test_log_handler (const char *domain, GLogLevelFlags level, const char *message, gpointer user_data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    {
      /* Criticals are programming errors: still fatal. */
      g_printerr ("CRITICAL: %s\n", message);
      g_assert_not_reached ();
    }
  if (level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO))
    return;
  g_ptr_array_add (ihw_test_log_lines, g_strdup_printf ("%s: %s",
                                                        level & G_LOG_LEVEL_WARNING ? "WARNING" : "MESSAGE", message));
  if (g_test_verbose ())
    g_printerr ("  log: %s\n", message);
}

/* The daemon logs structured (G_LOG_USE_STRUCTURED): the same lines. */
static GLogWriterOutput
ihw_test_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  const char *message = "";
  for (gsize i = 0; i < n_fields; i++)
    if (strcmp (fields[i].key, "MESSAGE") == 0)
      message = fields[i].value;
  ihw_test_log_handler (NULL, level, message, user_data);
  return G_LOG_WRITER_HANDLED;
}

static inline void
ihw_test_log_init (void)
{
  ihw_test_log_lines = g_ptr_array_new_with_free_func (g_free);
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_log_set_default_handler (ihw_test_log_handler, NULL);
  g_log_set_writer_func (ihw_test_log_writer, NULL, NULL);
}

static inline void
ihw_test_log_clear (void)
{
  g_ptr_array_set_size (ihw_test_log_lines, 0);
}

/* Number of captured lines containing every one of the NULL-terminated needles. */
static inline guint
ihw_test_log_count (const char *first, ...)
{
  guint n = 0;
  for (guint i = 0; i < ihw_test_log_lines->len; i++)
    {
      const char *line = ihw_test_log_lines->pdata[i];
      gboolean all = TRUE;
      va_list ap;
      va_start (ap, first);
      for (const char *needle = first; needle; needle = va_arg (ap, const char *))
        if (!strstr (line, needle))
          {
            all = FALSE;
            break;
          }
      va_end (ap);
      if (all)
        n++;
    }
  return n;
}

static inline void
ihw_test_log_dump (void)
{
  for (guint i = 0; i < ihw_test_log_lines->len; i++)
    g_printerr ("  captured: %s\n", (const char *) ihw_test_log_lines->pdata[i]);
}

#define ihw_assert_logged(...)                                                                \
  G_STMT_START                                                                                \
  {                                                                                           \
    if (ihw_test_log_count (__VA_ARGS__, NULL) == 0)                                          \
      {                                                                                       \
        ihw_test_log_dump ();                                                                 \
        g_printerr ("%s:%d: expected a log line containing %s\n", __FILE__, __LINE__, #__VA_ARGS__); \
        g_assert_not_reached ();                                                              \
      }                                                                                       \
  }                                                                                           \
  G_STMT_END
