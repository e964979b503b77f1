/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Nesting verdicts: which vIOMMU model can use nested translation with a set
 * of devices.  Rules are rows of a table (ihw-rules.c): adding a QEMU version
 * or a vendor quirk is adding rows.  Pure: no I/O.
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

typedef enum {
  IHW_NEST_PARENT_UNKNOWN = 0,  /* not probed (sysfs, --no-probe, decode) */
  IHW_NEST_PARENT_YES,
  IHW_NEST_PARENT_NO,
} IhwNestParent;

const char *ihw_nest_parent_name (IhwNestParent n);

/* The optional keys of a CheckNesting/Negotiate request (SPEC §4). */
typedef struct {
  gboolean has_qemu_version;
  guint qemu_major, qemu_minor;
  gboolean has_aw_bits;
  guint aw_bits;
  gboolean has_fs1gp;
  gboolean fs1gp;
  gboolean has_pasid_bits;
  guint pasid_bits;
  gboolean has_ssid_size;
  guint ssid_size;
  gboolean has_oas;
  guint oas;
  gboolean has_ril;
  gboolean ril;
  gboolean has_ats;
  gboolean ats;
} IhwRequest;

/* "10.0", "9.1", "11.0.50" -> major/minor.  Fails with IHW_ERROR_INVALID_ARGUMENT. */
gboolean ihw_request_set_qemu_version (IhwRequest *req, const char *text, GError **error);

/* What is known about one device when a verdict is asked for. */
typedef struct {
  const char *device;              /* "0000:3a:00.0"; "" when decoding bare registers */
  const IhwFeatures *features;     /* its IOMMU unit's registers; NULL if none */
  const char *no_features_reason;  /* when features is NULL: "no IOMMU", "hw_info type none", ... */
  IhwNestParent nest_parent;       /* the kernel's own answer, if probed */
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
void ihw_result_add_reason (IhwResult *r, IhwVerdict severity, const char *device, const char *requirement,
                            const char *needed, const char *found, const char *why);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IhwResult, ihw_result_free)

/* The verdict for `model` over every device.  `req` may be NULL (defaults). */
IhwResult *ihw_check_nesting (IhwModel model, const IhwDeviceFacts *devices, guint n_devices,
                              const IhwRequest *req);

G_END_DECLS
