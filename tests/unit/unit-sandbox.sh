#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The shipped unit's device policy, applied for real: DevicePolicy=closed
# and its DeviceAllow= lines become a device cgroup exactly as systemd
# writes one on a cgroup-v1 host ("a" denied, then one devices.allow line
# per rule), the real daemon runs inside it, and every node is opened from
# inside it.  A node the rules refuse fails with EPERM; one they let through
# opens or gets its driver's answer (ENXIO/ENODEV for a stand-in major).
#
# Why not systemd-run: systemd is not PID 1 on the machines this runs on
# (CI containers), so there is no manager to ask; the cgroup-v1 devices
# controller is what systemd itself uses on such hosts (on cgroup v2 it
# attaches a BPF program with the same allow list).  Skips (77), saying
# why, when not root or no writable devices controller.
#
# The majors and /dev/iommu are the host's own when it has VFIO and iommufd
# (/proc/devices lists "vfio" and "vfio-dev", /dev/iommu is a character
# node).  Without them (CI machines: no module loaded) the test adds them
# at free majors and gives /dev/iommu a dynamic misc minor, as the kernel
# would, and says so: those are stand-ins, and the rules against the real
# kernel are proven by the vm suite (tests/vm, intel-legacy-patched: the
# real cdev and /dev/iommu, the daemon probing through iommufd from inside
# the rules and the unit's namespaces).
#
#   unit-sandbox.sh UNIT DAEMON SYSFS_ROOT
set -eu
unit=$1 daemon=$2 sysfs=$3

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (mknod, device cgroup)"
cgroot=/sys/fs/cgroup/devices
[ -w "$cgroot/devices.allow" ] || [ -w "$cgroot" ] || skip "no writable cgroup-v1 devices controller at $cgroot"
command -v python3 >/dev/null || skip "needs python3 (opens nodes and reports errno)"

tmp=$(mktemp -d)
cg=$cgroot/ihw-sandbox-$$
cleanup() { rmdir "$cg" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# shellcheck source=../lib/unit-sandbox.sh
. "$(dirname "$0")/../lib/unit-sandbox.sh"

# /proc/devices as a host with vfio and iommufd loaded has it.
free_major() { # lowest char major >= $1 not in the list
  m=$1
  while awk -v m="$m" '/^Character/{c=1;next} /^Block/{c=0} c && $1==m {found=1} END{exit !found}' "$tmp/devices"; do
    m=$((m + 1))
  done
  echo "$m"
}
cp /proc/devices "$tmp/devices"
vfio_major=$(ihw_char_majors "$tmp/devices" vfio)
vfio_dev_major=$(ihw_char_majors "$tmp/devices" vfio-dev)
if [ -n "$vfio_major" ] && [ -n "$vfio_dev_major" ] && [ -c /dev/iommu ]; then
  real=1
  iommu_minor=$(printf '%d' "0x$(stat -c %T /dev/iommu)")
  echo "this host's vfio ($vfio_major), vfio-dev ($vfio_dev_major) and /dev/iommu (10:$iommu_minor)"
else
  real=0
  vfio_major=$(free_major 234)
  sed -i "/^Character devices:/a\\$vfio_major vfio" "$tmp/devices"
  vfio_dev_major=$(free_major "$((vfio_major + 1))")
  sed -i "/^Character devices:/a\\$vfio_dev_major vfio-dev" "$tmp/devices"
  iommu_minor=121
  echo "LIMITATION: no vfio/vfio-dev major or /dev/iommu on this host: stand-ins at vfio $vfio_major," \
    "vfio-dev $vfio_dev_major, /dev/iommu 10:$iommu_minor (no driver behind them); the vm suite" \
    "(intel-legacy-patched) checks the same rules against the real kernel"
fi

# A private /dev, as PrivateDevices= + BindPaths= give the service.  The
# VFIO nodes get the highest minor, which no driver hands out: with real
# majors neither the opens below nor the daemon's probe may reach (and
# reset) a device of this host.
dev=$tmp/dev
mkdir -p "$dev/vfio/devices"
mknod "$dev/iommu" c 10 "$iommu_minor"
mknod "$dev/vfio/devices/vfio0" c "$vfio_dev_major" 1048575
mknod "$dev/vfio/7" c "$vfio_major" 1048575
mknod "$dev/null" c 1 3
# what the service must not open
mknod "$dev/kvm" c 10 232
mknod "$dev/fuse" c 10 229
mknod "$dev/mem" c 1 1
mknod "$dev/sda" b 8 0

# systemd's rules for the unit
rules=$tmp/rules
ihw_unit_device_rules "$unit" "$tmp/devices" "$dev" >"$rules" || fail "cannot resolve $unit's device rules"
n_allow=$(grep -c '^DeviceAllow=' "$unit")
[ "$n_allow" -ge 3 ] || fail "expected DeviceAllow= for /dev/iommu, char-vfio and char-vfio-dev"
echo "device rules from $unit:"
sed 's/^/  /' "$rules"

ihw_devcg_create "$cg" "$rules" || fail "cannot create the device cgroup $cg"

# Inside the cgroup: open every node; then the daemon, probing, over a
# recorded host with this /dev (no bus: it has tried /dev/iommu by the time
# it looks for one).
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/no-bus sh -c '
  echo $$ >"$1/cgroup.procs"
  . "$6"
  ihw_open_nodes "$3"/iommu "$3"/vfio/devices/vfio0 "$3"/vfio/7 "$3"/null "$3"/kvm "$3"/fuse "$3"/mem "$3"/sda
  "$4" --sysfs-root "$5" --dev-root "$3" 2>"$2/daemon.log" || true
' sh "$cg" "$tmp" "$dev" "$daemon" "$sysfs" "$(dirname "$0")/../lib/unit-sandbox.sh" >"$tmp/opened"
cat "$tmp/opened"

expect() { # node, allowed|refused
  got=$(awk -v p="$dev/$1" '$1==p {print $2}' "$tmp/opened")
  case $real:$2:$got in
  *:allowed:ENXIO | *:allowed:ENODEV | *:allowed:opened) ;;
  # a real driver may answer a node it has no such minor for otherwise;
  # only the device cgroup says EPERM
  1:allowed:E*) [ "$got" != EPERM ] || fail "$1: refused by the device rules" ;;
  *:refused:EPERM) ;;
  *) fail "$1: expected $2 by the device rules, open() said $got" ;;
  esac
}
expect iommu allowed
expect vfio/devices/vfio0 allowed
expect vfio/7 allowed
expect null allowed
expect kvm refused
expect fuse refused
expect mem refused
expect sda refused

echo "daemon log:"
sed 's/^/  /' "$tmp/daemon.log"
if [ $real = 1 ]; then
  if grep -q "$dev/iommu: open:" "$tmp/daemon.log"; then fail "the daemon could not open /dev/iommu inside the sandbox"; fi
else
  grep -q "$dev/iommu: open: No such device" "$tmp/daemon.log" ||
    fail "the daemon did not reach /dev/iommu's driver from inside the sandbox"
fi
if grep -q "Operation not permitted" "$tmp/daemon.log"; then fail "the daemon was refused a device"; fi
echo "PASS: the unit's device rules let the daemon open /dev/iommu and both VFIO majors, and nothing else"
