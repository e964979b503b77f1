/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: register text as users paste it (hex values, dmesg lines,
 * efr:efr2), then decoding and the verdict.  Input: first byte picks the
 * vendor, the rest is text split into words at newlines.
 */
#include <stdint.h>
#include <string.h>

#include "ctl-json.h"
#include "ihw-parse.h"
#include "ihw-verdict.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const IhwVendor vendors[] = { IHW_VENDOR_INTEL_VTD, IHW_VENDOR_AMD_VI, IHW_VENDOR_ARM_SMMUV3 };
  g_autofree char *text = NULL;
  g_auto (GStrv) words = NULL;
  IhwFeatures f;
  IhwVendor vendor;

  if (size < 1)
    return 0;
  vendor = vendors[data[0] % G_N_ELEMENTS (vendors)];
  text = g_strndup ((const char *) data + 1, size - 1); /* stops at NUL, like argv */
  words = g_strsplit (text, "\n", -1);

  if (ihw_parse_register_words (vendor, (const char *const *) words, &f, NULL))
    {
      IhwDeviceFacts facts = { .device = "", .features = &f };
      IhwModel model = ihw_vendor_model (vendor);
      g_autoptr (IhwResult) res = ihw_check_nesting (model, &facts, 1, NULL);
      IhwResult *results[] = { res };
      g_autoptr (JsonNode) node = ctl_json_decode (&f, &model, results, 1);
      g_free (ctl_json_to_string (node, TRUE));
    }
  return 0;
}
