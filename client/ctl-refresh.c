/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* iommu-hwinfoctl refresh [DEVICE...]: re-read sysfs and re-probe (root). */
#include <stdio.h>

#include "ctl.h"
#include "ihw-error.h"

int
ctl_refresh (CtlGlobal *g, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IhwClient) client = NULL;
  char **devices;
  int code;

  if (!ctl_parse_options (g, "refresh", "[DEVICE...]",
                          "Re-read sysfs and re-probe the given PCI devices (default: everything) and update the\n"
                          "daemon's cache.  Needs root.",
                          NULL, &argc, &argv, &code))
    return code;
  devices = argv + 1;
  if (!ctl_check_devices ("refresh", devices, &code))
    return code;

  if (!(client = ctl_connect (&error)))
    return ctl_fail (error);
  if (!ihw_client_refresh (client, (const char *const *) devices, &error))
    {
      if (g_error_matches (error, IHW_ERROR, IHW_ERROR_ACCESS_DENIED))
        {
          g_printerr ("iommu-hwinfoctl refresh: %s\n(refresh probes devices and needs root: try 'sudo "
                      "iommu-hwinfoctl refresh')\n",
                      error->message);
          return IHW_EXIT_NOPERM;
        }
      return ctl_fail (error);
    }

  if (g->json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "refreshed");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_set_member_name (b, "devices");
      json_builder_begin_array (b);
      for (guint i = 0; devices[i]; i++)
        json_builder_add_string_value (b, devices[i]);
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      ctl_print_json (root);
    }
  else if (devices[0])
    {
      g_autofree char *list = g_strjoinv (", ", devices);
      printf ("Refreshed %s.\n", list);
    }
  else
    printf ("Refreshed every unit and device.\n");
  return 0;
}
