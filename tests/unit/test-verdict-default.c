/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The default (hardware and kernel) nesting rows per vendor, both ways. */
#include <string.h>

#include "ihw-verdict.h"

static IhwResult *
check (IhwModel model, IhwFeatures *f, IhwNestParent np)
{
  IhwDeviceFacts facts = { .device = "0000:3a:00.0", .features = f, .nest_parent = np };
  return ihw_check_host (model, &facts, 1);
}

static const IhwReason *
find_reason (const IhwResult *r, const char *requirement)
{
  for (guint i = 0; i < r->reasons->len; i++)
    {
      const IhwReason *x = r->reasons->pdata[i];
      if (strcmp (x->requirement, requirement) == 0)
        return x;
    }
  return NULL;
}

/* Each Intel requirement fails alone, with exactly its reason row. */
static void
test_intel_rows (void)
{
  static const struct {
    const char *requirement;
    guint reg;
    guint bit;
    gboolean set_fails; /* TRUE: setting the bit fails the row (cap.CM) */
  } rows[] = {
    { "ecap.SMTS", 1, 43, FALSE }, { "ecap.NEST", 1, 26, FALSE }, { "ecap.FLTS", 1, 47, FALSE },
    { "ecap.SLTS", 1, 46, FALSE }, { "cap.CM", 0, 7, TRUE },
  };
  const guint64 good_ecap = (1ull << 43) | (1ull << 26) | (1ull << 47) | (1ull << 46);

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      IhwFeatures f;
      g_autoptr (IhwResult) ok = NULL, bad = NULL;
      const IhwReason *r;

      ihw_features_init (&f, IHW_VENDOR_INTEL_VTD);
      ihw_features_set_reg (&f, "cap", 0);
      ihw_features_set_reg (&f, "ecap", good_ecap);
      ok = check (IHW_MODEL_INTEL, &f, IHW_NEST_PARENT_UNKNOWN);
      g_assert_cmpint (ok->verdict, ==, IHW_VERDICT_SUPPORTED);
      g_assert_cmpuint (ok->reasons->len, ==, 0);

      f.regs[rows[i].reg] ^= 1ull << rows[i].bit;
      bad = check (IHW_MODEL_INTEL, &f, IHW_NEST_PARENT_UNKNOWN);
      g_assert_cmpint (bad->verdict, ==, IHW_VERDICT_UNSUPPORTED);
      g_assert_cmpuint (bad->reasons->len, ==, 1);
      r = find_reason (bad, rows[i].requirement);
      g_assert_nonnull (r);
      g_assert_cmpstr (r->device, ==, "0000:3a:00.0");
      g_assert_cmpstr (r->needed, ==, rows[i].set_fails ? "0" : "1");
      g_assert_cmpstr (r->found, ==, rows[i].set_fails ? "1" : "0");
      g_assert_nonnull (r->why);
    }
}

static void
test_intel_kernel_and_erratum (void)
{
  IhwFeatures f;
  g_autoptr (IhwResult) refused = NULL, noted = NULL;

  ihw_features_init (&f, IHW_VENDOR_INTEL_VTD);
  ihw_features_set_reg (&f, "cap", 0);
  ihw_features_set_reg (&f, "ecap", (1ull << 43) | (1ull << 26) | (1ull << 47) | (1ull << 46));
  /* registers say yes, the kernel said no: the kernel wins */
  refused = check (IHW_MODEL_INTEL, &f, IHW_NEST_PARENT_NO);
  g_assert_cmpint (refused->verdict, ==, IHW_VERDICT_UNSUPPORTED);
  g_assert_nonnull (find_reason (refused, "kernel.NEST_PARENT"));
  /* the SPR17 erratum flag is a note, not a failure */
  f.has_hw_info_flags = TRUE;
  f.hw_info_flags = 1;
  noted = check (IHW_MODEL_INTEL, &f, IHW_NEST_PARENT_YES);
  g_assert_cmpint (noted->verdict, ==, IHW_VERDICT_SUPPORTED);
  g_assert_cmpuint (noted->notes->len, ==, 1);
  g_assert_nonnull (strstr (noted->notes->pdata[0], "read-only"));
}

