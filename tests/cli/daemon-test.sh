#!/bin/sh
# The daemon commands of iommu-hwinfoctl against a REAL dbus-daemon on a
# private bus and the REAL iommu-hwinfod over recorded hosts:
#
#   daemon-test.sh down CTL GOLDEN_DIR FIXTURES_DIR
#       the bus up, the daemon down (and no bus at all): exit 69
#   daemon-test.sh daemon CTL GOLDEN_DIR FIXTURES_DIR [IOMMU_HWINFOD]
#       every command against the daemon over each host listed in
#       tests/cli/hosts.list; skipped (77) while the daemon is not built.
#
# Goldens: GOLDEN_DIR/daemon/<case>.{out,err,rc};
# IHW_UPDATE_GOLDEN=1 rewrites them (read every diff before committing).
# Times (UpdatedUsec) are replaced by @TIME@ before comparing.
set -u
mode=$1 ctl=$2 golden=$3/daemon fixtures=$4 daemon=${5:-}
hosts_list=$(dirname "$0")/hosts.list

if [ "$mode" = daemon ] && { [ -z "$daemon" ] || [ ! -x "$daemon" ]; }; then
  echo "iommu-hwinfod is not built (needs the dbus and registry branches): skipped"
  exit 77
fi

. "$(dirname "$0")/../lib/private-bus.sh"

# A fixed-length path: goldens show it as @TMP@, and aligned columns must not
# depend on $TMPDIR.
tmp=$(mktemp -d /tmp/ihw-cli.XXXXXX)
cleanup() {
  ihw_bus_stop
  rm -rf "$tmp"
}
trap cleanup EXIT
chmod 755 "$tmp"
mkdir -p "$golden"

ihw_bus_start "$tmp" || exit 1

failures=0
normalize() {
  sed -e 's/"updated_usec" *: *[0-9]*/"updated_usec" : @TIME@/g' \
      -e 's/UpdatedUsec=[0-9]*/UpdatedUsec=@TIME@/g' \
      -e 's/^\(  Updated  *\).*/\1@TIME@/' \
      -e "s|$tmp|@TMP@|g"
}

# case NAME EXPECTED_EXIT [--as-nobody] ARG...
case_() {
  name=$1 want=$2; shift 2
  runner=""
  if [ "${1:-}" = --as-nobody ]; then
    shift
    if command -v setpriv >/dev/null; then
      runner="setpriv --reuid=nobody --regid=nogroup --clear-groups"
    else
      runner="runuser -u nobody --"
    fi
  fi
  LC_ALL=C $runner "$ctl" "$@" </dev/null >"$tmp/out.raw" 2>"$tmp/err.raw"
  rc=$?
  normalize <"$tmp/out.raw" >"$tmp/out"
  normalize <"$tmp/err.raw" >"$tmp/err"
  if [ "$rc" != "$want" ]; then
    echo "FAIL $name: exit $rc, expected $want ($*)"; cat "$tmp/err"
    failures=$((failures + 1))
  fi
  if [ "${IHW_UPDATE_GOLDEN:-0}" = 1 ]; then
    cp "$tmp/out" "$golden/$name.out"; cp "$tmp/err" "$golden/$name.err"
  else
    for s in out err; do
      if ! diff -u "$golden/$name.$s" "$tmp/$s"; then
        echo "FAIL $name: std$s differs from $golden/$name.$s"
        failures=$((failures + 1))
      fi
    done
  fi
}

# --- bus up, daemon down: 69 with a message saying how to start it -------
if [ "$mode" = down ]; then
  case_ down-list 69 list
  case_ down-check 69 check intel 0000:00:02.0
  case_ down-refresh 69 refresh
  case_ down-json-show 69 --json show 0000:00:02.0
  case_ down-negotiate 69 negotiate intel 0000:00:02.0 --format libvirt
  DBUS_SYSTEM_BUS_ADDRESS="unix:path=$tmp/no-such-bus" case_ no-bus-list 69 list
  echo "$failures failures"
  [ $failures = 0 ]
  exit
fi

