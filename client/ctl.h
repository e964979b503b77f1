/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* iommu-hwinfoctl: one file per command, declared here. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

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

/* Shared helpers. */
int ctl_fail (const GError *error);                  /* prints, returns exit code */
int ctl_usage_error (const char *cmd, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
void ctl_print_json (JsonNode *node);
/* Parses a command's options; handles --json and --help; returns FALSE and
 * sets *exit_code on a usage error or after --help. */
gboolean ctl_parse_options (CtlGlobal *g, const char *cmd, const char *args, const char *summary,
                            GOptionEntry *extra, int *argc, char ***argv, int *exit_code);

G_END_DECLS
