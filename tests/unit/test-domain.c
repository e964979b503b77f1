/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Domain XML as libvirt hands it to the hook: what it asks of the IOMMU. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "ihw-domain.h"
#include "ihw-error.h"

static IhwDomainInfo *
parse_fixture (const char *name, GError **error)
{
  g_autofree char *path = g_build_filename (g_getenv ("IHW_FIXTURES_DIR"), "domains", name, NULL);
  g_autofree char *xml = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, &xml, &len, NULL));
  return ihw_domain_parse_xml (xml, len, error);
}

static void
test_intel (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IhwDomainInfo) d = parse_fixture ("intel-two-gpus.xml", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (d->name, ==, "gpu-vm");
  g_assert_cmpstr (d->model, ==, "intel");
  g_assert_true (ihw_request_has (&d->request, IHW_REQUEST_AW_BITS));
  g_assert_cmpuint (d->request.value[IHW_REQUEST_AW_BITS], ==, 48);
  /* hex and decimal address forms; the USB hostdev is not a PCI device */
  g_assert_cmpuint (d->devices->len, ==, 2);
  g_assert_cmpstr (d->devices->pdata[0], ==, "0000:3a:00.0");
  g_assert_cmpstr (d->devices->pdata[1], ==, "0000:3b:00.1");
  g_assert_true (ihw_request_has (&d->request, IHW_REQUEST_CACHING_MODE));
  g_assert_cmpuint (d->request.value[IHW_REQUEST_CACHING_MODE], ==, 1);
  /* intremap and eim are no request keys but are reported */
  g_assert_cmpuint (d->ignored->len, ==, 2);
}

static void
test_smmuv3 (void)
{
  g_autoptr (IhwDomainInfo) d = parse_fixture ("smmuv3-accel.xml", NULL);
  g_assert_nonnull (d);
  g_assert_cmpstr (d->model, ==, "smmuv3");
  g_assert_true (ihw_request_has (&d->request, IHW_REQUEST_SSID_SIZE) && d->request.value[IHW_REQUEST_SSID_SIZE] == 20);
  g_assert_true (ihw_request_has (&d->request, IHW_REQUEST_OAS) && d->request.value[IHW_REQUEST_OAS] == 48);
  g_assert_true (ihw_request_has (&d->request, IHW_REQUEST_ATS) && d->request.value[IHW_REQUEST_ATS]);
  g_assert_true (ihw_request_has (&d->request, IHW_REQUEST_RIL) && !d->request.value[IHW_REQUEST_RIL]);
  g_assert_cmpstr (d->devices->pdata[0], ==, "0002:01:00.0");
}

static void
test_commandline_and_plain (void)
{
  g_autoptr (IhwDomainInfo) d = parse_fixture ("intel-qemu-commandline.xml", NULL);
  g_autoptr (IhwDomainInfo) p = parse_fixture ("no-iommu.xml", NULL);
  g_assert_true (ihw_request_has (&d->request, IHW_REQUEST_FS1GP));
  g_assert_false (d->request.value[IHW_REQUEST_FS1GP]);
  g_assert_null (p->model); /* no vIOMMU: the hook lets it pass */
  g_assert_cmpuint (p->devices->len, ==, 1);
}

