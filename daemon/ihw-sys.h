/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's fallible calls at the edges — open, read, ioctl, and the
 * libdbus allocations whose failure the daemon handles — go through these
 * wrappers, so a test build can make the Nth of them fail (fault injection
 * in the spirit of the kernel's fail_nth, see ihw-fail-nth.h).
 *
 * In the production build (no IHW_FAIL_NTH) every wrapper is an inline
 * call of the plain function and ihw_fail_now() is a constant FALSE: the
 * shipped binary carries no hook, no counter and no control interface
 * (tests/dbus/meson.build checks its symbols).  A new syscall in the probe
 * or request paths adopts the layer by calling ihw_sys_open(),
 * ihw_sys_read() or ihw_sys_ioctl() instead of the plain function.
 */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <glib.h>

G_BEGIN_DECLS

/* The kinds of call that can be made to fail (IHW_FAIL_KINDS names them). */
typedef enum {
  IHW_FAIL_ALLOC = 1 << 0,  /* a libdbus message or its body: NULL / FALSE */
  IHW_FAIL_OPEN = 1 << 1,   /* open(), and opening a directory: EMFILE */
  IHW_FAIL_READ = 1 << 2,   /* read(), readlink(): EIO */
  IHW_FAIL_IOCTL = 1 << 3,  /* ioctl(): ENOMEM */
} IhwFailKind;

#ifdef IHW_FAIL_NTH
/* TRUE when this call is the armed Nth one of an armed kind (then the
 * caller fails it, with errno already set for the syscall kinds).
 * `what` names the call for the test's report. */
gboolean ihw_fail_now (IhwFailKind kind, const char *what);
#else
static inline gboolean
ihw_fail_now (IhwFailKind kind, const char *what)
{
  return FALSE;
}
#endif

/* `expr` (a pointer or gboolean), or 0 when this allocation is to fail. */
#define IHW_FALLIBLE(expr) (ihw_fail_now (IHW_FAIL_ALLOC, #expr) ? 0 : (expr))

static inline int
ihw_sys_open (const char *path, int flags)
{
  if (ihw_fail_now (IHW_FAIL_OPEN, path))
    return -1;
  return open (path, flags);
}

/* g_dir_open() as one open. */
static inline GDir *
ihw_sys_dir_open (const char *path, GError **error)
{
  if (ihw_fail_now (IHW_FAIL_OPEN, path))
    {
      int e = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "Error opening directory “%s”: %s", path,
                   g_strerror (e));
      return NULL;
    }
  return g_dir_open (path, 0, error);
}

static inline ssize_t
ihw_sys_read (int fd, void *buf, size_t len, const char *what)
{
  if (ihw_fail_now (IHW_FAIL_READ, what))
    return -1;
  return read (fd, buf, len);
}

/* readlink() of a sysfs link: a read of the kind READ. */
static inline ssize_t
ihw_sys_readlink (const char *path, char *buf, size_t len)
{
  if (ihw_fail_now (IHW_FAIL_READ, path))
    return -1;
  return readlink (path, buf, len);
}

/* ioctl(), restarted on EINTR; the request's name is the report's. */
#define ihw_sys_ioctl(fd, request, arg) ihw_sys_ioctl_named ((fd), (request), (arg), #request)

static inline int
ihw_sys_ioctl_named (int fd, unsigned long request, void *arg, const char *name)
{
  int rc;

  if (ihw_fail_now (IHW_FAIL_IOCTL, name))
    return -1;
  do
    rc = ioctl (fd, request, arg);
  while (rc < 0 && errno == EINTR);
  return rc;
}

G_END_DECLS
