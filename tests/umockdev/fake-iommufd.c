/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fake-iommufd.h"

#include <errno.h>
#include <string.h>

#include "ihw-uapi.h"

struct _FakeIoctlHandler {
  UMockdevIoctlBase parent;
  FakeIommufd *state;
};

G_DEFINE_TYPE (FakeIoctlHandler, fake_ioctl_handler, UMOCKDEV_TYPE_IOCTL_BASE)

static gboolean
is_vfio (UMockdevIoctlClient *client)
{
  return g_str_has_prefix (umockdev_ioctl_client_get_devnode (client), "/dev/vfio/");
}

static void
fake_client_connected (UMockdevIoctlBase *base, UMockdevIoctlClient *client)
{
  FakeIommufd *f = FAKE_IOCTL_HANDLER (base)->state;
  g_atomic_int_inc (is_vfio (client) ? &f->opens_vfio : &f->opens_iommu);
  /* The daemon opens one cdev at a time: a new open means the last one was
   * closed, and closing detached the device (vfio_df_unbind_iommufd). */
  if (is_vfio (client))
    f->attached = FALSE;
}

/* The struct behind the ioctl argument, copied from the client. */
static UMockdevIoctlData *
resolve_arg (UMockdevIoctlClient *client, gsize len)
{
  g_autoptr (GError) error = NULL;
  UMockdevIoctlData *d = umockdev_ioctl_data_resolve (umockdev_ioctl_client_get_arg (client), 0, len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (d);
  return d;
}

static void
fail (UMockdevIoctlClient *client, int e)
{
  umockdev_ioctl_client_complete (client, -1, e);
}

static void
handle_bind (FakeIommufd *f, UMockdevIoctlClient *client)
{
  g_autoptr (UMockdevIoctlData) d = resolve_arg (client, sizeof (struct vfio_device_bind_iommufd));
  struct vfio_device_bind_iommufd *b = (void *) d->data;

  g_atomic_int_inc (&f->binds);
  f->last_bind_argsz = b->argsz;
  if (b->argsz != sizeof *b || b->flags != 0)
    {
      g_atomic_int_inc (&f->bad_args);
      return fail (client, EINVAL);
    }
  /* 6.12: vfio_device_block_group() refuses while the group is open
   * (EBUSY); vfio_df_open() refuses a second cdev open (EINVAL). */
  if (f->holder == FAKE_HOLDER_VFIO_GROUP)
    return fail (client, EBUSY);
  if (f->holder == FAKE_HOLDER_IOMMUFD)
    return fail (client, EINVAL);
  if (f->bind_errno)
    return fail (client, f->bind_errno);
  b->out_devid = FAKE_DEV_ID;
  umockdev_ioctl_client_complete (client, 0, 0);
}

/* What iommufd_get_hw_info() does: copy at most data_len bytes, zero the
 * rest of the user buffer, write back the full length.  Flags: 6.12 refuses
 * any (EOPNOTSUPP); 6.17 knows IOMMU_HW_INFO_FLAG_INPUT_TYPE and lets the
 * driver answer the type asked for or refuse it (EOPNOTSUPP). */
static void
handle_hw_info (FakeIommufd *f, UMockdevIoctlClient *client)
{
  g_autoptr (UMockdevIoctlData) d = resolve_arg (client, sizeof (struct iommu_hw_info));
  struct iommu_hw_info *info = (void *) d->data;
  guint32 known_flags = f->knows_input_type ? IHW_HW_INFO_FLAG_INPUT_TYPE : 0;
  const guint8 *data = f->hw_data;
  guint32 len = f->hw_len, type = f->hw_type, have = sizeof f->hw_data;
  guint32 user_len;

  g_atomic_int_inc (&f->hw_infos);
  f->last_hw_info_size = info->size;
  f->last_hw_info_data_len = info->data_len;
  f->last_hw_info_flags = info->flags;
  f->last_in_data_type = info->out_data_type;
  if (info->flags & ~known_flags)
    return fail (client, EOPNOTSUPP);
  if (info->size < 32 || info->dev_id != FAKE_DEV_ID)
    {
      g_atomic_int_inc (&f->bad_args);
      return fail (client, info->size < 32 ? EINVAL : ENOENT);
    }
  if (f->hw_info_errno)
    return fail (client, f->hw_info_errno);
  if (info->flags & IHW_HW_INFO_FLAG_INPUT_TYPE)
    {
      guint32 in = info->out_data_type;
      if (f->input_type_errno)
        return fail (client, f->input_type_errno);
      if (f->addon_type && in == f->addon_type)
        {
          data = f->addon_data;
          len = f->addon_len;
          have = sizeof f->addon_data;
          type = f->addon_type;
        }
      else if (in != 0 && in != f->hw_type)
        return fail (client, EOPNOTSUPP);
    }

  user_len = info->data_len;
  if (user_len > 0 && info->data_uptr)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (UMockdevIoctlData) buf = umockdev_ioctl_data_resolve (d, G_STRUCT_OFFSET (struct iommu_hw_info, data_uptr),
                                                                      user_len, &error);
      g_assert_no_error (error);
      memset (buf->data, 0, user_len);
      memcpy (buf->data, data, MIN (user_len, MIN (len, have)));
    }
  info->data_len = len;
  info->out_data_type = type;
  memcpy ((guint8 *) info + IHW_HW_INFO_OFF_MAX_PASID_LOG2, &f->max_pasid_log2, 1);
  memcpy ((guint8 *) info + IHW_HW_INFO_OFF_CAPABILITIES, &f->capabilities, 8);
  umockdev_ioctl_client_complete (client, 0, 0);
}

