/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a libvirt domain asks of the host IOMMU: the <iommu model=…> with its
 * <driver …/> attributes, and the PCI <hostdev> sources.  Shared by the
 * libvirt hook (domain XML on stdin) and `iommu-hwinfoctl domain-check`
 * (XML from virDomainGetXMLDesc or a file).  Pure: parses a buffer.
 * The XML is untrusted: bounded size, no network, no entity expansion.
 */
#pragma once

#include <glib.h>

#include "ihw-verdict.h"

G_BEGIN_DECLS

/* Larger than any sane domain definition; refuse beyond it. */
#define IHW_DOMAIN_XML_MAX (8 * 1024 * 1024)
#define IHW_DOMAIN_MAX_HOSTDEVS 1024
/* Longest <emulator> path recorded (PATH_MAX is 4096; libvirt's are short). */
#define IHW_DOMAIN_EMULATOR_MAX 1024

typedef struct {
  char *name;            /* <name>, "" if absent */
  char *model;           /* <iommu model>, NULL when the domain has no vIOMMU */
  IhwRequest request;    /* driver attributes mapped to CheckNesting request keys */
  GPtrArray *devices;    /* char *: PCI addresses of <hostdev type='pci'>, "dddd:bb:dd.f" */
  GPtrArray *ignored;    /* char *: attributes seen but not mapped (for --verbose) */
  /* The domain turns nested translation on: intel `x-flts=on` through
   * <qemu:commandline> or <qemu:override> (libvirt has no attribute for
   * it), smmuv3 <driver accel='on'>.  Without it QEMU emulates the vIOMMU
   * (shadow page tables) and never asks the host to nest. */
  gboolean nesting_requested;
  char *nesting_via;     /* what asked for it ("<driver accel='on'>", "x-flts=on"), NULL if nothing */
  /* <devices><emulator>: the QEMU binary libvirt runs for this domain, an
   * absolute path without control characters of at most
   * IHW_DOMAIN_EMULATOR_MAX bytes; NULL when absent or not such a path (then
   * `ignored` says why).  Not checked for existence: parsing does no I/O. */
  char *emulator;
} IhwDomainInfo;

void ihw_domain_info_free (IhwDomainInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IhwDomainInfo, ihw_domain_info_free)

/* Fails with IHW_ERROR_BAD_DATA and a message naming the element and
 * attribute when the XML is malformed, too large, has a DTD (libvirt never
 * writes one; entity declarations are how a small document costs
 * seconds and gigabytes), or has impossible values. */
IhwDomainInfo *ihw_domain_parse_xml (const char *xml, gsize len, GError **error);

/* How long the whole domain XML may take to arrive: libvirt writes it at
 * once, a writer that never closes must not hold a VM start (or a shell)
 * forever. */
#define IHW_DOMAIN_READ_TIMEOUT_MS 10000

/* Set (to "1") by the hook's front for the full hook when the domain XML
 * did not end by that deadline: what arrived is passed on, and the error
 * says the writer held stdin open rather than that the XML is malformed. */
#define IHW_HOOK_STDIN_TIMED_OUT "IHW_HOOK_STDIN_TIMED_OUT"

/* Reads `fd` to its end: at most IHW_DOMAIN_XML_MAX bytes (*too_big when
 * there is more; the rest is left unread), within `timeout_ms` in all.
 * `what` names the input in errors ("the domain XML on stdin"). */
char *ihw_domain_read_fd (int fd, const char *what, guint timeout_ms, gsize *len, gboolean *too_big,
                          GError **error);
/* Opens `path` without blocking (a FIFO with no writer, a device) and reads
 * it as ihw_domain_read_fd() does. */
char *ihw_domain_read_file (const char *path, guint timeout_ms, gsize *len, gboolean *too_big, GError **error);

G_END_DECLS
