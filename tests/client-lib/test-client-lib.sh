#!/bin/sh
# libiommu-hwinfo-client as a user gets it: `meson install --destdir`, then
# examples/ihw-check.c compiled with `pkg-config --cflags --libs
# iommu-hwinfo-client` against the installed .pc, header and .so, and run
# against the real daemon on a private bus.  Also: the .so exports exactly
# the version script's list, each declared in an installed header and
# described in doc/client-library.md.
#
#   test-client-lib.sh SOURCE_DIR BUILD_DIR WORK_DIR DAEMON CTL
set -eu
src=$1 build=$2 work=$3 daemon=$4 ctl=$5
fail() { echo "FAIL: $*"; exit 1; }

rm -rf "$work"
mkdir -p "$work"
dest=$work/destdir
meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$work/install.log" 2>&1 \
  || { cat "$work/install.log"; fail "meson install --destdir"; }

pc=$(find "$dest" -name iommu-hwinfo-client.pc | head -n 1)
[ -n "$pc" ] || fail "no iommu-hwinfo-client.pc installed"
# Move the .pc's prefix into the destdir (pkg-config's sysroot would move
# the host's glib too).
mkdir -p "$work/pc"
sed "s|^prefix=|prefix=$dest|" "$pc" >"$work/pc/iommu-hwinfo-client.pc"
flags=$(PKG_CONFIG_PATH="$work/pc" pkg-config --cflags --libs iommu-hwinfo-client) \
  || fail "pkg-config --cflags --libs iommu-hwinfo-client"
libdir=$(PKG_CONFIG_PATH="$work/pc" pkg-config --variable=libdir iommu-hwinfo-client)
incdir=$(PKG_CONFIG_PATH="$work/pc" pkg-config --variable=includedir iommu-hwinfo-client)/iommu-hwinfo-client
case $libdir in "$dest"/*) ;; *) fail "libdir $libdir is not in the destdir" ;; esac
echo "pkg-config: $flags"

# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror -o "$work/ihw-check" "$src/examples/ihw-check.c" $flags \
  || fail "examples/ihw-check.c does not build against the installed library"
# It must use the installed .so, not a copy from the build tree.
LD_LIBRARY_PATH=$libdir ldd "$work/ihw-check" | grep -q "$libdir/libiommu-hwinfo-client.so.0" \
  || fail "ihw-check does not load $libdir/libiommu-hwinfo-client.so.0"

# --- exported symbols ----------------------------------------------------------
so=$libdir/libiommu-hwinfo-client.so.0
nm -D --defined-only "$so" | awk '$2 ~ /^[TDRB]$/ { sub(/@.*/, "", $3); print $3 }' | sort >"$work/exported"
sed -e 's|/\*.*\*/||' "$src/client/libiommu-hwinfo-client.map" \
  | awk '/^global:/ { on = 1; next } /^local:/ { on = 0 } on && /;/ { gsub(/[ ;\t]/, ""); if ($0 != "") print }' \
  | sort >"$work/public"
[ "$(wc -l <"$work/public")" -ge 10 ] || fail "could not read the version script's global list"
diff -u "$work/public" "$work/exported" >"$work/symbols.diff" \
  || { cat "$work/symbols.diff"; fail "the .so exports other symbols than the version script lists"; }
while read -r sym; do
  grep -qE "(^|[ *])$sym \(" "$incdir"/*.h || fail "$sym is exported but declared in no installed header"
  grep -q "$sym" "$src/doc/client-library.md" || fail "$sym is exported but not described in doc/client-library.md"
done <"$work/public"
echo "exports: $(wc -l <"$work/public") symbols, all declared in installed headers and documented"

# --- run it -------------------------------------------------------------------
run() { # expected-status args...: runs ihw-check, output in $work/out
  want=$1; shift
  set +e
  LD_LIBRARY_PATH=$libdir "$work/ihw-check" "$@" >"$work/out" 2>&1
  got=$?
  set -e
  [ "$got" = "$want" ] || { cat "$work/out"; fail "ihw-check $* exited $got, expected $want"; }
}
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$work/no-such-bus run 69 intel 0000:3a:00.0
grep -q "ihw-check" "$work/out" || fail "no message when the bus is unreachable"
run 64 mips 0000:3a:00.0
run 65 intel 0000:3a:00

. "$src/tests/lib/private-bus.sh"
trap ihw_bus_stop EXIT
ihw_bus_start "$work"
ihw_daemon_start "$daemon" "$src/tests/fixtures/hosts/intel-server-nesting" "$ctl" "$work/daemon.log"
# The recorded host can nest for QEMU 11.0; QEMU 10.0 refuses x-flts with
# any assigned device (a reason about the model, not a device).
run 0 intel 0000:3a:00.0
grep -qx "supported" "$work/out" || { cat "$work/out"; fail "no verdict line"; }
run 1 intel 0000:3a:00.0 --qemu-version 10.0
grep -qx "unsupported" "$work/out" || { cat "$work/out"; fail "no verdict line"; }
grep -q "(model): qemu.x-flts needs nested mode, found QEMU 10.0" "$work/out" || { cat "$work/out"; fail "no reason line"; }
run 65 intel 0000:ff:1f.7
grep -q "no PCI device 0000:ff:1f.7" "$work/out" || { cat "$work/out"; fail "NoSuchDevice message lost"; }
echo "ihw-check: unreachable bus 69, bad model 64, bad address 65, supported 0, unsupported 1 with its reason, unknown device 65"
