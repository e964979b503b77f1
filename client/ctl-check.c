/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iommu-hwinfoctl check MODEL DEVICE...: the daemon's verdict on nesting.
 * Exit code is the verdict (0 supported, 1 unsupported, 2 unknown), like
 * decode, so scripts and the hook can branch on it.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ihw-error.h"
#include "ihw-verdict.h"


void
ctl_json_add_check_head (JsonBuilder *b, IhwModel model, char **devices, const IhwRequest *req, IhwVerdict verdict)
{
  g_autoptr (GVariant) request = ihw_request_to_variant (req);

  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, ihw_model_name (model));
  json_builder_set_member_name (b, "devices");
  json_builder_begin_array (b);
  for (guint i = 0; devices[i]; i++)
    json_builder_add_string_value (b, devices[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "request");
  json_builder_begin_object (b);
  ctl_json_add_properties (b, request, NULL);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "verdict");
  json_builder_add_string_value (b, ihw_verdict_name (verdict));
}

void
ctl_print_verdict (IhwModel model, char **devices, const IhwResult *result, FILE *out)
{
  GPtrArray *reasons = result->reasons;
  g_autofree char *list = g_strjoinv (", ", devices);

  fprintf (out, "Nested translation with <iommu model='%s'> for %s: %s\n", ihw_model_name (model), list,
           ihw_verdict_name (result->verdict));
  if (reasons->len)
    {
      g_autoptr (CtlTable) t = ctl_table_new (5, "DEVICE", "REQUIREMENT", "NEEDED", "FOUND", "WHY");

      for (guint i = 0; i < reasons->len; i++)
        {
          const IhwReason *r = reasons->pdata[i];
          g_autofree char *fix = ihw_reason_fix (model, r);
          g_autofree char *why = fix ? g_strdup_printf ("%s; to change: %s", r->why ? r->why : "", fix) : NULL;
          ctl_table_add (t, r->device, r->requirement, r->needed, r->found, why ? why : r->why);
        }
      fflush (stdout);
      ctl_table_print_to (t, "  ", out);
    }
}

/* MODEL DEVICE... and the request options, checked here before the daemon. */
gboolean
ctl_parse_check_args (CtlGlobal *g, const char *cmd, const char *args, const char *summary, GOptionEntry *more,
                      int *argc, char ***argv, IhwModel *model, IhwRequest *req, int *exit_code)
{
  CtlRequestOptions o = { 0 };
  g_autofree GOptionEntry *entries = ctl_request_option_entries (&o);
  g_autofree GOptionEntry *all = NULL;
  guint n = 0, m = 0;
  gboolean ok = FALSE;

  while (entries[n].long_name)
    n++;
  while (more && more[m].long_name)
    m++;
  all = g_new0 (GOptionEntry, n + m + 1);
  memcpy (all, entries, n * sizeof *all);
  if (m)
    memcpy (all + n, more, m * sizeof *all);

  if (!ctl_parse_options (g, cmd, args, summary, all, argc, argv, exit_code))
    goto out;
  if (*argc < 2)
    {
      *exit_code = ctl_usage_error (cmd, "which vIOMMU model? one of intel, smmuv3, amd, virtio");
      goto out;
    }
  if (!ctl_check_model (cmd, (*argv)[1], model, exit_code))
    goto out;
  if (*argc < 3)
    {
      *exit_code = ctl_usage_error (cmd, "which devices? give the PCI addresses (DDDD:BB:DD.F) to assign");
      goto out;
    }
  if (!ctl_check_devices (cmd, *argv + 2, exit_code))
    goto out;
  ok = ctl_request_from_options (cmd, &o, req, exit_code);
out:
  ctl_request_options_clear (&o);
  return ok;
}

int
ctl_check (CtlGlobal *g, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IhwClient) client = NULL;
  g_autoptr (IhwCheckResult) res = NULL;
  IhwModel model;
  IhwRequest req;
  char **devices;
  int code;

  g_autofree char *options = ctl_request_usage ();
  g_autofree char *check_args = g_strconcat ("MODEL DEVICE... ", options, NULL);

  if (!ctl_parse_check_args (g, "check", check_args,
                             "Can vIOMMU MODEL (intel, smmuv3, amd, virtio) use nested translation with these\n"
                             "assigned devices?  Exit status 0 supported, 1 unsupported, 2 unknown.  What QEMU\n"
                             "needs of every VM (intel --caching-mode) is assumed unless an option says otherwise.",
                             NULL, &argc, &argv, &model, &req, &code))
    return code;
  devices = argv + 2;
  /* A question about the host: the VM is taken to be configured as QEMU
   * needs (--no-caching-mode asks what QEMU does without). */
  ihw_request_fill_required (model, 0, &req);

  if (!(client = ctl_connect (&error)) ||
      !(res = ihw_client_check_nesting (client, ihw_model_name (model), (const char *const *) devices, &req, &error)))
    return ctl_fail (error);

  if (g->json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (b);
      ctl_json_add_check_head (b, model, devices, &req, res->result->verdict);
      ctl_json_add_reasons (b, model, res->result->reasons, FALSE);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      ctl_print_json (root);
    }
  else
    ctl_print_verdict (model, devices, res->result, stdout);
  return ihw_verdict_exit_code (res->result->verdict);
}
