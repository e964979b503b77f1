/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iommu-hwinfoctl: ask iommu-hwinfod whether a vIOMMU model can nest with a
 * set of devices, or decode IOMMU registers offline.
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ihw-error.h"
#include "ctl-json.h"

static const CtlCommand commands[] = {
  { "list", "", "list IOMMU units and PCI devices, one line each", ctl_list },
  { "show", "DEVICE|UNIT", "show every property of a device or unit, registers decoded", ctl_show },
  { "check", "MODEL DEVICE... [request options]", "can MODEL nest with these devices? (exit 0/1/2)", ctl_check },
  { "negotiate", "MODEL DEVICE... [--format libvirt|qemu|json]",
    "the largest nesting configuration all devices honour", ctl_negotiate },
  { "refresh", "[DEVICE...]", "re-read and re-probe devices (root)", ctl_refresh },
  { "monitor", "", "follow devices and units as they change", ctl_monitor },
  { "domain-check", "DOMAIN [--connect URI] | --xml FILE",
    "would the libvirt hook let this domain start? (exit 0/1/2)", ctl_domain_check },
  { "nfd", "[--output FILE] [--prefix NS]", "node-feature-discovery feature file: nesting per model", ctl_nfd },
  { "domcaps", "[--connect URI] [--qemu-version V]", "libvirt-style <iommu> capabilities with nesting per model", ctl_domcaps },
  /* decode's arguments come from the vendor descriptors */
  { "decode", NULL,
    "decode IOMMU registers offline and judge nesting", ctl_decode },
};

int
ctl_fail (const GError *error)
{
  g_printerr ("iommu-hwinfoctl: %s\n", error->message);
  return ihw_error_exit_code (error);
}

int
ctl_usage_error (const char *cmd, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_printerr ("iommu-hwinfoctl%s%s: %s\nTry 'iommu-hwinfoctl %s%s--help'.\n", cmd ? " " : "", cmd ? cmd : "",
              msg, cmd ? cmd : "", cmd ? " " : "");
  return IHW_EXIT_USAGE;
}

void
ctl_print_json (JsonNode *node)
{
  g_autofree char *s = ctl_json_to_string (node, TRUE);
  fputs (s, stdout);
}

gboolean
ctl_parse_options (CtlGlobal *g, const char *cmd, const char *args, const char *summary, GOptionEntry *extra,
                   int *argc, char ***argv, int *exit_code)
{
  GOptionEntry common_entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &g->json, "Print JSON", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  /* GOption prints "Usage: <argv[0]> [OPTION…] <param>", and argv[0] is
   * already the command's name. */
  g_autofree char *param = g_strdup (args);

  ctx = g_option_context_new (param);
  g_option_context_set_summary (ctx, summary);
  g_option_context_add_main_entries (ctx, common_entries, NULL);
  if (extra)
    g_option_context_add_main_entries (ctx, extra, NULL);
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      *exit_code = ctl_usage_error (cmd, "%s", error->message);
      return FALSE;
    }
  return TRUE;
}

static void
print_help (void)
{
  printf ("Usage: iommu-hwinfoctl [--json] COMMAND [ARGS...]\n\n"
          "Can a vIOMMU model use nested translation with these devices on this host?\n\n"
          "Commands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *args = commands[i].args ? g_strdup (commands[i].args) : ihw_vendor_decode_usage ();
      printf ("  %-10s %s\n             %s\n", commands[i].name, args, commands[i].summary);
    }
  printf ("\nEvery command takes --json.  Exit status: 0 supported/success, 1 unsupported,\n"
          "2 unknown, 64 usage error, 65 bad input data, 69 daemon unavailable,\n"
          "77 permission denied.\n");
}

int
main (int argc, char **argv)
{
  CtlGlobal g = { 0 };
  int first = 1;

  setlocale (LC_ALL, "");

  /* Global options before the command: --json, --help, --version. */
  for (; first < argc && argv[first][0] == '-'; first++)
    {
      if (strcmp (argv[first], "--json") == 0)
        g.json = TRUE;
      else if (strcmp (argv[first], "--help") == 0 || strcmp (argv[first], "-h") == 0)
        {
          print_help ();
          return 0;
        }
      else if (strcmp (argv[first], "--version") == 0)
        {
          printf ("iommu-hwinfoctl %s\n", PACKAGE_VERSION);
          return 0;
        }
      else
        return ctl_usage_error (NULL, "unknown option '%s'", argv[first]);
    }
  if (first >= argc)
    {
      print_help ();
      return IHW_EXIT_USAGE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (commands[i].name, argv[first]) == 0)
      return commands[i].run (&g, argc - first, argv + first);

  return ctl_usage_error (NULL, "unknown command '%s'", argv[first]);
}
