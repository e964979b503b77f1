/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iommu-hwinfoctl domcaps [--connect URI] [--qemu-version V]: what `virsh
 * domcapabilities` lacks (it has no <iommu> at all, FACTS.md): per vIOMMU
 * model, whether nested translation works with each vfio-pci device of
 * this host, and the largest <driver> configuration they all honour, for
 * the host's QEMU.  A libvirt-style XML fragment, or --json.
 *
 * The host's QEMU: --qemu-version, else the emulator libvirt reports at
 * URI (virConnectGetDomainCapabilities' <path>) asked for --version, else
 * /usr/bin/qemu-system-x86_64 --version, else the daemon's default.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef IHW_HAVE_LIBVIRT
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#endif

#include "ctl-json.h"
#include "ctl.h"
#include "ihw-error.h"
#include "ihw-names.h"
#include "ihw-qemu-version.h"
#include "ihw-verdict.h"

#define DEFAULT_EMULATOR "/usr/bin/qemu-system-x86_64"

#ifdef IHW_HAVE_LIBVIRT
static void
quiet (void *data, virErrorPtr err)
{
}

/* The emulator libvirt would run, from its domain capabilities. */
static char *
libvirt_emulator (const char *uri)
{
  virConnectPtr conn;
  char *caps, *emulator = NULL;
  const char *p, *e;

  virSetErrorFunc (NULL, quiet);
  if (!(conn = virConnectOpenReadOnly (uri)))
    return NULL;
  caps = virConnectGetDomainCapabilities (conn, NULL, NULL, NULL, NULL, 0);
  virConnectClose (conn);
  if (caps && (p = strstr (caps, "<path>")) && (e = strstr (p, "</path>")))
    emulator = g_strndup (p + 6, (gsize) (e - p - 6));
  free (caps);
  return emulator;
}
#endif

typedef struct {
  char *device;
  IhwVerdict verdict;
} DevVerdict;

int
ctl_domcaps (CtlGlobal *g, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IhwClient) client = NULL;
  g_autoptr (CtlObjects) objects = NULL;
  g_autoptr (GPtrArray) vfio = g_ptr_array_new ();
  g_autofree char *uri = NULL, *qemu_option = NULL, *emulator = NULL;
  g_auto (IhwQemuChoice) qemu = { 0 };
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GString) xml = g_string_new (NULL);
  IhwRequest req = { 0 };
  GOptionEntry entries[] = {
    { "connect", 'c', 0, G_OPTION_ARG_STRING, &uri, "libvirt URI whose emulator is the host's QEMU", "URI" },
    { "qemu-version", 0, 0, G_OPTION_ARG_STRING, &qemu_option, "Judge for this QEMU version", "V" },
    { NULL },
  };
  int code;

  if (!ctl_parse_options (g, "domcaps", "[--connect URI] [--qemu-version V]",
                          "Per vIOMMU model: does nested translation work with each vfio-pci device of this host,\n"
                          "and the largest <driver> configuration, for the host's QEMU (extends virsh domcapabilities).",
                          entries, &argc, &argv, &code))
    return code;
  if (argc > 1)
    return ctl_usage_error ("domcaps", "unexpected argument '%.80s'", argv[1]);
  if (qemu_option)
    {
      guint qv;
      if (!ihw_qemu_version_from_text (qemu_option, &qv, &error))
        return ctl_usage_error ("domcaps", "--%s", error->message);
      g_free (qemu_option);
      qemu_option = ihw_qemu_version_string (qv);
    }
  if (!(client = ctl_connect (&error)) || !(objects = ctl_objects_load (client, &error)))
    return ctl_fail (error);

#ifdef IHW_HAVE_LIBVIRT
  if (!qemu_option)
    emulator = libvirt_emulator (uri);
