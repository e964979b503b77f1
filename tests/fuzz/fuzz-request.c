/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the one reader of the CheckNesting/Negotiate `request`
 * a{sv} (the daemon's door for it, and the client's).  Input: the bytes of
 * a serialized a{sv}, as GLib would read them off the bus (untrusted).  A
 * request that reads must write back and read again to the same request.
 */
#include <stdint.h>
#include <string.h>

#include "ihw-request.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);
  g_autoptr (GVariant) dict = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("a{sv}"), bytes, FALSE));
  g_autoptr (GError) error = NULL;
  IhwRequest req = { 0 }, again = { 0 };

  if (!ihw_request_from_variant (&req, dict, &error))
    {
      g_assert_nonnull (error);
      g_assert_nonnull (error->message);
      return 0;
    }
  {
    g_autoptr (GVariant) back = g_variant_ref_sink (ihw_request_to_variant (&req));
    g_assert_true (ihw_request_from_variant (&again, back, NULL));
  }
  g_assert_cmpmem (&req, sizeof req, &again, sizeof again);
  return 0;
}
