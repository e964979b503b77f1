/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libvirt hook's front: libc only, so that the five hook runs of every
 * domain start and stop cost about what a /bin/true hook costs (the full
 * hook links GLib, libxml2 (ICU) and libsystemd, whose loading alone is
 * several times an empty process).
 *
 * Anything but `prepare begin`: exit 0, stdin unread.  At `prepare begin`
 * the domain XML is read (bounded); a complete domain definition (one
 * "<domain" ... "</domain>", no DOCTYPE or entity) that never mentions an
 * IOMMU ("iommu", "smmuv3") has nothing the hook judges: exit 0, as the
 * full hook would.  Everything else is handed, unchanged and with the same
 * arguments, to iommu-hwinfo-libvirt-hook-full next to this binary, with
 * the XML on its stdin (a memfd).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "ihw-domain.h"   /* IHW_DOMAIN_XML_MAX, IHW_DOMAIN_READ_TIMEOUT_MS, IHW_HOOK_STDIN_TIMED_OUT (macros: nothing linked) */

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until stdin is readable or the deadline passes: a writer that never
 * closes stdin must not hold a VM start.  0 when the time is up. */
static int
stdin_ready (long long deadline)
{
  struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
  long long left;
  int rc;

  while ((left = deadline - now_ms ()) > 0)
    {
      rc = poll (&p, 1, left > 1000000 ? 1000000 : (int) left);
      if (rc > 0)
        return 1;
      if (rc < 0 && errno != EINTR)
        return 1; /* not pollable: let read() say what it is */
    }
  return 0;
}

static int
complete_domain_without_iommu (const char *xml, size_t len)
{
  const char *p = xml, *end = xml + len;

  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  if ((size_t) (end - p) > 5 && strncmp (p, "<?xml", 5) == 0)
    {
      const char *q = memmem (p, (size_t) (end - p), "?>", 2);
      if (!q)
        return 0;
      for (p = q + 2; p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'); p++)
        ;
    }
  if ((size_t) (end - p) < 7 || strncmp (p, "<domain", 7) != 0)
    return 0;
  while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
    end--;
  if ((size_t) (end - p) < 9 || strncmp (end - 9, "</domain>", 9) != 0)
    return 0;
  return !memmem (xml, len, "<!", 2) && !memmem (xml, len, "iommu", 5) && !memmem (xml, len, "smmuv3", 6)
         && !memchr (xml, '\0', len);
}

int
main (int argc, char **argv)
{
  char self[PATH_MAX], full[PATH_MAX + 32];
  size_t cap = 65536, len = 0;
  char *xml;
  ssize_t n, dir;
  int fd;

  if (argc >= 4 && (strcmp (argv[2], "prepare") != 0 || strcmp (argv[3], "begin") != 0))
    return 0;

  if (argc >= 4)
    {
      /* One byte beyond the limit tells the full hook the input is too big. */
      xml = malloc (cap);
      if (!xml)
        return 0;
      long long deadline = now_ms () + IHW_DOMAIN_READ_TIMEOUT_MS;
      int ready = 1;

      /* What has arrived by the deadline goes to the full hook, which
       * is told the time ran out and lets on-unknown decide. */
      while ((ready = stdin_ready (deadline))
             && ((n = read (STDIN_FILENO, xml + len, cap - len)) > 0 || (n < 0 && errno == EINTR)))
        {
          if (n < 0)
            continue;
          len += (size_t) n;
          if (len > IHW_DOMAIN_XML_MAX)
            break;
          if (len == cap)
            {
              char *bigger = realloc (xml, cap * 2);
              if (!bigger)
                break;
              xml = bigger;
              cap *= 2;
            }
        }
      if (len <= IHW_DOMAIN_XML_MAX && complete_domain_without_iommu (xml, len))
        return 0;
      if (!ready)
        setenv (IHW_HOOK_STDIN_TIMED_OUT, "1", 1);
      fd = memfd_create ("domain-xml", MFD_CLOEXEC);
      if (fd >= 0)
        {
          size_t off = 0;
          while (off < len && (n = write (fd, xml + off, len - off)) > 0)
            off += (size_t) n;
          if (off == len && lseek (fd, 0, SEEK_SET) == 0)
            dup2 (fd, STDIN_FILENO);
          close (fd);
        }
      free (xml);
    }

  dir = readlink ("/proc/self/exe", self, sizeof self - 1);
  if (dir < 0)
    return 0;
  self[dir] = '\0';
  *strrchr (self, '/') = '\0';
  snprintf (full, sizeof full, "%s/iommu-hwinfo-libvirt-hook-full", self);
  /* argv[0] stays what libvirtd ran (the usage line names it) */
  execv (full, argv);
  fprintf (stderr, "iommu-hwinfo: warning: cannot run %s; starting anyway\n", full);
  return 0;
}
