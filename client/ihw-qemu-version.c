/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-qemu-version.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ihw-error.h"

#define PREFIX_TEXT "QEMU emulator version "

/* Up to `max_digits` decimal digits at *p, at least one. */
static gboolean
take_number (const char **p, guint max_digits, guint *out)
{
  guint n = 0, i = 0;

  for (; g_ascii_isdigit ((*p)[i]); i++)
    {
      if (i == max_digits)
        return FALSE;
      n = n * 10 + (guint) ((*p)[i] - '0');
    }
  if (i == 0)
    return FALSE;
  *p += i;
  *out = n;
  return TRUE;
}

char *
ihw_qemu_version_parse (const char *output, gsize len, GError **error)
{
  g_autofree char *line = NULL;
  const char *p;
  gsize n = 0;
  guint major, minor, micro;

  if (!output)
    len = 0;
  while (n < len && n < 256 && output[n] != '\n' && output[n] != '\0')
    n++;
  line = g_strndup (output ? output : "", n);
  g_strchomp (line);
  if (!*line)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "printed nothing");
      return NULL;
    }
  p = line;
  if (!g_str_has_prefix (p, PREFIX_TEXT))
    goto bad;
  p += strlen (PREFIX_TEXT);
  if (!take_number (&p, 2, &major) || *p++ != '.' || !take_number (&p, 2, &minor))
    goto bad;
  if (*p == '.')
    {
      p++;
      if (!take_number (&p, 4, &micro))
        goto bad;
    }
  if (*p != '\0' && *p != ' ' && *p != '\t')
    goto bad;
  if (major == 0)
    goto bad;
  return g_strdup_printf ("%u.%u", major, minor);

bad:
  {
    g_autofree char *shown = g_strescape (line, NULL);
    g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "printed no QEMU version (first line '%.60s%s')", shown,
                 strlen (shown) > 60 ? "..." : "");
    return NULL;
  }
}

/* In the child: its own process group, so that a timeout kills whatever
 * a wrapper script started too. */
static void
child_setup (gpointer data)
{
  (void) data;
  setpgid (0, 0);
}

static gboolean
check_file (const char *emulator, GError **error)
{
  struct stat st;

  if (stat (emulator, &st) < 0)
    {
      int e = errno;
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "cannot run %s: %s", emulator, g_strerror (e));
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "cannot run %s: not a regular file", emulator);
      return FALSE;
    }
  if (access (emulator, X_OK) < 0)
    {
      int e = errno;
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "cannot run %s: %s", emulator, g_strerror (e));
      return FALSE;
    }
  /* The hook runs as root with a path taken from the domain XML: run only
   * what an ordinary user could not have replaced. */
  if (geteuid () == 0 && (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))))
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED,
                   "not running %s as root: it is %s", emulator,
                   st.st_uid != 0 ? "not owned by root" : "writable by group or others");
      return FALSE;
    }
  return TRUE;
}

