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

gboolean
ihw_pci_address_canonical (const char *a)
{
  if (!ihw_pci_address_valid (a))
    return FALSE;
  for (const char *p = a; *p; p++)
    if (g_ascii_isupper (*p))
      return FALSE;
  return TRUE;
}

char *
ihw_object_path_escape (const char *name)
{
  GString *s;

  if (!name || !*name)
    return g_strdup ("_");
  s = g_string_sized_new (strlen (name) * 3);
  for (const guchar *p = (const guchar *) name; *p; p++)
    if (g_ascii_isalnum (*p))
      g_string_append_c (s, (char) *p);
    else
      g_string_append_printf (s, "_%02x", *p);
  return g_string_free (s, FALSE);
}

char *
ihw_object_path_unescape (const char *element)
{
  GString *s;

  if (!element || !*element)
    return NULL;
  if (strcmp (element, "_") == 0)
    return g_strdup ("");
  s = g_string_sized_new (strlen (element));
  for (const char *p = element; *p; p++)
    {
      int hi, lo;
      if (g_ascii_isalnum (*p))
        {
          g_string_append_c (s, *p);
          continue;
        }
      /* Only what ihw_object_path_escape() writes: '_' and two lower-case
       * hex digits of a byte that is not alphanumeric, and never NUL. */
      if (*p != '_' || !p[1] || !p[2])
        goto bad;
      hi = g_ascii_xdigit_value (p[1]);
      lo = g_ascii_xdigit_value (p[2]);
      if (hi < 0 || lo < 0 || g_ascii_isupper (p[1]) || g_ascii_isupper (p[2]) || (hi == 0 && lo == 0) ||
          g_ascii_isalnum (hi * 16 + lo))
        goto bad;
      g_string_append_c (s, (char) (hi * 16 + lo));
      p += 2;
    }
  return g_string_free (s, FALSE);
bad:
  g_string_free (s, TRUE);
  return NULL;
}

char *
ihw_device_object_path (const char *address)
{
  /* SPEC §4's shape, "0000_3a_00_0": on canonical addresses, where ':' and
   * '.' sit at fixed places, that is one-to-one (ihw_device_path_address()
   * reverses it).  Anything else would be a bug in a caller; it still gets
   * a path, and the generic escape never produces that shape. */
  if (ihw_pci_address_canonical (address))
    {
      char *p = g_strconcat (IHW_DBUS_DEVICE_PATH_PREFIX, address, NULL);
      for (char *q = p + strlen (IHW_DBUS_DEVICE_PATH_PREFIX); *q; q++)
        if (*q == ':' || *q == '.')
          *q = '_';
      return p;
    }
  {
    g_autofree char *e = ihw_object_path_escape (address);
    return g_strconcat (IHW_DBUS_DEVICE_PATH_PREFIX, e, NULL);
  }
}

char *
ihw_device_path_address (const char *path)
{
  const char *t;
  char *a;

  if (!path || !g_str_has_prefix (path, IHW_DBUS_DEVICE_PATH_PREFIX))
    return NULL;
  t = path + strlen (IHW_DBUS_DEVICE_PATH_PREFIX);
  if (strlen (t) != 12 || t[4] != '_' || t[7] != '_' || t[10] != '_')
    return NULL;
  a = g_strdup_printf ("%.4s:%.2s:%.2s.%c", t, t + 5, t + 8, t[11]);
  if (!ihw_pci_address_canonical (a))
    g_clear_pointer (&a, g_free);
  return a;
}

char *
ihw_unit_path_name (const char *path)
{
  if (!path || !g_str_has_prefix (path, IHW_DBUS_UNIT_PATH_PREFIX))
    return NULL;
  return ihw_object_path_unescape (path + strlen (IHW_DBUS_UNIT_PATH_PREFIX));
}

char *
ihw_unit_object_path (const char *unit)
{
  g_autofree char *e = ihw_object_path_escape (unit);
  return g_strconcat (IHW_DBUS_UNIT_PATH_PREFIX, e, NULL);
}
