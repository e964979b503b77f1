/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the parser of `EMULATOR --version` output (the hook and
 * domain-check run the domain's emulator; what it prints is untrusted).
 * Input: the output bytes.  A parsed version must be "X.Y" that the
 * request reader accepts and writes back the same.
 */
#include <stdint.h>
#include <string.h>

#include "ihw-error.h"
#include "ihw-qemu-version.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *version = ihw_qemu_version_parse ((const char *) data, size, &error);
  g_autofree char *again = NULL;
  guint qemu;

  if (!version)
    {
      g_assert_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert_no_error (error);
  g_assert_true (ihw_qemu_version_from_text (version, &qemu, NULL));
  again = ihw_qemu_version_string (qemu);
  g_assert_cmpstr (again, ==, version);
  return 0;
}
