/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every field of a record takes part in change detection: changing any
 * field that is not marked SKIP changes the record's signature (so the
 * registry sends PropertiesChanged for it), and SKIP is only the stamp the
 * signature itself moves.  The structs and the field tables come from the
 * same lists (ihw-records.h), so a new field is in the table by
 * construction; this checks that the signature really reads it.
 */
#include <string.h>

#include "ihw-hwinfo.h"
#include "ihw-records.h"

/* Changes the field's value in place; returns what to put back. */
static void
mutate (void *record, const IhwRecordField *f, gpointer *saved, guint8 *saved_bytes)
{
  guint8 *p = (guint8 *) record + f->offset;

  switch (f->sig)
    {
    case IHW_SIG_STRING:
      *saved = *(char **) (void *) p;
      *(const char **) (void *) p = *saved && strcmp (*saved, "changed") == 0 ? "other" : "changed";
      break;
    case IHW_SIG_NUMBER:
    case IHW_SIG_FEATURES:
      memcpy (saved_bytes, p, f->size);
      if (f->sig == IHW_SIG_FEATURES)
        ((IhwFeatures *) (void *) p)->regs[0] ^= 1;
      else
        p[0] ^= 1;
      break;
    case IHW_SIG_BYTES:
      *saved = *(GBytes **) (void *) p;
      *(GBytes **) (void *) p = g_bytes_new_static ("x", 1);
      break;
    case IHW_SIG_STRV:
      g_ptr_array_add (*(GPtrArray **) (void *) p, g_strdup ("0000:ff:1f.7"));
      break;
    case IHW_SIG_SKIP:
      break;
    }
}

static void
restore (void *record, const IhwRecordField *f, gpointer saved, const guint8 *saved_bytes)
{
  guint8 *p = (guint8 *) record + f->offset;

  switch (f->sig)
    {
    case IHW_SIG_STRING:
      *(gpointer *) (void *) p = saved;
      break;
    case IHW_SIG_NUMBER:
    case IHW_SIG_FEATURES:
      memcpy (p, saved_bytes, f->size);
      break;
    case IHW_SIG_BYTES:
      g_bytes_unref (*(GBytes **) (void *) p);
      *(gpointer *) (void *) p = saved;
      break;
    case IHW_SIG_STRV:
      g_ptr_array_set_size (*(GPtrArray **) (void *) p, (*(GPtrArray **) (void *) p)->len - 1);
      break;
    case IHW_SIG_SKIP:
      break;
    }
}

static void
check_fields (void *record, const IhwRecordField *fields, guint n, char *(*sig) (const void *), gsize struct_size)
{
  g_autofree char *before = sig (record);
  gsize covered = 0;

  for (guint i = 0; i < n; i++)
    {
      const IhwRecordField *f = &fields[i];
      g_autofree guint8 *saved_bytes = g_malloc (f->size);
      gpointer saved = NULL;
      g_autofree char *after = NULL;
      g_autofree char *back = NULL;

      covered += f->size;
      g_assert_cmpuint (f->offset + f->size, <=, struct_size);
      if (f->sig == IHW_SIG_SKIP)
        {
          g_assert_cmpstr (f->name, ==, "updated_usec");
          continue;
        }
      g_test_message ("field %s", f->name);
      mutate (record, f, &saved, saved_bytes);
      after = sig (record);
      restore (record, f, saved, saved_bytes);
      back = sig (record);
      g_assert_cmpstr (after, !=, before);
      g_assert_cmpstr (back, ==, before);
    }
  /* Every byte of the struct is a listed field, or padding. */
  g_assert_cmpuint (covered, <=, struct_size);
  g_assert_cmpuint (struct_size - covered, <, 8 * n);
}

static char *
unit_sig (const void *u)
{
  return ihw_unit_signature (u);
}

static char *
device_sig (const void *d)
{
  return ihw_device_signature (d);
}

static void
test_unit_fields (void)
{
  g_autoptr (IhwUnit) u = ihw_unit_new ("dmar0");
  guint n;
  const IhwRecordField *fields = ihw_unit_fields (&n);

  ihw_features_init (&u->features, IHW_VENDOR_INTEL_VTD);
  ihw_features_set_reg (&u->features, "cap", 0xd2008c40660462);
  g_ptr_array_add (u->devices, g_strdup ("0000:3a:00.0"));
  u->version = g_strdup ("6:0");
  check_fields (u, fields, n, unit_sig, sizeof *u);
}

static void
test_device_fields (void)
{
  g_autoptr (IhwDevice) d = ihw_device_new ("0000:3a:00.0");
  g_autoptr (GBytes) data = NULL;
  IhwFeatures f;
  guint32 type;
  guint n;
  const IhwRecordField *fields = ihw_device_fields (&n);

  ihw_features_init (&f, IHW_VENDOR_INTEL_VTD);
  ihw_features_set_reg (&f, "cap", 0xd2008c40660462);
  ihw_features_set_reg (&f, "ecap", 0xf050da);
  data = ihw_hw_info_build (&f, 0, &type);
  ihw_device_set_hw_info (d, type, data, 0, 20, IHW_NEST_PARENT_YES);
  g_assert_true (d->hw_decoded);
  g_assert_nonnull (ihw_device_hw_features (d));
  g_assert_cmphex (ihw_device_hw_features (d)->regs[0], ==, 0xd2008c40660462);
  d->unit = g_strdup ("dmar0");
  d->probe_error = g_strdup ("busy");
  check_fields (d, fields, n, device_sig, sizeof *d);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/records/unit-fields-in-signature", test_unit_fields);
  g_test_add_func ("/records/device-fields-in-signature", test_device_fields);
  return g_test_run ();
}
