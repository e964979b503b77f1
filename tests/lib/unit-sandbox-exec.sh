#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   unit-sandbox-exec.sh UNIT CMD...
#
# Runs CMD under UNIT's [Service] sandbox as far as it can be built without
# systemd as PID 1 (namespaces with unshare, mounts, credentials with
# setpriv); the device cgroup is the caller's (tests/lib/unit-sandbox.sh).
# Every directive of the [Service] section is either applied here, one case
# below each, or named on stderr as not reproduced, so a test's log says
# what its run proved and what it did not.  Needs root; execs CMD in place.
#
# IHW_UNIT_SANDBOX_KEEP: paths that must stay visible (the build under
# test); a directive that would hide one (PrivateTmp= for a tree in /tmp,
# ProtectHome= for one in /root) is then not applied, and said so.
set -eu
unit=$1
shift

service_lines() { # Key=Value lines of [Service], comments and blanks dropped
  sed -n '/^\[Service\]/,/^\[/{/^\[/d;/^#/d;/^[[:space:]]*$/d;p}' "$unit"
}

if [ "${IHW_UNIT_SANDBOX_INSIDE:-}" != 1 ]; then
  ns="--mount --propagation private"
  if service_lines | grep -qx 'PrivateIPC=yes'; then ns="$ns --ipc"; fi
  if service_lines | grep -qx 'ProtectHostname=yes'; then ns="$ns --uts"; fi
  # shellcheck disable=SC2086 # options, split on purpose
  IHW_UNIT_SANDBOX_INSIDE=1 exec unshare $ns -- "$0" "$unit" "$@"
fi

