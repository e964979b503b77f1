/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which QEMU a libvirt domain runs: `EMULATOR --version`, the first line of
 * which has been "QEMU emulator version X.Y.Z[ (package)]" in every QEMU
 * release.  The answer becomes the CheckNesting request's qemu-version
 * (SPEC §4): QEMU 10.0-10.2 refuse every assigned device with x-flts=on,
 * 11.0 accepts them (FACTS.md), so the daemon's default (its newest
 * profile) is wrong for a host that runs an older QEMU.
 *
 * ihw_qemu_version_parse() is pure; ihw_qemu_version_detect() runs the
 * emulator (no shell, a clean minimal environment, stdin and stderr
 * /dev/null, bounded output, a hard deadline after which the emulator's
 * whole process group is killed).
 */
#pragma once

#include <glib.h>

#include "ihw-request.h"

G_BEGIN_DECLS

/* Where the hook keeps emulator versions (hook.conf version-cache=). */
#define IHW_QEMU_VERSION_CACHE_DEFAULT "/run/iommu-hwinfo-hook/qemu-versions"

/* Bytes of `--version` output read; the version is on the first line. */
#define IHW_QEMU_VERSION_OUTPUT_MAX 4096
/* How long `EMULATOR --version` may take (QEMU answers in ~20 ms). */
#define IHW_QEMU_VERSION_TIMEOUT_DEFAULT_MS 3000

/* `EMULATOR --version` output -> "10.0" (major.minor; a micro version,
 * including development snapshots x.y.50 and release candidates x.y.9x, is
 * dropped: a snapshot is judged as the release it grew from).  Fails with
 * IHW_ERROR_BAD_DATA and a short reason quoting the first line. */
char *ihw_qemu_version_parse (const char *output, gsize len, GError **error);

/* Runs `emulator --version` (an absolute path) and parses it.  Fails with
 * IHW_ERROR_FAILED and a one-line reason (cannot run, timed out and
 * killed, exit status, unparsable output).  As root, refuses an emulator
 * not owned by root or writable by group or others.  `timeout_ms` <= 0:
 * IHW_QEMU_VERSION_TIMEOUT_DEFAULT_MS. */
char *ihw_qemu_version_detect (const char *emulator, int timeout_ms, GError **error);

/* The same through a cache file keyed by the emulator's path, device,
 * inode, size and mtime (`cache_path` NULL or "": no cache).  A changed
 * or replaced emulator misses; a corrupt or untrusted cache is ignored;
 * the cache is rewritten atomically.  *from_cache: the answer came from it. */
char *ihw_qemu_version_detect_cached (const char *emulator, int timeout_ms, const char *cache_path,
                                      gboolean *from_cache, GError **error);

/* Which QEMU a domain's verdict is for, and how that was decided: a
 * configured version (hook.conf, --qemu-version) > the domain's
 * <emulator> --version > the daemon's default.  The hook and domain-check
 * decide it the same way. */
typedef enum {
  IHW_QEMU_FROM_DAEMON = 0,  /* none: the daemon's default */
  IHW_QEMU_FROM_CONFIG,      /* the configured version */
  IHW_QEMU_FROM_EMULATOR,    /* `<emulator> --version` */
} IhwQemuFrom;

typedef struct {
  char *version;    /* "10.0"; NULL: the daemon's default */
  IhwQemuFrom from;
  char *failure;    /* from DAEMON: why the domain's QEMU is not known (NULL: not asked) */
  gboolean cached;  /* from EMULATOR: the version cache answered */
} IhwQemuChoice;

void ihw_qemu_choice_clear (IhwQemuChoice *q);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (IhwQemuChoice, ihw_qemu_choice_clear)

/* `configured`: a validated version, or NULL.  Without one, the emulator
 * is asked when `detect` is TRUE; otherwise `no_detect_reason` (may be
 * NULL) is the failure.  Sets `req`'s qemu-version when there is one. */
void ihw_qemu_choose (IhwQemuChoice *q, const char *configured, gboolean detect, const char *no_detect_reason,
                      const char *emulator, int timeout_ms, const char *cache_path, IhwRequest *req);

G_END_DECLS
