#!/bin/sh
# The vm suite's work inside the guest (tests/vm/init chroots into the host's
# root, shared read-only over 9p, and runs this).  It only gathers: every
# answer goes to $OUT/facts as key=value and, with the raw D-Bus replies,
# to stdout (guest.log); tests/vm/vm-test.py on the host judges them.
#
# $OUT/params sets CASE and what it needs:
#   probe      DAEMON CTL HOLDER ASK: edu on vfio-pci, the kernel asked for
#              hw_info types by the daemon's probe code (hwinfo-ask), the
#              daemon started as in production on the guest's own system
#              bus, its answers
#   holders    as probe, with the device held by another process (its own
#              iommufd; a legacy VFIO group) when the daemon probes, then
#              the daemon without /dev/iommu
#   selftests  KTESTS: the directory of the kernel's static iommufd selftests
# and, for any case that binds a device, SANDBOX=1: then the shipped unit's
# sandbox against this kernel (sandbox below).
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
daemon_wrapper= # a command (or function) the daemon is started through
daemon_start() { # args...
  ndaemon=$((ndaemon + 1))
  step "${daemon_wrapper:+$daemon_wrapper }iommu-hwinfod $* (log daemon-$ndaemon.log)"
  $daemon_wrapper "$DAEMON" "$@" >"$OUT/daemon-$ndaemon.log" 2>&1 &
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

# The kernel asked for hw_info types (IOMMU_HW_INFO_FLAG_INPUT_TYPE) by the
# daemon's own probe code, with the raw answers beside its classification.
ask_types() {
  step "asking for hw_info types ($ASK $cdev)"
  "$ASK" "$cdev" >/run/ask.out 2>&1
  fact ask.exit $?
  cat /run/ask.out
  while IFS='=' read -r k v; do
    case $k in raw.*|class.*) fact "ask.$k" "$v" ;; esac
  done </run/ask.out
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

# The shipped unit's sandbox against this kernel, whose vfio, vfio-dev and
# /dev/iommu are real: the unit's device rules resolved as systemd does
# (tests/lib/unit-sandbox.sh: char-NAME through this /proc/devices, paths
# by stat) become a cgroup-v1 device cgroup; the daemon starts inside it and
# under the unit's namespaces (tests/lib/unit-sandbox-exec.sh).  $bdf is
# unbound from vfio-pci first and bound again after the daemon started, so
# the cdev the daemon then probes through appeared later, in the /dev/vfio
# bound into its private /dev.  The judging is vm-test.py's judge_sandbox.
unit_cg=/sys/fs/cgroup/devices/iommu-hwinfod
# shellcheck disable=SC2317 # called through $daemon_wrapper
in_unit_sandbox() { # CMD...: in the unit's device cgroup and namespaces (execs)
  IHW_UNIT_SANDBOX_KEEP="$SRC $DAEMON"
  export IHW_UNIT_SANDBOX_KEEP
  exec sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$unit_cg/cgroup.procs" \
    "$SRC/tests/lib/unit-sandbox-exec.sh" "$SRC/systemd/iommu-hwinfod.service.in" "$@"
}

sandbox() {
  step "the unit's sandbox"
  # shellcheck source=../lib/unit-sandbox.sh
  . "$SRC/tests/lib/unit-sandbox.sh"
  # Built in (a /sys/module entry without initstate) or a module: whether
  # a late load can happen at all on this kernel.
  for m in iommufd vfio vfio_pci; do
    if [ -e "/sys/module/$m/initstate" ]; then state=module
    elif [ -d "/sys/module/$m" ]; then state=builtin
    else state=absent; fi
    fact "sandbox.module.$m" "$state"
  done
  fact sandbox.proc_devices "$(awk '/^Character/{c=1;next} /^Block/{c=0}
    c && ($2=="vfio" || $2=="vfio-dev" || $2=="misc") {printf "%s%s %s", s, $1, $2; s=";"}' /proc/devices)"
  fact sandbox.iommu_node "$(stat -c '%t %T' /dev/iommu | awk '{printf "%d:%d", "0x" $1, "0x" $2}')"
  if ! { mount -t tmpfs cgroup /sys/fs/cgroup && mkdir /sys/fs/cgroup/devices &&
    mount -t cgroup -o devices devices /sys/fs/cgroup/devices; }; then
    fact sandbox.cgroup failed
    return
  fi
  ihw_unit_device_rules "$SRC/systemd/iommu-hwinfod.service.in" /proc/devices /dev >/run/unit-rules ||
    { fact sandbox.rules failed; return; }
  fact sandbox.rules "$(paste -sd';' /run/unit-rules)"
  ihw_devcg_create "$unit_cg" /run/unit-rules || { fact sandbox.cgroup failed; return; }

  echo "$bdf" >/sys/bus/pci/drivers/vfio-pci/unbind
  wait_for 50 test ! -e "$cdev"
  fact sandbox.cdev_at_start "$(if [ -e "$cdev" ]; then echo present; else echo absent; fi)"
  daemon_wrapper=in_unit_sandbox
  daemon_start
  daemon_wrapper=
  st=/proc/$daemon_pid/status
  fact sandbox.daemon.cgroup "$(sed -n 's/^[0-9]*:devices://p' "/proc/$daemon_pid/cgroup")"
  fact sandbox.daemon.caps "$(awk '/^Cap(Eff|Bnd|Amb)|^NoNewPrivs/ {printf "%s%s%s", s, $1, $2; s=" "}' "$st")"
  fact sandbox.daemon.own_mount_ns "$([ "$(readlink "/proc/$daemon_pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] && echo yes || echo no)"
  bind_vfio
  fact sandbox.daemon.dev "$(nsenter -t "$daemon_pid" -m -r -w find /dev | sort | paste -sd' ')"
  # what its file system looks like from inside its mount namespace
  fact sandbox.daemon.fs "$(nsenter -t "$daemon_pid" -m -r -w sh -c '
    if touch /run/.ihw-rw 2>/dev/null; then echo run=rw; else echo run=ro; fi
    if touch /sys/.ihw-rw 2>/dev/null; then echo sys=rw; else echo sys=ro; fi
    if [ -z "$(ls -A /tmp)" ]; then echo tmp=empty; else echo tmp=shared; fi
    if [ -e /proc/sys ]; then echo proc=full; else echo proc=pid; fi
    if [ -z "$(ls -A /root)" ]; then echo root=empty; else echo root=shared; fi' | paste -sd' ')"
  step "iommu-hwinfoctl refresh $bdf (bound after the sandboxed daemon started)"
  "$CTL" refresh "$bdf"
  answers sandbox

  step "opens inside the unit's device cgroup"
  nodes="/dev/iommu $cdev /dev/vfio/$group /dev/null /dev/vfio/vfio /dev/mem /dev/kmsg /dev/port"
  for n in /dev/kvm /dev/cpu_dma_latency /dev/vda /dev/sda /dev/loop0; do [ -e "$n" ] && nodes="$nodes $n"; done
  # shellcheck disable=SC2086
  sh -c 'echo $$ >"$1"; . "$2"; shift 2; ihw_open_nodes "$@"' sh "$unit_cg/cgroup.procs" \
    "$SRC/tests/lib/unit-sandbox.sh" $nodes >/run/opened
  while read -r n r; do fact "sandbox.open.$n" "$r"; done </run/opened
  daemon_stop
  udev_rule
}

# 70-iommu-hwinfod.rules against this kernel's uevents: the kernel re-sends
# the add uevents of /dev/iommu and /dev/vfio/vfio (what a late modprobe
# would send), caught as they come; `udevadm test` runs the rule, alone, on
# those devices, a misc device it must leave alone and the vfio cdev.
udev_rule() {
  step "70-iommu-hwinfod.rules and the kernel's uevents"
  # (udevadm declines to monitor from a chroot unless told to)
  SYSTEMD_IGNORE_CHROOT=1 udevadm monitor --kernel --property --subsystem-match=misc >"$OUT/uevents.txt" 2>&1 &
  mon=$!
  # sent again until the monitor, which has no ready signal, caught them
  for _ in 1 2 3 4 5; do
    for n in iommu vfio; do echo add >"/sys/class/misc/$n/uevent"; done
    if wait_for 10 grep -q 'DEVNAME=/dev/vfio/vfio' "$OUT/uevents.txt"; then break; fi
  done
  kill "$mon"
  wait "$mon" 2>/dev/null
  other=
  for d in /sys/class/misc/*; do
    case ${d##*/} in iommu | vfio) ;; *) other=${d##*/}; break ;; esac
  done
  fact udev.other_misc "$other"
  for d in misc/iommu misc/vfio "misc/$other" "vfio-dev/${cdev##*/}"; do
    name=$(echo "$d" | tr / .)
    unshare -m sh -c 'for r in /etc/udev/rules.d /usr/lib/udev/rules.d /run/udev; do
                        mkdir -p "$r" && mount -t tmpfs rules "$r" || exit 1
                      done
                      mkdir /run/udev/rules.d && cp "$1" /run/udev/rules.d/ && udevadm test --action=add "$2"' \
      sh "$SRC/systemd/70-iommu-hwinfod.rules" "/sys/class/$d" >"$OUT/udevadm-test.$name.txt" 2>&1
    fact "udev.test.$name" "$?"
    fact "udev.run.$name" "$(sed -n 's/^run: //p' "$OUT/udevadm-test.$name.txt" | paste -sd';')"
  done
  step "the unit's sandbox: done"
}

uname -a
fact kernel "$(uname -r)"
case $CASE in
probe)
  bdf=$(edu_address)
  fact edu "$bdf"
  sysfs_facts
  bind_vfio
  ask_types
  bus_start
  daemon_start
  answers probe
  rebind rebind
  daemon_stop
  if [ "${SANDBOX:-}" = 1 ]; then sandbox; fi
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
