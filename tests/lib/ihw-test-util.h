/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers the test programs share: sysfs trees under a root, register values. */
#pragma once

#include <glib.h>

#include "ihw-features.h"

G_BEGIN_DECLS

/* <root>/<rel> with `content` (`len` -1: a string), parents created. */
void ihw_test_put_file (const char *root, const char *rel, const char *content, gssize len);
/* <root>/<rel> -> `target` (relative, as the kernel makes them), parents
 * created, an existing entry replaced. */
void ihw_test_put_link (const char *root, const char *rel, const char *target);

/* The value of register `reg`, which must be known. */
guint64 ihw_test_reg_value (const IhwFeatures *f, const char *reg);

G_END_DECLS
