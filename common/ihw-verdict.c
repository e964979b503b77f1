/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-verdict.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ihw-error.h"
#include "ihw-rules.h"


guint
ihw_request_qemu (const IhwRequest *req, guint fallback)
{
  guint n;
  const guint *profiles = ihw_qemu_profiles (&n);
  guint newest = profiles[n - 1];
  guint v = ihw_request_has (req, IHW_REQUEST_QEMU_VERSION) ? (guint) req->value[IHW_REQUEST_QEMU_VERSION]
                                                            : fallback ? fallback : newest;

  /* A version between two profiles (9.9, 10.5: no such release, or one the
   * tables do not describe) is judged by the newest profile before it, so it
   * is never judged by no rows at all.  Below the oldest profile the rows
   * that are open downwards apply; above the newest, the newest's. */
  if (v > profiles[0] && v < newest)
    for (guint i = n; i-- > 0;)
      if (profiles[i] <= v)
        return profiles[i];
  return v;
}

/* Sets the IHW_RULE_REQUEST_EQ keys `req` leaves out: to the value the row
 * needs, or to QEMU's own default for the request's QEMU. */
static void
fill_required_keys (IhwModel model, guint qemu, IhwRequest *req, gboolean qemu_default)
{
  guint n_rules;
  const IhwRule *rules = ihw_rules (&n_rules);
  guint v = ihw_request_qemu (req, qemu);

  for (guint i = 0; i < n_rules; i++)
    if (rules[i].kind == IHW_RULE_REQUEST_EQ && ihw_rule_applies (&rules[i], model, v)
        && !ihw_request_get (req, rules[i].key, NULL))
      {
        const IhwQemuProperty *p = qemu_default ? ihw_qemu_property (model, v, rules[i].key) : NULL;
        if (!qemu_default)
          ihw_request_set (req, rules[i].key, rules[i].value);
        else if (p && p->has_default && !p->auto_field)
          ihw_request_set (req, rules[i].key, p->default_value);
      }
}

void
ihw_request_fill_required (IhwModel model, guint qemu, IhwRequest *req)
{
  fill_required_keys (model, qemu, req, FALSE);
}

void
ihw_request_fill_qemu_defaults (IhwModel model, guint qemu, IhwRequest *req)
{
  fill_required_keys (model, qemu, req, TRUE);
}

/* --- the engine ------------------------------------------------------------ */

static void
add_note_once (IhwResult *r, const char *device, const char *text)
{
  g_autofree char *note = device && *device ? g_strdup_printf ("%s: %s", device, text) : g_strdup (text);
  for (guint i = 0; i < r->notes->len; i++)
    if (strcmp (r->notes->pdata[i], note) == 0)
      return;
  g_ptr_array_add (r->notes, g_steal_pointer (&note));
}

/* "cap.MGAW" for a field key, or the key itself. */
static char *
field_name (const IhwFeatures *f, const char *key)
{
  const IhwFieldDef *def = f ? ihw_features_field (f, key) : NULL;
  if (def)
    return g_strdup_printf ("%s.%s", f->desc->regs[def->reg].name, def->mnemonic);
  return g_strdup (key);
}

static char *
rule_requirement (const IhwRule *rule, const IhwFeatures *f)
{
  if (rule->requirement)
    return g_strdup (rule->requirement);
  if (rule->key && (rule->kind == IHW_RULE_REQUEST_LE_FIELD || rule->kind == IHW_RULE_REQUEST_IMPLIES_FIELD ||
                    rule->kind == IHW_RULE_REQUEST_IN_LIST || rule->kind == IHW_RULE_REQUEST_RANGE ||
                    rule->kind == IHW_RULE_REQUEST_EQ || rule->kind == IHW_RULE_REQUEST_LE_FACT))
    return g_strdup_printf ("request.%s", rule->key);
  return field_name (f, rule->field);
}

/* A numeric view of a field: bools 0/1, numbers, a list by its largest entry. */
static gboolean
value_number (const IhwValue *v, guint64 *out)
{
  switch (v->type)
    {
    case IHW_VALUE_BOOL:
    case IHW_VALUE_UINT:
      *out = v->u;
      return TRUE;
    case IHW_VALUE_LIST:
      *out = 0;
      for (guint i = 0; i < v->u; i++)
        *out = MAX (*out, v->list[i]);
      return TRUE;
    default:
      return FALSE;
    }
}

