/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GLib log writer: the journal (with priority and code location) when
 * stderr is connected to it, as systemd sets up for services
 * (JOURNAL_STREAM), else one plain line per message on stderr.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Installs the writer the first time; later calls change verbosity only. */
void ihw_log_setup (gboolean verbose);

G_END_DECLS
