/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-domain.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "ihw-error.h"
#include "ihw-names.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)

void
ihw_domain_info_free (IhwDomainInfo *info)
{
  if (!info)
    return;
  g_free (info->name);
  g_free (info->model);
  g_free (info->nesting_via);
  g_free (info->emulator);
  g_ptr_array_unref (info->devices);
  g_ptr_array_unref (info->ignored);
  g_free (info);
}

static xmlNode *
child (xmlNode *parent, const char *name)
{
  for (xmlNode *n = parent ? parent->children : NULL; n; n = n->next)
    if (n->type == XML_ELEMENT_NODE && strcmp ((const char *) n->name, name) == 0)
      return n;
  return NULL;
}

static char *
prop (xmlNode *n, const char *name)
{
  xmlChar *v = xmlGetProp (n, (const xmlChar *) name);
  char *s = v ? g_strdup ((const char *) v) : NULL;
  xmlFree (v);
  return s;
}

/* libvirt writes PCI address parts as "0x3a" or "58". */
static gboolean
parse_addr_part (xmlNode *addr, const char *attr, guint64 max, guint64 *out, GError **error)
{
  g_autofree char *v = prop (addr, attr);
  guint64 n;

  if (!v || !*v)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "<hostdev> <address> has no %s", attr);
      return FALSE;
    }
  if (!g_ascii_string_to_unsigned (v, g_str_has_prefix (v, "0x") ? 16 : 10, 0, max, &n, NULL)
      && !(g_str_has_prefix (v, "0x") && g_ascii_string_to_unsigned (v + 2, 16, 0, max, &n, NULL)))
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA,
                   "<hostdev> <address %s='%.20s'>: not a number in 0..0x%" G_GINT64_MODIFIER "x", attr, v, max);
      return FALSE;
    }
  *out = n;
  return TRUE;
}

static gboolean
on_off (const char *v, gboolean *out)
{
  if (g_strcmp0 (v, "on") == 0 || g_strcmp0 (v, "yes") == 0)
    *out = TRUE;
  else if (g_strcmp0 (v, "off") == 0 || g_strcmp0 (v, "no") == 0)
    *out = FALSE;
  else
    return FALSE;
  return TRUE;
}

/* A request value read from the domain, through the key table's range check. */
static gboolean
set_request (IhwDomainInfo *info, const char *key, guint64 value, const char *attr, const char *text,
             GError **error)
{
  g_autoptr (GError) local = NULL;

  if (ihw_request_set_checked (&info->request, key, value, &local))
    return TRUE;
  g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "<iommu><driver %s='%.20s'>: %s", attr, text, local->message);
  return FALSE;
}

/* <driver> attributes: those the request key table names as a key's
 * libvirt attribute (aw_bits, ssidSize, oas, ril, ats) become the key;
 * accel='on' turns nesting on (smmuv3); the rest is noted as ignored. */
static gboolean
parse_driver (xmlNode *driver, IhwDomainInfo *info, GError **error)
{
  const IhwRequestKeyDef *keys = ihw_request_key_defs ();

  for (xmlAttr *a = driver ? driver->properties : NULL; a; a = a->next)
    {
      const char *name = (const char *) a->name;
      g_autofree char *v = prop (driver, name);
      gboolean mapped = FALSE;

      for (guint i = 0; i < IHW_REQUEST_N_KEYS; i++)
        {
          if (g_strcmp0 (keys[i].libvirt_attr, name) != 0)
            continue;
          mapped = TRUE;
          if (keys[i].type == 'u')
            {
              guint64 n;
              if (!g_ascii_string_to_unsigned (v, 10, 0, 1024, &n, NULL))
                {
                  g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA,
                               "<iommu><driver %s='%.20s'>: not a number", name, v ? v : "");
                  return FALSE;
                }
              if (!set_request (info, keys[i].name, n, name, v, error))
                return FALSE;
            }
          else
            {
              gboolean b;
              if (!on_off (v, &b))
                {
                  g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA,
                               "<iommu><driver %s='%.20s'>: expected on or off", name, v ? v : "");
                  return FALSE;
                }
              if (!set_request (info, keys[i].name, b, name, v, error))
                return FALSE;
            }
        }
      if (strcmp (name, "accel") == 0)
        {
          gboolean b;
          if (!on_off (v, &b))
            {
              g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA,
                           "<iommu><driver accel='%.20s'>: expected on or off", v ? v : "");
              return FALSE;
            }
          info->nesting_requested = b;
          g_clear_pointer (&info->nesting_via, g_free);
          if (b)
            info->nesting_via = g_strdup ("<driver accel='on'>");
          mapped = TRUE;
        }
      if (!mapped)
        g_ptr_array_add (info->ignored, g_strdup_printf ("<driver %s='%.40s'>", name, v ? v : ""));
    }
  return TRUE;
}

