/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the client library's conversion of a CheckNesting or
 * Negotiate reply into its result (result_from_reply(), static in
 * ihw-client.c, so that file is compiled in here).  The reply takes the
 * path a real one takes: into a libdbus message and out again through the
 * shared converter, then the type check call_full() makes.
 *
 * Input: byte 0 picks the method (bit 0: Negotiate), whether the GVariant
 * is normalised first (bit 1) and the model asked for (the rest; one past
 * the last model is a name the library does not know); the other bytes are
 * the serialized reply, read with the method's reply type.
 */
#include <stdint.h>
#include <string.h>

#include "ihw-client.c"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *type;
  const char *model;
  guint m;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GVariant) value = NULL;
  g_autoptr (GVariant) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (IhwCheckResult) r = NULL;
  DBusMessage *msg;
  DBusMessageIter it;

  if (size < 1)
    return 0;
  type = data[0] & 1 ? "(sa{sv}sasa(ssss))" : "(sa(ssss))";
  m = (data[0] >> 2) % (IHW_MODEL_LAST + 1);
  model = m < IHW_MODEL_LAST ? ihw_model_name ((IhwModel) m) : "no-such-model";
  bytes = g_bytes_new (data + 1, size - 1);
  value = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (type), bytes, FALSE));
  if (data[0] & 2)
    {
      GVariant *normal = g_variant_get_normal_form (value);
      g_variant_unref (value);
      value = normal;
    }

  msg = dbus_message_new (DBUS_MESSAGE_TYPE_METHOD_RETURN);
  g_assert_nonnull (msg);
  dbus_message_iter_init_append (msg, &it);
  if (!ihw_dbus_append_tuple (&it, value))
    {
      dbus_message_unref (msg);
      return 0;
    }
  body = ihw_dbus_message_to_variant (msg, &error);
  dbus_message_unref (msg);
  g_assert_no_error (error);
  g_assert_true (g_variant_is_of_type (body, G_VARIANT_TYPE (type)));
  /* What went in comes out: the converter loses nothing. */
  {
    g_autoptr (GVariant) normal = g_variant_get_normal_form (value);
    g_assert_true (g_variant_equal (body, normal));
  }

  r = result_from_reply (model, body, &error);
  if (!r)
    {
      g_assert_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA);
      return 0;
    }
  g_assert_no_error (error);
  g_assert_cmpint (r->result->verdict, <=, IHW_VERDICT_UNKNOWN);
  {
    g_autoptr (GVariant) reasons = g_variant_get_child_value (body, data[0] & 1 ? 4 : 1);
    g_assert_cmpuint (r->result->reasons->len, ==, g_variant_n_children (reasons));
  }
  for (guint i = 0; i < r->result->reasons->len; i++)
    {
      const IhwReason *why = r->result->reasons->pdata[i];
      g_assert_nonnull (why->device);
      g_assert_nonnull (why->requirement);
    }
  if (data[0] & 1)
    {
      g_assert_nonnull (r->config);
      g_assert_nonnull (r->libvirt_xml);
      g_assert_nonnull (r->qemu_args);
    }
  return 0;
}
