/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON renderings shared by the CLI and the daemon (SPEC §5 keys). */
#pragma once

#include <json-glib/json-glib.h>

#include "ihw-features.h"
#include "ihw-verdict.h"

G_BEGIN_DECLS

/* Adds "vendor", "registers", "features" and "unknown_bits" members to the
 * object being built. */
void ihw_json_add_features (JsonBuilder *b, const IhwFeatures *f);

/* {"verdict": s, "reasons": [{"device"?, "requirement", "needed", "found", "why"}], "notes": [s]} */
void ihw_json_add_result (JsonBuilder *b, const IhwResult *r);

/* The whole `decode --json` object: features plus "nesting" for the models
 * given (n_models entries of `models`, with their results). */
JsonNode *ihw_json_decode (const IhwFeatures *f, const IhwModel *models, IhwResult *const *results, guint n_models);

/* Pretty text of a node, with a trailing newline. */
char *ihw_json_to_string (JsonNode *node, gboolean pretty);

G_END_DECLS
