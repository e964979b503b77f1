/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Negotiate (SPEC §4): the maximal vIOMMU configuration every listed
 * device's IOMMU honours, and the verdict for it.  Pure: no I/O.
 *
 * For each request key the model uses, the value is the largest one all
 * devices' registers allow under the requirement rows (ihw-rules.c): the
 * smallest common aw-bits / oas / ssid-size / pasid-bits, fs1gp / ril / ats
 * only if every device's IOMMU has the feature, then narrowed to what the
 * QEMU version accepts (aw-bits 48 with x-flts, oas 44|48, ...).  Keys the
 * request gives are taken as given.  The result is then checked with
 * ihw_check_nesting(), so the verdict and reasons are those of the
 * configuration returned.  Devices under different IOMMU units are simply
 * intersected.
 */
#pragma once

#include "ihw-verdict.h"

G_BEGIN_DECLS

typedef struct {
  IhwModel model;
  guint qemu;              /* IHW_QEMU(maj, min) of the profile used */
  IhwVerdict verdict;      /* == result->verdict */
  IhwResult *result;       /* reasons and notes for `config` */
  IhwRequest config;       /* the configuration; qemu-version always set */
  GPtrArray *devices;      /* char *, the device addresses, in order */
} IhwNegotiation;

/* `req` may be NULL.  The QEMU profile is req's qemu-version, else
 * `default_qemu` (the daemon's configured host QEMU), else the newest. */
IhwNegotiation *ihw_negotiate_full (IhwModel model, const IhwDeviceFacts *devices, guint n_devices,
                                    const IhwRequest *req, guint default_qemu);
IhwNegotiation *ihw_negotiate (IhwModel model, const IhwDeviceFacts *devices, guint n_devices,
                               const IhwRequest *req);
void ihw_negotiation_free (IhwNegotiation *n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IhwNegotiation, ihw_negotiation_free)

/* The configuration as a{sv} with the SPEC request keys (qemu-version s,
 * aw-bits u, fs1gp b, pasid-bits u, ssid-size u, oas u, ril b, ats b); only
 * the keys that apply to the model.  Full reference. */
GVariant *ihw_negotiation_config (const IhwNegotiation *n);

/* "<iommu model='intel'><driver intremap='on' .../></iommu>", with only
 * attributes a released libvirt accepts (ihw_libvirt_attrs()); "" unless
 * the verdict is supported.  What libvirt cannot say is in result->notes. */
char *ihw_negotiation_libvirt_xml (const IhwNegotiation *n);

/* The QEMU arguments, as an argv fragment ("-object", "iommufd,id=iommufd0",
 * "-device", "intel-iommu,...,aw-bits=48,fs1gp=on", "-device",
 * "vfio-pci,host=0000:3a:00.0,iommufd=iommufd0", ...); empty unless the
 * verdict is supported.  Free with g_strfreev(). */
char **ihw_negotiation_qemu_args (const IhwNegotiation *n);

G_END_DECLS
