/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GVariant <-> libdbus, one generic converter each way, so the daemon's
 * method handlers and the client library see "tuple in, tuple out" and
 * nothing else walks a DBusMessageIter.
 */
#include "ihw-dbus-variant.h"

#include <string.h>

#include "ihw-error.h"

static GVariant *iter_to_variant (DBusMessageIter *it, GError **error);

static GVariant *
iter_children_to_variant (DBusMessageIter *it, int type, GError **error)
{
  DBusMessageIter sub;
  g_autoptr (GPtrArray) children = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  GVariant *result = NULL;

  dbus_message_iter_recurse (it, &sub);
  while (dbus_message_iter_get_arg_type (&sub) != DBUS_TYPE_INVALID)
    {
      GVariant *child = iter_to_variant (&sub, error);
      if (!child)
        return NULL;
      g_ptr_array_add (children, g_variant_ref_sink (child));
      dbus_message_iter_next (&sub);
    }

  switch (type)
    {
    case DBUS_TYPE_ARRAY:
      {
        char *sig = dbus_message_iter_get_signature (it);   /* "aX" */
        g_autoptr (GVariantType) elem = NULL;

        if (!sig || !g_variant_type_string_is_valid (sig + 1))
          {
            dbus_free (sig);
            g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "message has an array GVariant cannot hold");
            return NULL;
          }
        elem = g_variant_type_new (sig + 1);
        dbus_free (sig);
        result = g_variant_new_array (elem, (GVariant *const *) children->pdata, children->len);
        break;
      }
    case DBUS_TYPE_STRUCT:
      result = g_variant_new_tuple ((GVariant *const *) children->pdata, children->len);
      break;
    case DBUS_TYPE_DICT_ENTRY:
      if (children->len != 2)
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "message has a malformed dictionary entry");
          return NULL;
        }
      result = g_variant_new_dict_entry (children->pdata[0], children->pdata[1]);
      break;
    case DBUS_TYPE_VARIANT:
      if (children->len != 1)
        {
          g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "message has a malformed variant");
          return NULL;
        }
      result = g_variant_new_variant (children->pdata[0]);
      break;
    default:
      g_assert_not_reached ();
    }
  return result;
}

static GVariant *
iter_to_variant (DBusMessageIter *it, GError **error)
{
  int type = dbus_message_iter_get_arg_type (it);
  DBusBasicValue v;

  switch (type)
    {
    case DBUS_TYPE_ARRAY:
    case DBUS_TYPE_STRUCT:
    case DBUS_TYPE_DICT_ENTRY:
    case DBUS_TYPE_VARIANT:
      return iter_children_to_variant (it, type, error);
    default:
      break;
    }

  memset (&v, 0, sizeof v);
  switch (type)
    {
    case DBUS_TYPE_BYTE:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_byte (v.byt);
    case DBUS_TYPE_BOOLEAN:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_boolean (v.bool_val != 0);
    case DBUS_TYPE_INT16:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_int16 (v.i16);
    case DBUS_TYPE_UINT16:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_uint16 (v.u16);
    case DBUS_TYPE_INT32:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_int32 (v.i32);
    case DBUS_TYPE_UINT32:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_uint32 (v.u32);
    case DBUS_TYPE_INT64:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_int64 (v.i64);
    case DBUS_TYPE_UINT64:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_uint64 (v.u64);
    case DBUS_TYPE_DOUBLE:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_double (v.dbl);
    case DBUS_TYPE_STRING:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_string (v.str);
    case DBUS_TYPE_OBJECT_PATH:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_object_path (v.str);
    case DBUS_TYPE_SIGNATURE:
      dbus_message_iter_get_basic (it, &v);
      return g_variant_new_signature (v.str);
    default:
      g_set_error (error, IHW_ERROR, IHW_ERROR_BAD_DATA, "message carries D-Bus type '%c', which is not used here",
                   type);
      return NULL;
    }
}

/* The whole body of `msg` as a tuple. */
GVariant *
ihw_dbus_message_to_variant (DBusMessage *msg, GError **error)
{
  DBusMessageIter it;
  g_autoptr (GPtrArray) children = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

  if (dbus_message_iter_init (msg, &it))
    while (dbus_message_iter_get_arg_type (&it) != DBUS_TYPE_INVALID)
      {
        GVariant *child = iter_to_variant (&it, error);
        if (!child)
          return NULL;
        g_ptr_array_add (children, g_variant_ref_sink (child));
        dbus_message_iter_next (&it);
      }
  return g_variant_ref_sink (g_variant_new_tuple ((GVariant *const *) children->pdata, children->len));
}

