/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The payload IOMMU_GET_HW_INFO returns: out_data_type, the data_len the
 * kernel wrote back, and the bytes it copied into our buffer.  Parsed into
 * the feature model; pure, so it can be fuzzed.
 */
#pragma once

#include "ihw-features.h"
#include "ihw-types.h"

G_BEGIN_DECLS

/* Larger than any hw_info struct known today (SMMUv3: 40), so a newer kernel
 * with a grown struct still fits; what goes beyond is counted, not used. */
#define IHW_HW_INFO_BUF_SIZE 256

typedef struct {
  guint32 type;                /* out_data_type as the kernel reported it */
  gboolean type_known;         /* one of IHW_HW_INFO_TYPE_* */
  IhwFeatures features;        /* desc == NULL for NONE / unknown */
  guint32 data_len;            /* the kernel's full data length */
  guint32 struct_len;          /* what this build understands for `type` */
  guint32 ignored_len;         /* bytes beyond struct_len (newer kernel) */
} IhwHwInfo;

/* "intel-vtd", "arm-smmuv3", "tegra241-cmdqv", "amd", "none", or NULL. */
const char *ihw_hw_info_type_name (guint32 type);
/* Always a printable name: the above, or "unknown type N" (caller frees). */
char *ihw_hw_info_type_describe (guint32 type);

/* `data`/`avail`: the bytes in our buffer (avail = the buffer size we gave);
 * `data_len`: what the kernel wrote back.  Fails with IHW_ERROR_BAD_DATA when
 * a known type's data is shorter than its struct.  Unknown types parse fine,
 * with type_known FALSE and no features. */
gboolean ihw_hw_info_parse (guint32 type, const guint8 *data, gsize avail, guint32 data_len,
                            IhwHwInfo *out, GError **error);

/* The inverse, for recorded hosts and tests: the bytes the kernel would
 * return for these features.  Returns NULL for vendors without a hw_info type. */
GBytes *ihw_hw_info_build (const IhwFeatures *f, guint32 flags, guint32 *type_out);

/*
 * Asking IOMMU_GET_HW_INFO for one type (IOMMU_HW_INFO_FLAG_INPUT_TYPE with
 * in_data_type): first for the type wanted; when the kernel refuses, for
 * the device's own default type, which only a kernel that knows the flag
 * accepts.  What each answer means is ihw_hw_info_ask_step()'s table.
 */
typedef enum {
  IHW_HW_INFO_ASK_TYPE = 0,  /* the flag and the type wanted */
  IHW_HW_INFO_ASK_OWN,       /* the flag and the device's default type */
  IHW_HW_INFO_ASK_DONE,      /* nothing more to ask: the answer is final */
} IhwHwInfoAsk;

typedef struct {
  IhwHwInfoAsk next;   /* what to ask next; DONE: `answer` is final */
  IhwTristate answer;  /* does the device's IOMMU report the type wanted */
  const char *why;     /* what the kernel's answer means */
  gboolean failure;    /* an errno the table does not expect: worth a log line */
} IhwHwInfoStep;

/* What the kernel's answer to `ask` means: `err` 0 with `out_type` the
 * type it reported, or the errno it failed with.  `wanted` is the type
 * asked for at IHW_HW_INFO_ASK_TYPE. */
const IhwHwInfoStep *ihw_hw_info_ask_step (IhwHwInfoAsk ask, guint32 wanted, int err, guint32 out_type);

G_END_DECLS
