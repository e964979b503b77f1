#!/bin/sh
# The Debian packages: build them (dpkg-buildpackage, DEB_BUILD_OPTIONS=nocheck),
# lintian finds no error or warning, they install into a scratch root where
# systemd, the system bus and libvirt look for each file, the unit is
# enabled, and `dpkg -r` leaves only conffiles (and the admin's enable state,
# as Debian does) while `dpkg -P` leaves nothing.
#
#   test-deb.sh SOURCE_DIR WORK_DIR
#
# WORK_DIR is emptied first and kept afterwards (build log, packages, root).
# It is a fixed path so that ccache, when installed, makes reruns fast.
set -eu
src=$1
work=$2

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

for tool in dpkg-buildpackage dh dpkg-deb lintian; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (tools/install-deps.sh installs it)"
done
[ -f "$src/debian/control" ] || fail "no $src/debian/control"

started=$(date +%s)
rm -rf "$work"
mkdir -p "$work/src"

# A clean copy of the source: the build writes debian/ and ../*.deb.
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$src" ls-files -co --exclude-standard | while IFS= read -r f; do
    [ -e "$src/$f" ] && printf '%s\n' "$f"
  done | (cd "$src" && tar -cf - -T -) | tar -xf - -C "$work/src"
else
  (cd "$src" && tar -cf - --exclude='./_build*' --exclude='./build*' --exclude=./.git .) | tar -xf - -C "$work/src"
fi

# nice: the build shares the CPU with timing-sensitive suites.
cc_wrap=""
command -v ccache >/dev/null && cc_wrap="ccache "
echo "building the packages in $work/src"
if ! (cd "$work/src" && CC="${cc_wrap}cc" DEB_BUILD_OPTIONS="nocheck noddebs parallel=2" \
        nice -n 10 dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1); then
  tail -n 40 "$work/build.log"
  fail "dpkg-buildpackage failed (log: $work/build.log)"
