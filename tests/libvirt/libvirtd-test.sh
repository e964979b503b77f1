#!/bin/sh
# Suite `libvirtd`: the hook as an admin meets it.  A REAL libvirtd (Debian
# bookworm's 9.0) started here, in a private mount namespace, with the hook
# installed in a private /etc/libvirt/hooks/qemu.d; a REAL systemd-journald
# on a private /run (the hook's journal entries are read back with
# journalctl); a REAL dbus-daemon on a private bus whose address the hook
# gets from hook.conf (libvirtd gives hooks no environment); the REAL
# iommu-hwinfod over recorded hosts.  `virsh define` + `virsh start`:
#
#   - a nesting domain on a host that cannot nest: refused, the message names
#     what is missing;
#   - an emulated intel vIOMMU with QEMU's default aw-bits 48 on a 39-bit
#     host: refused ("aw-bits"), as QEMU would refuse it;
#   - an intel vIOMMU without caching_mode and a PCI hostdev: refused
#     ("caching-mode"), as QEMU would refuse it;
#   - a domain without <iommu>: untouched by the hook;
#   - the daemon down: allowed (journal warning) or refused, per hook.conf;
#   - a nesting domain on a host that can nest, judged for QEMU 11.1: the
#     hook lets it through, and libvirt then fails preparing the hostdev
#     (the device is recorded, not real) -- which proves the hook said yes.
#
#   libvirtd-test.sh CTL HOOK DAEMON FIXTURES_DIR HOOK_CONF_PATH
#
# HOOK_CONF_PATH is where the hook (built with this prefix) reads
# hook.conf; it is replaced by a private directory in the namespace.
set -u
ctl=$1 hook=$2 daemon=$3 fixtures=$4 hook_conf=$5
domains=$fixtures/domains

skip() { echo "skipped: $*"; exit 77; }
# libvirt probes QEMU's capabilities under TCG when it starts and again on
# `virsh define` (seconds on a quiet machine, a minute or more on a loaded
# one): an explicit request, which tests/run-all.sh makes once, in the gcc
# build, so CI always runs it.
[ "${IHW_TEST_LIBVIRTD:-0}" = 1 ] ||
  skip "set IHW_TEST_LIBVIRTD=1 to start a real libvirtd (tests/run-all.sh does, in the gcc build)"
[ "$(id -u)" = 0 ] || skip "needs root (a private mount namespace and libvirtd)"
for p in unshare libvirtd virsh dbus-daemon journalctl; do
  command -v "$p" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
  command -v "$p" >/dev/null 2>&1 || skip "$p is not installed (tools/install-deps.sh installs libvirt-daemon-system)"
done
journald=/lib/systemd/systemd-journald
[ -x "$journald" ] || skip "no $journald"
[ -x /usr/bin/qemu-system-x86_64 ] || skip "no /usr/bin/qemu-system-x86_64 for libvirt's QEMU driver"

if [ -z "${IHW_LIBVIRTD_NS:-}" ]; then
  IHW_LIBVIRTD_NS=1 exec unshare -m --propagation private "$0" "$@"
fi

. "$(dirname "$0")/../lib/private-bus.sh"

