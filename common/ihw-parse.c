/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-parse.h"

#include <string.h>

#include "ihw-error.h"

gboolean
ihw_parse_hex (const char *text, guint bits, const char *what, guint64 *out, GError **error)
{
  const char *p, *end;
  guint64 v = 0;
  gsize ndigits = 0;

  if (!text)
    text = "";
  if (strlen (text) > IHW_PARSE_MAX_TEXT)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "%s: value is too long (%zu bytes)", what,
                   strlen (text));
      return FALSE;
    }
  p = text;
  while (g_ascii_isspace (*p))
    p++;
  end = p + strlen (p);
  while (end > p && g_ascii_isspace (end[-1]))
    end--;
  if (end - p >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
    p += 2;
  if (p == end)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "%s: empty value, expected a hexadecimal number", what);
      return FALSE;
    }
  for (const char *q = p; q < end; q++)
    {
      if (!g_ascii_isxdigit (*q))
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA,
                       "%s: '%.*s' is not a hexadecimal number (bad character '%c')", what,
                       (int) MIN (end - p, 40), p, *q);
          return FALSE;
        }
      if (v == 0 && *q == '0')
        continue; /* leading zeros do not count towards the width */
      if (++ndigits > 16)
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "%s: '%.*s' has more than 64 bits", what,
                       (int) MIN (end - p, 40), p);
          return FALSE;
        }
      v = (v << 4) | (guint64) g_ascii_xdigit_value (*q);
    }
  if (bits < 64 && (v >> bits) != 0)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA,
                   "%s: 0x%" G_GINT64_MODIFIER "x does not fit in a %u-bit register", what, v, bits);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

/* The sysfs file that prints two registers as "A:B", if any. */
static const IhwSysfsFile *
sysfs_file_with_pair (const IhwVendorDesc *d)
{
  for (guint i = 0; i < G_N_ELEMENTS (d->sysfs_files) && d->sysfs_files[i].file; i++)
    if (d->sysfs_files[i].regs[1])
      return &d->sysfs_files[i];
  return NULL;
}

/* Split every word on white space and commas; drop empty pieces. */
static GPtrArray *
tokenize (const char *const *words)
{
  GPtrArray *toks = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; words && words[i]; i++)
    {
      g_auto (GStrv) parts = g_strsplit_set (words[i], " \t\n\r,", -1);
      for (guint j = 0; parts[j]; j++)
        /* "--" ends options on a command line; it is never a value */
        if (*parts[j] && strcmp (parts[j], "--") != 0)
          g_ptr_array_add (toks, g_strdup (parts[j]));
    }
  return toks;
}

/* "cap", "cap:", "cap=" (also "cap=VALUE") -> register index, or -1. */
static int
label_index (const IhwFeatures *f, const char *tok, const char **inline_value)
{
  g_autofree char *name = NULL;
  const char *sep = strpbrk (tok, ":=");

  *inline_value = NULL;
  if (sep)
    {
      name = g_strndup (tok, sep - tok);
      if (sep[1])
        *inline_value = sep + 1;
    }
  else
    name = g_strdup (tok);
  /* The specification's own register names: SMMU_IDR0. */
  if (f->desc && f->desc->label_prefix)
    {
      gsize n = strlen (f->desc->label_prefix);
      if (g_ascii_strncasecmp (name, f->desc->label_prefix, n) == 0)
        return ihw_features_reg_index (f, name + n);
    }
  return ihw_features_reg_index (f, name);
}

static gboolean
set_reg (IhwFeatures *f, guint idx, const char *text, GError **error)
{
  guint64 v;
  const IhwRegisterDef *r = &f->desc->regs[idx];
  g_autofree char *what = g_ascii_strup (r->name, -1);

  if (!ihw_parse_hex (text, r->bits, what, &v, error))
    return FALSE;
  if (f->present & (1u << idx))
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "%s given twice (decode one IOMMU unit at a time)", what);
      return FALSE;
    }
  f->regs[idx] = v;
  f->present |= 1u << idx;
  return TRUE;
}

/* "A, B" or "A:B": the positional registers, `sep`-separated, upper case. */
static char *
positional_names (const IhwVendorDesc *d, guint n, const char *sep)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < n && d->positional[i]; i++)
    {
      g_autofree char *up = g_ascii_strup (d->positional[i], -1);
      g_string_append_printf (s, "%s%s", i ? sep : "", up);
    }
  return g_string_free (s, FALSE);
}

static guint
n_positional (const IhwVendorDesc *d)
{
  guint n = 0;
  while (d->positional[n])
    n++;
  return n;
}

/* A log line that lists the registers in parentheses, as AMD's dmesg does:
 * "... Extended features (0xEFR[, 0xEFR2]): PPR NX GT ...". */
