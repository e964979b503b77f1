/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the IOMMU_GET_HW_INFO payload parser and everything that
 * reads its result (field decoding, unknown bits, verdicts, JSON).
 * Input: u32 type (LE), u32 data_len as the kernel would write it back, then
 * the data bytes.
 */
#include <stdint.h>
#include <string.h>

#include "ihw-hwinfo.h"
#include "ctl-json.h"
#include "ihw-verdict.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  guint32 type, data_len;
  IhwHwInfo h;

  if (size < 8)
    return 0;
  memcpy (&type, data, 4);
  memcpy (&data_len, data + 4, 4);
  type = GUINT32_FROM_LE (type);
  data_len = GUINT32_FROM_LE (data_len);

  if (!ihw_hw_info_parse (type, data + 8, size - 8, data_len, &h, NULL))
    return 0;
  g_free (ihw_hw_info_type_describe (type));
  if (h.features.desc)
    {
      for (guint m = 0; m < IHW_MODEL_LAST; m++)
        {
          IhwDeviceFacts facts = { .device = "0000:00:00.0", .features = &h.features };
          g_autoptr (IhwResult) res = ihw_check_nesting (m, &facts, 1, NULL);
          IhwResult *results[] = { res };
          IhwModel model = m;
          g_autoptr (JsonNode) node = ctl_json_decode (&h.features, &model, results, 1);
          g_free (ctl_json_to_string (node, FALSE));
        }
    }
  return 0;
}
