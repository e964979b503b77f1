/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-negotiate.h"

#include <libxml/tree.h>
#include <string.h>

#include "ihw-rules.h"

/* The largest value of `key` all devices allow, from the device rows that
 * name it.  *constrained: some row of the model names the key. */
static guint64
device_limit (IhwModel model, guint qemu, const char *key, const IhwDeviceFacts *devices, guint n_devices,
              gboolean *constrained)
{
  guint n_rules;
  const IhwRule *rules = ihw_rules (&n_rules);
  IhwVendor want = ihw_model_vendor (model);
  guint64 limit = G_MAXUINT64;

  for (guint r = 0; r < n_rules; r++)
    {
      const IhwRule *rule = &rules[r];
      if (rule->kind == IHW_RULE_FACT_EQ && ihw_rule_applies (rule, model, qemu)
          && g_strcmp0 (rule->if_request, key) == 0)
        {
          /* On only when every device has the fact (unknown counts as no). */
          *constrained = TRUE;
          for (guint d = 0; d < n_devices; d++)
            {
              IhwTristate t = IHW_TRISTATE_UNKNOWN;
              if (!ihw_device_fact (&devices[d], rule->key, &t) || t != (IhwTristate) rule->value)
                limit = 0;
            }
          continue;
        }
      if (!ihw_rule_applies (rule, model, qemu) || g_strcmp0 (rule->key, key) != 0)
        continue;
      if (rule->kind == IHW_RULE_REQUEST_RANGE)
        {
          *constrained = TRUE;
          limit = MIN (limit, rule->value2);
          continue;
        }
      if (rule->kind == IHW_RULE_REQUEST_LE_FACT)
        {
          *constrained = TRUE;
          for (guint d = 0; d < n_devices; d++)
            {
              guint have = 0;
              if (ihw_device_number_fact (&devices[d], rule->field, &have, NULL, NULL) && have)
                limit = MIN (limit, have);
            }
          continue;
        }
      if (rule->kind == IHW_RULE_REQUEST_EQ)
        {
          /* The one value QEMU takes, whatever the devices. */
          *constrained = TRUE;
          limit = MIN (limit, rule->value);
          continue;
        }
      if (rule->kind == IHW_RULE_REQUEST_IN_LIST)
        {
          *constrained = TRUE;
          continue;
        }
      if (rule->kind != IHW_RULE_REQUEST_LE_FIELD && rule->kind != IHW_RULE_REQUEST_IMPLIES_FIELD)
        continue;
      *constrained = TRUE;
      for (guint d = 0; d < n_devices; d++)
        {
          const IhwFeatures *f = devices[d].features;
          IhwValue v;
          guint64 n = 0;

          if (devices[d].no_iommu || !f || !f->desc || f->desc->vendor != want || !ihw_features_get (f, rule->field, &v))
            continue;   /* the check reports these devices */
          if (v.type == IHW_VALUE_LIST)
            for (guint i = 0; i < v.u; i++)
              n = MAX (n, v.list[i]);
          else if (v.type == IHW_VALUE_BOOL || v.type == IHW_VALUE_UINT)
            n = v.u;
          else
            continue;
          if (rule->kind == IHW_RULE_REQUEST_LE_FIELD)
            limit = MIN (limit, n);
          else if (n < rule->value2)
            limit = MIN (limit, rule->value);   /* the key may not exceed the row's threshold */
        }
    }
  return limit;
}

/* The largest value <= limit that every REQUEST_IN_LIST row accepts; FALSE
 * when there is none. */
