/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One error domain for the whole project.  Each code has a fixed D-Bus error
 * name (SPEC §4) and a fixed CLI exit code (SPEC §5), so the daemon, the
 * client library, the CLI and the hook all agree on what an error means.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define IHW_ERROR (ihw_error_quark ())
GQuark ihw_error_quark (void);

typedef enum {
  IHW_ERROR_FAILED = 0,
  IHW_ERROR_INVALID_ARGUMENT,   /* bad request: usage or bad data */
  IHW_ERROR_NO_SUCH_DEVICE,
  IHW_ERROR_UNKNOWN_MODEL,
  IHW_ERROR_ACCESS_DENIED,
  IHW_ERROR_BUSY,
  IHW_ERROR_NOT_SUPPORTED,
  IHW_ERROR_BAD_DATA,           /* malformed data from the kernel, sysfs or the user */
  IHW_ERROR_UNAVAILABLE,        /* the daemon is not reachable (client side only) */
  IHW_ERROR_USAGE,              /* command-line usage (client side only) */
  IHW_ERROR_LAST
} IhwError;

/* "io.iommuhwinfo1.Error.InvalidArgument", ... */
const char *ihw_error_dbus_name (int code);
/* Reverse mapping; unknown names map to IHW_ERROR_FAILED. */
IhwError ihw_error_from_dbus_name (const char *name);

/* SPEC §5 exit codes. */
enum {
  IHW_EXIT_SUPPORTED = 0,
  IHW_EXIT_UNSUPPORTED = 1,
  IHW_EXIT_UNKNOWN = 2,
  IHW_EXIT_USAGE = 64,
  IHW_EXIT_DATAERR = 65,
  IHW_EXIT_UNAVAILABLE = 69,
  IHW_EXIT_NOPERM = 77,
};

int ihw_error_exit_code (const GError *error);

G_END_DECLS
