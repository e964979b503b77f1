/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `EMULATOR --version` -> the qemu-version the hook asks CheckNesting for. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ihw-error.h"
#include "ihw-qemu-version.h"

static char *
parse (const char *text)
{
  return ihw_qemu_version_parse (text, text ? strlen (text) : 0, NULL);
}

static void
test_parse_real (void)
{
  /* the real first lines, with QEMU's second (copyright) line */
  static const struct {
    const char *output, *want;
  } cases[] = {
    /* Debian bookworm */
    { "QEMU emulator version 7.2.15 (Debian 1:7.2+dfsg-7+deb12u13)\n"
      "Copyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers\n", "7.2" },
    /* bookworm-backports */
    { "QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-1~bpo12+1)\n"
      "Copyright (c) 2003-2025 Fabrice Bellard and the QEMU Project developers\n", "10.0" },
    /* upstream build */
    { "QEMU emulator version 9.1.0\nCopyright (c) 2003-2024 Fabrice Bellard and the QEMU Project developers\n",
      "9.1" },
    /* RHEL-style package tag, a development snapshot, no newline at all */
    { "QEMU emulator version 8.2.0 (qemu-kvm-8.2.0-11.el9_4.6)\n", "8.2" },
    { "QEMU emulator version 10.2.50 (v10.2.0-1234-gdeadbeef)\n", "10.2" },
    { "QEMU emulator version 11.0.0", "11.0" },
    { "QEMU emulator version 11.0\r\n", "11.0" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *v = parse (cases[i].output);
      g_assert_cmpstr (v, ==, cases[i].want);
    }
}

static void
test_parse_bad (void)
{
  static const char *const bad[] = {
    "",
    "\n",
    "garbage",
    "qemu-system-x86_64: unknown option '--version'\n",
    "QEMU emulator version \n",
    "QEMU emulator version ten.zero\n",
    "QEMU emulator version 10\n",
    "QEMU emulator version 10.\n",
    "QEMU emulator version 0.15.1\n",
    "QEMU emulator version 100.0.0\n",
    "QEMU emulator version 10.0.2x\n",
    "QEMU emulator version 1234567890123456789012.0\n",
    /* the version must be on the first line */
    "warning: something\nQEMU emulator version 10.0.2\n",
    " QEMU emulator version 10.0.2\n",
  };
  g_autoptr (GError) error = NULL;
  g_autofree char *huge = g_malloc (1 << 20);
  g_autofree char *none = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *v = parse (bad[i]);
      if (v)
        g_error ("'%s' parsed as %s", bad[i], v);
    }
  g_assert_null (ihw_qemu_version_parse (NULL, 5, NULL));
  /* an embedded NUL ends the line */
  g_assert_null (ihw_qemu_version_parse ("QEMU emulator version \0" "10.0", 27, NULL));

  /* huge: a megabyte on one line; the reason stays short */
  memset (huge, 'A', (1 << 20) - 1);
  huge[(1 << 20) - 1] = '\0';
  g_assert_null (ihw_qemu_version_parse (huge, (1 << 20) - 1, &error));
  g_assert_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA);
  g_assert_cmpuint (strlen (error->message), <, 120);
  g_clear_error (&error);
  /* a megabyte of version string after the prefix */
  memcpy (huge, "QEMU emulator version 10.0.", 27);
  memset (huge + 27, '1', (1 << 20) - 28);
  g_assert_null (ihw_qemu_version_parse (huge, (1 << 20) - 1, NULL));

  none = ihw_qemu_version_parse ("", 0, &error);
  g_assert_null (none);
  g_assert_cmpstr (error->message, ==, "printed nothing");
}

/* A fake emulator: a shell script in a temporary directory. */
static char *
fake_emulator (const char *dir, const char *name, const char *body)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autofree char *script = g_strdup_printf ("#!/bin/sh\n%s\n", body);

  g_assert_true (g_file_set_contents (path, script, -1, NULL));
  g_assert_cmpint (chmod (path, 0755), ==, 0);
  return path;
}

