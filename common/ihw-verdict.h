/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Nesting verdicts: which vIOMMU model can use nested translation with a set
 * of devices.  Rules are rows of a table (ihw-rules.c): adding a QEMU version
 * or a vendor quirk is adding rows.  Pure: no I/O.
 */
#pragma once

#include "ihw-features.h"
#include "ihw-request.h"
#include "ihw-rules.h"
#include "ihw-types.h"

G_BEGIN_DECLS

/* The QEMU version a request selects: its qemu-version, else `fallback`
 * (the daemon passes the host's installed QEMU from its config, 0 = the
 * newest profile, ihw_qemu_newest()). */
guint ihw_request_qemu (const IhwRequest *req, guint fallback);

/* Sets, where `req` leaves them out, the keys whose value QEMU needs of
 * every VM whatever the host (IHW_RULE_REQUEST_EQ rows: intel
 * caching-mode=on): a host summary (NestingModels, decode) asks whether the
 * host can nest for a VM configured as QEMU needs, not whether QEMU's
 * defaults would start. */
void ihw_request_fill_required (IhwModel model, guint qemu, IhwRequest *req);

/* Sets the same keys, where `req` leaves them out, to QEMU's own default
 * for the request's QEMU (intel caching-mode=off): what a domain that does
 * not set them really runs with.  The libvirt hook and domain-check send
 * this, so that the daemon's CheckNesting, which assumes what every VM
 * needs (ihw_request_fill_required), judges the domain as QEMU will. */
void ihw_request_fill_qemu_defaults (IhwModel model, guint qemu, IhwRequest *req);

/* The verdict for `model` over every device.  `req` may be NULL (defaults).
 * The QEMU profile is req's qemu-version, else the newest (ihw_qemu_newest()).
 * Reasons about the model or the QEMU version as a whole (virtio, amd, a
 * QEMU that cannot nest, a request value QEMU never accepts) have device "". */
/* The sentence behind a reason row (device, requirement, needed, found), for
 * callers that got the row over D-Bus, where it has no room for one.  NULL
 * when there is none.  Caller frees. */
char *ihw_requirement_why (IhwModel model, const char *requirement, const char *needed, const char *found);
/* What the admin changes so that the row passes ("set fs1gp=off",
 * "upgrade QEMU to 11.0 or later", "assign a device behind a different
 * IOMMU"), for the same row.  NULL when there is none.  Caller frees. */
char *ihw_requirement_fix (IhwModel model, const char *requirement, const char *needed, const char *found);
/* What the admin changes to pass reason `r` of a verdict for `model`: the
 * row's fix, as above; NULL for a reason whose data is missing (found
 * "unknown": nothing to change, only to find out) or without a model
 * (IHW_MODEL_LAST).  The one source of every "fix" the CLI, the hook and
 * their JSON show.  Caller frees. */
char *ihw_reason_fix (IhwModel model, const IhwReason *r);

/* Whether the host itself (IOMMU registers, the kernel's nest-parent
 * rule) can nest for `model`'s vendor, whatever QEMU is used: the
 * hardware/kernel half of ihw_check_nesting().  No request, no QEMU rows. */
IhwResult *ihw_check_host (IhwModel model, const IhwDeviceFacts *devices, guint n_devices);

IhwResult *ihw_check_nesting (IhwModel model, const IhwDeviceFacts *devices, guint n_devices,
                              const IhwRequest *req);
/* The same with the QEMU version used when `req` names none (the daemon's
 * configured host QEMU; 0 = newest profile). */
IhwResult *ihw_check_nesting_full (IhwModel model, const IhwDeviceFacts *devices, guint n_devices,
                                   const IhwRequest *req, guint default_qemu);

/* The verdict of each device's own rows (`verdicts[i]` for `devices[i]`),
 * judged as in an ihw_check_nesting() whose first device is `first` (QEMU's
 * `auto` defaults resolve from the first).  ihw_check_nesting() of
 * {first, d1, ..., dn} is the worst of ihw_check_nesting() of {first} and
 * these, so a caller keeping verdicts re-judges only the devices that
 * changed. */
void ihw_check_device_verdicts (IhwModel model, const IhwDeviceFacts *first, const IhwDeviceFacts *devices,
                                guint n_devices, const IhwRequest *req, IhwVerdict *verdicts);

G_END_DECLS
