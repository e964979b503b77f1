/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fault injection for tests, modelled on the kernel's fail_nth
 * (tools/testing/selftests/iommu/iommufd_fail_nth.c): arm "fail the Nth
 * call" of some kinds (ihw-sys.h), run one scenario, read back whether
 * anything failed; repeat for N = 1, 2, … until a run completes with no
 * injected failure, so every call on the scenario's path has failed once.
 *
 * Only in the test build (`iommu-hwinfod-failnth`, compiled with
 * -DIHW_FAIL_NTH); the installed daemon has none of it.  Armed
 *
 *   - at start-up from the environment: IHW_FAIL_NTH=N and
 *     IHW_FAIL_KINDS=alloc,open,read,ioctl (default: all), counting from
 *     the first call of main(); IHW_FAIL_NTH_REPORT=FILE gets the failed
 *     call's name when it fails, for a daemon that then exits;
 *   - per request by the test, through io.iommuhwinfo1.FailNth on the
 *     manager object (a connection filter, outside the exported API):
 *     Arm(u nth, s kinds) counts from the call after its own reply;
 *     Disarm() -> (u calls, s fired) stops it and says how many calls were
 *     counted and which one failed ("" when none did: the scenario's path
 *     has fewer than N calls, the loop is done).
 *
 * Only one call fails per arming, as with fail_nth: the error path itself
 * runs unhindered, which is what is under test.
 */
#pragma once

#include <dbus/dbus.h>

#include "ihw-sys.h"

G_BEGIN_DECLS

#define IHW_FAIL_NTH_INTERFACE "io.iommuhwinfo1.FailNth"

#ifdef IHW_FAIL_NTH
void ihw_fail_nth_arm_from_env (void);
gboolean ihw_fail_nth_attach (DBusConnection *conn);
void ihw_fail_nth_detach (DBusConnection *conn);
#else
static inline void
ihw_fail_nth_arm_from_env (void)
{
}
static inline gboolean
ihw_fail_nth_attach (DBusConnection *conn)
{
  return TRUE;
}
static inline void
ihw_fail_nth_detach (DBusConnection *conn)
{
}
#endif

G_END_DECLS