/* A QEMU property value: up to the next ',' (inside a -device string) or the
 * end; QEMU's own spellings of a boolean. */
static gboolean
qemu_bool (const char *p, gboolean *out)
{
  static const char *const yes[] = { "on", "yes", "true", NULL }, *const no[] = { "off", "no", "false", NULL };
  gsize n = strcspn (p, ",");

  for (guint i = 0; yes[i]; i++)
    {
      if (n == strlen (yes[i]) && strncmp (p, yes[i], n) == 0)
        return *out = TRUE, TRUE;
      if (n == strlen (no[i]) && strncmp (p, no[i], n) == 0)
        return *out = FALSE, TRUE;
    }
  return FALSE;
}

/* The QEMU device a vIOMMU model is (libvirt's <iommu model> -> -device). */
static const struct {
  const char *model, *driver;
} viommu_drivers[] = {
  { "intel", "intel-iommu" },
  { "smmuv3", "arm-smmuv3" },
  { "virtio", "virtio-iommu-pci" },
  { "amd", "amd-iommu" },
};

static const char *
model_driver (const char *model)
{
  for (guint i = 0; i < G_N_ELEMENTS (viommu_drivers); i++)
    if (g_strcmp0 (viommu_drivers[i].model, model) == 0)
      return viommu_drivers[i].driver;
  return NULL;
}

/* Properties that turn nested translation on, by QEMU driver. */
static const struct {
  const char *driver, *property;
} nesting_properties[] = {
  { "intel-iommu", "x-flts" },
  { "arm-smmuv3", "accel" },
};

/* One vIOMMU property from <qemu:commandline> or <qemu:override>: the
 * nesting switch, or a request key through the key table's QEMU property
 * names (aw-bits, fs1gp, ssidsize, oas, ril, ats).  `auto` leaves the key
 * to QEMU's default. */
static void
apply_qemu_property (IhwDomainInfo *info, const char *driver, const char *name, const char *value, const char *via)
{
  const IhwRequestKeyDef *keys = ihw_request_key_defs ();
  g_autofree char *v = g_strndup (value, strcspn (value, ","));
  gboolean b;
  guint64 n64;

  for (guint i = 0; i < G_N_ELEMENTS (nesting_properties); i++)
    if (strcmp (nesting_properties[i].driver, driver) == 0 && strcmp (nesting_properties[i].property, name) == 0
        && qemu_bool (v, &b))
      {
        info->nesting_requested = b;
        g_clear_pointer (&info->nesting_via, g_free);
        if (b)
          info->nesting_via = g_strdup_printf ("%s %s=on", via, name);
        return;
      }
  for (guint i = 0; i < IHW_REQUEST_N_KEYS; i++)
    {
      if (g_strcmp0 (keys[i].qemu_property, name) != 0)
        continue;
      if (strcmp (v, "auto") == 0)
        info->request.present &= ~(1u << i);
      else if (keys[i].type == 'b' && qemu_bool (v, &b))
        ihw_request_set (&info->request, keys[i].name, b);
      /* Best effort, like the rest of these options: a value no caller
       * may ask for is noted, not judged. */
      else if (keys[i].type == 'u' && g_ascii_string_to_unsigned (v, 10, 0, 1024, &n64, NULL)
               && ihw_request_set (&info->request, keys[i].name, n64))
        ;
      else
        g_ptr_array_add (info->ignored, g_strdup_printf ("%s %s=%.20s (not a value QEMU takes)", via, name, v));
      return;
    }
  if (strcmp (name, "x-scalable-mode") != 0)
    g_ptr_array_add (info->ignored, g_strdup_printf ("%s %s.%s=%.20s", via, driver, name, v));
}

