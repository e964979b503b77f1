/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's own node-feature-discovery file ([nfd] path= in
 * iommu-hwinfod.conf): written at start-up and again whenever the labels
 * change (hotplug, driver rebind, Refresh), at most once per second, and
 * removed on a clean stop when remove-on-stop=true.  The labels are
 * common/ihw-nfd.c's, the same `iommu-hwinfoctl nfd` prints.
 */
#pragma once

#include <glib.h>

#include "ihw-registry.h"

G_BEGIN_DECLS

typedef struct {
  char *path;              /* absolute; NULL: no file */
  char *prefix;            /* label namespace; NULL: IHW_NFD_DEFAULT_PREFIX, "": bare names */
  gboolean remove_on_stop;
} IhwNfdConfig;

void ihw_nfd_config_clear (IhwNfdConfig *c);
/* Reads the [nfd] group of `kf` (loaded from `file`, for messages).  A
 * relative path or an invalid prefix is IHW_ERROR_INVALID_ARGUMENT; unknown
 * keys are warned about. */
gboolean ihw_nfd_config_load (IhwNfdConfig *c, GKeyFile *kf, const char *file, GError **error);

typedef struct _IhwNfdWriter IhwNfdWriter;

/* Writes the file once now.  `defaults` is the daemon's default request
 * (its qemu-version), as for the D-Bus methods; copied. */
IhwNfdWriter *ihw_nfd_writer_new (IhwRegistry *reg, const IhwNfdConfig *cfg, const IhwRequest *defaults);
/* Something in the registry changed (an IhwRegistryChangeHook): the file
 * is rewritten, if its text changed, as soon as one second has passed
 * since the last write. */
void ihw_nfd_writer_changed (gpointer writer);
/* A clean stop: removes the file when remove-on-stop is set. */
void ihw_nfd_writer_stop (IhwNfdWriter *w);
void ihw_nfd_writer_free (IhwNfdWriter *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IhwNfdWriter, ihw_nfd_writer_free)

G_END_DECLS
