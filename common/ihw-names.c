/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-names.h"

#include <string.h>

gboolean
ihw_pci_address_valid (const char *a)
{
  /* DDDD:BB:DD.F: domain 4 hex, bus 2 hex, device 2 hex (<= 0x1f), function 0-7 */
  static const char shape[] = "xxxx:xx:xx.f";

  if (!a || strlen (a) != sizeof shape - 1)
    return FALSE;
  for (guint i = 0; shape[i]; i++)
    {
      switch (shape[i])
        {
        case 'x':
          if (!g_ascii_isxdigit (a[i]))
            return FALSE;
          break;
        case 'f':
          if (a[i] < '0' || a[i] > '7')
            return FALSE;
          break;
        default:
          if (a[i] != shape[i])
            return FALSE;
        }
    }
  return g_ascii_xdigit_value (a[8]) * 16 + g_ascii_xdigit_value (a[9]) <= 0x1f;
}

char *
ihw_pci_address_normalize (const char *address)
{
  if (!ihw_pci_address_valid (address))
    return NULL;
  return g_ascii_strdown (address, -1);
}

char *
ihw_object_path_escape (const char *name)
{
  char *s = g_strdup (name ? name : "");
  for (char *p = s; *p; p++)
    if (!g_ascii_isalnum (*p))
      *p = '_';
  if (!*s)
    {
      g_free (s);
      s = g_strdup ("_");
    }
  return s;
}

char *
ihw_device_object_path (const char *address)
{
  g_autofree char *e = ihw_object_path_escape (address);
  return g_strconcat (IHW_DBUS_DEVICE_PATH_PREFIX, e, NULL);
}

char *
ihw_unit_object_path (const char *unit)
{
  g_autofree char *e = ihw_object_path_escape (unit);
  return g_strconcat (IHW_DBUS_UNIT_PATH_PREFIX, e, NULL);
}
