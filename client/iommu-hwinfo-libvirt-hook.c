/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libvirt qemu hook (SPEC §6), installed as
 * /etc/libvirt/hooks/qemu.d/50-iommu-hwinfo.  libvirtd runs it as
 *
 *   50-iommu-hwinfo DOMAIN OPERATION SUB-OPERATION EXTRA   (XML on stdin)
 *
 * with only LC_ALL, PATH and HOME in the environment.  Only `prepare begin`
 * is acted on, before libvirt touches any device: a domain with an <iommu>
 * and PCI hostdevs is checked with iommu-hwinfod's CheckNesting (the
 * nesting checks when it turns nested translation on, else only the checks
 * QEMU applies to every assigned device), and `unsupported` vetoes the
 * start (exit 1, one line per reason on stderr: libvirt puts it at the end
 * of its own "Hook script execution failed" error).  The decision is
 * ihw_decide() (ihw-decision.c), shared with `iommu-hwinfoctl domain-check`.
 *
 * libvirt keeps an allowing hook's stderr only at debug level: every
 * refusal and every allow-with-warning also goes to the system journal,
 * one entry per line, with the fields IHW_DOMAIN, IHW_DEVICE,
 * IHW_REQUIREMENT, IHW_NEEDED, IHW_FOUND, IHW_DECISION (allow|refuse),
 * IHW_OUTCOME (supported|unsupported|unknown|unavailable), IHW_MODEL and
 * IHW_QEMU_VERSION (SYSLOG_IDENTIFIER=iommu-hwinfo-libvirt-hook).
 *
 * Everything else is let through, so that the hook never stops a VM it has
 * no verdict on unless the admin asks for that in hook.conf:
 *   - any other operation: exit 0 at once, stdin not read;
 *   - no <iommu> or no PCI hostdev: exit 0, silent, the daemon not
 *     contacted (check=nesting in hook.conf skips domains that do not turn
 *     nested translation on, too);
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
 *   check=always|nesting        which domains to check (default always)
 *   bus-address=unix:path=...   D-Bus address (default: the system bus)
 *   timeout-ms=N                bus connect and call timeout, and the time
 *                               EMULATOR --version may take (default 3000)
 *   qemu-version=X.Y            judge for this QEMU (default: ask the domain's
 *                               emulator)
 *   detect-qemu=yes|no          run the domain's <emulator> --version to learn
 *                               which QEMU will run it (default yes)
 *   version-cache=PATH          the emulators' versions by path and mtime
 *                               (default /run/iommu-hwinfo-hook/qemu-versions;
 *                               empty: none)
 *
 * The QEMU version judged for (CheckNesting's qemu-version): hook.conf
 * qemu-version, else the domain's <emulator> --version (detect-qemu=yes),
 * else none (the daemon's default: its [daemon] qemu-version or its newest
 * profile).  The daemon is asked whether it is there before the emulator
 * is run: unreachable is on-unavailable at once.  QEMU 10.0-10.2 refuse every assigned device with x-flts=on
 * and 11.0 accepts them, so judging for the wrong QEMU lets a domain
 * through that will not start.  A failed detection is said only when the
 * verdict is not `supported` (one line), so the hook stays quiet on success.
 */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <syslog.h>
#include <systemd/sd-journal.h>

#include "ihw-decision.h"
#include "ihw-error.h"

#define HOOK_CONF_DEFAULT SYSCONFDIR "/iommu-hwinfod/hook.conf"
#define PREFIX "iommu-hwinfo: "

/* One journal entry per line of a refusal or an allow-with-warning. */
static void
log_to_journal (const IhwDecision *d)
{
  const char *qemu = d->qemu.version ? d->qemu.version : "";

  for (guint i = 0; i < d->lines->len; i++)
    {
      const IhwReason *l = d->lines->pdata[i];
      sd_journal_send ("MESSAGE=%s%s", PREFIX, l->why, "PRIORITY=%d", d->refuse ? LOG_ERR : LOG_WARNING,
                       "SYSLOG_IDENTIFIER=iommu-hwinfo-libvirt-hook", "IHW_DOMAIN=%s", d->domain,
                       "IHW_DEVICE=%s", l->device, "IHW_REQUIREMENT=%s", l->requirement, "IHW_NEEDED=%s", l->needed,
                       "IHW_FOUND=%s", l->found, "IHW_DECISION=%s", ihw_decision_name (d), "IHW_OUTCOME=%s",
                       ihw_outcome_name (d->outcome), "IHW_MODEL=%s", d->model ? d->model : "",
                       "IHW_QEMU_VERSION=%s", qemu, NULL);
    }
}

static int
prepare_begin (const char *domain)
{
  g_auto (IhwHookConf) conf = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (IhwDomainInfo) info = NULL;
  g_autoptr (IhwDecision) d = NULL;
  g_autofree char *xml = NULL;
  gboolean too_big;
  gsize len = 0;

  ihw_hook_conf_load (&conf, NULL, HOOK_CONF_DEFAULT);
  for (guint i = 0; i < conf.warnings->len; i++)
    g_printerr (PREFIX "warning: %s\n", (const char *) conf.warnings->pdata[i]);
  /* Bounded and deadline-guarded: a writer that never closes stdin must not
   * hold a VM start. */
  xml = ihw_domain_read_fd (STDIN_FILENO, "the domain XML on stdin", IHW_DOMAIN_READ_TIMEOUT_MS, &len, &too_big,
                            &error);
  if (xml && too_big)
    g_set_error (&error, IHW_ERROR, IHW_ERROR_BAD_DATA, "the domain XML on stdin is larger than %d bytes",
                 IHW_DOMAIN_XML_MAX);
  else if (xml)
    info = ihw_domain_parse_xml (xml, len, &error);
  /* A whole domain is judged even if its writer held stdin open; a part of
   * one is said to have been cut off by the deadline, not malformed. */
  if (!info && error && g_getenv (IHW_HOOK_STDIN_TIMED_OUT))
    {
      g_clear_error (&error);
      g_set_error (&error, IHW_ERROR, IHW_ERROR_BAD_DATA,
                   "the domain XML on stdin did not end within %d ms (%" G_GSIZE_FORMAT " bytes arrived)",
                   IHW_DOMAIN_READ_TIMEOUT_MS, len);
    }

  d = ihw_decide (&conf, domain, info, error, NULL, NULL);
  for (guint i = 0; i < d->lines->len; i++)
    g_printerr (PREFIX "%s\n", ((const IhwReason *) d->lines->pdata[i])->why);
  if (ihw_decision_noteworthy (d))
    log_to_journal (d);
  return d->refuse ? 1 : 0;
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
