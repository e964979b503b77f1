/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's NFD feature file (ihw-nfd-writer.h).  Verdicts and
 * negotiations come straight from the registry through the same calls the
 * Manager's CheckNesting/Negotiate make, over the devices `iommu-hwinfoctl
 * nfd` would judge, so the file matches what the CLI writes.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ihw-error.h"
#include "ihw-negotiate.h"
#include "ihw-nfd-writer.h"
#include "ihw-nfd.h"

/* NFD re-reads the directory on its own schedule: a file rewritten on every
 * uevent of a burst (a bind is several) would only cost writes. */
#define MIN_INTERVAL_US G_USEC_PER_SEC

struct _IhwNfdWriter {
  IhwRegistry *reg;
  IhwNfdConfig cfg;
  IhwRequest defaults;
  char *last_text;         /* what the file holds; NULL: unknown (never written, or a write failed) */
  char *last_error;        /* the last failure, said once */
  gint64 last_write_us;    /* monotonic; 0: never */
  guint pending;           /* source scheduled to write */
};

void
ihw_nfd_config_clear (IhwNfdConfig *c)
{
  g_clear_pointer (&c->path, g_free);
  g_clear_pointer (&c->prefix, g_free);
  c->remove_on_stop = FALSE;
}

gboolean
ihw_nfd_config_load (IhwNfdConfig *c, GKeyFile *kf, const char *file, GError **error)
{
  static const char *const known[] = { "path", "prefix", "remove-on-stop", NULL };
  g_auto (GStrv) keys = g_key_file_get_keys (kf, "nfd", NULL, NULL);
  g_autoptr (GError) local = NULL;

  for (guint i = 0; keys && keys[i]; i++)
    if (!g_strv_contains (known, keys[i]))
      g_warning ("config %s: unknown key [nfd] %s ignored", file, keys[i]);

  if (g_key_file_has_key (kf, "nfd", "path", NULL))
    {
      g_autofree char *path = g_strstrip (g_key_file_get_string (kf, "nfd", "path", NULL));
      if (*path && !g_path_is_absolute (path))
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT, "config %s: [nfd] path '%.200s' is not absolute",
                       file, path);
          return FALSE;
        }
      g_free (c->path);
      c->path = *path ? g_steal_pointer (&path) : NULL;
    }
  if (g_key_file_has_key (kf, "nfd", "prefix", NULL))
    {
      g_autofree char *prefix = g_strstrip (g_key_file_get_string (kf, "nfd", "prefix", NULL));
      if (*prefix && !ihw_nfd_prefix_valid (prefix))
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT,
                       "config %s: [nfd] prefix '%.80s' is not a DNS subdomain (lower-case letters, digits, '-', '.')",
                       file, prefix);
          return FALSE;
        }
      g_free (c->prefix);
      c->prefix = g_steal_pointer (&prefix);
    }
  if (g_key_file_has_key (kf, "nfd", "remove-on-stop", NULL))
    {
      c->remove_on_stop = g_key_file_get_boolean (kf, "nfd", "remove-on-stop", &local);
      if (local)
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT, "config %s: [nfd] remove-on-stop: %s", file,
                       local->message);
          return FALSE;
        }
    }
  return TRUE;
}

/* The file's text for the registry as it is now. */
static char *
labels_text (IhwNfdWriter *w)
{
  GPtrArray *all = ihw_registry_get_devices (w->reg);
  guint n_all = all ? all->len : 0;
  g_autofree IhwNfdDevice *picks = g_new0 (IhwNfdDevice, n_all + 1);
  g_autoptr (GPtrArray) chosen = NULL;
  g_autoptr (IhwNfdLabels) labels = ihw_nfd_labels_new (w->cfg.prefix);
  g_autofree IhwFeatures *features = NULL;
  g_autofree IhwDeviceFacts *facts = NULL;
  const char *which = NULL;
  guint n = 0;

  for (guint i = 0; i < n_all; i++)
    {
      const IhwDevice *dev = all->pdata[i];
      picks[i].address = dev->address;
      picks[i].driver = dev->driver;
      picks[i].has_iommu = dev->unit != NULL;
    }
  chosen = ihw_nfd_pick_devices (picks, n_all, &which);
  features = g_new0 (IhwFeatures, chosen->len);
  facts = g_new0 (IhwDeviceFacts, chosen->len);
  for (guint i = 0; chosen->pdata[i]; i++)
    {
      IhwDevice *dev = ihw_registry_lookup_device (w->reg, chosen->pdata[i]);
      if (!dev)
        continue;
      ihw_registry_device_facts (w->reg, dev, &features[n], &facts[n]);
      if (!facts[n].device)
        facts[n].device = dev->address;
      n++;
    }

  ihw_nfd_labels_add_iommufd (labels, ihw_registry_iommufd_available (w->reg));
  for (IhwModel m = 0; m < IHW_MODEL_LAST; m++)
    {
      g_autoptr (IhwNegotiation) neg = NULL;
      g_autoptr (GVariant) config = NULL;

      if (n == 0)
        {
          ihw_nfd_labels_add_model (labels, m, IHW_VERDICT_UNKNOWN, NULL);
          continue;
        }
      neg = ihw_negotiate (m, facts, n, &w->defaults);
      config = g_variant_ref_sink (ihw_negotiation_config (neg));
      ihw_nfd_labels_add_model (labels, m, neg->verdict, config);
    }
  for (guint i = 0; i < labels->skipped->len; i++)
    g_warning ("NFD file %s: skipped %s: not a valid Kubernetes label name or value", w->cfg.path,
               (char *) labels->skipped->pdata[i]);
  return ihw_nfd_labels_to_text (labels, "iommu-hwinfod [nfd]", which, (const char *const *) chosen->pdata);
}

static void
write_now (IhwNfdWriter *w)
{
  g_autofree char *text = labels_text (w);
  g_autoptr (GError) error = NULL;

  if (g_strcmp0 (text, w->last_text) == 0)
    return;
  w->last_write_us = g_get_monotonic_time ();
  if (!ihw_nfd_write_file (w->cfg.path, text, &error))
    {
      /* Said once per distinct failure; tried again on the next change. */
      if (g_strcmp0 (error->message, w->last_error) != 0)
        g_warning ("NFD feature file: %s", error->message);
      g_free (w->last_error);
      w->last_error = g_strdup (error->message);
      g_clear_pointer (&w->last_text, g_free);
      return;
    }
  if (w->last_error)
    g_message ("NFD feature file %s written again", w->cfg.path);
  g_clear_pointer (&w->last_error, g_free);
  g_debug ("NFD feature file %s updated", w->cfg.path);
  g_free (w->last_text);
  w->last_text = g_steal_pointer (&text);
}

static gboolean
on_due (gpointer data)
{
  IhwNfdWriter *w = data;

  w->pending = 0;
  write_now (w);
  return G_SOURCE_REMOVE;
}

IhwNfdWriter *
ihw_nfd_writer_new (IhwRegistry *reg, const IhwNfdConfig *cfg, const IhwRequest *defaults)
{
  IhwNfdWriter *w = g_new0 (IhwNfdWriter, 1);

  w->reg = reg;
  w->cfg.path = g_strdup (cfg->path);
  w->cfg.prefix = g_strdup (cfg->prefix);
  w->cfg.remove_on_stop = cfg->remove_on_stop;
  if (defaults)
    w->defaults = *defaults;
  write_now (w);
  if (w->last_text)
    g_message ("NFD feature file %s written; kept current", w->cfg.path);
  return w;
}

void
ihw_nfd_writer_changed (gpointer writer)
{
  IhwNfdWriter *w = writer;
  gint64 due;

  if (w->pending)
    return;
  /* An idle source even when due now: the events of one uevent or Refresh
   * arrive in one go, and one write covers them all. */
  due = w->last_write_us ? w->last_write_us + MIN_INTERVAL_US - g_get_monotonic_time () : 0;
  if (due <= 0)
    w->pending = g_idle_add (on_due, w);
  else
    w->pending = g_timeout_add ((guint) ((due + 999) / 1000), on_due, w);
}

void
ihw_nfd_writer_stop (IhwNfdWriter *w)
{
  if (!w || !w->cfg.remove_on_stop)
    return;
  if (unlink (w->cfg.path) < 0 && errno != ENOENT)
    {
      int e = errno;
      g_warning ("NFD feature file: cannot remove %s: %s", w->cfg.path, g_strerror (e));
      return;
    }
  g_message ("NFD feature file %s removed (remove-on-stop)", w->cfg.path);
}

void
ihw_nfd_writer_free (IhwNfdWriter *w)
{
  if (!w)
    return;
  if (w->pending)
    g_source_remove (w->pending);
  ihw_nfd_config_clear (&w->cfg);
  g_free (w->last_text);
  g_free (w->last_error);
  g_free (w);
}
