/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The requirement rows, each both ways (a register set that passes it, one
 * that fails it with the exact reason row), every QEMU profile, request keys
 * the host cannot honour, unknown data, and Negotiate (mixed units, a
 * device without IOMMU, libvirt XML parsed and validated with libxml2).
 */
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <string.h>

#include "ihw-error.h"
#include "ihw-negotiate.h"
#include "ihw-rules.h"

#define DEV "0000:3a:00.0"

/* ---- helpers ------------------------------------------------------------ */

static void
load_fixture (const char *name, IhwFeatures *f)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree char *path = g_build_filename (FIXTURES_DIR, name, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *vendor = NULL;
  g_auto (GStrv) keys = NULL;

  g_assert_true (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &error));
  g_assert_no_error (error);
  vendor = g_key_file_get_string (kf, "fixture", "vendor", &error);
  g_assert_no_error (error);
  g_assert_nonnull (ihw_vendor_desc_by_name (vendor));
  ihw_features_init (f, ihw_vendor_desc_by_name (vendor)->vendor);
  keys = g_key_file_get_keys (kf, "registers", NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; keys[i]; i++)
    {
      g_autofree char *v = g_key_file_get_string (kf, "registers", keys[i], NULL);
      g_assert_true (ihw_features_set_reg (f, keys[i], g_ascii_strtoull (v, NULL, 16)));
    }
}

static void
set_bits (IhwFeatures *f, const char *reg, guint lo, guint width, guint64 value)
{
  int i = ihw_features_reg_index (f, reg);
  guint64 mask = ((G_GUINT64_CONSTANT (1) << width) - 1) << lo;
  g_assert_cmpint (i, >=, 0);
  g_assert_true (ihw_features_set_reg (f, reg, (f->regs[i] & ~mask) | ((value << lo) & mask)));
}

/* Eagle Stream Xeon (supported host); every intel row passes on it. */
static void
intel_ok (IhwFeatures *f)
{
  load_fixture ("intel-eagle-stream-m50fcp-xeon.ini", f);
}

/* QEMU's nested SMMUv3 registers, plus FWB, SSIDSIZE 20 and OAS 48: a host
 * every smmuv3 row passes on. */
static void
smmu_ok (IhwFeatures *f)
{
  load_fixture ("qemu-smmuv3-10.0-nested.ini", f);
  set_bits (f, "idr3", 8, 1, 1);    /* FWB */
  set_bits (f, "idr1", 6, 5, 20);   /* SSIDSIZE */
  set_bits (f, "idr5", 0, 3, 5);    /* OAS 48 */
}

/* Zen 2 EPYC (GT, GIO), with EFR2.GCR3TRPMode set. */
static void
amd_ok (IhwFeatures *f)
{
  load_fixture ("amd-zen2-epyc-rome-h12ssw-nt.ini", f);
  set_bits (f, "efr2", 3, 1, 1);
}

static IhwDeviceFacts
facts_for (const IhwFeatures *f)
{
  IhwDeviceFacts d = { 0 };
  d.device = DEV;
  d.features = f;
  d.iommufd = IHW_TRISTATE_YES;
  d.behind_pci_bridge = IHW_TRISTATE_NO;
  d.canwbs = IHW_TRISTATE_UNKNOWN;
  /* the daemon's fallback without a probe: the registers' aperture */
  if (ihw_features_aperture_bits (f, &d.host_aw_bits))
    d.host_aw_bits_from = "registers";
  return d;
}

static void
parse_request (IhwRequest *req, const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) v = NULL;

  memset (req, 0, sizeof *req);
  if (!text)
    return;
  v = g_variant_parse (G_VARIANT_TYPE_VARDICT, text, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ihw_request_from_variant (req, v, &error));
  g_assert_no_error (error);
}

/* A VM configured as QEMU needs (intel caching-mode=on unless `request`
 * says otherwise); test_caching_mode judges the key itself. */
static IhwResult *
check (IhwModel model, const IhwDeviceFacts *dev, guint n, const char *request)
{
  IhwRequest req;
  parse_request (&req, request);
  ihw_request_fill_required (model, 0, &req);
  return ihw_check_nesting (model, dev, n, &req);
}

/* The reason row for `requirement` (and `device`, unless NULL). */
static const IhwReason *
find_reason_for (const IhwResult *res, const char *device, const char *requirement)
{
  for (guint i = 0; i < res->reasons->len; i++)
    {
      const IhwReason *r = res->reasons->pdata[i];
      if (strcmp (r->requirement, requirement) == 0 && (!device || strcmp (r->device, device) == 0))
        return r;
    }
  return NULL;
}

static const IhwReason *
find_reason (const IhwResult *res, const char *requirement)
{
  return find_reason_for (res, NULL, requirement);
}

static void
dump (const IhwResult *res)
{
  for (guint i = 0; i < res->reasons->len; i++)
    {
      const IhwReason *r = res->reasons->pdata[i];
      g_test_message ("reason (%s, %s, %s, %s)", r->device, r->requirement, r->needed, r->found);
    }
  for (guint i = 0; i < res->notes->len; i++)
    g_test_message ("note %s", (const char *) res->notes->pdata[i]);
}

static void
assert_reason (const IhwResult *res, IhwVerdict verdict, const char *device, const char *requirement,
               const char *needed, const char *found)
{
  const IhwReason *r = NULL;

  /* Several rows may name the same key (aw-bits vs host aw-bits and vs
   * QEMU's list): the one with this `needed`. */
  for (guint i = 0; i < res->reasons->len && !r; i++)
    {
      const IhwReason *x = res->reasons->pdata[i];
      if (strcmp (x->device, device) == 0 && strcmp (x->requirement, requirement) == 0 &&
          strcmp (x->needed, needed) == 0)
        r = x;
    }
  dump (res);
  if (!r)
    r = find_reason_for (res, device, requirement);   /* for the message below */
  g_assert (r != NULL);
  g_assert_cmpstr (r->device, ==, device);
  g_assert_cmpstr (r->needed, ==, needed);
  g_assert_cmpstr (r->found, ==, found);
  g_assert_nonnull (r->why);
  g_assert_cmpstr (ihw_verdict_name (res->verdict), ==, ihw_verdict_name (verdict));
}

static gboolean
has_note (const IhwResult *res, const char *fragment)
{
  for (guint i = 0; i < res->notes->len; i++)
    if (strstr (res->notes->pdata[i], fragment))
      return TRUE;
  return FALSE;
}

/* ---- each row both ways --------------------------------------------------- */

typedef enum { MOD_NONE, MOD_BITS, MOD_FACT, MOD_HWFLAGS } ModKind;

typedef struct {
  const char *name;
  IhwModel model;
  void (*base) (IhwFeatures *f);
  const char *request;         /* GVariant text, NULL: none */
  ModKind mod;
  const char *reg;             /* MOD_BITS */
  guint lo, width;
  guint64 value;
  const char *fact;            /* MOD_FACT: "iommufd", "behind_pci_bridge", "canwbs", "nest_parent" */
  IhwTristate fact_value;
  IhwVerdict verdict;          /* after the modification */
  const char *device;          /* expected reason row */
  const char *requirement;
  const char *needed;
  const char *found;
} RowCase;

