/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one allow/refuse decision behind the libvirt hook and
 * `iommu-hwinfoctl domain-check` (SPEC §6): hook.conf, the QEMU version
 * judged for, the daemon's verdict, and the lines an admin reads.  The
 * hook prints the lines and logs them to the journal; domain-check prints
 * them and exits with the decision.
 *
 * Order, so that nothing slow happens for a domain the hook has no
 * opinion on: the domain XML (read by the caller) -> nothing to check
 * (no <iommu>, no PCI hostdev, or check=nesting and no nesting asked):
 * allow, silent -> the bus and the daemon's presence (unreachable:
 * on-unavailable, the emulator never run) -> the QEMU version
 * (hook.conf qemu-version, else `<emulator> --version` through the
 * version cache) -> CheckNesting, with `nesting` false for a domain that
 * does not turn nesting on (only the checks QEMU applies to every
 * assigned device) -> the verdict: supported allows, unsupported refuses,
 * unknown is on-unknown.
 */
#pragma once

#include <glib.h>

#include "ihw-client.h"
#include "ihw-domain.h"
#include "ihw-qemu-version.h"

G_BEGIN_DECLS

#define IHW_HOOK_TIMEOUT_DEFAULT_MS 3000
#define IHW_HOOK_TIMEOUT_MAX_MS 60000

/* hook.conf ([hook] group).  A missing file is the defaults; a broken key
 * is said (in `warnings`) and its default used. */
typedef struct {
  gboolean deny_unavailable;  /* on-unavailable=deny */
  gboolean deny_unknown;      /* on-unknown=deny */
  gboolean nesting_only;      /* check=nesting (default always) */
  char *bus_address;          /* NULL: the system bus */
  int timeout_ms;
  char *qemu_version;         /* validated "X.Y", or NULL */
  gboolean detect_qemu;
  char *version_cache;        /* "" or NULL: none */
  char *path;
  GPtrArray *warnings;        /* char *: what was wrong with the file */
} IhwHookConf;

/* `path` NULL: $IHW_HOOK_CONF, else `default_path`. */
void ihw_hook_conf_load (IhwHookConf *c, const char *path, const char *default_path);
void ihw_hook_conf_clear (IhwHookConf *c);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (IhwHookConf, ihw_hook_conf_clear)

typedef enum {
  IHW_OUTCOME_NOT_CHECKED,  /* nothing QEMU checks for IOMMU reasons: allow, silent */
  IHW_OUTCOME_SUPPORTED,    /* the daemon's verdict: allow */
  IHW_OUTCOME_UNSUPPORTED,  /* the daemon's verdict: refuse */
  IHW_OUTCOME_UNKNOWN,      /* no verdict: on-unknown */
  IHW_OUTCOME_UNAVAILABLE,  /* no daemon: on-unavailable */
} IhwOutcome;

typedef struct {
  IhwOutcome outcome;
  gboolean refuse;          /* the hook exits 1 */
  char *domain;
  char *model;              /* NULL without <iommu> */
  gboolean nesting;         /* the domain turns nested translation on */
  char *nesting_via;
  char *why;                /* NOT_CHECKED: why; UNKNOWN/UNAVAILABLE: what went wrong */
  IhwQemuChoice qemu;
  IhwCheckResult *check;    /* the daemon's answer, or NULL */
  /* IhwReason *: one per refusal or warning line; `why` is the line (no
   * "iommu-hwinfo: " prefix), the other fields the daemon's reason it is
   * about ("" when none): the journal's fields. */
  GPtrArray *lines;
} IhwDecision;

void ihw_decision_free (IhwDecision *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IhwDecision, ihw_decision_free)

/* `info` is the parsed domain, or NULL with `parse_error` saying why it
 * could not be read.  `qemu_override`: a version that wins over hook.conf
 * (domain-check --qemu-version).  `no_detect_reason`: non-NULL when the
 * emulator must not be run here (a remote libvirt). */
IhwDecision *ihw_decide (const IhwHookConf *conf, const char *domain, IhwDomainInfo *info,
                         const GError *parse_error, const char *qemu_override, const char *no_detect_reason);

/* "allow" / "refuse"; the outcome's name ("not-checked", "supported", ...). */
const char *ihw_decision_name (const IhwDecision *d);
const char *ihw_outcome_name (IhwOutcome o);

/* Whether the decision is worth a journal entry (a refusal, or an allow
 * with a warning). */
gboolean ihw_decision_noteworthy (const IhwDecision *d);

G_END_DECLS
