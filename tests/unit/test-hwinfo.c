/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The IOMMU_GET_HW_INFO payload: well-formed, truncated, oversized, unknown. */
#include <string.h>

#include "ihw-error.h"
#include <errno.h>

#include "ihw-hwinfo.h"
#include "ihw-uapi.h"

/* Measured on Debian 6.12 under QEMU 10.0 x-scalable-mode (FACTS.md):
 * type 1, len 24, flags 1, cap d2008c222f0606, ecap 480080f00f4a. */
static const guint8 vtd_measured[24] = {
  0x01, 0, 0, 0, 0, 0, 0, 0,
  0x06, 0x06, 0x2f, 0x22, 0x8c, 0x00, 0xd2, 0x00,
  0x4a, 0x0f, 0xf0, 0x80, 0x00, 0x48, 0x00, 0x00,
};

static void
test_vtd (void)
{
  g_autoptr (GError) error = NULL;
  IhwHwInfo h;

  g_assert_true (ihw_hw_info_parse (IHW_HW_INFO_TYPE_INTEL_VTD, vtd_measured, sizeof vtd_measured, 24, &h, &error));
  g_assert_no_error (error);
  g_assert_true (h.type_known);
  g_assert_cmpuint (h.features.desc->vendor, ==, IHW_VENDOR_INTEL_VTD);
  g_assert_cmphex (h.features.regs[0], ==, 0xd2008c222f0606ull);
  g_assert_cmphex (h.features.regs[1], ==, 0x480080f00f4aull);
  g_assert_true (h.features.has_hw_info_flags);
  g_assert_cmpuint (h.features.hw_info_flags, ==, IHW_HW_INFO_VTD_ERRATA_772415_SPR17);
  g_assert_cmpuint (h.ignored_len, ==, 0);
  g_assert_cmpuint (ihw_features_get_uint (&h.features, "sm", 9), ==, 1);
}

static void
test_truncated (void)
{
  for (gsize len = 0; len < 24; len++)
    {
      g_autoptr (GError) error = NULL;
      IhwHwInfo h;
      /* kernel says 24, but we only have `len` bytes */
      g_assert_false (ihw_hw_info_parse (IHW_HW_INFO_TYPE_INTEL_VTD, vtd_measured, len, 24, &h, &error));
      g_assert_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA);
      g_assert_nonnull (strstr (error->message, "needs 24"));
    }
  /* kernel reports a short struct */
  {
    g_autoptr (GError) error = NULL;
    IhwHwInfo h;
    g_assert_false (ihw_hw_info_parse (IHW_HW_INFO_TYPE_ARM_SMMUV3, vtd_measured, 24, 24, &h, &error));
    g_assert_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA);
  }
}

static void
test_oversized (void)
{
  /* A newer kernel's grown struct (e.g. AMD + control_register): the known
   * prefix is used, the rest counted. */
  guint8 buf[IHW_HW_INFO_BUF_SIZE] = { 0 };
  IhwHwInfo h;

  buf[0] = 0x10; /* efr bit 4: GT */
  buf[8] = 0x08; /* efr2 bit 3: GCR3TRPMode */
  buf[16] = 0xff;
  g_assert_true (ihw_hw_info_parse (IHW_HW_INFO_TYPE_AMD, buf, sizeof buf, 24, &h, NULL));
  g_assert_cmpuint (h.ignored_len, ==, 8);
  g_assert_cmpuint (ihw_features_get_uint (&h.features, "gt", 0), ==, 1);
  g_assert_cmpuint (ihw_features_get_uint (&h.features, "gcr3trp", 0), ==, 1);
  /* data_len larger than our buffer: only the buffer is read */
  g_assert_true (ihw_hw_info_parse (IHW_HW_INFO_TYPE_AMD, buf, 16, 4096, &h, NULL));
  g_assert_cmpuint (h.data_len, ==, 4096);
}

static void
test_unknown_and_none (void)
{
  guint8 buf[64] = { 0xaa };
  IhwHwInfo h;
  g_autofree char *name = ihw_hw_info_type_describe (99);

  g_assert_true (ihw_hw_info_parse (99, buf, sizeof buf, 64, &h, NULL));
  g_assert_false (h.type_known);
  g_assert_null (h.features.desc);
  g_assert_cmpstr (name, ==, "unknown type 99");
  g_assert_null (ihw_hw_info_type_name (99));

  /* 6.12 on AMD: type NONE, no data (FACTS.md) */
  g_assert_true (ihw_hw_info_parse (IHW_HW_INFO_TYPE_NONE, NULL, 0, 0, &h, NULL));
  g_assert_true (h.type_known);
  g_assert_null (h.features.desc);
  g_assert_cmpstr (ihw_hw_info_type_name (0), ==, "none");
  g_assert_cmpstr (ihw_hw_info_type_name (G_MAXUINT32), ==, NULL);
}

