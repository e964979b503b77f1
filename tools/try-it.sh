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
    printf "host %-12s %-66s model verdict: exit %s\n" "$verdict" "$desc" "$rc"
  done
}

if [ ! -x "$daemon" ]; then
  decode_fixtures
  exit 0
fi

# A private bus with the project's own policy file (tests/lib/private-bus.sh).
. "$top/tests/lib/private-bus.sh"
run=$(mktemp -d /tmp/iommu-hwinfod-try.XXXXXX)
cleanup() {
  ihw_bus_stop
  rm -rf "$run"
}
trap cleanup EXIT INT TERM HUP PIPE
ihw_bus_start "$run" "$top/dbus/io.iommuhwinfo1.conf"

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
ihw_daemon_pid=$!
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
