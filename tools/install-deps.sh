#!/bin/sh
# Installs what this project needs from Debian bookworm, and nothing when it
# is all there already (fast, idempotent).  Needs root only when something is
# missing.
#
# QEMU 10 (for the vm suite: intel-iommu x-scalable-mode/x-flts, amd-iommu)
# comes from bookworm-backports.  The backports source is derived from the
# mirror the machine already uses (deb822 debian.sources or sources.list),
# never a hard-coded host.
set -eu

PACKAGES="
  meson ninja-build pkg-config gcc libc6-dev clang libclang-rt-14-dev llvm
  libglib2.0-dev libglib2.0-bin libjson-glib-dev libdbus-1-dev dbus libsystemd-dev python3-dbus
  libvirt-dev libvirt-clients libvirt-daemon-system libxml2-dev libxml2-utils
  libumockdev-dev umockdev
  scdoc valgrind systemd udev
  linux-source-6.12 build-essential flex bison bc libelf-dev libssl-dev dwarves
  xz-utils cpio busybox-static ccache
  debhelper dpkg-dev fakeroot lintian bash-completion
"
# Installed from bookworm-backports (bookworm's own QEMU 7.2 has no x-flts,
# no aw-bits on intel-iommu and no usable amd-iommu with VFIO).
BACKPORTS_PACKAGES="qemu-system-x86"
QEMU_MIN_MAJOR=10

is_installed() {
  case "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" in
    *" installed") return 0 ;;
  esac
  return 1
}

qemu_new_enough() {
  v=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null || true)
  v=${v#*:}
  [ -n "$v" ] && [ "${v%%.*}" -ge "$QEMU_MIN_MAJOR" ] 2>/dev/null
}

missing=""
for p in $PACKAGES; do
  is_installed "$p" || missing="$missing $p"
done
need_bpo=0
qemu_new_enough || need_bpo=1

if [ -z "$missing" ] && [ "$need_bpo" = 0 ]; then
  exit 0
fi

echo "install-deps: installing:$missing$( [ "$need_bpo" = 1 ] && echo " $BACKPORTS_PACKAGES (bookworm-backports)")" >&2
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: these packages are missing and installing them needs root:" >&2
  [ -n "$missing" ] && echo "  sudo apt-get install$missing" >&2
  [ "$need_bpo" = 1 ] && echo "  sudo apt-get install -t bookworm-backports $BACKPORTS_PACKAGES" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive

# The mirror this machine already uses for bookworm.
bookworm_mirror() {
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '
      /^[[:space:]]*$/ { if (uri != "" && suite) { print uri; exit } uri=""; suite=0; next }
      /^URIs:/ { uri=$2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") suite=1 }
      END { if (uri != "" && suite) print uri }' "$f" | head -n 1
  done | head -n 1
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" && $0 ~ / bookworm / { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f"
  done | head -n 1
}

if [ "$need_bpo" = 1 ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  mirror=$(bookworm_mirror | head -n 1)
  if [ -z "$mirror" ]; then
    echo "install-deps: cannot find the bookworm mirror in /etc/apt/sources.list{,.d} to add bookworm-backports" >&2
    exit 1
  fi
  echo "install-deps: adding bookworm-backports from $mirror" >&2
  cat >/etc/apt/sources.list.d/bookworm-backports.sources <<SRC
Types: deb
URIs: $mirror
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi

apt-get update -q >&2
if [ -n "$missing" ]; then
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing >&2
fi
if [ "$need_bpo" = 1 ]; then
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends -t bookworm-backports $BACKPORTS_PACKAGES >&2
  qemu_new_enough || { echo "install-deps: qemu-system-x86 >= $QEMU_MIN_MAJOR not available from bookworm-backports" >&2; exit 1; }
fi
