/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-error.h"

G_DEFINE_QUARK (ihw-error-quark, ihw_error)

static const char *const dbus_names[IHW_ERROR_LAST] = {
  [IHW_ERROR_FAILED] = "io.iommuhwinfo1.Error.Failed",
  [IHW_ERROR_INVALID_ARGUMENT] = "io.iommuhwinfo1.Error.InvalidArgument",
  [IHW_ERROR_NO_SUCH_DEVICE] = "io.iommuhwinfo1.Error.NoSuchDevice",
  [IHW_ERROR_UNKNOWN_MODEL] = "io.iommuhwinfo1.Error.UnknownModel",
  [IHW_ERROR_ACCESS_DENIED] = "io.iommuhwinfo1.Error.AccessDenied",
  [IHW_ERROR_BUSY] = "io.iommuhwinfo1.Error.Busy",
  [IHW_ERROR_NOT_SUPPORTED] = "io.iommuhwinfo1.Error.NotSupported",
  /* Bad data in a request is an invalid argument as far as D-Bus callers go. */
  [IHW_ERROR_BAD_DATA] = "io.iommuhwinfo1.Error.InvalidArgument",
  [IHW_ERROR_UNAVAILABLE] = "io.iommuhwinfo1.Error.Failed",
  [IHW_ERROR_USAGE] = "io.iommuhwinfo1.Error.InvalidArgument",
};

const char *
ihw_error_dbus_name (int code)
{
  if (code < 0 || code >= IHW_ERROR_LAST)
    code = IHW_ERROR_FAILED;
  return dbus_names[code];
}

IhwError
ihw_error_from_dbus_name (const char *name)
{
  /* First match wins, so InvalidArgument maps back to INVALID_ARGUMENT. */
  for (int i = 0; i < IHW_ERROR_LAST; i++)
    if (g_strcmp0 (dbus_names[i], name) == 0)
      return i;
  return IHW_ERROR_FAILED;
}

int
ihw_error_exit_code (const GError *error)
{
  if (!error || error->domain != IHW_ERROR)
    return IHW_EXIT_UNKNOWN;
  switch (error->code)
    {
    case IHW_ERROR_USAGE:
    case IHW_ERROR_UNKNOWN_MODEL:
      return IHW_EXIT_USAGE;
    case IHW_ERROR_INVALID_ARGUMENT:
    case IHW_ERROR_BAD_DATA:
    case IHW_ERROR_NO_SUCH_DEVICE:
      return IHW_EXIT_DATAERR;
    case IHW_ERROR_ACCESS_DENIED:
      return IHW_EXIT_NOPERM;
    case IHW_ERROR_UNAVAILABLE:
      return IHW_EXIT_UNAVAILABLE;
    default:
      return IHW_EXIT_UNKNOWN;
    }
}
