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
