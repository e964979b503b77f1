# shellcheck shell=sh
# Sourced by the tests that run the daemon under the shipped unit's sandbox
# without systemd as PID 1 (tests/unit/unit-sandbox.sh on the build host,
# tests/vm/guest.sh in a guest with the real VFIO and iommufd).  POSIX sh.
# The unit's namespaces and credentials: tests/lib/unit-sandbox-exec.sh.
#
#   ihw_unit_device_rules UNIT DEVICES DEV
#                            the device cgroup rules systemd writes for
#                            UNIT's DevicePolicy=closed and DeviceAllow=
#                            lines, one "c MAJOR:MINOR PERM" a line:
#                            `char-NAME` is every character major of that
#                            name in DEVICES (a /proc/devices), a path is its
#                            node under DEV (by stat, as systemd resolves it
#                            at service start).  Fails naming the line it
#                            cannot resolve.
#   ihw_devcg_create CGDIR RULES
#                            creates the cgroup-v1 devices group CGDIR
#                            ("a" denied, then each line of the file RULES
#                            allowed: what systemd does on a cgroup-v1 host;
#                            on v2 it attaches a BPF program with the same
#                            list)
#   ihw_open_nodes NODE...   open(O_RDWR|O_NONBLOCK) each NODE, one line
#                            each: "NODE opened" or "NODE ERRNO-NAME"

# DevicePolicy=closed: the pseudo devices systemd always allows
# (/dev/null, zero, full, random, urandom, tty, ptmx) and char-pts.
ihw_closed_policy_nodes="1:3 1:5 1:7 1:8 1:9 5:0 5:2"

ihw_char_majors() { # DEVICES NAME
  awk -v n="$2" '/^Character/{c=1;next} /^Block/{c=0} c && $2==n {print $1}' "$1"
}

ihw_unit_device_rules() {
  _unit=$1 _devices=$2 _dev=$3
  grep -qx 'DevicePolicy=closed' "$_unit" || { echo "$_unit: DevicePolicy=closed expected" >&2; return 1; }
  for _n in $ihw_closed_policy_nodes; do echo "c $_n rwm"; done
  for _m in $(ihw_char_majors "$_devices" pts); do echo "c $_m:* rw"; done
  sed -n 's/^DeviceAllow=//p' "$_unit" | while read -r _allow _perm; do
    case $_allow in
    char-*)
      _majors=$(ihw_char_majors "$_devices" "${_allow#char-}")
      [ -n "$_majors" ] || { echo "DeviceAllow=$_allow names no character major in $_devices" >&2; return 1; }
      for _m in $_majors; do echo "c $_m:* $_perm"; done
      ;;
    /dev/*)
      _node=$_dev/${_allow#/dev/}
      [ -c "$_node" ] || { echo "DeviceAllow=$_allow: no character node $_node" >&2; return 1; }
      # shellcheck disable=SC2046
      set -- $(stat -c '%t %T' "$_node")
      echo "c $(printf '%d:%d' "0x$1" "0x$2") $_perm"
      ;;
    *)
      echo "DeviceAllow=$_allow: a form this test does not resolve" >&2
      return 1
      ;;
    esac
  done
}

ihw_devcg_create() {
  mkdir "$1" || return 1
  echo a >"$1/devices.deny" || return 1
  while read -r _r; do
    echo "$_r" >"$1/devices.allow" || { echo "devices.allow refused '$_r'" >&2; return 1; }
  done <"$2"
}

ihw_open_nodes() {
  python3 -c '
import errno, os, sys
for path in sys.argv[1:]:
    try:
        os.close(os.open(path, os.O_RDWR | os.O_NONBLOCK))
        print(path, "opened")
    except OSError as e:
        print(path, errno.errorcode[e.errno])
' "$@"
}
