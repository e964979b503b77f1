/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-verdict.h"

#include <stdlib.h>
#include <string.h>

#include "ihw-error.h"
#include "ihw-rules.h"

static const char *const verdict_names[] = { "supported", "unsupported", "unknown" };

const char *
ihw_verdict_name (IhwVerdict v)
{
  return (guint) v < G_N_ELEMENTS (verdict_names) ? verdict_names[v] : "unknown";
}

int
ihw_verdict_exit_code (IhwVerdict v)
{
  switch (v)
    {
    case IHW_VERDICT_SUPPORTED:
      return 0;
    case IHW_VERDICT_UNSUPPORTED:
      return 1;
    default:
      return 2;
    }
}

static const struct {
  const char *name;
  IhwVendor vendor;
} models[IHW_MODEL_LAST] = {
  [IHW_MODEL_INTEL] = { "intel", IHW_VENDOR_INTEL_VTD },
  [IHW_MODEL_SMMUV3] = { "smmuv3", IHW_VENDOR_ARM_SMMUV3 },
  [IHW_MODEL_AMD] = { "amd", IHW_VENDOR_AMD_VI },
  [IHW_MODEL_VIRTIO] = { "virtio", IHW_VENDOR_UNKNOWN },
};

const char *
ihw_model_name (IhwModel m)
{
  return (guint) m < IHW_MODEL_LAST ? models[m].name : NULL;
}

gboolean
ihw_model_from_name (const char *name, IhwModel *out)
{
  for (guint i = 0; i < IHW_MODEL_LAST; i++)
    if (g_strcmp0 (models[i].name, name) == 0)
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

IhwVendor
ihw_model_vendor (IhwModel m)
{
  return (guint) m < IHW_MODEL_LAST ? models[m].vendor : IHW_VENDOR_UNKNOWN;
}

IhwModel
ihw_vendor_model (IhwVendor v)
{
  for (guint i = 0; i < IHW_MODEL_LAST; i++)
    if (v != IHW_VENDOR_UNKNOWN && models[i].vendor == v)
      return i;
  return IHW_MODEL_LAST;
}

const char *
ihw_nest_parent_name (IhwNestParent n)
{
  switch (n)
    {
    case IHW_NEST_PARENT_YES:
      return "yes";
    case IHW_NEST_PARENT_NO:
      return "no";
    default:
      return "unknown";
    }
}

gboolean
ihw_request_set_qemu_version (IhwRequest *req, const char *text, GError **error)
{
  guint64 maj, min = 0;
  char *end;

  if (!text || !g_ascii_isdigit (*text) || strlen (text) > 32)
    goto bad;
  maj = g_ascii_strtoull (text, &end, 10);
  if (*end == '.')
    {
      if (!g_ascii_isdigit (end[1]))
        goto bad;
      min = g_ascii_strtoull (end + 1, &end, 10);
      if (*end == '.')
        {
          if (!g_ascii_isdigit (end[1]))
            goto bad;
          (void) g_ascii_strtoull (end + 1, &end, 10);
        }
    }
  if (*end != '\0' || maj == 0 || maj > 99 || min > 99)
    goto bad;
  req->has_qemu_version = TRUE;
  req->qemu_major = (guint) maj;
  req->qemu_minor = (guint) min;
  return TRUE;

bad:
  g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT,
               "qemu-version '%s' is not a QEMU version like \"10.0\"", text ? text : "");
  return FALSE;
}

static void
reason_free (gpointer p)
{
  IhwReason *r = p;
  g_free (r->device);
  g_free (r->requirement);
  g_free (r->needed);
  g_free (r->found);
  g_free (r->why);
  g_free (r);
}

IhwResult *
ihw_result_new (void)
{
  IhwResult *r = g_new0 (IhwResult, 1);
  r->verdict = IHW_VERDICT_SUPPORTED;
  r->reasons = g_ptr_array_new_with_free_func (reason_free);
  r->notes = g_ptr_array_new_with_free_func (g_free);
  return r;
}

void
ihw_result_free (IhwResult *r)
{
  if (!r)
    return;
  g_ptr_array_unref (r->reasons);
  g_ptr_array_unref (r->notes);
  g_free (r);
}

void
ihw_result_add_reason (IhwResult *r, IhwVerdict severity, const char *device, const char *requirement,
                       const char *needed, const char *found, const char *why)
{
  IhwReason *reason = g_new0 (IhwReason, 1);
  reason->device = g_strdup (device ? device : "");
  reason->requirement = g_strdup (requirement);
  reason->needed = g_strdup (needed);
  reason->found = g_strdup (found);
  reason->why = g_strdup (why);
  g_ptr_array_add (r->reasons, reason);
  /* unsupported beats unknown beats supported */
  if (severity == IHW_VERDICT_UNSUPPORTED || (severity == IHW_VERDICT_UNKNOWN && r->verdict == IHW_VERDICT_SUPPORTED))
    r->verdict = severity;
}

static void
add_note_once (IhwResult *r, const char *device, const char *text)
{
  g_autofree char *note = device && *device ? g_strdup_printf ("%s: %s", device, text) : g_strdup (text);
  for (guint i = 0; i < r->notes->len; i++)
    if (strcmp (r->notes->pdata[i], note) == 0)
      return;
  g_ptr_array_add (r->notes, g_steal_pointer (&note));
}