/* "-global DRIVER.PROP=V", "-set device.ID.PROP=V" (ID: the vIOMMU's
 * alias, libvirt's "iommu0"), "-device DRIVER,PROP=V,...": the argument
 * values, whatever option they follow. */
static void
scan_qemu_arg (IhwDomainInfo *info, const char *driver, const char *arg)
{
  static const char via[] = "<qemu:commandline>";
  gsize dl = strlen (driver);

  if (strncmp (arg, driver, dl) == 0 && arg[dl] == '.')
    {
      const char *eq = strchr (arg + dl + 1, '=');
      g_autofree char *name = eq ? g_strndup (arg + dl + 1, (gsize) (eq - arg - dl - 1)) : NULL;
      if (name)
        apply_qemu_property (info, driver, name, eq + 1, via);
    }
  else if (strncmp (arg, driver, dl) == 0 && arg[dl] == ',')
    {
      g_auto (GStrv) props = g_strsplit (arg + dl + 1, ",", 64);
      for (guint i = 0; props[i]; i++)
        {
          char *eq = strchr (props[i], '=');
          if (eq)
            {
              *eq = '\0';
              apply_qemu_property (info, driver, props[i], eq + 1, via);
            }
        }
    }
  else if (g_str_has_prefix (arg, "device.iommu"))
    {
      const char *dot = strchr (arg + strlen ("device."), '.');
      const char *eq = dot ? strchr (dot + 1, '=') : NULL;
      g_autofree char *name = eq ? g_strndup (dot + 1, (gsize) (eq - dot - 1)) : NULL;
      if (name)
        apply_qemu_property (info, driver, name, eq + 1, via);
    }
}

/* QEMU options a domain passes through <qemu:commandline> for its vIOMMU
 * (libvirt has no attribute for x-flts or fs1gp, and libvirt 9.0 and 11.3
 * drop SMMUv3 accel/ats/ril/ssidSize/oas from <driver>), and
 * <qemu:override><qemu:device alias='iommu0'><qemu:frontend><qemu:property
 * name='x-flts' value='true'/> (libvirt 8.2+). */
static void
scan_qemu_args (xmlNode *root, IhwDomainInfo *info)
{
  const char *driver = model_driver (info->model);
  xmlNode *cmd = child (root, "commandline");
  xmlNode *override = child (root, "override");

  /* No <iommu>: a vIOMMU given whole as "-device DRIVER,..." is one too. */
  for (xmlNode *n = cmd && !info->model ? cmd->children : NULL; n && !info->model; n = n->next)
    {
      g_autofree char *v = n->type == XML_ELEMENT_NODE ? prop (n, "value") : NULL;
      for (guint i = 0; v && i < G_N_ELEMENTS (viommu_drivers) && !info->model; i++)
        {
          gsize dl = strlen (viommu_drivers[i].driver);
          if (strncmp (v, viommu_drivers[i].driver, dl) == 0 && (v[dl] == ',' || v[dl] == '\0'))
            {
              info->model = g_strdup (viommu_drivers[i].model);
              driver = viommu_drivers[i].driver;
            }
        }
    }
  if (!driver)
    return;
  for (xmlNode *n = cmd ? cmd->children : NULL; n; n = n->next)
    {
      g_autofree char *v = NULL;
      if (n->type != XML_ELEMENT_NODE || strcmp ((const char *) n->name, "arg") != 0)
        continue;
      v = prop (n, "value");
      if (v)
        scan_qemu_arg (info, driver, v);
    }
  for (xmlNode *dev = override ? override->children : NULL; dev; dev = dev->next)
    {
      g_autofree char *alias = NULL;
      if (dev->type != XML_ELEMENT_NODE || strcmp ((const char *) dev->name, "device") != 0)
        continue;
      alias = prop (dev, "alias");
      if (!alias || !g_str_has_prefix (alias, "iommu"))
        continue;
      for (xmlNode *p = child (child (dev, "frontend"), "property"); p; p = p->next)
        {
          g_autofree char *name = NULL, *value = NULL;
          if (p->type != XML_ELEMENT_NODE || strcmp ((const char *) p->name, "property") != 0)
            continue;
          name = prop (p, "name");
          value = prop (p, "value");
          if (name && value)
            apply_qemu_property (info, driver, name, value, "<qemu:override>");
        }
    }
}

