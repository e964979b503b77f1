#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The shipped unit's device policy, applied for real: DevicePolicy=closed
# and its DeviceAllow= lines become a device cgroup exactly as systemd
# writes one on a cgroup-v1 host ("a" denied, then one devices.allow line
# per rule), the real daemon runs inside it, and every node is opened from
# inside it.  A node the rules let through fails to open with ENXIO/ENODEV
# (no driver behind it here), one they refuse with EPERM.
#
# Why not systemd-run: systemd is not PID 1 on the machines this runs on
# (CI containers), so there is no manager to ask; the cgroup-v1 devices
# controller is what systemd itself uses on such hosts (on cgroup v2 it
# attaches a BPF program with the same allow list).  Skips (77), saying
# why, when not root or no writable devices controller.
#
# No vfio or iommufd module is loaded here, so /proc/devices has no "vfio"
# or "vfio-dev" line: the test adds them at free majors and gives
# /dev/iommu a dynamic misc minor, as the kernel would (the numbers vary
# from boot to boot on real hosts too), and resolves `char-NAME` by name
# and paths by stat(), as systemd does at service start.
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

grep -qx 'DevicePolicy=closed' "$unit" || fail "$unit: DevicePolicy=closed expected"

# /proc/devices as a host with vfio and iommufd loaded has it.
free_major() { # lowest char major >= $1 not in the list
  m=$1
  while awk -v m="$m" '/^Character/{c=1;next} /^Block/{c=0} c && $1==m {found=1} END{exit !found}' "$tmp/devices"; do
    m=$((m + 1))
  done
  echo "$m"
}
cp /proc/devices "$tmp/devices"
vfio_major=$(free_major 234)
sed -i "/^Character devices:/a\\$vfio_major vfio" "$tmp/devices"
vfio_dev_major=$(free_major "$((vfio_major + 1))")
sed -i "/^Character devices:/a\\$vfio_dev_major vfio-dev" "$tmp/devices"
iommu_minor=121

# A private /dev, as PrivateDevices= + BindPaths= give the service.
dev=$tmp/dev
mkdir -p "$dev/vfio/devices"
mknod "$dev/iommu" c 10 $iommu_minor
mknod "$dev/vfio/devices/vfio0" c "$vfio_dev_major" 0
mknod "$dev/vfio/7" c "$vfio_major" 0
mknod "$dev/null" c 1 3
# what the service must not open
mknod "$dev/kvm" c 10 232
mknod "$dev/fuse" c 10 229
mknod "$dev/mem" c 1 1
mknod "$dev/sda" b 8 0

# systemd's rules for the unit: DevicePolicy=closed's pseudo devices, then
# each DeviceAllow= (char-NAME: every major of that name; a path: its node).
rules=$tmp/rules
for n in "1:3" "1:5" "1:7" "1:8" "1:9" "5:0" "5:2"; do echo "c $n rwm"; done >"$rules"
awk '/^Character/{c=1;next} /^Block/{c=0} c && $2=="pts" {print "c " $1 ":* rw"}' "$tmp/devices" >>"$rules"
n_allow=0
for allow in $(sed -n 's/^DeviceAllow=\([^ ]*\).*/\1/p' "$unit"); do
  perm=$(sed -n "s|^DeviceAllow=$allow \\(.*\\)|\\1|p" "$unit")
  n_allow=$((n_allow + 1))
  case $allow in
  char-*)
    name=${allow#char-}
    majors=$(awk -v n="$name" '/^Character/{c=1;next} /^Block/{c=0} c && $2==n {print $1}' "$tmp/devices")
    [ -n "$majors" ] || fail "DeviceAllow=$allow names no character major"
    for m in $majors; do echo "c $m:* $perm"; done >>"$rules"
    ;;
  /dev/*)
    node=$dev/${allow#/dev/}
    [ -e "$node" ] || fail "DeviceAllow=$allow: no such node in the private /dev"
    set -- $(stat -c '%t %T' "$node")
    echo "c $(printf '%d:%d' "0x$1" "0x$2") $perm" >>"$rules"
    ;;
  *) fail "DeviceAllow=$allow: a form this test does not resolve" ;;
  esac
done
[ $n_allow -ge 3 ] || fail "expected DeviceAllow= for /dev/iommu, char-vfio and char-vfio-dev"
echo "device rules from $unit:"
sed 's/^/  /' "$rules"

mkdir "$cg"
echo a >"$cg/devices.deny"
while read -r r; do echo "$r" >"$cg/devices.allow"; done <"$rules"

# Inside the cgroup: open every node; then the daemon, probing, over a
# recorded host with this /dev (no bus: it has tried /dev/iommu by the time
# it looks for one).
cat >"$tmp/open.py" <<'EOF'
import errno, os, sys
for path in sys.argv[1:]:
    try:
        os.close(os.open(path, os.O_RDWR | os.O_NONBLOCK))
        print(path, "opened")
    except OSError as e:
        print(path, errno.errorcode[e.errno])
EOF
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/no-bus sh -c '
  echo $$ >"$1/cgroup.procs"
  python3 "$2/open.py" "$3"/iommu "$3"/vfio/devices/vfio0 "$3"/vfio/7 "$3"/null "$3"/kvm "$3"/fuse "$3"/mem "$3"/sda
  "$4" --sysfs-root "$5" --dev-root "$3" 2>"$2/daemon.log" || true
' sh "$cg" "$tmp" "$dev" "$daemon" "$sysfs" >"$tmp/opened"
cat "$tmp/opened"

expect() { # node, allowed|refused
  got=$(awk -v p="$dev/$1" '$1==p {print $2}' "$tmp/opened")
  case $2:$got in
  allowed:ENXIO | allowed:ENODEV | allowed:opened) ;;
  refused:EPERM) ;;
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
grep -q "$dev/iommu: open: No such device" "$tmp/daemon.log" ||
  fail "the daemon did not reach /dev/iommu's driver from inside the sandbox"
if grep -q "Operation not permitted" "$tmp/daemon.log"; then fail "the daemon was refused a device"; fi
echo "PASS: the unit's device rules let the daemon open /dev/iommu and both VFIO majors, and nothing else"
