/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iommu-hwinfoctl negotiate MODEL DEVICE...: the largest configuration every
 * device's IOMMU honours, as request keys, a libvirt <iommu> element or QEMU
 * arguments.  --format libvirt|qemu prints only that on stdout, so it can
 * be pasted or captured; verdict and reasons then go to stderr.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ihw-error.h"

typedef enum {
  FORMAT_HUMAN,
  FORMAT_LIBVIRT,
  FORMAT_QEMU,
  FORMAT_JSON,
} Format;

/* QEMU arguments joined for a shell, quoted only where needed. */
static char *
qemu_command_line (char **args)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; args && args[i]; i++)
    {
      gboolean plain = *args[i] != '\0';
      for (const char *p = args[i]; *p && plain; p++)
        plain = g_ascii_isalnum (*p) || strchr ("-_=,.:/+@%", *p);
      if (s->len)
        g_string_append_c (s, ' ');
      if (plain)
        g_string_append (s, args[i]);
      else
        {
          g_autofree char *q = g_shell_quote (args[i]);
          g_string_append (s, q);
        }
    }
  return g_string_free (s, FALSE);
}

static void
print_json (IhwModel model, char **devices, const IhwRequest *req, const IhwCheckResult *res)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  ctl_json_add_check_head (b, model, devices, req, res->result->verdict);
  json_builder_set_member_name (b, "config");
  json_builder_begin_object (b);
  if (res->config)
    ctl_json_add_properties (b, res->config, NULL);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "libvirt_xml");
  json_builder_add_string_value (b, res->libvirt_xml ? res->libvirt_xml : "");
  json_builder_set_member_name (b, "qemu_args");
  json_builder_begin_array (b);
  for (guint i = 0; res->qemu_args && res->qemu_args[i]; i++)
    json_builder_add_string_value (b, res->qemu_args[i]);
  json_builder_end_array (b);
  ctl_json_add_reasons (b, model, res->result->reasons, FALSE);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  ctl_print_json (root);
}

static void
print_text_block (const char *text)
{
  fputs (text, stdout);
  if (*text && text[strlen (text) - 1] != '\n')
    fputc ('\n', stdout);
}

static void
print_human (IhwModel model, char **devices, const IhwCheckResult *res)
{
  ctl_print_verdict (model, devices, res->result, stdout);
  /* Without a supported verdict there is no configuration to use. */
  if (res->result->verdict == IHW_VERDICT_SUPPORTED && res->config && g_variant_n_children (res->config))
    {
      g_autoptr (CtlTable) t = ctl_table_new (2, "KEY", "VALUE");
      GVariantIter it;
      const char *key;
      GVariant *val;

      g_variant_iter_init (&it, res->config);
      while (g_variant_iter_next (&it, "{&sv}", &key, &val))
        {
          g_autofree char *text = ctl_variant_to_text (val);
          ctl_table_add (t, key, text);
          g_variant_unref (val);
        }
      printf ("\nConfiguration:\n");
      ctl_table_print (t, "  ");
    }
  if (res->libvirt_xml && *res->libvirt_xml)
    {
      printf ("\nlibvirt (inside <devices>):\n");
      print_text_block (res->libvirt_xml);
    }
  if (res->qemu_args && res->qemu_args[0])
    {
      g_autofree char *cmdline = qemu_command_line (res->qemu_args);
      printf ("\nQEMU:\n%s\n", cmdline);
    }
}

int
ctl_negotiate (CtlGlobal *g, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IhwClient) client = NULL;
  g_autoptr (IhwCheckResult) res = NULL;
  g_autofree char *format_text = NULL;
  GOptionEntry more[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &format_text, "Print only the libvirt <iommu> element, the QEMU "
      "arguments, or JSON", "libvirt|qemu|json" },
    { NULL },
  };
  Format format = FORMAT_HUMAN;
  IhwModel model;
  IhwRequest req;
  char **devices;
  int code;

  if (!ctl_parse_check_args (g, "negotiate", "MODEL DEVICE... [--format libvirt|qemu|json] [request options]",
                             "The largest nesting configuration of vIOMMU MODEL that every device's IOMMU honours.\n"
                             "Request options (as for check) fix keys; the rest are maximised.",
                             more, &argc, &argv, &model, &req, &code))
    return code;
  devices = argv + 2;
  if (format_text)
    {
      if (strcmp (format_text, "libvirt") == 0)
        format = FORMAT_LIBVIRT;
      else if (strcmp (format_text, "qemu") == 0)
        format = FORMAT_QEMU;
      else if (strcmp (format_text, "json") == 0)
        format = FORMAT_JSON;
      else
        return ctl_usage_error ("negotiate", "--format '%.80s': expected libvirt, qemu or json", format_text);
    }
  if (g->json)
    format = FORMAT_JSON;

  if (!(client = ctl_connect (&error)))
    return ctl_fail (error);
  res = ihw_client_negotiate (client, ihw_model_name (model), (const char *const *) devices, &req, &error);
  if (!res)
    {
      /* NotSupported: the daemon cannot negotiate for this model (yet). */
      if (g_error_matches (error, IHW_ERROR, IHW_ERROR_NOT_SUPPORTED))
        {
          g_printerr ("iommu-hwinfoctl negotiate: %s\n", error->message);
          return IHW_EXIT_UNKNOWN;
        }
      return ctl_fail (error);
    }

  switch (format)
    {
    case FORMAT_JSON:
      print_json (model, devices, &req, res);
      break;
    case FORMAT_HUMAN:
      print_human (model, devices, res);
      break;
    case FORMAT_LIBVIRT:
    case FORMAT_QEMU:
      if (res->result->verdict != IHW_VERDICT_SUPPORTED)
        ctl_print_verdict (model, devices, res->result, stderr);
      else if (format == FORMAT_LIBVIRT)
        print_text_block (res->libvirt_xml ? res->libvirt_xml : "");
      else
        {
          g_autofree char *cmdline = qemu_command_line (res->qemu_args);
          printf ("%s\n", cmdline);
        }
      break;
    }
  return ihw_verdict_exit_code (res->result->verdict);
}
