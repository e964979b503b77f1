/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libvirt qemu hook (SPEC §6), installed as
 * /etc/libvirt/hooks/qemu.d/50-iommu-hwinfo.  libvirtd runs it as
 *
 *   50-iommu-hwinfo DOMAIN OPERATION SUB-OPERATION EXTRA   (XML on stdin)
 *
 * with only LC_ALL, PATH and HOME in the environment.  Only `prepare begin`
 * is acted on, before libvirt touches any device: a domain that turns
 * nested translation on (intel x-flts=on, smmuv3 accel='on') with PCI
 * hostdevs is checked with iommu-hwinfod's CheckNesting, and `unsupported`
 * vetoes the start (exit 1, one short line per reason on stderr: libvirt
 * puts it at the end of its own "Hook script execution failed" error).
 *
 * Everything else is let through, so that the hook never stops a VM it has
 * no verdict on unless the admin asks for that in hook.conf:
 *   - any other operation: exit 0 at once, stdin not read;
 *   - no <iommu>, no PCI hostdev, or nesting not turned on: exit 0, silent,
 *     the daemon not contacted (check=always in hook.conf checks every
 *     domain with an <iommu> and PCI hostdevs);
 *   - verdict `unknown`, a device the daemon does not know, an <iommu> model
 *     it does not know, unreadable XML: one warning line, then on-unknown
 *     (default allow);
 *   - the daemon unreachable: one warning line, then on-unavailable
 *     (default allow).
 *
 * Malformed, oversized or hostile XML counts as "no verdict" (on-unknown),
 * not as a veto: libvirt parses and validates the domain before it runs any
 * hook, so such input means something else called the hook, and the hook's
 * job is to veto what it knows cannot work, not to police XML.
 *
 * hook.conf (GKeyFile), path /etc/iommu-hwinfod/hook.conf or $IHW_HOOK_CONF:
 *   [hook]
 *   on-unavailable=allow|deny   daemon or bus unreachable (default allow)
 *   on-unknown=allow|deny       no verdict (default allow)
 *   check=nesting|always        which domains to check (default nesting)
 *   bus-address=unix:path=...   D-Bus address (default: the system bus)
 *   timeout-ms=N                bus connect and call timeout, and the time
 *                               EMULATOR --version may take (default 3000)
 *   qemu-version=X.Y            judge for this QEMU (default: ask the domain's
 *                               emulator)
 *   detect-qemu=yes|no          run the domain's <emulator> --version to learn
 *                               which QEMU will run it (default yes)
 *
 * The QEMU version judged for (CheckNesting's qemu-version): hook.conf
 * qemu-version, else the domain's <emulator> --version (detect-qemu=yes),
 * else none (the daemon's default: its [daemon] qemu-version or its newest
 * profile).  QEMU 10.0-10.2 refuse every assigned device with x-flts=on
 * and 11.0 accepts them, so judging for the wrong QEMU lets a domain
 * through that will not start.  A failed detection is said only when the
 * verdict is not `supported` (one line), so the hook stays quiet on success.
 */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ihw-client.h"
#include "ihw-domain.h"
#include "ihw-error.h"
#include "ihw-names.h"
#include "ihw-qemu-version.h"

#define HOOK_CONF_DEFAULT SYSCONFDIR "/iommu-hwinfod/hook.conf"
#define HOOK_TIMEOUT_DEFAULT_MS 3000
#define HOOK_TIMEOUT_MAX_MS 60000
#define PREFIX "iommu-hwinfo: "

typedef struct {
  gboolean deny_unavailable;
  gboolean deny_unknown;
  gboolean check_always;
  char *bus_address;
  int timeout_ms;
  char *qemu_version;  /* validated "X.Y", or NULL */
  gboolean detect_qemu;
  char *path;
} HookConf;

static void
hook_conf_clear (HookConf *c)
{
  g_free (c->bus_address);
  g_free (c->qemu_version);
  g_free (c->path);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (HookConf, hook_conf_clear)

static gboolean
parse_policy (GKeyFile *kf, const char *key, gboolean *deny, const char *path)
{
  g_autofree char *v = g_key_file_get_string (kf, "hook", key, NULL);

  if (!v)
    return TRUE;
  g_strstrip (v);
  if (strcmp (v, "allow") == 0)
    *deny = FALSE;
  else if (strcmp (v, "deny") == 0)
    *deny = TRUE;
  else
    {
      g_autofree char *shown = g_strescape (v, NULL);
      g_printerr (PREFIX "warning: %s: %s='%.40s' is neither allow nor deny; using allow\n", path, key, shown);
      *deny = FALSE;
    }
  return TRUE;
}

/* A missing file means the defaults; a broken one is said, and its valid
 * keys still apply (a typo must not turn the hook into a blocker).  Values
 * are shown escaped: a "\n" in the file must not start a line of its own in
 * libvirt's log. */
static void
hook_conf_load (HookConf *c)
{
  const char *env = g_getenv ("IHW_HOOK_CONF");
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *check = NULL;

  c->timeout_ms = HOOK_TIMEOUT_DEFAULT_MS;
  c->detect_qemu = TRUE;
  c->path = g_strdup (env && *env ? env : HOOK_CONF_DEFAULT);
  if (!g_key_file_load_from_file (kf, c->path, G_KEY_FILE_NONE, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_printerr (PREFIX "warning: %s: %s; using the defaults\n", c->path, error->message);
      return;
    }
  parse_policy (kf, "on-unavailable", &c->deny_unavailable, c->path);
  parse_policy (kf, "on-unknown", &c->deny_unknown, c->path);
  check = g_key_file_get_string (kf, "hook", "check", NULL);
  if (check)
    {
      g_strstrip (check);
      if (strcmp (check, "always") == 0)
        c->check_always = TRUE;
      else if (strcmp (check, "nesting") != 0)
        {
          g_autofree char *shown = g_strescape (check, NULL);
          g_printerr (PREFIX "warning: %s: check='%.40s' is neither nesting nor always; using nesting\n", c->path,
                      shown);
        }
    }
  c->bus_address = g_key_file_get_string (kf, "hook", "bus-address", NULL);
  if (c->bus_address)
    g_strstrip (c->bus_address);
  if (c->bus_address && !*c->bus_address)
    g_clear_pointer (&c->bus_address, g_free);
  if (g_key_file_has_key (kf, "hook", "timeout-ms", NULL))
    {
      g_autofree char *t = g_key_file_get_string (kf, "hook", "timeout-ms", NULL);
      guint64 n;
      if (t && g_ascii_string_to_unsigned (g_strstrip (t), 10, 1, HOOK_TIMEOUT_MAX_MS, &n, NULL))
        c->timeout_ms = (int) n;
      else
        {
          g_autofree char *shown = g_strescape (t ? t : "", NULL);
          g_printerr (PREFIX "warning: %s: timeout-ms='%.20s' is not a number of milliseconds in 1..%d; using %d\n",
                      c->path, shown, HOOK_TIMEOUT_MAX_MS, HOOK_TIMEOUT_DEFAULT_MS);
        }
    }
  if (g_key_file_has_key (kf, "hook", "qemu-version", NULL))
    {
      g_autofree char *v = g_key_file_get_string (kf, "hook", "qemu-version", NULL);
      guint qemu;
      if (v && *g_strstrip (v) && ihw_qemu_version_from_text (v, &qemu, NULL))
        c->qemu_version = ihw_qemu_version_string (qemu);
      else if (v && *v)
        {
          g_autofree char *shown = g_strescape (v, NULL);
          g_printerr (PREFIX "warning: %s: qemu-version='%.20s' is not a QEMU version like 10.0; ignored\n", c->path,
                      shown);
        }
    }
  if (g_key_file_has_key (kf, "hook", "detect-qemu", NULL))
    {
      g_autofree char *v = g_key_file_get_string (kf, "hook", "detect-qemu", NULL);
      if (v && strcmp (g_strstrip (v), "no") == 0)
        c->detect_qemu = FALSE;
      else if (!v || strcmp (v, "yes") != 0)
        {
          g_autofree char *shown = g_strescape (v ? v : "", NULL);
          g_printerr (PREFIX "warning: %s: detect-qemu='%.20s' is neither yes nor no; using yes\n", c->path, shown);
        }
    }
}

/* Said only when the verdict is not `supported`: the verdict may be wrong
 * for the QEMU that will run the domain. */
static void
say_qemu (const HookConf *c, const IhwDomainInfo *info, const IhwQemuChoice *q)
{
  if (q->from == IHW_QEMU_FROM_CONFIG)
    g_printerr (PREFIX "judged for QEMU %s (qemu-version in %s)\n", q->version, c->path);
  else if (q->from == IHW_QEMU_FROM_EMULATOR)
    g_printerr (PREFIX "judged for QEMU %s (%s --version)\n", q->version, info->emulator);
  else if (q->failure)
    g_printerr (PREFIX "judged for iommu-hwinfod's default QEMU version; the domain's is unknown: %s\n",
                q->failure);
}

/* The verdict could not be had: warn, then on-unknown decides. */
static int
no_verdict (const HookConf *c, const char *domain, const char *what)
{
  g_printerr (PREFIX "%s: domain '%s': %s; %s (on-unknown=%s in %s)\n", c->deny_unknown ? "error" : "warning",
              domain, what, c->deny_unknown ? "refusing to start" : "starting anyway",
              c->deny_unknown ? "deny" : "allow", c->path);
  return c->deny_unknown ? 1 : 0;
}

static int
unavailable (const HookConf *c, const char *domain, const char *what)
{
  g_printerr (PREFIX "%s: domain '%s': cannot ask iommu-hwinfod: %s; %s (on-unavailable=%s in %s)\n",
              c->deny_unavailable ? "error" : "warning", domain, what,
              c->deny_unavailable ? "refusing to start" : "starting anyway", c->deny_unavailable ? "deny" : "allow",
              c->path);
  return c->deny_unavailable ? 1 : 0;
}

static char *
reasons_summary (GPtrArray *reasons)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < reasons->len && i < 4; i++)
    {
      const IhwReason *r = reasons->pdata[i];
      g_string_append_printf (s, "%s%s%s%s %s", i ? ", " : "", *r->device ? r->device : "",
                              *r->device ? " " : "", r->requirement, r->found);
    }
  if (reasons->len > 4)
    g_string_append_printf (s, ", and %u more", reasons->len - 4);
  return g_string_free (s, FALSE);
}

static int
prepare_begin (const char *domain)
{
  g_auto (HookConf) conf = { 0 };
  g_auto (IhwQemuChoice) qemu = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (IhwDomainInfo) info = NULL;
  g_autoptr (IhwClient) client = NULL;
  g_autoptr (IhwCheckResult) res = NULL;
  g_autofree char *xml = NULL;
  gboolean too_big;
  gsize len = 0;
  IhwModel model;

  hook_conf_load (&conf);
  xml = ihw_domain_read_fd (STDIN_FILENO, "the domain XML on stdin", IHW_DOMAIN_READ_TIMEOUT_MS, &len, &too_big,
                            &error);
  if (!xml)
    return no_verdict (&conf, domain, error->message);
  if (too_big)
    {
      g_autofree char *what = g_strdup_printf ("the domain XML on stdin is larger than %d bytes", IHW_DOMAIN_XML_MAX);
      return no_verdict (&conf, domain, what);
    }
  info = ihw_domain_parse_xml (xml, len, &error);
  if (!info)
    return no_verdict (&conf, domain, error->message);

  /* Nothing the hook has an opinion on: silent, no daemon. */
  if (!info->model || info->devices->len == 0)
    return 0;
  if (!info->nesting_requested && !conf.check_always)
    return 0;
  if (!ihw_model_from_name (info->model, &model))
    {
      g_autofree char *what = g_strdup_printf ("<iommu model='%.32s'> is not a model iommu-hwinfod knows",
                                               info->model);
      return no_verdict (&conf, domain, what);
    }
  if (info->devices->len > IHW_MAX_DEVICES_PER_REQUEST)
    {
      g_autofree char *what = g_strdup_printf ("%u PCI hostdevs, more than the %d one request can check",
                                               info->devices->len, IHW_MAX_DEVICES_PER_REQUEST);
      return no_verdict (&conf, domain, what);
    }
  g_ptr_array_add (info->devices, NULL);

  client = ihw_client_new (conf.bus_address, conf.timeout_ms, &error);
  if (client)
    /* not before: no emulator run when the bus is down */
    ihw_qemu_choose (&qemu, conf.qemu_version, conf.detect_qemu, NULL, info->emulator, conf.timeout_ms,
                     &info->request);
  if (client)
    res = ihw_client_check_nesting (client, info->model, (const char *const *) info->devices->pdata,
                                    &info->request, &error);
  if (!res)
    {
      if (g_error_matches (error, IHW_ERROR, IHW_ERROR_UNAVAILABLE))
        return unavailable (&conf, domain, error->message);
      return no_verdict (&conf, domain, error->message);
    }

  switch (res->result->verdict)
    {
    case IHW_VERDICT_SUPPORTED:
      return 0;
    case IHW_VERDICT_UNKNOWN:
      {
        g_autofree char *why = reasons_summary (res->result->reasons);
        g_autofree char *what = g_strdup_printf ("nesting for <iommu model='%s'> is unknown (%s)", info->model,
                                                 *why ? why : "no data");
        int code = no_verdict (&conf, domain, what);
        say_qemu (&conf, info, &qemu);
        return code;
      }
    case IHW_VERDICT_UNSUPPORTED:
    default:
      for (guint i = 0; i < res->result->reasons->len; i++)
        {
          const IhwReason *r = res->result->reasons->pdata[i];
          if (*r->device)
            /* "needs X, found Y": for request rows `needed` names the host
             * field ("cap.MGAW >= 48") and `found` its value, so "REQ is
             * FOUND" would misread as the request's own value. */
            g_printerr (PREFIX "%s cannot nest under <iommu model='%s'>: %s needs %s, found %s\n", r->device,
                        info->model, r->requirement, r->needed, r->found);
          else
            g_printerr (PREFIX "<iommu model='%s'> cannot nest: %s needs %s, found %s\n", info->model,
                        r->requirement, r->needed, r->found);
        }
      if (res->result->reasons->len == 0)
        g_printerr (PREFIX "<iommu model='%s'> cannot nest with these devices\n", info->model);
      say_qemu (&conf, info, &qemu);
      return 1;
    }
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");

  if (argc < 3)
    {
      g_autofree char *self = g_path_get_basename (argv[0]);
      g_printerr ("usage: %s DOMAIN OPERATION SUB-OPERATION EXTRA  (domain XML on stdin)\n"
                  "A libvirt qemu hook: acts on 'prepare begin' only.  See iommu-hwinfo-libvirt-hook(8).\n",
                  self);
      return IHW_EXIT_USAGE;
    }
  /* Every other call (start begin, started begin, stopped end, release end,
   * migrate, restore, reconnect, attach): nothing to do, stdin unread. */
  if (strcmp (argv[2], "prepare") != 0 || argc < 4 || strcmp (argv[3], "begin") != 0)
    return 0;
  return prepare_begin (argv[1]);
}