static void
test_amd_rows (void)
{
  IhwFeatures f;
  ihw_features_init (&f, IHW_VENDOR_AMD_VI);
  ihw_features_set_reg (&f, "efr", (1ull << 4) | (1ull << 48));
  ihw_features_set_reg (&f, "efr2", 1ull << 3); /* GCR3TRPMode */
  {
    g_autoptr (IhwResult) r = check (IHW_MODEL_AMD, &f, IHW_NEST_PARENT_UNKNOWN);
    g_assert_cmpint (r->verdict, ==, IHW_VERDICT_SUPPORTED);
  }
  /* The host can nest, but no QEMU's amd-iommu can use it: the full check
   * says so with a reason naming QEMU. */
  {
    IhwDeviceFacts facts = { .device = "0000:3a:00.0", .features = &f };
    g_autoptr (IhwResult) r = ihw_check_nesting (IHW_MODEL_AMD, &facts, 1, NULL);
    g_assert_cmpint (r->verdict, ==, IHW_VERDICT_UNSUPPORTED);
    g_assert_nonnull (find_reason (r, "qemu.amd-iommu"));
  }
  f.regs[0] = 1ull << 4; /* no GIOSup */
  {
    g_autoptr (IhwResult) r = check (IHW_MODEL_AMD, &f, IHW_NEST_PARENT_UNKNOWN);
    g_assert_cmpint (r->verdict, ==, IHW_VERDICT_UNSUPPORTED);
    g_assert_cmpuint (r->reasons->len, ==, 1);
    g_assert_nonnull (find_reason (r, "efr.GIOSup"));
  }
}

static void
test_smmuv3_rows (void)
{
  IhwFeatures f;
  ihw_features_init (&f, IHW_VENDOR_ARM_SMMUV3);
  ihw_features_set_reg (&f, "idr0", 0x3);
  ihw_features_set_reg (&f, "idr3", 0);
  {
    /* both stages, no FWB: supported, with the coherency note */
    g_autoptr (IhwResult) r = check (IHW_MODEL_SMMUV3, &f, IHW_NEST_PARENT_UNKNOWN);
    g_assert_cmpint (r->verdict, ==, IHW_VERDICT_SUPPORTED);
    g_assert_cmpuint (r->notes->len, ==, 1);
    g_assert_nonnull (strstr (r->notes->pdata[0], "CANWBS"));
  }
  f.regs[3] = 1u << 8; /* FWB: no note */
  f.regs[0] = 0x2;     /* S1P only */
  {
    g_autoptr (IhwResult) r = check (IHW_MODEL_SMMUV3, &f, IHW_NEST_PARENT_UNKNOWN);
    g_assert_cmpint (r->verdict, ==, IHW_VERDICT_UNSUPPORTED);
    g_assert_nonnull (find_reason (r, "idr0.S2P"));
    g_assert_cmpuint (r->notes->len, ==, 0);
  }
}

/* Missing data is unknown, never supported; a wrong vendor is unsupported. */
static void
test_unknown_and_vendor (void)
{
  IhwFeatures f;
  IhwDeviceFacts none = { .device = "0000:01:00.0", .features = NULL, .no_features_reason = "arm-smmuv3 (no registers in sysfs)" };
  g_autoptr (IhwResult) r1 = ihw_check_host (IHW_MODEL_SMMUV3, &none, 1);
  g_assert_cmpint (r1->verdict, ==, IHW_VERDICT_UNKNOWN);
  g_assert_cmpuint (r1->reasons->len, ==, 1);

  /* registers of a vendor without the field's register: unknown */
  ihw_features_init (&f, IHW_VENDOR_INTEL_VTD);
  ihw_features_set_reg (&f, "cap", 0);
  {
    g_autoptr (IhwResult) r = check (IHW_MODEL_INTEL, &f, IHW_NEST_PARENT_UNKNOWN);
    const IhwReason *nest = find_reason (r, "ecap.NEST");
    g_assert_cmpint (r->verdict, ==, IHW_VERDICT_UNKNOWN);
    g_assert_nonnull (nest);
    g_assert_cmpstr (nest->found, ==, "unknown");
  }
  ihw_features_set_reg (&f, "ecap", 0);
  {
    g_autoptr (IhwResult) r = check (IHW_MODEL_AMD, &f, IHW_NEST_PARENT_UNKNOWN);
    const IhwReason *v = find_reason (r, "iommu.vendor");
    g_assert_cmpint (r->verdict, ==, IHW_VERDICT_UNSUPPORTED);
    g_assert_nonnull (v);
    g_assert_cmpstr (v->needed, ==, "amd-vi");
    g_assert_cmpstr (v->found, ==, "intel-vtd");
  }
  /* virtio never nests, whatever the host (a model row, not a host row) */
  {
    IhwDeviceFacts facts = { .device = "0000:3a:00.0", .features = &f, .nest_parent = IHW_NEST_PARENT_YES };
    g_autoptr (IhwResult) r = ihw_check_nesting (IHW_MODEL_VIRTIO, &facts, 1, NULL);
    g_assert_cmpint (r->verdict, ==, IHW_VERDICT_UNSUPPORTED);
    g_assert_nonnull (find_reason (r, "model.virtio"));
  }
}

