#!/bin/sh
# The whole test suite, as README and .ci/run call it.
#
#   1. installs what is missing (tools/install-deps.sh; needs root only then)
#   1b. kernel-patches/build.sh: the unpatched and patched kernels and their
#       selftests (cached; a fresh machine builds for ~20 min), for the vm suite
#   2. gcc build with -Werror: every suite but bench
#   3. clang build with ASan+UBSan and libFuzzer: every suite but bench, vm and deb
#   3b. gcc build again under valgrind: the unit and cli suites, and the
#       daemon itself through the dbus-api test and dbus-fail-nth's request
#       scenarios
#   4. prints one line: "N passed, N failed, N skipped"
#
# IHW_TEST_SANITIZE=0 skips step 3 (quick local runs); IHW_TEST_ARGS adds
# arguments to `meson test` (e.g. "--suite unit"); IHW_KERNEL_DIR, when set,
# is used as build.sh's output instead of running it.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

./tools/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }

builds=""
fail_setup=0

configure() { # dir, then meson setup args
  dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >"$dir.setup.log" 2>&1
  else
    mkdir -p "$(dirname "$dir")"
    meson setup "$dir" "$@" >"$dir.setup.log" 2>&1
  fi || { echo "meson setup $dir failed:"; cat "$dir.setup.log"; return 1; }
}

run_build() { # name, dir, suites-to-skip...
  name=$1; dir=$2; shift 2
  skip=""
  for s in "$@"; do skip="$skip --no-suite $s"; done
  echo "== $name: building"
  if ! ninja -C "$dir" >"$dir.build.log" 2>&1; then
    cat "$dir.build.log"
    echo "== $name: build FAILED"
    fail_setup=$((fail_setup + 1))
    return
  fi
  echo "== $name: testing"
  rm -f "$dir/meson-logs/testlog.json"
  # shellcheck disable=SC2086
  meson test -C "$dir" --print-errorlogs --num-processes 2 $skip ${IHW_TEST_ARGS:-} || true
  builds="$builds $name=$dir"
}

run_valgrind() { # name, dir: memcheck over the pure-code suites
  name=$1; dir=$2
  echo "== $name: testing under valgrind"
  rm -f "$dir/meson-logs/valgrind-testlog-valgrind.json" "$dir/meson-logs/valgrind-cli-testlog.json"
  # unit tests are C programs: meson's valgrind wrapper runs them; the CLI
  # golden tests are scripts, so the binary inside gets the wrapper.
  meson test -C "$dir" --setup valgrind --suite unit --print-errorlogs --num-processes 2 \
    --logbase valgrind-testlog ${IHW_TEST_ARGS:-} || true
  IHW_TEST_WRAPPER="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
--suppressions=/usr/share/glib-2.0/valgrind/glib.supp" \
    meson test -C "$dir" --suite cli-golden --print-errorlogs --num-processes 2 \
    --logbase valgrind-cli-testlog ${IHW_TEST_ARGS:-} || true
  # The real daemon under memcheck through the D-Bus API suite: a leak in
  # any method makes it exit 99 at SIGTERM, which /dbus/sigterm refuses.
  rm -f "$dir/meson-logs/valgrind-dbus-testlog.json"
  IHW_DAEMON_WRAPPER="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
--suppressions=/usr/share/glib-2.0/valgrind/glib.supp" \
    meson test -C "$dir" dbus-api --print-errorlogs --num-processes 1 \
    --logbase valgrind-dbus-testlog ${IHW_TEST_ARGS:-} || true
  # Fault injection under memcheck: the request scenarios of dbus-fail-nth
  # on one daemon (its start-up scenario restarts the daemon for every N,
  # too slow under valgrind; ASan's LeakSanitizer covers it in step 3).
  rm -f "$dir/meson-logs/valgrind-fail-nth-testlog.json"
  IHW_DAEMON_WRAPPER="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
--suppressions=/usr/share/glib-2.0/valgrind/glib.supp" \
    meson test -C "$dir" dbus-fail-nth --test-args '-s /fail-nth/startup' --print-errorlogs --num-processes 1 \
    --logbase valgrind-fail-nth-testlog ${IHW_TEST_ARGS:-} || true
  builds="$builds $name=$dir/meson-logs/valgrind-testlog-valgrind.json"
  builds="$builds $name-cli=$dir/meson-logs/valgrind-cli-testlog.json"
  builds="$builds $name-dbus=$dir/meson-logs/valgrind-dbus-testlog.json"
  builds="$builds $name-fail-nth=$dir/meson-logs/valgrind-fail-nth-testlog.json"
}