static void
test_hostile (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IhwDomainInfo) d = parse_fixture ("hostile-xxe.xml", &error);
  /* entity amplification ("billion laughs") plus an external entity:
   * refused at the <!DOCTYPE>, before any declaration is read */
  g_assert_null (d);
  g_assert_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA);
  g_assert_nonnull (strstr (error->message, "<!DOCTYPE>"));
  /* an external entity alone: refused the same way */
  {
    static const char xxe[] = "<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
                              "<domain><name>vm&x;</name><devices><iommu model='virtio'/></devices></domain>";
    g_autoptr (GError) e2 = NULL;
    g_assert_null (ihw_domain_parse_xml (xxe, strlen (xxe), &e2));
    g_assert_error (e2, IHW_ERROR, IHW_ERROR_BAD_DATA);
  }
  /* One internal entity referenced 8,000 times (libxml2's amplification
   * check does not fire on it): took minutes and ~1 GB; now refused at once. */
  {
    GString *x = g_string_new ("<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY e '");
    g_autoptr (GError) e3 = NULL;
    gint64 t0;
    for (guint i = 0; i < 4000; i++)
      g_string_append (x, "0123456789abcdef");
    g_string_append (x, "'>]><domain><name>");
    for (guint i = 0; i < 8000; i++)
      g_string_append (x, "&e;");
    g_string_append (x, "</name><devices><iommu model='intel'/></devices></domain>");
    t0 = g_get_monotonic_time ();
    g_assert_null (ihw_domain_parse_xml (x->str, x->len, &e3));
    g_assert_error (e3, IHW_ERROR, IHW_ERROR_BAD_DATA);
    g_assert_cmpint (g_get_monotonic_time () - t0, <, G_USEC_PER_SEC);
    g_string_free (x, TRUE);
  }
}

/* Input that never ends, a FIFO nobody writes: bounded in time, no hang. */
static void
test_read_deadline (void)
{
  int p[2];
  gsize len = 0;
  gboolean too_big = TRUE;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ihw-domain-XXXXXX", NULL);
  g_autofree char *fifo = g_build_filename (dir, "fifo", NULL);
  gint64 t0;
  char *xml;

  g_assert_cmpint (pipe (p), ==, 0);
  g_assert_cmpint (write (p[1], "<domain>", 8), ==, 8);
  t0 = g_get_monotonic_time ();
  xml = ihw_domain_read_fd (p[0], "the domain XML on stdin", 200, &len, &too_big, &error);
  g_assert_null (xml);
  g_assert_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA);
  g_assert_nonnull (strstr (error->message, "did not end within 200 ms"));
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 2 * G_USEC_PER_SEC);
  g_clear_error (&error);

  /* the writer closes: what it wrote, nothing lost */
  close (p[1]);
  xml = ihw_domain_read_fd (p[0], "stdin", 200, &len, &too_big, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, 0); /* the 8 bytes were read by the first call */
  g_assert_false (too_big);
  g_free (xml);
  close (p[0]);

  /* open() of a FIFO without a writer blocks unless O_NONBLOCK */
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  t0 = g_get_monotonic_time ();
  xml = ihw_domain_read_file (fifo, 200, &len, &too_big, &error);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 2 * G_USEC_PER_SEC);
  g_assert_null (xml); /* nobody ever wrote: the deadline ends it */
  g_assert_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA);
  g_unlink (fifo);
  g_rmdir (dir);
}

static void
test_bad (void)
{
  static const struct {
    const char *xml;
    const char *part;
  } cases[] = {
    { "", "empty" },
    { "<domain><devices>", "not well-formed" },
    { "<network/>", "root element is <network>" },
    { "<domain><devices><iommu/></devices></domain>", "no model" },
    { "<domain><devices><iommu model='intel'/><iommu model='smmuv3'/></devices></domain>", "more than one" },
    { "<domain><devices><iommu model='intel'><driver aw_bits='lots'/></iommu></devices></domain>", "aw_bits='lots'" },
    { "<domain><devices><iommu model='smmuv3'><driver ril='maybe'/></iommu></devices></domain>", "on or off" },
    /* attribute values go through the request key table's ranges */
    { "<domain><devices><iommu model='intel'><driver aw_bits='100'/></iommu></devices></domain>",
      "'aw-bits' = 100 is out of range (1..64)" },
    { "<domain><devices><iommu model='smmuv3'><driver ssidSize='33'/></iommu></devices></domain>",
      "'ssid-size' = 33 is out of range" },
    { "<domain><devices><hostdev type='pci'/></devices></domain>", "no <source><address>" },
    { "<domain><devices><hostdev type='pci'><source><address domain='0' bus='0x100' slot='0' function='0'/></source></hostdev></devices></domain>",
      "bus='0x100'" },
    { "<domain><devices><hostdev type='pci'><source><address domain='0' bus='0' slot='0x20' function='0'/></source></hostdev></devices></domain>",
      "slot='0x20'" },
    { "<domain><devices><hostdev type='pci'><source><address domain='0' bus='0' slot='0' function='8'/></source></hostdev></devices></domain>",
      "function='8'" },
    { "<domain><devices><hostdev type='pci'><source><address bus='0' slot='0' function='0'/></source></hostdev></devices></domain>",
      "has no domain" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (IhwDomainInfo) d = ihw_domain_parse_xml (cases[i].xml, strlen (cases[i].xml), &error);
      g_assert_null (d);
      g_assert_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA);
      if (!strstr (error->message, cases[i].part))
        g_error ("case %u: '%s' lacks '%s'", i, error->message, cases[i].part);
    }
  /* huge input is refused before parsing */
  {
    g_autoptr (GError) error = NULL;
    gsize n = IHW_DOMAIN_XML_MAX + 1;
    g_autofree char *big = g_malloc (n);
    memset (big, ' ', n);
    g_assert_null (ihw_domain_parse_xml (big, n, &error));
    g_assert_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA);
  }
}

