/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iommu-hwinfoctl decode: offline, on register values pasted from a bug
 * report, dmesg or sysfs.  Prints the host verdict (registers and the
 * kernel's nest-parent rule) and the verdict for the vendor's vIOMMU model
 * with the newest QEMU profile and its default settings.  The exit code is
 * the latter (SPEC §5 "nesting"; 0 supported, 1 unsupported, 2 unknown),
 * so scripts can use it directly; 65 for malformed values, 64 for usage.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ihw-error.h"
#include "ctl-json.h"
#include "ihw-parse.h"
#include "ihw-verdict.h"

static void
print_result (const char *title, const IhwResult *res)
{
  printf ("\n%s: %s\n", title, ihw_verdict_name (res->verdict));
  for (guint i = 0; i < res->reasons->len; i++)
    {
      const IhwReason *r = res->reasons->pdata[i];
      printf ("  %-22s needed %s, found %s: %s\n", r->requirement, r->needed, r->found, r->why);
    }
  for (guint i = 0; i < res->notes->len; i++)
    printf ("  note: %s\n", (const char *) res->notes->pdata[i]);
}

static void
print_human (const IhwFeatures *f, IhwModel model, const IhwResult *host, const IhwResult *res)
{
  g_autofree char *qemu = ihw_qemu_version_string (ihw_qemu_newest ());
  g_autofree char *title = NULL;

  ctl_print_features (f);

  print_result ("Host IOMMU and kernel can be a nest parent", host);
  title = model == IHW_MODEL_LAST
            ? g_strdup_printf ("Nested translation on %s registers alone", f->desc->title)
            : g_strdup_printf ("Nested translation with <iommu model='%s'> (QEMU %s, default settings)",
                               ihw_model_name (model), qemu);
  print_result (title, res);
}

int
ctl_decode (CtlGlobal *g, int argc, char **argv)
{
  g_autofree char *args = ihw_vendor_decode_usage ();
  g_autofree char *words = ihw_vendor_words ();
  g_autoptr (GError) error = NULL;
  const IhwVendorDesc *desc;
  IhwVendor vendor;
  IhwFeatures f;
  IhwModel model;
  IhwDeviceFacts facts = { 0 };
  g_autoptr (IhwResult) res = NULL;
  g_autoptr (IhwResult) host = NULL;
  g_autoptr (IhwResult) virtio = NULL;
  int code;

  if (!ctl_parse_options (g, "decode", args,
                          "Values are hexadecimal, with or without 0x; dmesg lines such as\n"
                          "'cap d2008c222f0606 ecap f00f4a' or 'Extended features (0x…, 0x…)' and\n"
                          "sysfs 'EFR:EFR2' are accepted as pasted.",
                          NULL, &argc, &argv, &code))
    return code;
  if (argc < 2)
    return ctl_usage_error ("decode", "which IOMMU? expected one of %s", words);
  desc = ihw_vendor_desc_by_word (argv[1]);
  if (!desc)
    return ctl_usage_error ("decode", "unknown IOMMU '%.80s': expected one of %s", argv[1], words);
  vendor = desc->vendor;
  if (argc < 3)
    return ctl_usage_error ("decode", "no register values given for %s", argv[1]);

  if (!ihw_parse_register_words (vendor, (const char *const *) argv + 2, &f, &error))
    return ctl_fail (error);

  model = ihw_vendor_model (vendor);
  facts.device = "";
  facts.features = &f;
  /* QEMU's host aw-bits, as far as the registers tell (no IOVA ranges) */
  if (ihw_features_aperture_bits (&f, &facts.host_aw_bits))
    facts.host_aw_bits_from = "registers";
  if (model == IHW_MODEL_LAST)
    {
      /* An extension of another vendor's unit (CMDQV on an SMMUv3): no
       * vIOMMU model is judged on its registers alone. */
      g_autofree char *why = g_strdup_printf ("no vIOMMU model nests on %s registers alone; decode the unit's "
                                              "own registers", desc->short_title);
      host = ihw_result_new ();
      res = ihw_result_new ();
      ihw_result_add_reason (host, IHW_VERDICT_UNKNOWN, "", "iommu.vendor", "a vendor a vIOMMU model nests on",
                             desc->name, why);
      ihw_result_add_reason (res, IHW_VERDICT_UNKNOWN, "", "iommu.vendor", "a vendor a vIOMMU model nests on",
                             desc->name, why);
    }
  else
    {
      IhwRequest req = { 0 };
      ihw_request_fill_required (model, 0, &req);
      host = ihw_check_host (model, &facts, 1);
      res = ihw_check_nesting (model, &facts, 1, &req);
    }
  /* virtio-iommu runs on any host IOMMU, so it "matches" every vendor
   * (SPEC §5 "the model(s) matching that vendor"); it never nests. */
  virtio = ihw_check_nesting (IHW_MODEL_VIRTIO, &facts, 1, NULL);

  if (g->json)
    {
      IhwModel models[] = { model, IHW_MODEL_VIRTIO };
      IhwResult *results[] = { res, virtio };
      guint skip = model == IHW_MODEL_LAST;
      g_autoptr (JsonNode) node = ctl_json_decode (&f, models + skip, results + skip, G_N_ELEMENTS (models) - skip);
      g_autoptr (JsonBuilder) b = json_builder_new ();
      /* "host": the hardware/kernel half, QEMU aside (more keys than SPEC §5) */
      json_builder_begin_object (b);
      ctl_json_add_result (b, model, host);
      json_builder_end_object (b);
      json_object_set_member (json_node_get_object (node), "host", json_builder_get_root (b));
      ctl_print_json (node);
    }
  else
    {
      print_human (&f, model, host, res);
      print_result ("Nested translation with <iommu model='virtio'>", virtio);
    }

  return ihw_verdict_exit_code (res->verdict);
}
