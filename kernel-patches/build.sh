#!/bin/bash
# Builds Debian's linux-source-6.12 twice in one tree, unpatched (config
# fragment only) and then patched (the series applied on top, an incremental
# rebuild), plus the iommufd selftests for each, and caches the results
# outside the clone, keyed by what they are built from.
#
#   kernel-patches/build.sh            build (or find) and print the output dir
#   IHW_KERNEL_CACHE=DIR build.sh      cache root (default below)
#   IHW_KERNEL_JOBS=N build.sh         make -jN (default 3)
#
# The last line on stdout is the output directory; progress and the timing
# summary go to stderr.  See kernel-patches/README.md for the layout.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${IHW_KERNEL_CACHE:-/var/cache/iommu-hwinfod/kernel}
JOBS=${IHW_KERNEL_JOBS:-3}
SRC_PKG=linux-source-6.12
SRC_TARBALL=/usr/src/$SRC_PKG.tar.xz
FRAGMENT=$HERE/iommufd.config
SERIES=$HERE/series
SHIM=$HERE/selftest-shim.h
SELFTESTS="iommufd iommufd_fail_nth"
KEEP_KEYS=2

export CCACHE_DIR=${CCACHE_DIR:-/var/cache/iommu-hwinfod/ccache}
export CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
# Reproducible build inputs keep ccache hits across trees and runs.
export KBUILD_BUILD_USER=iommu-hwinfod KBUILD_BUILD_HOST=build
export LC_ALL=C

log() { printf 'kernel-patches: %s\n' "$*" >&2; }
die() { printf 'kernel-patches: error: %s\n' "$*" >&2; exit 1; }

patches() { sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$SERIES"; }

source_version() {
  dpkg-query -W -f='${Version}' "$SRC_PKG" 2>/dev/null ||
    die "$SRC_PKG is not installed (tools/install-deps.sh installs it)"
}

# Everything the result depends on, in a fixed order, names and contents.
compute_key() {
  {
    printf 'source %s %s\n' "$SRC_PKG" "$1"
    for f in "$SERIES" "$FRAGMENT" "$HERE/build.sh" "$SHIM"; do
      printf 'file %s\n' "${f##*/}"
      cat "$f"
    done
    for p in $(patches); do
      [ -f "$HERE/$p" ] || die "series names $p, which is not in $HERE"
      printf 'patch %s\n' "$p"
      cat "$HERE/$p"
    done
  } | sha256sum | cut -c1-16
}

# --- timing --------------------------------------------------------------
STAGES=()
stage_start() { STAGE_NAME=$1; STAGE_T0=$EPOCHREALTIME; log "$1 ..."; }
stage_end() {
  local dt note=${1:+  ($1)}
  dt=$(awk -v a="$STAGE_T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  STAGES+=("$(printf '%-34s %8ss%s' "$STAGE_NAME" "$dt" "$note")")
  log "$STAGE_NAME: ${dt}s$note"
}

# --- config --------------------------------------------------------------
# Every option of the fragment must be in the final .config with its value.
# Before the series is applied, options the tree does not declare at all
# (AMD_IOMMU_IOMMUFD comes from the series) are skipped by name.
check_config() {
  local phase=$1 line sym lost=""
  while IFS= read -r line; do
    case $line in CONFIG_*=*) ;; *) continue ;; esac
    sym=${line%%=*}
    grep -qxF "$line" .config && continue
    if [ "$phase" = unpatched ] &&
       ! grep -rqE --include='Kconfig*' "^[[:space:]]*(menu)?config[[:space:]]+${sym#CONFIG_}\$" .; then
      log "unpatched tree has no $sym (added by the series): skipped"
      continue
    fi
    lost="$lost $sym"
  done < "$FRAGMENT"
  [ -z "$lost" ] || die "$phase: olddefconfig lost option(s):$lost (wanted as in $FRAGMENT)"
}

configure() {
  local phase=$1
  if [ "$phase" = unpatched ]; then
    make -s defconfig kvm_guest.config >&2
  fi
  scripts/kconfig/merge_config.sh -m .config "$FRAGMENT" >/dev/null
  make -s olddefconfig >&2
  check_config "$phase"
}

build_kernel() {
  make -j"$JOBS" CC="ccache gcc" bzImage >"$WORK/make-$1.log" 2>&1 ||
    { tail -40 "$WORK/make-$1.log" >&2; die "$1 kernel build failed (log: $WORK/make-$1.log)"; }
  COMPILED=$(grep -c '^  CC ' "$WORK/make-$1.log" || true)
  install -m 0644 arch/x86/boot/bzImage "$OUT/.bzImage-$1.tmp"
  mv -f "$OUT/.bzImage-$1.tmp" "$OUT/bzImage-$1"
  log "wrote $OUT/bzImage-$1"
}

