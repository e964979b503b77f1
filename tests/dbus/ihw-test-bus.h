/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test environment for the `dbus` suite: a private dbus-daemon with the
 * project's own policy, the real iommu-hwinfod on it over a sysfs tree,
 * and helpers to build such trees in the kernel's shape (SPEC §3).
 */
#pragma once

#include <gio/gio.h>

typedef struct {
  char *tmpdir;
  char *bus_address;
  GPid bus_pid;
  GPid daemon_pid;
  GDBusConnection *conn;   /* root's (the test's) client connection */
} IhwTestBus;

/* Starts dbus-daemon with a system-like config that includes `policy`. */
void ihw_test_bus_start (IhwTestBus *tb, const char *policy);
/* The same with more <policy> XML in the bus's own config. */
void ihw_test_bus_start_with (IhwTestBus *tb, const char *policy, const char *extra_policy);
/* Starts the daemon (args after argv[0]) and waits until it owns the name. */
void ihw_test_daemon_start (IhwTestBus *tb, const char *const *args);
/* The same with more environment (NAME, VALUE, …, NULL); FALSE with the
 * wait status when the daemon exits before owning the name. */
gboolean ihw_test_daemon_try_start (IhwTestBus *tb, const char *const *args, const char *const *env, int *status);
/* SIGTERM, wait; returns the wait status. */
int ihw_test_daemon_stop (IhwTestBus *tb);
void ihw_test_bus_stop (IhwTestBus *tb);
/* A kB field of /proc/PID/status ("VmRSS", "RssAnon"). */
guint64 ihw_test_proc_status_kib (GPid pid, const char *field);

/* A method call to the daemon as root (30 s timeout); _ok asserts success. */
GVariant *ihw_test_call (IhwTestBus *tb, const char *path, const char *iface, const char *method, GVariant *args,
                         GError **error);
GVariant *ihw_test_call_ok (IhwTestBus *tb, const char *path, const char *iface, const char *method,
                            GVariant *args);

/* A minimal host under `root`. */
void ihw_test_host_unit_vtd (const char *root, const char *unit, const char *cap, const char *ecap);
/* unit/driver may be NULL; group < 0: none; vfio < 0: no cdev. */
void ihw_test_host_device (const char *root, const char *bdf, const char *unit, int group, const char *driver,
                           int vfio);
void ihw_test_host_remove_device (const char *root, const char *bdf, const char *unit);