/* Whether the domain turns nested translation on: QEMU only asks the host
 * to nest then (the hook checks only those domains by default). */
static void
test_nesting_requested (void)
{
  static const struct {
    const char *xml;
    gboolean requested;
    const char *via;
  } cases[] = {
    { "<domain><devices><iommu model='intel'/></devices></domain>", FALSE, NULL },
    { "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><devices><iommu model='intel'/></devices>"
      "<qemu:commandline><qemu:arg value='-global'/><qemu:arg value='intel-iommu.x-flts=on'/></qemu:commandline></domain>",
      TRUE, "<qemu:commandline> x-flts=on" },
    /* inside a -device string, with more properties after it */
    { "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><devices/><qemu:commandline>"
      "<qemu:arg value='-device'/><qemu:arg value='intel-iommu,x-scalable-mode=on,x-flts=true,fs1gp=off'/>"
      "</qemu:commandline></domain>",
      TRUE, "<qemu:commandline> x-flts=on" },
    /* a longer property name that ends in x-flts is not x-flts */
    { "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><devices/><qemu:commandline>"
      "<qemu:arg value='foo,xx-flts=on'/></qemu:commandline></domain>", FALSE, NULL },
    { "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><devices><iommu model='intel'/></devices>"
      "<qemu:override><qemu:device alias='iommu0'><qemu:frontend>"
      "<qemu:property name='x-scalable-mode' type='bool' value='true'/>"
      "<qemu:property name='x-flts' type='bool' value='true'/>"
      "</qemu:frontend></qemu:device></qemu:override></domain>",
      TRUE, "<qemu:override> x-flts=on" },
    { "<domain><devices><iommu model='smmuv3'><driver accel='on'/></iommu></devices></domain>", TRUE,
      "<driver accel='on'>" },
    { "<domain><devices><iommu model='smmuv3'><driver accel='off'/></iommu></devices></domain>", FALSE, NULL },
    /* SMMUv3 accel in every form libvirt users write it */
    { "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><devices><iommu model='smmuv3'/></devices>"
      "<qemu:commandline><qemu:arg value='-global'/><qemu:arg value='arm-smmuv3.accel=on'/></qemu:commandline></domain>",
      TRUE, "<qemu:commandline> accel=on" },
    { "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><devices><iommu model='smmuv3'/></devices>"
      "<qemu:commandline><qemu:arg value='-set'/><qemu:arg value='device.iommu0.accel=on'/></qemu:commandline></domain>",
      TRUE, "<qemu:commandline> accel=on" },
    { "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><devices/><qemu:commandline>"
      "<qemu:arg value='-device'/><qemu:arg value='arm-smmuv3,primary-bus=pcie.0,accel=on,ats=on'/>"
      "</qemu:commandline></domain>",
      TRUE, "<qemu:commandline> accel=on" },
    { "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><devices><iommu model='smmuv3'/></devices>"
      "<qemu:override><qemu:device alias='iommu0'><qemu:frontend>"
      "<qemu:property name='accel' type='bool' value='true'/>"
      "</qemu:frontend></qemu:device></qemu:override></domain>",
      TRUE, "<qemu:override> accel=on" },
    /* another driver's property of the same name is not the vIOMMU's */
    { "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><devices><iommu model='smmuv3'/></devices>"
      "<qemu:commandline><qemu:arg value='-global'/><qemu:arg value='intel-iommu.x-flts=on'/></qemu:commandline></domain>",
      FALSE, NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (IhwDomainInfo) d = ihw_domain_parse_xml (cases[i].xml, strlen (cases[i].xml), &error);
      g_assert_no_error (error);
      g_assert_cmpint (d->nesting_requested, ==, cases[i].requested);
      g_assert_cmpstr (d->nesting_via, ==, cases[i].via);
    }
  {
    g_autoptr (IhwDomainInfo) d = parse_fixture ("smmuv3-accel.xml", NULL);
    g_assert_true (d->nesting_requested);
  }
  /* the request keys in those forms; `auto` and other drivers' properties
   * leave a key to QEMU's default */
  {
    static const char xml[] =
      "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><devices><iommu model='smmuv3'>"
      "<driver ats='on' ssidSize='20'/></iommu></devices><qemu:commandline>"
      "<qemu:arg value='-global'/><qemu:arg value='virtio-pci.ats=off'/>"
      "<qemu:arg value='-global'/><qemu:arg value='arm-smmuv3.ril=off'/>"
      "<qemu:arg value='-set'/><qemu:arg value='device.iommu0.oas=48'/>"
      "<qemu:arg value='-global'/><qemu:arg value='arm-smmuv3.ssidsize=auto'/>"
      "<qemu:arg value='-global'/><qemu:arg value='arm-smmuv3.cmdqv=on'/>"
      "</qemu:commandline></domain>";
    g_autoptr (GError) error = NULL;
    g_autoptr (IhwDomainInfo) d = ihw_domain_parse_xml (xml, strlen (xml), &error);
    guint64 v;
    g_assert_no_error (error);
    g_assert_true (ihw_request_get (&d->request, "ats", &v) && v == 1);
    g_assert_true (ihw_request_get (&d->request, "ril", &v) && v == 0);
    g_assert_true (ihw_request_get (&d->request, "oas", &v) && v == 48);
    g_assert_false (ihw_request_get (&d->request, "ssid-size", NULL));
    g_assert_true (ihw_request_get (&d->request, "cmdqv", &v) && v == 1);
  }
  {
    static const char bad[] = "<domain><devices><iommu model='smmuv3'><driver accel='sure'/></iommu></devices></domain>";
    g_autoptr (GError) error = NULL;
    g_assert_null (ihw_domain_parse_xml (bad, strlen (bad), &error));
    g_assert_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA);
  }
}

