/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the iommu-hwinfoctl commands. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ihw-error.h"
#include "ctl-json.h"
#include "ihw-names.h"
#include "ihw-rules.h"

IhwClient *
ctl_connect (GError **error)
{
  return ihw_client_new (NULL, 0, error);
}

gboolean
ctl_check_model (const char *cmd, const char *word, IhwModel *model, int *exit_code)
{
  g_autoptr (GString) names = g_string_new (NULL);

  if (ihw_model_from_name (word, model))
    return TRUE;
  for (IhwModel m = 0; m < IHW_MODEL_LAST; m++)
    g_string_append_printf (names, "%s%s", m ? ", " : "", ihw_model_name (m));
  *exit_code = ctl_usage_error (cmd, "unknown vIOMMU model '%.80s': expected one of %s (libvirt's <iommu model=...>)",
                                word, names->str);
  return FALSE;
}

gboolean
ctl_check_devices (const char *cmd, char **devices, int *exit_code)
{
  guint n = 0;

  for (; devices[n]; n++)
    if (!ihw_pci_address_valid (devices[n]))
      {
        g_printerr ("iommu-hwinfoctl %s: '%.80s' is not a PCI address: expected DDDD:BB:DD.F, e.g. 0000:3a:00.0\n",
                    cmd, devices[n]);
        *exit_code = IHW_EXIT_DATAERR;
        return FALSE;
      }
  if (n > IHW_MAX_DEVICES_PER_REQUEST)
    {
      g_printerr ("iommu-hwinfoctl %s: %u devices given, at most %d per request\n", cmd, n,
                  IHW_MAX_DEVICES_PER_REQUEST);
      *exit_code = IHW_EXIT_DATAERR;
      return FALSE;
    }
  return TRUE;
}

/* --- request options ------------------------------------------------------ */

static const char *
keep (CtlRequestOptions *o, char *s)
{
  g_ptr_array_add (o->strings, s);
  return s;
}

GOptionEntry *
ctl_request_option_entries (CtlRequestOptions *o)
{
  const IhwRequestKeyDef *keys = ihw_request_key_defs ();
  GOptionEntry *entries = g_new0 (GOptionEntry, 2 * IHW_REQUEST_N_KEYS + 1);
  guint n = 0;

  o->strings = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < IHW_REQUEST_N_KEYS; i++)
    {
      if (keys[i].type == 'b')
        {
          entries[n++] = (GOptionEntry) { keys[i].name, 0, 0, G_OPTION_ARG_NONE, &o->yes[i],
                                          keep (o, g_strconcat ("Require ", keys[i].help, NULL)), NULL };
          entries[n++] = (GOptionEntry) { keep (o, g_strconcat ("no-", keys[i].name, NULL)), 0, 0, G_OPTION_ARG_NONE,
                                          &o->no[i], keep (o, g_strconcat ("Do not require ", keys[i].help, NULL)),
                                          NULL };
        }
      else
        entries[n++] = (GOptionEntry) { keys[i].name, 0, 0, G_OPTION_ARG_STRING, &o->text[i], keys[i].help,
                                        keys[i].type == 's' ? "V" : "N" };
    }
  return entries;
}

char *
ctl_request_usage (void)
{
  const IhwRequestKeyDef *keys = ihw_request_key_defs ();
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < IHW_REQUEST_N_KEYS; i++)
    g_string_append_printf (s, "%s[--%s%s%s]", i ? " " : "", keys[i].type == 'b' ? "[no-]" : "", keys[i].name,
                            keys[i].type == 's' ? " V" : keys[i].type == 'u' ? " N" : "");
  return g_string_free (s, FALSE);
}

void
ctl_request_options_clear (CtlRequestOptions *o)
{
  for (guint i = 0; i < IHW_REQUEST_N_KEYS; i++)
    g_clear_pointer (&o->text[i], g_free);
  g_clear_pointer (&o->strings, g_ptr_array_unref);
}