static void
test_detect (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ihw-qemu-XXXXXX", NULL);
  g_autofree char *ok = fake_emulator (dir, "qemu-system-x86_64",
                                       "[ \"$1\" = --version ] || exit 3\n"
                                       "[ \"$LC_ALL\" = C ] && [ -z \"$HOME\" ] || exit 4\n"
                                       "echo 'QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-1~bpo12+1)'\n"
                                       "echo 'Copyright (c) 2003-2025 Fabrice Bellard and the QEMU Project developers'");
  g_autofree char *fails = fake_emulator (dir, "fails", "echo oops >&2; exit 2");
  g_autofree char *silly = fake_emulator (dir, "silly", "echo 'Usage: something else'");
  g_autofree char *hangs = fake_emulator (dir, "hangs", "echo 'QEMU emulator version 10.0.2'; sleep 60");
  g_autofree char *missing = g_build_filename (dir, "missing", NULL);
  g_autofree char *v = NULL;
  gint64 t0;

  g_setenv ("HOME", "/root", TRUE);
  v = ihw_qemu_version_detect (ok, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (v, ==, "10.0");

  g_assert_null (ihw_qemu_version_detect (fails, 0, &error));
  g_assert_nonnull (strstr (error->message, "exited with status 2"));
  g_clear_error (&error);
  g_assert_null (ihw_qemu_version_detect (silly, 0, &error));
  g_assert_nonnull (strstr (error->message, "printed no QEMU version"));
  g_clear_error (&error);
  g_assert_null (ihw_qemu_version_detect (missing, 0, &error));
  g_assert_nonnull (strstr (error->message, "No such file"));
  g_clear_error (&error);
  g_assert_null (ihw_qemu_version_detect ("qemu-system-x86_64", 0, &error));
  g_assert_nonnull (strstr (error->message, "not an absolute path"));
  g_clear_error (&error);
  g_assert_null (ihw_qemu_version_detect (dir, 0, &error));
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  g_clear_error (&error);

  /* hangs after printing: killed at the deadline, whole process group */
  t0 = g_get_monotonic_time ();
  g_assert_null (ihw_qemu_version_detect (hangs, 300, &error));
  g_assert_nonnull (strstr (error->message, "did not answer within 300 ms"));
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 2 * G_USEC_PER_SEC);

  if (geteuid () == 0)
    {
      /* root runs only what no one else could have replaced */
      g_clear_error (&error);
      g_assert_cmpint (chmod (ok, 0777), ==, 0);
      g_assert_null (ihw_qemu_version_detect (ok, 0, &error));
      g_assert_nonnull (strstr (error->message, "writable by group or others"));
    }

  for (const char *const *f = (const char *const[]){ ok, fails, silly, hangs, NULL }; *f; f++)
    unlink (*f);
  rmdir (dir);
}

/* The version cache: a hit needs the same path, inode, size and mtime; a
 * corrupt or world-writable cache is ignored; the rewrite is atomic. */
static void
test_cache (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ihw-qv-XXXXXX", NULL);
  g_autofree char *emu = g_build_filename (dir, "qemu", NULL);
  g_autofree char *cache = g_build_filename (dir, "cache", "qemu-versions", NULL);
  g_autoptr (GError) error = NULL;
  gboolean hit = TRUE;
  char *v;

  g_assert_true (g_file_set_contents (emu, "#!/bin/sh\necho 'QEMU emulator version 10.0.2'\n", -1, NULL));
  g_assert_cmpint (chmod (emu, 0755), ==, 0);
  v = ihw_qemu_version_detect_cached (emu, 3000, cache, &hit, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (v, ==, "10.0");
  g_assert_false (hit);
  g_free (v);
  v = ihw_qemu_version_detect_cached (emu, 3000, cache, &hit, &error);
  g_assert_cmpstr (v, ==, "10.0");
  g_assert_true (hit);
  g_free (v);

  /* a new emulator at the same path (other size and mtime): asked again */
  g_assert_true (g_file_set_contents (emu, "#!/bin/sh\necho 'QEMU emulator version 11.1.0'   \n", -1, NULL));
  g_assert_cmpint (chmod (emu, 0755), ==, 0);
  v = ihw_qemu_version_detect_cached (emu, 3000, cache, &hit, &error);
  g_assert_cmpstr (v, ==, "11.1");
  g_assert_false (hit);
  g_free (v);

  /* corrupt: ignored, then rewritten */
  g_assert_true (g_file_set_contents (cache, "v1 garbage\n\x01\x02 v1 1 2 3 4 99.99 /x\n", -1, NULL));
  v = ihw_qemu_version_detect_cached (emu, 3000, cache, &hit, &error);
  g_assert_cmpstr (v, ==, "11.1");
  g_assert_false (hit);
  g_free (v);
  v = ihw_qemu_version_detect_cached (emu, 3000, cache, &hit, &error);
  g_assert_true (hit);
  g_free (v);

  /* writable by others: not trusted */
  g_assert_cmpint (chmod (cache, 0666), ==, 0);
  v = ihw_qemu_version_detect_cached (emu, 3000, cache, &hit, &error);
  g_assert_cmpstr (v, ==, "11.1");
  g_assert_false (hit);
  g_free (v);
  {
    struct stat st;
    g_assert_cmpint (stat (cache, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0644);   /* rewritten, not reused */
  }

  /* no cache: plain detection */
  v = ihw_qemu_version_detect_cached (emu, 3000, "", &hit, &error);
  g_assert_cmpstr (v, ==, "11.1");
  g_assert_false (hit);
  g_free (v);

  unlink (cache);
  {
    g_autofree char *cdir = g_path_get_dirname (cache);
    rmdir (cdir);
  }
  unlink (emu);
  rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/qemu-version/parse-real", test_parse_real);
  g_test_add_func ("/qemu-version/parse-bad", test_parse_bad);
  g_test_add_func ("/qemu-version/detect", test_detect);
  g_test_add_func ("/qemu-version/cache", test_cache);
  return g_test_run ();
}