/* intel caching-mode in every place libvirt users write it; absent, the
 * key is left to QEMU's default. */
static void
test_caching_mode (void)
{
#define QNS "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
  static const struct {
    const char *xml;
    int want;   /* -1: not in the request */
  } cases[] = {
    { "<domain><devices><iommu model='intel'/></devices></domain>", -1 },
    { "<domain><devices><iommu model='intel'><driver caching_mode='on'/></iommu></devices></domain>", 1 },
    { "<domain><devices><iommu model='intel'><driver caching_mode='off'/></iommu></devices></domain>", 0 },
    { QNS "<devices><iommu model='intel'/></devices><qemu:commandline><qemu:arg value='-global'/>"
      "<qemu:arg value='intel-iommu.caching-mode=on'/></qemu:commandline></domain>", 1 },
    { QNS "<devices/><qemu:commandline><qemu:arg value='-device'/>"
      "<qemu:arg value='intel-iommu,intremap=on,caching-mode=on'/></qemu:commandline></domain>", 1 },
    { QNS "<devices><iommu model='intel'><driver caching_mode='on'/></iommu></devices><qemu:override>"
      "<qemu:device alias='iommu0'><qemu:frontend><qemu:property name='caching-mode' type='bool' value='false'/>"
      "</qemu:frontend></qemu:device></qemu:override></domain>", 0 },
  };
#undef QNS
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (IhwDomainInfo) d = ihw_domain_parse_xml (cases[i].xml, strlen (cases[i].xml), &error);
      guint64 v = 99;
      g_assert_no_error (error);
      g_assert_cmpstr (d->model, ==, "intel");
      if (cases[i].want < 0)
        g_assert_false (ihw_request_get (&d->request, "caching-mode", NULL));
      else
        {
          g_assert_true (ihw_request_get (&d->request, "caching-mode", &v));
          g_assert_cmpuint (v, ==, (guint64) cases[i].want);
        }
    }
}

