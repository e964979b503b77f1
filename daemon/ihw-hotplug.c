/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ihw-hotplug.h"

#include <glib-unix.h>
#include <string.h>
#include <systemd/sd-device.h>
#include <systemd/sd-event.h>

#include "ihw-error.h"
#include "ihw-names.h"

struct _IhwHotplug {
  IhwRegistry *reg;
  sd_event *event;
  sd_device_monitor *monitor;
  GSource *source;
  guint64 n_events;
};

static const char *const watched_subsystems[] = { "pci", "iommu", "vfio-dev" };

static const char *
action_name (sd_device *dev)
{
  sd_device_action_t a;
  if (sd_device_get_action (dev, &a) < 0)
    return "?";
  switch (a)
    {
    case SD_DEVICE_ADD:
      return "add";
    case SD_DEVICE_REMOVE:
      return "remove";
    case SD_DEVICE_CHANGE:
      return "change";
    case SD_DEVICE_MOVE:
      return "move";
    case SD_DEVICE_ONLINE:
      return "online";
    case SD_DEVICE_OFFLINE:
      return "offline";
    case SD_DEVICE_BIND:
      return "bind";
    case SD_DEVICE_UNBIND:
      return "unbind";
    default:
      return "?";
    }
}

/* The PCI address a vfio-dev child belongs to: ".../0000:3a:00.0/vfio-dev/vfio0". */
static char *
vfio_dev_parent_address (sd_device *dev)
{
  const char *devpath = NULL;
  const char *cut;
  const char *start;

  if (sd_device_get_devpath (dev, &devpath) < 0 || !devpath)
    return NULL;
  cut = strstr (devpath, "/vfio-dev/");
  if (!cut)
    return NULL;
  start = cut;
  while (start > devpath && start[-1] != '/')
    start--;
  return g_strndup (start, (gsize) (cut - start));
}

static int
on_uevent (sd_device_monitor *monitor, sd_device *dev, void *user_data)
{
  IhwHotplug *hp = user_data;
  const char *subsystem = NULL;
  const char *sysname = NULL;

  hp->n_events++;
  if (sd_device_get_subsystem (dev, &subsystem) < 0 || sd_device_get_sysname (dev, &sysname) < 0)
    return 0;
  g_debug ("uevent: %s %s %s", action_name (dev), subsystem, sysname);

  /* Whatever the action (add, remove, bind, unbind, change, move), the
   * answer is the same: read that object again and let the registry work
   * out what changed. */
  if (strcmp (subsystem, "pci") == 0)
    {
      if (ihw_pci_address_canonical (sysname))
        ihw_registry_update_device (hp->reg, sysname);
    }
  else if (strcmp (subsystem, "iommu") == 0)
    ihw_registry_update_unit (hp->reg, sysname);
  else if (strcmp (subsystem, "vfio-dev") == 0)
    {
      /* The cdev of a PCI device appeared or went (vfio-pci probe/remove).
       * A new cdev is probed right away, on purpose: libvirt binds a managed
       * hostdev to vfio-pci and only then sets up and launches QEMU, which
       * reaches VFIO_DEVICE_BIND_IOMMUFD hundreds of milliseconds later.
       * Probing now (a few ms, cdev closed before returning) keeps clear of
       * that; a delayed probe would land while QEMU starts, and a device QEMU
       * already holds only gives us EBUSY, which keeps the cached answer. */
      g_autofree char *address = vfio_dev_parent_address (dev);
      if (address && ihw_pci_address_canonical (address))
        ihw_registry_update_device (hp->reg, address);
    }
  return 0;
}

/* The sd_event epoll fd became readable: run what is ready, without waiting. */
static gboolean
on_event_fd (int fd, GIOCondition cond, gpointer user_data)
{
  IhwHotplug *hp = user_data;
  int r;

  while ((r = sd_event_run (hp->event, 0)) > 0)
    ;
  if (r < 0)
    g_warning ("hotplug: sd_event_run: %s", g_strerror (-r));
  return G_SOURCE_CONTINUE;
}

static void
set_sd_error (GError **error, const char *call, int r)
{
  g_set_error (error, IHW_ERROR, IHW_ERROR_FAILED, "hotplug: %s: %s", call, g_strerror (-r));
}

IhwHotplug *
ihw_hotplug_new (IhwRegistry *reg, GError **error)
{
  g_autoptr (IhwHotplug) hp = g_new0 (IhwHotplug, 1);
  int r;

  hp->reg = reg;
  if ((r = sd_event_new (&hp->event)) < 0)
    {
      set_sd_error (error, "sd_event_new", r);
      return NULL;
    }
  if ((r = sd_device_monitor_new (&hp->monitor)) < 0)
    {
      set_sd_error (error, "sd_device_monitor_new", r);
      return NULL;
    }
  /* Bursts (a bridge with many functions) must not overflow the socket. */
  (void) sd_device_monitor_set_receive_buffer_size (hp->monitor, 4 * 1024 * 1024);
  for (guint i = 0; i < G_N_ELEMENTS (watched_subsystems); i++)
    if ((r = sd_device_monitor_filter_add_match_subsystem_devtype (hp->monitor, watched_subsystems[i], NULL)) < 0)
      {
        set_sd_error (error, "sd_device_monitor_filter_add_match_subsystem_devtype", r);
        return NULL;
      }
  if ((r = sd_device_monitor_attach_event (hp->monitor, hp->event)) < 0)
    {
      set_sd_error (error, "sd_device_monitor_attach_event", r);
      return NULL;
    }
  if ((r = sd_device_monitor_start (hp->monitor, on_uevent, hp)) < 0)
    {
      set_sd_error (error, "sd_device_monitor_start", r);
      return NULL;
    }

  hp->source = g_unix_fd_source_new (sd_event_get_fd (hp->event), G_IO_IN);
  g_source_set_callback (hp->source, G_SOURCE_FUNC (on_event_fd), hp, NULL);
  g_source_set_name (hp->source, "ihw-hotplug");
  g_source_attach (hp->source, g_main_context_get_thread_default ());
  return g_steal_pointer (&hp);
}

void
ihw_hotplug_free (IhwHotplug *hp)
{
  if (!hp)
    return;
  if (hp->source)
    {
      g_source_destroy (hp->source);
      g_source_unref (hp->source);
    }
  if (hp->monitor)
    {
      sd_device_monitor_stop (hp->monitor);
      sd_device_monitor_unref (hp->monitor);
    }
  sd_event_unref (hp->event);
  g_free (hp);
}

guint64
ihw_hotplug_get_n_events (IhwHotplug *hp)
{
  return hp->n_events;
}
