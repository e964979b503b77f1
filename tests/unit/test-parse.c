/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Register values as users paste them, and malformed input. */
#include "ihw-error.h"
#include "ihw-parse.h"

#include <string.h>

static void
test_hex (void)
{
  static const struct {
    const char *text;
    guint bits;
    gboolean ok;
    guint64 value;
  } cases[] = {
    { "d2008c222f0606", 64, TRUE, 0xd2008c222f0606ull },
    { "0xD2008C222F0606", 64, TRUE, 0xd2008c222f0606ull },
    { "  f00f4a\n", 64, TRUE, 0xf00f4a },
    { "ffffffffffffffff", 64, TRUE, G_MAXUINT64 },
    { "0000000000000000ffffffffffffffff", 64, TRUE, G_MAXUINT64 }, /* leading zeros are not bits */
    { "10000000000000000", 64, FALSE, 0 },                         /* 65 bits */
    { "", 64, FALSE, 0 },
    { "0x", 64, FALSE, 0 },
    { "   ", 64, FALSE, 0 },
    { "xyz", 64, FALSE, 0 },
    { "12 34", 64, FALSE, 0 },
    { "-1", 64, FALSE, 0 },
    { "0x1g", 64, FALSE, 0 },
    { "ffffffff", 32, TRUE, 0xffffffff },
    { "100000000", 32, FALSE, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      guint64 v = 0;
      gboolean ok = ihw_parse_hex (cases[i].text, cases[i].bits, "CAP", &v, &error);
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (ok)
        {
          g_assert_no_error (error);
          g_assert_cmphex (v, ==, cases[i].value);
        }
      else
        {
          g_assert_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA);
          g_assert_true (g_str_has_prefix (error->message, "CAP: ")); /* names the argument */
        }
    }
  /* huge input is refused without scanning it all into a number */
  {
    g_autofree char *huge = g_strnfill (100000, 'f');
    g_autoptr (GError) error = NULL;
    guint64 v;
    g_assert_false (ihw_parse_hex (huge, 64, "CAP", &v, &error));
    g_assert_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA);
  }
}

static void
check_words (IhwVendor vendor, const char *const *words, const char *const *regs, const guint64 *values)
{
  g_autoptr (GError) error = NULL;
  IhwFeatures f;

  if (!ihw_parse_register_words (vendor, words, &f, &error))
    g_error ("'%s': %s", words[0], error->message);
  for (guint i = 0; regs[i]; i++)
    {
      int idx = ihw_features_reg_index (&f, regs[i]);
      g_assert_cmpint (idx, >=, 0);
      g_assert_true (ihw_features_has_reg (&f, idx));
      g_assert_cmphex (f.regs[idx], ==, values[i]);
    }
}

static void
test_forms (void)
{
  static const char *const vtd_regs[] = { "cap", "ecap", NULL };
  static const guint64 vtd_vals[] = { 0xd2008c222f0606ull, 0xf00f4a };
  static const char *const amd_regs[] = { "efr", "efr2", NULL };
  static const guint64 amd_vals[] = { 0x246577efa2254afaull, 0x10 };

  {
    const char *w[] = { "d2008c222f0606", "0xf00f4a", NULL };
    check_words (IHW_VENDOR_INTEL_VTD, w, vtd_regs, vtd_vals);
  }
  {
    const char *w[] = { "cap d2008c222f0606 ecap f00f4a", NULL };
    check_words (IHW_VENDOR_INTEL_VTD, w, vtd_regs, vtd_vals);
  }
  {
    const char *w[] = { "DMAR:", "dmar0:", "reg_base_addr", "fed90000", "ver", "1:0", "cap", "d2008c222f0606", "ecap",
                        "f00f4a", NULL };
    check_words (IHW_VENDOR_INTEL_VTD, w, vtd_regs, vtd_vals);
  }
  {
    const char *w[] = { "ecap=f00f4a", "cap=0xd2008c222f0606", NULL };
    check_words (IHW_VENDOR_INTEL_VTD, w, vtd_regs, vtd_vals);
  }
  {
    const char *w[] = { "AMD-Vi: Extended features (0x246577efa2254afa, 0x10): PPR NX GT [5] IA GA PC", NULL };
    check_words (IHW_VENDOR_AMD_VI, w, amd_regs, amd_vals);
  }
  {
    const char *w[] = { "246577efa2254afa:10", NULL }; /* sysfs amd-iommu/features */
    check_words (IHW_VENDOR_AMD_VI, w, amd_regs, amd_vals);
  }
  {
    const char *w[] = { "0x246577efa2254afa", "0x10", NULL };
    check_words (IHW_VENDOR_AMD_VI, w, amd_regs, amd_vals);
  }
  {
    const char *w[] = { "AMD-Vi: Using global IVHD EFR:0x246577efa2254afa, EFR2:0x10", NULL };
    check_words (IHW_VENDOR_AMD_VI, w, amd_regs, amd_vals);
  }
  {
    static const char *const r[] = { "idr0", "idr1", "idr3", "idr5", NULL };
    static const guint64 v[] = { 0xd44101a, 0x2730010, 0x1404, 0x74 };
    const char *w[] = { "0xd44101a", "2730010", "0x1404", "74", NULL };
    const char *w2[] = { "idr5=74 idr3=1404 idr1=2730010 idr0=d44101a", NULL };
    const char *w3[] = { "SMMU_IDR0=0xd44101a SMMU_IDR1=0x2730010 SMMU_IDR3=0x1404 SMMU_IDR5=0x74", NULL };
    const char *w4[] = { "--", "0xd44101a", "2730010", "0x1404", "74", NULL };
    check_words (IHW_VENDOR_ARM_SMMUV3, w, r, v);
    check_words (IHW_VENDOR_ARM_SMMUV3, w2, r, v);
    check_words (IHW_VENDOR_ARM_SMMUV3, w3, r, v);
    check_words (IHW_VENDOR_ARM_SMMUV3, w4, r, v);
  }
  /* one AMD value: EFR2 stays unknown */
  {
    IhwFeatures f;
    const char *w[] = { "AMD-Vi: Extended features (0x4f77ef22294ada): PPR NX GT IA GA PC GA_vAPIC", NULL };
    g_assert_true (ihw_parse_register_words (IHW_VENDOR_AMD_VI, w, &f, NULL));
    g_assert_true (ihw_features_has_reg (&f, 0));
    g_assert_false (ihw_features_has_reg (&f, 1));
  }
}