static const RowCase row_cases[] = {
  /* intel, QEMU 11.0 (default profile) */
  { "intel/SMTS", IHW_MODEL_INTEL, intel_ok, NULL, MOD_BITS, "ecap", 43, 1, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "ecap.SMTS", "1", "0" },
  { "intel/NEST", IHW_MODEL_INTEL, intel_ok, NULL, MOD_BITS, "ecap", 26, 1, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "ecap.NEST", "1", "0" },
  { "intel/FLTS", IHW_MODEL_INTEL, intel_ok, NULL, MOD_BITS, "ecap", 47, 1, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "ecap.FLTS", "1", "0" },
  { "intel/SLTS", IHW_MODEL_INTEL, intel_ok, NULL, MOD_BITS, "ecap", 46, 1, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "ecap.SLTS", "1", "0" },
  { "intel/CM", IHW_MODEL_INTEL, intel_ok, NULL, MOD_BITS, "cap", 7, 1, 1, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "cap.CM", "0", "1" },
  /* host aw-bits without a probe: the registers' aperture, min (MGAW,
   * widest SAGAW) */
  { "intel/MGAW-default", IHW_MODEL_INTEL, intel_ok, NULL, MOD_BITS, "cap", 16, 6, 38, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "request.aw-bits", "host aw-bits >= 48", "39 (registers)" },
  { "intel/SAGAW-default", IHW_MODEL_INTEL, intel_ok, NULL, MOD_BITS, "cap", 8, 5, 0x2, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "request.aw-bits", "host aw-bits >= 48", "39 (registers)" },
  { "intel/FL1GP-default", IHW_MODEL_INTEL, intel_ok, NULL, MOD_BITS, "cap", 56, 1, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "request.fs1gp", "cap.FL1GP = 1", "0" },
  { "intel/FL1GP-requested", IHW_MODEL_INTEL, intel_ok, "{'fs1gp': <true>}", MOD_BITS, "cap", 56, 1, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "request.fs1gp", "cap.FL1GP = 1", "0" },
  { "intel/FL5LP", IHW_MODEL_INTEL, intel_ok, "{'aw-bits': <uint32 57>}", MOD_BITS, "cap", 60, 1, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "request.aw-bits", "cap.FL5LP = 1", "0" },
  { "intel/PSS", IHW_MODEL_INTEL, intel_ok, "{'pasid-bits': <uint32 20>}", MOD_NONE, NULL, 0, 0, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "request.pasid-bits", "ecap.PSS >= 20", "0" },
  { "intel/iommufd", IHW_MODEL_INTEL, intel_ok, NULL, MOD_FACT, NULL, 0, 0, 0, "iommufd", IHW_TRISTATE_NO,
    IHW_VERDICT_UNSUPPORTED, DEV, "host.iommufd", "yes", "no" },
  { "intel/pci-bridge", IHW_MODEL_INTEL, intel_ok, NULL, MOD_FACT, NULL, 0, 0, 0, "behind_pci_bridge",
    IHW_TRISTATE_YES, IHW_VERDICT_UNSUPPORTED, DEV, "topology.pci-bridge", "no", "yes" },
  { "intel/nest-parent", IHW_MODEL_INTEL, intel_ok, NULL, MOD_FACT, NULL, 0, 0, 0, "nest_parent", IHW_TRISTATE_NO,
    IHW_VERDICT_UNSUPPORTED, DEV, "kernel.NEST_PARENT", "yes", "no" },
  { "intel/aw-bits-list", IHW_MODEL_INTEL, intel_ok, "{'aw-bits': <uint32 39>}", MOD_NONE, NULL, 0, 0, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, "", "request.aw-bits", "48", "39" },

  /* smmuv3, QEMU 11.0 */
  { "smmuv3/S1P", IHW_MODEL_SMMUV3, smmu_ok, NULL, MOD_BITS, "idr0", 1, 1, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "idr0.S1P", "1", "0" },
  { "smmuv3/S2P", IHW_MODEL_SMMUV3, smmu_ok, NULL, MOD_BITS, "idr0", 0, 1, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "idr0.S2P", "1", "0" },
  { "smmuv3/FWB-canwbs-no", IHW_MODEL_SMMUV3, smmu_ok, NULL, MOD_BITS, "idr3", 8, 1, 0, "canwbs", IHW_TRISTATE_NO,
    IHW_VERDICT_UNSUPPORTED, DEV, "idr3.FWB", "1 or canwbs=yes", "0" },
  { "smmuv3/ST_LEVEL", IHW_MODEL_SMMUV3, smmu_ok, NULL, MOD_BITS, "idr0", 27, 2, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "idr0.ST_LEVEL", "2-level", "linear" },
  { "smmuv3/TTENDIAN", IHW_MODEL_SMMUV3, smmu_ok, NULL, MOD_BITS, "idr0", 21, 2, 3, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "idr0.TTENDIAN", "mixed|little", "big" },
  { "smmuv3/TTF", IHW_MODEL_SMMUV3, smmu_ok, NULL, MOD_BITS, "idr0", 2, 2, 1, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "idr0.TTF", "aarch64|aarch32+aarch64", "aarch32" },
  { "smmuv3/SIDSIZE", IHW_MODEL_SMMUV3, smmu_ok, NULL, MOD_BITS, "idr1", 0, 6, 8, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "idr1.SIDSIZE", ">= 16", "8" },
  { "smmuv3/SSIDSIZE", IHW_MODEL_SMMUV3, smmu_ok, "{'ssid-size': <uint32 8>}", MOD_BITS, "idr1", 6, 5, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "request.ssid-size", "idr1.SSIDSIZE >= 8", "0" },
  { "smmuv3/RIL-default", IHW_MODEL_SMMUV3, smmu_ok, "{'qemu-version': <'11.0'>}", MOD_BITS, "idr3", 10, 1, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "request.ril", "idr3.RIL = 1", "0" },
  { "smmuv3/OAS", IHW_MODEL_SMMUV3, smmu_ok, "{'oas': <uint32 48>}", MOD_BITS, "idr5", 0, 3, 4, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "request.oas", "idr5.OAS >= 48", "44" },
  { "smmuv3/OAS-default", IHW_MODEL_SMMUV3, smmu_ok, "{'qemu-version': <'11.0'>}", MOD_BITS, "idr5", 0, 3, 2, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "request.oas", "idr5.OAS >= 44", "40" },
  { "smmuv3/ATS", IHW_MODEL_SMMUV3, smmu_ok, "{'ats': <true>}", MOD_NONE, NULL, 0, 0, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "request.ats", "idr0.ATS = 1", "0" },
  { "smmuv3/GRAN4K", IHW_MODEL_SMMUV3, smmu_ok, NULL, MOD_BITS, "idr5", 4, 1, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "idr5.GRAN4K", "1", "0" },
  { "smmuv3/GRAN16K", IHW_MODEL_SMMUV3, smmu_ok, NULL, MOD_BITS, "idr5", 5, 1, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "idr5.GRAN16K", "1", "0" },
  { "smmuv3/GRAN64K", IHW_MODEL_SMMUV3, smmu_ok, NULL, MOD_BITS, "idr5", 6, 1, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "idr5.GRAN64K", "1", "0" },
  { "smmuv3/oas-list", IHW_MODEL_SMMUV3, smmu_ok, "{'oas': <uint32 40>}", MOD_NONE, NULL, 0, 0, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, "", "request.oas", "44|48", "40" },
  { "smmuv3/ssid-size-range", IHW_MODEL_SMMUV3, smmu_ok, "{'ssid-size': <uint32 21>}", MOD_NONE, NULL, 0, 0, 0,
    NULL, 0, IHW_VERDICT_UNSUPPORTED, "", "request.ssid-size", "0..20", "21" },
  { "smmuv3/iommufd", IHW_MODEL_SMMUV3, smmu_ok, NULL, MOD_FACT, NULL, 0, 0, 0, "iommufd", IHW_TRISTATE_NO,
    IHW_VERDICT_UNSUPPORTED, DEV, "host.iommufd", "yes", "no" },
  { "smmuv3/nest-parent", IHW_MODEL_SMMUV3, smmu_ok, NULL, MOD_FACT, NULL, 0, 0, 0, "nest_parent", IHW_TRISTATE_NO,
    IHW_VERDICT_UNSUPPORTED, DEV, "kernel.NEST_PARENT", "yes", "no" },

  /* amd: the host rows (the verdict is unsupported anyway: no QEMU can nest) */
  { "amd/GT", IHW_MODEL_AMD, amd_ok, NULL, MOD_BITS, "efr", 4, 1, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "efr.GTSup", "1", "0" },
  { "amd/GIO", IHW_MODEL_AMD, amd_ok, NULL, MOD_BITS, "efr", 48, 1, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "efr.GIOSup", "1", "0" },
  { "amd/GCR3TRPMode", IHW_MODEL_AMD, amd_ok, NULL, MOD_BITS, "efr2", 3, 1, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "efr2.GCR3TRPMode", "1", "0" },
  { "amd/GATS", IHW_MODEL_AMD, amd_ok, "{'aw-bits': <uint32 57>}", MOD_NONE, NULL, 0, 0, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "request.aw-bits", "efr.GATS >= 1", "0" },
  { "amd/PASmax", IHW_MODEL_AMD, amd_ok, "{'pasid-bits': <uint32 20>}", MOD_NONE, NULL, 0, 0, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "request.pasid-bits", "efr.PASmax >= 20", "16" },
  { "amd/GLX", IHW_MODEL_AMD, amd_ok, "{'pasid-bits': <uint32 16>}", MOD_BITS, "efr", 14, 2, 0, NULL, 0,
    IHW_VERDICT_UNSUPPORTED, DEV, "request.pasid-bits", "efr.GLXSup >= 1", "0" },
};

static void
apply_fact (IhwDeviceFacts *d, const char *fact, IhwTristate v)
{
  if (!fact)
    return;
  if (strcmp (fact, "iommufd") == 0)
    d->iommufd = v;
  else if (strcmp (fact, "behind_pci_bridge") == 0)
    d->behind_pci_bridge = v;
  else if (strcmp (fact, "canwbs") == 0)
    d->canwbs = v;
  else if (strcmp (fact, "nest_parent") == 0)
    d->nest_parent = v == IHW_TRISTATE_NO ? IHW_NEST_PARENT_NO : IHW_NEST_PARENT_YES;
  else
    g_assert_not_reached ();
}

