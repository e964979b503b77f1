#!/bin/sh
# The hook's cost as libvirtd pays it (whole process, fork+exec included),
# measured in one interleaved run and printed as ratios (not pass/fail):
#
#   - a domain without <iommu> against a /bin/true hook (budget 1.5x);
#   - a nesting domain against one CheckNesting round trip (iommu-hwinfoctl
#     check, a whole process too) plus one `<emulator> --version`, with the
#     version cache warm (budget 1.0x: the cache saves the --version).
#
#   bench-hook.sh CTL HOOK DAEMON FIXTURES_DIR
set -u
ctl=$1 hook=$2 daemon=$3 fixtures=$4
. "$(dirname "$0")/../lib/private-bus.sh"
tmp=$(mktemp -d /tmp/ihw-bench.XXXXXX)
trap 'ihw_bus_stop; rm -rf "$tmp"' EXIT
ihw_bus_start "$tmp" || exit 1
ihw_daemon_start "$daemon" "$fixtures/hosts/intel-server-nesting" "$ctl" "$tmp/daemon.log" || exit 1
printf '[hook]\nbus-address=%s\nversion-cache=%s/qemu-versions\n' "$DBUS_SYSTEM_BUS_ADDRESS" "$tmp" >"$tmp/hook.conf"
mkdir -p "$tmp/q"
printf '#!/bin/sh\necho "QEMU emulator version 11.1.0"\n' >"$tmp/q/qemu-system-x86_64"
chmod 755 "$tmp/q" "$tmp/q/qemu-system-x86_64"
sed "s|<devices>|<devices><emulator>$tmp/q/qemu-system-x86_64</emulator>|" \
  "$fixtures/domains/nest-intel-server.xml" >"$tmp/nest.xml"
n=${IHW_BENCH_N:-200}

now() { date +%s%N; }
t_true=0 t_plain=0 t_nest=0 t_check=0 t_ver=0
i=0
while [ $i -lt "$n" ]; do
  a=$(now); /bin/true plain-vm prepare begin - <"$fixtures/domains/no-iommu.xml"; b=$(now)
  t_true=$((t_true + b - a))
  a=$(now); IHW_HOOK_CONF="$tmp/hook.conf" "$hook" plain-vm prepare begin - <"$fixtures/domains/no-iommu.xml"; b=$(now)
  t_plain=$((t_plain + b - a))
  a=$(now); IHW_HOOK_CONF="$tmp/hook.conf" "$hook" nest-vm prepare begin - <"$tmp/nest.xml" 2>/dev/null; b=$(now)
  t_nest=$((t_nest + b - a))
  a=$(now); "$ctl" check intel 0000:3a:00.0 --qemu-version 11.1 >/dev/null; b=$(now)
  t_check=$((t_check + b - a))
  a=$(now); "$tmp/q/qemu-system-x86_64" --version >/dev/null; b=$(now)
  t_ver=$((t_ver + b - a))
  i=$((i + 1))
done
us() { echo $(($1 / n / 1000)); }
echo "hook, domain without <iommu>: $(us $t_plain) us; /bin/true: $(us $t_true) us;" \
  "ratio $(awk "BEGIN{printf \"%.2f\", $t_plain/$t_true}") (budget 1.5)"
echo "hook, nesting domain (cache warm): $(us $t_nest) us; CheckNesting round trip (iommu-hwinfoctl check)" \
  "$(us $t_check) us + --version $(us $t_ver) us;" \
  "ratio $(awk "BEGIN{printf \"%.2f\", $t_nest/($t_check+$t_ver)}") (budget 1.0)"
