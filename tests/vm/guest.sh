#!/bin/sh
# The vm suite's work inside the guest (tests/vm/init chroots into the host's
# root, shared read-only over 9p, and runs this).  It only gathers: every
# answer goes to $OUT/facts as key=value and, with the raw D-Bus replies,
# to stdout (guest.log); tests/vm/vm-test.py on the host judges them.
#
# $OUT/params sets CASE and what it needs:
#   probe      DAEMON CTL HOLDER: edu on vfio-pci, the daemon started as in
#              production on the guest's own system bus, its answers
#   holders    as probe, with the device held by another process (its own
#              iommufd; a legacy VFIO group) when the daemon probes, then
#              the daemon without /dev/iommu
#   selftests  KTESTS: the directory of the kernel's static iommufd selftests
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
OUT=/run/ihw-out
. "$OUT/params"
: >"$OUT/facts"

fact() { printf '%s=%s\n' "$1" "$2" >>"$OUT/facts"; echo "fact: $1=$2"; }
step() { echo; echo "== [$(cut -d' ' -f1 /proc/uptime) s] $*"; }

wait_for() { # tenths of a second, command...
  _n=$1; shift
  while ! "$@" >/dev/null 2>&1; do
    _n=$((_n - 1))
    [ "$_n" -gt 0 ] || return 1
    sleep 0.1
  done
}

edu_address() {
  for d in /sys/bus/pci/devices/*; do
    if [ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ]; then
      basename "$d"
      return
    fi
  done
}

# The sysfs facts the daemon's answers are checked against.
sysfs_facts() {
  step "sysfs"
  unit=$(basename "$(readlink "/sys/bus/pci/devices/$bdf/iommu")")
  fact sysfs.unit "$unit"
  for f in intel-iommu/cap intel-iommu/ecap amd-iommu/features; do
    [ -r "/sys/class/iommu/$unit/$f" ] && fact "sysfs.$(basename $f)" "$(cat "/sys/class/iommu/$unit/$f")"
  done
  # PCI functions that are an IOMMU themselves: `iommu` is a directory.
  own=
  for d in /sys/bus/pci/devices/*; do
    [ -d "$d/iommu" ] && [ ! -L "$d/iommu" ] && own="$own $(basename "$d")($(cat "$d/vendor"):$(cat "$d/device"))"
  done
  fact sysfs.iommu_functions "${own# }"
}

bind_vfio() {
  step "binding $bdf to vfio-pci"
  echo vfio-pci >"/sys/bus/pci/devices/$bdf/driver_override"
  echo "$bdf" >/sys/bus/pci/drivers_probe
  wait_for 50 test -d "/sys/bus/pci/devices/$bdf/vfio-dev" || { echo "no vfio-dev for $bdf"; exit 1; }
  cdev=/dev/vfio/devices/$(ls "/sys/bus/pci/devices/$bdf/vfio-dev")
  group=$(basename "$(readlink "/sys/bus/pci/devices/$bdf/iommu_group")")
  wait_for 50 test -c "$cdev" || { echo "no $cdev"; exit 1; }
  fact vfio.cdev "$cdev"
  fact vfio.group "$group"
  ls -l /dev/iommu "$cdev" "/dev/vfio/$group"
}

# The guest's system bus, as a distribution runs it: system_bus_socket, the
# project's policy file; clients and the daemon find it by default.
bus_start() {
  step "system bus"
  # shellcheck source=../lib/private-bus.sh
  . "$SRC/tests/lib/private-bus.sh"
  ihw_bus_start /run/dbus "$SRC/dbus/io.iommuhwinfo1.conf" || exit 1
  ln -s bus /run/dbus/system_bus_socket
  unset DBUS_SYSTEM_BUS_ADDRESS
  echo "dbus-daemon $ihw_bus_pid on /run/dbus/system_bus_socket"
}

ndaemon=0
daemon_start() { # args...
  ndaemon=$((ndaemon + 1))
  step "iommu-hwinfod $* (log daemon-$ndaemon.log)"
  "$DAEMON" "$@" >"$OUT/daemon-$ndaemon.log" 2>&1 &
  daemon_pid=$!
  wait_for 300 "$CTL" list || { echo "the daemon did not answer"; cat "$OUT/daemon-$ndaemon.log"; exit 1; }
}

daemon_stop() {
  kill "$daemon_pid" 2>/dev/null
  wait "$daemon_pid"
  fact "daemon-$ndaemon.exit" $?
  echo "-- daemon-$ndaemon.log:"
  cat "$OUT/daemon-$ndaemon.log"
}

# The daemon's answers for $bdf over D-Bus (busctl --json), under the fact
# prefix $1: the Device's and its Unit's properties, GetHwInfo, CheckNesting.
answers() {
  p=$1
  path=/io/iommuhwinfo1/device/$(echo "$bdf" | tr ':.' '__')
  step "D-Bus answers for $bdf ($p)"
  dev=$(busctl --json=short call io.iommuhwinfo1 "$path" org.freedesktop.DBus.Properties GetAll \
        s io.iommuhwinfo1.Device)
  fact "$p.Device" "$dev"
  unitpath=$(echo "$dev" | sed -n 's/.*"Unit":{"type":"o","data":"\([^"]*\)".*/\1/p')
  fact "$p.Unit" "$(busctl --json=short call io.iommuhwinfo1 "$unitpath" org.freedesktop.DBus.Properties GetAll \
                    s io.iommuhwinfo1.Unit)"
  fact "$p.GetHwInfo" "$(busctl --json=short call io.iommuhwinfo1 /io/iommuhwinfo1 io.iommuhwinfo1.Manager \
                         GetHwInfo s "$bdf")"
  for model in intel amd; do
    fact "$p.CheckNesting.$model" "$(busctl --json=short call io.iommuhwinfo1 /io/iommuhwinfo1 \
                                     io.iommuhwinfo1.Manager CheckNesting 'sasa{sv}' "$model" 1 "$bdf" 0)"
  done
  # an emulated intel vIOMMU as libvirt starts one, asking for aw-bits 48
  fact "$p.CheckNesting.intel-aw48" "$(busctl --json=short call io.iommuhwinfo1 /io/iommuhwinfo1 \
                                       io.iommuhwinfo1.Manager CheckNesting 'sasa{sv}' intel 1 "$bdf" \
                                       3 aw-bits u 48 nesting b false caching-mode b true)"
  fact "$p.objects" "$(busctl --json=short call io.iommuhwinfo1 /io/iommuhwinfo1 \
                       org.freedesktop.DBus.ObjectManager GetManagedObjects)"
  echo "-- iommu-hwinfoctl list"
  "$CTL" list
  echo "-- iommu-hwinfoctl show $bdf"
  "$CTL" show "$bdf"
}