static void
test_row (gconstpointer data)
{
  const RowCase *c = data;
  IhwFeatures f;
  IhwDeviceFacts d;
  g_autoptr (IhwResult) pass = NULL;
  g_autoptr (IhwResult) failing = NULL;

  /* The base passes this row: no reason names it (amd: the QEMU row is
   * the only reason). */
  c->base (&f);
  d = facts_for (&f);
  pass = check (c->model, &d, 1, c->model == IHW_MODEL_AMD ? NULL : NULL);
  dump (pass);
  g_assert_null (find_reason (pass, c->requirement));
  if (c->model != IHW_MODEL_AMD)
    {
      g_assert_cmpint (pass->verdict, ==, IHW_VERDICT_SUPPORTED);
      g_assert_cmpuint (pass->reasons->len, ==, 0);
    }
  else
    {
      g_assert_cmpuint (pass->reasons->len, ==, 1);
      g_assert_nonnull (find_reason (pass, "qemu.amd-iommu"));
    }

  /* Modified: this row fails with the exact reason. */
  if (c->mod == MOD_BITS)
    {
      set_bits (&f, c->reg, c->lo, c->width, c->value);
      d = facts_for (&f);   /* what the registers imply (host aw-bits) follows */
    }
  apply_fact (&d, c->fact, c->fact_value);
  failing = check (c->model, &d, 1, c->request);
  assert_reason (failing, c->verdict, c->device, c->requirement, c->needed, c->found);
}

/* ---- notes, unknowns, profiles -------------------------------------------- */

static void
test_intel_notes (void)
{
  IhwFeatures f;
  IhwDeviceFacts d;
  g_autoptr (IhwResult) res = NULL;
  g_autoptr (IhwResult) res2 = NULL;

  intel_ok (&f);
  f.has_hw_info_flags = TRUE;
  f.hw_info_flags = 1;      /* ERRATA_772415_SPR17, as 6.12 always reports */
  d = facts_for (&f);
  res = check (IHW_MODEL_INTEL, &d, 1, NULL);
  g_assert_cmpint (res->verdict, ==, IHW_VERDICT_SUPPORTED);
  g_assert_true (has_note (res, "772415"));

  /* iommufd and bridge not known (sysfs only): notes, not failures. */
  d.iommufd = IHW_TRISTATE_UNKNOWN;
  d.behind_pci_bridge = IHW_TRISTATE_UNKNOWN;
  res2 = check (IHW_MODEL_INTEL, &d, 1, NULL);
  g_assert_cmpint (res2->verdict, ==, IHW_VERDICT_SUPPORTED);
  g_assert_true (has_note (res2, "host.iommufd"));
  g_assert_true (has_note (res2, "topology.pci-bridge"));
}

static void
test_smmu_canwbs (void)
{
  IhwFeatures f;
  IhwDeviceFacts d;
  g_autoptr (IhwResult) unknown = NULL;
  g_autoptr (IhwResult) yes = NULL;

  smmu_ok (&f);
  set_bits (&f, "idr3", 8, 1, 0);    /* no FWB */
  d = facts_for (&f);
  unknown = check (IHW_MODEL_SMMUV3, &d, 1, NULL);
  g_assert_cmpint (unknown->verdict, ==, IHW_VERDICT_SUPPORTED);
  g_assert_true (has_note (unknown, "CANWBS"));
  d.canwbs = IHW_TRISTATE_YES;
  yes = check (IHW_MODEL_SMMUV3, &d, 1, NULL);
  g_assert_cmpint (yes->verdict, ==, IHW_VERDICT_SUPPORTED);
  g_assert_cmpuint (yes->notes->len, ==, 0);
}

static void
test_unknown_data (void)
{
  IhwDeviceFacts d = { 0 };
  IhwFeatures f;
  g_autoptr (IhwResult) smmu = NULL;
  g_autoptr (IhwResult) intel = NULL;
  g_autoptr (IhwResult) partial = NULL;

  /* SMMUv3 without iommufd: sysfs has no registers. */
  d.device = DEV;
  d.no_features_reason = "no iommufd (SMMUv3 registers come only from the kernel)";
  smmu = check (IHW_MODEL_SMMUV3, &d, 1, NULL);
  assert_reason (smmu, IHW_VERDICT_UNKNOWN, DEV, "iommu.registers", "arm-smmuv3", d.no_features_reason);

  /* ... but the kernel's own refusal is definite. */
  d.nest_parent = IHW_NEST_PARENT_NO;
  intel = check (IHW_MODEL_INTEL, &d, 1, NULL);
  assert_reason (intel, IHW_VERDICT_UNSUPPORTED, DEV, "kernel.NEST_PARENT", "yes", "no");

  /* A register missing (decode amd EFR without EFR2): that row is unknown. */
  ihw_features_init (&f, IHW_VENDOR_AMD_VI);
  g_assert_true (ihw_features_set_reg (&f, "efr", 0x58f77ef22294ade));
  d = facts_for (&f);
  partial = check (IHW_MODEL_AMD, &d, 1, NULL);
  {
    const IhwReason *r = find_reason (partial, "efr2.GCR3TRPMode");
    g_assert (r != NULL);
    g_assert_cmpstr (r->found, ==, "unknown");
  }
}

static void
test_vendor_mismatch_and_no_iommu (void)
{
  IhwFeatures f;
  IhwDeviceFacts d;
  IhwDeviceFacts none = { 0 };
  g_autoptr (IhwResult) res = NULL;
  g_autoptr (IhwResult) res2 = NULL;

  amd_ok (&f);
  d = facts_for (&f);
  res = check (IHW_MODEL_INTEL, &d, 1, NULL);
  assert_reason (res, IHW_VERDICT_UNSUPPORTED, DEV, "iommu.vendor", "intel-vtd", "amd-vi");

  none.device = "0000:00:1f.3";
  none.no_iommu = TRUE;
  res2 = check (IHW_MODEL_INTEL, &none, 1, NULL);
  assert_reason (res2, IHW_VERDICT_UNSUPPORTED, "0000:00:1f.3", "iommu", "intel-vtd", "none");
}

static void
test_model_rows (void)
{
  IhwFeatures f;
  IhwDeviceFacts d;
  g_autoptr (IhwResult) virtio = NULL;
  g_autoptr (IhwResult) amd = NULL;

  intel_ok (&f);
  d = facts_for (&f);
  virtio = check (IHW_MODEL_VIRTIO, &d, 1, NULL);
  assert_reason (virtio, IHW_VERDICT_UNSUPPORTED, "", "model.virtio", "nested mode", "none");

  /* AMD host that could nest: unsupported, with a reason naming QEMU. */
  amd_ok (&f);
  d = facts_for (&f);
  amd = check (IHW_MODEL_AMD, &d, 1, NULL);
  assert_reason (amd, IHW_VERDICT_UNSUPPORTED, "", "qemu.amd-iommu", "nested mode", "QEMU 11.1");
  g_assert_cmpuint (amd->reasons->len, ==, 1);
}

static gboolean
is_profile (guint qemu)
{
  guint n;
  const guint *profiles = ihw_qemu_profiles (&n);
  for (guint i = 0; i < n; i++)
    if (profiles[i] == qemu)
      return TRUE;
  return qemu == 0;
}

/* Every QEMU range boundary of the tables is a profile, the profiles are
 * ordered, and the default is the last of them (no constant to bump). */
static void
test_profile_table (void)
{
  guint n, n_rules, n_props;
  const guint *profiles = ihw_qemu_profiles (&n);
  const IhwRule *rules = ihw_rules (&n_rules);
  const IhwQemuProperty *props = ihw_qemu_properties (&n_props);

  g_assert_cmpuint (n, >, 0);
  for (guint i = 1; i < n; i++)
    g_assert_cmpuint (profiles[i - 1], <, profiles[i]);
  g_assert_cmpuint (ihw_qemu_newest (), ==, profiles[n - 1]);
  g_assert_cmpuint (ihw_request_qemu (NULL, 0), ==, profiles[n - 1]);
  for (guint i = 0; i < n_rules; i++)
    {
      g_assert_true (is_profile (rules[i].qemu_min));
      g_assert_true (is_profile (rules[i].qemu_max));
    }
  for (guint i = 0; i < n_props; i++)
    {
      g_assert_true (is_profile (props[i].qemu_min));
      g_assert_true (is_profile (props[i].qemu_max));
    }
  for (IhwModel m = 0; m < IHW_MODEL_LAST; m++)
    for (guint i = 0; i < n; i++)
      {
        const IhwQemuDevice *d = ihw_qemu_device (m, profiles[i]);
        if (d)
          {
            g_assert_true (is_profile (d->qemu_min));
            g_assert_true (is_profile (d->qemu_max));
          }
      }
}