mkdir -p _build

# The vm suite's kernels.  Without them its tests fail and say why
# (IHW_KERNEL_PROBLEM): CI builds the kernel, a skip would prove nothing.
if [ -n "${IHW_KERNEL_DIR:-}" ]; then
  echo "== kernel: IHW_KERNEL_DIR=$IHW_KERNEL_DIR (given; kernel-patches/build.sh not run)"
elif [ ! -x kernel-patches/build.sh ]; then
  IHW_KERNEL_PROBLEM="kernel-patches/build.sh is missing: no kernel to boot"
  export IHW_KERNEL_PROBLEM
  echo "== kernel: $IHW_KERNEL_PROBLEM"
else
  echo "== kernel: kernel-patches/build.sh (output _build/kernel-build.{out,log})"
  kstart=$(date +%s)
  if ./kernel-patches/build.sh >_build/kernel-build.out 2>_build/kernel-build.log; then
    # its last line on stdout is the output directory
    IHW_KERNEL_DIR=$(grep . _build/kernel-build.out | tail -n 1)
    export IHW_KERNEL_DIR
    echo "== kernel: $IHW_KERNEL_DIR in $(($(date +%s) - kstart)) s"
    [ -f "$IHW_KERNEL_DIR/timings.txt" ] && sed 's/^/   built: /' "$IHW_KERNEL_DIR/timings.txt"
  else
    tail -n 30 _build/kernel-build.out _build/kernel-build.log
    IHW_KERNEL_PROBLEM="kernel-patches/build.sh failed after $(($(date +%s) - kstart)) s (see _build/kernel-build.log)"
    export IHW_KERNEL_PROBLEM
    echo "== kernel: $IHW_KERNEL_PROBLEM"
  fi
fi

if configure _build/ci-gcc --werror -Dbuildtype=debugoptimized -Dfuzz=disabled; then
  # The real-libvirtd suite (libvirtd 9.0 + journald in a private mount
  # namespace) runs once, in the gcc build: its hook and daemon are the
  # same code the sanitizer build already covers elsewhere.
  IHW_TEST_LIBVIRTD=1
  export IHW_TEST_LIBVIRTD
  run_build gcc _build/ci-gcc bench
  if [ "${IHW_TEST_VALGRIND:-1}" != 0 ] && command -v valgrind >/dev/null; then
    run_valgrind valgrind _build/ci-gcc
  fi
else
  fail_setup=$((fail_setup + 1))
fi

if [ "${IHW_TEST_SANITIZE:-1}" != 0 ]; then
  if CC=clang configure _build/ci-asan --werror -Dbuildtype=debug -Db_sanitize=address,undefined \
       -Db_lundef=false -Dfuzz=enabled; then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      run_build asan _build/ci-asan bench vm deb libvirtd
  else
    fail_setup=$((fail_setup + 1))
  fi
fi

# Count every test of every build from meson's JSON log.
python3 - "$fail_setup" $builds <<'PY'
import json, sys, os
failed_setup = int(sys.argv[1])
passed = failed = skipped = 0
bad = []
for arg in sys.argv[2:]:
    name, d = arg.split("=", 1)
    log = d if d.endswith(".json") else os.path.join(d, "meson-logs", "testlog.json")
    if not os.path.exists(log):
        failed += 1
        bad.append(f"{name}: no test log")
        continue
    for line in open(log):
        t = json.loads(line)
        r = t.get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
            bad.append(f"{name}: {t.get('name')} {r}")
failed += failed_setup
for b in bad:
    print("FAILED", b)
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