static void
test_cmdqv (void)
{
  /* flags = 0, version 1, log2vcmdqs 2, log2vsids 5, reserved */
  const guint8 buf[8] = { 0, 0, 0, 0, 1, 2, 5, 0 };
  IhwHwInfo h;
  g_assert_true (ihw_hw_info_parse (IHW_HW_INFO_TYPE_TEGRA241_CMDQV, buf, 8, 8, &h, NULL));
  g_assert_true (h.type_known);
  g_assert_true (h.features.desc == ihw_vendor_desc (IHW_VENDOR_TEGRA241_CMDQV));
  g_assert_cmpstr (ihw_hw_info_type_name (IHW_HW_INFO_TYPE_TEGRA241_CMDQV), ==, "tegra241-cmdqv");
  g_assert_cmpuint (ihw_features_get_uint (&h.features, "version", 99), ==, 1);
  g_assert_cmpuint (ihw_features_get_uint (&h.features, "log2vcmdqs", 99), ==, 2);
  g_assert_cmpuint (ihw_features_get_uint (&h.features, "log2vsids", 99), ==, 5);
  g_assert_true (h.features.has_hw_info_flags);
  g_assert_cmpuint (h.features.hw_info_flags, ==, 0);
}

/* What a kernel's answers to a type asked for (IOMMU_HW_INFO_FLAG_INPUT_TYPE)
 * mean, walked as the probe walks them. */
static void
test_ask_steps (void)
{
  static const struct {
    const char *kernel;
    int err_type;       /* answer to the type wanted (3): errno, or 0 */
    guint32 type_out;
    int err_own;        /* answer to the device's own type (2), if asked */
    IhwTristate want;
    gboolean failure;
  } cases[] = {
    { "reports it", 0, 3, -1, IHW_TRISTATE_YES, FALSE },
    { "knows the flag, answers another type", 0, 2, -1, IHW_TRISTATE_NO, FALSE },
    { "knows the flag, refuses the type", EOPNOTSUPP, 0, 0, IHW_TRISTATE_NO, FALSE },
    { "does not know the flag", EOPNOTSUPP, 0, EOPNOTSUPP, IHW_TRISTATE_UNKNOWN, FALSE },
    { "fails the first call", ENOMEM, 0, -1, IHW_TRISTATE_UNKNOWN, TRUE },
    { "fails the second call", EOPNOTSUPP, 0, EFAULT, IHW_TRISTATE_UNKNOWN, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const IhwHwInfoStep *s = ihw_hw_info_ask_step (IHW_HW_INFO_ASK_TYPE, 3, cases[i].err_type, cases[i].type_out);
      g_test_message ("%s", cases[i].kernel);
      if (cases[i].err_own >= 0)
        {
          g_assert_cmpint (s->next, ==, IHW_HW_INFO_ASK_OWN);
          s = ihw_hw_info_ask_step (s->next, 3, cases[i].err_own, 2);
        }
      g_assert_cmpint (s->next, ==, IHW_HW_INFO_ASK_DONE);
      g_assert_cmpint (s->answer, ==, cases[i].want);
      g_assert_cmpint (s->failure, ==, cases[i].failure);
      g_assert_nonnull (s->why);
    }
}

/* build() and parse() are inverses for every vendor. */
static void
test_roundtrip (void)
{
  guint n_vendors;
  const IhwVendorDesc *const *vendors = ihw_vendors (&n_vendors);
  for (guint v = 0; v < n_vendors; v++)
    {
      IhwFeatures f;
      IhwHwInfo h;
      guint32 type = 0;
      g_autoptr (GBytes) bytes = NULL;
      gsize len;
      const guint8 *data;

      ihw_features_init (&f, vendors[v]->vendor);
      for (guint r = 0; r < f.desc->n_regs; r++)
        ihw_features_set_reg (&f, f.desc->regs[r].name,
                              (0x0123456789abcdefull * (r + 1)) & (f.desc->regs[r].bits == 64 ? G_MAXUINT64 : 0xffffffffull));
      bytes = ihw_hw_info_build (&f, 0, &type);
      g_assert_nonnull (bytes);
      data = g_bytes_get_data (bytes, &len);
      g_assert_true (ihw_hw_info_parse (type, data, len, len, &h, NULL));
      g_assert_true (h.features.desc == f.desc);
      for (guint r = 0; r < f.desc->n_regs; r++)
        g_assert_cmphex (h.features.regs[r], ==, f.regs[r]);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hwinfo/vtd-measured", test_vtd);
  g_test_add_func ("/hwinfo/truncated", test_truncated);
  g_test_add_func ("/hwinfo/oversized", test_oversized);
  g_test_add_func ("/hwinfo/unknown-and-none", test_unknown_and_none);
  g_test_add_func ("/hwinfo/tegra241-cmdqv", test_cmdqv);
  g_test_add_func ("/hwinfo/ask-steps", test_ask_steps);
  g_test_add_func ("/hwinfo/roundtrip", test_roundtrip);
  return g_test_run ();
}
