/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every register fixture from a real machine (tests/fixtures/registers/NAME.ini,
 * each citing its public source) is decoded from its `input` exactly as a
 * user pastes it; the registers and every expected field are compared with
 * values computed independently of this code, and so is the default verdict.
 */
#include <string.h>

#include "ihw-features.h"
#include "ihw-parse.h"
#include "ihw-verdict.h"

typedef struct {
  char *path;
} Fixture;

static void
test_fixture (gconstpointer data)
{
  const char *path = data;
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *vendor_name = NULL, *input = NULL;
  g_auto (GStrv) regs = NULL, keys = NULL;
  const IhwVendorDesc *desc;
  const char *words[2] = { NULL, NULL };
  IhwFeatures f;

  g_assert_true (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &error));
  g_assert_no_error (error);

  /* Every fixture names its public source. */
  g_autofree char *source = g_key_file_get_string (kf, "fixture", "source", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (source), >, 10);

  vendor_name = g_key_file_get_string (kf, "fixture", "vendor", &error);
  g_assert_no_error (error);
  desc = ihw_vendor_desc_by_name (vendor_name);
  g_assert_nonnull (desc);

  input = g_key_file_get_string (kf, "fixture", "input", &error);
  g_assert_no_error (error);
  words[0] = input;
  if (!ihw_parse_register_words (desc->vendor, words, &f, &error))
    g_error ("%s: input '%s' did not parse: %s", path, input, error->message);

  /* Registers: each one the input provides equals the fixture's value; one
   * the input lacks may only be AMD's EFR2 on kernels that print one value. */
  regs = g_key_file_get_keys (kf, "registers", NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; regs[i]; i++)
    {
      g_autofree char *text = g_key_file_get_string (kf, "registers", regs[i], NULL);
      guint64 want;
      int idx = ihw_features_reg_index (&f, regs[i]);

      g_assert_cmpint (idx, >=, 0);
      g_assert_true (ihw_parse_hex (text, 64, regs[i], &want, NULL));
      if (!ihw_features_has_reg (&f, idx))
        {
          g_assert_cmpstr (regs[i], ==, "efr2");
          continue;
        }
      g_assert_cmphex (f.regs[idx], ==, want);
    }

  keys = g_key_file_get_keys (kf, "expect", NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; keys[i]; i++)
    {
      g_autofree char *want = g_key_file_get_string (kf, "expect", keys[i], NULL);
      g_autofree char *got = NULL;
      IhwValue v;

      if (strcmp (keys[i], "verdict") == 0)
        continue;
      g_assert_nonnull (ihw_features_field (&f, keys[i]));
      if (!ihw_features_get (&f, keys[i], &v))
        {
          /* only fields of a register the log did not print */
          const IhwFieldDef *def = ihw_features_field (&f, keys[i]);
          g_assert_cmpstr (desc->regs[def->reg].name, ==, "efr2");
          continue;
        }
      got = ihw_value_to_string (&v);
      if (g_strcmp0 (got, want) != 0)
        g_error ("%s: %s decoded as %s, expected %s", path, keys[i], got, want);
    }

  /* AMD logs carry the kernel's own reading of the same EFR bits
   * (drivers/iommu/amd/init.c: feat_str[] for bits 0-9, then GA_vAPIC for
   * bit 21 and SNP for bit 63): each printed name must be a set field, each
   * unprinted one a clear field.  "[5]" is bit 5, which no field claims. */
  {
    g_autofree char *evidence = g_key_file_get_string (kf, "fixture", "evidence", NULL);
    if (evidence)
      {
        static const struct {
          const char *printed;
          const char *key;
          guint bit;
        } names[] = {
          { "PreF", "pref", 0 }, { "PPR", "ppr", 1 }, { "X2APIC", "xt", 2 }, { "NX", "nx", 3 },
          { "GT", "gt", 4 },     { "[5]", NULL, 5 },  { "IA", "ia", 6 },      { "GA", "ga", 7 },
          { "HE", "he", 8 },     { "PC", "pc", 9 },   { "GA_vAPIC", NULL, 21 }, { "SNP", "snp", 63 },
        };
        g_auto (GStrv) printed = g_strsplit (evidence, " ", -1);
        g_assert_cmpuint (desc->vendor, ==, IHW_VENDOR_AMD_VI);
        for (guint i = 0; i < G_N_ELEMENTS (names); i++)
          {
            gboolean said = g_strv_contains ((const char *const *) printed, names[i].printed);
            gboolean bit = (f.regs[0] >> names[i].bit) & 1;
            if (said != bit)
              g_error ("%s: the kernel %s %s but EFR bit %u is %d", path, said ? "printed" : "did not print",
                       names[i].printed, names[i].bit, bit);
            if (names[i].key)
              g_assert_cmpuint (ihw_features_get_uint (&f, names[i].key, 99), ==, bit);
            else if (names[i].bit == 5)
              g_assert_cmpuint ((ihw_features_unknown_bits (&f, 0) >> 5) & 1, ==, bit); /* kept raw */
            else
              g_assert_cmpuint (ihw_features_get_uint (&f, "gam", 0) & 1, ==, bit); /* GAMSup bit 0 */
          }
      }
  }

  /* The host verdict for the vendor's model: hardware and kernel rows. */
  {
    g_autofree char *want = g_key_file_get_string (kf, "expect", "verdict", &error);
    IhwDeviceFacts facts = { .device = "", .features = &f };
    g_autoptr (IhwResult) res = ihw_check_host (ihw_vendor_model (desc->vendor), &facts, 1);

    g_assert_no_error (error);
    if (g_strcmp0 (ihw_verdict_name (res->verdict), want) != 0)
      g_error ("%s: verdict %s, expected %s", path, ihw_verdict_name (res->verdict), want);
    /* Reasons exist exactly when it is not supported, and each names a register field. */
    if (res->verdict == IHW_VERDICT_SUPPORTED)
      g_assert_cmpuint (res->reasons->len, ==, 0);
    else
      g_assert_cmpuint (res->reasons->len, >, 0);
  }
}

int
main (int argc, char **argv)
{
  const char *dir = g_getenv ("IHW_FIXTURES_DIR");
  g_autofree char *regdir = NULL;
  g_autoptr (GDir) d = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  guint n = 0;

  g_test_init (&argc, &argv, NULL);
  g_assert_nonnull (dir);
  regdir = g_build_filename (dir, "registers", NULL);
  d = g_dir_open (regdir, 0, NULL);
  g_assert_nonnull (d);
  for (const char *name; (name = g_dir_read_name (d));)
    if (g_str_has_suffix (name, ".ini"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      g_autofree char *tp = g_strdup_printf ("/decode/fixture/%.*s", (int) strlen (name) - 4, name);
      g_test_add_data_func_full (tp, g_build_filename (regdir, name, NULL), test_fixture, g_free);
      n++;
    }
  /* An empty directory must not pass silently. */
  g_assert_cmpuint (n, >=, 10);
  return g_test_run ();
}