/* Every profile, for a host that nests: only 11.0 can use it. */
static void
test_profiles (void)
{
  guint n;
  const guint *profiles = ihw_qemu_profiles (&n);
  IhwFeatures fi, fs;
  IhwDeviceFacts di, ds;

  intel_ok (&fi);
  smmu_ok (&fs);
  di = facts_for (&fi);
  ds = facts_for (&fs);
  g_assert_cmpuint (n, ==, 7);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *v = ihw_qemu_version_string (profiles[i]);
      g_autofree char *text = g_strdup_printf ("{'qemu-version': <'%s'>}", v);
      g_autofree char *found = g_strdup_printf ("QEMU %s", v);
      g_autoptr (IhwResult) intel = check (IHW_MODEL_INTEL, &di, 1, text);
      g_autoptr (IhwResult) smmu = check (IHW_MODEL_SMMUV3, &ds, 1, text);

      g_test_message ("profile %s", v);
      if (profiles[i] >= IHW_QEMU (11, 0))
        {
          dump (intel);
          g_assert_cmpint (intel->verdict, ==, IHW_VERDICT_SUPPORTED);
          g_assert_cmpint (smmu->verdict, ==, IHW_VERDICT_SUPPORTED);
          continue;
        }
      assert_reason (intel, IHW_VERDICT_UNSUPPORTED, "", "qemu.x-flts", "nested mode", found);
      assert_reason (smmu, IHW_VERDICT_UNSUPPORTED, "", "qemu.accel", "nested mode", found);
      /* 9.x accepts aw-bits 39 or 48 (default 39); 10.x with x-flts only 48. */
      g_assert_null (find_reason (intel, "request.aw-bits"));
    }

  /* 9.1 with aw-bits=57: QEMU's list {39,48}. */
  {
    g_autoptr (IhwResult) r = check (IHW_MODEL_INTEL, &di, 1, "{'qemu-version': <'9.1'>, 'aw-bits': <uint32 57>}");
    assert_reason (r, IHW_VERDICT_UNSUPPORTED, "", "request.aw-bits", "39|48", "57");
  }
  /* Older than any profile (bookworm's 7.2) and newer than the newest. */
  {
    g_autoptr (IhwResult) old = check (IHW_MODEL_INTEL, &di, 1, "{'qemu-version': <'7.2'>}");
    g_autoptr (IhwResult) future = check (IHW_MODEL_INTEL, &di, 1, "{'qemu-version': <'12.0'>}");
    assert_reason (old, IHW_VERDICT_UNSUPPORTED, "", "qemu.x-flts", "nested mode", "QEMU 7.2");
    g_assert_cmpint (future->verdict, ==, IHW_VERDICT_SUPPORTED);
    g_assert_true (has_note (future, "newer than the newest profile"));
  }
  /* The daemon's configured host QEMU is the fallback. */
  {
    g_autoptr (IhwResult) cfg = ihw_check_nesting_full (IHW_MODEL_INTEL, &di, 1, NULL, IHW_QEMU (10, 0));
    assert_reason (cfg, IHW_VERDICT_UNSUPPORTED, "", "qemu.x-flts", "nested mode", "QEMU 10.0");
  }
}

/* Real hosts from the fixtures, default request. */
static void
test_fixture_hosts (void)
{
  static const struct {
    const char *file;
    IhwModel model;
    IhwVerdict verdict;
    const char *requirement; /* one reason that must be there */
  } hosts[] = {
    { "intel-eagle-stream-m50fcp-xeon.ini", IHW_MODEL_INTEL, IHW_VERDICT_SUPPORTED, NULL },
    { "intel-alder-lake-nuc12-i7-1260p.ini", IHW_MODEL_INTEL, IHW_VERDICT_UNSUPPORTED, "ecap.NEST" },
    { "intel-haswell-thinkpad-t440p.ini", IHW_MODEL_INTEL, IHW_VERDICT_UNSUPPORTED, "ecap.SMTS" },
    { "qemu-vtd-flts.ini", IHW_MODEL_INTEL, IHW_VERDICT_UNSUPPORTED, "ecap.NEST" },
    { "qemu-smmuv3-10.0-stage2.ini", IHW_MODEL_SMMUV3, IHW_VERDICT_UNSUPPORTED, "idr0.S1P" },
    { "qemu-smmuv3-10.0-nested.ini", IHW_MODEL_SMMUV3, IHW_VERDICT_SUPPORTED, NULL },
    { "amd-zen2-epyc-rome-h12ssw-nt.ini", IHW_MODEL_AMD, IHW_VERDICT_UNSUPPORTED, "qemu.amd-iommu" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      IhwFeatures f;
      IhwDeviceFacts d;
      g_autoptr (IhwResult) res = NULL;

      g_test_message ("host %s", hosts[i].file);
      load_fixture (hosts[i].file, &f);
      d = facts_for (&f);
      res = check (hosts[i].model, &d, 1, NULL);
      dump (res);
      g_assert_cmpint (res->verdict, ==, hosts[i].verdict);
      if (hosts[i].requirement)
        g_assert_nonnull (find_reason (res, hosts[i].requirement));
    }
}

/* ---- request keys --------------------------------------------------------- */

static void
test_request_variant (void)
{
  static const char *const bad[] = {
    "{'aw-bits': <'48'>}",           /* wrong type */
    "{'fs1gp': <uint32 1>}",
    "{'qemu-version': <uint32 10>}",
    "{'qemu-version': <'ten'>}",
    "{'aw-bits': <uint32 65>}",      /* out of range */
    "{'bogus': <true>}",             /* unknown key */
  };
  IhwRequest req;
  g_autoptr (GVariant) back = NULL;
  g_autofree char *text = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) v = g_variant_parse (G_VARIANT_TYPE_VARDICT, bad[i], NULL, NULL, NULL);
      g_assert_nonnull (v);
      g_assert_false (ihw_request_from_variant (&req, v, &error));
      g_assert_error (error, IHW_ERROR, IHW_ERROR_INVALID_ARGUMENT);
    }

  parse_request (&req, "{'qemu-version': <'10.0'>, 'aw-bits': <uint32 48>, 'fs1gp': <false>, "
                       "'pasid-bits': <uint32 20>, 'ssid-size': <uint32 8>, 'oas': <uint32 44>, "
                       "'ril': <true>, 'ats': <false>}");
  back = ihw_request_to_variant (&req);
  text = g_variant_print (back, TRUE);
  g_assert_cmpstr (text, ==,
                   "{'qemu-version': <'10.0'>, 'aw-bits': <uint32 48>, 'fs1gp': <false>, "
                   "'pasid-bits': <uint32 20>, 'ssid-size': <uint32 8>, 'oas': <uint32 44>, "
                   "'ril': <true>, 'ats': <false>}");
}

static void
test_request_key_not_for_model (void)
{
  IhwFeatures f;
  IhwDeviceFacts d;
  g_autoptr (IhwResult) res = NULL;

  intel_ok (&f);
  d = facts_for (&f);
  res = check (IHW_MODEL_INTEL, &d, 1, "{'oas': <uint32 48>}");
  g_assert_cmpint (res->verdict, ==, IHW_VERDICT_SUPPORTED);
  g_assert_true (has_note (res, "request key oas does not apply"));
}

/* ---- negotiate ------------------------------------------------------------- */

static const char domain_fmt[] =
  "<domain type='kvm'><name>t</name><memory>1048576</memory>"
  "<os><type arch='x86_64' machine='q35'>hvm</type></os>"
  "<devices>%s</devices></domain>";

static void
assert_libvirt_valid (const char *iommu_xml, gboolean validate)
{
  g_autofree char *domain = g_strdup_printf (domain_fmt, iommu_xml);
  xmlDocPtr doc = xmlReadMemory (domain, (int) strlen (domain), "domain.xml", NULL, XML_PARSE_NONET);
  g_assert_nonnull (doc);

  if (validate)
    {
      xmlRelaxNGParserCtxtPtr pctx;
      xmlRelaxNGPtr schema;
      xmlRelaxNGValidCtxtPtr vctx;

      if (!g_file_test (LIBVIRT_DOMAIN_RNG, G_FILE_TEST_EXISTS))
        {
          g_test_message ("%s missing: XML parsed, not validated", LIBVIRT_DOMAIN_RNG);
          xmlFreeDoc (doc);
          return;
        }
      pctx = xmlRelaxNGNewParserCtxt (LIBVIRT_DOMAIN_RNG);
      schema = xmlRelaxNGParse (pctx);
      g_assert_nonnull (schema);
      vctx = xmlRelaxNGNewValidCtxt (schema);
      g_assert_cmpint (xmlRelaxNGValidateDoc (vctx, doc), ==, 0);
      xmlRelaxNGFreeValidCtxt (vctx);
      xmlRelaxNGFree (schema);
      xmlRelaxNGFreeParserCtxt (pctx);
    }
  xmlFreeDoc (doc);
}