/* Booleans are shown as the bit value, like the register. */
static char *
value_found (const IhwValue *v)
{
  if (v->type == IHW_VALUE_BOOL)
    return g_strdup (v->u ? "1" : "0");
  if (v->type == IHW_VALUE_ABSENT)
    return g_strdup ("unknown");
  return ihw_value_to_string (v);
}

static char *
key_value_string (const char *key, guint64 v)
{
  if (ihw_request_key_type (key) == 'b')
    return g_strdup (v ? "on" : "off");
  return g_strdup_printf ("%" G_GUINT64_FORMAT, v);
}

/* The device rows of one check, found once rather than per device, with
 * the register field each reads for the vendor `desc` (looked up by name
 * once per vendor, not per device). */
typedef struct {
  const IhwRule **rows;
  guint n;
  const IhwVendorDesc *desc;
  const IhwFieldDef **fields;
} DeviceRows;

typedef struct {
  IhwResult *res;
  DeviceRows *rows;
  IhwModel model;
  guint qemu;
  const IhwRequest *req;
  gboolean host_only;   /* ihw_check_host(): host rows only */
  gboolean nesting;     /* the request's `nesting` (default on): which rows are in scope */
  const IhwDeviceFacts *devices;
  guint n_devices;
} CheckCtx;

/* A key at QEMU's `auto` default takes the value of `field` on the first
 * cold-plugged device's host IOMMU (QEMU resolves it from there); FALSE
 * when that device's registers are not known. */
static gboolean
resolve_auto (const CheckCtx *ctx, const char *field, guint64 *out, const char **from)
{
  IhwVendor want = ihw_model_vendor (ctx->model);
  const IhwDeviceFacts *first = ctx->n_devices ? &ctx->devices[0] : NULL;
  IhwValue v;

  if (!first || !first->features || !first->features->desc || first->features->desc->vendor != want
      || !ihw_features_get (first->features, field, &v) || !value_number (&v, out))
    return FALSE;
  *from = first->device;
  return TRUE;
}

/* The value a request key has for this check: the request's, else QEMU's
 * default for it (QEMU checks its defaults too).  `why_default`, when not
 * NULL, gets a sentence when the default was used: only reasons need it,
 * and most rows pass. */
static gboolean
effective_value (const CheckCtx *ctx, const char *key, guint64 *out, char **why_default)
{
  const IhwQemuProperty *p;
  const char *from = NULL;

  if (why_default)
    *why_default = NULL;
  if (ihw_request_get (ctx->req, key, out))
    return TRUE;
  p = ihw_qemu_property (ctx->model, ctx->qemu, key);
  if (!p || !p->has_default)
    return FALSE;
  if (p->auto_field && !resolve_auto (ctx, p->auto_field, out, &from))
    return FALSE;
  if (!p->auto_field)
    *out = p->default_value;
  if (why_default)
    {
      g_autofree char *q = ihw_qemu_version_string (ctx->qemu);
      g_autofree char *v = key_value_string (key, *out);
      *why_default = p->auto_field
                       ? g_strdup_printf (" (%s=auto, QEMU %s's default, resolves to %s from %s's host IOMMU)", key,
                                          q, v, from)
                       : g_strdup_printf (" (%s=%s is QEMU %s's default)", key, v, q);
    }
  return TRUE;
}

static void
fail (const CheckCtx *ctx, IhwVerdict severity, const char *device, const char *requirement, const char *needed,
      const char *found, const char *why, const char *why_suffix)
{
  g_autofree char *text = g_strconcat (why, why_suffix ? why_suffix : "", NULL);
  ihw_result_add_reason (ctx->res, severity, device, requirement, needed, found, text);
}

/* Rows about the model or the QEMU version as a whole: once per check. */
/* What a REQUEST_RANGE / REQUEST_IN_LIST row needs, as its reasons say it:
 * "0..20", "39|48". */
static char *
model_row_needed (const IhwRule *rule)
{
  GString *needed = g_string_new (NULL);

  if (rule->kind == IHW_RULE_REQUEST_RANGE)
    g_string_printf (needed, "%" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT, rule->value, rule->value2);
  else
    for (guint i = 0; i < IHW_RULE_LIST_MAX && rule->list[i]; i++)
      g_string_append_printf (needed, "%s%u", i ? "|" : "", rule->list[i]);
  return g_string_free (needed, FALSE);
}