#endif
  if (!qemu_option && !emulator && access (DEFAULT_EMULATOR, X_OK) == 0)
    emulator = g_strdup (DEFAULT_EMULATOR);
  ihw_qemu_choose (&qemu, qemu_option, TRUE, NULL, emulator, 0, NULL, &req);

  for (guint i = 0; i < objects->devices->len; i++)
    {
      const CtlObject *d = objects->devices->pdata[i];
      if (strcmp (ctl_prop_str (d->props, "Driver"), "vfio-pci") == 0 && vfio->len < IHW_MAX_DEVICES_PER_REQUEST)
        g_ptr_array_add (vfio, d->name);
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "qemu_version");
  json_builder_add_string_value (b, qemu.version ? qemu.version : "");
  json_builder_set_member_name (b, "emulator");
  json_builder_add_string_value (b, emulator ? emulator : "");
  json_builder_set_member_name (b, "models");
  json_builder_begin_array (b);
  g_string_append_printf (xml, "<iommu supported='yes'>\n  <enum name='model'>\n");
  for (IhwModel m = 0; m < IHW_MODEL_LAST; m++)
    g_string_append_printf (xml, "    <value>%s</value>\n", ihw_model_name (m));
  g_string_append_printf (xml, "  </enum>\n  <nesting qemu='%s'%s%s%s>\n", qemu.version ? qemu.version : "default",
                          emulator ? " emulator='" : "", emulator ? emulator : "", emulator ? "'" : "");

  for (IhwModel m = 0; m < IHW_MODEL_LAST; m++)
    {
      const char *name = ihw_model_name (m);
      g_autoptr (GPtrArray) ok = g_ptr_array_new ();
      g_autoptr (IhwCheckResult) neg = NULL;
      IhwVerdict all = vfio->len ? IHW_VERDICT_SUPPORTED : IHW_VERDICT_UNSUPPORTED;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, name);
      json_builder_set_member_name (b, "devices");
      json_builder_begin_array (b);
      g_string_append_printf (xml, "    <model name='%s'>\n", name);
      for (guint i = 0; i < vfio->len; i++)
        {
          const char *one[] = { vfio->pdata[i], NULL };
          IhwRequest configured = req;
          g_autoptr (IhwCheckResult) r = NULL;
          /* whether the device nests in a VM configured as QEMU needs
           * (caching-mode=on), as the negotiated configuration has it */
          ihw_request_fill_required (m, 0, &configured);
          r = ihw_client_check_nesting (client, name, one, &configured, &error);
          IhwVerdict v = r ? r->result->verdict : IHW_VERDICT_UNKNOWN;

          if (!r && g_error_matches (error, IHW_ERROR, IHW_ERROR_UNAVAILABLE))
            return ctl_fail (error);
          g_clear_error (&error);
          if (v == IHW_VERDICT_SUPPORTED)
            g_ptr_array_add (ok, vfio->pdata[i]);
          else if (all == IHW_VERDICT_SUPPORTED || v == IHW_VERDICT_UNSUPPORTED)
            all = v;
          g_string_append_printf (xml, "      <hostdev address='%s' nesting='%s'/>\n", (char *) vfio->pdata[i],
                                  ihw_verdict_name (v));
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "address");
          json_builder_add_string_value (b, vfio->pdata[i]);
          json_builder_set_member_name (b, "nesting");
          json_builder_add_string_value (b, ihw_verdict_name (v));
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      /* The largest configuration the devices that can nest all honour. */
      if (ok->len)
        {
          g_ptr_array_add (ok, NULL);
          neg = ihw_client_negotiate (client, name, (const char *const *) ok->pdata, &req, NULL);
        }
      json_builder_set_member_name (b, "nesting");
      json_builder_add_string_value (b, ihw_verdict_name (all));
      json_builder_set_member_name (b, "maximal");
      if (neg && neg->libvirt_xml && *neg->libvirt_xml)
        {
          g_auto (GStrv) lines = g_strsplit (neg->libvirt_xml, "\n", -1);
          json_builder_add_string_value (b, neg->libvirt_xml);
          g_string_append (xml, "      <maximal>\n");
          for (guint i = 0; lines[i]; i++)
            if (*lines[i])
              g_string_append_printf (xml, "        %s\n", lines[i]);
          g_string_append (xml, "      </maximal>\n");
        }
      else
        json_builder_add_null_value (b);
      json_builder_end_object (b);
      g_string_append_printf (xml, "      <nesting supported='%s'/>\n    </model>\n",
                              all == IHW_VERDICT_SUPPORTED ? "yes" : all == IHW_VERDICT_UNSUPPORTED ? "no" : "unknown");
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  g_string_append (xml, "  </nesting>\n</iommu>\n");

  if (g->json)
    {
      g_autoptr (JsonNode) root = json_builder_get_root (b);
      ctl_print_json (root);
    }
  else
    fputs (xml->str, stdout);
  return 0;
}
