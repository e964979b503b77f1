/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vendor descriptors: each is self-consistent, and what the rest of the
 * tree derives from them (hw_info bytes, decode's words) round-trips. */
#include <string.h>

#include "ihw-hwinfo.h"
#include "ihw-parse.h"
#include "ihw-rules.h"
#include "ihw-vendor.h"

static void
test_descriptors (void)
{
  guint n;
  const IhwVendorDesc *const *v = ihw_vendors (&n);

  g_assert_cmpuint (n, ==, IHW_VENDOR_LAST - 1);
  for (guint i = 0; i < n; i++)
    {
      const IhwVendorDesc *d = v[i];
      guint n_pos = 0;

      g_test_message ("vendor %s", d->name);
      g_assert_true (ihw_vendor_desc (d->vendor) == d);
      g_assert_true (ihw_vendor_desc_by_name (d->name) == d);
      g_assert_true (ihw_vendor_desc_by_hw_info (d->hw_info_type) == d);
      g_assert_nonnull (d->title);
      g_assert_nonnull (d->short_title);
      g_assert_cmpuint (d->n_regs, <=, IHW_MAX_REGS);
      g_assert_cmpuint (d->hw_info_len, <=, IHW_HW_INFO_BUF_SIZE);
      for (guint r = 0; r < d->n_regs; r++)
        g_assert_cmpuint (d->regs[r].hw_info_offset + d->regs[r].bits / 8, <=, d->hw_info_len);
      for (guint w = 0; w < G_N_ELEMENTS (d->words) && d->words[w]; w++)
        g_assert_true (ihw_vendor_desc_by_word (d->words[w]) == d);
      for (; d->positional[n_pos]; n_pos++)
        {
          IhwFeatures f;
          ihw_features_init (&f, d->vendor);
          g_assert_cmpint (ihw_features_reg_index (&f, d->positional[n_pos]), >=, 0);
        }
      g_assert_cmpuint (d->n_required, >=, 1);
      g_assert_cmpuint (d->n_required, <=, n_pos);
      /* found in sysfs, or (an add-on such as CMDQV on an SMMUv3 unit) only through iommufd */
      g_assert_true (d->sysfs_dir || d->sysfs_unit_prefix || d->registers_need_iommufd);
      g_assert_true (!d->registers_need_iommufd || d->no_registers_reason);
      /* An add-on is asked for on a type some other vendor reports by
       * default; its answer is a device fact the rules know, shown as a
       * Device property and "<it>HwInfo" bytes. */
      if (d->addon_of_hw_info_type)
        {
          IhwDeviceFacts facts = { 0 };
          IhwTristate t;
          gboolean bytes = TRUE;
          g_autofree char *bytes_prop = g_strconcat (d->dbus_property, "HwInfo", NULL);
          g_assert_nonnull (ihw_vendor_desc_by_hw_info (d->addon_of_hw_info_type));
          g_assert_true (ihw_vendor_desc_by_hw_info (d->addon_of_hw_info_type) != d);
          g_assert_true (ihw_vendor_desc_addon_of (d->addon_of_hw_info_type) == d);
          g_assert_true (ihw_device_fact (&facts, d->device_fact, &t));
          g_assert_true (ihw_vendor_desc_addon_by_property (d->dbus_property, &bytes) == d && !bytes);
          g_assert_true (ihw_vendor_desc_addon_by_property (bytes_prop, &bytes) == d && bytes);
        }
      else
        g_assert_true (!d->device_fact && !d->dbus_property);
      for (guint f = 0; f < G_N_ELEMENTS (d->sysfs_files) && d->sysfs_files[f].file; f++)
        for (guint r = 0; r < G_N_ELEMENTS (d->sysfs_files[f].regs) && d->sysfs_files[f].regs[r]; r++)
          {
            IhwFeatures feat;
            ihw_features_init (&feat, d->vendor);
            g_assert_cmpint (ihw_features_reg_index (&feat, d->sysfs_files[f].regs[r]), >=, 0);
          }
    }
}

/* Every register survives features -> hw_info bytes -> features, and the
 * positional registers survive decode's words. */
static void
test_round_trip (void)
{
  guint n;
  const IhwVendorDesc *const *v = ihw_vendors (&n);

  for (guint i = 0; i < n; i++)
    {
      const IhwVendorDesc *d = v[i];
      IhwFeatures f, back;
      IhwHwInfo h;
      guint32 type;
      g_autoptr (GBytes) bytes = NULL;
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) words = g_ptr_array_new_with_free_func (g_free);

      ihw_features_init (&f, d->vendor);
      for (guint r = 0; r < d->n_regs; r++)
        g_assert_true (ihw_features_set_reg (&f, d->regs[r].name, 0x10203 * (r + 1)));
      bytes = ihw_hw_info_build (&f, 1, &type);
      g_assert_nonnull (bytes);
      g_assert_cmpuint (type, ==, d->hw_info_type);
      g_assert_true (ihw_hw_info_parse (type, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                        (guint32) g_bytes_get_size (bytes), &h, &error));
      g_assert_no_error (error);
      g_assert_true (h.features.desc == d);
      g_assert_cmpuint (h.features.present, ==, f.present);
      g_assert_cmpmem (h.features.regs, sizeof h.features.regs, f.regs, sizeof f.regs);
      g_assert_cmpint (h.features.has_hw_info_flags, ==, d->hw_info_flags_offset >= 0);

      for (guint p = 0; d->positional[p]; p++)
        g_ptr_array_add (words, g_strdup_printf ("0x%x", 0x10203 * (p + 1)));
      g_ptr_array_add (words, NULL);
      g_assert_true (ihw_parse_register_words (d->vendor, (const char *const *) words->pdata, &back, &error));
      g_assert_no_error (error);
      for (guint p = 0; d->positional[p]; p++)
        g_assert_cmphex (back.regs[ihw_features_reg_index (&back, d->positional[p])], ==, 0x10203 * (p + 1));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vendor/descriptors", test_descriptors);
  g_test_add_func ("/vendor/round-trip", test_round_trip);
  return g_test_run ();
}
