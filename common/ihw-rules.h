/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The requirement table behind ihw_check_nesting() and ihw_negotiate();
 * exposed for tests and for `iommu-hwinfoctl` to print.
 *
 * One row per requirement: model x QEMU version range x register field (or
 * request key, or device fact) x rule x human reason.  The engine in
 * ihw-verdict.c only interprets row kinds; it has no per-model branches.
 */
#pragma once

#include "ihw-request.h"
#include "ihw-types.h"

G_BEGIN_DECLS

typedef enum {
  /* --- device rows: evaluated once per device ------------------------- */
  /* The device's IOMMU register field must equal `value`. */
  IHW_RULE_FIELD_EQ,
  /* Not a requirement: a note when the field does not equal `value`. */
  IHW_RULE_NOTE_UNLESS_FIELD,
  /* A note when the kernel's hw_info flags have `value` set. */
  IHW_RULE_NOTE_IF_HW_FLAG,
  /* The kernel refused a NEST_PARENT page table for the device. */
  IHW_RULE_KERNEL_NEST_PARENT,
  /* The field (a number) must be >= `value`. */
  IHW_RULE_FIELD_GE,
  /* The field (an enum, shown as a name) must be one of `names`. */
  IHW_RULE_ENUM_IN,
  /* Request key `key` (or the QEMU default for it) must be <= the field;
   * a list field (SAGAW) counts by its largest entry. */
  IHW_RULE_REQUEST_LE_FIELD,
  /* When request key `key` (or its QEMU default) is > `value`, the field
   * must be >= `value2`.  Booleans: fs1gp => FL1GP is `value` 0, `value2` 1. */
  IHW_RULE_REQUEST_IMPLIES_FIELD,
  /* Device fact `key` (see ihw_device_fact()) must be `value`
   * (IHW_TRISTATE_YES/NO), when `if_request` (if set) is on; unknown is a
   * note, not a failure. */
  IHW_RULE_FACT_EQ,
  /* The field must equal `value`, or else device fact `key` must be YES
   * (SMMUv3: FWB, or a CANWBS master).  Unknown fact: a note. */
  IHW_RULE_FIELD_OR_FACT,
  /* Request key `key` (or its QEMU default) must be <= the number device
   * fact `field` (ihw_device_number_fact()); unknown: the reason says so. */
  IHW_RULE_REQUEST_LE_FACT,
  /* Request key `key` (or its QEMU default) must equal `value`; QEMU checks
   * it for every VFIO device, whatever the host (intel caching-mode). */
  IHW_RULE_REQUEST_EQ,

  /* --- model rows: evaluated once per check, device "" ------------------ */
  /* The model has no nested mode: always fails. */
  IHW_RULE_MODEL_NEVER,
  /* This QEMU version cannot nest with this model at all. */
  IHW_RULE_QEMU_NEVER,
  /* Request key `key` (or its QEMU default) must be one of `list`. */
  IHW_RULE_REQUEST_IN_LIST,
  /* Request key `key` (or its QEMU default) must be in [value, value2]. */
  IHW_RULE_REQUEST_RANGE,
  /* A key left at QEMU's `auto` default is resolved from the first
   * cold-plugged VFIO device: with no device QEMU aborts. */
  IHW_RULE_AUTO_NEEDS_DEVICE,
} IhwRuleKind;

/* When QEMU applies a row (the request's `nesting` key says which the
 * domain is): at VM start for every VFIO device behind the vIOMMU, or
 * only in nested mode, or only when the vIOMMU is emulated. */
typedef enum {
  IHW_SCOPE_NESTING = 0,   /* nested mode only (x-flts=on, accel=on) */
  IHW_SCOPE_ALWAYS,        /* every assigned device, nesting or not */
  IHW_SCOPE_EMULATED,      /* every assigned device of an emulated vIOMMU */
} IhwRuleScope;

#define IHW_RULE_LIST_MAX 4

typedef struct {
  IhwModel model;
  guint qemu_min;        /* first QEMU version the row applies to; 0 = any */
  guint qemu_max;        /* last QEMU version the row applies to; 0 = any */
  IhwRuleKind kind;
  const char *field;     /* feature key (ihw-features.h) */
  guint64 value;
  const char *requirement; /* NULL: "<register>.<MNEMONIC>" of `field`, or "request.<key>" */
  const char *why;
  /* Rows about request keys, device facts and lists (zero for the rest). */
  const char *key;       /* request key (IHW_RULE_REQUEST_*) or device fact (FACT_*) */
  guint64 value2;
  guint list[IHW_RULE_LIST_MAX];         /* REQUEST_IN_LIST, 0-terminated */
  const char *names[IHW_RULE_LIST_MAX];  /* ENUM_IN, NULL-terminated */
  IhwRuleScope scope;
  /* FACT_EQ: judged only when this boolean request key (or its QEMU
   * default) is on; NULL: always. */
  const char *if_request;
  /* QEMU_NEVER: judged only when the request gives this key, whatever its
   * value (a property this QEMU lacks: QEMU refuses it on the command
   * line); NULL: always. */
  const char *if_given;
  /* What the admin changes to pass this row ("set fs1gp=off"); NULL: what
   * the row's kind implies (ihw_requirement_fix()). */
  const char *fix;
} IhwRule;

