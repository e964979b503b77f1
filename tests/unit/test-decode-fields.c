/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vendor tables themselves: shape, every field on its own bits, the
 * SPEC §5 keys, derived values, reserved encodings and unknown bits. */
#include <string.h>

#include "ihw-features.h"

static const IhwVendor vendors[] = { IHW_VENDOR_INTEL_VTD, IHW_VENDOR_AMD_VI, IHW_VENDOR_ARM_SMMUV3 };

/* Keys that deliberately read the same bits as another key. */
static gboolean
is_alias (const char *a, const char *b)
{
  static const char *const pairs[][2] = { { "pri", "prs" }, { "pasid_bits", "pasmax" } };
  for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
    if ((!strcmp (a, pairs[i][0]) && !strcmp (b, pairs[i][1])) || (!strcmp (a, pairs[i][1]) && !strcmp (b, pairs[i][0])))
      return TRUE;
  return FALSE;
}

static void
test_table_shape (void)
{
  for (guint v = 0; v < G_N_ELEMENTS (vendors); v++)
    {
      const IhwVendorDesc *d = ihw_vendor_desc (vendors[v]);
      g_assert_nonnull (d);
      g_assert_true (ihw_vendor_desc_by_name (d->name) == d);
      for (guint i = 0; i < d->n_fields; i++)
        {
          const IhwFieldDef *a = &d->fields[i];
          g_assert_cmpuint (a->reg, <, d->n_regs);
          g_assert_cmpuint (a->width, >=, 1);
          g_assert_cmpuint (a->lo + a->width, <=, d->regs[a->reg].bits);
          g_assert_nonnull (a->description);
          g_assert_nonnull (a->mnemonic);
          if (a->kind == IHW_FIELD_BOOL)
            g_assert_cmpuint (a->width, ==, 1);
          for (guint j = i + 1; j < d->n_fields; j++)
            {
              const IhwFieldDef *b = &d->fields[j];
              g_assert_cmpstr (a->key, !=, b->key);
              /* no two fields overlap unless they are declared aliases */
              if (a->reg == b->reg && a->lo < b->lo + b->width && b->lo < a->lo + a->width)
                if (!is_alias (a->key, b->key))
                  g_error ("%s: %s and %s overlap", d->name, a->key, b->key);
            }
        }
    }
}

static void
test_spec_keys (void)
{
  /* SPEC §5: these keys are fixed. */
  static const char *const intel[] = { "sm", "nest", "flts", "slts", "fl1gp", "fl5lp", "pasid", "pasid_bits", "mgaw",
                                       "sagaw", "cm", "ecs", "pt", "sc", "dt", "pri", "prs", NULL };
  static const char *const amd[] = { "gt", "gio", "ppr", "nx", "glx", "gats", "hats", "pasmax", "gcr3trp", "snp", NULL };
  static const char *const smmu[] = { "s1p", "s2p", "ttf", "cohacc", "ats", "pri", "sidsize", "ssidsize", "ril", "fwb",
                                      "oas", "gran4k", "gran16k", "gran64k", NULL };
  const char *const *lists[] = { intel, amd, smmu };

  for (guint v = 0; v < G_N_ELEMENTS (vendors); v++)
    {
      IhwFeatures f;
      ihw_features_init (&f, vendors[v]);
      for (guint i = 0; lists[v][i]; i++)
        if (!ihw_features_field (&f, lists[v][i]))
          g_error ("%s lacks SPEC key %s", f.desc->name, lists[v][i]);
    }
}

/* Setting exactly one boolean field's bit turns on that field (and its
 * aliases) and no other boolean field. */
static void
test_walking_bits (void)
{
  for (guint v = 0; v < G_N_ELEMENTS (vendors); v++)
    {
      const IhwVendorDesc *d = ihw_vendor_desc (vendors[v]);
      for (guint i = 0; i < d->n_fields; i++)
        {
          const IhwFieldDef *a = &d->fields[i];
          IhwFeatures f;

          if (a->kind != IHW_FIELD_BOOL)
            continue;
          ihw_features_init (&f, vendors[v]);
          for (guint r = 0; r < d->n_regs; r++)
            ihw_features_set_reg (&f, d->regs[r].name, 0);
          f.regs[a->reg] = G_GUINT64_CONSTANT (1) << a->lo;
          for (guint j = 0; j < d->n_fields; j++)
            {
              const IhwFieldDef *b = &d->fields[j];
              IhwValue val = ihw_field_value (&f, b);
              if (b->kind != IHW_FIELD_BOOL)
                continue;
              if (b == a || (b->reg == a->reg && b->lo == a->lo))
                g_assert_cmpuint (val.u, ==, 1);
              else
                g_assert_cmpuint (val.u, ==, 0);
            }
        }
    }
}

static IhwValue
get (IhwFeatures *f, const char *key)
{
  IhwValue v;
  g_assert_true (ihw_features_get (f, key, &v));
  return v;
}