static void
test_negotiate_intel_mixed_units (void)
{
  IhwFeatures a, b;
  IhwDeviceFacts d[2];
  g_autoptr (IhwNegotiation) n = NULL;
  g_autoptr (GVariant) config = NULL;
  g_autofree char *config_text = NULL;
  g_autofree char *xml = NULL;
  g_auto (GStrv) args = NULL;
  g_autofree char *joined = NULL;

  intel_ok (&a);                      /* dmar0: FL1GP, MGAW 57, no PASID */
  intel_ok (&b);
  set_bits (&b, "cap", 56, 1, 0);     /* dmar1: no FL1GP */
  set_bits (&b, "cap", 16, 6, 47);    /* MGAW 48 */
  set_bits (&b, "ecap", 40, 1, 1);    /* PASID, 20 bits */
  set_bits (&b, "ecap", 35, 5, 19);
  d[0] = facts_for (&a);
  d[0].unit = "dmar0";
  d[1] = facts_for (&b);
  d[1].device = "0000:b1:00.0";
  d[1].unit = "dmar1";

  n = ihw_negotiate (IHW_MODEL_INTEL, d, 2, NULL);
  dump (n->result);
  g_assert_cmpint (n->verdict, ==, IHW_VERDICT_SUPPORTED);
  config = ihw_negotiation_config (n);
  config_text = g_variant_print (config, TRUE);
  /* fs1gp only if all have FL1GP; PASID width the smaller (dmar0 has none). */
  g_assert_cmpstr (config_text, ==,
                   "{'qemu-version': <'11.1'>, 'aw-bits': <uint32 48>, 'fs1gp': <false>, 'pasid-bits': <uint32 0>, "
                   "'caching-mode': <true>}");

  xml = ihw_negotiation_libvirt_xml (n);
  /* the element, after a comment saying what libvirt cannot express */
  g_assert_true (g_str_has_prefix (xml, "<!-- "));
  g_assert_nonnull (strstr (xml, "intel-iommu.x-flts=on"));
  g_assert_true (g_str_has_suffix (xml, "-->\n<iommu model=\"intel\"><driver intremap=\"on\" caching_mode=\"on\" aw_bits=\"48\"/></iommu>"));
  assert_libvirt_valid (xml, TRUE);
  g_assert_true (has_note (n->result, "x-flts"));

  args = ihw_negotiation_qemu_args (n);
  joined = g_strjoinv (" ", args);
  g_assert_cmpstr (joined, ==,
                   "-object iommufd,id=iommufd0 "
                   "-device intel-iommu,intremap=on,x-scalable-mode=on,x-flts=on,aw-bits=48,fs1gp=off,caching-mode=on "
                   "-device vfio-pci,host=0000:3a:00.0,iommufd=iommufd0 "
                   "-device vfio-pci,host=0000:b1:00.0,iommufd=iommufd0");
}

static void
test_negotiate_smmu_mixed_units (void)
{
  IhwFeatures a, b;
  IhwDeviceFacts d[2];
  g_autoptr (IhwNegotiation) n = NULL;
  g_autoptr (IhwNegotiation) with_ats = NULL;
  g_autoptr (GVariant) config = NULL;
  g_autofree char *config_text = NULL;
  g_autofree char *xml = NULL;
  g_auto (GStrv) args = NULL;
  g_autofree char *joined = NULL;

  smmu_ok (&a);                        /* smmu0: SSIDSIZE 20, OAS 48, RIL */
  smmu_ok (&b);
  set_bits (&b, "idr1", 6, 5, 10);     /* smmu1: SSIDSIZE 10 */
  set_bits (&b, "idr5", 0, 3, 4);      /* OAS 44 */
  set_bits (&b, "idr3", 10, 1, 0);     /* no RIL */
  d[0] = facts_for (&a);
  d[1] = facts_for (&b);
  d[1].device = "0000:01:00.0";

  n = ihw_negotiate (IHW_MODEL_SMMUV3, d, 2, NULL);
  dump (n->result);
  g_assert_cmpint (n->verdict, ==, IHW_VERDICT_SUPPORTED);
  config = ihw_negotiation_config (n);
  config_text = g_variant_print (config, TRUE);
  g_assert_cmpstr (config_text, ==,
                   "{'qemu-version': <'11.1'>, 'ssid-size': <uint32 10>, 'oas': <uint32 44>, "
                   "'ril': <false>, 'ats': <false>, 'cmdqv': <false>}");
  xml = ihw_negotiation_libvirt_xml (n);
  g_assert_true (g_str_has_prefix (xml, "<!-- "));
  g_assert_nonnull (strstr (xml, "arm-smmuv3.accel=on"));
  g_assert_true (g_str_has_suffix (xml, "-->\n<iommu model=\"smmuv3\"/>"));
  assert_libvirt_valid (xml, TRUE);
  args = ihw_negotiation_qemu_args (n);
  joined = g_strjoinv (" ", args);
  g_assert_cmpstr (joined, ==,
                   "-object iommufd,id=iommufd0 "
                   "-device arm-smmuv3,primary-bus=pcie.0,accel=on,ssidsize=10,oas=44,ril=off,ats=off,cmdqv=off "
                   "-device vfio-pci,host=0000:3a:00.0,iommufd=iommufd0 "
                   "-device vfio-pci,host=0000:01:00.0,iommufd=iommufd0");

  /* ATS only if all have it. */
  set_bits (&a, "idr0", 10, 1, 1);
  set_bits (&b, "idr0", 10, 1, 1);
  with_ats = ihw_negotiate (IHW_MODEL_SMMUV3, d, 2, NULL);
  g_assert_true (ihw_request_has (&with_ats->config, IHW_REQUEST_ATS) && with_ats->config.value[IHW_REQUEST_ATS]);
}

static void
test_negotiate_failures (void)
{
  IhwFeatures a, low;
  IhwDeviceFacts d[2];
  IhwDeviceFacts none = { 0 };
  IhwRequest req;
  g_autoptr (IhwNegotiation) n = NULL;
  g_autoptr (IhwNegotiation) mgaw = NULL;
  g_autoptr (IhwNegotiation) asked = NULL;
  g_autoptr (IhwNegotiation) virtio = NULL;
  g_autofree char *xml = NULL;
  g_auto (GStrv) args = NULL;

  /* A device with no IOMMU next to a good one: a reason, nothing to paste. */
  intel_ok (&a);
  d[0] = facts_for (&a);
  none.device = "0000:00:1f.3";
  none.no_iommu = TRUE;
  d[1] = none;
  n = ihw_negotiate (IHW_MODEL_INTEL, d, 2, NULL);
  assert_reason (n->result, IHW_VERDICT_UNSUPPORTED, "0000:00:1f.3", "iommu", "intel-vtd", "none");
  xml = ihw_negotiation_libvirt_xml (n);
  g_assert_cmpstr (xml, ==, "");
  args = ihw_negotiation_qemu_args (n);
  g_assert_cmpuint (g_strv_length (args), ==, 0);

  /* A host narrower than anything x-flts accepts: the key is named. */
  intel_ok (&low);
  set_bits (&low, "cap", 16, 6, 38);   /* MGAW 39 */
  d[1] = facts_for (&low);
  d[1].device = "0000:b1:00.0";
  mgaw = ihw_negotiate (IHW_MODEL_INTEL, d, 2, NULL);
  assert_reason (mgaw->result, IHW_VERDICT_UNSUPPORTED, "0000:b1:00.0", "request.aw-bits", "host aw-bits >= 48",
                 "39 (registers)");

  /* A request the hosts cannot honour is kept and judged. */
  parse_request (&req, "{'pasid-bits': <uint32 20>}");
  asked = ihw_negotiate (IHW_MODEL_INTEL, d, 1, &req);
  assert_reason (asked->result, IHW_VERDICT_UNSUPPORTED, DEV, "request.pasid-bits", "ecap.PSS >= 20", "0");

  virtio = ihw_negotiate (IHW_MODEL_VIRTIO, d, 1, NULL);
  assert_reason (virtio->result, IHW_VERDICT_UNSUPPORTED, "", "model.virtio", "nested mode", "none");
}

/* Every row of the table is well-formed: the engine can evaluate it. */
static void
test_table_wellformed (void)
{
  guint n;
  const IhwRule *rules = ihw_rules (&n);

  for (guint i = 0; i < n; i++)
    {
      const IhwRule *r = &rules[i];
      g_assert_nonnull (r->why);
      g_assert_true (!r->qemu_max || r->qemu_min <= r->qemu_max);
      switch (r->kind)
        {
        case IHW_RULE_REQUEST_LE_FIELD:
        case IHW_RULE_REQUEST_IMPLIES_FIELD:
        case IHW_RULE_REQUEST_IN_LIST:
        case IHW_RULE_REQUEST_RANGE:
          g_assert_cmpint (ihw_request_key_type (r->key), !=, 0);
          break;
        case IHW_RULE_FACT_EQ:
          {
            IhwDeviceFacts d = { 0 };
            IhwTristate t;
            g_assert_true (ihw_device_fact (&d, r->key, &t));
            g_assert_nonnull (r->requirement);
            break;
          }
        default:
          break;
        }
      if (r->kind == IHW_RULE_REQUEST_LE_FACT)
        {
          IhwDeviceFacts d = { 0 };
          const char *label = NULL;
          g_assert_true (ihw_device_number_fact (&d, r->field, NULL, NULL, &label));
          g_assert_nonnull (label);
        }
      else if (r->field)
        {
          IhwFeatures f;
          ihw_features_init (&f, ihw_model_vendor (r->model));
          g_assert_nonnull (ihw_features_field (&f, r->field));
        }
    }
}

/* QEMU 11.0 and 11.1 rows, both ways: the SMMUv3 ATS check is 11.1's
 * only; 11.1's ats/ril/ssidsize/oas default to auto (the host's value,
 * from the first device), 11.0's are fixed (ril on, oas 44). */
