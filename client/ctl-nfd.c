/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iommu-hwinfoctl nfd: a node-feature-discovery "local" feature file
 * (/etc/kubernetes/node-feature-discovery/features.d/): one
 * `<namespace>/<name>=<value>` per line, '#' lines are comments.  NFD turns
 * each line into a node label, so every name and value must be a valid
 * Kubernetes label name/value: at most 63 characters of [A-Za-z0-9-_.],
 * beginning and ending with an alphanumeric (values may be empty).
 *
 * Which devices are judged: the vfio-pci devices, because those are the
 * ones a VM can be given; on a host with none, every device behind an IOMMU
 * (what the host could offer once a device is bound to vfio-pci).
 *
 * --output FILE is written atomically: a dot file in the same directory
 * (NFD ignores dot files), then rename(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "ihw-error.h"
#include "ctl-json.h"
#include "ihw-names.h"

#define NFD_DEFAULT_PREFIX "feature.node.kubernetes.io"
#define K8S_NAME_MAX 63
/* NFD ignores feature files larger than 64 kB. */
#define NFD_FILE_MAX (64 * 1024)

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

/* A label prefix: a DNS subdomain (lower-case alphanumerics, '-', '.'). */
static gboolean
k8s_prefix_valid (const char *s)
{
  gsize n = strlen (s);

  if (n == 0 || n > 253 || !g_ascii_isalnum (s[0]) || !g_ascii_isalnum (s[n - 1]))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!(g_ascii_islower (s[i]) || g_ascii_isdigit (s[i]) || s[i] == '-' || s[i] == '.'))
      return FALSE;
  return TRUE;
}

typedef struct {
  const char *prefix;   /* "" for bare names */
  GPtrArray *keys;      /* char *, in output order */
  GPtrArray *values;    /* char * */
} Labels;

static void
labels_add (Labels *l, const char *name, const char *value)
{
  if (!k8s_label_word_valid (name) || (*value && !k8s_label_word_valid (value)))
    {
      /* The daemon is another process: a value we cannot label is dropped, said. */
      g_printerr ("iommu-hwinfoctl nfd: skipped %s=%s: not a valid Kubernetes label name or value\n", name, value);
      return;
    }
  g_ptr_array_add (l->keys, *l->prefix ? g_strdup_printf ("%s/%s", l->prefix, name) : g_strdup (name));
  g_ptr_array_add (l->values, g_strdup (value));
}

/* A negotiated config value as label text: numbers in decimal, booleans
 * true/false, strings as they are. */
static char *
config_value_text (GVariant *v)
{
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_BOOLEAN))
    return g_strdup (g_variant_get_boolean (v) ? "true" : "false");
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_STRING))
    return g_variant_dup_string (v, NULL);
  return ctl_variant_to_text (v);
}

/* "aw-bits" -> "aw_bits": label names could keep '-', but the documented
 * keys use '_' like the libvirt attributes (aw_bits, ssidSize -> ssid_size). */
static char *
key_name (const char *key)
{
  char *s = g_strdup (key);
  g_strdelimit (s, "-", '_');
  return s;
}