static gboolean
parse_paste_line (IhwFeatures *f, const char *joined, gboolean *matched, GError **error)
{
  const IhwVendorDesc *d = f->desc;
  const char *open = strstr (joined, d->paste_open);
  const char *close;
  g_autofree char *inner = NULL;
  g_auto (GStrv) vals = NULL;
  guint n;

  *matched = FALSE;
  if (!open)
    return TRUE;
  open += strlen (d->paste_open);
  close = strchr (open, ')');
  if (!close)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "'%s (' has no closing ')'", d->paste_title);
      return FALSE;
    }
  *matched = TRUE;
  inner = g_strndup (open, close - open);
  vals = g_strsplit (inner, ",", -1);
  n = g_strv_length (vals);
  if (n < d->n_required || n < 1 || n > n_positional (d))
    {
      g_autofree char *required = positional_names (d, d->n_required, ", ");
      g_autofree char *all = positional_names (d, n_positional (d), ", ");
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "'%s (%s)': expected %s or %s", d->paste_title, inner,
                   required, all);
      return FALSE;
    }
  for (guint i = 0; vals[i]; i++)
    if (!set_reg (f, ihw_features_reg_index (f, d->positional[i]), vals[i], error))
      return FALSE;
  /* The feature names after "):" are the kernel's reading of the same bits;
   * they carry no extra information, so they are not parsed. */
  return TRUE;
}

gboolean
ihw_parse_register_words (IhwVendor vendor, const char *const *words, IhwFeatures *out, GError **error)
{
  g_autoptr (GPtrArray) toks = NULL;
  const char *const *pos;
  guint min, max;
  int first_label = -1;
  IhwFeatures f;

  ihw_features_init (&f, vendor);
  if (!f.desc)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_USAGE, "unknown IOMMU vendor");
      return FALSE;
    }
  pos = f.desc->positional;
  min = f.desc->n_required;
  max = n_positional (f.desc);

  if (f.desc->paste_open)
    {
      g_autofree char *joined = g_strjoinv (" ", (char **) words);
      gboolean matched;
      if (!parse_paste_line (&f, joined, &matched, error))
        return FALSE;
      if (matched)
        {
          *out = f;
          return TRUE;
        }
    }

  toks = tokenize (words);
  for (guint i = 0; i < toks->len; i++)
    {
      const char *iv;
      if (label_index (&f, toks->pdata[i], &iv) >= 0)
        {
          first_label = (int) i;
          break;
        }
    }

  if (first_label >= 0)
    {
      for (guint i = first_label; i < toks->len; i++)
        {
          const char *tok = toks->pdata[i], *iv;
          int idx = label_index (&f, tok, &iv);
          if (idx < 0)
            {
              gboolean complete = TRUE;
              for (guint k = 0; k < min; k++)
                complete &= (f.present & (1u << ihw_features_reg_index (&f, pos[k]))) != 0;
              g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA,
                           "unexpected word '%.40s': after the first register label only "
                           "'NAME VALUE' pairs may follow%s", tok,
                           complete ? " (another unit's log line? decode one IOMMU unit at a time)" : "");
              return FALSE;
            }
          if (!iv)
            {
              if (i + 1 >= toks->len)
                {
                  g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "'%s' has no value after it", tok);
                  return FALSE;
                }
              iv = toks->pdata[++i];
            }
          if (!set_reg (&f, idx, iv, error))
            return FALSE;
        }
    }
  else
    {
      /* Positional.  A sysfs file that prints several registers prints
       * them as one word, "efr:efr2". */
      const IhwSysfsFile *joined = sysfs_file_with_pair (f.desc);
      if (joined && toks->len == 1 && strchr (toks->pdata[0], ':'))
        {
          g_auto (GStrv) pair = g_strsplit (toks->pdata[0], ":", -1);
          if (g_strv_length (pair) != 2)
            {
              g_autofree char *names = positional_names (f.desc, 2, ":");
              g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "'%s': expected %s as printed by sysfs %s/%s",
                           (char *) toks->pdata[0], names, f.desc->sysfs_dir, joined->file);
              return FALSE;
            }
          g_ptr_array_set_size (toks, 0);
          g_ptr_array_add (toks, g_strdup (pair[0]));
          g_ptr_array_add (toks, g_strdup (pair[1]));
        }
      if (toks->len < min || toks->len > max)
        {
          g_autofree char *names = g_strjoinv (" ", (char **) pos);
          g_autofree char *up = g_ascii_strup (names, -1);
          if (toks->len > max)
            g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA,
                         "too many values: expected %s, got %u (extra '%s')", up, toks->len,
                         (char *) toks->pdata[max]);
          else
            g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "expected %s%s, got %u value%s", up,
                         min != max ? " (the last is optional)" : "", toks->len,
                         toks->len == 1 ? "" : "s");
          return FALSE;
        }
      for (guint i = 0; i < toks->len; i++)
        {
          int idx = ihw_features_reg_index (&f, pos[i]);
          if (!set_reg (&f, idx, toks->pdata[i], error))
            return FALSE;
        }
    }

  /* Every positional register but the optional ones must be there. */
  for (guint i = 0; i < min; i++)
    {
      int idx = ihw_features_reg_index (&f, pos[i]);
      if (!(f.present & (1u << idx)))
        {
          g_autofree char *up = g_ascii_strup (pos[i], -1);
          g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "%s is missing", up);
          return FALSE;
        }
    }
  *out = f;
  return TRUE;
}
