/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: hook.conf's reader (ihw_hook_conf_load(), shared by the
 * libvirt hook and domain-check).  Input: the file's contents.  Whatever
 * the file holds, the settings stay in their ranges and every warning is
 * one line (the hook prints each on its own line of libvirt's log).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ihw-decision.h"
#include "ihw-qemu-version.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char *path;

static void
remove_file (void)
{
  g_unlink (path);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_auto (IhwHookConf) conf = { 0 };

  if (!path)
    {
      int fd = g_file_open_tmp ("fuzz-hook-conf-XXXXXX", &path, NULL);
      g_assert_cmpint (fd, >=, 0);
      close (fd);
      atexit (remove_file);
    }
  /* No fsync: the file is rewritten for every input. */
  g_assert_true (g_file_set_contents_full (path, (const char *) data, (gssize) size, G_FILE_SET_CONTENTS_NONE,
                                           0600, NULL));
  ihw_hook_conf_load (&conf, path, "/nonexistent");

  g_assert_cmpstr (conf.path, ==, path);
  g_assert_cmpint (conf.timeout_ms, >=, 1);
  g_assert_cmpint (conf.timeout_ms, <=, IHW_HOOK_TIMEOUT_MAX_MS);
  if (conf.bus_address)
    {
      g_assert_cmpstr (conf.bus_address, !=, "");
      g_assert_false (g_ascii_isspace (conf.bus_address[0]));
    }
  if (conf.qemu_version)
    {
      guint qemu;
      g_assert_true (ihw_qemu_version_from_text (conf.qemu_version, &qemu, NULL));
    }
  for (guint i = 0; i < conf.warnings->len; i++)
    {
      const char *w = conf.warnings->pdata[i];
      /* A value from the file cannot start a line of its own. */
      if (strchr (w, '\n') || strchr (w, '\r'))
        {
          fprintf (stderr, "fuzz-hook-conf: not a one-line warning: [%s]\n", w);
          abort ();
        }
    }
  return 0;
}