say() { echo "unit-sandbox: $*" >&2; }
hides() { # DIR...: would hiding them hide a path of IHW_UNIT_SANDBOX_KEEP?
  for _k in ${IHW_UNIT_SANDBOX_KEEP:-}; do
    for _d in "$@"; do
      case $_k in "$_d" | "$_d"/*) return 0 ;; esac
    done
  done
  return 1
}
applied=""
skipped=""
rw_paths=""
bind_paths=""
ro_roots=""
setpriv_args=""
private_devices=0 private_tmp=0 protect_home=0 proc_opts=""

while IFS= read -r line; do
  case $line in
  # what the unit is, not its sandbox; the device ACL is the caller's cgroup
  Type=* | BusName=* | ExecStart=* | ExecReload=* | Restart=* | RestartSec=* | DevicePolicy=* | DeviceAllow=*) continue ;;
  User=root) [ "$(id -u)" = 0 ] || { say "User=root: not running as root"; exit 1; } ;;
  PrivateMounts=yes) ;; # the mount namespace above
  PrivateIPC=yes | ProtectHostname=yes) ;; # the IPC and UTS namespaces above
  PrivateDevices=yes) private_devices=1 ;;
  BindPaths=*) bind_paths="$bind_paths ${line#BindPaths=}" ;;
  PrivateTmp=yes)
    if hides /tmp /var/tmp; then skipped="$skipped PrivateTmp(the build under test is in /tmp)"; continue; fi
    private_tmp=1
    ;;
  ProtectSystem=strict) ro_roots="$ro_roots /" ;;
  ReadWritePaths=*) rw_paths="$rw_paths ${line#ReadWritePaths=}" ;;
  ProtectHome=yes)
    if hides /home /root /run/user; then skipped="$skipped ProtectHome(the build under test is in a home)"; continue; fi
    protect_home=1
    ;;
  ProtectKernelTunables=yes) ro_roots="$ro_roots /sys /proc/sys" ;;
  ProtectControlGroups=yes) ro_roots="$ro_roots /sys/fs/cgroup" ;;
  ProtectProc=invisible) proc_opts="$proc_opts,hidepid=invisible" ;;
  ProcSubset=pid) proc_opts="$proc_opts,subset=pid" ;;
  NoNewPrivileges=yes) setpriv_args="$setpriv_args --no-new-privs" ;;
  CapabilityBoundingSet=) setpriv_args="$setpriv_args --bounding-set -all" ;;
  AmbientCapabilities=) setpriv_args="$setpriv_args --inh-caps -all --ambient-caps -all" ;;
  UMask=*) umask "${line#UMask=}" ;;
  *)
    case "$skipped " in *" ${line%%=*} "*) ;; *) skipped="$skipped ${line%%=*}" ;; esac
    continue
    ;;
  esac
  applied="$applied ${line%%=*}"
done <<EOF
$(service_lines)
EOF

# PrivateDevices=: a fresh /dev with the pseudo devices, built aside and
# moved over /dev once BindPaths= under /dev are in it (the old /dev is
# their source).  Nodes are bound, not created: the caller's device cgroup
# may already refuse mknod.
stage=$(mktemp -d)
if [ $private_devices = 1 ]; then
  mount -t tmpfs -o mode=755,nosuid dev "$stage"
  for n in null zero full random urandom tty; do
    : >"$stage/$n"
    mount --bind "/dev/$n" "$stage/$n"
  done
fi
for p in $bind_paths; do
  optional=0
  case $p in -*) optional=1 p=${p#-} ;; esac
  case $p in *:*) say "BindPaths=$p: source:destination is not reproduced"; exit 1 ;; esac
  if [ ! -e "$p" ]; then
    if [ $optional = 1 ]; then continue; fi
    say "BindPaths=$p: no such path"
    exit 1
  fi
  case $p in
  /dev/*) if [ $private_devices = 1 ]; then target=$stage/${p#/dev/}; else target=$p; fi ;;
  *) target=$p ;;
  esac
  if [ -d "$p" ]; then mkdir -p "$target"; else mkdir -p "$(dirname "$target")" && : >"$target"; fi
  mount --rbind "$p" "$target"
done
if [ $private_devices = 1 ]; then mount --move "$stage" /dev; fi
rmdir "$stage" 2>/dev/null || true

if [ $private_tmp = 1 ]; then
  for d in /tmp /var/tmp; do mount -t tmpfs -o mode=1777,nosuid,nodev tmp "$d"; done
fi
if [ $protect_home = 1 ]; then
  for d in /home /root /run/user; do
    if [ -d "$d" ]; then mount -t tmpfs -o ro,mode=000,nosuid,nodev,noexec home "$d"; fi
  done
fi
if [ -n "$proc_opts" ]; then mount -t proc -o "${proc_opts#,}" proc /proc; fi
# /proc/sys is no mount of its own: make it one, so it can be read-only
# (under ProcSubset=pid it is not there at all)
case " $ro_roots " in *" /proc/sys "*) if [ -d /proc/sys ]; then mount --bind /proc/sys /proc/sys; fi ;; esac

# ProtectSystem=strict and the Protect*= above: every mount point under a
# read-only root becomes read-only (a per-mount flag: the file system stays
# writable outside this namespace).  strict leaves the API file systems to
# the other lines, and the private /tmp and ReadWritePaths= writable.
read_only() { # mount point
  case $1 in /dev | /dev/*) return 1 ;; esac
  if [ $private_tmp = 1 ]; then
    case $1 in /tmp | /tmp/* | /var/tmp | /var/tmp/*) return 1 ;; esac
  fi
  for w in $rw_paths; do
    case $1 in "${w#-}" | "${w#-}"/*) return 1 ;; esac
  done
  for r in $ro_roots; do
    case $r:$1 in
    /:/proc | /:/proc/* | /:/sys | /:/sys/*) ;;
    /:*) return 0 ;;
    *) case $1 in "$r" | "$r"/*) return 0 ;; esac ;;
    esac
  done
  return 1
}
awk '{print $5}' /proc/self/mountinfo | sort -u | while read -r mp; do
  if read_only "$mp"; then
    mount -o remount,bind,ro "$mp" 2>/dev/null || say "cannot make $mp read-only"
  fi
done

say "applied:$applied"
say "not reproduced without systemd:$skipped"
# shellcheck disable=SC2086
exec setpriv $setpriv_args -- "$@"