static void
test_profiles_11 (void)
{
  IhwFeatures fs, fs_poor;
  IhwDeviceFacts ds, dp;

  smmu_ok (&fs);
  ds = facts_for (&fs);
  smmu_ok (&fs_poor);
  set_bits (&fs_poor, "idr3", 10, 1, 0);   /* no RIL */
  set_bits (&fs_poor, "idr5", 0, 3, 2);    /* OAS 40 */
  set_bits (&fs_poor, "idr1", 6, 5, 8);    /* SSIDSIZE 8 */
  dp = facts_for (&fs_poor);

  /* ats=on on a host without ATS: 11.0 does not check, 11.1 refuses. */
  {
    g_autoptr (IhwResult) r0 = check (IHW_MODEL_SMMUV3, &ds, 1, "{'qemu-version': <'11.0'>, 'ats': <true>}");
    g_autoptr (IhwResult) r1 = check (IHW_MODEL_SMMUV3, &ds, 1, "{'qemu-version': <'11.1'>, 'ats': <true>}");
    g_assert_null (find_reason (r0, "request.ats"));
    assert_reason (r1, IHW_VERDICT_UNSUPPORTED, DEV, "request.ats", "idr0.ATS = 1", "0");
  }
  /* Defaults: 11.0's ril=on and oas=44 fail on the poor host; 11.1's auto
   * takes the host's values and passes. */
  {
    g_autoptr (IhwResult) r0 = check (IHW_MODEL_SMMUV3, &dp, 1, "{'qemu-version': <'11.0'>}");
    g_autoptr (IhwResult) r1 = check (IHW_MODEL_SMMUV3, &dp, 1, "{'qemu-version': <'11.1'>}");
    assert_reason (r0, IHW_VERDICT_UNSUPPORTED, DEV, "request.ril", "idr3.RIL = 1", "0");
    assert_reason (r0, IHW_VERDICT_UNSUPPORTED, DEV, "request.oas", "idr5.OAS >= 44", "40");
    dump (r1);
    g_assert_cmpint (r1->verdict, ==, IHW_VERDICT_SUPPORTED);
  }
  /* auto resolves from the first device: a second, poorer one fails. */
  {
    IhwDeviceFacts two[2] = { ds, dp };
    g_autoptr (IhwResult) r = NULL;
    two[1].device = "0000:3b:00.0";
    r = check (IHW_MODEL_SMMUV3, two, 2, "{'qemu-version': <'11.1'>}");
    assert_reason (r, IHW_VERDICT_UNSUPPORTED, "0000:3b:00.0", "request.ssid-size", "idr1.SSIDSIZE >= 20", "8");
    g_assert_nonnull (strstr (((IhwReason *) find_reason_for (r, "0000:3b:00.0", "request.ssid-size"))->why,
                              "auto"));
  }
  /* auto with no cold-plugged device: QEMU 11.1 aborts; explicit keys do not. */
  {
    g_autoptr (IhwResult) r = check (IHW_MODEL_SMMUV3, NULL, 0, "{'qemu-version': <'11.1'>}");
    g_autoptr (IhwResult) e = check (IHW_MODEL_SMMUV3, NULL, 0,
                                     "{'qemu-version': <'11.1'>, 'ats': <false>, 'ril': <false>, "
                                     "'ssid-size': <uint32 0>, 'oas': <uint32 44>}");
    g_autoptr (IhwResult) r0 = check (IHW_MODEL_SMMUV3, NULL, 0, "{'qemu-version': <'11.0'>}");
    assert_reason (r, IHW_VERDICT_UNSUPPORTED, "", "qemu.auto", "a cold-plugged vfio-pci device", "none");
    g_assert_null (find_reason (e, "qemu.auto"));
    g_assert_null (find_reason (r0, "qemu.auto"));
  }
  /* OAS field 7 is 56 bits: enough for oas=48. */
  {
    g_autoptr (IhwResult) r = NULL;
    set_bits (&fs, "idr5", 0, 3, 7);
    r = check (IHW_MODEL_SMMUV3, &ds, 1, "{'qemu-version': <'11.0'>, 'oas': <uint32 48>}");
    g_assert_null (find_reason (r, "request.oas"));
  }
}

/* QEMU's host aw-bits: the fact the daemon learnt wins over the registers,
 * its source is said, and without either the row is unknown. */
static void
test_host_aw_bits (void)
{
  IhwFeatures f;
  IhwDeviceFacts d;
  guint bits = 0;
  gboolean clipped;
  const guint64 msi[] = { 0xfee00000, 0xfeefffff };
  const guint64 top[] = { 0x7fff000000, 0x7fffffffff, 0xfee00000, 0xfeefffff, 0x7ffe000000, 0x7fff0fffff };
  const guint64 all[] = { 0, G_MAXUINT64 };

  /* the registers' aperture: min (MGAW, widest SAGAW up to 57) */
  intel_ok (&f);                       /* MGAW 57, SAGAW 48|57 */
  g_assert_true (ihw_features_aperture_bits (&f, &bits));
  g_assert_cmpuint (bits, ==, 57);
  set_bits (&f, "cap", 16, 6, 47);     /* MGAW 48 */
  g_assert_true (ihw_features_aperture_bits (&f, &bits));
  g_assert_cmpuint (bits, ==, 48);
  set_bits (&f, "cap", 16, 6, 63);     /* MGAW 64 */
  set_bits (&f, "cap", 8, 5, 0x1c);    /* SAGAW 48|57|64(reserved) */
  g_assert_true (ihw_features_aperture_bits (&f, &bits));
  g_assert_cmpuint (bits, ==, 57);
  smmu_ok (&f);
  g_assert_false (ihw_features_aperture_bits (&f, &bits));

  /* cut by reserved regions that reach the top, in any order */
  g_assert_cmpuint (ihw_aperture_host_aw_bits (39, msi, 1, &clipped), ==, 39);
  g_assert_false (clipped);
  g_assert_cmpuint (ihw_aperture_host_aw_bits (39, top, 3, &clipped), ==, 39);
  g_assert_true (clipped);
  g_assert_cmpuint (ihw_aperture_host_aw_bits (39, all, 1, &clipped), ==, 64);
  g_assert_cmpuint (ihw_aperture_host_aw_bits (64, NULL, 0, &clipped), ==, 64);
  {
    const guint64 upper_half[] = { G_GUINT64_CONSTANT (1) << 38, (G_GUINT64_CONSTANT (1) << 39) - 1 };
    g_assert_cmpuint (ihw_aperture_host_aw_bits (39, upper_half, 1, &clipped), ==, 38);
    g_assert_true (clipped);
  }

  /* the kernel's answer wins, and the reason names where it came from */
  intel_ok (&f);
  d = facts_for (&f);                  /* registers say 57 */
  d.host_aw_bits = 39;
  d.host_aw_bits_from = "iommufd IOVA ranges";
  {
    g_autoptr (IhwResult) r = check (IHW_MODEL_INTEL, &d, 1, "{'nesting': <false>}");
    assert_reason (r, IHW_VERDICT_UNSUPPORTED, DEV, "request.aw-bits", "host aw-bits >= 48",
                   "39 (iommufd IOVA ranges)");
    g_assert_nonnull (strstr (find_reason (r, "request.aw-bits")->why, "QEMU 11.1's default"));
  }
  {
    g_autoptr (IhwResult) r = check (IHW_MODEL_INTEL, &d, 1, "{'nesting': <false>, 'aw-bits': <uint32 39>}");
    g_assert_null (find_reason (r, "request.aw-bits"));
  }
  /* Negotiate for an emulated vIOMMU picks what the kernel allows */
  {
    IhwRequest req;
    g_autoptr (IhwNegotiation) n = NULL;
    guint64 aw = 0;
    parse_request (&req, "{'nesting': <false>}");
    n = ihw_negotiate (IHW_MODEL_INTEL, &d, 1, &req);
    g_assert_true (ihw_request_get (&n->config, "aw-bits", &aw));
    g_assert_cmpuint (aw, ==, 39);
    g_assert_cmpint (n->verdict, ==, IHW_VERDICT_SUPPORTED);
  }
  /* wider than QEMU ever asks: nothing to refuse */
  d.host_aw_bits = 64;
  {
    g_autoptr (IhwResult) r = check (IHW_MODEL_INTEL, &d, 1, "{'nesting': <false>}");
    g_assert_null (find_reason (r, "request.aw-bits"));
  }
  /* no fact but registers: unknown, never a guess */
  d.host_aw_bits = 0;
  d.host_aw_bits_from = NULL;
  {
    g_autoptr (IhwResult) r = check (IHW_MODEL_INTEL, &d, 1, "{'nesting': <false>}");
    assert_reason (r, IHW_VERDICT_UNKNOWN, DEV, "request.aw-bits", "host aw-bits >= 48", "unknown");
  }
  /* the fact holds on another vendor's host too: QEMU's check is the same */
  smmu_ok (&f);
  d = facts_for (&f);
  d.host_aw_bits = 39;
  d.host_aw_bits_from = "iommufd IOVA ranges";
  {
    g_autoptr (IhwResult) r = check (IHW_MODEL_INTEL, &d, 1, "{'nesting': <false>}");
    assert_reason (r, IHW_VERDICT_UNSUPPORTED, DEV, "request.aw-bits", "host aw-bits >= 48",
                   "39 (iommufd IOVA ranges)");
  }
  {
    g_autofree char *why = ihw_requirement_why (IHW_MODEL_INTEL, "request.aw-bits", "host aw-bits >= 48", "39 (iommufd IOVA ranges)");
    g_assert_nonnull (strstr (why, "host aw-bits"));
  }
}

