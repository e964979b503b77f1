/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ihw-check: the smallest useful libiommu-hwinfo-client program.  Asks
 * iommu-hwinfod whether vIOMMU MODEL can use nested translation with the
 * given PCI devices, optionally for one QEMU version, and prints the verdict
 * and one line per reason.  Exit status as iommu-hwinfoctl's: 0 supported,
 * 1 unsupported, 2 unknown, 64 usage, 65 bad input, 69 daemon unavailable.
 *
 *   cc ihw-check.c $(pkg-config --cflags --libs iommu-hwinfo-client) -o ihw-check
 *   ./ihw-check intel 0000:3a:00.0 [--qemu-version 10.0]
 */
#include <stdio.h>
#include <string.h>

#include <ihw-client.h>
#include <ihw-error.h>
#include <ihw-names.h>

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = g_ptr_array_new ();
  IhwRequest request = { 0 };
  IhwModel model;

  if (argc < 3)
    {
      fprintf (stderr, "usage: %s MODEL DEVICE... [--qemu-version X.Y]\n", argv[0]);
      return IHW_EXIT_USAGE;
    }
  if (!ihw_model_from_name (argv[1], &model))
    {
      fprintf (stderr, "%s: unknown model '%s'\n", argv[0], argv[1]);
      return IHW_EXIT_USAGE;
    }
  for (int i = 2; i < argc; i++)
    {
      if (strcmp (argv[i], "--qemu-version") == 0 && i + 1 < argc)
        {
          if (!ihw_request_set_qemu_version (&request, argv[++i], &error))
            {
              fprintf (stderr, "%s: %s\n", argv[0], error->message);
              return IHW_EXIT_USAGE;
            }
        }
      else if (!ihw_pci_address_valid (argv[i]))
        {
          fprintf (stderr, "%s: '%s' is not a PCI address like 0000:3a:00.0\n", argv[0], argv[i]);
          return IHW_EXIT_DATAERR;
        }
      else
        g_ptr_array_add (devices, argv[i]);
    }
  g_ptr_array_add (devices, NULL);
  /* A VM configured as QEMU needs it: intel-iommu assigns no device without
   * caching-mode (other models have no such key and ignore it). */
  if (model == IHW_MODEL_INTEL)
    ihw_request_set (&request, "caching-mode", 1);

  /* NULL: the system bus ($DBUS_SYSTEM_BUS_ADDRESS when set); 0: the
   * default timeout. */
  g_autoptr (IhwClient) client = ihw_client_new (NULL, 0, &error);
  g_autoptr (IhwCheckResult) result = NULL;
  if (client)
    result = ihw_client_check_nesting (client, ihw_model_name (model), (const char *const *) devices->pdata,
                                       &request, &error);
  if (!result)
    {
      fprintf (stderr, "%s: %s\n", argv[0], error->message);
      return ihw_error_exit_code (error);
    }

  printf ("%s\n", ihw_verdict_name (result->result->verdict));
  for (guint i = 0; i < result->result->reasons->len; i++)
    {
      const IhwReason *r = g_ptr_array_index (result->result->reasons, i);
      printf ("  %s: %s needs %s, found %s\n", *r->device ? r->device : "(model)", r->requirement, r->needed,
              r->found);
    }
  return ihw_verdict_exit_code (result->result->verdict);
}
