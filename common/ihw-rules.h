/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The requirement table behind ihw_check_nesting(); exposed for tests. */
#pragma once

#include "ihw-verdict.h"

G_BEGIN_DECLS

typedef enum {
  /* The device's IOMMU register field must equal `value`. */
  IHW_RULE_FIELD_EQ,
  /* Not a requirement: a note when the field does not equal `value`. */
  IHW_RULE_NOTE_UNLESS_FIELD,
  /* A note when the kernel's hw_info flags have `value` set. */
  IHW_RULE_NOTE_IF_HW_FLAG,
  /* The kernel refused a NEST_PARENT page table for the device. */
  IHW_RULE_KERNEL_NEST_PARENT,
  /* The model has no nested mode: always fails. */
  IHW_RULE_MODEL_NEVER,
} IhwRuleKind;

/* QEMU versions as major * 100 + minor; 0 = unbounded. */
#define IHW_QEMU(maj, min) ((maj) * 100 + (min))

typedef struct {
  IhwModel model;
  guint qemu_min;        /* first QEMU version the row applies to */
  guint qemu_max;        /* last QEMU version the row applies to */
  IhwRuleKind kind;
  const char *field;     /* feature key (IHW_RULE_FIELD_*) */
  guint64 value;
  const char *requirement; /* NULL: "<register>.<MNEMONIC>" of `field` */
  const char *why;
} IhwRule;

const IhwRule *ihw_rules (guint *n_rules);

/* The newest QEMU the tables describe; the default profile. */
#define IHW_QEMU_NEWEST IHW_QEMU (11, 0)

G_END_DECLS