/* intel caching-mode: every VFIO device needs it, nested or emulated, in
 * every QEMU version; left out it is QEMU's default, off. */
static void
test_caching_mode (void)
{
  IhwFeatures fi;
  IhwDeviceFacts di;
  const char *const requests[] = {
    "{'nesting': <false>}", "{'nesting': <true>}", "{'qemu-version': <'7.2'>, 'nesting': <false>}",
  };

  intel_ok (&fi);
  di = facts_for (&fi);
  for (guint i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      IhwRequest req;
      g_autoptr (IhwResult) def = NULL, off = NULL, on = NULL;
      const IhwReason *r;

      parse_request (&req, requests[i]);
      def = ihw_check_nesting (IHW_MODEL_INTEL, &di, 1, &req);
      assert_reason (def, IHW_VERDICT_UNSUPPORTED, DEV, "request.caching-mode", "on", "off");
      r = find_reason (def, "request.caching-mode");
      g_assert_nonnull (strstr (r->why, "caching-mode=off is QEMU"));
      g_assert_nonnull (strstr (r->why, "default"));

      ihw_request_set (&req, "caching-mode", 0);
      off = ihw_check_nesting (IHW_MODEL_INTEL, &di, 1, &req);
      assert_reason (off, IHW_VERDICT_UNSUPPORTED, DEV, "request.caching-mode", "on", "off");
      g_assert_null (strstr (find_reason (off, "request.caching-mode")->why, "default"));

      ihw_request_set (&req, "caching-mode", 1);
      on = ihw_check_nesting (IHW_MODEL_INTEL, &di, 1, &req);
      g_assert_null (find_reason (on, "request.caching-mode"));
    }
  /* no device, nothing to assign: nothing to refuse */
  {
    g_autoptr (IhwResult) r = ihw_check_nesting (IHW_MODEL_INTEL, NULL, 0, NULL);
    g_assert_null (find_reason (r, "request.caching-mode"));
  }
  /* other models have no such property: the key is noted as unused */
  {
    IhwFeatures fs;
    IhwDeviceFacts ds;
    g_autoptr (IhwResult) r = NULL;
    smmu_ok (&fs);
    ds = facts_for (&fs);
    r = check (IHW_MODEL_SMMUV3, &ds, 1, "{'caching-mode': <false>}");
    g_assert_null (find_reason (r, "request.caching-mode"));
  }
  {
    g_autofree char *fix = ihw_requirement_fix (IHW_MODEL_INTEL, "request.caching-mode", "on", "off");
    g_assert_cmpstr (fix, ==, "set caching_mode='on' (libvirt: <iommu model='intel'><driver caching_mode='on'/>)");
  }
  /* Negotiate turns it on, in every form it answers */
  {
    g_autoptr (IhwNegotiation) n = ihw_negotiate (IHW_MODEL_INTEL, &di, 1, NULL);
    g_autoptr (GVariant) config = ihw_negotiation_config (n);
    g_autofree char *xml = ihw_negotiation_libvirt_xml (n);
    g_auto (GStrv) args = ihw_negotiation_qemu_args (n);
    const char *dev = NULL;
    gboolean cm = FALSE;
    for (guint i = 0; args[i]; i++)
      if (g_str_has_prefix (args[i], "intel-iommu,"))
        dev = args[i];
    g_assert_cmpint (n->verdict, ==, IHW_VERDICT_SUPPORTED);
    g_assert_true (g_variant_lookup (config, "caching-mode", "b", &cm) && cm);
    g_assert_nonnull (strstr (xml, "caching_mode=\"on\""));
    g_assert_nonnull (dev);
    g_assert_nonnull (strstr (dev, "caching-mode=on"));
    g_assert_null (strstr (strstr (dev, "caching-mode=on") + 1, "caching-mode="));
  }
}

/* nesting=false (an emulated vIOMMU): only the rows QEMU applies to every
 * VFIO device; never x-flts or accel rows. */
static void
test_emulated_scope (void)
{
  IhwFeatures fi;
  IhwDeviceFacts di;

  intel_ok (&fi);
  set_bits (&fi, "cap", 16, 6, 38);   /* MGAW 39 */
  set_bits (&fi, "ecap", 26, 1, 0);   /* no NEST */
  di = facts_for (&fi);
  {
    /* QEMU 10.0, default aw-bits 48 on a 39-bit host: refused at start. */
    g_autoptr (IhwResult) r = check (IHW_MODEL_INTEL, &di, 1, "{'qemu-version': <'10.0'>, 'nesting': <false>}");
    assert_reason (r, IHW_VERDICT_UNSUPPORTED, DEV, "request.aw-bits", "host aw-bits >= 48", "39 (registers)");
    g_assert_null (find_reason (r, "qemu.x-flts"));
    g_assert_null (find_reason (r, "ecap.NEST"));
  }
  {
    g_autoptr (IhwResult) r = check (IHW_MODEL_INTEL, &di, 1,
                                     "{'qemu-version': <'10.0'>, 'nesting': <false>, 'aw-bits': <uint32 39>}");
    dump (r);
    g_assert_cmpint (r->verdict, ==, IHW_VERDICT_SUPPORTED);
  }
  {
    /* 9.0 has no HostIOMMUDevice: no aw-bits check at all. */
    g_autoptr (IhwResult) r = check (IHW_MODEL_INTEL, &di, 1, "{'qemu-version': <'9.0'>, 'nesting': <false>}");
    g_assert_null (find_reason (r, "request.aw-bits"));
  }
  {
    /* The same host for nesting under 7.2: no x-flts property at all. */
    g_autoptr (IhwResult) r = check (IHW_MODEL_INTEL, &di, 1, "{'qemu-version': <'7.2'>}");
    assert_reason (r, IHW_VERDICT_UNSUPPORTED, "", "qemu.x-flts", "nested mode", "QEMU 7.2");
    g_assert_nonnull (strstr (((IhwReason *) find_reason (r, "qemu.x-flts"))->why, "no x-flts property"));
    g_assert_null (strstr (((IhwReason *) find_reason (r, "qemu.x-flts"))->why, "shadow"));
  }
  /* arm-smmuv3 without accel: no VFIO device in any version. */
  {
    IhwFeatures fs;
    IhwDeviceFacts ds;
    g_autoptr (IhwResult) r11 = NULL, r10 = NULL;
    smmu_ok (&fs);
    ds = facts_for (&fs);
    r11 = check (IHW_MODEL_SMMUV3, &ds, 1, "{'nesting': <false>}");
    r10 = check (IHW_MODEL_SMMUV3, &ds, 1, "{'qemu-version': <'10.2'>, 'nesting': <false>}");
    assert_reason (r11, IHW_VERDICT_UNSUPPORTED, "", "qemu.accel", "nested mode", "QEMU 11.1");
    assert_reason (r10, IHW_VERDICT_UNSUPPORTED, "", "qemu.accel", "nested mode", "QEMU 10.2");
  }
  /* virtio-iommu emulated: nothing QEMU refuses here. */
  {
    g_autoptr (IhwResult) r = check (IHW_MODEL_VIRTIO, &di, 1, "{'nesting': <false>}");
    g_assert_cmpint (r->verdict, ==, IHW_VERDICT_SUPPORTED);
  }
  /* Every refusal names what to change. */
  {
    g_autofree char *aw = ihw_requirement_fix (IHW_MODEL_INTEL, "request.aw-bits", "host aw-bits >= 48",
                                               "39 (iommufd IOVA ranges)");
    g_autofree char *fs = ihw_requirement_fix (IHW_MODEL_INTEL, "request.fs1gp", "cap.FL1GP = 1", "0");
    g_autofree char *q = ihw_requirement_fix (IHW_MODEL_INTEL, "qemu.x-flts", "nested mode", "QEMU 10.0");
    g_autofree char *nest = ihw_requirement_fix (IHW_MODEL_INTEL, "ecap.NEST", "1", "0");
    g_assert_nonnull (strstr (aw, "aw-bits=39"));
    g_assert_nonnull (strstr (fs, "fs1gp off"));
    g_assert_nonnull (strstr (q, "upgrade QEMU to 11.0"));
    g_assert_nonnull (strstr (nest, "different IOMMU"));
  }
}

/* cmdqv=on (QEMU 11.1) needs the host SMMU to report hw_info type
 * TEGRA241_CMDQV, both ways; 11.0 has no cmdqv property; Negotiate turns it
 * on only when every device's SMMU has it. */