static void
test_bad_words (void)
{
  static const struct {
    IhwVendor vendor;
    const char *words[6];
    const char *message_part;
  } cases[] = {
    { IHW_VENDOR_INTEL_VTD, { "d2008c222f0606", NULL }, "expected CAP ECAP" },
    { IHW_VENDOR_INTEL_VTD, { "1", "2", "3", NULL }, "extra '3'" },
    { IHW_VENDOR_INTEL_VTD, { "zz", "2", NULL }, "CAP: 'zz' is not a hexadecimal" },
    { IHW_VENDOR_INTEL_VTD, { "1", "10000000000000000", NULL }, "ECAP: '10000000000000000' has more than 64 bits" },
    { IHW_VENDOR_INTEL_VTD, { "cap", "1", "ecap", "2", "extra", NULL }, "unexpected word 'extra'" },
    { IHW_VENDOR_INTEL_VTD, { "cap", "1", "cap", "2", NULL }, "CAP given twice" },
    { IHW_VENDOR_INTEL_VTD, { "DMAR: dmar0: cap d2008c222f0606 ecap f00f4a DMAR: dmar1: cap d2008c222f0606 ecap f00f4a", NULL },
      "one IOMMU unit at a time" },
    { IHW_VENDOR_INTEL_VTD, { "--", "-1", "0", NULL }, "CAP: '-1' is not a hexadecimal" },
    { IHW_VENDOR_INTEL_VTD, { "cap", "1", NULL }, "ECAP is missing" },
    { IHW_VENDOR_INTEL_VTD, { "cap", "1", "ecap", NULL }, "'ecap' has no value" },
    { IHW_VENDOR_INTEL_VTD, { "", NULL }, "expected CAP ECAP" },
    { IHW_VENDOR_ARM_SMMUV3, { "1", "2", "3", NULL }, "expected IDR0 IDR1 IDR3 IDR5" },
    { IHW_VENDOR_ARM_SMMUV3, { "1", "2", "3", "100000000", NULL }, "IDR5: 0x100000000 does not fit in a 32-bit register" },
    { IHW_VENDOR_AMD_VI, { "1:2:3", NULL }, "expected EFR:EFR2" },
    { IHW_VENDOR_AMD_VI, { "Extended features (0x1, 0x2, 0x3): PPR", NULL }, "expected EFR or EFR, EFR2" },
    { IHW_VENDOR_AMD_VI, { "Extended features (0x1", NULL }, "no closing" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      IhwFeatures f;
      g_assert_false (ihw_parse_register_words (cases[i].vendor, cases[i].words, &f, &error));
      g_assert_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA);
      if (!strstr (error->message, cases[i].message_part))
        g_error ("case %u: '%s' does not mention '%s'", i, error->message, cases[i].message_part);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/parse/hex", test_hex);
  g_test_add_func ("/parse/forms", test_forms);
  g_test_add_func ("/parse/bad-words", test_bad_words);
  return g_test_run ();
}
