/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-decision.h"

#include <string.h>

#include "ihw-error.h"
#include "ihw-names.h"
#include "ihw-rules.h"

/* --- hook.conf ------------------------------------------------------------- */

static void
conf_warn (IhwHookConf *c, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
conf_warn (IhwHookConf *c, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *text = NULL;

  va_start (ap, fmt);
  text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  /* Values come from the file (GKeyFile decodes "\n" in them): a warning
   * stays one line in libvirt's log and the journal. */
  for (const char *p = text; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      {
        char *escaped = g_strescape (text, NULL);
        g_free (text);
        text = escaped;
        break;
      }
  g_ptr_array_add (c->warnings, g_steal_pointer (&text));
}

/* A key's trimmed value, or NULL when absent. */
static char *
conf_string (GKeyFile *kf, const char *key)
{
  char *v = g_key_file_get_string (kf, "hook", key, NULL);
  return v ? g_strstrip (v) : NULL;
}

/* One of two words: TRUE for `yes_word`; anything else is said. */
static void
conf_choice (IhwHookConf *c, GKeyFile *kf, const char *key, const char *no_word, const char *yes_word,
             gboolean *out)
{
  g_autofree char *v = conf_string (kf, key);

  if (!v)
    return;
  if (strcmp (v, yes_word) == 0)
    *out = TRUE;
  else if (strcmp (v, no_word) == 0)
    *out = FALSE;
  else
    conf_warn (c, "%s: %s='%.40s' is neither %s nor %s; using %s", c->path, key, v, no_word, yes_word,
               *out ? yes_word : no_word);
}

void
ihw_hook_conf_load (IhwHookConf *c, const char *path, const char *default_path)
{
  const char *env = g_getenv ("IHW_HOOK_CONF");
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *t = NULL, *q = NULL;

  memset (c, 0, sizeof *c);
  c->warnings = g_ptr_array_new_with_free_func (g_free);
  c->timeout_ms = IHW_HOOK_TIMEOUT_DEFAULT_MS;
  c->detect_qemu = TRUE;
  c->path = g_strdup (path ? path : env && *env ? env : default_path);
  c->version_cache = g_strdup (IHW_QEMU_VERSION_CACHE_DEFAULT);
  if (!g_key_file_load_from_file (kf, c->path, G_KEY_FILE_NONE, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        conf_warn (c, "%s: %s; using the defaults", c->path, error->message);
      return;
    }
  {
    /* Every key hook.conf takes: a misspelt one is said, not silently the
     * default. */
    static const char *const known[] = { "on-unavailable", "on-unknown", "check", "detect-qemu", "bus-address",
                                         "timeout-ms", "qemu-version", "version-cache", NULL };
    g_auto (GStrv) keys = g_key_file_get_keys (kf, "hook", NULL, NULL);

    for (guint i = 0; keys && keys[i]; i++)
      if (!g_strv_contains (known, keys[i]))
        conf_warn (c, "%s: unknown key '%.40s' in [hook]; ignored", c->path, keys[i]);
  }
  conf_choice (c, kf, "on-unavailable", "allow", "deny", &c->deny_unavailable);
  conf_choice (c, kf, "on-unknown", "allow", "deny", &c->deny_unknown);
  conf_choice (c, kf, "check", "always", "nesting", &c->nesting_only);
  conf_choice (c, kf, "detect-qemu", "no", "yes", &c->detect_qemu);
  c->bus_address = conf_string (kf, "bus-address");
  if (c->bus_address && !*c->bus_address)
    g_clear_pointer (&c->bus_address, g_free);
  if ((t = conf_string (kf, "timeout-ms")))
    {
      guint64 n;
      if (g_ascii_string_to_unsigned (t, 10, 1, IHW_HOOK_TIMEOUT_MAX_MS, &n, NULL))
        c->timeout_ms = (int) n;
      else
        conf_warn (c, "%s: timeout-ms='%.20s' is not a number of milliseconds in 1..%d; using %d", c->path, t,
                   IHW_HOOK_TIMEOUT_MAX_MS, IHW_HOOK_TIMEOUT_DEFAULT_MS);
    }
  if ((q = conf_string (kf, "qemu-version")) && *q)
    {
      guint qemu;
      if (ihw_qemu_version_from_text (q, &qemu, NULL))
        c->qemu_version = ihw_qemu_version_string (qemu);
      else
        conf_warn (c, "%s: qemu-version='%.20s' is not a QEMU version like 11.0; ignored", c->path, q);
    }
  if (g_key_file_has_key (kf, "hook", "version-cache", NULL))
    {
      g_free (c->version_cache);
      c->version_cache = conf_string (kf, "version-cache");
    }
}

void
ihw_hook_conf_clear (IhwHookConf *c)
{
  g_free (c->bus_address);
  g_free (c->qemu_version);
  g_free (c->version_cache);
  g_free (c->path);
  if (c->warnings)
    g_ptr_array_unref (c->warnings);
}

/* --- the decision ------------------------------------------------------------ */

static void
add_line (IhwDecision *d, const char *device, const char *requirement, const char *needed, const char *found,
          char *text)
{
  IhwReason *l = g_new0 (IhwReason, 1);
  l->device = g_strdup (device ? device : "");
  l->requirement = g_strdup (requirement ? requirement : "");
  l->needed = g_strdup (needed ? needed : "");
  l->found = g_strdup (found ? found : "");
  l->why = text;
  g_ptr_array_add (d->lines, l);
}

void
ihw_decision_free (IhwDecision *d)
{
  if (!d)
    return;
  g_free (d->domain);
  g_free (d->model);
  g_free (d->nesting_via);
  g_free (d->why);
  ihw_qemu_choice_clear (&d->qemu);
  ihw_check_result_free (d->check);
  g_ptr_array_unref (d->lines);
  g_free (d);
}

const char *
ihw_outcome_name (IhwOutcome o)
{
  static const char *const names[] = { "not-checked", "supported", "unsupported", "unknown", "unavailable" };
  return (guint) o < G_N_ELEMENTS (names) ? names[o] : "unknown";
}

const char *
ihw_decision_name (const IhwDecision *d)
{
  return d->refuse ? "refuse" : "allow";
}

gboolean
ihw_decision_noteworthy (const IhwDecision *d)
{
  return d->refuse || d->outcome == IHW_OUTCOME_UNKNOWN || d->outcome == IHW_OUTCOME_UNAVAILABLE;
}

/* The QEMU judged for, as the lines say it. */
static char *
qemu_text (const IhwDecision *d)
{
  if (d->qemu.version)
    return g_strdup_printf ("QEMU %s", d->qemu.version);
  return g_strdup ("iommu-hwinfod's default QEMU");
}

static void
say_qemu (IhwDecision *d, const IhwHookConf *conf, const IhwDomainInfo *info)
{
  if (d->qemu.from == IHW_QEMU_FROM_CONFIG)
    add_line (d, NULL, NULL, NULL, NULL,
              g_strdup_printf ("judged for QEMU %s (qemu-version in %s)", d->qemu.version, conf->path));
  else if (d->qemu.from == IHW_QEMU_FROM_EMULATOR)
    add_line (d, NULL, NULL, NULL, NULL,
              g_strdup_printf ("judged for QEMU %s (%s --version)", d->qemu.version, info->emulator));
  else if (d->qemu.failure)
    add_line (d, NULL, NULL, NULL, NULL,
              g_strdup_printf ("judged for iommu-hwinfod's default QEMU version; the domain's is unknown: %s",
                               d->qemu.failure));
}

/* The policy line for a decision without a verdict. */
static void
no_verdict (IhwDecision *d, const IhwHookConf *conf, IhwOutcome outcome, const char *what)
{
  gboolean deny = outcome == IHW_OUTCOME_UNAVAILABLE ? conf->deny_unavailable : conf->deny_unknown;
  const char *key = outcome == IHW_OUTCOME_UNAVAILABLE ? "on-unavailable" : "on-unknown";

  d->outcome = outcome;
  d->refuse = deny;
  d->why = g_strdup (what);
  add_line (d, NULL, NULL, NULL, NULL,
            g_strdup_printf ("%s: domain '%s': %s%s; %s (%s=%s in %s)", deny ? "error" : "warning", d->domain,
                             outcome == IHW_OUTCOME_UNAVAILABLE ? "cannot ask iommu-hwinfod: " : "", what,
                             deny ? "refusing to start" : "starting anyway", key, deny ? "deny" : "allow",
                             conf->path));
}

/* How a reason's requirement reads: a request key the domain did not set
 * is QEMU's default, not something the domain asked for. */
static char *
subject (const IhwDecision *d, IhwModel model, const IhwDomainInfo *info, const IhwReason *r)
{
  const char *key;
  guint64 v;
  guint qemu;

  if (!g_str_has_prefix (r->requirement, "request."))
    return g_strdup (r->requirement);
  key = r->requirement + strlen ("request.");
  if (ihw_request_get (&info->request, key, &v))
    {
      if (ihw_request_key_type (key) == 'b')
        return g_strdup_printf ("%s=%s (set in the domain)", key, v ? "on" : "off");
      return g_strdup_printf ("%s=%" G_GUINT64_FORMAT " (set in the domain)", key, v);
    }
  if (d->qemu.version && ihw_qemu_version_from_text (d->qemu.version, &qemu, NULL))
    {
      const IhwQemuProperty *p = ihw_qemu_property (model, ihw_request_qemu (NULL, qemu), key);
      if (p && p->auto_field)
        return g_strdup_printf ("%s=auto (QEMU %s's default)", key, d->qemu.version);
      if (p && p->has_default)
        {
          if (ihw_request_key_type (key) == 'b')
            return g_strdup_printf ("%s=%s (QEMU %s's default)", key, p->default_value ? "on" : "off",
                                    d->qemu.version);
          return g_strdup_printf ("%s=%" G_GUINT64_FORMAT " (QEMU %s's default)", key, p->default_value,
                                  d->qemu.version);
        }
    }
  /* The daemon's default QEMU: a boolean's default is the newest
   * profile's; a number is in what the row needed. */
  if (ihw_request_key_type (key) == 'b')
    {
      const IhwQemuProperty *p = ihw_qemu_property (model, ihw_qemu_newest (), key);
      return g_strdup_printf ("%s=%s (QEMU's default)", key, p && p->has_default && !p->default_value ? "off" : "on");
    }
  if (strstr (r->needed, ">= "))
    return g_strdup_printf ("%s=%s (QEMU's default)", key, strstr (r->needed, ">= ") + 3);
  return g_strdup_printf ("%s (QEMU's default)", key);
}

static void
reason_lines (IhwDecision *d, IhwModel model, const IhwDomainInfo *info, gboolean unknown_only)
{
  GPtrArray *reasons = d->check->result->reasons;

  for (guint i = 0; i < reasons->len; i++)
    {
      const IhwReason *r = reasons->pdata[i];
      gboolean unknown = strcmp (r->found, "unknown") == 0 || strcmp (r->requirement, "iommu.registers") == 0;
      g_autofree char *what = subject (d, model, info, r);
      g_autofree char *fix = ihw_reason_fix (model, r);
      g_autofree char *who = *r->device ? g_strdup (r->device) : g_strdup_printf ("<iommu model='%s'>", d->model);
      char *text;

      if (unknown_only && !unknown)
        continue;
      if (strcmp (r->requirement, "iommu.registers") == 0)
        text = g_strdup_printf ("%s: the %s registers behind it are unknown (%s): unknown until iommufd answers "
                                "for it%s%s",
                                who, r->needed, r->found, fix ? "; to change: " : "", fix ? fix : "");
      else if (unknown)
        text = g_strdup_printf ("%s: could not check %s (needs %s, no data): %s", who, what, r->needed,
                                r->why ? r->why : "");
      else
        text = g_strdup_printf ("%s: %s needs %s, found %s: %s%s%s", who, what, r->needed, r->found,
                                r->why ? r->why : "", fix ? "; to change: " : "", fix ? fix : "");
      add_line (d, r->device, r->requirement, r->needed, r->found, text);
    }
}

IhwDecision *
ihw_decide (const IhwHookConf *conf, const char *domain, IhwDomainInfo *info, const GError *parse_error,
            const char *qemu_override, const char *no_detect_reason)
{
  g_autoptr (IhwDecision) d = g_new0 (IhwDecision, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (IhwClient) client = NULL;
  IhwModel model;
  IhwRequest req;

  d->lines = g_ptr_array_new_with_free_func (ihw_reason_free);
  d->domain = g_strdup (domain && *domain ? domain : info && info->name && *info->name ? info->name : "?");
  if (!info)
    {
      no_verdict (d, conf, IHW_OUTCOME_UNKNOWN, parse_error ? parse_error->message : "the domain XML is unreadable");
      return g_steal_pointer (&d);
    }
  d->model = g_strdup (info->model);
  d->nesting = info->nesting_requested;
  d->nesting_via = g_strdup (info->nesting_via);

  /* Nothing the hook has an opinion on: silent, no daemon. */
  d->outcome = IHW_OUTCOME_NOT_CHECKED;
  if (!info->model)
    {
      d->why = g_strdup ("no <iommu> element");
      return g_steal_pointer (&d);
    }
  if (info->devices->len == 0)
    {
      d->why = g_strdup ("no PCI <hostdev>");
      return g_steal_pointer (&d);
    }
  if (!info->nesting_requested && conf->nesting_only)
    {
      d->why = g_strdup_printf ("the domain does not turn nested translation on, and %s has check=nesting",
                                conf->path);
      return g_steal_pointer (&d);
    }
  if (!ihw_model_from_name (info->model, &model))
    {
      g_autofree char *what = g_strdup_printf ("<iommu model='%.32s'> is not a model iommu-hwinfod knows "
                                               "(intel, smmuv3, amd, virtio)", info->model);
      no_verdict (d, conf, IHW_OUTCOME_UNKNOWN, what);
      return g_steal_pointer (&d);
    }
  if (info->devices->len > IHW_MAX_DEVICES_PER_REQUEST)
    {
      g_autofree char *what = g_strdup_printf ("%u PCI hostdevs, more than the %d one request can check",
                                               info->devices->len, IHW_MAX_DEVICES_PER_REQUEST);
      no_verdict (d, conf, IHW_OUTCOME_UNKNOWN, what);
      return g_steal_pointer (&d);
    }

  /* The daemon first: when it cannot answer, nothing else is worth doing
   * (the emulator is not run). */
  client = ihw_client_new (conf->bus_address, conf->timeout_ms, &error);
  if (!client || !ihw_client_daemon_present (client, &error))
    {
      no_verdict (d, conf, IHW_OUTCOME_UNAVAILABLE, error->message);
      return g_steal_pointer (&d);
    }

  req = info->request;
  ihw_qemu_choose (&d->qemu, qemu_override ? qemu_override : conf->qemu_version,
                   conf->detect_qemu && !no_detect_reason,
                   no_detect_reason ? no_detect_reason : "detect-qemu=no in hook.conf", info->emulator,
                   conf->timeout_ms, conf->version_cache, &req);
  if (qemu_override)
    d->qemu.from = IHW_QEMU_FROM_CONFIG;
  /* What the domain leaves out, QEMU runs with its default (intel
   * caching-mode=off): said explicitly, since the daemon otherwise assumes
   * what every VM needs. */
  ihw_request_fill_qemu_defaults (model, 0, &req);
  ihw_request_set (&req, "nesting", info->nesting_requested);
  g_ptr_array_add (info->devices, NULL);
  d->check = ihw_client_check_nesting (client, info->model, (const char *const *) info->devices->pdata, &req,
                                       &error);
  g_ptr_array_remove_index (info->devices, info->devices->len - 1);
  if (!d->check)
    {
      no_verdict (d, conf,
                  g_error_matches (error, IHW_ERROR, IHW_ERROR_UNAVAILABLE) ? IHW_OUTCOME_UNAVAILABLE
                                                                             : IHW_OUTCOME_UNKNOWN,
                  error->message);
      return g_steal_pointer (&d);
    }

  switch (d->check->result->verdict)
    {
    case IHW_VERDICT_SUPPORTED:
      d->outcome = IHW_OUTCOME_SUPPORTED;
      break;
    case IHW_VERDICT_UNKNOWN:
      {
        g_autofree char *what = g_strdup_printf ("whether QEMU accepts <iommu model='%s'>%s with these devices is "
                                                 "unknown",
                                                 info->model, d->nesting ? " in nested mode" : "");
        no_verdict (d, conf, IHW_OUTCOME_UNKNOWN, what);
        reason_lines (d, model, info, TRUE);
        say_qemu (d, conf, info);
        break;
      }
    case IHW_VERDICT_UNSUPPORTED:
    default:
      {
        g_autofree char *q = qemu_text (d);
        d->outcome = IHW_OUTCOME_UNSUPPORTED;
        d->refuse = TRUE;
        add_line (d, NULL, NULL, NULL, NULL,
                  g_strdup_printf ("error: domain '%s' would not start: %s refuses <iommu model='%s'> (%s) with "
                                   "these devices:",
                                   d->domain, q, info->model,
                                   d->nesting ? "nested translation" : "an emulated vIOMMU with assigned devices"));
        reason_lines (d, model, info, FALSE);
        say_qemu (d, conf, info);
        break;
      }
    }
  return g_steal_pointer (&d);
}