static void
test_vtd_values (void)
{
  IhwFeatures f;
  IhwValue v;

  ihw_features_init (&f, IHW_VENDOR_INTEL_VTD);
  /* MGAW 47 -> 48 bits; SAGAW bits 1,2,3 -> 39,48,57 */
  g_assert_true (ihw_features_set_reg (&f, "cap", (G_GUINT64_CONSTANT (47) << 16) | (0xeull << 8)));
  g_assert_true (ihw_features_set_reg (&f, "ecap", (G_GUINT64_CONSTANT (19) << 35)));
  g_assert_cmpuint (get (&f, "mgaw").u, ==, 48);
  v = get (&f, "sagaw");
  g_assert_cmpuint (v.type, ==, IHW_VALUE_LIST);
  g_assert_cmpuint (v.u, ==, 3);
  g_assert_cmpuint (v.list[0], ==, 39);
  g_assert_cmpuint (v.list[1], ==, 48);
  g_assert_cmpuint (v.list[2], ==, 57);
  /* PSS is meaningless without ecap.PASID: pasid_bits reads 0 */
  g_assert_cmpuint (get (&f, "pasid_bits").u, ==, 0);
  f.regs[1] |= G_GUINT64_CONSTANT (1) << 40;
  g_assert_cmpuint (get (&f, "pasid_bits").u, ==, 20);
  /* a field of a register not given is absent, not 0 */
  ihw_features_init (&f, IHW_VENDOR_INTEL_VTD);
  ihw_features_set_reg (&f, "cap", 0);
  g_assert_false (ihw_features_get (&f, "nest", NULL));
  g_assert_true (ihw_features_get (&f, "cm", NULL));
  g_assert_cmpuint (ihw_features_get_uint (&f, "nest", 42), ==, 42);
}

static void
test_smmuv3_values (void)
{
  IhwFeatures f;

  ihw_features_init (&f, IHW_VENDOR_ARM_SMMUV3);
  /* 32-bit registers refuse wider values */
  g_assert_false (ihw_features_set_reg (&f, "idr0", G_GUINT64_CONSTANT (1) << 32));
  g_assert_true (ihw_features_set_reg (&f, "idr0", (2u << 2) | (2u << 21) | (1u << 27)));
  g_assert_cmpstr (get (&f, "ttf").s, ==, "aarch64");
  g_assert_cmpstr (get (&f, "ttendian").s, ==, "little");
  g_assert_cmpstr (get (&f, "st_level").s, ==, "2-level");
  for (guint code = 0; code < 8; code++)
    {
      /* 0b111 is 56 bits (SMMUv3.3; QEMU's smmuv3_oas_bits table too) */
      static const guint bits[] = { 32, 36, 40, 42, 44, 48, 52, 56 };
      IhwValue v;
      ihw_features_set_reg (&f, "idr5", code);
      v = get (&f, "oas");
      g_assert_cmpuint (v.u, ==, bits[code]);
    }
  ihw_features_set_reg (&f, "idr1", (20u << 6) | 16u);
  g_assert_cmpuint (get (&f, "ssidsize").u, ==, 20);
  g_assert_cmpuint (get (&f, "sidsize").u, ==, 16);
}

static void
test_amd_values (void)
{
  IhwFeatures f;

  ihw_features_init (&f, IHW_VENDOR_AMD_VI);
  ihw_features_set_reg (&f, "efr", (G_GUINT64_CONSTANT (15) << 32) | (1u << 4) | (2u << 10) | (1u << 14));
  g_assert_cmpuint (get (&f, "pasmax").u, ==, 15);
  g_assert_cmpuint (get (&f, "pasid_bits").u, ==, 16);
  g_assert_cmpuint (get (&f, "hats").u, ==, 2);
  g_assert_cmpuint (get (&f, "glx").u, ==, 1);
  g_assert_false (ihw_features_get (&f, "gcr3trp", NULL)); /* EFR2 not given */
  ihw_features_set_reg (&f, "efr2", 1u << 3);
  g_assert_cmpuint (get (&f, "gcr3trp").u, ==, 1);
}

/* All ones: whatever the table does not describe comes back raw. */
static void
test_unknown_bits (void)
{
  for (guint v = 0; v < G_N_ELEMENTS (vendors); v++)
    {
      const IhwVendorDesc *d = ihw_vendor_desc (vendors[v]);
      IhwFeatures f;
      ihw_features_init (&f, vendors[v]);
      for (guint r = 0; r < d->n_regs; r++)
        {
          guint64 all = d->regs[r].bits == 64 ? G_MAXUINT64 : (G_GUINT64_CONSTANT (1) << d->regs[r].bits) - 1;
          guint64 known = ihw_vendor_known_mask (d, r);
          g_assert_true (ihw_features_set_reg (&f, d->regs[r].name, all));
          g_assert_cmphex (ihw_features_unknown_bits (&f, r), ==, all & ~known);
          g_assert_cmphex (ihw_features_unknown_bits (&f, r) & known, ==, 0);
        }
    }
  /* VT-d ecap bit 5 is reserved: it must show up raw */
  {
    IhwFeatures f;
    ihw_features_init (&f, IHW_VENDOR_INTEL_VTD);
    ihw_features_set_reg (&f, "ecap", 1u << 5);
    g_assert_cmphex (ihw_features_unknown_bits (&f, 1), ==, 1u << 5);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/decode/table-shape", test_table_shape);
  g_test_add_func ("/decode/spec-keys", test_spec_keys);
  g_test_add_func ("/decode/walking-bits", test_walking_bits);
  g_test_add_func ("/decode/vtd-values", test_vtd_values);
  g_test_add_func ("/decode/smmuv3-values", test_smmuv3_values);
  g_test_add_func ("/decode/amd-values", test_amd_values);
  g_test_add_func ("/decode/unknown-bits", test_unknown_bits);
  return g_test_run ();
}