/* The text of an element, direct text children only (entity references are
 * never expanded: a hostile "billion laughs" stays small), at most `max`
 * bytes; *truncated when there was more. */
static char *
element_text (xmlNode *n, gsize max, gboolean *truncated)
{
  GString *s = g_string_new (NULL);

  *truncated = FALSE;
  for (xmlNode *t = n ? n->children : NULL; t; t = t->next)
    if (t->type == XML_TEXT_NODE && t->content)
      {
        gsize l = strlen ((const char *) t->content);
        if (s->len + l > max)
          {
            g_string_append_len (s, (const char *) t->content, max - s->len);
            *truncated = TRUE;
            break;
          }
        g_string_append_len (s, (const char *) t->content, l);
      }
  return g_string_free (s, FALSE);
}

/* <emulator>: kept only when it is a plausible absolute path; anything else
 * is noted in `ignored` (the hook then judges without it, never vetoes for it). */
static void
parse_emulator (xmlNode *n, IhwDomainInfo *info)
{
  gboolean truncated;
  g_autofree char *path = element_text (n, IHW_DOMAIN_EMULATOR_MAX, &truncated);
  const char *why = NULL;

  g_strstrip (path);
  if (truncated)
    why = "longer than " G_STRINGIFY (IHW_DOMAIN_EMULATOR_MAX) " bytes";
  else if (!*path)
    why = "empty";
  else if (path[0] != '/')
    why = "not an absolute path";
  else
    for (const char *p = path; *p; p++)
      if ((guchar) *p < 0x20 || *p == 0x7f)
        {
          why = "has control characters";
          break;
        }
  if (why)
    {
      g_autofree char *shown = g_strescape (path, NULL);
      g_ptr_array_add (info->ignored, g_strdup_printf ("<emulator>%.60s%s</emulator> (%s)", shown,
                                                       strlen (shown) > 60 ? "..." : "", why));
      return;
    }
  g_free (info->emulator);
  info->emulator = g_steal_pointer (&path);
}

static void
refuse_dtd (void *data, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
  xmlParserCtxt *ctxt = data;
  *(gboolean *) ctxt->_private = TRUE;
  xmlStopParser (ctxt);
}

