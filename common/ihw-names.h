/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names shared by the daemon and its clients: PCI addresses, object paths. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define IHW_DBUS_NAME "io.iommuhwinfo1"
#define IHW_DBUS_PATH "/io/iommuhwinfo1"
#define IHW_DBUS_UNIT_PATH_PREFIX "/io/iommuhwinfo1/unit/"
#define IHW_DBUS_DEVICE_PATH_PREFIX "/io/iommuhwinfo1/device/"
#define IHW_DBUS_MANAGER_IFACE "io.iommuhwinfo1.Manager"
#define IHW_DBUS_UNIT_IFACE "io.iommuhwinfo1.Unit"
#define IHW_DBUS_DEVICE_IFACE "io.iommuhwinfo1.Device"

/* Upper bounds on request sizes (SPEC §7: bounded input). */
#define IHW_MAX_DEVICES_PER_REQUEST 256
#define IHW_MAX_NAME_LEN 64

/* "DDDD:BB:DD.F", lower- or upper-case hex, exactly (sysfs prints lower). */
gboolean ihw_pci_address_valid (const char *address);
/* Lower-cased copy of a valid address, or NULL. */
char *ihw_pci_address_normalize (const char *address);
/* A valid address in the one form the kernel prints ("%04x:%02x:%02x.%d",
 * lower-case hex): what sysfs names are accepted as, so that one device
 * has one name inside the daemon. */
gboolean ihw_pci_address_canonical (const char *address);

/* A D-Bus object path element for a name, one-to-one: [A-Za-z0-9] stay,
 * every other byte becomes '_' and two lower-case hex digits ("dmar.1" ->
 * "dmar_2e1", "dmar_1" -> "dmar_5f1"); "" becomes "_".  Unescape reverses
 * it and refuses (NULL) anything escape does not produce. */
char *ihw_object_path_escape (const char *name);
char *ihw_object_path_unescape (const char *element);
/* Unit paths escape the unit name.  Device paths keep SPEC §4's
 * "0000_3a_00_0" for canonical addresses (fixed positions, so one-to-one). */
char *ihw_device_object_path (const char *address);
char *ihw_unit_object_path (const char *unit);
/* The name back from a path; NULL when the path is not such a path. */
char *ihw_device_path_address (const char *path);
char *ihw_unit_path_name (const char *path);

G_END_DECLS
