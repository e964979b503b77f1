/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-types.h"

#include <string.h>

#include "ihw-error.h"

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

gboolean
ihw_driver_counts_as_vfio (const char *driver)
{
  return !driver || strcmp (driver, "vfio-pci") == 0;
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

void
ihw_reason_free (gpointer p)
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
  r->reasons = g_ptr_array_new_with_free_func (ihw_reason_free);
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

/* A requirement that could not be checked is not a failing one: say so
 * before the sentence that explains what it is for. */
#define IHW_UNKNOWN_PREFIX "could not check, the register or fact is not known: "

char *
ihw_reason_why (const char *found, const char *why)
{
  if (!why)
    return NULL;
  if (g_strcmp0 (found, "unknown") == 0)
    return g_strconcat (IHW_UNKNOWN_PREFIX, why, NULL);
  return g_strdup (why);
}

void
ihw_result_append (IhwResult *r, const char *device, const char *requirement, const char *needed,
                   const char *found, const char *why)
{
  IhwReason *reason = g_new0 (IhwReason, 1);
  reason->device = g_strdup (device ? device : "");
  reason->requirement = g_strdup (requirement);
  reason->needed = g_strdup (needed);
  reason->found = g_strdup (found);
  reason->why = g_strdup (why);
  g_ptr_array_add (r->reasons, reason);
}

void
ihw_result_add_reason (IhwResult *r, IhwVerdict severity, const char *device, const char *requirement,
                       const char *needed, const char *found, const char *why)
{
  g_autofree char *text = ihw_reason_why (found, why);

  ihw_result_append (r, device, requirement, needed, found, text);
  /* unsupported beats unknown beats supported */
  if (severity == IHW_VERDICT_UNSUPPORTED || (severity == IHW_VERDICT_UNKNOWN && r->verdict == IHW_VERDICT_SUPPORTED))
    r->verdict = severity;
}


const char *
ihw_tristate_name (IhwTristate t)
{
  switch (t)
    {
    case IHW_TRISTATE_YES:
      return "yes";
    case IHW_TRISTATE_NO:
      return "no";
    default:
      return "unknown";
    }
}