char *
ihw_qemu_version_detect (const char *emulator, int timeout_ms, GError **error)
{
  const char *argv[] = { emulator, "--version", NULL };
  const char *envp[] = { "LC_ALL=C", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL };
  g_autoptr (GError) local = NULL;
  char buf[IHW_QEMU_VERSION_OUTPUT_MAX];
  gsize len = 0;
  gint64 deadline;
  GPid pid;
  int out_fd = -1, status = 0;
  gboolean timed_out = FALSE, exited = FALSE;
  char *version;

  if (timeout_ms <= 0)
    timeout_ms = IHW_QEMU_VERSION_TIMEOUT_DEFAULT_MS;
  if (!emulator || emulator[0] != '/')
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "the emulator '%s' is not an absolute path",
                   emulator ? emulator : "");
      return NULL;
    }
  if (!check_file (emulator, error))
    return NULL;

  deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  if (!g_spawn_async_with_pipes (NULL, (char **) argv, (char **) envp,
                                 G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL | G_SPAWN_STDIN_FROM_DEV_NULL
                                     | G_SPAWN_CLOEXEC_PIPES,
                                 child_setup, NULL, &pid, NULL, &out_fd, NULL, &local))
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "cannot run %s: %s", emulator, local->message);
      return NULL;
    }

  /* stdout until EOF, the buffer is full, or the deadline. */
  while (len < sizeof buf - 1)
    {
      struct pollfd pfd = { .fd = out_fd, .events = POLLIN };
      gint64 left = deadline - g_get_monotonic_time ();
      ssize_t n;
      int r;

      if (left <= 0)
        {
          timed_out = TRUE;
          break;
        }
      r = poll (&pfd, 1, (int) ((left + 999) / 1000));
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        {
          timed_out = r == 0;
          break;
        }
      n = read (out_fd, buf + len, sizeof buf - 1 - len);
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n <= 0)
        break;
      len += (gsize) n;
    }
  buf[len] = '\0';
  close (out_fd);

  /* The exit status, until the deadline. */
  while (!timed_out)
    {
      pid_t r = waitpid (pid, &status, WNOHANG);
      if (r == pid)
        {
          exited = TRUE;
          break;
        }
      if (r < 0 && errno != EINTR)
        break;
      if (g_get_monotonic_time () >= deadline)
        timed_out = TRUE;
      else
        g_usleep (2000);
    }
  if (!exited)
    {
      kill (-pid, SIGKILL);
      kill (pid, SIGKILL);
      while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
        ;
    }
  g_spawn_close_pid (pid);

  if (timed_out)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "%s --version did not answer within %d ms (killed)", emulator,
                   timeout_ms);
      return NULL;
    }
  if (!exited)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "%s --version: cannot get its exit status", emulator);
      return NULL;
    }
  if (WIFSIGNALED (status))
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "%s --version was killed by signal %d", emulator,
                   WTERMSIG (status));
      return NULL;
    }
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "%s --version exited with status %d", emulator,
                   WIFEXITED (status) ? WEXITSTATUS (status) : -1);
      return NULL;
    }
  version = ihw_qemu_version_parse (buf, len, &local);
  if (!version)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "%s --version %s", emulator, local->message);
      return NULL;
    }
  return version;
}

/* --- the version cache ------------------------------------------------------
 * One line per emulator: "v1 DEV INO SIZE MTIME_NS VERSION PATH".  A line
 * counts only when all of DEV..MTIME_NS still match the file.  The file is
 * trusted only when its owner is us or root and nobody else may write it
 * (the hook runs as root); anything unparsable is ignored. */

#define CACHE_MAX_BYTES 65536
#define CACHE_MAX_LINES 64

static char *
cache_key (const struct stat *st)
{
  return g_strdup_printf ("v1 %ju %ju %jd %jd", (uintmax_t) st->st_dev, (uintmax_t) st->st_ino, (intmax_t) st->st_size,
                          (intmax_t) st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec);
}

static gboolean
trusted (int fd)
{
  struct stat st;
  return fstat (fd, &st) == 0 && S_ISREG (st.st_mode) && (st.st_uid == geteuid () || st.st_uid == 0)
         && !(st.st_mode & (S_IWGRP | S_IWOTH));
}

/* The cache's lines, or an empty array. */
static GPtrArray *
cache_read (const char *cache_path)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  char buf[CACHE_MAX_BYTES + 1];
  ssize_t n;
  int fd = open (cache_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

  if (fd < 0)
    return lines;
  if (!trusted (fd) || (n = read (fd, buf, CACHE_MAX_BYTES)) <= 0)
    {
      close (fd);
      return lines;
    }
  close (fd);
  buf[n] = '\0';
  {
    g_auto (GStrv) split = g_strsplit (buf, "\n", CACHE_MAX_LINES + 1);
    for (guint i = 0; split[i] && i < CACHE_MAX_LINES; i++)
      if (g_str_has_prefix (split[i], "v1 "))
        g_ptr_array_add (lines, g_strdup (split[i]));
  }
  return lines;
}