static void
check_model_row (const CheckCtx *ctx, const IhwRule *rule)
{
  g_autofree char *req = rule_requirement (rule, NULL);
  g_autofree char *qv = ihw_qemu_version_string (ctx->qemu);

  switch (rule->kind)
    {
    case IHW_RULE_MODEL_NEVER:
      fail (ctx, IHW_VERDICT_UNSUPPORTED, "", req, "nested mode", "none", rule->why, NULL);
      break;

    case IHW_RULE_QEMU_NEVER:
      {
        g_autofree char *found = g_strdup_printf ("QEMU %s", qv);
        g_autofree char *needed = NULL;
        const IhwRequestKeyDef *key = rule->if_given ? ihw_request_key_def (rule->if_given) : NULL;

        if (rule->if_given && !ihw_request_get (ctx->req, rule->if_given, NULL))
          break;
        needed = key ? g_strdup_printf ("a %s property", key->qemu_property ? key->qemu_property : key->name)
                     : g_strdup ("nested mode");
        fail (ctx, IHW_VERDICT_UNSUPPORTED, "", req, needed, found, rule->why, NULL);
        break;
      }

    case IHW_RULE_REQUEST_IN_LIST:
    case IHW_RULE_REQUEST_RANGE:
      {
        guint64 v;
        g_autofree char *why_default = NULL;
        g_autofree char *needed = NULL;
        gboolean ok = FALSE;

        const IhwQemuProperty *p = ihw_qemu_property (ctx->model, ctx->qemu, rule->key);

        /* The values QEMU accepts on its command line; `auto` is QEMU's
         * own resolution from the host, not a value typed there. */
        if (p && p->auto_field && !ihw_request_get (ctx->req, rule->key, NULL))
          break;
        if (!effective_value (ctx, rule->key, &v, NULL))
          break;
        if (rule->kind == IHW_RULE_REQUEST_RANGE)
          ok = v >= rule->value && v <= rule->value2;
        else
          for (guint i = 0; i < IHW_RULE_LIST_MAX && rule->list[i]; i++)
            ok |= v == rule->list[i];
        if (!ok)
          {
            g_autofree char *found = key_value_string (rule->key, v);
            needed = model_row_needed (rule);
            effective_value (ctx, rule->key, &v, &why_default);
            fail (ctx, IHW_VERDICT_UNSUPPORTED, "", req, needed, found, rule->why, why_default);
          }
        break;
      }

    case IHW_RULE_AUTO_NEEDS_DEVICE:
      {
        gboolean uses_auto = FALSE;
        for (const char *const *k = ihw_request_keys (); *k; k++)
          {
            const IhwQemuProperty *p = ihw_qemu_property (ctx->model, ctx->qemu, *k);
            uses_auto |= p && p->auto_field && !ihw_request_get (ctx->req, *k, NULL);
          }
        if (uses_auto && ctx->n_devices == 0)
          fail (ctx, IHW_VERDICT_UNSUPPORTED, "", req, "a cold-plugged vfio-pci device", "none", rule->why, NULL);
        break;
      }

    default:
      g_warn_if_reached ();
    }
}

