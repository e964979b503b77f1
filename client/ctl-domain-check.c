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

/* Prints "nothing to check" for a domain without vIOMMU or PCI hostdevs. */
static int
print_nothing_to_check (CtlGlobal *g, const IhwDomainInfo *info, const char *why)
{
  if (g->json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "domain");
      json_builder_add_string_value (b, info->name);
      json_builder_set_member_name (b, "checked");
      json_builder_add_boolean_value (b, FALSE);
      json_builder_set_member_name (b, "why");
      json_builder_add_string_value (b, why);
      json_add_string_or_null (b, "model", info->model);
      json_add_strings (b, "devices", info->devices);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      ctl_print_json (root);
    }
  else
    printf ("Domain '%s': %s: nothing to check\n", info->name, why);
  return 0;
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

static const char domain_check_args[] = "DOMAIN [--connect URI] | --xml FILE [--qemu-version V]";

int
ctl_domain_check (CtlGlobal *g, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IhwClient) client = NULL;
  g_autoptr (IhwCheckResult) res = NULL;
  g_autoptr (IhwDomainInfo) info = NULL;
  g_autofree char *uri = NULL, *xml_file = NULL, *qemu_option = NULL;
  g_auto (IhwQemuChoice) qemu = { 0 };
  char *xml = NULL;
  gsize len = 0;
  GOptionEntry entries[] = {
    { "connect", 'c', 0, G_OPTION_ARG_STRING, &uri, "libvirt URI (default: libvirt's own default)", "URI" },
    { "xml", 0, 0, G_OPTION_ARG_FILENAME, &xml_file, "Read the domain XML from FILE instead of libvirt", "FILE" },
    { "qemu-version", 0, 0, G_OPTION_ARG_STRING, &qemu_option,
      "Judge for this QEMU version (default: ask the domain's <emulator> --version)", "V" },
    { NULL },
  };
  IhwModel model;
  int code;

  if (!ctl_parse_options (g, "domain-check", domain_check_args,
                          "Would the libvirt hook let this domain start?  Reads the domain's <iommu> and PCI\n"
                          "<hostdev>s (from libvirt, read-only, or a file) and asks iommu-hwinfod.\n"
                          "Exit status 0 supported or nothing to check, 1 unsupported, 2 unknown.",
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
        {
          g_prefix_error (&error, "%s: ", xml_file);
          return ctl_fail (error);
        }
    }
  else
    {
#ifdef IHW_HAVE_LIBVIRT
      xml = domain_xml_from_libvirt (argv[1], uri, &error);
      if (!xml)
        return ctl_fail (error);
      info = ihw_domain_parse_xml (xml, strlen (xml), &error);
      free (xml);
      if (!info)
        {
          g_prefix_error (&error, "domain '%.80s': ", argv[1]);
          return ctl_fail (error);
        }
#else
      g_printerr ("iommu-hwinfoctl domain-check: this build has no libvirt support: "
                  "use 'virsh dumpxml --inactive %s > FILE' and --xml FILE\n", argv[1]);
      return IHW_EXIT_UNAVAILABLE;
#endif
    }

  if (!info->model)
    return print_nothing_to_check (g, info, "no <iommu> element");
  if (info->devices->len == 0)
    return print_nothing_to_check (g, info, "no PCI <hostdev>");
  if (!ihw_model_from_name (info->model, &model))
    {
      g_printerr ("iommu-hwinfoctl domain-check: domain '%s': <iommu model='%s'> is not a model iommu-hwinfod "
                  "knows (intel, smmuv3, amd, virtio)\n", info->name, info->model);
      return IHW_EXIT_DATAERR;
    }
  if (info->devices->len > IHW_MAX_DEVICES_PER_REQUEST)
    {
      g_printerr ("iommu-hwinfoctl domain-check: domain '%s' has %u PCI hostdevs, at most %d can be checked\n",
                  info->name, info->devices->len, IHW_MAX_DEVICES_PER_REQUEST);
      return IHW_EXIT_DATAERR;
    }
  g_ptr_array_add (info->devices, NULL);

  if ((client = ctl_connect (&error)))
    ihw_qemu_choose (&qemu, qemu_option, xml_file || !uri_is_remote (uri),
                     "the libvirt connection is remote: its <emulator> is not on this host", info->emulator, 0,
                     &info->request);
  if (!client ||
      !(res = ihw_client_check_nesting (client, info->model, (const char *const *) info->devices->pdata,
                                        &info->request, &error)))
    {
      g_prefix_error (&error, "domain '%s': ", info->name);
      return ctl_fail (error);
    }

  if (g->json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "domain");
      json_builder_add_string_value (b, info->name);
      json_builder_set_member_name (b, "checked");
      json_builder_add_boolean_value (b, TRUE);
      ctl_json_add_check_head (b, model, (char **) info->devices->pdata, &info->request, res->result->verdict);
      json_builder_set_member_name (b, "nesting_requested");
      json_builder_add_boolean_value (b, info->nesting_requested);
      json_add_string_or_null (b, "nesting_requested_by", info->nesting_via);
      json_add_string_or_null (b, "qemu_version", qemu.version);
      json_builder_set_member_name (b, "qemu_version_source");
      json_builder_add_string_value (b, qemu_from_name (qemu.from));
      json_add_string_or_null (b, "emulator", info->emulator);
      json_add_string_or_null (b, "qemu_version_note", qemu.failure);
      ctl_json_add_reasons (b, res->result->reasons, FALSE);
      g_ptr_array_remove_index (info->devices, info->devices->len - 1);
      json_add_strings (b, "ignored", info->ignored);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      ctl_print_json (root);
    }
  else
    {
      printf ("Domain '%s': ", info->name);
      ctl_print_verdict (model, (char **) info->devices->pdata, res->result, stdout);
      if (info->nesting_requested)
        printf ("The domain turns nested translation on (%s).\n", info->nesting_via);
      else
        printf ("The domain does not turn nested translation on (no x-flts=on, no <driver accel='on'>): "
                "QEMU emulates the vIOMMU; the libvirt hook (check=nesting) lets it start.\n");
      if (qemu.from == IHW_QEMU_FROM_CONFIG)
        printf ("Judged for QEMU %s (--qemu-version).\n", qemu.version);
      else if (qemu.from == IHW_QEMU_FROM_EMULATOR)
        printf ("Judged for QEMU %s (%s --version).\n", qemu.version, info->emulator);
      else
        printf ("Judged for iommu-hwinfod's default QEMU version (%s).\n", qemu.failure);
    }
  return ihw_verdict_exit_code (res->result->verdict);
}