/* The devices to judge: vfio-pci ones, else every device behind an IOMMU. */
static GPtrArray *
pick_devices (const CtlObjects *o, const char **which)
{
  GPtrArray *vfio = g_ptr_array_new ();
  GPtrArray *with_iommu = g_ptr_array_new ();

  for (guint i = 0; i < o->devices->len; i++)
    {
      const CtlObject *d = o->devices->pdata[i];
      const char *unit = ctl_prop_str (d->props, "Unit");

      if (strcmp (ctl_prop_str (d->props, "Driver"), "vfio-pci") == 0)
        g_ptr_array_add (vfio, d->name);
      if (*unit && strcmp (unit, "/") != 0)
        g_ptr_array_add (with_iommu, d->name);
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

static gboolean
write_atomically (const char *path, const char *text, GError **error)
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
  /* mkstemp makes 0600; NFD runs as another user in its pod. */
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

int
ctl_nfd (CtlGlobal *g, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IhwClient) client = NULL;
  g_autoptr (CtlObjects) objects = NULL;
  g_autoptr (GPtrArray) devices = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree char *output = NULL, *prefix = NULL, *qemu_version = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the file atomically (temporary dot file + rename)",
      "FILE" },
    { "prefix", 0, 0, G_OPTION_ARG_STRING, &prefix, "Label namespace (default " NFD_DEFAULT_PREFIX "; '' for none)",
      "NS" },
    { "qemu-version", 0, 0, G_OPTION_ARG_STRING, &qemu_version, "Judge for this QEMU (default: the daemon's)", "V" },
    { NULL },
  };
  Labels labels = { 0 };
  const char *which = NULL;
  IhwRequest req = { 0 };
  int code;

  if (!ctl_parse_options (g, "nfd", "[--output FILE] [--prefix NS] [--qemu-version V]",
                          "A node-feature-discovery feature file: whether each vIOMMU model can nest with this\n"
                          "host's vfio-pci devices, and the largest configuration they all honour.",
                          entries, &argc, &argv, &code))
    return code;
  if (argc > 1)
    return ctl_usage_error ("nfd", "unexpected argument '%.80s'", argv[1]);
  /* NFD's local source reads key=value lines only: a JSON feature file
   * would be silently ignored by it. */
  if (output && g->json)
    return ctl_usage_error ("nfd", "--output writes the key=value file NFD reads; --json prints to standard output only");
  if (prefix && *prefix && !k8s_prefix_valid (prefix))
    return ctl_usage_error ("nfd", "--prefix '%.80s' is not a DNS subdomain (lower-case letters, digits, '-', '.')",
                            prefix);
  if (qemu_version && !ihw_request_set_qemu_version (&req, qemu_version, &error))
    return ctl_usage_error ("nfd", "--qemu-version: %s", error->message);

  if (!(client = ctl_connect (&error)) || !(objects = ctl_objects_load (client, &error)))
    return ctl_fail (error);

  labels.prefix = prefix ? prefix : NFD_DEFAULT_PREFIX;
  labels.keys = g_ptr_array_new_with_free_func (g_free);
  labels.values = g_ptr_array_new_with_free_func (g_free);
  devices = pick_devices (objects, &which);
  if (devices->len - 1 > IHW_MAX_DEVICES_PER_REQUEST)
    {
      g_printerr ("iommu-hwinfoctl nfd: %u devices to judge, at most %d per request\n", devices->len - 1,
                  IHW_MAX_DEVICES_PER_REQUEST);
      code = IHW_EXIT_DATAERR;
      goto out;
    }

  labels_add (&labels, "iommu.iommufd", ctl_prop_bool (objects->manager, "IommufdAvailable") ? "true" : "false");
  for (IhwModel m = 0; m < IHW_MODEL_LAST; m++)
    {
      g_autoptr (IhwCheckResult) res = NULL;
      g_autofree char *nesting = g_strdup_printf ("iommu.nesting.%s", ihw_model_name (m));

      if (devices->len > 1)
        {
          res = ihw_client_negotiate (client, ihw_model_name (m), (const char *const *) devices->pdata, &req, &error);
          /* NotSupported: the daemon cannot negotiate for this model: no nesting. */
          if (!res && !g_error_matches (error, IHW_ERROR, IHW_ERROR_NOT_SUPPORTED))
            {
              g_prefix_error (&error, "Negotiate %s: ", ihw_model_name (m));
              code = ctl_fail (error);
              goto out;
            }
          g_clear_error (&error);
        }
      labels_add (&labels, nesting, res && res->result->verdict == IHW_VERDICT_SUPPORTED ? "true" : "false");
      if (!res || res->result->verdict != IHW_VERDICT_SUPPORTED || !res->config)
        continue;
      /* The negotiated configuration, in SPEC order (qemu-version first). */
      {
        const char *const *keys = ihw_request_keys ();
        for (int k = -1; k < 0 || keys[k]; k++)
          {
            const char *key = k < 0 ? "qemu-version" : keys[k];
            g_autoptr (GVariant) v = g_variant_lookup_value (res->config, key, NULL);
            g_autofree char *kn = NULL, *name = NULL, *text = NULL;

            if (!v)
              continue;
            kn = key_name (key);
            name = g_strdup_printf ("iommu.%s.%s", ihw_model_name (m), kn);
            text = config_value_text (v);
            labels_add (&labels, name, text);
          }
      }
    }

  if (g->json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *s = NULL;

      json_builder_begin_object (b);
      for (guint i = 0; i < labels.keys->len; i++)
        {
          json_builder_set_member_name (b, labels.keys->pdata[i]);
          json_builder_add_string_value (b, labels.values->pdata[i]);
        }
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      s = ctl_json_to_string (root, TRUE);
      g_string_append (out, s);
    }
  else
    {
      g_autofree char *list = g_strjoinv (" ", (char **) devices->pdata);
      /* Comments: never "# +", which NFD reads as a directive. */
      g_string_append (out, "# iommu-hwinfoctl nfd: vIOMMU nested translation on this host (iommu-hwinfod)\n");
      g_string_append_printf (out, "# judged over %s: %s\n", which, *list ? list : "(none)");
      for (guint i = 0; i < labels.keys->len; i++)
        g_string_append_printf (out, "%s=%s\n", (char *) labels.keys->pdata[i], (char *) labels.values->pdata[i]);
    }
  if (out->len > NFD_FILE_MAX)
    g_printerr ("iommu-hwinfoctl nfd: warning: %zu bytes, more than the 64 kB NFD reads\n", out->len);

  if (output)
    {
      if (!write_atomically (output, out->str, &error))
        {
          code = ctl_fail (error);
          goto out;
        }
    }
  else
    fputs (out->str, stdout);
  code = 0;
out:
  g_ptr_array_unref (labels.keys);
  g_ptr_array_unref (labels.values);
  return code;
}
