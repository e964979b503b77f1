/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fail-nth tests' side of daemon/ihw-fail-nth.h: arm "fail the Nth
 * call" in iommu-hwinfod-failnth, read back what failed, and the checks
 * every run must pass — the daemon still serves, a failed call says so
 * with a typed error, no answer is definite and different from a clean
 * run's, and a Refresh without injection restores the clean run's state.
 */
#pragma once

#include "ihw-test-bus.h"

/* Lets the test (root) reach the FailNth control interface. */
#define IHW_TEST_FAIL_NTH_POLICY                                                                       \
  "<policy context=\"default\"><allow send_destination=\"io.iommuhwinfo1\" "                           \
  "send_interface=\"io.iommuhwinfo1.FailNth\"/></policy>"

/* Far above any scenario's path: a loop that gets here never ends. */
#define IHW_TEST_FAIL_MAX_NTH 5000

/* What a clean run answers. */
typedef struct {
  GVariant *state;     /* ihw_test_state () */
  GPtrArray *devices;  /* addresses (char *) */
  GHashTable *verdicts; /* "model device" -> verdict of CheckNesting (model, [device], {}) */
  GHashTable *nesting_models; /* set of the Manager's NestingModels */
} IhwTestClean;

/* Everything a client can see that a fault could corrupt: GetManagedObjects
 * (without the UpdatedUsec time stamps) and the Manager's properties. */
GVariant *ihw_test_state (IhwTestBus *tb);

void ihw_test_clean_init (IhwTestClean *c, IhwTestBus *tb);
void ihw_test_clean_clear (IhwTestClean *c);

/* Fail the `nth` call of `kinds` ("alloc,open,read,ioctl"; "" all) from
 * the next call on. */
void ihw_test_fail_arm (IhwTestBus *tb, guint nth, const char *kinds);
/* Stops counting; the call that failed ("" when none did: the scenario
 * had fewer than N calls).  `calls`: how many were counted. */
char *ihw_test_fail_disarm (IhwTestBus *tb, guint *calls);

/* The daemon answers a Peer.Ping and a property read. */
void ihw_test_assert_serving (IhwTestBus *tb);
/* A failed call failed with one of the project's typed errors. */
void ihw_test_assert_typed_error (const GError *error, const char *fired);
/* Every device clean runs know is still there, and for each model and
 * device the verdict is the clean one or `unknown` (or a typed error);
 * NestingModels claims no model the clean run does not; a device's
 * NestParent is the clean one or `unknown`. */
void ihw_test_assert_no_wrong_answer (IhwTestBus *tb, const IhwTestClean *c, const char *fired);
/* Refresh (everything) without injection gives the clean run's state. */
void ihw_test_assert_restored (IhwTestBus *tb, const IhwTestClean *c, const char *fired);

/* SIGTERM; the daemon must exit 0 (a leak under ASan or valgrind does not). */
void ihw_test_fail_stop (IhwTestBus *tb, const char *fired);

/* A test's own checks around each start-up run. */
typedef struct {
  void (*before_start) (gpointer data);
  /* The daemon is up; `fired` "" for the last, clean run. */
  void (*after_run) (const char *fired, gpointer data);
  gpointer data;
} IhwTestFailHooks;

/* One method call as a fail-nth scenario. */
typedef struct {
  const char *name;
  const char *path, *iface, *method;
  GVariant *(*args) (void); /* a new (floating) argument tuple, or NULL */
  /* The answer may differ from a clean run's only by saying less: index of
   * a verdict in the reply that may become "unknown" (-1: none). */
  int verdict_child;
  gboolean changes_state; /* Refresh: check the cache, then restore it */
} IhwTestFailRequest;

/* The request with its Nth call failed (FailNth.Arm), N = 1, 2, … until a
 * call has nothing failed, on the running daemon.  Each time: a typed error
 * or the clean answer (or a verdict `unknown`); then, for a request that
 * changes state, the checks above and a restoring Refresh, else exactly
 * the clean state.  `hooks->after_run` runs after each (before_start is
 * not used).  Returns how many calls failed. */
guint ihw_test_fail_nth_request (IhwTestBus *tb, const IhwTestClean *c, const IhwTestFailRequest *r,
                                 const IhwTestFailHooks *hooks);

/* Start-up with the Nth call failed (IHW_FAIL_NTH), N = 1, 2, … until a
 * start has nothing failed; the daemon is stopped on entry and on return.
 * A start either serves and passes the checks above, or exits 1 because one
 * of `fatal` failed (the calls without which nothing true can be served).
 * Returns how many calls failed; `exits`: how many stopped the start. */
guint ihw_test_fail_nth_startup (IhwTestBus *tb, const char *const *args, const IhwTestClean *c,
                                 const char *const *fatal, const IhwTestFailHooks *hooks, guint *exits);
