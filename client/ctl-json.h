/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CLI's JSON renderings of registers and results (SPEC §5 keys). */
#pragma once

#include <json-glib/json-glib.h>

#include "ihw-features.h"
#include "ihw-verdict.h"

G_BEGIN_DECLS

/* Adds "vendor", "registers", "features" and "unknown_bits" members to the
 * object being built. */
void ctl_json_add_features (JsonBuilder *b, const IhwFeatures *f);

/* "reasons": [{"device", "requirement", "needed", "found", "why"?, "fix"}]:
 * the one writer of reasons; "fix" (what to change, ihw_reason_fix() for
 * `model`) is null when there is nothing to change.  `omit_empty_device`:
 * leave "device" out when it is "" (decode's bare registers belong to no
 * device). */
void ctl_json_add_reasons (JsonBuilder *b, IhwModel model, const GPtrArray *reasons, gboolean omit_empty_device);

/* {"verdict": s, "reasons": [...], "notes": [s]}, reasons without empty devices. */
void ctl_json_add_result (JsonBuilder *b, IhwModel model, const IhwResult *r);

/* The whole `decode --json` object: features plus "nesting" for the models
 * given (n_models entries of `models`, with their results). */
JsonNode *ctl_json_decode (const IhwFeatures *f, const IhwModel *models, IhwResult *const *results, guint n_models);

/* Pretty text of a node, with a trailing newline. */
char *ctl_json_to_string (JsonNode *node, gboolean pretty);

G_END_DECLS