static char *
rule_requirement (const IhwRule *rule, const IhwFeatures *f)
{
  const IhwFieldDef *def;
  if (rule->requirement)
    return g_strdup (rule->requirement);
  def = f ? ihw_features_field (f, rule->field) : NULL;
  if (def)
    return g_strdup_printf ("%s.%s", f->desc->regs[def->reg].name, def->mnemonic);
  return g_strdup (rule->field);
}

static gboolean
rule_applies (const IhwRule *rule, IhwModel model, guint qemu)
{
  if (rule->model != model)
    return FALSE;
  if (rule->qemu_min && qemu < rule->qemu_min)
    return FALSE;
  if (rule->qemu_max && qemu > rule->qemu_max)
    return FALSE;
  return TRUE;
}

/* One device against the model's rows. */
static void
check_device (IhwResult *res, IhwModel model, guint qemu, const IhwDeviceFacts *dev)
{
  const IhwFeatures *f = dev->features;
  IhwVendor want = ihw_model_vendor (model);
  gboolean have_regs = f && f->desc;
  guint n_rules;
  const IhwRule *rules = ihw_rules (&n_rules);

  if (want != IHW_VENDOR_UNKNOWN)
    {
      if (!have_regs)
        {
          ihw_result_add_reason (res, IHW_VERDICT_UNKNOWN, dev->device, "iommu.vendor", ihw_vendor_name (want),
                                 dev->no_features_reason ? dev->no_features_reason : "unknown",
                                 "no capability registers are known for this device's IOMMU");
          /* The kernel's own refusal is still definite. */
          if (dev->nest_parent == IHW_NEST_PARENT_NO)
            ihw_result_add_reason (res, IHW_VERDICT_UNSUPPORTED, dev->device, "kernel.NEST_PARENT", "yes", "no",
                                   "the kernel refused a nest-parent page table for this device");
          return;
        }
      if (f->desc->vendor != want)
        {
          g_autofree char *why = g_strdup_printf ("the %s vIOMMU nests only on a %s host IOMMU, this device is behind %s",
                                                  ihw_model_name (model), ihw_vendor_desc (want)->title, f->desc->title);
          ihw_result_add_reason (res, IHW_VERDICT_UNSUPPORTED, dev->device, "iommu.vendor", ihw_vendor_name (want),
                                 f->desc->name, why);
          return;
        }
    }

  for (guint i = 0; i < n_rules; i++)
    {
      const IhwRule *rule = &rules[i];
      if (!rule_applies (rule, model, qemu))
        continue;

      switch (rule->kind)
        {
        case IHW_RULE_MODEL_NEVER:
          ihw_result_add_reason (res, IHW_VERDICT_UNSUPPORTED, dev->device, rule->requirement, "nested mode",
                                 "none", rule->why);
          break;

        case IHW_RULE_KERNEL_NEST_PARENT:
          if (dev->nest_parent == IHW_NEST_PARENT_NO)
            ihw_result_add_reason (res, IHW_VERDICT_UNSUPPORTED, dev->device, rule->requirement, "yes", "no",
                                   rule->why);
          break;

        case IHW_RULE_NOTE_IF_HW_FLAG:
          if (have_regs && f->has_hw_info_flags && (f->hw_info_flags & rule->value))
            add_note_once (res, dev->device, rule->why);
          break;

        case IHW_RULE_FIELD_EQ:
        case IHW_RULE_NOTE_UNLESS_FIELD:
          {
            IhwValue v;
            g_autofree char *req = NULL;
            if (!have_regs)
              break; /* only models bound to a vendor have field rows */
            req = rule_requirement (rule, f);
            g_autofree char *needed = g_strdup_printf ("%" G_GUINT64_FORMAT, rule->value);
            gboolean known = ihw_features_get (f, rule->field, &v);
            gboolean ok = known && (v.type == IHW_VALUE_BOOL || v.type == IHW_VALUE_UINT) && v.u == rule->value;

            if (ok)
              break;
            if (rule->kind == IHW_RULE_NOTE_UNLESS_FIELD)
              {
                if (known)
                  add_note_once (res, dev->device, rule->why);
                break;
              }
            if (!known)
              ihw_result_add_reason (res, IHW_VERDICT_UNKNOWN, dev->device, req, needed, "unknown", rule->why);
            else
              {
                g_autofree char *found = ihw_value_to_string (&v);
                /* booleans are shown as the bit value, like the register */
                if (v.type == IHW_VALUE_BOOL)
                  {
                    g_free (found);
                    found = g_strdup (v.u ? "1" : "0");
                  }
                ihw_result_add_reason (res, IHW_VERDICT_UNSUPPORTED, dev->device, req, needed, found, rule->why);
              }
            break;
          }
        }
    }
}

IhwResult *
ihw_check_nesting (IhwModel model, const IhwDeviceFacts *devices, guint n_devices, const IhwRequest *req)
{
  IhwResult *res = ihw_result_new ();
  guint qemu = IHW_QEMU_NEWEST;

  if (req && req->has_qemu_version)
    qemu = IHW_QEMU (req->qemu_major, req->qemu_minor);

  for (guint i = 0; i < n_devices; i++)
    check_device (res, model, qemu, &devices[i]);
  return res;
}