static void
handle_ioas_alloc (FakeIommufd *f, UMockdevIoctlClient *client)
{
  g_autoptr (UMockdevIoctlData) d = resolve_arg (client, sizeof (struct iommu_ioas_alloc));
  struct iommu_ioas_alloc *a = (void *) d->data;

  g_atomic_int_inc (&f->ioas_allocs);
  if (f->ioas_errno)
    return fail (client, f->ioas_errno);
  a->out_ioas_id = FAKE_IOAS_ID;
  umockdev_ioctl_client_complete (client, 0, 0);
}

static void
handle_hwpt_alloc (FakeIommufd *f, UMockdevIoctlClient *client)
{
  g_autoptr (UMockdevIoctlData) d = resolve_arg (client, sizeof (struct iommu_hwpt_alloc));
  struct iommu_hwpt_alloc *h = (void *) d->data;

  g_atomic_int_inc (&f->hwpt_allocs);
  f->last_hwpt_flags = h->flags;
  f->hwpt_pt_was_ioas = h->pt_id == FAKE_IOAS_ID;
  if (h->size != sizeof *h || h->dev_id != FAKE_DEV_ID)
    {
      g_atomic_int_inc (&f->bad_args);
      return fail (client, EINVAL);
    }
  if (f->hwpt_errno)
    return fail (client, f->hwpt_errno);
  h->out_hwpt_id = FAKE_HWPT_ID;
  umockdev_ioctl_client_complete (client, 0, 0);
}

static void
handle_destroy (FakeIommufd *f, UMockdevIoctlClient *client)
{
  g_autoptr (UMockdevIoctlData) d = resolve_arg (client, sizeof (struct iommu_destroy));
  struct iommu_destroy *x = (void *) d->data;

  if (x->id != FAKE_IOAS_ID && x->id != FAKE_HWPT_ID)
    return fail (client, ENOENT);
  if (x->id == FAKE_IOAS_ID && f->attached)
    return fail (client, EBUSY);  /* a device's domain still uses it */
  g_atomic_int_inc (&f->destroys); /* counts objects really destroyed */
  umockdev_ioctl_client_complete (client, 0, 0);
}

static void
handle_attach (FakeIommufd *f, UMockdevIoctlClient *client, gboolean attach)
{
  g_autoptr (UMockdevIoctlData) d = resolve_arg (client, attach ? 12 : 8);
  const guint32 *w = (const void *) d->data;   /* argsz, flags[, pt_id] */

  g_atomic_int_inc (attach ? &f->attaches : &f->detaches);
  if (w[0] < (attach ? 12u : 8u) || w[1] != 0 || (attach && w[2] != FAKE_IOAS_ID))
    {
      g_atomic_int_inc (&f->bad_args);
      return fail (client, EINVAL);
    }
  if (attach ? f->attach_errno : f->detach_errno)
    return fail (client, attach ? f->attach_errno : f->detach_errno);
  f->attached = attach;
  umockdev_ioctl_client_complete (client, 0, 0);
}

/* 6.12 iommufd_ioas_iova_ranges: fills what fits, writes back the total,
 * EMSGSIZE when the array was short. */