/* The options into a request, through common's range checks. */
gboolean
ctl_request_from_options (const char *cmd, const CtlRequestOptions *o, IhwRequest *req, int *exit_code)
{
  const IhwRequestKeyDef *keys = ihw_request_key_defs ();

  memset (req, 0, sizeof *req);
  for (guint i = 0; i < IHW_REQUEST_N_KEYS; i++)
    {
      const char *name = keys[i].name;
      g_autoptr (GError) error = NULL;
      guint64 v;

      switch (keys[i].type)
        {
        case 's':
          if (o->text[i] && !ihw_request_set_qemu_version (req, o->text[i], &error))
            {
              *exit_code = ctl_usage_error (cmd, "--%s", error->message);
              return FALSE;
            }
          break;
        case 'u':
          if (!o->text[i])
            break;
          if (!g_ascii_string_to_unsigned (o->text[i], 10, 0, 64, &v, NULL))
            {
              *exit_code = ctl_usage_error (cmd, "--%s '%.80s': expected a number of bits from 0 to 64", name,
                                            o->text[i]);
              return FALSE;
            }
          if (!ihw_request_set_checked (req, name, v, &error))
            {
              /* Said as the daemon says it: a value no caller may ask for is bad data (65). */
              g_prefix_error (&error, "request: ");
              *exit_code = ctl_fail (error);
              return FALSE;
            }
          break;
        default:
          if (o->yes[i] && o->no[i])
            {
              *exit_code = ctl_usage_error (cmd, "--%s and --no-%s contradict each other", name, name);
              return FALSE;
            }
          if (o->yes[i] || o->no[i])
            ihw_request_set (req, name, o->yes[i]);
          break;
        }
    }
  return TRUE;
}

/* --- tables ----------------------------------------------------------------- */

struct _CtlTable {
  guint n_columns;
  GPtrArray *rows;  /* char ** of n_columns */
};

static void
table_add_va (CtlTable *t, va_list ap)
{
  char **row = g_new0 (char *, t->n_columns + 1);

  for (guint i = 0; i < t->n_columns; i++)
    {
      const char *cell = va_arg (ap, const char *);
      row[i] = g_strdup (cell && *cell ? cell : "-");
    }
  g_ptr_array_add (t->rows, row);
}

CtlTable *
ctl_table_new (guint n_columns, ...)
{
  CtlTable *t = g_new0 (CtlTable, 1);
  va_list ap;

  t->n_columns = n_columns;
  t->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  va_start (ap, n_columns);
  table_add_va (t, ap);
  va_end (ap);
  return t;
}

void
ctl_table_add (CtlTable *t, ...)
{
  va_list ap;

  va_start (ap, t);
  table_add_va (t, ap);
  va_end (ap);
}

void
ctl_table_print (CtlTable *t, const char *indent)
{
  ctl_table_print_to (t, indent, stdout);
}

void
ctl_table_print_to (CtlTable *t, const char *indent, FILE *out)
{
  g_autofree guint *width = g_new0 (guint, t->n_columns);

  for (guint r = 0; r < t->rows->len; r++)
    for (guint c = 0; c < t->n_columns; c++)
      width[c] = MAX (width[c], g_utf8_strlen (((char **) t->rows->pdata[r])[c], -1));
  for (guint r = 0; r < t->rows->len; r++)
    {
      char **row = t->rows->pdata[r];
      g_autoptr (GString) line = g_string_new (indent);

      for (guint c = 0; c < t->n_columns; c++)
        {
          g_string_append (line, row[c]);
          if (c + 1 < t->n_columns)
            for (guint pad = g_utf8_strlen (row[c], -1); pad < width[c] + 2; pad++)
              g_string_append_c (line, ' ');
        }
      g_string_append_c (line, '\n');
      fputs (line->str, out);
    }
}

void
ctl_table_free (CtlTable *t)
{
  if (!t)
    return;
  g_ptr_array_unref (t->rows);
  g_free (t);
}

/* --- features ------------------------------------------------------------- */

void
ctl_print_features (const IhwFeatures *f)
{
  const IhwVendorDesc *d = f->desc;
  guint64 unknown_total = 0;

  printf ("%s registers\n", d->title);
  for (guint i = 0; i < d->n_regs; i++)
    if (ihw_features_has_reg (f, i))
      printf ("  %-5s 0x%0*" G_GINT64_MODIFIER "x\n", d->regs[i].name, d->regs[i].bits / 4, f->regs[i]);

  printf ("\n  %-16s %-20s %-10s %s\n", "KEY", "FIELD", "VALUE", "MEANING");
  for (guint i = 0; i < d->n_fields; i++)
    {
      const IhwFieldDef *def = &d->fields[i];
      IhwValue v = ihw_field_value (f, def);
      g_autofree char *val = NULL;
      g_autofree char *field = NULL;

      if (v.type == IHW_VALUE_ABSENT)
        continue;
      val = ihw_value_to_string (&v);
      field = g_strdup_printf ("%s.%s", d->regs[def->reg].name, def->mnemonic);
      printf ("  %-16s %-20s %-10s %s\n", def->key, field, val, def->description);
    }

  for (guint i = 0; i < d->n_regs; i++)
    unknown_total |= ihw_features_unknown_bits (f, i);
  if (unknown_total)
    {
      printf ("\n  Bits not described by the tables (shown raw):\n");
      for (guint i = 0; i < d->n_regs; i++)
        {
          guint64 u = ihw_features_unknown_bits (f, i);
          if (u)
            printf ("    %-5s 0x%" G_GINT64_MODIFIER "x\n", d->regs[i].name, u);
        }
    }
}

