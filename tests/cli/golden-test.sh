#!/bin/sh
# One golden-file test of iommu-hwinfoctl:
#
#   golden-test.sh CTL GOLDEN EXPECTED_EXIT [ARG...]
#
# runs `CTL ARG...` and compares its stdout with GOLDEN.out, its stderr with
# GOLDEN.err and its exit status with EXPECTED_EXIT.
#
# IHW_UPDATE_GOLDEN=1 writes GOLDEN.out/.err from this run instead of
# comparing (the exit status is still checked).  Read every rewritten file
# (git diff) before committing it: a golden is a claim that the output is
# right, not a record of what it happened to be.
set -u
ctl=$1 golden=$2 want=$3
shift 3

out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

# IHW_TEST_WRAPPER (e.g. valgrind, from tests/run-all.sh) runs the binary
# under a checker; the golden comparison stays the same.
# shellcheck disable=SC2086
LC_ALL=C ${IHW_TEST_WRAPPER:-} "$ctl" "$@" >"$out" 2>"$err"
rc=$?

fail=0
if [ "$rc" != "$want" ]; then
  echo "exit status $rc, expected $want: $ctl $*"
  fail=1
fi
if [ "${IHW_UPDATE_GOLDEN:-0}" = 1 ]; then
  cp "$out" "$golden.out"
  cp "$err" "$golden.err"
  echo "updated $golden.out $golden.err"
else
  for s in out err; do
    f=$out; [ $s = err ] && f=$err
    if ! diff -u "$golden.$s" "$f"; then
      echo "std$s differs from $golden.$s (IHW_UPDATE_GOLDEN=1 rewrites it)"
      fail=1
    fi
  done
fi
exit $fail