# --- the real daemon over a recorded host ----------------------------------
start_daemon() { # host
  ihw_daemon_start "$daemon" "$fixtures/hosts/$1" "$ctl" "$tmp/daemon.log" || exit 1
}
stop_daemon() {
  ihw_daemon_stop
}

# hosts.list: "HOST DEVICE UNIT MODEL CHECK_RC NEGOTIATE_RC" per line; HOST
# names a directory of tests/fixtures/hosts/, DEVICE a vfio-pci device there,
# UNIT its IOMMU unit; the exit codes are the verdicts expected.
grep -v '^#' "$hosts_list" | while read -r host DEVICE UNIT MODEL CHECK_RC NEGOTIATE_RC; do
  [ -n "$host" ] || continue
  if [ ! -d "$fixtures/hosts/$host" ]; then
    echo "FAIL: hosts.list names $host, which tests/fixtures/hosts/ does not have"
    failures=$((failures + 1))
    continue
  fi
  start_daemon "$host"
  for json in "" --json; do
    j=${json:+-json}
    case_ "$host-list$j" 0 $json list
    case_ "$host-show-device$j" 0 $json show "$DEVICE"
    case_ "$host-show-unit$j" 0 $json show "$UNIT"
    case_ "$host-show-missing$j" 65 $json show 0000:ff:1f.7
    # check: the exit code is the verdict hosts.list states
    case_ "$host-check$j" "$CHECK_RC" $json check "$MODEL" "$DEVICE"
    case_ "$host-check-virtio$j" 1 $json check virtio "$DEVICE"
    case_ "$host-check-missing$j" 65 $json check "$MODEL" 0000:ff:1f.7
    # a QEMU that refuses: the reason says what to change ("fix" in JSON)
    case_ "$host-check-qemu-10.0$j" 1 $json check "$MODEL" "$DEVICE" --qemu-version 10.0
    if [ "$MODEL" = smmuv3 ]; then
      case_ "$host-check-cmdqv-qemu-11.0$j" 1 $json check smmuv3 "$DEVICE" --qemu-version 11.0 --cmdqv
    fi
    case_ "$host-negotiate$j" "$NEGOTIATE_RC" $json negotiate "$MODEL" "$DEVICE"
    case_ "$host-refresh$j" 0 $json refresh "$DEVICE"
    case_ "$host-refresh-nobody$j" 77 --as-nobody $json refresh
  done
  for f in libvirt qemu; do
    case_ "$host-negotiate-$f" "$NEGOTIATE_RC" negotiate "$MODEL" "$DEVICE" --format "$f"
  done

  # monitor: a refresh announces changes (or none), the daemon leaving is
  # always announced; SIGINT ends it with 0.
  for json in "" --json; do
    j=${json:+-json}
    LC_ALL=C "$ctl" $json monitor >"$tmp/mon.raw" 2>"$tmp/mon.err" &
    mon=$!
    sleep 0.5
    "$ctl" refresh >/dev/null
    stop_daemon
    sleep 0.5
    start_daemon "$host"
    sleep 0.3
    kill -INT "$mon"; wait "$mon"; rc=$?
    [ $rc = 0 ] || { echo "FAIL monitor$j: exit $rc after SIGINT"; failures=$((failures + 1)); }
    normalize <"$tmp/mon.raw" >"$tmp/out"
    grep -q 'stopped' "$tmp/out" || { echo "FAIL monitor$j: no 'stopped' event"; failures=$((failures + 1)); }
    grep -q 'started' "$tmp/out" || { echo "FAIL monitor$j: no 'started' event"; failures=$((failures + 1)); }
    if [ -n "$json" ]; then
      while read -r line; do
        printf '%s\n' "$line" | python3 -c 'import json,sys; json.loads(sys.stdin.read())' ||
          { echo "FAIL monitor --json: not one JSON object per line: $line"; failures=$((failures + 1)); }
      done <"$tmp/out"
    fi
  done
  stop_daemon
  echo "$failures" >"$tmp/failures"
done
[ -f "$tmp/failures" ] && failures=$(cat "$tmp/failures")

echo "$failures failures"
[ $failures = 0 ]
