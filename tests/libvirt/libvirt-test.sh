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

# Fake emulators: $tmp/qemu-V/qemu-system-x86_64 prints what QEMU V prints
# for --version; qemu-hang prints nothing and sleeps (its pid in hang.pid).
fake_qemu() {
  mkdir -p "$tmp/qemu-$1"
  printf '#!/bin/sh\n%s\n' "$2" >"$tmp/qemu-$1/qemu-system-x86_64"
  chmod 755 "$tmp/qemu-$1" "$tmp/qemu-$1/qemu-system-x86_64"
}
fake_qemu 10.0 "echo 'QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-1~bpo12+1)'; echo 'Copyright (c) 2003-2025 Fabrice Bellard and the QEMU Project developers'"
fake_qemu 11.0 "echo 'QEMU emulator version 11.0.0'"
fake_qemu 11.1 "echo 'QEMU emulator version 11.1.0'"
fake_qemu hang "echo \$\$ >$tmp/hang.pid; exec sleep 60"
# domain_with_emulator FIXTURE NAME: the fixture with <emulator> set to
# $tmp/qemu-NAME/qemu-system-x86_64, as $tmp/FIXTURE-NAME.xml
domain_with_emulator() {
  sed "s|<devices>|<devices>\\n    <emulator>$tmp/qemu-$2/qemu-system-x86_64</emulator>|" "$domains/$1.xml" \
    >"$tmp/$1-$2.xml"
}
fake_qemu 9.0 "echo 'QEMU emulator version 9.0.2'"
for q in 10.0 11.0 hang missing; do
  domain_with_emulator nest-intel-server "$q"
  domain_with_emulator nest-intel-guest "$q"
done
domain_with_emulator emulated-intel-client 9.0
# cmdqv on arm-smmuv3 through <qemu:commandline>: QEMU 11.0 has no such
# property, 11.1 asks the host SMMU
for q in 11.0 11.1; do
  domain_with_emulator smmuv3-cmdqv "$q"
done

