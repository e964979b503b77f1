/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* iommu-hwinfoctl: one file per command, declared here. */
#pragma once

#include <stdio.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "ctl-json.h"
#include "ihw-client.h"
#include "ihw-features.h"
#include "ihw-verdict.h"

G_BEGIN_DECLS

typedef struct {
  gboolean json;    /* --json: machine output on stdout */
} CtlGlobal;

/* A command gets its own argv (argv[0] is the command name) and returns the
 * process exit code (SPEC §5). */
typedef int (*CtlCommandFunc) (CtlGlobal *g, int argc, char **argv);

typedef struct {
  const char *name;
  const char *args;      /* usage line after the name */
  const char *summary;
  CtlCommandFunc run;
} CtlCommand;

int ctl_decode (CtlGlobal *g, int argc, char **argv);
int ctl_list (CtlGlobal *g, int argc, char **argv);
int ctl_show (CtlGlobal *g, int argc, char **argv);
int ctl_check (CtlGlobal *g, int argc, char **argv);
int ctl_negotiate (CtlGlobal *g, int argc, char **argv);
int ctl_refresh (CtlGlobal *g, int argc, char **argv);
int ctl_monitor (CtlGlobal *g, int argc, char **argv);
int ctl_domain_check (CtlGlobal *g, int argc, char **argv);
int ctl_nfd (CtlGlobal *g, int argc, char **argv);
int ctl_domcaps (CtlGlobal *g, int argc, char **argv);

/* Shared helpers. */
int ctl_fail (const GError *error);                  /* prints, returns exit code */
int ctl_usage_error (const char *cmd, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
void ctl_print_json (JsonNode *node);
/* Parses a command's options; handles --json and --help; returns FALSE and
 * sets *exit_code on a usage error or after --help. */
gboolean ctl_parse_options (CtlGlobal *g, const char *cmd, const char *args, const char *summary,
                            GOptionEntry *extra, int *argc, char ***argv, int *exit_code);

/* --- ctl-util.c ----------------------------------------------------------- */

/* Connects to the daemon's bus ($DBUS_SYSTEM_BUS_ADDRESS or the system bus). */
IhwClient *ctl_connect (GError **error);

/* Client-side argument checks; on failure they print and set *exit_code. */
gboolean ctl_check_model (const char *cmd, const char *word, IhwModel *model, int *exit_code);
gboolean ctl_check_devices (const char *cmd, char **devices, int *exit_code);

/* The request options shared by check and negotiate: one per request key
 * (common's key table), --KEY VALUE, or --KEY / --no-KEY for booleans. */
typedef struct {
  char *text[IHW_REQUEST_N_KEYS];
  gboolean yes[IHW_REQUEST_N_KEYS], no[IHW_REQUEST_N_KEYS];
  GPtrArray *strings;   /* the entries' option names and help texts */
} CtlRequestOptions;

GOptionEntry *ctl_request_option_entries (CtlRequestOptions *o); /* g_free() the array */
void ctl_request_options_clear (CtlRequestOptions *o);
/* "[--qemu-version V] [--aw-bits N] [--[no-]fs1gp] ...": the options' usage. */
char *ctl_request_usage (void);
gboolean ctl_request_from_options (const char *cmd, const CtlRequestOptions *o, IhwRequest *req, int *exit_code);


/* Columns padded to the widest cell; the last column is not padded. */
typedef struct _CtlTable CtlTable;
CtlTable *ctl_table_new (guint n_columns, ...);      /* header cells */
void ctl_table_add (CtlTable *t, ...);               /* n_columns cells; NULL or "" prints "-" */
void ctl_table_print (CtlTable *t, const char *indent);
void ctl_table_print_to (CtlTable *t, const char *indent, FILE *out);
void ctl_table_free (CtlTable *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtlTable, ctl_table_free)

/* The registers, the field table and the undescribed bits, as decode prints them. */
void ctl_print_features (const IhwFeatures *f);

/* "0x1f" style hex of bytes ("" for none). */
char *ctl_bytes_hex (GVariant *ay);
/* A property value as short text: strings as is, numbers in decimal,
 * arrays comma-separated, byte arrays in hex, object paths by name. */
char *ctl_variant_to_text (GVariant *v);
/* "io.iommuhwinfo1.Device" properties etc. to JSON members with the stable
 * snake_case keys of the man page ("NestParent" -> "nest_parent"). */
void ctl_json_add_properties (JsonBuilder *b, GVariant *props, const char *const *skip);
/* GCompareFunc for a GPtrArray of strings. */
int ctl_compare_strv_items (gconstpointer a, gconstpointer b);
/* One line of compact JSON, newline-terminated. */
char *ctl_json_line (JsonNode *node);
/* Object path -> the unit name or device address it stands for. */
char *ctl_path_to_name (const char *path);

/* --- ctl-check.c: shared with negotiate ---------------------------------- */

gboolean ctl_parse_check_args (CtlGlobal *g, const char *cmd, const char *args, const char *summary,
                               GOptionEntry *more, int *argc, char ***argv, IhwModel *model, IhwRequest *req,
                               int *exit_code);
void ctl_json_add_check_head (JsonBuilder *b, IhwModel model, char **devices, const IhwRequest *req,
                              IhwVerdict verdict);
void ctl_print_verdict (IhwModel model, char **devices, const IhwResult *result, FILE *out);

/* --- ctl-objects.c: the daemon's objects, sorted ---------------------------- */

typedef struct {
  char *path;
  char *name;          /* unit Name / device Address */
  GVariant *props;     /* a{sv} of the Unit or Device interface */
} CtlObject;

typedef struct {
  GVariant *manager;   /* a{sv}, or NULL when the daemon did not list itself */
  GPtrArray *units;    /* CtlObject * */
  GPtrArray *devices;  /* CtlObject * */
} CtlObjects;

CtlObjects *ctl_objects_load (IhwClient *client, GError **error);
void ctl_objects_free (CtlObjects *o);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtlObjects, ctl_objects_free)
const CtlObject *ctl_objects_find (const CtlObjects *o, const char *name_or_path);

/* Property helpers: "" / 0 when absent or of another type. */
const char *ctl_prop_str (GVariant *props, const char *key);
guint64 ctl_prop_uint (GVariant *props, const char *key);
gint64 ctl_prop_int (GVariant *props, const char *key);
gboolean ctl_prop_bool (GVariant *props, const char *key);

/* The features a unit's Registers property describes (desc NULL if none). */
void ctl_unit_features (GVariant *unit_props, IhwFeatures *f);

G_END_DECLS