static gboolean
pick_from_lists (IhwModel model, guint qemu, gboolean nesting, const char *key, guint64 limit, guint64 *out)
{
  guint n_rules;
  const IhwRule *rules = ihw_rules (&n_rules);
  const IhwRule *first = NULL;
  gboolean found = FALSE;

  for (guint r = 0; r < n_rules && !first; r++)
    if (ihw_rule_applies (&rules[r], model, qemu) && ihw_rule_in_scope (&rules[r], nesting)
        && rules[r].kind == IHW_RULE_REQUEST_IN_LIST && g_strcmp0 (rules[r].key, key) == 0)
      first = &rules[r];
  if (!first)
    {
      *out = limit;
      return TRUE;
    }

  for (guint i = 0; i < IHW_RULE_LIST_MAX && first->list[i]; i++)
    {
      guint64 cand = first->list[i];
      gboolean ok = cand <= limit && (!found || cand > *out);
      for (guint r = 0; r < n_rules && ok; r++)
        {
          const IhwRule *rule = &rules[r];
          gboolean in = FALSE;
          if (!ihw_rule_applies (rule, model, qemu) || !ihw_rule_in_scope (rule, nesting)
              || rule->kind != IHW_RULE_REQUEST_IN_LIST || g_strcmp0 (rule->key, key) != 0)
            continue;
          for (guint j = 0; j < IHW_RULE_LIST_MAX && rule->list[j]; j++)
            in |= rule->list[j] == cand;
          ok = in;
        }
      if (ok)
        {
          *out = cand;
          found = TRUE;
        }
    }
  return found;
}

IhwNegotiation *
ihw_negotiate_full (IhwModel model, const IhwDeviceFacts *devices, guint n_devices, const IhwRequest *req,
                    guint default_qemu)
{
  IhwNegotiation *n = g_new0 (IhwNegotiation, 1);
  guint64 nesting = 1;

  n->model = model;
  n->qemu = ihw_request_qemu (req, default_qemu);
  n->devices = g_ptr_array_new_with_free_func (g_free);
  for (guint d = 0; d < n_devices; d++)
    g_ptr_array_add (n->devices, g_strdup (devices[d].device ? devices[d].device : ""));

  ihw_request_set (&n->config, "qemu-version", n->qemu);
  /* QEMU's value lists differ in nested mode (intel x-flts: aw-bits 48 only) */
  ihw_request_get (req, "nesting", &nesting);

  for (const char *const *k = ihw_request_keys (); *k; k++)
    {
      const IhwQemuProperty *prop = ihw_qemu_property (model, n->qemu, *k);
      gboolean constrained = FALSE;
      guint64 limit, value;

      if (ihw_request_get (req, *k, &value))
        {
          ihw_request_set (&n->config, *k, value);   /* the caller's choice; the check judges it */
          continue;
        }
      limit = device_limit (model, n->qemu, *k, devices, n_devices, &constrained);
      if (!constrained && !prop)
        continue;                                     /* the key does not apply to this model */
      if (ihw_request_key_type (*k) == 'b')
        limit = MIN (limit, 1);
      if (limit == G_MAXUINT64)
        {
          /* No device said anything (no registers): QEMU's default, if any. */
          if (prop && prop->has_default)
            ihw_request_set (&n->config, *k, prop->default_value);
          continue;
        }
      if (!pick_from_lists (model, n->qemu, nesting != 0, *k, limit, &value))
        {
          /* Nothing QEMU accepts fits the host: keep QEMU's default so the
           * check names the key. */
          if (prop && prop->has_default)
            value = prop->default_value;
          else
            value = limit;
        }
      ihw_request_set (&n->config, *k, value);
    }

  n->result = ihw_check_nesting_full (model, devices, n_devices, &n->config, default_qemu);
  n->verdict = n->result->verdict;
  if (n->verdict == IHW_VERDICT_SUPPORTED)
    {
      const IhwQemuDevice *dev = ihw_qemu_device (model, n->qemu);
      if (dev && dev->note)
        g_ptr_array_add (n->result->notes, g_strdup_printf ("QEMU: %s", dev->note));
      if (dev && dev->libvirt_note)
        g_ptr_array_add (n->result->notes, g_strdup_printf ("libvirt: %s", dev->libvirt_note));
    }
  return n;
}

IhwNegotiation *
ihw_negotiate (IhwModel model, const IhwDeviceFacts *devices, guint n_devices, const IhwRequest *req)
{
  return ihw_negotiate_full (model, devices, n_devices, req, 0);
}

void
ihw_negotiation_free (IhwNegotiation *n)
{
  if (!n)
    return;
  ihw_result_free (n->result);
  g_ptr_array_unref (n->devices);
  g_free (n);
}

GVariant *
ihw_negotiation_config (const IhwNegotiation *n)
{
  return ihw_request_to_variant (&n->config);
}