static void
check_device_row (const CheckCtx *ctx, const IhwRule *rule, const IhwFieldDef *field, const IhwDeviceFacts *dev,
                  gboolean have_regs)
{
  const IhwFeatures *f = dev->features;
  g_autofree char *req = NULL;
  IhwValue v = { 0 };
  gboolean known = FALSE;

  /* Rows that do not read registers. */
  switch (rule->kind)
    {
    case IHW_RULE_KERNEL_NEST_PARENT:
      if (dev->nest_parent == IHW_NEST_PARENT_NO)
        fail (ctx, IHW_VERDICT_UNSUPPORTED, dev->device, rule->requirement, "yes", "no", rule->why, NULL);
      return;

    case IHW_RULE_FACT_EQ:
      {
        guint64 on = 0;
        if (rule->if_request && (!effective_value (ctx, rule->if_request, &on, NULL) || !on))
          return;
        IhwTristate t = IHW_TRISTATE_UNKNOWN;
        if (!ihw_device_fact (dev, rule->key, &t))
          g_warn_if_reached ();
        if (t == (IhwTristate) rule->value)
          return;
        if (t == IHW_TRISTATE_UNKNOWN)
          {
            g_autofree char *note = g_strdup_printf ("could not check %s (no data): %s", rule->requirement, rule->why);
            add_note_once (ctx->res, dev->device, note);
            return;
          }
        fail (ctx, IHW_VERDICT_UNSUPPORTED, dev->device, rule->requirement,
              ihw_tristate_name ((IhwTristate) rule->value), ihw_tristate_name (t), rule->why, NULL);
        return;
      }

    case IHW_RULE_REQUEST_LE_FACT:
      {
        guint64 want;
        guint have = 0;
        const char *from = NULL, *label = NULL;
        g_autofree char *why_default = NULL;
        g_autofree char *needed = NULL;
        g_autofree char *found = NULL;

        if (!effective_value (ctx, rule->key, &want, NULL))
          return;
        if (!ihw_device_number_fact (dev, rule->field, &have, &from, &label))
          g_warn_if_reached ();
        if (have && want <= have)
          return;
        /* Without the fact, the rows that read registers say it: in nested
         * mode once (iommu.registers), for an emulated vIOMMU each. */
        if (!have && !have_regs && (ctx->nesting || dev->no_iommu))
          return;
        effective_value (ctx, rule->key, &want, &why_default); /* only for a reason: it formats */
        req = rule_requirement (rule, NULL);
        needed = g_strdup_printf ("%s >= %" G_GUINT64_FORMAT, label, want);
        if (!have)
          found = g_strdup (have_regs ? "unknown" : dev->no_features_reason ? dev->no_features_reason : "unknown");
        else
          found = g_strdup_printf ("%u (%s)", have, from ? from : "unknown source");
        fail (ctx, have ? IHW_VERDICT_UNSUPPORTED : IHW_VERDICT_UNKNOWN, dev->device, req, needed, found, rule->why,
              why_default);
        return;
      }

    case IHW_RULE_REQUEST_EQ:
      {
        guint64 want;
        g_autofree char *why_default = NULL;
        g_autofree char *needed = NULL;
        g_autofree char *found = NULL;
        if (!effective_value (ctx, rule->key, &want, NULL) || want == rule->value)
          return;
        effective_value (ctx, rule->key, &want, &why_default); /* only for a reason: it formats */
        req = rule_requirement (rule, NULL);
        needed = key_value_string (rule->key, rule->value);
        found = key_value_string (rule->key, want);
        fail (ctx, IHW_VERDICT_UNSUPPORTED, dev->device, req, needed, found, rule->why, why_default);
        return;
      }

    case IHW_RULE_NOTE_IF_HW_FLAG:
      if (have_regs && f->has_hw_info_flags && (f->hw_info_flags & rule->value))
        add_note_once (ctx->res, dev->device, rule->why);
      return;

    default:
      break;
    }

  /* Every other device row reads a register field.  Without them the
   * nesting check has said so once (iommu.registers); an emulated
   * vIOMMU's rows are each unknown.  Rows that pass format nothing: the
   * requirement, needed and found texts are built only for a reason (most
   * rows pass, and a check runs on every domain start). */
  if (!have_regs)
    {
      if (!ctx->nesting && !dev->no_iommu)
        {
          g_autofree char *what = rule_requirement (rule, NULL);
          fail (ctx, IHW_VERDICT_UNKNOWN, dev->device, what, "known host registers",
                dev->no_features_reason ? dev->no_features_reason : "unknown", rule->why, NULL);
        }
      return;
    }
  if (field)
    v = ihw_field_value (f, field);
  known = v.type != IHW_VALUE_ABSENT;

  switch (rule->kind)
    {
    case IHW_RULE_FIELD_EQ:
    case IHW_RULE_NOTE_UNLESS_FIELD:
    case IHW_RULE_FIELD_OR_FACT:
      {
        guint64 n;
        g_autofree char *needed = NULL;
        g_autofree char *found = NULL;

        if (known && value_number (&v, &n) && n == rule->value)
          return;
        if (known && rule->kind == IHW_RULE_NOTE_UNLESS_FIELD)
          {
            add_note_once (ctx->res, dev->device, rule->why);
            return;
          }
        if (known && rule->kind == IHW_RULE_FIELD_OR_FACT)
          {
            IhwTristate t = IHW_TRISTATE_UNKNOWN;
            if (!ihw_device_fact (dev, rule->key, &t))
              g_warn_if_reached ();
            if (t == IHW_TRISTATE_YES)
              return;
            if (t == IHW_TRISTATE_UNKNOWN)
              {
                add_note_once (ctx->res, dev->device, rule->why);
                return;
              }
            needed = g_strdup_printf ("%" G_GUINT64_FORMAT " or %s=yes", rule->value, rule->key);
          }
        if (!known && rule->kind == IHW_RULE_NOTE_UNLESS_FIELD)
          return;
        if (!needed)
          needed = g_strdup_printf ("%" G_GUINT64_FORMAT, rule->value);
        req = rule_requirement (rule, f);
        if (!known)
          fail (ctx, IHW_VERDICT_UNKNOWN, dev->device, req, needed, "unknown", rule->why, NULL);
        else
          {
            found = value_found (&v);
            fail (ctx, IHW_VERDICT_UNSUPPORTED, dev->device, req, needed, found, rule->why, NULL);
          }
        return;
      }

    case IHW_RULE_FIELD_GE:
      {
        guint64 n;
        g_autofree char *needed = NULL;
        g_autofree char *found = NULL;

        if (known && value_number (&v, &n) && n >= rule->value)
          return;
        needed = g_strdup_printf (">= %" G_GUINT64_FORMAT, rule->value);
        found = known ? value_found (&v) : g_strdup ("unknown");
        req = rule_requirement (rule, f);
        fail (ctx, known ? IHW_VERDICT_UNSUPPORTED : IHW_VERDICT_UNKNOWN, dev->device, req, needed, found, rule->why,
              NULL);
        return;
      }

    case IHW_RULE_ENUM_IN:
      {
        g_autoptr (GString) needed = NULL;
        g_autofree char *found = NULL;
        gboolean ok = FALSE;

        for (guint i = 0; i < IHW_RULE_LIST_MAX && rule->names[i]; i++)
          ok |= v.type == IHW_VALUE_STRING && g_strcmp0 (v.s, rule->names[i]) == 0;
        if (known && ok)
          return;
        needed = g_string_new (NULL);
        for (guint i = 0; i < IHW_RULE_LIST_MAX && rule->names[i]; i++)
          g_string_append_printf (needed, "%s%s", i ? "|" : "", rule->names[i]);
        found = known ? value_found (&v) : g_strdup ("unknown");
        req = rule_requirement (rule, f);
        fail (ctx, known ? IHW_VERDICT_UNSUPPORTED : IHW_VERDICT_UNKNOWN, dev->device, req, needed->str, found,
              rule->why, NULL);
        return;
      }

    case IHW_RULE_REQUEST_LE_FIELD:
    case IHW_RULE_REQUEST_IMPLIES_FIELD:
      {
        guint64 want, n = 0, need;
        g_autofree char *why_default = NULL;
        g_autofree char *fname = NULL;
        g_autofree char *needed = NULL;
        g_autofree char *found = NULL;

        if (!effective_value (ctx, rule->key, &want, NULL))
          return;                       /* not asked for, no QEMU default */
        if (rule->kind == IHW_RULE_REQUEST_IMPLIES_FIELD)
          {
            if (want <= rule->value)
              return;                   /* the condition does not hold */
            need = rule->value2;
          }
        else
          need = want;
        if (known && value_number (&v, &n) && n >= need)
          return;
        effective_value (ctx, rule->key, &want, &why_default);
        fname = field_name (f, rule->field);
        needed = g_strdup_printf (v.type == IHW_VALUE_BOOL ? "%s = %" G_GUINT64_FORMAT : "%s >= %" G_GUINT64_FORMAT,
                                  fname, need);
        found = known ? value_found (&v) : g_strdup ("unknown");
        req = rule_requirement (rule, f);
        fail (ctx, known ? IHW_VERDICT_UNSUPPORTED : IHW_VERDICT_UNKNOWN, dev->device, req, needed, found, rule->why,
              why_default);
        return;
      }

    default:
      g_warn_if_reached ();
    }
}