static IhwDomainInfo *
parse_str (const char *xml)
{
  g_autoptr (GError) error = NULL;
  IhwDomainInfo *d = ihw_domain_parse_xml (xml, strlen (xml), &error);
  g_assert_no_error (error);
  return d;
}

static gboolean
ignored_has (IhwDomainInfo *d, const char *needle)
{
  for (guint i = 0; i < d->ignored->len; i++)
    if (strstr (d->ignored->pdata[i], needle))
      return TRUE;
  return FALSE;
}

/* <devices><emulator>: the QEMU the hook asks for its version. */
static void
test_emulator (void)
{
  g_autoptr (IhwDomainInfo) plain = parse_fixture ("nest-intel-server.xml", NULL);
  g_autoptr (IhwDomainInfo) ok = parse_str ("<domain><devices>\n  <emulator> /usr/bin/qemu-system-x86_64\n</emulator>"
                                            "</devices></domain>");
  g_autoptr (IhwDomainInfo) rel = parse_str ("<domain><devices><emulator>qemu-kvm</emulator></devices></domain>");
  g_autoptr (IhwDomainInfo) empty = parse_str ("<domain><devices><emulator/></devices></domain>");
  g_autoptr (IhwDomainInfo) ctl = parse_str ("<domain><devices><emulator>/usr/bin/qemu&#10;x</emulator></devices></domain>");
  g_autoptr (IhwDomainInfo) outside = parse_str ("<domain><emulator>/usr/bin/qemu</emulator></domain>");
  g_autoptr (IhwDomainInfo) huge = NULL;
  g_autoptr (GString) xml = g_string_new ("<domain><devices><emulator>/");

  g_assert_null (plain->emulator); /* absent: nothing noted */
  g_assert_false (ignored_has (plain, "<emulator>"));
  g_assert_cmpstr (ok->emulator, ==, "/usr/bin/qemu-system-x86_64");
  g_assert_cmpuint (ok->ignored->len, ==, 0);
  g_assert_null (rel->emulator);
  g_assert_true (ignored_has (rel, "not an absolute path"));
  g_assert_null (empty->emulator);
  g_assert_true (ignored_has (empty, "empty"));
  g_assert_null (ctl->emulator);
  g_assert_true (ignored_has (ctl, "control characters"));
  g_assert_null (outside->emulator); /* only <devices><emulator> counts */

  for (guint i = 0; i < IHW_DOMAIN_EMULATOR_MAX; i++)
    g_string_append_c (xml, 'q');
  g_string_append (xml, "</emulator></devices></domain>");
  huge = parse_str (xml->str);
  g_assert_null (huge->emulator);
  g_assert_true (ignored_has (huge, "longer than 1024 bytes"));
  /* the note itself stays short */
  for (guint i = 0; i < huge->ignored->len; i++)
    g_assert_cmpuint (strlen (huge->ignored->pdata[i]), <, 200);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/domain/intel", test_intel);
  g_test_add_func ("/domain/smmuv3", test_smmuv3);
  g_test_add_func ("/domain/caching-mode", test_caching_mode);
  g_test_add_func ("/domain/commandline-and-plain", test_commandline_and_plain);
  g_test_add_func ("/domain/hostile", test_hostile);
  g_test_add_func ("/domain/read-deadline", test_read_deadline);
  g_test_add_func ("/domain/bad", test_bad);
  g_test_add_func ("/domain/nesting-requested", test_nesting_requested);
  g_test_add_func ("/domain/emulator", test_emulator);
  return g_test_run ();
}