/* The QEMU versions the requirement tables have a profile for, oldest
 * first (ihw-rules.c qemu_profiles).  Any other version gets the rows whose
 * range holds it. */
const guint *ihw_qemu_profiles (guint *n_profiles);
/* The last row of that table: the default profile, so that adding a
 * profile moves the default with it. */
guint ihw_qemu_newest (void);
const IhwRule *ihw_rules (guint *n_rules);
/* Whether a row is about the model/QEMU as a whole (evaluated once). */
gboolean ihw_rule_is_model_level (const IhwRule *rule);
/* Whether a row is about the host alone (hardware registers and the
 * kernel's nest-parent rule, for every QEMU version and no request key):
 * the rows ihw_check_host() evaluates. */
gboolean ihw_rule_is_host (const IhwRule *rule);
/* Whether a row applies to `model` under QEMU version `qemu`. */
gboolean ihw_rule_applies (const IhwRule *rule, IhwModel model, guint qemu);
/* Whether QEMU applies the row to a vIOMMU that nests (`nesting`) or is
 * emulated (!`nesting`). */
gboolean ihw_rule_in_scope (const IhwRule *rule, gboolean nesting);

/* QEMU's own defaults for request keys, and the -device property that sets
 * them: what QEMU checks when the request leaves a key out, and how
 * Negotiate writes the key on a command line. */
typedef struct {
  IhwModel model;
  guint qemu_min, qemu_max;
  const char *key;       /* request key */
  gboolean settable;     /* QEMU has a -device property for it (named in the key table, ihw-request.c) */
  gboolean has_default;
  guint64 default_value;
  const char *source;    /* where in QEMU this was read */
  /* The default is `auto`: QEMU takes this register field's value from the
   * first cold-plugged VFIO device's host IOMMU (NULL: a fixed default). */
  const char *auto_field;
} IhwQemuProperty;

const IhwQemuProperty *ihw_qemu_properties (guint *n);
/* The row for `key` under (model, qemu), or NULL. */
const IhwQemuProperty *ihw_qemu_property (IhwModel model, guint qemu, const char *key);

/* The vIOMMU -device a QEMU version nests with: the fixed part of its
 * arguments (the request keys' properties are appended). */
typedef struct {
  IhwModel model;
  guint qemu_min, qemu_max;
  const char *device_args;   /* "intel-iommu,intremap=on,..." */
  gboolean needs_iommufd;    /* emit -object iommufd and vfio-pci iommufd= */
  const char *note;          /* what else the command line needs */
  const char *libvirt_note;  /* what libvirt's <iommu> cannot say */
} IhwQemuDevice;

const IhwQemuDevice *ihw_qemu_device (IhwModel model, guint qemu);

/* libvirt <iommu> attributes and the libvirt release that introduced them
 * (FACTS.md "What libvirt has"; libvirt docs/formatdomain.rst). */
typedef struct {
  IhwModel model;
  const char *attribute;     /* <driver> attribute with a fixed `value`; NULL: the key's
                              * (ihw-request.c), or the model itself when there is no key */
  const char *key;           /* request key it carries; NULL: fixed `value` */
  const char *value;         /* fixed value ("on") */
  guint libvirt_since;       /* major * 1000000 + minor * 1000 + micro */
} IhwLibvirtAttr;

#define IHW_LIBVIRT(maj, min, mic) ((maj) * 1000000u + (min) * 1000u + (mic))

const IhwLibvirtAttr *ihw_libvirt_attrs (guint *n);

/* Device facts by name, for IHW_RULE_FACT_* rows ("iommufd",
 * "behind_pci_bridge", "canwbs", "cmdqv").  FALSE for an unknown name. */
gboolean ihw_device_fact (const IhwDeviceFacts *dev, const char *name, IhwTristate *out);
/* Sets fact `name`; FALSE (nothing changed) for an unknown name. */
gboolean ihw_device_fact_set (IhwDeviceFacts *dev, const char *name, IhwTristate value);
/* Number facts by name, for IHW_RULE_REQUEST_LE_FACT rows ("host_aw_bits"):
 * the value (0 unknown), where it came from (NULL unknown) and how reasons
 * name it ("host aw-bits"; `dev` may be NULL for the label alone).  FALSE
 * for an unknown name. */
gboolean ihw_device_number_fact (const IhwDeviceFacts *dev, const char *name, guint *value, const char **from,
                                 const char **label);

G_END_DECLS
