#!/bin/sh
# README command 1: install what is missing, build, and run the main job:
# iommu-hwinfod on a private D-Bus bus over this host's real sysfs — or, when
# this host has no IOMMU, over a bundled recorded host (a banner says which) —
# then `iommu-hwinfoctl list` and a `check` through it.  Without a daemon
# build (early trees) it decodes the recorded register fixtures offline.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

./tools/install-deps.sh
if [ ! -f _build/main/build.ninja ]; then
  meson setup _build/main >/dev/null
fi
ninja -C _build/main >/dev/null
ctl=_build/main/client/iommu-hwinfoctl
daemon=_build/main/daemon/iommu-hwinfod

banner() {
  echo "=================================================================="
  echo " $*"
  echo "=================================================================="
}

decode_fixtures() {
  banner "iommu-hwinfod: recorded hosts (tests/fixtures/registers), offline decode"
  for f in tests/fixtures/registers/*.ini; do
    vendor=$(sed -n 's/^vendor=//p' "$f")
    input=$(sed -n 's/^input=//p' "$f")
    desc=$(sed -n 's/^description=//p' "$f" | cut -c1-70)
    case "$vendor" in
      intel-vtd) v=intel ;; amd-vi) v=amd ;; arm-smmuv3) v=smmuv3 ;; *) continue ;;
    esac
    rc=0
    out=$("$ctl" decode "$v" "$input" 2>&1) || rc=$?
    verdict=$(printf '%s\n' "$out" | sed -n "s/^Host IOMMU and kernel can be a nest parent: //p")
    printf "host %-12s %-70s qemu: exit %s\n" "$verdict" "$desc" "$rc"
  done
}

if [ ! -x "$daemon" ]; then
  decode_fixtures
  exit 0
fi

# A private bus with the project's own policy file.
run=$(mktemp -d /tmp/iommu-hwinfod-try.XXXXXX)
cleanup() {
  [ -n "${dpid:-}" ] && kill "$dpid" 2>/dev/null || true
  [ -n "${bpid:-}" ] && kill "$bpid" 2>/dev/null || true
  rm -rf "$run"
}
trap cleanup EXIT INT TERM
cat >"$run/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$run/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_destination="org.freedesktop.DBus"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
  </policy>
  <include>$top/dbus/io.iommuhwinfo1.conf</include>
</busconfig>
CONF
dbus-daemon --config-file="$run/bus.conf" --nofork --nopidfile &
bpid=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -S "$run/bus" ] && break; sleep 0.2; done
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$run/bus"

if [ -n "$(ls -A /sys/class/iommu 2>/dev/null)" ]; then
  root=/sys
  banner "iommu-hwinfod over THIS HOST's sysfs (/sys), private bus, probing: $( [ "$(id -u)" = 0 ] && echo yes || echo no)"
  probe=""
  [ "$(id -u)" = 0 ] || probe="--no-probe"
else
  root=$top/tests/fixtures/hosts/intel-server-nesting
  banner "This host has no IOMMU: iommu-hwinfod over a RECORDED host ($(basename "$root")), private bus"
  probe="--no-probe --dev-root $root/dev"
fi
# shellcheck disable=SC2086
"$daemon" --sysfs-root "$root" $probe &
dpid=$!
for _ in $(seq 1 50); do
  "$ctl" list >/dev/null 2>&1 && break
  sleep 0.1
done

echo "\$ iommu-hwinfoctl list"
"$ctl" list || true
dev=$("$ctl" --json list 2>/dev/null | python3 -c '
import json,sys
d=json.load(sys.stdin)
devs=[x for x in d.get("devices",[]) if x.get("unit")]
print(devs[0]["address"] if devs else "")' 2>/dev/null || true)
if [ -n "$dev" ]; then
  for model in intel smmuv3; do
    echo
    echo "\$ iommu-hwinfoctl check $model $dev"
    "$ctl" check "$model" "$dev" || true
  done
fi
echo
decode_fixtures