/* One device against the model's device rows. */
static void
check_device (const CheckCtx *ctx, const IhwDeviceFacts *dev)
{
  const IhwFeatures *f = dev->features;
  IhwVendor want = ihw_model_vendor (ctx->model);
  gboolean have_regs = f && f->desc;
  DeviceRows *dr = ctx->rows;

  if (dev->no_iommu)
    {
      ihw_result_add_reason (ctx->res, IHW_VERDICT_UNSUPPORTED, dev->device, "iommu",
                             want != IHW_VENDOR_UNKNOWN ? ihw_vendor_name (want) : "an IOMMU", "none",
                             "the device is not behind any IOMMU: it cannot be assigned with DMA isolation, "
                             "let alone nested translation");
      return;
    }

  if (want != IHW_VENDOR_UNKNOWN && !ctx->nesting)
    /* An emulated vIOMMU runs on any host IOMMU: registers of another
     * vendor say nothing about the rows QEMU applies. */
    have_regs = have_regs && f->desc->vendor == want;
  else if (want != IHW_VENDOR_UNKNOWN)
    {
      if (!have_regs)
        ihw_result_add_reason (ctx->res, IHW_VERDICT_UNKNOWN, dev->device, "iommu.registers", ihw_vendor_name (want),
                               dev->no_features_reason ? dev->no_features_reason : "unknown",
                               "no capability registers are known for this device's IOMMU");
      else if (f->desc->vendor != want)
        {
          g_autofree char *why = g_strdup_printf ("the %s vIOMMU nests only on an %s host IOMMU, this device is behind %s",
                                                  ihw_model_name (ctx->model), ihw_vendor_desc (want)->title,
                                                  f->desc->title);
          ihw_result_add_reason (ctx->res, IHW_VERDICT_UNSUPPORTED, dev->device, "iommu.vendor",
                                 ihw_vendor_name (want), f->desc->name, why);
          return;
        }
    }

  if (have_regs && f->desc != dr->desc)
    {
      dr->desc = f->desc;
      for (guint i = 0; i < dr->n; i++)
        dr->fields[i] = ihw_features_field (f, dr->rows[i]->field);
    }
  for (guint i = 0; i < dr->n; i++)
    check_device_row (ctx, dr->rows[i], have_regs ? dr->fields[i] : NULL, dev, have_regs);
}

