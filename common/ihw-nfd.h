/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * node-feature-discovery labels: the "local" feature file
 * (/etc/kubernetes/node-feature-discovery/features.d/), one
 * `<namespace>/<name>=<value>` per line, '#' lines are comments.  NFD turns
 * each line into a node label, so every name and value must be a valid
 * Kubernetes label name/value: at most 63 characters of [A-Za-z0-9-_.],
 * beginning and ending with an alphanumeric (values may be empty).
 *
 * One generator for `iommu-hwinfoctl nfd` (answers over D-Bus) and the
 * daemon's own file ([nfd] path=, answers from its registry): both feed the
 * same per-model verdicts and negotiated configurations in, so the labels
 * cannot drift apart.  Names and units: iommu-hwinfoctl(1), NFD LABELS.
 */
#pragma once

#include <glib.h>

#include "ihw-verdict.h"

G_BEGIN_DECLS

#define IHW_NFD_DEFAULT_PREFIX "feature.node.kubernetes.io"
/* NFD ignores feature files larger than 64 kB. */
#define IHW_NFD_FILE_MAX (64 * 1024)

/* A label prefix: a DNS subdomain (lower-case alphanumerics, '-', '.'). */
gboolean ihw_nfd_prefix_valid (const char *prefix);

typedef struct {
  char *prefix;       /* "" for bare names */
  GPtrArray *names;   /* char *, with the prefix, in output order */
  GPtrArray *values;  /* char * */
  GPtrArray *skipped; /* char * "name=value" that are not valid labels */
} IhwNfdLabels;

IhwNfdLabels *ihw_nfd_labels_new (const char *prefix);
void ihw_nfd_labels_free (IhwNfdLabels *l);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IhwNfdLabels, ihw_nfd_labels_free)

/* iommu.iommufd=true|false */
void ihw_nfd_labels_add_iommufd (IhwNfdLabels *l, gboolean available);
/* iommu.nesting.<model>=true|false and, when supported, the negotiated
 * configuration (`config`: a{sv} with the request keys, may be NULL) as
 * iommu.<model>.<key>, '-' in keys becoming '_'. */
void ihw_nfd_labels_add_model (IhwNfdLabels *l, IhwModel model, IhwVerdict verdict, GVariant *config);

/* The devices to judge: the vfio-pci ones (what a VM can be given); on a
 * host with none, every device behind an IOMMU (what it could offer once
 * one is bound).  Returns a NULL-terminated array of the addresses (not
 * copied) and in *which what they are, for the file's comment. */
typedef struct {
  const char *address;
  const char *driver;
  gboolean has_iommu;
} IhwNfdDevice;
GPtrArray *ihw_nfd_pick_devices (const IhwNfdDevice *devices, guint n_devices, const char **which);

/* The feature file's text: two comment lines (`generator`, what was judged)
 * then name=value lines. */
char *ihw_nfd_labels_to_text (const IhwNfdLabels *l, const char *generator, const char *which,
                              const char *const *devices);

/* Writes `text` to `path` atomically: a dot file in the same directory (NFD
 * ignores dot files), mode 0644, fsync, rename(2).  On failure the old file
 * is left as it was. */
gboolean ihw_nfd_write_file (const char *path, const char *text, GError **error);

G_END_DECLS