/* Reasons that came over D-Bus (no room for the sentence) get it back from
 * the same tables: every reason the engine gives can be explained. */
static void
test_requirement_why (void)
{
  IhwFeatures f;
  IhwDeviceFacts facts[2] = { { .device = "0000:01:00.0", .features = &f },
                              { .device = "0000:02:00.0", .no_iommu = TRUE } };
  g_autoptr (IhwResult) r = NULL;

  /* Alder Lake client (tests/fixtures/registers): fails hardware, request
   * and QEMU default rows */
  ihw_features_init (&f, IHW_VENDOR_INTEL_VTD);
  ihw_features_set_reg (&f, "cap", 0xd2008c40660462ull);
  ihw_features_set_reg (&f, "ecap", 0xf050da);
  r = ihw_check_nesting (IHW_MODEL_INTEL, facts, 2, NULL);
  g_assert_cmpuint (r->reasons->len, >=, 5);
  for (guint i = 0; i < r->reasons->len; i++)
    {
      const IhwReason *x = r->reasons->pdata[i];
      g_autofree char *why = ihw_requirement_why (IHW_MODEL_INTEL, x->requirement, x->needed, x->found);
      if (!why || !g_str_has_prefix (x->why, why))
        g_error ("%s: engine says '%s', lookup says '%s'", x->requirement, x->why, why ? why : "(null)");
    }
  /* rows sharing a name: x-flts's aw-bits list, not the MGAW row */
  {
    IhwFeatures spr;
    IhwDeviceFacts d = { .device = "0000:3a:00.0", .features = &spr };
    IhwRequest req = { 0 };
    g_autoptr (IhwResult) r2 = NULL;
    ihw_features_init (&spr, IHW_VENDOR_INTEL_VTD);
    ihw_features_set_reg (&spr, "cap", 0x19ed008c40780c66ull);
    ihw_features_set_reg (&spr, "ecap", 0x3ee9e86f050dfull);
    ihw_request_set (&req, "aw-bits", 57);
    r2 = ihw_check_nesting (IHW_MODEL_INTEL, &d, 1, &req);
    g_assert_cmpuint (r2->reasons->len, >=, 1);
    for (guint i = 0; i < r2->reasons->len; i++)
      {
        const IhwReason *x = r2->reasons->pdata[i];
        g_autofree char *why = ihw_requirement_why (IHW_MODEL_INTEL, x->requirement, x->needed, x->found);
        if (!why || !g_str_has_prefix (x->why, why))
          g_error ("%s (needed %s): engine says '%s', lookup says '%s'", x->requirement, x->needed, x->why,
                   why ? why : "(null)");
      }
  }
  {
    g_autofree char *v = ihw_requirement_why (IHW_MODEL_AMD, "iommu.vendor", "amd-vi", "intel-vtd");
    g_assert_nonnull (strstr (v, "Intel VT-d"));
  }
  g_assert_null (ihw_requirement_why (IHW_MODEL_INTEL, "no.such.requirement", "1", "0"));
}

/* A QEMU version between the tables' profiles is judged by the profile
 * before it, never by no rows at all. */