# A process of our own binds the cdev again: the daemon let go of it.
rebind() {
  step "bind again after the probe"
  if "$HOLDER" bind-once "$cdev"; then fact "$1" ok; else fact "$1" failed; fi
}

hold() { # kind args...: start a holder, wait until it holds
  kind=$1; shift
  step "held through $kind"
  "$HOLDER" "$@" >"/run/holder.out" 2>&1 &
  holder_pid=$!
  if wait_for 100 grep -q '^held' /run/holder.out; then
    cat /run/holder.out
    fact "held.$kind" ok
  else
    cat /run/holder.out
    fact "held.$kind" failed
  fi
  fact "held.$kind.enable" "$(cat "/sys/bus/pci/devices/$bdf/enable")"
}

release() {
  kill "$holder_pid" 2>/dev/null
  wait "$holder_pid"
}

uname -a
fact kernel "$(uname -r)"
case $CASE in
probe)
  bdf=$(edu_address)
  fact edu "$bdf"
  sysfs_facts
  bind_vfio
  bus_start
  daemon_start
  answers probe
  rebind rebind
  daemon_stop
  ;;
holders)
  bdf=$(edu_address)
  fact edu "$bdf"
  sysfs_facts
  bind_vfio
  bus_start
  # Held from before the daemon starts: no cached answer, sysfs speaks.
  hold iommufd iommufd "$cdev"
  daemon_start
  answers held_iommufd
  release
  # Free: Refresh probes it through iommufd ...
  step "iommu-hwinfoctl refresh $bdf (free)"
  "$CTL" refresh "$bdf"
  answers free
  # ... and a legacy holder then leaves that answer cached.
  hold group group "$group" "$bdf"
  step "iommu-hwinfoctl refresh $bdf (held through its group)"
  "$CTL" refresh "$bdf"
  answers held_group
  release
  daemon_stop
  # A kernel without /dev/iommu, as far as the daemon can see.
  mkdir -p /run/no-iommufd
  daemon_start --dev-root /run/no-iommufd
  answers no_iommufd
  daemon_stop
  ;;
selftests)
  step "selftests from $KTESTS"
  # iommufd_fail_nth injects faults through debugfs; some tests map hugepages
  mount -t debugfs debugfs /sys/kernel/debug
  echo 64 >/proc/sys/vm/nr_hugepages
  fact nr_hugepages "$(cat /proc/sys/vm/nr_hugepages)"
  cd /tmp || exit 1
  for t in iommufd iommufd_fail_nth; do
    start=$(date +%s)
    "$KTESTS/$t" >"$OUT/$t.tap" 2>&1
    fact "$t.exit" $?
    fact "$t.seconds" $(($(date +%s) - start))
    fact "$t.totals" "$(grep '^# Totals:' "$OUT/$t.tap" | tail -1)"
  done
  ;;
*)
  echo "unknown CASE '$CASE'"
  exit 1
  ;;
esac
ihw_bus_stop 2>/dev/null
dmesg >"$OUT/dmesg.txt"
exit 0
