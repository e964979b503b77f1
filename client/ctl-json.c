/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ctl-json.h"

static char *
reg_hex (guint64 v)
{
  return g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", v);
}

void
ctl_json_add_features (JsonBuilder *b, const IhwFeatures *f)
{
  const IhwVendorDesc *d = f->desc;

  json_builder_set_member_name (b, "vendor");
  json_builder_add_string_value (b, d ? d->name : "unknown");

  json_builder_set_member_name (b, "registers");
  json_builder_begin_object (b);
  for (guint i = 0; d && i < d->n_regs; i++)
    if (ihw_features_has_reg (f, i))
      {
        g_autofree char *hex = reg_hex (f->regs[i]);
        json_builder_set_member_name (b, d->regs[i].name);
        json_builder_add_string_value (b, hex);
      }
  json_builder_end_object (b);

  json_builder_set_member_name (b, "features");
  json_builder_begin_object (b);
  for (guint i = 0; d && i < d->n_fields; i++)
    {
      const IhwFieldDef *def = &d->fields[i];
      IhwValue v = ihw_field_value (f, def);

      if (v.type == IHW_VALUE_ABSENT)
        continue; /* its register was not given: say nothing rather than guess */
      json_builder_set_member_name (b, def->key);
      switch (v.type)
        {
        case IHW_VALUE_BOOL:
          json_builder_add_boolean_value (b, v.u != 0);
          break;
        case IHW_VALUE_UINT:
          json_builder_add_int_value (b, (gint64) v.u);
          break;
        case IHW_VALUE_STRING:
          json_builder_add_string_value (b, v.s);
          break;
        case IHW_VALUE_LIST:
          json_builder_begin_array (b);
          for (guint j = 0; j < v.u; j++)
            json_builder_add_int_value (b, v.list[j]);
          json_builder_end_array (b);
          break;
        default:
          json_builder_add_null_value (b);
        }
    }
  json_builder_end_object (b);

  /* Bits the tables do not describe, per register, raw: never dropped. */
  json_builder_set_member_name (b, "unknown_bits");
  json_builder_begin_object (b);
  for (guint i = 0; d && i < d->n_regs; i++)
    if (ihw_features_has_reg (f, i))
      {
        g_autofree char *hex = reg_hex (ihw_features_unknown_bits (f, i));
        json_builder_set_member_name (b, d->regs[i].name);
        json_builder_add_string_value (b, hex);
      }
  json_builder_end_object (b);

  if (f->has_hw_info_flags)
    {
      json_builder_set_member_name (b, "hw_info_flags");
      json_builder_add_int_value (b, f->hw_info_flags);
    }
}

void
ctl_json_add_reasons (JsonBuilder *b, IhwModel model, const GPtrArray *reasons, gboolean omit_empty_device)
{
  json_builder_set_member_name (b, "reasons");
  json_builder_begin_array (b);
  for (guint i = 0; i < reasons->len; i++)
    {
      const IhwReason *reason = reasons->pdata[i];
      json_builder_begin_object (b);
      if (!omit_empty_device || (reason->device && *reason->device))
        {
          json_builder_set_member_name (b, "device");
          json_builder_add_string_value (b, reason->device);
        }
      json_builder_set_member_name (b, "requirement");
      json_builder_add_string_value (b, reason->requirement);
      json_builder_set_member_name (b, "needed");
      json_builder_add_string_value (b, reason->needed);
      json_builder_set_member_name (b, "found");
      json_builder_add_string_value (b, reason->found);
      if (reason->why)
        {
          json_builder_set_member_name (b, "why");
          json_builder_add_string_value (b, reason->why);
        }
      {
        g_autofree char *fix = ihw_reason_fix (model, reason);
        json_builder_set_member_name (b, "fix");
        if (fix)
          json_builder_add_string_value (b, fix);
        else
          json_builder_add_null_value (b);
      }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

void
ctl_json_add_result (JsonBuilder *b, IhwModel model, const IhwResult *r)
{
  json_builder_set_member_name (b, "verdict");
  json_builder_add_string_value (b, ihw_verdict_name (r->verdict));
  ctl_json_add_reasons (b, model, r->reasons, TRUE);
  json_builder_set_member_name (b, "notes");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->notes->len; i++)
    json_builder_add_string_value (b, r->notes->pdata[i]);
  json_builder_end_array (b);
}

JsonNode *
ctl_json_decode (const IhwFeatures *f, const IhwModel *models, IhwResult *const *results, guint n_models)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  ctl_json_add_features (b, f);
  json_builder_set_member_name (b, "nesting");
  json_builder_begin_object (b);
  for (guint i = 0; i < n_models; i++)
    {
      json_builder_set_member_name (b, ihw_model_name (models[i]));
      json_builder_begin_object (b);
      ctl_json_add_result (b, models[i], results[i]);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

char *
ctl_json_to_string (JsonNode *node, gboolean pretty)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autofree char *s = NULL;

  json_generator_set_pretty (gen, pretty);
  json_generator_set_indent (gen, 2);
  json_generator_set_root (gen, node);
  s = json_generator_to_data (gen, NULL);
  return g_strconcat (s, "\n", NULL);
}
