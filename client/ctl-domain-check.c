/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iommu-hwinfoctl domain-check DOMAIN [--connect URI] | --xml FILE: what the
 * libvirt hook would ask, for a defined domain (libvirt's API, read-only)
 * or a domain XML file.  The exit code is the verdict (0/1/2), 0 with
 * "nothing to check" for a domain without <iommu> or PCI hostdevs.
 *
 * The QEMU version judged for (CheckNesting's qemu-version): --qemu-version,
 * else the domain's <emulator> --version (run here, so only for --xml and a
 * local libvirt URI), else the daemon's default.  Printed with its source.
 *
 * Exit codes besides the verdicts: 64 usage; 65 the XML is bad, the domain
 * does not exist, or it names a device the daemon does not know; 69 the
 * daemon or libvirt cannot be reached (the message says which).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef IHW_HAVE_LIBVIRT
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/xmlerror.h>
#endif

#include "ctl.h"
#include "ihw-decision.h"
#include "ihw-domain.h"
#include "ihw-error.h"
#include "ihw-names.h"
#include "ihw-qemu-version.h"

#ifdef IHW_HAVE_LIBVIRT
G_DEFINE_AUTOPTR_CLEANUP_FUNC (virConnect, virConnectClose)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (virDomain, virDomainFree)

/* libvirt prints every error to stderr by default; we report them ourselves. */
static void
quiet_libvirt_errors (void *data, virErrorPtr err)
{
}

/* The test:/// driver parses its node file with libxml2 in this process,
 * whose default handler prints "I/O warning" lines; libvirt's own error
 * (reported by us) already says what went wrong. */
static void
quiet_xml_errors (void *ctx, const char *msg, ...)
{
}

static const char *
libvirt_message (void)
{
  const char *m = virGetLastErrorMessage ();
  return m && *m ? m : "unknown libvirt error";
}

static char *
domain_xml_from_libvirt (const char *domain, const char *uri, GError **error)
{
  g_autoptr (virConnect) conn = NULL;
  g_autoptr (virDomain) dom = NULL;
  const char *shown_uri = uri ? uri : "the default URI";
  char *xml;

  virSetErrorFunc (NULL, quiet_libvirt_errors);
  xmlSetGenericErrorFunc (NULL, quiet_xml_errors);
  conn = virConnectOpenReadOnly (uri);
  if (!conn)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_UNAVAILABLE, "cannot connect to libvirt at %s: %s", shown_uri,
                   libvirt_message ());
      return NULL;
    }
  dom = virDomainLookupByName (conn, domain);
  if (!dom)
    {
      virErrorPtr e = virGetLastError ();
      gboolean no_domain = e && e->code == VIR_ERR_NO_DOMAIN;
      g_autofree char *why = g_strdup (libvirt_message ());

      /* Not a name: maybe a UUID (tried only when it has a UUID's length). */
      if (no_domain && strlen (domain) == VIR_UUID_STRING_BUFLEN - 1)
        dom = virDomainLookupByUUIDString (conn, domain);
      if (!dom)
        {
          if (no_domain)
            g_set_error (error, IHW_ERROR, IHW_ERROR_NO_SUCH_DEVICE,
                         "libvirt at %s has no domain named '%.80s' ('virsh list --all' lists the defined ones)",
                         shown_uri, domain);
          else
            g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "libvirt at %s: looking up domain '%.80s' failed: %s",
                         shown_uri, domain, why);
          return NULL;
        }
    }
  xml = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_INACTIVE);
  if (!xml)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "libvirt at %s: cannot get the XML of domain '%.80s': %s",
                   shown_uri, domain, libvirt_message ());
      return NULL;
    }
  return xml; /* malloc'ed by libvirt: free() */
}
#endif

static void
json_add_strings (JsonBuilder *b, const char *member, GPtrArray *strings)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_array (b);
  for (guint i = 0; strings && i < strings->len; i++)
    json_builder_add_string_value (b, strings->pdata[i]);
  json_builder_end_array (b);
}