IhwDomainInfo *
ihw_domain_parse_xml (const char *xml, gsize len, GError **error)
{
  g_autoptr (xmlDoc) doc = NULL;
  g_autoptr (IhwDomainInfo) info = NULL;
  xmlNode *root, *devices, *name;
  guint n_iommu = 0;

  if (!xml || len == 0)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "domain XML is empty");
      return NULL;
    }
  if (len > IHW_DOMAIN_XML_MAX)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "domain XML is %zu bytes, more than the %d accepted", len,
                   IHW_DOMAIN_XML_MAX);
      return NULL;
    }
  /* No network, no entity substitution, no DTD loading, no huge-text mode;
   * a DTD stops the parser where it starts (refuse_dtd). */
  {
    xmlParserCtxt *ctxt = xmlNewParserCtxt ();
    gboolean had_dtd = FALSE;

    if (!ctxt)
      g_error ("out of memory");
    ctxt->_private = &had_dtd;
    ctxt->sax->internalSubset = refuse_dtd;
    doc = xmlCtxtReadMemory (ctxt, xml, (int) len, "domain.xml", NULL,
                             XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlFreeParserCtxt (ctxt);
    if (had_dtd)
      {
        g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA,
                     "domain XML has a <!DOCTYPE> (DTD or entity declarations), which libvirt never writes");
        return NULL;
      }
  }
  if (!doc)
    {
      const xmlError *e = xmlGetLastError ();
      g_autofree char *why = e && e->message ? g_strstrip (g_strndup (e->message, 200)) : g_strdup ("parse error");
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "domain XML is not well-formed (line %d: %s)",
                   e ? e->line : 0, why);
      return NULL;
    }
  root = xmlDocGetRootElement (doc);
  if (!root || strcmp ((const char *) root->name, "domain") != 0)
    {
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "not a libvirt domain: the root element is <%s>",
                   root ? (const char *) root->name : "");
      return NULL;
    }

  info = g_new0 (IhwDomainInfo, 1);
  info->devices = g_ptr_array_new_with_free_func (g_free);
  info->ignored = g_ptr_array_new_with_free_func (g_free);
  name = child (root, "name");
  {
    gboolean truncated;
    info->name = element_text (name, 256, &truncated);
  }

  devices = child (root, "devices");
  for (xmlNode *n = devices ? devices->children : NULL; n; n = n->next)
    {
      if (n->type != XML_ELEMENT_NODE)
        continue;
      if (strcmp ((const char *) n->name, "emulator") == 0)
        parse_emulator (n, info);
      else if (strcmp ((const char *) n->name, "iommu") == 0)
        {
          if (++n_iommu > 1)
            {
              g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "the domain has more than one <iommu>");
              return NULL;
            }
          info->model = prop (n, "model");
          if (!info->model || !*info->model)
            {
              g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "<iommu> has no model attribute");
              return NULL;
            }
          if (!parse_driver (child (n, "driver"), info, error))
            return NULL;
        }
      else if (strcmp ((const char *) n->name, "hostdev") == 0)
        {
          g_autofree char *type = prop (n, "type");
          xmlNode *addr = child (child (n, "source"), "address");
          guint64 dom, bus, slot, fn;

          if (g_strcmp0 (type, "pci") != 0)
            continue; /* USB, SCSI, mdev: not behind the vIOMMU as PCI functions */
          if (!addr)
            {
              g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "<hostdev type='pci'> has no <source><address>");
              return NULL;
            }
          if (!parse_addr_part (addr, "domain", 0xffff, &dom, error) || !parse_addr_part (addr, "bus", 0xff, &bus, error)
              || !parse_addr_part (addr, "slot", 0x1f, &slot, error)
              || !parse_addr_part (addr, "function", 0x7, &fn, error))
            return NULL;
          if (info->devices->len >= IHW_DOMAIN_MAX_HOSTDEVS)
            {
              g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "more than %d PCI hostdevs", IHW_DOMAIN_MAX_HOSTDEVS);
              return NULL;
            }
          g_ptr_array_add (info->devices, g_strdup_printf ("%04x:%02x:%02x.%x", (guint) dom, (guint) bus,
                                                           (guint) slot, (guint) fn));
        }
    }
  scan_qemu_args (root, info);
  return g_steal_pointer (&info);
}

char *
ihw_domain_read_fd (int fd, const char *what, guint timeout_ms, gsize *len, gboolean *too_big, GError **error)
{
  g_autoptr (GString) buf = g_string_sized_new (65536);
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  char chunk[65536];

  *too_big = FALSE;
  for (;;)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      ssize_t n;
      int r;

      if (left_ms <= 0)
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "%s did not end within %u ms", what, timeout_ms);
          return NULL;
        }
      r = poll (&pfd, 1, (int) MIN (left_ms, G_MAXINT));
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int e = errno;
          g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "cannot read %s: %s", what, g_strerror (e));
          return NULL;
        }
      if (r == 0)
        continue; /* the deadline check above ends it */
      n = read (fd, chunk, sizeof chunk);
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n < 0)
        {
          int e = errno;
          g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "cannot read %s: %s", what, g_strerror (e));
          return NULL;
        }
      if (n == 0)
        break;
      if (buf->len + (gsize) n > IHW_DOMAIN_XML_MAX)
        {
          *too_big = TRUE;
          break;
        }
      g_string_append_len (buf, chunk, n);
    }
  *len = buf->len;
  return g_string_free (g_steal_pointer (&buf), FALSE);
}

char *
ihw_domain_read_file (const char *path, guint timeout_ms, gsize *len, gboolean *too_big, GError **error)
{
  /* O_NONBLOCK: opening a FIFO for reading waits for a writer otherwise. */
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  char *xml;

  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "cannot open %s: %s", path, g_strerror (e));
      return NULL;
    }
  xml = ihw_domain_read_fd (fd, path, timeout_ms, len, too_big, error);
  close (fd);
  return xml;
}