# The selftests are built static, so they run in a busybox initramfs.
build_selftests() {
  local phase=$1 extra=$2 dir="$OUT/selftests-$1"
  make -s headers >&2
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  make -s -C tools/testing/selftests/iommu OUTPUT="$dir.tmp" \
    USERLDFLAGS=-static USERCFLAGS="$extra" >"$WORK/selftests-$phase.log" 2>&1 ||
    { tail -40 "$WORK/selftests-$phase.log" >&2; die "$phase selftests do not build (log: $WORK/selftests-$phase.log)"; }
  for t in $SELFTESTS; do
    [ -x "$dir.tmp/$t" ] || die "$phase selftest $t was not built"
  done
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
}

apply_series() {
  local p
  for p in $(patches); do
    if ! patch -p1 -N --batch --quiet <"$HERE/$p" >"$WORK/patch.log" 2>&1; then
      cat "$WORK/patch.log" >&2
      die "patch $p does not apply to $SRC_PKG $SRCVER"
    fi
    log "applied $p"
  done
}

prune() {
  local old
  # Newest first by the time their .complete marker was written.
  old=$(ls -1t "$CACHE"/out/*/.complete 2>/dev/null | tail -n +$((KEEP_KEYS + 1)) || true)
  for m in $old; do
    log "pruning old key ${m%/.complete}"
    rm -rf "${m%/.complete}"
  done
}

# --- main ----------------------------------------------------------------
# All of it in one function, read whole before it runs: bash reads a script
# as it goes, and a checkout that changes this file during a build must not
# change what the running build does.
main() {
  SRCVER=$(source_version)
  [ -f "$SERIES" ] || die "no $SERIES"
  KEY=$(compute_key "$SRCVER")
  OUT=$CACHE/out/$KEY

  if [ -f "$OUT/.complete" ]; then
    log "cached: $OUT"
    echo "$OUT"
    exit 0
  fi

  mkdir -p "$CACHE/out" "$CCACHE_DIR"
  exec 9>"$CACHE/.lock"
  if ! flock -n 9; then
    log "another build holds $CACHE/.lock; waiting"
    flock 9
  fi
  if [ -f "$OUT/.complete" ]; then
    echo "$OUT"
    exit 0
  fi

  [ -r "$SRC_TARBALL" ] || die "no $SRC_TARBALL ($SRC_PKG not installed?)"
  for tool in ccache gcc make flex bison bc patch xz cpio; do
    command -v "$tool" >/dev/null || die "$tool missing (run tools/install-deps.sh)"
  done

  T0=$EPOCHREALTIME
  WORK=$CACHE/build/$KEY
  TREE=$WORK/$SRC_PKG
  export CCACHE_BASEDIR=$TREE
  # Under the lock nothing else is building: trees and unfinished outputs
  # left by runs that failed or were interrupted are only in the way.
  rm -rf "$CACHE/build" "$CACHE/trash" 2>/dev/null || true
  for d in "$CACHE"/out/*/; do
    if [ -d "$d" ] && [ ! -f "$d.complete" ]; then rm -rf "$d"; fi
  done
  mkdir -p "$WORK" "$OUT"
  printf '%s\n' "$SRCVER" >"$OUT/source-version"
  log "key $KEY ($SRC_PKG $SRCVER), output $OUT"
  ccache -z >/dev/null

  stage_start "unpack $SRC_PKG"
  tar -xf "$SRC_TARBALL" -C "$WORK"
  cd "$TREE"
  stage_end

  stage_start "configure (unpatched)"
  configure unpatched
  stage_end

  stage_start "bzImage (unpatched, full build)"
  build_kernel unpatched
  stage_end "$COMPILED files compiled"

  stage_start "selftests (unpatched, shimmed)"
  build_selftests unpatched "-include $SHIM"
  stage_end

  stage_start "apply series"
  apply_series
  stage_end

  stage_start "configure (patched)"
  configure patched
  stage_end

  stage_start "bzImage (patched, incremental)"
  build_kernel patched
  stage_end "$COMPILED files compiled"

  stage_start "selftests (patched)"
  build_selftests patched ""
  stage_end

  TOTAL=$(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  {
    printf 'key %s, %s %s, make -j%s, %s\n' "$KEY" "$SRC_PKG" "$SRCVER" "$JOBS" "$(date -u +%FT%TZ)"
    printf '%s\n' "${STAGES[@]}"
    printf '%-34s %8ss\n' total "$TOTAL"
    ccache -s 2>/dev/null | grep -E '^ *(Hits|Misses|Cacheable)' || true
  } >"$OUT/timings.txt"
  cat "$OUT/timings.txt" >&2

  cd /
  # Deleting the tree (~70k files) takes minutes on a busy disk and nobody
  # needs to wait for it: move it aside, finish, and delete it detached.
  mkdir -p "$CACHE/trash"
  mv "$WORK" "$CACHE/trash/$KEY.$$"
  touch "$OUT/.complete"
  prune
  echo "$OUT"
  nohup rm -rf "$CACHE/trash/$KEY.$$" </dev/null >/dev/null 2>&1 9>&- &
}

main "$@"
exit