static char *
config_value_string (const IhwNegotiation *n, const char *key, gboolean *has)
{
  guint64 v;
  *has = ihw_request_get (&n->config, key, &v);
  if (!*has)
    return NULL;
  if (ihw_request_key_type (key) == 'b')
    return g_strdup (v ? "on" : "off");
  return g_strdup_printf ("%" G_GUINT64_FORMAT, v);
}

char *
ihw_negotiation_libvirt_xml (const IhwNegotiation *n)
{
  guint n_attrs;
  const IhwLibvirtAttr *attrs = ihw_libvirt_attrs (&n_attrs);
  xmlNodePtr iommu, driver = NULL;
  xmlBufferPtr buf;
  char *out;

  if (n->verdict != IHW_VERDICT_SUPPORTED)
    return g_strdup ("");

  iommu = xmlNewNode (NULL, BAD_CAST "iommu");
  xmlSetProp (iommu, BAD_CAST "model", BAD_CAST ihw_model_name (n->model));
  for (guint i = 0; i < n_attrs; i++)
    {
      const IhwLibvirtAttr *a = &attrs[i];
      g_autofree char *value = NULL;
      gboolean has = TRUE;

      const char *attribute = a->attribute ? a->attribute
                              : a->key ? ihw_request_key_def (a->key)->libvirt_attr : NULL;

      if (a->model != n->model || !attribute)
        continue;
      value = a->key ? config_value_string (n, a->key, &has) : g_strdup (a->value);
      if (!has)
        continue;
      if (!driver)
        driver = xmlNewChild (iommu, NULL, BAD_CAST "driver", NULL);
      xmlSetProp (driver, BAD_CAST attribute, BAD_CAST value);
    }

  buf = xmlBufferCreate ();
  {
    /* What the element cannot say goes with it, as a comment, so whoever
     * pastes it sees it (D-Bus Negotiate has no field for notes). */
    const IhwQemuDevice *dev = ihw_qemu_device (n->model, n->qemu);
    if (dev && dev->libvirt_note)
      {
        g_autoptr (GString) text = g_string_new (dev->libvirt_note);
        xmlNodePtr comment;
        g_string_replace (text, "--", "- -", 0); /* not allowed in a comment */
        g_string_prepend_c (text, ' ');
        g_string_append_c (text, ' ');
        comment = xmlNewComment (BAD_CAST text->str);
        xmlNodeDump (buf, NULL, comment, 0, 0);
        xmlBufferCCat (buf, "\n");
        xmlFreeNode (comment);
      }
  }
  xmlNodeDump (buf, NULL, iommu, 0, 0);
  out = g_strdup ((const char *) xmlBufferContent (buf));
  xmlBufferFree (buf);
  xmlFreeNode (iommu);
  return out;
}

char **
ihw_negotiation_qemu_args (const IhwNegotiation *n)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  const IhwQemuDevice *dev = ihw_qemu_device (n->model, n->qemu);

  if (n->verdict == IHW_VERDICT_SUPPORTED && dev)
    {
      g_autoptr (GString) s = g_string_new (dev->device_args);

      for (const char *const *k = ihw_request_keys (); *k; k++)
        {
          const IhwQemuProperty *prop = ihw_qemu_property (n->model, n->qemu, *k);
          gboolean has;
          g_autofree char *value = NULL;
          if (!prop || !prop->settable)
            continue;
          value = config_value_string (n, *k, &has);
          if (has)
            g_string_append_printf (s, ",%s=%s", ihw_request_key_def (*k)->qemu_property, value);
        }
      if (dev->needs_iommufd)
        {
          g_ptr_array_add (argv, g_strdup ("-object"));
          g_ptr_array_add (argv, g_strdup ("iommufd,id=iommufd0"));
        }
      g_ptr_array_add (argv, g_strdup ("-device"));
      g_ptr_array_add (argv, g_string_free (g_steal_pointer (&s), FALSE));
      for (guint d = 0; d < n->devices->len; d++)
        {
          const char *addr = n->devices->pdata[d];
          if (!*addr)
            continue;
          g_ptr_array_add (argv, g_strdup ("-device"));
          g_ptr_array_add (argv, g_strdup_printf ("vfio-pci,host=%s%s", addr,
                                                  dev->needs_iommufd ? ",iommufd=iommufd0" : ""));
        }
    }
  g_ptr_array_add (argv, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&argv), FALSE);
}