static void
test_cmdqv (void)
{
  IhwFeatures f;
  IhwDeviceFacts with, without, unknown;

  smmu_ok (&f);
  with = without = unknown = facts_for (&f);
  with.cmdqv = IHW_TRISTATE_YES;
  without.cmdqv = IHW_TRISTATE_NO;
  {
    g_autoptr (IhwResult) ok = check (IHW_MODEL_SMMUV3, &with, 1, "{'qemu-version': <'11.1'>, 'cmdqv': <true>}");
    g_autoptr (IhwResult) no = check (IHW_MODEL_SMMUV3, &without, 1, "{'qemu-version': <'11.1'>, 'cmdqv': <true>}");
    g_autoptr (IhwResult) off = check (IHW_MODEL_SMMUV3, &without, 1, "{'qemu-version': <'11.1'>, 'cmdqv': <false>}");
    g_autoptr (IhwResult) left = check (IHW_MODEL_SMMUV3, &without, 1, "{'qemu-version': <'11.1'>}");
    g_autoptr (IhwResult) unk = check (IHW_MODEL_SMMUV3, &unknown, 1, "{'qemu-version': <'11.1'>, 'cmdqv': <true>}");

    dump (ok);
    g_assert_cmpint (ok->verdict, ==, IHW_VERDICT_SUPPORTED);
    g_assert_null (find_reason (ok, "host.cmdqv"));
    assert_reason (no, IHW_VERDICT_UNSUPPORTED, DEV, "host.cmdqv", "yes", "no");
    {
      g_autofree char *fix = ihw_requirement_fix (IHW_MODEL_SMMUV3, "host.cmdqv", "yes", "no");
      g_assert_nonnull (strstr (fix, "cmdqv=off"));
    }
    g_assert_cmpint (off->verdict, ==, IHW_VERDICT_SUPPORTED);
    g_assert_cmpint (left->verdict, ==, IHW_VERDICT_SUPPORTED);
    g_assert_null (find_reason (unk, "host.cmdqv"));   /* unknown: a note, not a refusal */
    g_assert_cmpint (unk->verdict, ==, IHW_VERDICT_SUPPORTED);
  }
  /* Before 11.1 there is no cmdqv property at all: QEMU refuses the
   * command line whatever the value and the host, nested or emulated; a
   * request without the key is not concerned.  11.1 judges the host. */
  {
    static const char *const refused[] = {
      "{'qemu-version': <'11.0'>, 'cmdqv': <true>}",
      "{'qemu-version': <'11.0'>, 'cmdqv': <false>}",
      "{'qemu-version': <'11.0'>, 'cmdqv': <true>, 'nesting': <false>}",
      "{'qemu-version': <'10.0'>, 'cmdqv': <true>}",
    };
    for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
      {
        g_autoptr (IhwResult) r = check (IHW_MODEL_SMMUV3, &with, 1, refused[i]);
        const IhwReason *q = find_reason (r, "qemu.cmdqv");
        g_autofree char *fix = NULL;
        g_test_message ("%s", refused[i]);
        g_assert_cmpint (r->verdict, ==, IHW_VERDICT_UNSUPPORTED);
        g_assert_nonnull (q);
        g_assert_cmpstr (q->device, ==, "");
        g_assert_cmpstr (q->needed, ==, "a cmdqv property");
        g_assert_true (g_str_has_prefix (q->found, "QEMU 1"));
        g_assert_nonnull (strstr (q->why, "no cmdqv property"));
        fix = ihw_requirement_fix (IHW_MODEL_SMMUV3, q->requirement, q->needed, q->found);
        g_assert_cmpstr (fix, ==, "upgrade QEMU to 11.1 or later");
        {
          g_autofree char *same = ihw_reason_fix (IHW_MODEL_SMMUV3, q);
          g_assert_cmpstr (same, ==, fix);
        }
      }
  }
  /* Missing data has nothing to change (only to find out), nor has a
   * reason without a model. */
  {
    IhwReason unk = { .device = (char *) DEV, .requirement = (char *) "host.cmdqv", .needed = (char *) "yes",
                      .found = (char *) "unknown" };
    IhwReason no = unk;
    g_autofree char *fix_no = NULL;
    no.found = (char *) "no";
    g_assert_null (ihw_reason_fix (IHW_MODEL_SMMUV3, &unk));
    g_assert_null (ihw_reason_fix (IHW_MODEL_LAST, &no));
    fix_no = ihw_reason_fix (IHW_MODEL_SMMUV3, &no);
    g_assert_nonnull (strstr (fix_no, "cmdqv=off"));
  }
  {
    g_autoptr (IhwResult) none = check (IHW_MODEL_SMMUV3, &with, 1, "{'qemu-version': <'11.0'>}");
    g_autoptr (IhwResult) ok = check (IHW_MODEL_SMMUV3, &with, 1, "{'qemu-version': <'11.1'>, 'cmdqv': <true>}");
    g_autoptr (IhwResult) no = check (IHW_MODEL_SMMUV3, &without, 1, "{'qemu-version': <'11.1'>, 'cmdqv': <true>}");
    g_assert_null (find_reason (none, "qemu.cmdqv"));
    g_assert_cmpint (none->verdict, ==, IHW_VERDICT_SUPPORTED);
    g_assert_null (find_reason (ok, "qemu.cmdqv"));
    g_assert_null (find_reason (no, "qemu.cmdqv"));
    g_assert_nonnull (find_reason (no, "host.cmdqv"));
  }
  for (guint i = 0; i < 2; i++)
    {
      IhwDeviceFacts *d = i ? &without : &with;
      g_autoptr (IhwNegotiation) n = ihw_negotiate (IHW_MODEL_SMMUV3, d, 1, NULL);
      g_autoptr (GVariant) config = ihw_negotiation_config (n);
      gboolean on = FALSE;

      g_assert_cmpint (n->verdict, ==, IHW_VERDICT_SUPPORTED);
      g_assert_true (g_variant_lookup (config, "cmdqv", "b", &on));
      g_assert_cmpint (on, ==, i == 0);
    }
}

/* What a domain leaves out is QEMU's default (intel caching-mode=off),
 * what it sets stays, and a model without such a key is untouched; the
 * host summary's fill assumes the value every VM needs instead. */
static void
test_fill_defaults (void)
{
  IhwRequest req;
  guint64 v = 7;

  parse_request (&req, NULL);
  ihw_request_fill_qemu_defaults (IHW_MODEL_INTEL, 0, &req);
  g_assert_true (ihw_request_get (&req, "caching-mode", &v));
  g_assert_cmpuint (v, ==, 0);

  parse_request (&req, "{'caching-mode': <true>}");
  ihw_request_fill_qemu_defaults (IHW_MODEL_INTEL, 0, &req);
  g_assert_true (ihw_request_get (&req, "caching-mode", &v));
  g_assert_cmpuint (v, ==, 1);

  parse_request (&req, NULL);
  ihw_request_fill_required (IHW_MODEL_INTEL, 0, &req);
  g_assert_true (ihw_request_get (&req, "caching-mode", &v));
  g_assert_cmpuint (v, ==, 1);

  parse_request (&req, NULL);
  ihw_request_fill_qemu_defaults (IHW_MODEL_SMMUV3, 0, &req);
  g_assert_false (ihw_request_get (&req, "caching-mode", NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (row_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/rules/row/%s", row_cases[i].name);
      g_test_add_data_func (path, &row_cases[i], test_row);
    }
  g_test_add_func ("/rules/table-wellformed", test_table_wellformed);
  g_test_add_func ("/rules/fill-defaults", test_fill_defaults);
  g_test_add_func ("/rules/intel-notes", test_intel_notes);
  g_test_add_func ("/rules/smmuv3-canwbs", test_smmu_canwbs);
  g_test_add_func ("/rules/unknown-data", test_unknown_data);
  g_test_add_func ("/rules/vendor-mismatch-no-iommu", test_vendor_mismatch_and_no_iommu);
  g_test_add_func ("/rules/model-rows", test_model_rows);
  g_test_add_func ("/rules/profiles", test_profiles);
  g_test_add_func ("/rules/profile-table", test_profile_table);
  g_test_add_func ("/rules/profiles-11", test_profiles_11);
  g_test_add_func ("/rules/emulated-scope", test_emulated_scope);
  g_test_add_func ("/rules/caching-mode", test_caching_mode);
  g_test_add_func ("/rules/host-aw-bits", test_host_aw_bits);
  g_test_add_func ("/rules/fixture-hosts", test_fixture_hosts);
  g_test_add_func ("/request/variant", test_request_variant);
  g_test_add_func ("/request/key-not-for-model", test_request_key_not_for_model);
  g_test_add_func ("/negotiate/intel-mixed-units", test_negotiate_intel_mixed_units);
  g_test_add_func ("/negotiate/smmuv3-mixed-units", test_negotiate_smmu_mixed_units);
  g_test_add_func ("/negotiate/failures", test_negotiate_failures);
  g_test_add_func ("/rules/cmdqv", test_cmdqv);
  return g_test_run ();
}