static void
handle_iova_ranges (FakeIommufd *f, UMockdevIoctlClient *client)
{
  g_autoptr (UMockdevIoctlData) d = resolve_arg (client, sizeof (struct iommu_ioas_iova_ranges));
  struct iommu_ioas_iova_ranges *q = (void *) d->data;
  guint32 room = q->num_iovas;

  g_atomic_int_inc (&f->ranges_calls);
  if (q->size != sizeof *q || q->ioas_id != FAKE_IOAS_ID || q->__reserved)
    {
      g_atomic_int_inc (&f->bad_args);
      return fail (client, EINVAL);
    }
  if (f->ranges_errno)
    return fail (client, f->ranges_errno);
  if (room && q->allowed_iovas)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (UMockdevIoctlData) buf = umockdev_ioctl_data_resolve (
        d, G_STRUCT_OFFSET (struct iommu_ioas_iova_ranges, allowed_iovas), room * sizeof (struct iommu_iova_range),
        &error);
      g_assert_no_error (error);
      for (guint i = 0; i < MIN (room, f->n_iova); i++)
        {
          struct iommu_iova_range r = { .start = f->iova[i][0], .last = f->iova[i][1] };
          memcpy (buf->data + i * sizeof r, &r, sizeof r);
        }
    }
  /* a fresh IOAS with nothing attached allows everything */
  q->num_iovas = f->attached ? f->n_iova : 1;
  q->out_iova_alignment = 4096;
  umockdev_ioctl_client_complete (client, room < q->num_iovas ? -1 : 0, room < q->num_iovas ? EMSGSIZE : 0);
}

static gboolean
fake_handle_ioctl (UMockdevIoctlBase *base, UMockdevIoctlClient *client)
{
  FakeIommufd *f = FAKE_IOCTL_HANDLER (base)->state;
  gulong req = umockdev_ioctl_client_get_request (client);
  gboolean vfio = is_vfio (client);

  /* Each node answers only its own calls, as the kernel does. */
  if (vfio && req == VFIO_DEVICE_BIND_IOMMUFD)
    handle_bind (f, client);
  else if (!vfio && req == IOMMU_GET_HW_INFO)
    handle_hw_info (f, client);
  else if (!vfio && req == IOMMU_IOAS_ALLOC)
    handle_ioas_alloc (f, client);
  else if (!vfio && req == IOMMU_HWPT_ALLOC)
    handle_hwpt_alloc (f, client);
  else if (!vfio && req == IOMMU_DESTROY)
    handle_destroy (f, client);
  else if (vfio && (req == VFIO_DEVICE_ATTACH_IOMMUFD_PT || req == VFIO_DEVICE_DETACH_IOMMUFD_PT))
    handle_attach (f, client, req == VFIO_DEVICE_ATTACH_IOMMUFD_PT);
  else if (!vfio && req == IOMMU_IOAS_IOVA_RANGES)
    handle_iova_ranges (f, client);
  else
    fail (client, ENOTTY);
  return TRUE;
}

static void
fake_ioctl_handler_class_init (FakeIoctlHandlerClass *klass)
{
  UMockdevIoctlBaseClass *base = UMOCKDEV_IOCTL_BASE_CLASS (klass);
  base->handle_ioctl = fake_handle_ioctl;
  base->client_connected = fake_client_connected;
}

static void
fake_ioctl_handler_init (FakeIoctlHandler *self)
{
}


FakeIoctlHandler *
fake_ioctl_handler_new (FakeIommufd *state)
{
  FakeIoctlHandler *h = g_object_new (FAKE_TYPE_IOCTL_HANDLER, NULL);
  h->state = state;
  return h;
}

void
fake_iommufd_set_vtd (FakeIommufd *f, guint64 cap, guint64 ecap)
{
  struct iommu_hw_info_vtd v = { .flags = 1, .cap_reg = cap, .ecap_reg = ecap };
  f->hw_type = 1;
  f->hw_len = sizeof v;
  memset (f->hw_data, 0, sizeof f->hw_data);
  memcpy (f->hw_data, &v, sizeof v);
}

void
fake_iommufd_set_smmuv3 (FakeIommufd *f)
{
  static const guint32 idr[6] = { 0x0f0c1aaf, 0x0e7c0010, 0, 0x00000004, 0, 0x00000075 };
  struct ihw_hw_info_arm_smmuv3 v = { 0 };
  memcpy (v.idr, idr, sizeof v.idr);
  f->hw_type = IHW_HW_INFO_TYPE_ARM_SMMUV3;
  f->hw_len = sizeof v;
  memset (f->hw_data, 0, sizeof f->hw_data);
  memcpy (f->hw_data, &v, sizeof v);
}