fi
built=$(date +%s)
echo "built in $((built - started)) s:"
(cd "$work" && ls ./*.deb)

for p in iommu-hwinfod iommu-hwinfo-tools libiommu-hwinfo-client0 libiommu-hwinfo-client-dev; do
  ls "$work/${p}_"*.deb >/dev/null 2>&1 || fail "package $p was not built"
done

# lintian: no error and no warning (debian/README.source lists what it
# says at info level and why).
lintian --fail-on error,warning \
  "$work"/*.changes >"$work/lintian.log" 2>&1 || { cat "$work/lintian.log"; fail "lintian"; }
grep -E '^[EW]: ' "$work/lintian.log" && fail "lintian reports errors or warnings"
echo "lintian: no errors, no warnings"

# The scratch root: an empty dpkg database.  Maintainer scripts run outside
# a chroot with DPKG_ROOT set, which debhelper's snippets and
# deb-systemd-helper honour (they create the enable symlinks in the root and
# never start anything on this host).
root=$work/root
admin=$root/var/lib/dpkg
mkdir -p "$admin/info" "$admin/updates" "$admin/triggers"
: >"$admin/status"
: >"$admin/available"
force="--force-depends --force-script-chrootless"
[ "$(id -u)" = 0 ] || force="$force --force-not-root"
dpkg_root() {
  # shellcheck disable=SC2086
  dpkg --root="$root" --log=/dev/null $force "$@"
}
dpkg_root -i "$work"/*.deb >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "dpkg -i"; }

checks=0
have() { # path in the root, test flag
  checks=$((checks + 1))
  test "$2" "$root$1" || fail "$1 is missing from the installed root (test $2)"
}

# systemd reads units from /lib/systemd/system (bookworm's debhelper) or
# /usr/lib/systemd/system.
unit=""
for d in /lib/systemd/system /usr/lib/systemd/system; do
  [ -f "$root$d/iommu-hwinfod.service" ] && unit=$d/iommu-hwinfod.service
done
[ -n "$unit" ] || fail "iommu-hwinfod.service is in neither /lib/systemd/system nor /usr/lib/systemd/system"
exec_start=$(sed -n 's/^ExecStart=//p' "$root$unit" | cut -d' ' -f1)
have "$exec_start" -x
grep -qx 'BusName=io.iommuhwinfo1' "$root$unit" || fail "$unit has no BusName=io.iommuhwinfo1"
# udev reads rules from /lib/udev/rules.d: the rule that restarts the
# daemon when iommufd or vfio loads after it started (/dev/iommu's minor is
# dynamic, the unit's DeviceAllow= is resolved at start).
have /lib/udev/rules.d/70-iommu-hwinfod.rules -f
# dh_installsystemd enabled it: WantedBy= and Alias= links under /etc.
have /etc/systemd/system/multi-user.target.wants/iommu-hwinfod.service -L
have /etc/systemd/system/dbus-io.iommuhwinfo1.service -L

# The system bus reads policies from /usr/share/dbus-1/system.d and
# activation files from /usr/share/dbus-1/system-services, named after the
# bus name; the activation file hands over to the unit.
have /usr/share/dbus-1/system.d/io.iommuhwinfo1.conf -f
act=/usr/share/dbus-1/system-services/io.iommuhwinfo1.service
have "$act" -f
grep -qx 'Name=io.iommuhwinfo1' "$root$act" || fail "$act does not name io.iommuhwinfo1"
grep -qx 'SystemdService=iommu-hwinfod.service' "$root$act" || fail "$act does not hand over to iommu-hwinfod.service"
have /usr/share/dbus-1/interfaces/io.iommuhwinfo1.xml -f
# A system bus pointed at the root's directories reads the policy (a file
# it cannot parse stops it) and lists the name as activatable.
if command -v dbus-daemon >/dev/null && command -v dbus-send >/dev/null; then
  . "$src/tests/lib/private-bus.sh"
  IHW_BUS_EXTRA_CONF="  <servicedir>$root/usr/share/dbus-1/system-services</servicedir>
  <includedir>$root/usr/share/dbus-1/system.d</includedir>" ihw_bus_start "$work" || fail "dbus-daemon"
  names=$(dbus-send --system --print-reply --dest=org.freedesktop.DBus \
            /org/freedesktop/DBus org.freedesktop.DBus.ListActivatableNames 2>&1 || true)
  ihw_bus_stop
  checks=$((checks + 1))
  case $names in
    *'"io.iommuhwinfo1"'*) ;;
    *) cat "$work/bus.log"; fail "a bus reading the root's system.d and system-services does not offer io.iommuhwinfo1: $names" ;;
  esac
fi

# libvirt runs every executable in /etc/libvirt/hooks/qemu.d.
hook=/etc/libvirt/hooks/qemu.d/50-iommu-hwinfo
have "$hook" -L
target=$(readlink "$root$hook")
case $target in /*) ;; *) fail "$hook points to a relative path $target" ;; esac
have "$target" -x

# The tools, the library and its development files.
have /usr/bin/iommu-hwinfoctl -x
have /usr/share/bash-completion/completions/iommu-hwinfoctl -f
for page in man1/iommu-hwinfoctl.1 man5/iommu-hwinfod.conf.5 man8/iommu-hwinfod.8 man8/iommu-hwinfo-libvirt-hook.8; do
  have "/usr/share/man/$page.gz" -f
done
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
have "/usr/lib/$ma/libiommu-hwinfo-client.so.0" -L
have "/usr/lib/$ma/libiommu-hwinfo-client.so" -L
have "/usr/lib/$ma/pkgconfig/iommu-hwinfo-client.pc" -f
have /usr/include/iommu-hwinfo-client/ihw-client.h -f
# The installed .pc, its prefix moved to the root (pkg-config's sysroot
# would move the host's glib too).
mkdir -p "$work/pc"
sed "s|^prefix=/usr\$|prefix=$root/usr|" "$root/usr/lib/$ma/pkgconfig/iommu-hwinfo-client.pc" \
  >"$work/pc/iommu-hwinfo-client.pc"
PKG_CONFIG_PATH="$work/pc" pkg-config --cflags --libs iommu-hwinfo-client >"$work/pc/flags" \
  || fail "pkg-config --cflags --libs iommu-hwinfo-client"
grep -q -- "-I$root/usr/include/iommu-hwinfo-client" "$work/pc/flags" || fail "pkg-config --cflags: $(cat "$work/pc/flags")"
# The -dev package's example builds against it and loads the root's .so.
example=/usr/share/doc/libiommu-hwinfo-client-dev/examples/ihw-check.c
have "$example" -f
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror -o "$work/ihw-check" "$root$example" $(cat "$work/pc/flags") \
  || fail "$example does not build against the installed -dev package"
set +e
LD_LIBRARY_PATH=$root/usr/lib/$ma DBUS_SYSTEM_BUS_ADDRESS=unix:path=$work/no-such-bus \
  "$work/ihw-check" intel 0000:3a:00.0 >"$work/ihw-check.out" 2>&1
status=$?
set -e
[ "$status" = 69 ] || { cat "$work/ihw-check.out"; fail "ihw-check without a bus exited $status, expected 69"; }

# The configuration files are conffiles, every key commented out.
conffiles=$(dpkg-query --admindir="$admin" -W -f='${Conffiles}\n' iommu-hwinfod | awk 'NF { print $1 }' | sort)
expected=$(printf '%s\n' /etc/iommu-hwinfod/hook.conf /etc/iommu-hwinfod/iommu-hwinfod.conf)
[ "$conffiles" = "$expected" ] || fail "conffiles are: $conffiles"
for f in $conffiles; do
  checks=$((checks + 1))
  if grep -Ev '^[[:space:]]*(#|$|\[)' "$root$f"; then
    fail "$f sets the key(s) above: every key must be commented out at its default"
  fi
done
# Nothing outside the places the system reads (no /usr/local, no stray
# build paths).
ma_re=$(printf '%s' "$ma" | sed 's/[.]/\\./g')
dpkg-query --admindir="$admin" -L iommu-hwinfod iommu-hwinfo-tools libiommu-hwinfo-client0 libiommu-hwinfo-client-dev \
  | while IFS= read -r f; do [ -d "$root$f" ] || printf '%s\n' "$f"; done >"$work/files"
stray=$(grep -Ev "^/(etc/iommu-hwinfod/|etc/libvirt/hooks/qemu\.d/|lib/systemd/system/|usr/lib/systemd/system/|lib/udev/rules\.d/|usr/libexec/|usr/bin/|usr/lib/$ma_re/|usr/include/iommu-hwinfo-client/|usr/share/(dbus-1|doc|man|bash-completion)/)" "$work/files" || true)
[ -z "$stray" ] || fail "packaged files outside the places systemd, dbus, libvirt, man and the loader read:
$stray"
checks=$((checks + 1))
echo "installed: $checks checks passed ($(wc -l <"$work/files") files)"

# What is left after removing, and after purging.
left() {
  (cd "$root" && find . \( -path ./var/lib/dpkg -prune \) -o \( -type f -o -type l \) -print | sed 's|^\.||' | sort)
}
pkgs="iommu-hwinfod iommu-hwinfo-tools libiommu-hwinfo-client-dev libiommu-hwinfo-client0"
# shellcheck disable=SC2086
dpkg_root -r $pkgs >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; fail "dpkg -r"; }
# Kept on remove: the conffiles, and the unit's enable state (links and
# deb-systemd-helper's record of them), so a reinstall keeps the admin's
# choice; purge removes both.
unexpected=$(left | grep -Fvx "$expected" \
  | grep -Ev '^/etc/systemd/system/|^/var/lib/systemd/deb-systemd-helper-' || true)
[ -z "$unexpected" ] || fail "dpkg -r left files behind:
$unexpected"
for f in $expected; do [ -f "$root$f" ] || fail "dpkg -r removed the conffile $f"; done
echo "left after dpkg -r:"
left | sed 's/^/  /'
# shellcheck disable=SC2086
dpkg_root -P $pkgs >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg -P"; }
unexpected=$(left)
[ -z "$unexpected" ] || fail "dpkg -P left files behind:
$unexpected"
echo "dpkg -r keeps only the conffiles and the enable state; dpkg -P leaves nothing"
echo "total $(( $(date +%s) - started )) s (build $((built - started)) s)"