/* The rows check_device() applies in this context. */
static void
device_rows_init (CheckCtx *ctx, DeviceRows *dr)
{
  guint n_rules;
  const IhwRule *rules = ihw_rules (&n_rules);

  memset (dr, 0, sizeof *dr);
  dr->rows = g_new (const IhwRule *, n_rules);
  dr->fields = g_new0 (const IhwFieldDef *, n_rules);
  for (guint i = 0; i < n_rules; i++)
    if (ihw_rule_applies (&rules[i], ctx->model, ctx->qemu) && !ihw_rule_is_model_level (&rules[i])
        && ihw_rule_in_scope (&rules[i], ctx->nesting) && (!ctx->host_only || ihw_rule_is_host (&rules[i])))
      dr->rows[dr->n++] = &rules[i];
  ctx->rows = dr;
}

static void
device_rows_clear (DeviceRows *dr)
{
  g_free (dr->rows);
  g_free (dr->fields);
}

/* Request keys that no row or property of the model uses are ignored,
 * with a note (e.g. oas for intel). */
static void
note_unused_request_keys (const CheckCtx *ctx)
{
  guint n_rules;
  const IhwRule *rules = ihw_rules (&n_rules);

  for (const char *const *k = ihw_request_keys (); *k; k++)
    {
      gboolean used = ihw_qemu_property (ctx->model, ctx->qemu, *k) != NULL;
      if (!ihw_request_get (ctx->req, *k, NULL) || strcmp (*k, "nesting") == 0)
        continue;
      for (guint i = 0; i < n_rules && !used; i++)
        used = rules[i].model == ctx->model && g_strcmp0 (rules[i].key, *k) == 0;
      if (!used)
        {
          g_autofree char *note = g_strdup_printf ("request key %s does not apply to the %s model; ignored", *k,
                                                   ihw_model_name (ctx->model));
          add_note_once (ctx->res, "", note);
        }
    }
}