void
fake_iommufd_set_cmdqv (FakeIommufd *f, guint8 version, guint8 log2vcmdqs, guint8 log2vsids)
{
  struct ihw_hw_info_tegra241_cmdqv v = { .version = version, .log2vcmdqs = log2vcmdqs, .log2vsids = log2vsids };
  f->knows_input_type = TRUE;
  f->addon_type = IHW_HW_INFO_TYPE_TEGRA241_CMDQV;
  f->addon_len = sizeof v;
  memset (f->addon_data, 0, sizeof f->addon_data);
  memcpy (f->addon_data, &v, sizeof v);
}

void
fake_iommufd_set_aperture (FakeIommufd *f, guint bits)
{
  f->n_iova = 2;
  f->iova[0][0] = 0;
  f->iova[0][1] = 0xfedfffff;
  f->iova[1][0] = 0xfef00000;
  f->iova[1][1] = bits >= 64 ? G_MAXUINT64 : (G_GUINT64_CONSTANT (1) << bits) - 1;
}

void
fake_iommufd_hold (FakeIommufd *f, UMockdevTestbed *tb, const char *address, FakeHolder holder)
{
  g_autofree char *rel = g_strdup_printf ("sys/bus/pci/devices/%s/enable", address);
  /* Only a holder that opened the device itself enabled it; the legacy
   * path may hold just the group. */
  f->holder = holder;
  fake_testbed_put (tb, rel, holder == FAKE_HOLDER_IOMMUFD ? "1\n" : "0\n");
}

void
fake_testbed_put (UMockdevTestbed *tb, const char *rel, const char *content)
{
  g_autofree char *root = umockdev_testbed_get_root_dir (tb);
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, content, -1, NULL));
}

void
fake_testbed_load_host (UMockdevTestbed *tb, const char *host)
{
  g_autofree char *sys = umockdev_testbed_get_sys_dir (tb);
  g_autofree char *src = g_build_filename (IHW_FIXTURES_DIR, "hosts", host, NULL);
  g_autofree char *cmd = g_strdup_printf ("cp -a '%s/.' '%s/'", src, sys);
  g_assert_cmpint (system (cmd), ==, 0);
}

void
fake_testbed_attach (UMockdevTestbed *tb, FakeIoctlHandler *h, const char *const *vfio_nodes)
{
  g_autoptr (GError) error = NULL;

  /* umockdev redirects /dev/X only when the testbed has the file. */
  fake_testbed_put (tb, "dev/iommu", "");
  g_assert_true (umockdev_testbed_attach_ioctl (tb, "/dev/iommu", UMOCKDEV_IOCTL_BASE (h), &error));
  g_assert_no_error (error);
  for (guint i = 0; vfio_nodes && vfio_nodes[i]; i++)
    {
      g_autofree char *rel = g_strdup_printf ("dev/vfio/devices/%s", vfio_nodes[i]);
      g_autofree char *node = g_strdup_printf ("/dev/vfio/devices/%s", vfio_nodes[i]);
      fake_testbed_put (tb, rel, "");
      g_assert_true (umockdev_testbed_attach_ioctl (tb, node, UMOCKDEV_IOCTL_BASE (h), &error));
      g_assert_no_error (error);
    }
}

gboolean
fake_umockdev_detect (void)
{
  UMockdevTestbed *tb = umockdev_testbed_new ();
  gboolean have = umockdev_in_mock_environment ();
  g_object_unref (tb);
  return have;
}

gboolean
fake_umockdev_usable (gboolean have, const char *why)
{
  const char *preload = g_getenv ("LD_PRELOAD");

  if (have)
    return TRUE;
  if (preload && strstr (preload, "libumockdev-preload"))
    g_error ("LD_PRELOAD=%s, yet /sys is not the testbed: the preload library did not load "
             "(is libumockdev-preload.so.0 on the loader's path?)", preload);
  g_test_skip_printf ("run without LD_PRELOAD=libumockdev-preload.so.0 (meson test sets it): %s", why);
  return FALSE;
}

guint
fake_count_open_fds (const char *suffix)
{
  g_autoptr (GDir) d = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)))
    {
      g_autofree char *link = g_build_filename ("/proc/self/fd", name, NULL);
      g_autofree char *target = g_file_read_link (link, NULL);
      if (target && g_str_has_suffix (target, suffix))
        n++;
    }
  return n;
}