/* --- property values -------------------------------------------------------- */

char *
ctl_bytes_hex (GVariant *ay)
{
  gsize n = 0;
  const guint8 *data = g_variant_get_fixed_array (ay, &n, 1);
  GString *s = g_string_sized_new (2 * n + 1);

  for (gsize i = 0; i < n; i++)
    g_string_append_printf (s, "%02x", data[i]);
  return g_string_free (s, FALSE);
}

char *
ctl_path_to_name (const char *path)
{
  char *name = ihw_device_path_address (path);

  if (!name)
    name = ihw_unit_path_name (path);
  return name ? name : g_strdup (path);
}

char *
ctl_variant_to_text (GVariant *v)
{
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_VARIANT))
    {
      g_autoptr (GVariant) inner = g_variant_get_variant (v);
      return ctl_variant_to_text (inner);
    }
  switch (g_variant_classify (v))
    {
    case G_VARIANT_CLASS_STRING:
      return g_variant_dup_string (v, NULL);
    case G_VARIANT_CLASS_OBJECT_PATH:
      return ctl_path_to_name (g_variant_get_string (v, NULL));
    case G_VARIANT_CLASS_BOOLEAN:
      return g_strdup (g_variant_get_boolean (v) ? "true" : "false");
    case G_VARIANT_CLASS_BYTE:
      return g_strdup_printf ("%u", g_variant_get_byte (v));
    case G_VARIANT_CLASS_INT32:
      return g_strdup_printf ("%d", g_variant_get_int32 (v));
    case G_VARIANT_CLASS_UINT32:
      return g_strdup_printf ("%u", g_variant_get_uint32 (v));
    case G_VARIANT_CLASS_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, g_variant_get_int64 (v));
    case G_VARIANT_CLASS_UINT64:
      return g_strdup_printf ("%" G_GUINT64_FORMAT, g_variant_get_uint64 (v));
    case G_VARIANT_CLASS_ARRAY:
      if (g_variant_is_of_type (v, G_VARIANT_TYPE_BYTESTRING))
        return ctl_bytes_hex (v);
      if (g_variant_is_of_type (v, G_VARIANT_TYPE ("a{st}")))
        {
          GString *s = g_string_new (NULL);
          GVariantIter it;
          const char *k;
          guint64 val;

          g_variant_iter_init (&it, v);
          while (g_variant_iter_next (&it, "{&st}", &k, &val))
            g_string_append_printf (s, "%s%s=0x%" G_GINT64_MODIFIER "x", s->len ? "," : "", k, val);
          return g_string_free (s, FALSE);
        }
      if (!g_variant_type_is_dict_entry (g_variant_type_element (g_variant_get_type (v))))
        {
          GString *s = g_string_new (NULL);
          for (gsize i = 0; i < g_variant_n_children (v); i++)
            {
              g_autoptr (GVariant) child = g_variant_get_child_value (v, i);
              g_autofree char *t = ctl_variant_to_text (child);
              g_string_append_printf (s, "%s%s", i ? "," : "", t);
            }
          return g_string_free (s, FALSE);
        }
      break;
    default:
      break;
    }
  return g_variant_print (v, FALSE);
}

/* D-Bus property name -> stable JSON key (the man page lists them). */
static const struct {
  const char *property;
  const char *key;
} json_keys[] = {
  { "Features", "feature_names" },  /* "features" is the decoded object, as in decode */
  { "HwInfoTypeName", "hw_info_type_name" },
  { "HwInfoType", "hw_info_type" },
  { "HwInfoData", "hw_info_data" },
  { "VfioCdev", "vfio_cdev" },
  { "IommuGroup", "iommu_group" },
  { "MaxPasidLog2", "max_pasid_log2" },
  { "NestParent", "nest_parent" },
  { "UpdatedUsec", "updated_usec" },
  { "IommufdAvailable", "iommufd_available" },
  { "NestingModels", "nesting_models" },
};

static char *
json_key_for (const char *property)
{
  GString *s;

  for (guint i = 0; i < G_N_ELEMENTS (json_keys); i++)
    if (strcmp (json_keys[i].property, property) == 0)
      return g_strdup (json_keys[i].key);
  /* CamelCase -> snake_case for everything else ("Address" -> "address"). */
  s = g_string_new (NULL);
  for (const char *p = property; *p; p++)
    {
      if (g_ascii_isupper (*p) && p != property)
        g_string_append_c (s, '_');
      g_string_append_c (s, g_ascii_tolower (*p));
    }
  return g_string_free (s, FALSE);
}

