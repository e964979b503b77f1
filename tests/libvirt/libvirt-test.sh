#!/bin/sh
# Suite `libvirt`: domain-check through libvirt's real C API (the in-process
# test:/// driver over a node file built from tests/fixtures/domains), the
# qemu hook run exactly as libvirtd runs it, and `nfd` — each against a REAL
# dbus-daemon on a private bus and the REAL iommu-hwinfod over recorded hosts.
#
#   libvirt-test.sh domain-check|hook|nfd CTL HOOK DAEMON GOLDEN_DIR FIXTURES_DIR
#
# Goldens: GOLDEN_DIR/<case>.{out,err}; IHW_UPDATE_GOLDEN=1 rewrites them
# (read every diff before committing).  The temporary directory is @TMP@.
set -u
mode=$1 ctl=$2 hook=$3 daemon=$4 golden=$5 fixtures=$6
domains=$fixtures/domains

. "$(dirname "$0")/../lib/private-bus.sh"

# fixed length: goldens show it as @TMP@ and aligned columns must not depend on $TMPDIR
tmp=$(mktemp -d /tmp/ihw-libvirt.XXXXXX)
cleanup() {
  ihw_bus_stop
  rm -rf "$tmp"
}
trap cleanup EXIT
chmod 755 "$tmp"
mkdir -p "$golden"
failures=0

fail() {
  echo "FAIL $*"
  failures=$((failures + 1))
}

normalize() {
  sed -e "s|$tmp|@TMP@|g" -e "s|$fixtures|@FIXTURES@|g" -e 's/"updated_usec" *: *[0-9]*/"updated_usec" : @TIME@/g'
}

# check NAME EXPECTED_EXIT: compares $tmp/out.raw, $tmp/err.raw and $rc.
check() {
  name=$1 want=$2
  normalize <"$tmp/out.raw" >"$tmp/out"
  normalize <"$tmp/err.raw" >"$tmp/err"
  [ "$rc" = "$want" ] || { fail "$name: exit $rc, expected $want"; cat "$tmp/err"; }
  if [ "${IHW_UPDATE_GOLDEN:-0}" = 1 ]; then
    cp "$tmp/out" "$golden/$name.out"; cp "$tmp/err" "$golden/$name.err"
  else
    for s in out err; do
      diff -u "$golden/$name.$s" "$tmp/$s" || fail "$name: std$s differs from $golden/$name.$s"
    done
  fi
}

# ctl_case NAME EXPECTED_EXIT ARG...
ctl_case() {
  name=$1 want=$2; shift 2
  # shellcheck disable=SC2086
  LC_ALL=C ${IHW_TEST_WRAPPER:-} "$ctl" "$@" </dev/null >"$tmp/out.raw" 2>"$tmp/err.raw"
  rc=$?
  check "$name" "$want"
}

start_host() {
  ihw_daemon_start "$daemon" "$fixtures/hosts/$1" "$ctl" "$tmp/daemon.log" || exit 1
}

ihw_bus_start "$tmp" || exit 1

