/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vocabulary every part shares: verdicts, vIOMMU models, the kernel's
 * nest-parent answer, yes/no/unknown facts, and a verdict's result (reasons
 * and notes).  The engine (ihw-verdict.c) produces results; the daemon
 * sends them, the client library returns them, the CLI prints them.
 */
#pragma once

#include "ihw-features.h"

G_BEGIN_DECLS

typedef enum {
  IHW_VERDICT_SUPPORTED = 0,
  IHW_VERDICT_UNSUPPORTED,
  IHW_VERDICT_UNKNOWN,
} IhwVerdict;

const char *ihw_verdict_name (IhwVerdict v);
/* The SPEC §5 exit code for a verdict (0, 1, 2). */
int ihw_verdict_exit_code (IhwVerdict v);

typedef enum {
  IHW_MODEL_INTEL = 0,
  IHW_MODEL_SMMUV3,
  IHW_MODEL_AMD,
  IHW_MODEL_VIRTIO,
  IHW_MODEL_LAST
} IhwModel;

/* libvirt's <iommu model=...> names. */
const char *ihw_model_name (IhwModel m);
gboolean ihw_model_from_name (const char *name, IhwModel *out);
/* The host IOMMU vendor a model's nesting needs (IHW_VENDOR_UNKNOWN: none). */
IhwVendor ihw_model_vendor (IhwModel m);
/* The model that nests on a vendor's IOMMU (IHW_MODEL_LAST if none). */
IhwModel ihw_vendor_model (IhwVendor v);

/* Whether a device with this driver ("" unbound, NULL: could not be read)
 * is among "the vfio-pci devices" a host-wide answer (NestingModels, the
 * NFD labels) speaks for.  An unreadable driver may be vfio-pci: it counts,
 * so that missing data can only make such an answer claim less. */
gboolean ihw_driver_counts_as_vfio (const char *driver);

typedef enum {
  IHW_NEST_PARENT_UNKNOWN = 0,  /* not probed (sysfs, --no-probe, decode) */
  IHW_NEST_PARENT_YES,
  IHW_NEST_PARENT_NO,
} IhwNestParent;

const char *ihw_nest_parent_name (IhwNestParent n);

/* A yes/no fact that may not be known; zero is "unknown" so that a
 * zero-initialised IhwDeviceFacts is always safe. */
typedef enum {
  IHW_TRISTATE_UNKNOWN = 0,
  IHW_TRISTATE_YES,
  IHW_TRISTATE_NO,
} IhwTristate;

const char *ihw_tristate_name (IhwTristate t);

/* What is known about one device when a verdict is asked for.
 * Zero-initialise it: every field's zero value means "not known", which
 * never makes a verdict better than the data allows. */
typedef struct {
  const char *device;              /* "0000:3a:00.0"; "" when decoding bare registers */
  const IhwFeatures *features;     /* its IOMMU unit's registers; NULL if none */
  const char *no_features_reason;  /* when features is NULL: "no IOMMU", "hw_info type none", ... */
  IhwNestParent nest_parent;       /* the kernel's own answer, if probed */

  /* What QEMU's own checks read (per-QEMU-version rows); fill what is known. */
  gboolean no_iommu;               /* the device has no IOMMU at all (no sysfs
                                    * `iommu` link): a definite `unsupported` */
  const char *unit;                /* its IOMMU unit ("dmar0"); NULL if unknown */
  IhwTristate iommufd;             /* can the device be used through iommufd on
                                    * this host: /dev/iommu opens and the device
                                    * has a VFIO cdev (QEMU 11 needs both) */
  IhwTristate behind_pci_bridge;   /* a conventional (non-Express) PCI bridge
                                    * between the device and its root port, read
                                    * from the sysfs topology (QEMU 11 intel) */
  IhwTristate canwbs;              /* firmware marks the device coherent (ACPI
                                    * IORT CANWBS); SMMUv3 without FWB needs it */
  IhwTristate cmdqv;               /* its SMMU answers IOMMU_GET_HW_INFO with type
                                    * TEGRA241_CMDQV (QEMU's cmdqv=on needs it) */
  guint host_aw_bits;              /* QEMU's "host aw-bits": the highest bit of the
                                    * last usable IOVA range + 1; 0 unknown */
  const char *host_aw_bits_from;   /* where it came from ("iommufd IOVA ranges",
                                    * "sysfs registers", ...): said in reasons */
} IhwDeviceFacts;

typedef struct {
  char *device;
  char *requirement;   /* "ecap.NEST", "request.aw-bits", "qemu", ... */
  char *needed;
  char *found;
  char *why;           /* a sentence an admin can act on (not on D-Bus) */
} IhwReason;

typedef struct {
  IhwVerdict verdict;
  GPtrArray *reasons;  /* IhwReason *, one per failed or unknown requirement */
  GPtrArray *notes;    /* char *, warnings that do not change the verdict */
} IhwResult;

IhwResult *ihw_result_new (void);
void ihw_result_free (IhwResult *r);
/* A failed or unknown requirement: adds the reason (`why` said to be
 * unchecked when `found` is "unknown") and worsens the verdict to `severity`. */
void ihw_result_add_reason (IhwResult *r, IhwVerdict severity, const char *device, const char *requirement,
                            const char *needed, const char *found, const char *why);
/* Adds a reason as it is, verdict untouched (a reason read back from D-Bus). */
void ihw_result_append (IhwResult *r, const char *device, const char *requirement, const char *needed,
                        const char *found, const char *why);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IhwResult, ihw_result_free)
/* A reason's sentence: `why`, said to be unchecked when `found` is
 * "unknown" (NULL when there is no `why`).  Caller frees. */
char *ihw_reason_why (const char *found, const char *why);
/* Frees an IhwReason (a GDestroyNotify for arrays of them). */
void ihw_reason_free (gpointer reason);

G_END_DECLS
