/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: libvirt domain XML as the hook reads it from stdin (and
 * domain-check from libvirt or a file), through ihw_domain_parse_xml and the
 * request it builds.
 */
#include <stdint.h>

#include "ihw-domain.h"
#include "ihw-names.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (IhwDomainInfo) info = ihw_domain_parse_xml ((const char *) data, size, NULL);
  if (info)
    {
      IhwModel m;
      GVariant *v = ihw_request_to_variant (&info->request);
      g_assert_true (g_variant_is_of_type (v, G_VARIANT_TYPE_VARDICT));
      g_variant_unref (v);
      (void) ihw_model_from_name (info->model, &m);
      for (guint i = 0; i < info->devices->len; i++)
        g_assert_true (ihw_pci_address_valid (info->devices->pdata[i]));
    }
  return 0;
}
