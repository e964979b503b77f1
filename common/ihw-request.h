/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The optional keys of a CheckNesting/Negotiate request (SPEC §4), as one
 * table (ihw-request.c request_keys): name, D-Bus type, the range any
 * caller may give, the QEMU -device property and the libvirt <driver>
 * attribute that carry it.  A request is the keys' values plus a mask of
 * the keys given; every writer (D-Bus, the CLI, a domain's XML, Negotiate)
 * goes through ihw_request_set(), which checks the range.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* QEMU versions as major * 100 + minor. */
#define IHW_QEMU(maj, min) ((maj) * 100 + (min))

typedef enum {
  IHW_REQUEST_QEMU_VERSION = 0,
  IHW_REQUEST_AW_BITS,
  IHW_REQUEST_FS1GP,
  IHW_REQUEST_PASID_BITS,
  IHW_REQUEST_SSID_SIZE,
  IHW_REQUEST_OAS,
  IHW_REQUEST_RIL,
  IHW_REQUEST_ATS,
  IHW_REQUEST_CMDQV,
  IHW_REQUEST_CACHING_MODE,
  IHW_REQUEST_NESTING,
  IHW_REQUEST_N_KEYS
} IhwRequestKey;

typedef struct {
  const char *name;          /* "aw-bits" */
  char type;                 /* its D-Bus type: 's' (qemu-version), 'u' or 'b' */
  guint64 min, max;          /* what a caller may give ('u'; 's': IHW_QEMU values) */
  const char *qemu_property; /* the -device property that sets it; NULL: none */
  const char *libvirt_attr;  /* the <iommu><driver> attribute that carries it; NULL: none */
  const char *help;          /* what it asks for (the CLI's option text) */
} IhwRequestKeyDef;

typedef struct {
  guint32 present;                      /* bit k: key k was given */
  guint64 value[IHW_REQUEST_N_KEYS];    /* qemu-version: IHW_QEMU (major, minor); booleans 0/1 */
} IhwRequest;

/* The table, IHW_REQUEST_N_KEYS rows in SPEC order. */
const IhwRequestKeyDef *ihw_request_key_defs (void);
/* The row for `name`, or NULL. */
const IhwRequestKeyDef *ihw_request_key_def (const char *name);
/* The keys other than qemu-version, in SPEC order, NULL-terminated:
 * "aw-bits", "fs1gp", "pasid-bits", "ssid-size", "oas", "ril", "ats", "cmdqv",
 * "caching-mode", "nesting". */
const char *const *ihw_request_keys (void);
/* The key's D-Bus type ('s', 'u', 'b'), 0 for a key that does not exist. */
char ihw_request_key_type (const char *key);
/* The same as a signature ("s", "u", "b"), or NULL. */
const char *ihw_request_key_signature (const char *key);

gboolean ihw_request_has (const IhwRequest *req, IhwRequestKey key);
/* Whether the request has `key`; its value (bools as 0/1) in *value. */
gboolean ihw_request_get (const IhwRequest *req, const char *key, guint64 *value);
/* Sets `key`: an unknown key, or a value outside the key's range, is
 * IHW_ERROR_INVALID_ARGUMENT naming it, and changes nothing. */
gboolean ihw_request_set_checked (IhwRequest *req, const char *key, guint64 value, GError **error);
/* The same without an error to report (values the code computed). */
gboolean ihw_request_set (IhwRequest *req, const char *key, guint64 value);
void ihw_request_unset (IhwRequest *req, IhwRequestKey key);

/* "10.0", "9.1", "11.0.50" -> qemu-version.  Fails with IHW_ERROR_INVALID_ARGUMENT. */
gboolean ihw_request_set_qemu_version (IhwRequest *req, const char *text, GError **error);
/* A QEMU version text ("10.0", "9.1.2") -> IHW_QEMU (major, minor). */
gboolean ihw_qemu_version_from_text (const char *text, guint *qemu, GError **error);
/* "10.0" for IHW_QEMU (10, 0). */
char *ihw_qemu_version_string (guint qemu);

/* A D-Bus request a{sv} laid over `req` (the daemon's defaults; zeroed for
 * none).  Unknown keys, keys given twice, wrong types and out-of-range
 * values fail with IHW_ERROR_INVALID_ARGUMENT naming the key; `req` is left
 * as it was. */
gboolean ihw_request_update_from_variant (IhwRequest *req, GVariant *dict, GError **error);
/* The same on an empty request (NULL dict = empty). */
gboolean ihw_request_from_variant (IhwRequest *req, GVariant *dict, GError **error);
/* IhwRequest -> a{sv} with exactly the keys the request has, in SPEC order.
 * Returns a full reference (never floating). */
GVariant *ihw_request_to_variant (const IhwRequest *req);

G_END_DECLS