static void
json_add_value (JsonBuilder *b, GVariant *v)
{
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_VARIANT))
    {
      g_autoptr (GVariant) inner = g_variant_get_variant (v);
      json_add_value (b, inner);
      return;
    }
  switch (g_variant_classify (v))
    {
    case G_VARIANT_CLASS_STRING:
      json_builder_add_string_value (b, g_variant_get_string (v, NULL));
      return;
    case G_VARIANT_CLASS_OBJECT_PATH:
      {
        g_autofree char *name = ctl_path_to_name (g_variant_get_string (v, NULL));
        if (strcmp (g_variant_get_string (v, NULL), "/") == 0)
          json_builder_add_null_value (b);  /* "no unit" */
        else
          json_builder_add_string_value (b, name);
        return;
      }
    case G_VARIANT_CLASS_BOOLEAN:
      json_builder_add_boolean_value (b, g_variant_get_boolean (v));
      return;
    case G_VARIANT_CLASS_BYTE:
      json_builder_add_int_value (b, g_variant_get_byte (v));
      return;
    case G_VARIANT_CLASS_INT32:
      json_builder_add_int_value (b, g_variant_get_int32 (v));
      return;
    case G_VARIANT_CLASS_UINT32:
      json_builder_add_int_value (b, g_variant_get_uint32 (v));
      return;
    case G_VARIANT_CLASS_INT64:
      json_builder_add_int_value (b, g_variant_get_int64 (v));
      return;
    case G_VARIANT_CLASS_UINT64:
      /* JSON readers lose precision above 2^53: beyond it, a hex string. */
      if (g_variant_get_uint64 (v) > (G_GUINT64_CONSTANT (1) << 53))
        {
          g_autofree char *hex = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", g_variant_get_uint64 (v));
          json_builder_add_string_value (b, hex);
        }
      else
        json_builder_add_int_value (b, (gint64) g_variant_get_uint64 (v));
      return;
    case G_VARIANT_CLASS_ARRAY:
      if (g_variant_is_of_type (v, G_VARIANT_TYPE_BYTESTRING))
        {
          g_autofree char *hex = ctl_bytes_hex (v);
          json_builder_add_string_value (b, hex);
          return;
        }
      if (g_variant_is_of_type (v, G_VARIANT_TYPE ("a{st}")))
        {
          /* Registers: hex strings, as decode --json prints them. */
          GVariantIter it;
          const char *k;
          guint64 val;

          json_builder_begin_object (b);
          g_variant_iter_init (&it, v);
          while (g_variant_iter_next (&it, "{&st}", &k, &val))
            {
              g_autofree char *hex = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", val);
              json_builder_set_member_name (b, k);
              json_builder_add_string_value (b, hex);
            }
          json_builder_end_object (b);
          return;
        }
      if (g_variant_is_of_type (v, G_VARIANT_TYPE_VARDICT))
        {
          json_builder_begin_object (b);
          ctl_json_add_properties (b, v, NULL);
          json_builder_end_object (b);
          return;
        }
      json_builder_begin_array (b);
      for (gsize i = 0; i < g_variant_n_children (v); i++)
        {
          g_autoptr (GVariant) child = g_variant_get_child_value (v, i);
          json_add_value (b, child);
        }
      json_builder_end_array (b);
      return;
    default:
      {
        g_autofree char *text = g_variant_print (v, FALSE);
        json_builder_add_string_value (b, text);
      }
    }
}

int
ctl_compare_strv_items (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

char *
ctl_json_line (JsonNode *node)
{
  return ctl_json_to_string (node, FALSE);
}

void
ctl_json_add_properties (JsonBuilder *b, GVariant *props, const char *const *skip)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new ();
  GVariantIter it;
  const char *k;

  /* Sorted, so output does not depend on the daemon's order. */
  g_variant_iter_init (&it, props);
  while (g_variant_iter_next (&it, "{&sv}", &k, NULL))
    if (!skip || !g_strv_contains (skip, k))
      g_ptr_array_add (keys, (gpointer) k);
  g_ptr_array_sort (keys, ctl_compare_strv_items);
  for (guint i = 0; i < keys->len; i++)
    {
      g_autoptr (GVariant) val = g_variant_lookup_value (props, keys->pdata[i], NULL);
      g_autofree char *key = json_key_for (keys->pdata[i]);
      json_builder_set_member_name (b, key);
      json_add_value (b, val);
    }
}
