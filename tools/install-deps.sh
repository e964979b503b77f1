#!/bin/sh
# Installs what this project needs from Debian bookworm, and nothing when it
# is all there already (fast, idempotent).  Needs root only when something is
# missing.
set -eu

PACKAGES="
  meson ninja-build pkg-config gcc libc6-dev clang libclang-rt-14-dev llvm
  libglib2.0-dev libglib2.0-bin libjson-glib-dev libdbus-1-dev dbus libsystemd-dev
  libvirt-dev libvirt-clients libxml2-dev libxml2-utils
  libumockdev-dev umockdev
  scdoc valgrind systemd
"

missing=""
for p in $PACKAGES; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in
    *" installed") ;;
    *) missing="$missing $p" ;;
  esac
done

if [ -z "$missing" ]; then
  exit 0
fi

echo "install-deps: installing:$missing" >&2
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: these packages are missing and installing them needs root:" >&2
  echo "  sudo apt-get install$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >&2
