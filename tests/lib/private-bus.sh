# shellcheck shell=sh
# Sourced by the test scripts that need a REAL dbus-daemon on a private bus
# and the REAL iommu-hwinfod over a recorded host (tests/cli/daemon-test.sh,
# tests/libvirt/*.sh).  POSIX sh.
#
#   ihw_bus_start DIR [POLICY]
#                            dbus-daemon listening on DIR/bus, a system-type
#                            bus; exports DBUS_SYSTEM_BUS_ADDRESS, sets
#                            ihw_bus_pid.  Without POLICY anyone may call
#                            anything (tests: the daemon's own uid checks,
#                            not the policy, must refuse); with POLICY (the
#                            project's dbus/io.iommuhwinfo1.conf) the bus
#                            behaves like the system bus: method calls are
#                            denied unless a policy file allows them.
#                            $IHW_BUS_EXTRA_CONF, when set, is added inside
#                            <busconfig> (e.g. <servicedir>, <includedir>)
#   ihw_daemon_start DAEMON SYSFS_ROOT CTL LOG
#                            iommu-hwinfod --no-probe over SYSFS_ROOT; returns
#                            once `CTL list` answers; sets ihw_daemon_pid.
#                            Its --dev-root is SYSFS_ROOT/dev (the recorded
#                            host's placeholders for /dev/iommu and the VFIO
#                            cdevs: whether its kernel had iommufd) seen
#                            through a link next to LOG, so outputs show the
#                            caller's temporary directory, not the clone's path
#   ihw_daemon_stop          stops it (and waits)
#   ihw_bus_stop             stops the daemon, then the bus
#
# Callers install their own EXIT trap and call ihw_bus_stop from it.  The
# stop functions never fail (a caller may run under set -e, and a daemon
# that already died must not keep the bus alive).

ihw_bus_pid=
ihw_daemon_pid=

ihw_bus_start() {
  _dir=$1
  if [ -n "${2:-}" ]; then
    # the system bus's own defaults, then the project's policy file
    _policy='    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_destination="org.freedesktop.DBus"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>'
    _include="  <include>$2</include>"
  else
    _policy='    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>'
    _include=
  fi
  cat >"$_dir/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$_dir/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
$_policy
  </policy>
$_include
${IHW_BUS_EXTRA_CONF:-}
</busconfig>
CONF
  dbus-daemon --config-file="$_dir/bus.conf" --nofork --nopidfile >"$_dir/bus.log" 2>&1 &
  ihw_bus_pid=$!
  DBUS_SYSTEM_BUS_ADDRESS="unix:path=$_dir/bus"
  export DBUS_SYSTEM_BUS_ADDRESS
  for _ in $(seq 50); do [ -S "$_dir/bus" ] && return 0; sleep 0.1; done
  echo "dbus-daemon did not start:"; cat "$_dir/bus.log"
  return 1
}

ihw_daemon_start() {
  _devroot=$(dirname "$4")/dev
  rm -rf "$_devroot"
  if [ -d "$2/dev" ]; then
    ln -s "$2/dev" "$_devroot"
  else
    mkdir -p "$_devroot"
  fi
  "$1" --sysfs-root "$2" --dev-root "$_devroot" --no-probe >"$4" 2>&1 &
  ihw_daemon_pid=$!
  for _ in $(seq 100); do
    "$3" list >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "iommu-hwinfod did not take the bus name:"; cat "$4"
  return 1
}

ihw_daemon_stop() {
  if [ -n "$ihw_daemon_pid" ]; then
    kill "$ihw_daemon_pid" 2>/dev/null || true
    wait "$ihw_daemon_pid" 2>/dev/null || true
  fi
  ihw_daemon_pid=
}

ihw_bus_stop() {
  ihw_daemon_stop
  if [ -n "$ihw_bus_pid" ]; then
    kill "$ihw_bus_pid" 2>/dev/null || true
    wait "$ihw_bus_pid" 2>/dev/null || true
  fi
  ihw_bus_pid=
}