tmp=$(mktemp -d /tmp/ihw-libvirtd.XXXXXX)
failures=0
fail() {
  echo "FAIL $*"
  failures=$((failures + 1))
}
libvirtd_pid= journald_pid=
cleanup() {
  [ -n "$libvirtd_pid" ] && kill "$libvirtd_pid" 2>/dev/null && wait "$libvirtd_pid" 2>/dev/null
  [ -n "$journald_pid" ] && kill "$journald_pid" 2>/dev/null && wait "$journald_pid" 2>/dev/null
  ihw_bus_stop
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- the private world (this namespace only) ---------------------------------
for d in /run /var/log /var/lib/libvirt /var/cache/libvirt /etc/libvirt/qemu /etc/libvirt/hooks; do
  [ -d "$d" ] || skip "$d does not exist (is libvirt-daemon-system installed?)"
  mount -t tmpfs tmpfs "$d" || skip "cannot mount a tmpfs on $d"
done
conf_dir=$(dirname "$hook_conf")
if [ ! -d "$conf_dir" ]; then
  mkdir -p "$conf_dir" || skip "cannot create $conf_dir"
fi
mount -t tmpfs tmpfs "$conf_dir" || skip "cannot mount a tmpfs on $conf_dir"
mkdir -p /run/systemd/journal /run/libvirt /var/log/libvirt/qemu /var/lib/libvirt/qemu /var/cache/libvirt/qemu \
  /etc/libvirt/hooks/qemu.d
ln -s "$(readlink -f "$hook")" /etc/libvirt/hooks/qemu.d/50-iommu-hwinfo

"$journald" >"$tmp/journald.log" 2>&1 &
journald_pid=$!
for _ in $(seq 50); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
[ -S /run/systemd/journal/socket ] || { cat "$tmp/journald.log"; skip "systemd-journald did not start"; }

ihw_bus_start "$tmp" || exit 1
bus=$DBUS_SYSTEM_BUS_ADDRESS

# libvirtd reads qemu.d once, when it starts: the hook is in place.  It
# must not own the real system bus; this namespace has only the private
# one, which libvirtd does not need.
printf 'log_outputs="1:file:%s/libvirtd.log"\nlog_filters="1:hooks 3:qemu 3:util 3:rpc 3:event"\n' "$tmp" \
  >"$tmp/libvirtd.conf"
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/no-bus-for-libvirtd /usr/sbin/libvirtd --pid-file /run/libvirtd.pid \
  --config "$tmp/libvirtd.conf" >"$tmp/libvirtd.out" 2>&1 &
libvirtd_pid=$!
for _ in $(seq 300); do
  virsh -c qemu:///system version >/dev/null 2>&1 && break
  sleep 0.1
done
virsh -c qemu:///system version >/dev/null 2>&1 || { cat "$tmp/libvirtd.log"; fail "libvirtd did not answer"; exit 1; }
# libvirt probes the emulator's capabilities once (a QMP session under
# TCG; minutes on a loaded machine): before the first define, not inside it.
timeout 280 virsh -c qemu:///system domcapabilities --virttype qemu >/dev/null 2>&1 ||
  { tail -20 "$tmp/libvirtd.log"; fail "libvirtd did not probe QEMU's capabilities"; exit 1; }

conf() { # hook.conf lines
  { echo "[hook]"; echo "bus-address=$bus"; echo "version-cache=$tmp/qemu-versions"; for l in "$@"; do echo "$l"; done; } \
    >"$hook_conf"
}

# A fixture as libvirt's QEMU driver takes it (TCG, the real emulator).
define() { # FIXTURE NAME
  sed -e "s/type='kvm'/type='qemu'/" -e "s|<name>[^<]*</name>|<name>$2</name>|" -e '/<uuid>/d' \
    "$domains/$1.xml" >"$tmp/$2.xml"
  timeout 300 virsh -c qemu:///system define "$tmp/$2.xml" >"$tmp/define.out" 2>&1 ||
    { cat "$tmp/define.out"; fail "define $2"; grep -v "^$" "$tmp/libvirtd.log" | tail -15 | cut -c1-300; }
}

# start NAME: virsh start's output in $tmp/start.out; its status in $rc.
start() {
  t0=$(date +%s%N)
  timeout 300 virsh -c qemu:///system start "$1" >"$tmp/start.out" 2>&1
  rc=$?
  t1=$(date +%s%N)
  echo "  virsh start $1: exit $rc, $(((t1 - t0) / 1000000)) ms"
  sed 's/^/    | /' "$tmp/start.out"
  timeout 30 virsh -c qemu:///system destroy "$1" >/dev/null 2>&1 || true
}

refused_by_hook() { # NAME TEXT...
  name=$1; shift
  [ "$rc" != 0 ] || fail "$name: started, expected the hook to refuse"
  grep -q "Hook script execution failed" "$tmp/start.out" || fail "$name: not refused by the hook"
  for t in "$@"; do
    grep -qF -- "$t" "$tmp/start.out" || fail "$name: the message lacks '$t'"
  done
}

passed_hook() { # NAME
  [ "$rc" != 0 ] || fail "$1: a recorded device cannot really start"
  grep -q "Hook script" "$tmp/start.out" && fail "$1: the hook refused"
  # libvirt went on to the hostdev, which is not a real device here
  grep -qiE "0000:3a:00.0|pci|hostdev|device" "$tmp/start.out" || fail "$1: failed for another reason"
}

# journal_has NAME FIELD=VALUE...: the hook's entry for the domain
journal_has() {
  name=$1; shift
  # volatile storage: journald writes /run/log/journal at once
  sleep 0.2
  # shellcheck disable=SC2046
  journalctl -D /run/log/journal --no-pager -o export SYSLOG_IDENTIFIER=iommu-hwinfo-libvirt-hook \
    "IHW_DOMAIN=$name" >"$tmp/journal.out" 2>&1
  for f in "$@"; do
    grep -qxF -- "$f" "$tmp/journal.out" || { fail "$name: no journal entry with $f"; sed 's/^/    j| /' "$tmp/journal.out" | head -20; }
  done
}

echo "== a domain without <iommu>: untouched (libvirt fails later, at the hostdev)"
conf "on-unavailable=deny"
define no-iommu plain
start plain
passed_hook plain

echo "== the daemon down: allow with a journal warning, or deny"
define nest-intel-server down-vm
conf "on-unavailable=allow"
start down-vm
passed_hook down-vm
journal_has down-vm IHW_DECISION=allow IHW_OUTCOME=unavailable
conf "on-unavailable=deny"
start down-vm
refused_by_hook down-vm "cannot ask iommu-hwinfod" "on-unavailable=deny"
journal_has down-vm IHW_DECISION=refuse IHW_OUTCOME=unavailable

echo "== a nesting domain on a host that cannot nest: refused"
ihw_daemon_start "$daemon" "$fixtures/hosts/qemu-guest" "$ctl" "$tmp/daemon.log" || exit 1
define nest-intel-guest guest-nest
conf
start guest-nest
refused_by_hook guest-nest "0000:00:01.0" "ecap.NEST needs 1, found 0" "to change: assign a device behind a different IOMMU"
journal_has guest-nest IHW_DECISION=refuse IHW_OUTCOME=unsupported IHW_DEVICE=0000:00:01.0 IHW_REQUIREMENT=ecap.NEST
ihw_daemon_stop

echo "== an emulated intel vIOMMU with QEMU's default aw-bits on a 39-bit host: refused"
ihw_daemon_start "$daemon" "$fixtures/hosts/intel-client-no-sm" "$ctl" "$tmp/daemon.log" || exit 1
define emulated-intel-client client
start client
refused_by_hook client "0000:01:00.0" "aw-bits=48" "QEMU 10.0's default" "set aw-bits=39"
journal_has client IHW_DECISION=refuse IHW_REQUIREMENT=request.aw-bits "IHW_FOUND=39 (sysfs registers)"
define emulated-intel-client-39 client-39
start client-39
passed_hook client-39
echo "== an intel vIOMMU without caching_mode and a PCI hostdev: refused"
define emulated-intel-no-caching-mode client-nocm
start client-nocm
refused_by_hook client-nocm "0000:01:00.0" "caching-mode=off (QEMU 10.0's default) needs on" \
  "to change: set caching_mode='on' (libvirt: <iommu model='intel'><driver caching_mode='on'/>)"
journal_has client-nocm IHW_DECISION=refuse IHW_REQUIREMENT=request.caching-mode IHW_FOUND=off
ihw_daemon_stop

echo "== a nesting domain on a host that can nest, judged for QEMU 11.1: let through"
ihw_daemon_start "$daemon" "$fixtures/hosts/intel-server-nesting" "$ctl" "$tmp/daemon.log" || exit 1
define nest-intel-server nest
conf "qemu-version=11.1" "on-unknown=deny" "on-unavailable=deny"
start nest
passed_hook nest
# ...and for the real emulator (QEMU 10.0 from backports), refused
conf
start nest
refused_by_hook nest "QEMU 10.0" "upgrade QEMU to 11.0 or later"
ihw_daemon_stop

[ "$failures" = 0 ] || { echo "libvirtd's log:"; tail -40 "$tmp/libvirtd.log"; }
echo "$failures failures"
[ "$failures" = 0 ]
