/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the libvirt hook's reader of hook.conf (hook_conf_load(),
 * static in the hook, so the hook's source is compiled in here with its
 * main() renamed).  Input: the file's contents.  Whatever the file holds,
 * the settings stay in their ranges and every warning is one line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib/gstdio.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/nonexistent"
#endif
int ihw_hook_main (int argc, char **argv);
#define main ihw_hook_main
#include "iommu-hwinfo-libvirt-hook.c"
#undef main

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* g_assert() would print through this very handler: say it plainly. */
static void
check_warning (const char *text)
{
  const char *nl = strchr (text, '\n');

  /* One line: a value from the file cannot start a line of its own in
   * libvirt's log. */
  if (!g_str_has_prefix (text, PREFIX "warning: ") || !nl || nl[1] != '\0')
    {
      fprintf (stderr, "fuzz-hook-conf: not a one-line warning: [%s]\n", text);
      abort ();
    }
}

static char *path;

static void
remove_file (void)
{
  g_unlink (path);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_auto (HookConf) conf = { 0 };

  if (!path)
    {
      int fd = g_file_open_tmp ("fuzz-hook-conf-XXXXXX", &path, NULL);
      g_assert_cmpint (fd, >=, 0);
      close (fd);
      atexit (remove_file);
      g_setenv ("IHW_HOOK_CONF", path, TRUE);
      g_set_printerr_handler (check_warning);
    }
  /* No fsync: the file is rewritten for every input. */
  g_assert_true (g_file_set_contents_full (path, (const char *) data, (gssize) size, G_FILE_SET_CONTENTS_NONE,
                                           0600, NULL));
  hook_conf_load (&conf);

  g_assert_cmpstr (conf.path, ==, path);
  g_assert_cmpint (conf.timeout_ms, >=, 1);
  g_assert_cmpint (conf.timeout_ms, <=, HOOK_TIMEOUT_MAX_MS);
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
  return 0;
}
