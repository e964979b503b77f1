#!/bin/bash
# Boots a kernel from kernel-patches/build.sh under QEMU (TCG, as FACTS says)
# with a throwaway busybox initramfs, for checking the patches by hand.
#
#   guest-check.sh selftests OUTDIR unpatched|patched
#       the iommufd and iommufd_fail_nth selftests of that flavour on its
#       kernel, in a guest without a vIOMMU (with one, the IOMMU driver
#       claims the mock devices); prints the kselftest totals.
#   guest-check.sh hwinfo BZIMAGE HWINFO_CHECK amd|intel
#       edu bound to vfio-pci behind that vIOMMU, then tools/hwinfo-check
#       (built static against the patched headers) on it.
#
# The guest's console log is kept in $IHW_GUEST_LOG (default a temp file).
set -euo pipefail

die() { echo "guest-check: $*" >&2; exit 1; }
[ $# -ge 3 ] || die "usage: see the head of $0"
MODE=$1
ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT
LOG=${IHW_GUEST_LOG:-$ROOT/console.log}

mkdir -p "$ROOT"/initramfs/{bin,dev,proc,sys}
cp /bin/busybox "$ROOT/initramfs/bin/busybox"
# ldd fails on a static binary, which is the only kind that runs in there.
if ldd /bin/busybox >/dev/null 2>&1; then die "/bin/busybox is not static (install busybox-static)"; fi

QEMU=(qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 1G -nographic
      -nodefaults -no-reboot -nic none -vga none -serial mon:stdio)
APPEND="console=ttyS0 panic=-1"

case $MODE in
selftests)
  OUT=$2 FLAVOUR=$3
  KERNEL=$OUT/bzImage-$FLAVOUR
  cp "$OUT/selftests-$FLAVOUR/iommufd" "$OUT/selftests-$FLAVOUR/iommufd_fail_nth" "$ROOT/initramfs/"
  QEMU+=(-machine q35)
  ;;
hwinfo)
  KERNEL=$2 FLAVOUR=$4
  cp "$3" "$ROOT/initramfs/hwinfo-check"
  case $FLAVOUR in
  amd)
    # The serial IRQ never arrives behind amd-iommu,intremap=off: the guest
    # writes through /dev/kmsg, which the console prints by polling.
    QEMU+=(-machine q35 -device amd-iommu,intremap=off -device edu)
    APPEND="$APPEND printk.devkmsg=on iommufd.allow_unsafe_interrupts=1" ;;
  intel)
    QEMU+=(-machine q35,kernel-irqchip=split -device intel-iommu,intremap=on -device edu) ;;
  *) die "unknown vIOMMU $FLAVOUR" ;;
  esac
  ;;
*) die "unknown mode $MODE" ;;
esac
[ -f "$KERNEL" ] || die "no kernel $KERNEL"
echo "$MODE $FLAVOUR" >"$ROOT/initramfs/mode"

cat >"$ROOT/initramfs/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
set -- $(cat /mode)
if [ "$1" = selftests ]; then
  echo 64 >/proc/sys/vm/nr_hugepages
  for t in iommufd iommufd_fail_nth; do
    echo "GUEST: start $t"
    /$t
    echo "GUEST: end $t rc=$?"
  done
else
  [ "$2" = amd ] && exec >/dev/kmsg 2>&1
  bdf=
  for d in /sys/bus/pci/devices/*; do
    [ "$(cat $d/vendor):$(cat $d/device)" = 0x1234:0x11e8 ] && bdf=${d##*/}
  done
  echo vfio-pci >/sys/bus/pci/devices/$bdf/driver_override
  echo $bdf >/sys/bus/pci/drivers_probe
  cdev=$(ls /sys/bus/pci/devices/$bdf/vfio-dev/)
  echo "GUEST: edu $bdf -> /dev/vfio/devices/$cdev, iommu $(readlink /sys/bus/pci/devices/$bdf/iommu)"
  /hwinfo-check /dev/vfio/devices/$cdev $bdf
  echo "GUEST: end hwinfo-check rc=$?"
fi
poweroff -f
EOF
chmod +x "$ROOT/initramfs/init"
(cd "$ROOT/initramfs" && find . | cpio -o -H newc --quiet | gzip -1 >"$ROOT/initrd")

start=$EPOCHREALTIME
timeout 1800 "${QEMU[@]}" -kernel "$KERNEL" -initrd "$ROOT/initrd" \
  -append "$APPEND" </dev/null >"$LOG" 2>&1 || true
secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
echo "guest-check: $MODE $FLAVOUR on $KERNEL: ${secs}s, console log $LOG" >&2

if [ "$MODE" = selftests ]; then
  grep -aE 'GUEST: end|# Totals|# FAILED|^not ok' "$LOG" | tr -d '\r'
  grep -aq 'GUEST: end iommufd_fail_nth' "$LOG" || die "the guest did not finish (see $LOG)"
else
  grep -a 'hwinfo-check\|GUEST:' "$LOG" | tr -d '\r' | sed 's/^\[ *[0-9.]*\] //'
  grep -aq 'hwinfo-check: PASS' "$LOG" || die "hwinfo-check did not pass (see $LOG)"
fi
# A selftest can pass while the kernel complains: count that too.
if grep -aqE 'WARNING:|BUG:|Oops|KASAN|refcount_t:' "$LOG"; then
  grep -aE 'WARNING:|BUG:|Oops|KASAN|refcount_t:' "$LOG" | tr -d '\r' >&2
  die "the kernel logged a warning (see $LOG)"
fi
