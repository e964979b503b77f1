/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How fast the pure path answers: parse pasted registers, decode, and the
 * full CheckNesting and Negotiate over every recorded machine.  Prints time
 * per operation and the ratio to a budget (a ratio below 1 is within it).
 * The budgets: a libvirt hook runs one CheckNesting per VM start and must
 * stay far below libvirt's own ~30 ms veto path (FACTS.md); 100 us per
 * check and 500 us per negotiation leave two orders of magnitude.
 *
 *   meson test -C _build --benchmark --suite bench -v
 */
#include <stdio.h>
#include <string.h>

#include "ihw-negotiate.h"
#include "ihw-parse.h"
#include "ihw-verdict.h"

typedef struct {
  IhwVendor vendor;
  char *input;
} Sample;

static GArray *
load_samples (const char *dir)
{
  GArray *a = g_array_new (FALSE, TRUE, sizeof (Sample));
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  for (const char *n; d && (n = g_dir_read_name (d));)
    {
      g_autofree char *path = g_build_filename (dir, n, NULL);
      g_autoptr (GKeyFile) kf = g_key_file_new ();
      g_autofree char *vendor = NULL;
      Sample s;
      if (!g_str_has_suffix (n, ".ini") || !g_key_file_load_from_file (kf, path, 0, NULL))
        continue;
      vendor = g_key_file_get_string (kf, "fixture", "vendor", NULL);
      s.vendor = ihw_vendor_desc_by_name (vendor)->vendor;
      s.input = g_key_file_get_string (kf, "fixture", "input", NULL);
      g_array_append_val (a, s);
    }
  return a;
}

static void
report (const char *what, guint64 n, gint64 usec, double budget_us)
{
  double per = (double) usec / (double) n;
  printf ("%-34s %9" G_GUINT64_FORMAT " ops  %8.2f us/op  budget %6.1f us  ratio %.4f\n", what, n, per, budget_us,
          per / budget_us);
}

int
main (int argc, char **argv)
{
  const char *fixtures = g_getenv ("IHW_FIXTURES_DIR");
  g_autofree char *dir = g_build_filename (fixtures ? fixtures : "tests/fixtures", "registers", NULL);
  GArray *samples = load_samples (dir);
  guint rounds = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 2000;
  IhwFeatures *feats;
  gint64 t0;
  guint64 n = 0;

  if (samples->len == 0)
    {
      g_printerr ("bench: no fixtures under %s\n", dir);
      return 1;
    }
  feats = g_new0 (IhwFeatures, samples->len);

  t0 = g_get_monotonic_time ();
  for (guint r = 0; r < rounds; r++)
    for (guint i = 0; i < samples->len; i++, n++)
      {
        Sample *s = &g_array_index (samples, Sample, i);
        const char *words[] = { s->input, NULL };
        if (!ihw_parse_register_words (s->vendor, words, &feats[i], NULL))
          return 1;
      }
  report ("parse pasted registers", n, g_get_monotonic_time () - t0, 20.0);

  n = 0;
  t0 = g_get_monotonic_time ();
  for (guint r = 0; r < rounds; r++)
    for (guint i = 0; i < samples->len; i++, n++)
      {
        IhwDeviceFacts facts = { .device = "0000:3a:00.0", .features = &feats[i] };
        IhwResult *res = ihw_check_nesting (ihw_vendor_model (feats[i].desc->vendor), &facts, 1, NULL);
        ihw_result_free (res);
      }
  report ("CheckNesting, 1 device", n, g_get_monotonic_time () - t0, 100.0);

  n = 0;
  t0 = g_get_monotonic_time ();
  for (guint r = 0; r < rounds / 10 + 1; r++)
    for (guint i = 0; i < samples->len; i++, n++)
      {
        IhwDeviceFacts facts[8];
        for (guint k = 0; k < G_N_ELEMENTS (facts); k++)
          facts[k] = (IhwDeviceFacts) { .device = "0000:3a:00.0", .features = &feats[i] };
        IhwNegotiation *neg = ihw_negotiate (ihw_vendor_model (feats[i].desc->vendor), facts, 8, NULL);
        ihw_negotiation_free (neg);
      }
  report ("Negotiate, 8 devices", n, g_get_monotonic_time () - t0, 500.0);

  for (guint i = 0; i < samples->len; i++)
    g_free (g_array_index (samples, Sample, i).input);
  g_array_unref (samples);
  g_free (feats);
  return 0;
}
