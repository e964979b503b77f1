/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iommu-hwinfoctl nfd: a node-feature-discovery "local" feature file from
 * the daemon's answers over D-Bus.  The labels, the choice of devices and
 * the atomic write are common/ihw-nfd.c's, shared with the daemon's own
 * [nfd] file.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ihw-error.h"
#include "ctl-json.h"
#include "ihw-names.h"
#include "ihw-nfd.h"

int
ctl_nfd (CtlGlobal *g, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IhwClient) client = NULL;
  g_autoptr (CtlObjects) objects = NULL;
  g_autoptr (GPtrArray) devices = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree char *output = NULL, *prefix = NULL, *qemu_version = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the file atomically (temporary dot file + rename)",
      "FILE" },
    { "prefix", 0, 0, G_OPTION_ARG_STRING, &prefix, "Label namespace (default " IHW_NFD_DEFAULT_PREFIX "; '' for none)",
      "NS" },
    { "qemu-version", 0, 0, G_OPTION_ARG_STRING, &qemu_version, "Judge for this QEMU (default: the daemon's)", "V" },
    { NULL },
  };
  g_autoptr (IhwNfdLabels) labels = NULL;
  g_autofree IhwNfdDevice *picks = NULL;
  const char *which = NULL;
  IhwRequest req = { 0 };
  int code;

  if (!ctl_parse_options (g, "nfd", "[--output FILE] [--prefix NS] [--qemu-version V]",
                          "A node-feature-discovery feature file: whether each vIOMMU model can nest with this\n"
                          "host's vfio-pci devices, and the largest configuration they all honour.",
                          entries, &argc, &argv, &code))
    return code;
  if (argc > 1)
    return ctl_usage_error ("nfd", "unexpected argument '%.80s'", argv[1]);
  /* NFD's local source reads key=value lines only: a JSON feature file
   * would be silently ignored by it. */
  if (output && g->json)
    return ctl_usage_error ("nfd", "--output writes the key=value file NFD reads; --json prints to standard output only");
  if (prefix && *prefix && !ihw_nfd_prefix_valid (prefix))
    return ctl_usage_error ("nfd", "--prefix '%.80s' is not a DNS subdomain (lower-case letters, digits, '-', '.')",
                            prefix);
  if (qemu_version && !ihw_request_set_qemu_version (&req, qemu_version, &error))
    return ctl_usage_error ("nfd", "--qemu-version: %s", error->message);

  if (!(client = ctl_connect (&error)) || !(objects = ctl_objects_load (client, &error)))
    return ctl_fail (error);

  labels = ihw_nfd_labels_new (prefix);
  picks = g_new0 (IhwNfdDevice, objects->devices->len);
  for (guint i = 0; i < objects->devices->len; i++)
    {
      const CtlObject *d = objects->devices->pdata[i];
      const char *unit = ctl_prop_str (d->props, "Unit");

      picks[i].address = d->name;
      picks[i].driver = ctl_prop_str (d->props, "Driver");
      picks[i].has_iommu = *unit && strcmp (unit, "/") != 0;
    }
  devices = ihw_nfd_pick_devices (picks, objects->devices->len, &which);
  if (devices->len - 1 > IHW_MAX_DEVICES_PER_REQUEST)
    {
      g_printerr ("iommu-hwinfoctl nfd: %u devices to judge, at most %d per request\n", devices->len - 1,
                  IHW_MAX_DEVICES_PER_REQUEST);
      return IHW_EXIT_DATAERR;
    }

  ihw_nfd_labels_add_iommufd (labels, ctl_prop_bool (objects->manager, "IommufdAvailable"));
  for (IhwModel m = 0; m < IHW_MODEL_LAST; m++)
    {
      g_autoptr (IhwCheckResult) res = NULL;

      if (devices->len > 1)
        {
          res = ihw_client_negotiate (client, ihw_model_name (m), (const char *const *) devices->pdata, &req, &error);
          /* NotSupported: the daemon cannot negotiate for this model: no nesting. */
          if (!res && !g_error_matches (error, IHW_ERROR, IHW_ERROR_NOT_SUPPORTED))
            {
              g_prefix_error (&error, "Negotiate %s: ", ihw_model_name (m));
              return ctl_fail (error);
            }
          g_clear_error (&error);
        }
      ihw_nfd_labels_add_model (labels, m, res ? res->result->verdict : IHW_VERDICT_UNKNOWN, res ? res->config : NULL);
    }
  /* The daemon is another process: a value we cannot label is dropped, said. */
  for (guint i = 0; i < labels->skipped->len; i++)
    g_printerr ("iommu-hwinfoctl nfd: skipped %s: not a valid Kubernetes label name or value\n",
                (char *) labels->skipped->pdata[i]);

  if (g->json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_object (b);
      for (guint i = 0; i < labels->names->len; i++)
        {
          json_builder_set_member_name (b, labels->names->pdata[i]);
          json_builder_add_string_value (b, labels->values->pdata[i]);
        }
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      text = ctl_json_to_string (root, TRUE);
      g_string_append (out, text);
    }
  else
    {
      g_autofree char *text = ihw_nfd_labels_to_text (labels, "iommu-hwinfoctl nfd", which,
                                                      (const char *const *) devices->pdata);
      g_string_append (out, text);
    }
  if (out->len > IHW_NFD_FILE_MAX)
    g_printerr ("iommu-hwinfoctl nfd: warning: %zu bytes, more than the 64 kB NFD reads\n", out->len);

  if (output)
    {
      if (!ihw_nfd_write_file (output, out->str, &error))
        return ctl_fail (error);
    }
  else
    fputs (out->str, stdout);
  return 0;
}
