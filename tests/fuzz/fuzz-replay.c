/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A driver for the fuzz targets when libFuzzer is not available (gcc
 * builds): runs every file of the seed corpus, then a fixed number of
 * deterministic mutations of them (fixed seed), so the targets run in every
 * build.  With clang, the same targets link against libFuzzer instead.
 *
 *   fuzz-replay-TARGET [-runs=N] [-seed=N] CORPUS_DIR...
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
main (int argc, char **argv)
{
  g_autoptr (GPtrArray) seeds = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  guint runs = 10000, seed = 1;
  g_autoptr (GRand) rand = NULL;

  for (int i = 1; i < argc; i++)
    {
      g_autoptr (GDir) dir = NULL;
      if (g_str_has_prefix (argv[i], "-runs="))
        {
          runs = (guint) strtoul (argv[i] + 6, NULL, 10);
          continue;
        }
      if (g_str_has_prefix (argv[i], "-seed="))
        {
          seed = (guint) strtoul (argv[i] + 6, NULL, 10);
          continue;
        }
      dir = g_dir_open (argv[i], 0, NULL);
      if (!dir)
        {
          g_printerr ("fuzz-replay: cannot open corpus %s\n", argv[i]);
          return 1;
        }
      for (const char *name; (name = g_dir_read_name (dir));)
        {
          g_autofree char *path = g_build_filename (argv[i], name, NULL);
          char *contents;
          gsize len;
          if (g_file_get_contents (path, &contents, &len, NULL))
            g_ptr_array_add (seeds, g_bytes_new_take (contents, len));
        }
    }
  if (seeds->len == 0)
    {
      g_printerr ("fuzz-replay: empty corpus\n");
      return 1;
    }
  for (guint i = 0; i < seeds->len; i++)
    {
      gsize len;
      const guint8 *d = g_bytes_get_data (seeds->pdata[i], &len);
      LLVMFuzzerTestOneInput (d, len);
    }

  rand = g_rand_new_with_seed (seed);
  for (guint r = 0; r < runs; r++)
    {
      gsize len;
      const guint8 *d = g_bytes_get_data (seeds->pdata[g_rand_int_range (rand, 0, (gint32) seeds->len)], &len);
      gsize n = len + (gsize) g_rand_int_range (rand, 0, 16);
      g_autofree guint8 *buf = g_malloc0 (n ? n : 1);
      guint flips = (guint) g_rand_int_range (rand, 1, 8);

      memcpy (buf, d, len);
      for (guint k = 0; k < flips && n; k++)
        {
          gsize at = (gsize) g_rand_int_range (rand, 0, (gint32) n);
          switch (g_rand_int_range (rand, 0, 3))
            {
            case 0:
              buf[at] ^= (guint8) (1u << g_rand_int_range (rand, 0, 8));
              break;
            case 1:
              buf[at] = (guint8) g_rand_int_range (rand, 0, 256);
              break;
            default:
              n = at; /* truncate */
            }
        }
      LLVMFuzzerTestOneInput (buf, n);
    }
  g_print ("fuzz-replay: %u seeds, %u mutated runs, seed %u: no crash\n", seeds->len, runs, seed);
  return 0;
}