# --- domain-check ----------------------------------------------------------
if [ "$mode" = domain-check ]; then
  # domain-check reads hook.conf as the hook does: one in $tmp (the bus
  # comes from DBUS_SYSTEM_BUS_ADDRESS)
  printf '[hook]\nversion-cache=%s/qemu-versions\n' "$tmp" >"$tmp/dc.conf"
  export IHW_HOOK_CONF="$tmp/dc.conf"
  if "$ctl" domain-check any-vm --connect test:///default 2>&1 | grep -q "no libvirt support"; then
    echo "iommu-hwinfoctl was built without libvirt (meson -Dlibvirt=disabled or no libvirt-dev): skipped"
    exit 77
  fi
  # The test driver wants complete domains: every fixture libvirt 9.0 accepts.
  node=$tmp/node.xml
  {
    echo "<node>"
    for f in intel-two-gpus no-iommu smmuv3-accel intel-qemu-commandline nest-intel-server nest-intel-guest \
             emulated-intel-guest emulated-intel-client emulated-intel-client-39 emulated-intel-no-caching-mode; do
      sed '/^<?xml/d' "$domains/$f.xml"
    done
    echo "</node>"
  } >"$node"
  uri="test://$node"

  # daemon down first: domains with nothing to check still answer (no daemon
  # needed), the others fail with 69 naming the domain
  ctl_case dc-down-plain 0 domain-check plain-vm --connect "$uri"
  # the daemon down is the hook's on-unavailable (allow by default)
  ctl_case dc-down-nest 0 domain-check nest-vm --connect "$uri"

  # usage and libvirt errors need no daemon either
  ctl_case dc-no-args 64 domain-check
  ctl_case dc-two-domains 64 domain-check a b
  ctl_case dc-xml-and-domain 64 domain-check nest-vm --xml "$domains/nest-intel-server.xml"
  ctl_case dc-unknown-domain 65 domain-check no-such-vm --connect "$uri"
  ctl_case dc-unknown-domain-json 65 --json domain-check no-such-vm --connect "$uri"
  ctl_case dc-bad-uri 69 domain-check nest-vm --connect "test:///no/such/node.xml"
  ctl_case dc-xml-missing 65 domain-check --xml "$tmp/no-such.xml"
  # unreadable XML is the hook's on-unknown (allow by default)
  ctl_case dc-xml-hostile 0 domain-check --xml "$domains/hostile-xxe.xml"
  head -c $((9 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$tmp/big.xml"
  ctl_case dc-xml-too-big 65 domain-check --xml "$tmp/big.xml"

  start_host intel-server-nesting
  for json in "" --json; do
    j=${json:+-json}
    ctl_case "dc-nest-vm$j" 0 $json domain-check nest-vm --connect "$uri"
    ctl_case "dc-plain-vm$j" 0 $json domain-check plain-vm --connect "$uri"
    # 0000:3b:00.1 is not on this host: no verdict, on-unknown allows
    ctl_case "dc-gpu-vm$j" 0 $json domain-check gpu-vm --connect "$uri"
    # the XML file keeps <qemu:commandline>; libvirt's test driver drops the
    # qemu namespace, so through it nest-vm does not ask for nesting
    ctl_case "dc-xml-nest$j" 0 $json domain-check --xml "$domains/nest-intel-server.xml"
  done
  ctl_case dc-nest-vm-uuid 0 domain-check 6f1c1a9e-3b1d-4c53-9d0e-2f5a4c1b7e01 --connect "$uri"

  # the QEMU judged for: the domain's <emulator> --version (10.0 refuses
  # x-flts=on with any assigned device, 11.0 accepts), --qemu-version over it
  for json in "" --json; do
    j=${json:+-json}
    ctl_case "dc-qemu-10.0$j" 1 $json domain-check --xml "$tmp/nest-intel-server-10.0.xml"
    ctl_case "dc-qemu-11.0$j" 0 $json domain-check --xml "$tmp/nest-intel-server-11.0.xml"
    ctl_case "dc-qemu-missing$j" 0 $json domain-check --xml "$tmp/nest-intel-server-missing.xml"
    ctl_case "dc-qemu-option$j" 0 $json domain-check --xml "$tmp/nest-intel-server-10.0.xml" --qemu-version 11.0
  done
  ctl_case dc-qemu-option-10.0 1 domain-check --xml "$tmp/nest-intel-server-11.0.xml" --qemu-version 10.0.2
  ctl_case dc-qemu-option-bad 64 domain-check --xml "$tmp/nest-intel-server-11.0.xml" --qemu-version ten
  t0=$(date +%s%N)
  ctl_case dc-qemu-hang 0 domain-check --xml "$tmp/nest-intel-server-hang.xml"
  t1=$(date +%s%N)
  [ $(((t1 - t0) / 1000000)) -lt 6000 ] || fail "dc-qemu-hang: took $(((t1 - t0) / 1000000)) ms"
  kill -0 "$(cat "$tmp/hang.pid")" 2>/dev/null && fail "dc-qemu-hang: the hanging emulator was left running"
  ihw_daemon_stop

  start_host intel-client-no-sm
  for json in "" --json; do
    j=${json:+-json}
    ctl_case "dc-emulated-aw-bits$j" 1 $json domain-check client-vm --connect "$uri"
    ctl_case "dc-emulated-aw-bits-39$j" 0 $json domain-check client-vm-39 --connect "$uri"
    ctl_case "dc-no-caching-mode$j" 1 $json domain-check client-vm-nocm --connect "$uri"
  done
  ihw_daemon_stop

  # cmdqv=on on arm-smmuv3: refused by QEMU 11.0 (no such property, "fix"
  # says what to change); 11.1 judges the host (SMMUv3 without iommufd:
  # unknown, which hook.conf's on-unknown lets through by default)
  start_host arm-smmuv3-server
  for json in "" --json; do
    j=${json:+-json}
    ctl_case "dc-cmdqv-qemu-11.0$j" 1 $json domain-check --xml "$tmp/smmuv3-cmdqv-11.0.xml"
    ctl_case "dc-cmdqv-qemu-11.1$j" 0 $json domain-check --xml "$tmp/smmuv3-cmdqv-11.1.xml"
  done
  ihw_daemon_stop

  start_host qemu-guest
  for json in "" --json; do
    j=${json:+-json}
    ctl_case "dc-guest-nest-vm$j" 0 $json domain-check guest-nest-vm --connect "$uri"
    ctl_case "dc-emulated-vm$j" 0 $json domain-check emulated-vm --connect "$uri"
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
  printf '[hook]\nbus-address=%s\ntimeout-ms=500\n' "$bus" >"$tmp/fast.conf"
  printf '[hook]\nbus-address=%s\nqemu-version=10.0\n' "$bus" >"$tmp/qemu10.conf"
  printf '[hook]\nbus-address=%s\nqemu-version=11.0.1\n' "$bus" >"$tmp/qemu11.conf"
  printf '[hook]\nbus-address=%s\ndetect-qemu=no\n' "$bus" >"$tmp/nodetect.conf"
  printf '[hook]\nbus-address=%s\nqemu-version=latest\ndetect-qemu=maybe\n' "$bus" >"$tmp/badqemu.conf"
  printf '[hook]\nbus-address=%s\ncheck=nesting\n' "$bus" >"$tmp/nesting.conf"
  printf '[hook]\nbus-address=unix:path=%s/no-such-bus\non-unavailable=deny\ncheck=nesting\n' "$tmp" \
    >"$tmp/nobus-deny-nesting.conf"
  # the emulator version cache stays in $tmp
  for f in "$tmp"/*.conf; do
    printf 'version-cache=%s/qemu-versions\n' "$tmp" >>"$f"
  done

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
  hook_case hook-no-nesting 0 nobus-deny-nesting.conf "$domains/intel-two-gpus.xml" gpu-vm prepare begin -
  # ...but by default (check=always) an emulated vIOMMU with hostdevs is
  # judged too: the daemon is asked (here: absent, deny)
  hook_case hook-no-nesting-always 1 nobus-deny.conf "$domains/intel-two-gpus.xml" gpu-vm prepare begin -
  hook_case hook-no-hostdev 0 nobus-deny-nesting.conf "$domains/intel-qemu-commandline.xml" flts-vm prepare begin -
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

  # stdin that never closes: part of a domain, then a writer that holds the
  # pipe open.  The hook decides by its read deadline (10 s) on what came,
  # as on-unknown says; it used to wait for EOF forever.
  mkfifo "$tmp/held"
  exec 3<>"$tmp/held"
  printf '<domain><name>held</name><devices>' >&3
  t0=$(date +%s%N)
  # shellcheck disable=SC2086
  env -i LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    IHW_HOOK_CONF="$tmp/deny.conf" timeout 30 ${IHW_TEST_WRAPPER:-} "$hook" held prepare begin - \
    <"$tmp/held" >"$tmp/out.raw" 2>"$tmp/err.raw"
  rc=$?
  t1=$(date +%s%N)
  exec 3>&-
  check hook-stdin-held-deny 1
  [ $(((t1 - t0) / 1000000)) -lt 20000 ] || fail "hook-stdin-held-deny: took $(((t1 - t0) / 1000000)) ms"

  # ... but a whole domain (no <iommu>) whose writer holds stdin open is
  # judged on what came, by the deadline: allowed under deny, no output.
  mkfifo "$tmp/held2"
  exec 3<>"$tmp/held2"
  printf '<domain><name>held</name><devices></devices></domain>' >&3
  # shellcheck disable=SC2086
  env -i LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    IHW_HOOK_CONF="$tmp/deny.conf" timeout 30 ${IHW_TEST_WRAPPER:-} "$hook" held prepare begin - \
    <"$tmp/held2" >"$tmp/out.raw" 2>"$tmp/err.raw"
  rc=$?
  exec 3>&-
  check hook-stdin-held-whole 0

  # a broken hook.conf: said, defaults used (read only for a domain with a
  # vIOMMU: the front passes the others without reading it)
  hook_case hook-broken-conf 0 broken.conf "$domains/nest-intel-server.xml" nest-vm prepare begin -
  hook_case hook-garbage-conf 0 garbage.conf "$domains/nest-intel-server.xml" nest-vm prepare begin -

  start_host intel-server-nesting
  hook_case hook-supported 0 deny.conf "$domains/nest-intel-server.xml" nest-vm prepare begin -
  # a device the daemon does not know: no verdict (libvirt reports the
  # missing device itself later)
  hook_case hook-unknown-device-allow 0 allow.conf "$domains/smmuv3-accel.xml" arm-vm prepare begin -
  hook_case hook-unknown-device-deny 1 deny.conf "$domains/smmuv3-accel.xml" arm-vm prepare begin -

  # The QEMU judged for.  This host nests; QEMU 10.0 still refuses x-flts=on
  # with any assigned device, 11.0 accepts (and the daemon's default is 11.0).
  hook_case hook-qemu-10.0 1 allow.conf "$tmp/nest-intel-server-10.0.xml" nest-vm prepare begin -
  hook_case hook-qemu-11.0 0 allow.conf "$tmp/nest-intel-server-11.0.xml" nest-vm prepare begin -
  # hook.conf qemu-version wins over the emulator, both ways
  hook_case hook-qemu-conf-10.0 1 qemu10.conf "$tmp/nest-intel-server-11.0.xml" nest-vm prepare begin -
  hook_case hook-qemu-conf-11.0 0 qemu11.conf "$tmp/nest-intel-server-10.0.xml" nest-vm prepare begin -
  # detect-qemu=no: the daemon's default
  hook_case hook-qemu-nodetect 0 nodetect.conf "$tmp/nest-intel-server-10.0.xml" nest-vm prepare begin -
  # a broken qemu-version / detect-qemu: said, then detection as by default
  hook_case hook-qemu-badconf 1 badqemu.conf "$tmp/nest-intel-server-10.0.xml" nest-vm prepare begin -
  # no answer from the emulator: the daemon's default, silently when supported
  hook_case hook-qemu-missing 0 allow.conf "$tmp/nest-intel-server-missing.xml" nest-vm prepare begin -
  t0=$(date +%s%N)
  hook_case hook-qemu-hang 0 fast.conf "$tmp/nest-intel-server-hang.xml" nest-vm prepare begin -
  t1=$(date +%s%N)
  [ $(((t1 - t0) / 1000000)) -lt 3000 ] || fail "hook-qemu-hang: took $(((t1 - t0) / 1000000)) ms"
  kill -0 "$(cat "$tmp/hang.pid")" 2>/dev/null && fail "hook-qemu-hang: the hanging emulator was left running"
  ihw_daemon_stop

  # an SMMUv3 host without iommufd data: the daemon's verdict is `unknown`
  # (no registers in sysfs), so on-unknown decides, with a warning line
  start_host arm-smmuv3-server
  hook_case hook-unknown-verdict-allow 0 allow.conf "$domains/smmuv3-accel-local.xml" arm-vm-local prepare begin -
  hook_case hook-unknown-verdict-deny 1 deny.conf "$domains/smmuv3-accel-local.xml" arm-vm-local prepare begin -
  # cmdqv=on: QEMU 11.0 refuses the command line (no such property) whatever
  # the host says; 11.1 judges the host, here unknown without iommufd
  hook_case hook-cmdqv-qemu-11.0 1 allow.conf "$tmp/smmuv3-cmdqv-11.0.xml" cmdqv-vm prepare begin -
  hook_case hook-cmdqv-qemu-11.1-allow 0 allow.conf "$tmp/smmuv3-cmdqv-11.1.xml" cmdqv-vm prepare begin -
  hook_case hook-cmdqv-qemu-11.1-deny 1 deny.conf "$tmp/smmuv3-cmdqv-11.1.xml" cmdqv-vm prepare begin -
  ihw_daemon_stop

  # an emulated vIOMMU: QEMU refuses aw-bits 48 (its default) on a 39-bit
  # host at VM start ("aw-bits %d > host aw-bits %d"), accepts aw_bits='39'
  start_host intel-client-no-sm
  hook_case hook-emulated-aw-bits 1 allow.conf "$domains/emulated-intel-client.xml" client-vm prepare begin -
  hook_case hook-emulated-aw-bits-qemu9.0 0 allow.conf "$tmp/emulated-intel-client-9.0.xml" client-vm \
    prepare begin -
  hook_case hook-emulated-aw-bits-39 0 deny.conf "$domains/emulated-intel-client-39.xml" client-vm-39 \
    prepare begin -
  # device assignment without caching_mode: QEMU exits at start
  hook_case hook-no-caching-mode 1 allow.conf "$domains/emulated-intel-no-caching-mode.xml" client-vm-nocm \
    prepare begin -
  ihw_daemon_stop

  # One decision, two front ends: on every host, every domain fixture (and
  # every emulator variant) gets the same exit status from the hook and
  # from domain-check --xml with the same hook.conf, under both policies.
  agree() { # CONF FILE
    env -i LC_ALL=C PATH=/usr/bin:/bin HOME=/root IHW_HOOK_CONF="$tmp/$1" "$hook" agree-vm prepare begin - \
      <"$2" >/dev/null 2>&1
    h=$?
    env -i LC_ALL=C PATH=/usr/bin:/bin HOME=/root "$ctl" domain-check --xml "$2" --hook-conf "$tmp/$1" \
      >/dev/null 2>&1
    c=$?
    [ "$h" = "$c" ] || fail "agree $1 $(basename "$2"): hook exit $h, domain-check exit $c"
    agreed=$((agreed + 1))
  }
  agreed=0
  for host in intel-server-nesting qemu-guest intel-client-no-sm arm-smmuv3-server down; do
    [ "$host" = down ] || start_host "$host"
    for f in "$domains"/*.xml "$tmp"/*-10.0.xml "$tmp"/*-11.0.xml "$tmp"/*-11.1.xml "$tmp"/*-9.0.xml \
             "$tmp"/*-missing.xml; do
      for conf in allow.conf deny.conf nesting.conf; do
        agree "$conf" "$f"
      done
    done
    [ "$host" = down ] || ihw_daemon_stop
  done
  echo "hook and domain-check agreed on $agreed cases"

  start_host qemu-guest
  hook_case hook-unsupported 1 allow.conf "$domains/nest-intel-guest.xml" guest-nest-vm prepare begin -
  # not supported and the emulator gave no version: one line says so
  hook_case hook-unsupported-qemu-missing 1 allow.conf "$tmp/nest-intel-guest-missing.xml" guest-nest-vm \
    prepare begin -
  hook_case hook-unsupported-qemu-11.0 1 allow.conf "$tmp/nest-intel-guest-11.0.xml" guest-nest-vm prepare begin -
  # no nesting asked for: QEMU emulates the vIOMMU; this host's 48 bits
  # take QEMU's default aw-bits, so it starts (never a word about x-flts)
  hook_case hook-emulated 0 allow.conf "$domains/emulated-intel-guest.xml" emulated-vm prepare begin -
  hook_case hook-emulated-always 0 always.conf "$domains/emulated-intel-guest.xml" emulated-vm prepare begin -
  # check=nesting: only domains that turn nesting on are judged
  hook_case hook-emulated-nesting-only 0 nesting.conf "$domains/emulated-intel-guest.xml" emulated-vm \
    prepare begin -
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
  ctl_case domcaps-down 69 domcaps
  ctl_case domcaps-bad-version 64 domcaps --qemu-version ten
  for host in intel-server-nesting qemu-guest amd-server mixed-two-unit no-iommu; do
    start_host "$host"
    ctl_case "nfd-$host" 0 nfd
    ctl_case "nfd-$host-json" 0 --json nfd
    ctl_case "domcaps-$host" 0 domcaps --qemu-version 11.1
    ctl_case "domcaps-$host-json" 0 --json domcaps --qemu-version 11.1
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
