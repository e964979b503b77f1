#!/bin/sh
# README command 1: install what is missing, build, and run the main job.
#
# For now the main job decodes the recorded hosts bundled under
# tests/fixtures/registers (register values from real machines, each with
# its public source) and shows the nesting verdict for each.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

./tools/install-deps.sh
if [ ! -f _build/main/build.ninja ]; then
  meson setup _build/main >/dev/null
fi
ninja -C _build/main >/dev/null
ctl=_build/main/client/iommu-hwinfoctl

echo "=================================================================="
echo " iommu-hwinfod: recorded hosts (tests/fixtures/registers), offline"
echo "=================================================================="
for f in tests/fixtures/registers/*.ini; do
  vendor=$(sed -n 's/^vendor=//p' "$f")
  input=$(sed -n 's/^input=//p' "$f")
  desc=$(sed -n 's/^description=//p' "$f" | cut -c1-70)
  case "$vendor" in
    intel-vtd) v=intel ;; amd-vi) v=amd ;; arm-smmuv3) v=smmuv3 ;; *) continue ;;
  esac
  rc=0
  out=$("$ctl" decode "$v" "$input" 2>&1) || rc=$?
  verdict=$(printf '%s\n' "$out" | sed -n "s/^Nested translation with <iommu model='[a-z0-9]*'>: //p")
  printf '%-12s %-72s %s\n' "$verdict" "$desc" "(exit $rc)"
done
echo
echo "One host in full:  $ctl decode intel 'cap 19ed008c40780c66 ecap 3ee9e86f050df'"
"$ctl" decode intel 'cap 19ed008c40780c66 ecap 3ee9e86f050df' | tail -n 12 || true
