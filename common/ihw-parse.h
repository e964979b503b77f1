/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Register values as people and the kernel write them: hex with or without
 * 0x, a dmesg line ("cap d2008c222f0606 ecap f00f4a"), AMD's
 * "Extended features (0xEFR, 0xEFR2): PPR NX ..." or sysfs "efr:efr2".
 */
#pragma once

#include "ihw-features.h"

G_BEGIN_DECLS

/* Upper bound on what we accept from any one text value (sysfs file, argument). */
#define IHW_PARSE_MAX_TEXT 4096

/* One hex number, optional 0x, optional surrounding white space.  Fails with
 * IHW_ERROR_BAD_DATA and a message naming `what` when the text is empty, not
 * hex, or does not fit in `bits` bits. */
gboolean ihw_parse_hex (const char *text, guint bits, const char *what, guint64 *out, GError **error);

/* The registers of `vendor` from command-line words (as pasted; words may
 * themselves contain spaces).  Positional forms:
 *   intel-vtd:  CAP ECAP
 *   amd-vi:     EFR [EFR2]      or "EFR:EFR2"
 *   arm-smmuv3: IDR0 IDR1 IDR3 IDR5
 * Labelled forms ("cap X ecap Y", "cap=X", "idr0: X", AMD's
 * "Extended features (0xX, 0xY): names") may be preceded by a log prefix,
 * which is ignored; after the first label only label/value pairs may follow. */
gboolean ihw_parse_register_words (IhwVendor vendor, const char *const *words, IhwFeatures *out, GError **error);

G_END_DECLS