/* "name": "value", or "name": null when there is none. */
static void
json_add_string_or_null (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

/* A libvirt URI whose hypervisor is on another host ("qemu+ssh://host/system"):
 * its <emulator> path means nothing here.  "qemu:///system", "test:///default"
 * and libvirt's default (NULL) are local. */
static gboolean
uri_is_remote (const char *uri)
{
  const char *p = uri ? strstr (uri, "://") : NULL;
  return p && p[3] != '/' && p[3] != '\0';
}

/* How domain-check names a QEMU choice in its JSON (qemu_version_source). */
static const char *
qemu_from_name (IhwQemuFrom from)
{
  switch (from)
    {
    case IHW_QEMU_FROM_CONFIG:
      return "option";
    case IHW_QEMU_FROM_EMULATOR:
      return "emulator";
    default:
      return "daemon-default";
    }
}

static const char domain_check_args[] =
  "DOMAIN [--connect URI] | --xml FILE [--qemu-version V] [--hook-conf FILE]";

static void
print_json (const IhwDecision *d, const IhwDomainInfo *info)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  IhwModel model = IHW_MODEL_LAST;

  json_builder_begin_object (b);
  json_add_string_or_null (b, "domain", d->domain);
  json_add_string_or_null (b, "decision", ihw_decision_name (d));
  json_add_string_or_null (b, "outcome", ihw_outcome_name (d->outcome));
  json_builder_set_member_name (b, "checked");
  json_builder_add_boolean_value (b, d->check != NULL);
  json_add_string_or_null (b, "why", d->why);
  json_add_string_or_null (b, "model", d->model);
  json_add_strings (b, "devices", info ? info->devices : NULL);
  json_add_string_or_null (b, "verdict", d->check ? ihw_verdict_name (d->check->result->verdict) : NULL);
  json_builder_set_member_name (b, "nesting_requested");
  json_builder_add_boolean_value (b, d->nesting);
  json_add_string_or_null (b, "nesting_requested_by", d->nesting_via);
  json_add_string_or_null (b, "qemu_version", d->qemu.version);
  json_add_string_or_null (b, "qemu_version_source", d->check ? qemu_from_name (d->qemu.from) : NULL);
  json_add_string_or_null (b, "emulator", info ? info->emulator : NULL);
  json_add_string_or_null (b, "qemu_version_note", d->qemu.failure);
  json_builder_set_member_name (b, "reasons");
  json_builder_begin_array (b);
  if (d->model)
    ihw_model_from_name (d->model, &model);
  for (guint i = 0; d->check && i < d->check->result->reasons->len; i++)
    {
      const IhwReason *r = d->check->result->reasons->pdata[i];
      g_autofree char *fix = ihw_reason_fix (model, r);
      json_builder_begin_object (b);
      json_add_string_or_null (b, "device", r->device);
      json_add_string_or_null (b, "requirement", r->requirement);
      json_add_string_or_null (b, "needed", r->needed);
      json_add_string_or_null (b, "found", r->found);
      json_add_string_or_null (b, "why", r->why);
      json_add_string_or_null (b, "fix", fix);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  for (guint i = 0; i < d->lines->len; i++)
    json_builder_add_string_value (b, ((const IhwReason *) d->lines->pdata[i])->why);
  json_builder_end_array (b);
  json_add_strings (b, "ignored", info ? info->ignored : NULL);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  ctl_print_json (root);
}

static void
print_text (const IhwDecision *d)
{
  printf ("Domain '%s': %s (%s)\n", d->domain, ihw_decision_name (d), ihw_outcome_name (d->outcome));
  if (d->outcome == IHW_OUTCOME_NOT_CHECKED)
    printf ("Nothing QEMU checks for IOMMU reasons: %s.\n", d->why);
  else if (d->outcome == IHW_OUTCOME_SUPPORTED)
    printf ("QEMU %s accepts <iommu model='%s'> %s with these devices.\n",
            d->qemu.version ? d->qemu.version : "(iommu-hwinfod's default)", d->model,
            d->nesting ? "in nested mode" : "as an emulated vIOMMU");
  for (guint i = 0; i < d->lines->len; i++)
    printf ("  %s\n", ((const IhwReason *) d->lines->pdata[i])->why);
  if (d->check && d->nesting)
    printf ("The domain turns nested translation on (%s).\n", d->nesting_via);
  else if (d->check)
    printf ("The domain does not turn nested translation on: judged as an emulated vIOMMU (the checks QEMU "
            "applies to every assigned device).\n");
  /* refusals and warnings already said which QEMU */
  if (d->outcome == IHW_OUTCOME_UNSUPPORTED || d->outcome == IHW_OUTCOME_UNKNOWN)
    return;
  if (d->check && d->qemu.from == IHW_QEMU_FROM_CONFIG)
    printf ("Judged for QEMU %s (--qemu-version or hook.conf).\n", d->qemu.version);
  else if (d->check && d->qemu.from == IHW_QEMU_FROM_EMULATOR)
    printf ("Judged for QEMU %s (the domain's <emulator> --version).\n", d->qemu.version);
  else if (d->check)
    printf ("Judged for iommu-hwinfod's default QEMU version (%s).\n", d->qemu.failure);
}

int
ctl_domain_check (CtlGlobal *g, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IhwDomainInfo) info = NULL;
  g_autoptr (IhwDecision) d = NULL;
  g_autofree char *uri = NULL, *xml_file = NULL, *qemu_option = NULL, *conf_file = NULL;
  g_auto (IhwHookConf) conf = { 0 };
  char *xml = NULL;
  gsize len = 0;
  GOptionEntry entries[] = {
    { "connect", 'c', 0, G_OPTION_ARG_STRING, &uri, "libvirt URI (default: libvirt's own default)", "URI" },
    { "xml", 0, 0, G_OPTION_ARG_FILENAME, &xml_file, "Read the domain XML from FILE instead of libvirt", "FILE" },
    { "qemu-version", 0, 0, G_OPTION_ARG_STRING, &qemu_option,
      "Judge for this QEMU version (default: hook.conf's, else the domain's <emulator> --version)", "V" },
    { "hook-conf", 0, 0, G_OPTION_ARG_FILENAME, &conf_file,
      "The hook's configuration (default: $IHW_HOOK_CONF, else " SYSCONFDIR "/iommu-hwinfod/hook.conf)", "FILE" },
    { NULL },
  };
  const char *no_detect = NULL;
  int code;

  if (!ctl_parse_options (g, "domain-check", domain_check_args,
                          "Would the libvirt hook let this domain start?  Reads the domain's <iommu> and PCI\n"
                          "<hostdev>s (from libvirt, read-only, or a file), reads hook.conf as the hook does,\n"
                          "and asks iommu-hwinfod.  Exit status: the hook's decision, 0 allow, 1 refuse.",
                          entries, &argc, &argv, &code))
    return code;
  if (xml_file && (argc > 1 || uri))
    return ctl_usage_error ("domain-check", "--xml FILE takes no DOMAIN and no --connect");
  if (!xml_file && argc != 2)
    return ctl_usage_error ("domain-check", argc < 2 ? "which domain? give its name or UUID, or --xml FILE"
                                                     : "one domain at a time");
  if (qemu_option)
    {
      guint qv;
      if (!ihw_qemu_version_from_text (qemu_option, &qv, &error))
        return ctl_usage_error ("domain-check", "--%s", error->message);
      g_free (qemu_option);
      qemu_option = ihw_qemu_version_string (qv);
    }
  ihw_hook_conf_load (&conf, conf_file, SYSCONFDIR "/iommu-hwinfod/hook.conf");
  for (guint i = 0; i < conf.warnings->len; i++)
    g_printerr ("iommu-hwinfoctl domain-check: warning: %s\n", (const char *) conf.warnings->pdata[i]);
  /* The hook runs on libvirt's host; so may this, unless told otherwise. */
  if (!conf.bus_address && g_getenv ("DBUS_SYSTEM_BUS_ADDRESS"))
    conf.bus_address = g_strdup (g_getenv ("DBUS_SYSTEM_BUS_ADDRESS"));

  if (xml_file)
    {
      gboolean too_big;

      xml = ihw_domain_read_file (xml_file, IHW_DOMAIN_READ_TIMEOUT_MS, &len, &too_big, &error);
      if (!xml)
        return ctl_fail (error);
      if (too_big)
        {
          g_free (xml);
          g_set_error (&error, IHW_ERROR, IHW_ERROR_BAD_DATA, "%s is larger than %d bytes: not a domain definition",
                       xml_file, IHW_DOMAIN_XML_MAX);
          return ctl_fail (error);
        }
      info = ihw_domain_parse_xml (xml, len, &error);
      g_free (xml);
      if (!info)
        g_prefix_error (&error, "%s: ", xml_file);
    }
  else
    {
#ifdef IHW_HAVE_LIBVIRT
      xml = domain_xml_from_libvirt (argv[1], uri, &error);
      if (!xml)
        return ctl_fail (error);
      info = ihw_domain_parse_xml (xml, strlen (xml), &error);
      free (xml);
      if (uri_is_remote (uri))
        no_detect = "the libvirt connection is remote: its <emulator> is not on this host";
#else
      g_printerr ("iommu-hwinfoctl domain-check: this build has no libvirt support: "
                  "use 'virsh dumpxml --inactive %s > FILE' and --xml FILE\n", argv[1]);
      return IHW_EXIT_UNAVAILABLE;
#endif
    }

  d = ihw_decide (&conf, xml_file ? NULL : argv[1], info, error, qemu_option, no_detect);
  if (g->json)
    print_json (d, info);
  else
    print_text (d);
  return d->refuse ? 1 : 0;
}