IhwResult *
ihw_check_nesting_full (IhwModel model, const IhwDeviceFacts *devices, guint n_devices, const IhwRequest *req,
                        guint default_qemu)
{
  IhwRequest none = { 0 };
  guint64 nesting = 1;
  CheckCtx ctx = {
    .res = ihw_result_new (),
    .model = model,
    .qemu = ihw_request_qemu (req, default_qemu),
    .req = req ? req : &none,
    .devices = devices,
    .n_devices = n_devices,
  };
  guint n_rules;
  const IhwRule *rules = ihw_rules (&n_rules);
  guint newest = ihw_qemu_newest ();
  DeviceRows dr;

  if (ctx.qemu > newest)
    {
      g_autofree char *q = ihw_qemu_version_string (ctx.qemu);
      g_autofree char *newest_text = ihw_qemu_version_string (newest);
      g_autofree char *note = g_strdup_printf ("QEMU %s is newer than the newest profile (%s); its rules are used", q,
                                               newest_text);
      add_note_once (ctx.res, "", note);
    }
  note_unused_request_keys (&ctx);
  if (ihw_request_has (req, IHW_REQUEST_QEMU_VERSION) && req->value[IHW_REQUEST_QEMU_VERSION] != ctx.qemu
      && ctx.qemu < newest)
    {
      g_autofree char *asked = ihw_qemu_version_string ((guint) req->value[IHW_REQUEST_QEMU_VERSION]);
      g_autofree char *used = ihw_qemu_version_string (ctx.qemu);
      g_autofree char *note = g_strdup_printf ("QEMU %s is not a release the tables describe; judged as QEMU %s",
                                               asked, used);
      add_note_once (ctx.res, "", note);
    }

  ihw_request_get (ctx.req, "nesting", &nesting);
  ctx.nesting = nesting != 0;
  for (guint i = 0; i < n_rules; i++)
    if (ihw_rule_applies (&rules[i], model, ctx.qemu) && ihw_rule_is_model_level (&rules[i])
        && ihw_rule_in_scope (&rules[i], ctx.nesting))
      check_model_row (&ctx, &rules[i]);

  device_rows_init (&ctx, &dr);
  for (guint i = 0; i < n_devices; i++)
    check_device (&ctx, &devices[i]);
  device_rows_clear (&dr);
  return ctx.res;
}

void
ihw_check_device_verdicts (IhwModel model, const IhwDeviceFacts *first, const IhwDeviceFacts *devices,
                           guint n_devices, const IhwRequest *req, IhwVerdict *verdicts)
{
  IhwRequest none = { 0 };
  guint64 nesting = 1;
  DeviceRows dr;
  CheckCtx ctx = {
    .model = model,
    .qemu = ihw_request_qemu (req, 0),
    .req = req ? req : &none,
    .devices = first,
    .n_devices = 1,
  };

  ihw_request_get (ctx.req, "nesting", &nesting);
  ctx.nesting = nesting != 0;
  device_rows_init (&ctx, &dr);
  for (guint i = 0; i < n_devices; i++)
    {
      ctx.res = ihw_result_new ();
      check_device (&ctx, &devices[i]);
      verdicts[i] = ctx.res->verdict;
      ihw_result_free (ctx.res);
    }
  device_rows_clear (&dr);
}

IhwResult *
ihw_check_nesting (IhwModel model, const IhwDeviceFacts *devices, guint n_devices, const IhwRequest *req)
{
  return ihw_check_nesting_full (model, devices, n_devices, req, 0);
}

IhwResult *
ihw_check_host (IhwModel model, const IhwDeviceFacts *devices, guint n_devices)
{
  IhwRequest none = { 0 };
  CheckCtx ctx = {
    .res = ihw_result_new (),
    .model = model,
    .qemu = ihw_qemu_newest (),
    .req = &none,
    .host_only = TRUE,
    .nesting = TRUE,
    .devices = devices,
    .n_devices = n_devices,
  };
  DeviceRows dr;

  device_rows_init (&ctx, &dr);
  for (guint i = 0; i < n_devices; i++)
    check_device (&ctx, &devices[i]);
  device_rows_clear (&dr);
  return ctx.res;
}

/* The table row behind a reason, named the way the engine names it.
 * Several rows can share a name (request.aw-bits against MGAW and against
 * SAGAW): the one whose register field or list the `needed` text names
 * wins, else the first. */
static const IhwRule *
find_row (IhwModel model, const char *requirement, const char *needed, const char *found)
{
  IhwFeatures f;
  guint n_rules;
  const IhwRule *rules = ihw_rules (&n_rules);
  const IhwRule *first = NULL;
  guint qemu = 0;

  /* A QEMU row's `found` names the version ("QEMU 10.0"): the row whose
   * range holds it. */
  if (found && g_str_has_prefix (found, "QEMU "))
    ihw_qemu_version_from_text (found + strlen ("QEMU "), &qemu, NULL);

  ihw_features_init (&f, ihw_model_vendor (model));
  for (guint i = 0; i < n_rules; i++)
    {
      g_autofree char *name = NULL;
      if (rules[i].model != model || !rules[i].why)
        continue;
      name = rule_requirement (&rules[i], &f);
      if (g_strcmp0 (name, requirement) != 0)
        continue;
      if (qemu && rules[i].kind == IHW_RULE_QEMU_NEVER && !ihw_rule_applies (&rules[i], model, ihw_request_qemu (NULL, qemu)))
        continue;
      if (needed && (rules[i].kind == IHW_RULE_REQUEST_RANGE || rules[i].kind == IHW_RULE_REQUEST_IN_LIST))
        {
          g_autofree char *own = model_row_needed (&rules[i]);
          if (strcmp (own, needed) == 0)
            return &rules[i];
          continue;
        }
      if (rules[i].kind == IHW_RULE_REQUEST_LE_FACT && needed)
        {
          const char *label = NULL;
          if (ihw_device_number_fact (NULL, rules[i].field, NULL, NULL, &label) && g_str_has_prefix (needed, label))
            return &rules[i];
          continue;
        }
      if (rules[i].field && needed)
        {
          g_autofree char *field = field_name (&f, rules[i].field);
          if (strstr (needed, field))
            return &rules[i];
        }
      if (!first)
        first = &rules[i];
    }
  return first;
}

