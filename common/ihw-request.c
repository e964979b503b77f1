/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-request.h"

#include <string.h>

#include "ihw-error.h"

static const IhwRequestKeyDef request_keys[IHW_REQUEST_N_KEYS] = {
  /* Only nonsense is refused at the door (a zero or over-64-bit address
   * width, a PASID or SubstreamID wider than a u32 index): a value merely
   * beyond what the host or QEMU accepts is a request the host cannot
   * honour, answered `unsupported` with a reason naming the key (SPEC §4).
   * QEMU properties: hw/i386/intel_iommu.c vtd_properties, hw/arm/smmuv3.c
   * smmuv3_properties (11.0-dev); libvirt attributes: aw_bits (6.5),
   * ssidSize/oas/ril/ats from the smmuv3 accel series (FACTS.md). */
  [IHW_REQUEST_QEMU_VERSION] = { "qemu-version", 's', IHW_QEMU (1, 0), IHW_QEMU (99, 99), NULL, NULL,
                                 "QEMU version to judge for (default: newest known)" },
  [IHW_REQUEST_AW_BITS] = { "aw-bits", 'u', 1, 64, "aw-bits", "aw_bits", "Guest address width the vIOMMU is to have" },
  [IHW_REQUEST_FS1GP] = { "fs1gp", 'b', 0, 1, "fs1gp", NULL, "first-stage 1 GiB pages (intel)" },
  [IHW_REQUEST_PASID_BITS] = { "pasid-bits", 'u', 0, 32, NULL, NULL, "PASID width the guest is to have" },
  [IHW_REQUEST_SSID_SIZE] = { "ssid-size", 'u', 0, 32, "ssidsize", "ssidSize", "SMMUv3 substream ID bits (ssidsize)" },
  [IHW_REQUEST_OAS] = { "oas", 'u', 1, 64, "oas", "oas", "SMMUv3 output address size in bits" },
  [IHW_REQUEST_RIL] = { "ril", 'b', 0, 1, "ril", "ril", "range invalidation (smmuv3)" },
  [IHW_REQUEST_ATS] = { "ats", 'b', 0, 1, "ats", "ats", "ATS (smmuv3)" },
  /* QEMU 11.1's arm-smmuv3 `cmdqv` (FACTS.md); no libvirt or KubeVirt
   * attribute is known for it. */
  [IHW_REQUEST_CMDQV] = { "cmdqv", 'b', 0, 1, "cmdqv", NULL, "NVIDIA Tegra241 CMDQV (smmuv3)" },
  /* intel-iommu's caching-mode (hw/i386/intel_iommu.c vtd_properties),
   * libvirt <driver caching_mode=> (3.4): QEMU assigns no device without it. */
  [IHW_REQUEST_CACHING_MODE] = { "caching-mode", 'b', 0, 1, "caching-mode", "caching_mode",
                                 "caching mode, which device assignment needs (intel)" },
  /* Not a QEMU property: what the domain turns on.  Off is an emulated
   * vIOMMU with assigned devices (intel without x-flts, smmuv3 without
   * accel): only the checks QEMU applies to every VFIO device are judged,
   * never the nesting ones. */
  [IHW_REQUEST_NESTING] = { "nesting", 'b', 0, 1, NULL, NULL,
                            "judge nested translation (default on); off: an emulated vIOMMU's checks only" },
};

const IhwRequestKeyDef *
ihw_request_key_defs (void)
{
  return request_keys;
}

static int
key_index (const char *name)
{
  for (guint i = 0; name && i < IHW_REQUEST_N_KEYS; i++)
    if (strcmp (request_keys[i].name, name) == 0)
      return (int) i;
  return -1;
}

const IhwRequestKeyDef *
ihw_request_key_def (const char *name)
{
  int i = key_index (name);
  return i < 0 ? NULL : &request_keys[i];
}

const char *const *
ihw_request_keys (void)
{
  static const char *names[IHW_REQUEST_N_KEYS + 1];
  static gsize done;

  if (g_once_init_enter (&done))
    {
      guint n = 0;
      for (guint i = 0; i < IHW_REQUEST_N_KEYS; i++)
        if (i != IHW_REQUEST_QEMU_VERSION)
          names[n++] = request_keys[i].name;
      names[n] = NULL;
      g_once_init_leave (&done, 1);
    }
  return names;
}

char
ihw_request_key_type (const char *key)
{
  int i = key_index (key);
  return i < 0 ? 0 : request_keys[i].type;
}

const char *
ihw_request_key_signature (const char *key)
{
  switch (ihw_request_key_type (key))
    {
    case 's':
      return "s";
    case 'u':
      return "u";
    case 'b':
      return "b";
    default:
      return NULL;
    }
}

gboolean
ihw_request_has (const IhwRequest *req, IhwRequestKey key)
{
  return req && (guint) key < IHW_REQUEST_N_KEYS && (req->present & (1u << key));
}

gboolean
ihw_request_get (const IhwRequest *req, const char *key, guint64 *value)
{
  int i = key_index (key);

  if (i < 0 || !ihw_request_has (req, (IhwRequestKey) i))
    return FALSE;
  if (value)
    *value = req->value[i];
  return TRUE;
}

static char *
known_keys (void)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < IHW_REQUEST_N_KEYS; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", request_keys[i].name);
  return g_string_free (s, FALSE);
}