/* The version for `emulator` with stat `st`, from the cache, or NULL. */
static char *
cache_lookup (GPtrArray *lines, const char *emulator, const struct stat *st)
{
  g_autofree char *key = cache_key (st);
  gsize klen = strlen (key);

  for (guint i = 0; i < lines->len; i++)
    {
      const char *l = lines->pdata[i];
      const char *v, *sp;
      if (strncmp (l, key, klen) != 0 || l[klen] != ' ')
        continue;
      v = l + klen + 1;
      sp = strchr (v, ' ');
      if (!sp || strcmp (sp + 1, emulator) != 0)
        continue;
      {
        g_autofree char *version = g_strndup (v, (gsize) (sp - v));
        guint q;
        if (ihw_qemu_version_from_text (version, &q, NULL))
          return g_steal_pointer (&version);
      }
    }
  return NULL;
}

/* Writes the cache with `emulator`'s line replaced: a temporary file in
 * the same directory, then rename (readers see the old or the new file). */
static void
cache_store (const char *cache_path, GPtrArray *lines, const char *emulator, const struct stat *st,
             const char *version)
{
  g_autofree char *dir = g_path_get_dirname (cache_path);
  g_autofree char *tmp = g_strdup_printf ("%s.XXXXXX", cache_path);
  g_autofree char *key = cache_key (st);
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree char *suffix = g_strconcat (" ", emulator, NULL);
  guint kept = 0;
  int fd;

  if (g_mkdir_with_parents (dir, 0755) < 0)
    return;
  g_string_append_printf (out, "%s %s %s\n", key, version, emulator);
  for (guint i = lines->len; i-- > 0 && kept < CACHE_MAX_LINES - 1;)
    if (!g_str_has_suffix (lines->pdata[i], suffix))
      {
        g_string_append_printf (out, "%s\n", (const char *) lines->pdata[i]);
        kept++;
      }
  if (out->len > CACHE_MAX_BYTES)
    return;
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0)
    return;
  if (write (fd, out->str, out->len) != (ssize_t) out->len || fchmod (fd, 0644) < 0 || close (fd) < 0
      || rename (tmp, cache_path) < 0)
    unlink (tmp);
}

char *
ihw_qemu_version_detect_cached (const char *emulator, int timeout_ms, const char *cache_path, gboolean *from_cache,
                                GError **error)
{
  struct stat st;
  g_autoptr (GPtrArray) lines = NULL;
  char *version;

  *from_cache = FALSE;
  if (!cache_path || !*cache_path || !emulator || emulator[0] != '/' || stat (emulator, &st) < 0)
    return ihw_qemu_version_detect (emulator, timeout_ms, error);
  lines = cache_read (cache_path);
  if ((version = cache_lookup (lines, emulator, &st)) && check_file (emulator, NULL))
    {
      *from_cache = TRUE;
      return version;
    }
  g_clear_pointer (&version, g_free);
  version = ihw_qemu_version_detect (emulator, timeout_ms, error);
  if (version)
    cache_store (cache_path, lines, emulator, &st, version);
  return version;
}

void
ihw_qemu_choice_clear (IhwQemuChoice *q)
{
  g_clear_pointer (&q->version, g_free);
  g_clear_pointer (&q->failure, g_free);
}

void
ihw_qemu_choose (IhwQemuChoice *q, const char *configured, gboolean detect, const char *no_detect_reason,
                 const char *emulator, int timeout_ms, const char *cache_path, IhwRequest *req)
{
  g_autoptr (GError) error = NULL;

  q->from = IHW_QEMU_FROM_DAEMON;
  if (configured)
    {
      q->version = g_strdup (configured);
      q->from = IHW_QEMU_FROM_CONFIG;
    }
  else if (!detect)
    q->failure = g_strdup (no_detect_reason);
  else if (!emulator)
    q->failure = g_strdup ("the domain XML names no usable <emulator>");
  else if ((q->version = ihw_qemu_version_detect_cached (emulator, timeout_ms, cache_path, &q->cached, &error)))
    q->from = IHW_QEMU_FROM_EMULATOR;
  else
    q->failure = g_strdup (error->message);
  if (q->version && !ihw_request_set_qemu_version (req, q->version, NULL))
    {
      /* not reached: both sources are validated */
      g_clear_pointer (&q->version, g_free);
      q->from = IHW_QEMU_FROM_DAEMON;
    }
}