char *
ihw_requirement_why (IhwModel model, const char *requirement, const char *needed, const char *found)
{
  const IhwRule *row;

  if (!requirement)
    return NULL;
  /* The engine's own reasons that are not table rows (check_device()). */
  if (strcmp (requirement, "iommu") == 0)
    return g_strdup ("the device is not behind any IOMMU: it cannot be assigned with DMA isolation, "
                     "let alone nested translation");
  if (strcmp (requirement, "iommu.registers") == 0)
    return g_strdup ("no capability registers are known for this device's IOMMU");
  if (strcmp (requirement, "iommu.vendor") == 0)
    {
      const IhwVendorDesc *want = ihw_vendor_desc_by_name (needed);
      const IhwVendorDesc *have = ihw_vendor_desc_by_name (found);
      if (want && have)
        return g_strdup_printf ("the %s vIOMMU nests only on an %s host IOMMU, this device is behind %s",
                                ihw_model_name (model), want->title, have->title);
      return g_strdup ("no capability registers are known for this device's IOMMU");
    }
  row = find_row (model, requirement, needed, found);
  return ihw_reason_why (found, row ? row->why : NULL);
}

char *
ihw_reason_fix (IhwModel model, const IhwReason *r)
{
  if (model >= IHW_MODEL_LAST || g_strcmp0 (r->found, "unknown") == 0)
    return NULL;
  return ihw_requirement_fix (model, r->requirement, r->needed, r->found);
}

char *
ihw_requirement_fix (IhwModel model, const char *requirement, const char *needed, const char *found)
{
  const IhwRule *row;
  const IhwRequestKeyDef *key;

  if (!requirement)
    return NULL;
  if (strcmp (requirement, "iommu") == 0)
    return g_strdup ("assign a device that is behind an IOMMU");
  if (strcmp (requirement, "iommu.vendor") == 0)
    {
      const IhwVendorDesc *want = ihw_vendor_desc_by_name (needed);
      return g_strdup_printf ("assign a device behind an %s IOMMU, or use the vIOMMU model of this host's IOMMU",
                              want ? want->title : needed);
    }
  if (strcmp (requirement, "iommu.registers") == 0)
    {
      const IhwVendorDesc *want = ihw_vendor_desc_by_name (needed);
      if (want && want->registers_need_iommufd)
        return g_strdup ("bind the device to vfio-pci on a kernel with iommufd (/dev/iommu): its registers are "
                         "read through iommufd only; 'iommu-hwinfoctl list' shows what the daemon sees");
      return g_strdup ("see 'iommu-hwinfoctl list' for what iommu-hwinfod knows about this device");
    }
  row = find_row (model, requirement, needed, found);
  if (!row)
    return NULL;
  if (row->fix)
    return g_strdup (row->fix);
  key = row->key ? ihw_request_key_def (row->key) : NULL;
  switch (row->kind)
    {
    case IHW_RULE_REQUEST_LE_FIELD:
      return g_strdup_printf ("set %s=%s or less", key && key->qemu_property ? key->qemu_property : row->key, found);
    case IHW_RULE_REQUEST_IMPLIES_FIELD:
      return g_strdup_printf ("set %s=%s", key && key->qemu_property ? key->qemu_property : row->key,
                              ihw_request_key_type (row->key) == 'b' ? "off" : "a smaller value");
    case IHW_RULE_REQUEST_IN_LIST:
    case IHW_RULE_REQUEST_RANGE:
      return g_strdup_printf ("set %s to %s", key && key->qemu_property ? key->qemu_property : row->key, needed);
    default:
      return g_strdup ("assign a device behind a different IOMMU ('iommu-hwinfoctl list' shows which can nest)");
    }
}