static gboolean
unknown_key (const char *key, GError **error)
{
  g_autofree char *known = known_keys ();
  g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT, "unknown key '%.64s' (known: %s)", key ? key : "",
               known);
  return FALSE;
}

gboolean
ihw_request_set_checked (IhwRequest *req, const char *key, guint64 value, GError **error)
{
  int i = key_index (key);
  const IhwRequestKeyDef *def;

  if (i < 0)
    return unknown_key (key, error);
  def = &request_keys[i];
  if (value < def->min || value > def->max)
    {
      if (def->type == 's')
        {
          g_autofree char *text = ihw_qemu_version_string ((guint) MIN (value, G_MAXUINT));
          g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT,
                       "qemu-version '%s' is not a QEMU version like \"10.0\"", text);
        }
      else
        g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT,
                     "request key '%s' = %" G_GUINT64_FORMAT " is out of range (%" G_GUINT64_FORMAT "..%"
                     G_GUINT64_FORMAT ")", key, value, def->min, def->max);
      return FALSE;
    }
  req->present |= 1u << i;
  req->value[i] = value;
  return TRUE;
}

gboolean
ihw_request_set (IhwRequest *req, const char *key, guint64 value)
{
  return ihw_request_set_checked (req, key, value, NULL);
}

void
ihw_request_unset (IhwRequest *req, IhwRequestKey key)
{
  if ((guint) key < IHW_REQUEST_N_KEYS)
    {
      req->present &= ~(1u << key);
      req->value[key] = 0;
    }
}

gboolean
ihw_qemu_version_from_text (const char *text, guint *qemu, GError **error)
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
  *qemu = IHW_QEMU ((guint) maj, (guint) min);
  return TRUE;

bad:
  g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT,
               "qemu-version '%.40s%s' is not a QEMU version like \"10.0\"", text ? text : "",
               text && strlen (text) > 40 ? "…" : "");
  return FALSE;
}

gboolean
ihw_request_set_qemu_version (IhwRequest *req, const char *text, GError **error)
{
  guint qemu;
  return ihw_qemu_version_from_text (text, &qemu, error) &&
         ihw_request_set_checked (req, request_keys[IHW_REQUEST_QEMU_VERSION].name, qemu, error);
}

char *
ihw_qemu_version_string (guint qemu)
{
  return g_strdup_printf ("%u.%u", qemu / 100, qemu % 100);
}

static const char *
type_word (char type)
{
  return type == 's' ? "string" : type == 'u' ? "uint32" : "boolean";
}

/* One a{sv} entry into `req`. */
static gboolean
set_from_variant (IhwRequest *req, const char *key, GVariant *value, GError **error)
{
  const IhwRequestKeyDef *def = ihw_request_key_def (key);
  const char *want;

  if (!def)
    return unknown_key (key, error);
  want = ihw_request_key_signature (key);
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE (want)))
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT, "key '%s' must be of type '%s' (%s), not '%.80s'",
                   key, want, type_word (def->type), g_variant_get_type_string (value));
      return FALSE;
    }
  switch (def->type)
    {
    case 's':
      return ihw_request_set_qemu_version (req, g_variant_get_string (value, NULL), error);
    case 'u':
      return ihw_request_set_checked (req, key, g_variant_get_uint32 (value), error);
    default:
      return ihw_request_set_checked (req, key, g_variant_get_boolean (value) ? 1 : 0, error);
    }
}

gboolean
ihw_request_update_from_variant (IhwRequest *req, GVariant *dict, GError **error)
{
  IhwRequest out = *req;
  guint32 seen = 0;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  if (!dict)
    return TRUE;
  if (!g_variant_is_of_type (dict, G_VARIANT_TYPE_VARDICT))
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT, "request: not a{sv} but %s",
                   g_variant_get_type_string (dict));
      return FALSE;
    }
  g_variant_iter_init (&iter, dict);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    {
      int i = key_index (key);
      gboolean ok = !(i >= 0 && (seen & (1u << i)));

      if (!ok)
        g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT, "request: key '%s' given twice", key);
      else if (!(ok = set_from_variant (&out, key, value, error)))
        g_prefix_error (error, "request: ");
      if (!ok)
        {
          g_variant_unref (value);  /* g_variant_iter_loop owns it until the next round */
          return FALSE;
        }
      seen |= 1u << i;
    }
  *req = out;
  return TRUE;
}

gboolean
ihw_request_from_variant (IhwRequest *req, GVariant *dict, GError **error)
{
  IhwRequest empty = { 0 };

  if (!ihw_request_update_from_variant (&empty, dict, error))
    return FALSE;
  *req = empty;
  return TRUE;
}

GVariant *
ihw_request_to_variant (const IhwRequest *req)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  for (guint i = 0; req && i < IHW_REQUEST_N_KEYS; i++)
    {
      const IhwRequestKeyDef *def = &request_keys[i];
      GVariant *v;

      if (!ihw_request_has (req, (IhwRequestKey) i))
        continue;
      if (def->type == 's')
        {
          g_autofree char *text = ihw_qemu_version_string ((guint) req->value[i]);
          v = g_variant_new_string (text);
        }
      else if (def->type == 'u')
        v = g_variant_new_uint32 ((guint32) req->value[i]);
      else
        v = g_variant_new_boolean (req->value[i] != 0);
      g_variant_builder_add (&b, "{sv}", def->name, v);
    }
  return g_variant_ref_sink (g_variant_builder_end (&b));
}