static void
test_qemu_gaps (void)
{
  static const struct {
    const char *version;
    IhwVerdict verdict;
    const char *note_part;
  } cases[] = {
    { "9.9", IHW_VERDICT_UNSUPPORTED, "judged as QEMU 9.2" },    /* no x-flts before 10.0 */
    { "10.5", IHW_VERDICT_UNSUPPORTED, "judged as QEMU 10.2" },  /* x-flts refuses passthrough */
    { "10.2", IHW_VERDICT_UNSUPPORTED, NULL },
    { "11.0", IHW_VERDICT_SUPPORTED, NULL },
    { "12.3", IHW_VERDICT_SUPPORTED, "newer than the newest profile" },
  };
  IhwFeatures f;

  /* Sapphire Rapids-class registers (tests/fixtures/registers/intel-eagle-stream-m50fcp-xeon.ini) */
  ihw_features_init (&f, IHW_VENDOR_INTEL_VTD);
  ihw_features_set_reg (&f, "cap", 0x19ed008c40780c66ull);
  ihw_features_set_reg (&f, "ecap", 0x3ee9e86f050dfull);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      IhwDeviceFacts facts = { .device = "0000:3a:00.0", .features = &f, .iommufd = IHW_TRISTATE_YES,
                               .behind_pci_bridge = IHW_TRISTATE_NO };
      IhwRequest req = { 0 };
      g_autoptr (IhwResult) r = NULL;
      gboolean noted = FALSE;

      g_assert_true (ihw_request_set_qemu_version (&req, cases[i].version, NULL));
      ihw_request_set (&req, "caching-mode", 1);
      facts.host_aw_bits = 57;   /* MGAW 57, SAGAW 48|57 */
      facts.host_aw_bits_from = "registers";
      r = ihw_check_nesting (IHW_MODEL_INTEL, &facts, 1, &req);
      if (r->verdict != cases[i].verdict)
        g_error ("QEMU %s: %s, expected %s", cases[i].version, ihw_verdict_name (r->verdict),
                 ihw_verdict_name (cases[i].verdict));
      for (guint n = 0; n < r->notes->len; n++)
        if (cases[i].note_part && strstr (r->notes->pdata[n], cases[i].note_part))
          noted = TRUE;
      g_assert_true (noted == (cases[i].note_part != NULL));
    }
}

static void
test_names (void)
{
  IhwModel m;
  IhwRequest req = { 0 };
  g_autoptr (GError) error = NULL;

  g_assert_true (ihw_model_from_name ("smmuv3", &m));
  g_assert_cmpint (m, ==, IHW_MODEL_SMMUV3);
  g_assert_false (ihw_model_from_name ("SMMUv3", &m));
  g_assert_false (ihw_model_from_name (NULL, &m));
  g_assert_cmpint (ihw_vendor_model (IHW_VENDOR_AMD_VI), ==, IHW_MODEL_AMD);
  g_assert_cmpint (ihw_verdict_exit_code (IHW_VERDICT_UNKNOWN), ==, 2);
  g_assert_true (ihw_request_set_qemu_version (&req, "10.0", NULL));
  g_assert_cmpuint (req.value[IHW_REQUEST_QEMU_VERSION] / 100, ==, 10);
  g_assert_true (ihw_request_set_qemu_version (&req, "9.1.2", NULL));
  g_assert_cmpuint (req.value[IHW_REQUEST_QEMU_VERSION] % 100, ==, 1);
  g_assert_false (ihw_request_set_qemu_version (&req, "ten", &error));
  g_assert_nonnull (strstr (error->message, "ten"));
  g_assert_false (ihw_request_set_qemu_version (&req, "10.", NULL));
  g_assert_false (ihw_request_set_qemu_version (&req, "", NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/verdict/intel-rows", test_intel_rows);
  g_test_add_func ("/verdict/intel-kernel-erratum", test_intel_kernel_and_erratum);
  g_test_add_func ("/verdict/amd-rows", test_amd_rows);
  g_test_add_func ("/verdict/smmuv3-rows", test_smmuv3_rows);
  g_test_add_func ("/verdict/unknown-and-vendor", test_unknown_and_vendor);
  g_test_add_func ("/verdict/requirement-why", test_requirement_why);
  g_test_add_func ("/verdict/qemu-gaps", test_qemu_gaps);
  g_test_add_func ("/verdict/names", test_names);
  return g_test_run ();
}
