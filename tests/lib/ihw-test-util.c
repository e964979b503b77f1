/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-test-util.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <unistd.h>

void
ihw_test_put_file (const char *root, const char *rel, const char *content, gssize len)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_file_set_contents (path, content, len, &error);
  g_assert_no_error (error);
}

void
ihw_test_put_link (const char *root, const char *rel, const char *target)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  (void) unlink (path);
  if (symlink (target, path) != 0)
    g_error ("symlink %s -> %s: %s", path, target, g_strerror (errno));
}

guint64
ihw_test_reg_value (const IhwFeatures *f, const char *reg)
{
  int i = ihw_features_reg_index (f, reg);
  g_assert_cmpint (i, >=, 0);
  g_assert_true (ihw_features_has_reg (f, (guint) i));
  return f->regs[i];
}
