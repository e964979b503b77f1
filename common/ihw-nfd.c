/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * node-feature-discovery labels (ihw-nfd.h).  Pure but for
 * ihw_nfd_write_file(), the one file write the daemon and the CLI share.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ihw-error.h"
#include "ihw-nfd.h"

#define K8S_NAME_MAX 63

/* A Kubernetes label name (the part after the '/') or a non-empty value. */
static gboolean
k8s_label_word_valid (const char *s)
{
  gsize n = strlen (s);

  if (n == 0 || n > K8S_NAME_MAX || !g_ascii_isalnum (s[0]) || !g_ascii_isalnum (s[n - 1]))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum (s[i]) && !strchr ("-_.", s[i]))
      return FALSE;
  return TRUE;
}

gboolean
ihw_nfd_prefix_valid (const char *s)
{
  gsize n = strlen (s);

  if (n == 0 || n > 253 || !g_ascii_isalnum (s[0]) || !g_ascii_isalnum (s[n - 1]))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!(g_ascii_islower (s[i]) || g_ascii_isdigit (s[i]) || s[i] == '-' || s[i] == '.'))
      return FALSE;
  return TRUE;
}

IhwNfdLabels *
ihw_nfd_labels_new (const char *prefix)
{
  IhwNfdLabels *l = g_new0 (IhwNfdLabels, 1);

  l->prefix = g_strdup (prefix ? prefix : IHW_NFD_DEFAULT_PREFIX);
  l->names = g_ptr_array_new_with_free_func (g_free);
  l->values = g_ptr_array_new_with_free_func (g_free);
  l->skipped = g_ptr_array_new_with_free_func (g_free);
  return l;
}

void
ihw_nfd_labels_free (IhwNfdLabels *l)
{
  if (!l)
    return;
  g_free (l->prefix);
  g_ptr_array_unref (l->names);
  g_ptr_array_unref (l->values);
  g_ptr_array_unref (l->skipped);
  g_free (l);
}

static void
labels_add (IhwNfdLabels *l, const char *name, const char *value)
{
  if (!k8s_label_word_valid (name) || (*value && !k8s_label_word_valid (value)))
    {
      g_ptr_array_add (l->skipped, g_strdup_printf ("%s=%s", name, value));
      return;
    }
  g_ptr_array_add (l->names, *l->prefix ? g_strdup_printf ("%s/%s", l->prefix, name) : g_strdup (name));
  g_ptr_array_add (l->values, g_strdup (value));
}

void
ihw_nfd_labels_add_iommufd (IhwNfdLabels *l, gboolean available)
{
  labels_add (l, "iommu.iommufd", available ? "true" : "false");
}

/* A negotiated config value as label text: numbers in decimal, booleans
 * true/false, strings as they are (the request keys are s, u, b). */
static char *
config_value_text (GVariant *v)
{
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_BOOLEAN))
    return g_strdup (g_variant_get_boolean (v) ? "true" : "false");
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_STRING))
    return g_variant_dup_string (v, NULL);
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_UINT32))
    return g_strdup_printf ("%u", g_variant_get_uint32 (v));
  return g_variant_print (v, FALSE);
}

void
ihw_nfd_labels_add_model (IhwNfdLabels *l, IhwModel model, IhwVerdict verdict, GVariant *config)
{
  g_autofree char *nesting = g_strdup_printf ("iommu.nesting.%s", ihw_model_name (model));
  const char *const *keys = ihw_request_keys ();

  labels_add (l, nesting, verdict == IHW_VERDICT_SUPPORTED ? "true" : "false");
  if (verdict != IHW_VERDICT_SUPPORTED || !config)
    return;
  /* The negotiated configuration, in SPEC order (qemu-version first).
   * Label names could keep '-', but the documented keys use '_' like the
   * libvirt attributes (aw_bits, ssidSize -> ssid_size). */
  for (int k = -1; k < 0 || keys[k]; k++)
    {
      const char *key = k < 0 ? "qemu-version" : keys[k];
      g_autoptr (GVariant) v = g_variant_lookup_value (config, key, NULL);
      g_autofree char *kn = NULL, *name = NULL, *text = NULL;

      if (!v)
        continue;
      kn = g_strdelimit (g_strdup (key), "-", '_');
      name = g_strdup_printf ("iommu.%s.%s", ihw_model_name (model), kn);
      text = config_value_text (v);
      labels_add (l, name, text);
    }
}

GPtrArray *
ihw_nfd_pick_devices (const IhwNfdDevice *devices, guint n_devices, const char **which)
{
  GPtrArray *vfio = g_ptr_array_new ();
  GPtrArray *with_iommu = g_ptr_array_new ();

  for (guint i = 0; i < n_devices; i++)
    {
      if (ihw_driver_counts_as_vfio (devices[i].driver))
        g_ptr_array_add (vfio, (gpointer) devices[i].address);
      if (devices[i].has_iommu)
        g_ptr_array_add (with_iommu, (gpointer) devices[i].address);
    }
  if (vfio->len)
    {
      *which = "vfio-pci devices";
      g_ptr_array_unref (with_iommu);
      g_ptr_array_add (vfio, NULL);
      return vfio;
    }
  *which = "no vfio-pci device; every device behind an IOMMU";
  g_ptr_array_unref (vfio);
  g_ptr_array_add (with_iommu, NULL);
  return with_iommu;
}

char *
ihw_nfd_labels_to_text (const IhwNfdLabels *l, const char *generator, const char *which, const char *const *devices)
{
  GString *out = g_string_new (NULL);
  g_autofree char *list = g_strjoinv (" ", (char **) devices);

  /* Comments: never "# +", which NFD reads as a directive. */
  g_string_append_printf (out, "# %s: vIOMMU nested translation on this host (iommu-hwinfod)\n", generator);
  g_string_append_printf (out, "# judged over %s: %s\n", which, *list ? list : "(none)");
  for (guint i = 0; i < l->names->len; i++)
    g_string_append_printf (out, "%s=%s\n", (char *) l->names->pdata[i], (char *) l->values->pdata[i]);
  return g_string_free (out, FALSE);
}

gboolean
ihw_nfd_write_file (const char *path, const char *text, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  gsize len = strlen (text), done = 0;
  int fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0644);
  int e;

  if (fd < 0)
    {
      e = errno;
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "cannot create a temporary file in %s: %s", dir,
                   g_strerror (e));
      return FALSE;
    }
  while (done < len)
    {
      ssize_t n = write (fd, text + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        goto fail;
      done += (gsize) n;
    }
  /* mkstemp makes 0600 (and the daemon runs with UMask=0077); NFD runs as
   * another user in its pod. */
  if (fchmod (fd, 0644) < 0 || fsync (fd) < 0)
    goto fail;
  if (close (fd) < 0)
    {
      fd = -1;
      goto fail;
    }
  fd = -1;
  if (rename (tmp, path) < 0)
    goto fail;
  return TRUE;

fail:
  e = errno;
  if (fd >= 0)
    close (fd);
  unlink (tmp);
  g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "cannot write %s: %s", path, g_strerror (e));
  return FALSE;
}