# --- domain-check ----------------------------------------------------------
if [ "$mode" = domain-check ]; then
  if "$ctl" domain-check any-vm --connect test:///default 2>&1 | grep -q "no libvirt support"; then
    echo "iommu-hwinfoctl was built without libvirt (meson -Dlibvirt=disabled or no libvirt-dev): skipped"
    exit 77
  fi
  # The test driver wants complete domains: every fixture libvirt 9.0 accepts.
  node=$tmp/node.xml
  {
    echo "<node>"
    for f in intel-two-gpus no-iommu smmuv3-accel intel-qemu-commandline nest-intel-server nest-intel-guest \
             emulated-intel-guest; do
      sed '/^<?xml/d' "$domains/$f.xml"
    done
    echo "</node>"
  } >"$node"
  uri="test://$node"

  # daemon down first: domains with nothing to check still answer (no daemon
  # needed), the others fail with 69 naming the domain
  ctl_case dc-down-plain 0 domain-check plain-vm --connect "$uri"
  ctl_case dc-down-nest 69 domain-check nest-vm --connect "$uri"

  # usage and libvirt errors need no daemon either
  ctl_case dc-no-args 64 domain-check
  ctl_case dc-two-domains 64 domain-check a b
  ctl_case dc-xml-and-domain 64 domain-check nest-vm --xml "$domains/nest-intel-server.xml"
  ctl_case dc-unknown-domain 65 domain-check no-such-vm --connect "$uri"
  ctl_case dc-unknown-domain-json 65 --json domain-check no-such-vm --connect "$uri"
  ctl_case dc-bad-uri 69 domain-check nest-vm --connect "test:///no/such/node.xml"
  ctl_case dc-xml-missing 65 domain-check --xml "$tmp/no-such.xml"
  ctl_case dc-xml-hostile 65 domain-check --xml "$domains/hostile-xxe.xml"
  head -c $((9 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$tmp/big.xml"
  ctl_case dc-xml-too-big 65 domain-check --xml "$tmp/big.xml"

  start_host intel-server-nesting
  for json in "" --json; do
    j=${json:+-json}
    ctl_case "dc-nest-vm$j" 0 $json domain-check nest-vm --connect "$uri"
    ctl_case "dc-plain-vm$j" 0 $json domain-check plain-vm --connect "$uri"
    # 0000:3b:00.1 is not on this host: the daemon's NoSuchDevice, 65
    ctl_case "dc-gpu-vm$j" 65 $json domain-check gpu-vm --connect "$uri"
    # the XML file keeps <qemu:commandline>; libvirt's test driver drops the
    # qemu namespace, so through it nest-vm does not ask for nesting
    ctl_case "dc-xml-nest$j" 0 $json domain-check --xml "$domains/nest-intel-server.xml"
  done
  ctl_case dc-nest-vm-uuid 0 domain-check 6f1c1a9e-3b1d-4c53-9d0e-2f5a4c1b7e01 --connect "$uri"
  ihw_daemon_stop

  start_host qemu-guest
  for json in "" --json; do
    j=${json:+-json}
    ctl_case "dc-guest-nest-vm$j" 1 $json domain-check guest-nest-vm --connect "$uri"
    ctl_case "dc-emulated-vm$j" 1 $json domain-check emulated-vm --connect "$uri"
  done
  ihw_daemon_stop

  echo "$failures failures"
  [ "$failures" = 0 ]
  exit
fi

# --- the hook, run as libvirtd runs it --------------------------------------
# hook_case NAME EXPECTED_EXIT CONF STDIN ARG...   (CONF: a file in $tmp)
hook_case() {
  name=$1 want=$2 conf=$3 stdin_file=$4; shift 4
  # shellcheck disable=SC2086
  env -i LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    IHW_HOOK_CONF="$tmp/$conf" ${IHW_TEST_WRAPPER:-} "$hook" "$@" <"$stdin_file" >"$tmp/out.raw" 2>"$tmp/err.raw"
  rc=$?
  check "$name" "$want"
}

if [ "$mode" = hook ]; then
  bus=$DBUS_SYSTEM_BUS_ADDRESS
  # The hook never sees DBUS_SYSTEM_BUS_ADDRESS (env -i): hook.conf names the bus.
  printf '[hook]\nbus-address=%s\n' "$bus" >"$tmp/allow.conf"
  printf '[hook]\nbus-address=%s\non-unavailable=deny\non-unknown=deny\n' "$bus" >"$tmp/deny.conf"
  printf '[hook]\nbus-address=%s\ncheck=always\n' "$bus" >"$tmp/always.conf"
  # a bus that does not exist, and deny if reached for: a domain that passes
  # with this conf was let through without asking the daemon
  printf '[hook]\nbus-address=unix:path=%s/no-such-bus\non-unavailable=deny\n' "$tmp" >"$tmp/nobus-deny.conf"
  printf '[hook]\nbus-address=unix:path=%s/no-such-bus\n' "$tmp" >"$tmp/nobus-allow.conf"
  printf '[hook]\nbus-address=%s\non-unknown=maybe\ntimeout-ms=soon\n' "$bus" >"$tmp/broken.conf"
  printf 'this is not a key file\n' >"$tmp/garbage.conf"

  hook_case hook-usage 64 allow.conf /dev/null

  # other operations: exit 0 at once, stdin never read (a FIFO opened
  # read-write blocks a reader forever: `timeout` would end it with 124)
  mkfifo "$tmp/fifo"
  for op in "start begin" "started begin" "stopped end" "release end" "migrate begin" "prepare end"; do
    # shellcheck disable=SC2086
    env -i LC_ALL=C PATH=/usr/bin:/bin HOME=/root IHW_HOOK_CONF="$tmp/nobus-deny.conf" \
      timeout 5 "$hook" nest-vm $op - <>"$tmp/fifo" >"$tmp/out.raw" 2>"$tmp/err.raw"
    rc=$?
    [ $rc = 0 ] || fail "hook $op: exit $rc, expected 0 without reading stdin (124: it read stdin)"
    [ -s "$tmp/out.raw" ] || [ -s "$tmp/err.raw" ] && fail "hook $op: printed something"
  done

  # nothing to check: silent, 0, the daemon not asked (bus absent, deny)
  hook_case hook-no-iommu 0 nobus-deny.conf "$domains/no-iommu.xml" plain-vm prepare begin -
  hook_case hook-no-nesting 0 nobus-deny.conf "$domains/intel-two-gpus.xml" gpu-vm prepare begin -
  hook_case hook-no-hostdev 0 nobus-deny.conf "$domains/intel-qemu-commandline.xml" flts-vm prepare begin -
  printf "<domain><name>x</name><devices><iommu model='intel'/></devices></domain>" >"$tmp/iommu-only.xml"
  hook_case hook-iommu-no-hostdev 0 nobus-deny.conf "$tmp/iommu-only.xml" x prepare begin -

  # daemon down (bus up): allow with a warning, or deny per hook.conf
  hook_case hook-down-allow 0 allow.conf "$domains/nest-intel-server.xml" nest-vm prepare begin -
  hook_case hook-down-deny 1 deny.conf "$domains/nest-intel-server.xml" nest-vm prepare begin -
  hook_case hook-nobus-allow 0 nobus-allow.conf "$domains/nest-intel-server.xml" nest-vm prepare begin -
  hook_case hook-nobus-deny 1 nobus-deny.conf "$domains/nest-intel-server.xml" nest-vm prepare begin -

  # hostile input: no verdict, so on-unknown decides; quickly
  head -c $((9 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$tmp/big.xml"
  for input in hostile-xxe big; do
    f=$domains/$input.xml; [ "$input" = big ] && f=$tmp/big.xml
    t0=$(date +%s%N)
    hook_case "hook-$input-allow" 0 allow.conf "$f" evil prepare begin -
    hook_case "hook-$input-deny" 1 deny.conf "$f" evil prepare begin -
    t1=$(date +%s%N)
    [ $(((t1 - t0) / 1000000)) -lt 3000 ] || fail "hook-$input: took $(((t1 - t0) / 1000000)) ms"
  done
  printf '<domain><devices>' >"$tmp/truncated.xml"
  hook_case hook-truncated-allow 0 allow.conf "$tmp/truncated.xml" cut prepare begin -

  # a broken hook.conf: said, defaults used
  hook_case hook-broken-conf 0 broken.conf "$domains/no-iommu.xml" plain-vm prepare begin -
  hook_case hook-garbage-conf 0 garbage.conf "$domains/no-iommu.xml" plain-vm prepare begin -

  start_host intel-server-nesting
  hook_case hook-supported 0 deny.conf "$domains/nest-intel-server.xml" nest-vm prepare begin -
  # a device the daemon does not know: no verdict (libvirt reports the
  # missing device itself later)
  hook_case hook-unknown-device-allow 0 allow.conf "$domains/smmuv3-accel.xml" arm-vm prepare begin -
  hook_case hook-unknown-device-deny 1 deny.conf "$domains/smmuv3-accel.xml" arm-vm prepare begin -
  ihw_daemon_stop

  # an SMMUv3 host without iommufd data: the daemon's verdict is `unknown`
  # (no registers in sysfs), so on-unknown decides, with a warning line
  start_host arm-smmuv3-server
  hook_case hook-unknown-verdict-allow 0 allow.conf "$domains/smmuv3-accel-local.xml" arm-vm-local prepare begin -
  hook_case hook-unknown-verdict-deny 1 deny.conf "$domains/smmuv3-accel-local.xml" arm-vm-local prepare begin -
  ihw_daemon_stop

  start_host qemu-guest
  hook_case hook-unsupported 1 allow.conf "$domains/nest-intel-guest.xml" guest-nest-vm prepare begin -
  # no nesting asked for: QEMU emulates the vIOMMU, the hook lets it start...
  hook_case hook-emulated 0 allow.conf "$domains/emulated-intel-guest.xml" emulated-vm prepare begin -
  # ...unless check=always
  hook_case hook-emulated-always 1 always.conf "$domains/emulated-intel-guest.xml" emulated-vm prepare begin -
  ihw_daemon_stop

  echo "$failures failures"
  [ "$failures" = 0 ]
  exit
fi

# --- nfd ----------------------------------------------------------------------
if [ "$mode" = nfd ]; then
  ctl_case nfd-extra-arg 64 nfd all
  ctl_case nfd-bad-prefix 64 nfd --prefix Not_A_Domain
  ctl_case nfd-down 69 nfd
  for host in intel-server-nesting qemu-guest amd-server mixed-two-unit no-iommu; do
    start_host "$host"
    ctl_case "nfd-$host" 0 nfd
    ctl_case "nfd-$host-json" 0 --json nfd
    ihw_daemon_stop
  done
  # no vfio-pci device: every device behind an IOMMU is judged instead
  cp -a "$fixtures/hosts/intel-server-nesting" "$tmp/host-novfio"
  ln -sfn ../../../bus/pci/drivers/nvme "$tmp/host-novfio/devices/pci0000:00/0000:3a:00.0/driver"
  rm -rf "$tmp/host-novfio/devices/pci0000:00/0000:3a:00.0/vfio-dev"
  ihw_daemon_start "$daemon" "$tmp/host-novfio" "$ctl" "$tmp/daemon.log" || exit 1
  ctl_case nfd-no-vfio 0 nfd
  ihw_daemon_stop

  # --output: atomic (dot file + rename), replaces the old file, 0644, no
  # temporary left behind; a failed write leaves the old file alone
  start_host intel-server-nesting
  mkdir "$tmp/features.d"
  echo "stale" >"$tmp/features.d/iommu-hwinfo"
  ctl_case nfd-output 0 nfd --output "$tmp/features.d/iommu-hwinfo"
  "$ctl" nfd >"$tmp/expected"
  cmp -s "$tmp/expected" "$tmp/features.d/iommu-hwinfo" || fail "nfd --output: the file differs from stdout"
  [ "$(stat -c %a "$tmp/features.d/iommu-hwinfo")" = 644 ] || fail "nfd --output: mode is not 644"
  [ "$(ls -A "$tmp/features.d")" = iommu-hwinfo ] || fail "nfd --output: left $(ls -A "$tmp/features.d")"
  ctl_case nfd-output-no-dir 2 nfd --output "$tmp/no-such-dir/iommu-hwinfo"
  chmod 555 "$tmp/features.d"
  if [ "$(id -u)" != 0 ]; then
    "$ctl" nfd --prefix example.com --output "$tmp/features.d/iommu-hwinfo" 2>/dev/null && fail "nfd: wrote into a read-only dir"
    cmp -s "$tmp/expected" "$tmp/features.d/iommu-hwinfo" || fail "nfd: a failed write changed the old file"
  fi
  chmod 755 "$tmp/features.d"
  ctl_case nfd-bare-prefix 0 nfd --prefix ''
  ihw_daemon_stop

  echo "$failures failures"
  [ "$failures" = 0 ]
  exit
fi

echo "unknown mode '$mode'"
exit 2