/* `checked`: the type of `v` is part of a signature already validated (a
 * child of a container that was), so it is not validated again. */
static gboolean
append_value (DBusMessageIter *it, GVariant *v, gboolean checked)
{
  const GVariantType *t = g_variant_get_type (v);
  DBusMessageIter sub;
  DBusBasicValue b;
  int container;
  g_autofree char *sig = NULL;
  GVariantIter children;
  GVariant *child;
  gboolean ok = TRUE;

  memset (&b, 0, sizeof b);
  switch (g_variant_classify (v))
    {
    case G_VARIANT_CLASS_BYTE:
      b.byt = g_variant_get_byte (v);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_BYTE, &b);
    case G_VARIANT_CLASS_BOOLEAN:
      b.bool_val = g_variant_get_boolean (v);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_BOOLEAN, &b);
    case G_VARIANT_CLASS_INT16:
      b.i16 = g_variant_get_int16 (v);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_INT16, &b);
    case G_VARIANT_CLASS_UINT16:
      b.u16 = g_variant_get_uint16 (v);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_UINT16, &b);
    case G_VARIANT_CLASS_INT32:
      b.i32 = g_variant_get_int32 (v);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_INT32, &b);
    case G_VARIANT_CLASS_UINT32:
      b.u32 = g_variant_get_uint32 (v);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_UINT32, &b);
    case G_VARIANT_CLASS_INT64:
      b.i64 = g_variant_get_int64 (v);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_INT64, &b);
    case G_VARIANT_CLASS_UINT64:
      b.u64 = g_variant_get_uint64 (v);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_UINT64, &b);
    case G_VARIANT_CLASS_DOUBLE:
      b.dbl = g_variant_get_double (v);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_DOUBLE, &b);
    case G_VARIANT_CLASS_STRING:
      b.str = (char *) g_variant_get_string (v, NULL);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_STRING, &b);
    case G_VARIANT_CLASS_OBJECT_PATH:
      b.str = (char *) g_variant_get_string (v, NULL);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_OBJECT_PATH, &b);
    case G_VARIANT_CLASS_SIGNATURE:
      b.str = (char *) g_variant_get_string (v, NULL);
      return dbus_message_iter_append_basic (it, DBUS_TYPE_SIGNATURE, &b);
    case G_VARIANT_CLASS_ARRAY:
      container = DBUS_TYPE_ARRAY;
      sig = g_variant_type_dup_string (g_variant_type_element (t));
      break;
    case G_VARIANT_CLASS_TUPLE:
      container = DBUS_TYPE_STRUCT;
      break;
    case G_VARIANT_CLASS_DICT_ENTRY:
      container = DBUS_TYPE_DICT_ENTRY;
      break;
    case G_VARIANT_CLASS_VARIANT:
      {
        g_autoptr (GVariant) inner = g_variant_get_variant (v);
        container = DBUS_TYPE_VARIANT;
        sig = g_strdup (g_variant_get_type_string (inner));
        break;
      }
    default:
      return FALSE; /* maybe and handle types have no D-Bus form here */
    }

  /* libdbus aborts on a contained signature it cannot carry (a maybe
   * anywhere inside, too deep, an empty tuple): refuse it here instead.  A
   * dict entry is checked with the array that holds it. */
  if (container != DBUS_TYPE_DICT_ENTRY && (!checked || container == DBUS_TYPE_VARIANT) &&
      !dbus_signature_validate_single (container == DBUS_TYPE_VARIANT ? sig : g_variant_get_type_string (v), NULL))
    return FALSE;
  if (!dbus_message_iter_open_container (it, container, sig, &sub))
    return FALSE;
  g_variant_iter_init (&children, v);
  while (ok && (child = g_variant_iter_next_value (&children)))
    {
      ok = append_value (&sub, child, container != DBUS_TYPE_DICT_ENTRY || checked);
      g_variant_unref (child);
    }
  if (!ok)
    {
      dbus_message_iter_abandon_container (it, &sub);
      return FALSE;
    }
  return dbus_message_iter_close_container (it, &sub);
}

gboolean
ihw_dbus_append_value (DBusMessageIter *it, GVariant *v)
{
  return append_value (it, v, FALSE);
}

gboolean
ihw_dbus_append_tuple (DBusMessageIter *it, GVariant *tuple)
{
  GVariantIter children;
  GVariant *child;
  gboolean ok = TRUE;

  g_variant_iter_init (&children, tuple);
  while (ok && (child = g_variant_iter_next_value (&children)))
    {
      ok = ihw_dbus_append_value (it, child);
      g_variant_unref (child);
    }
  return ok;
}
