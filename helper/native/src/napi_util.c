#include "napi_util.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

void throw_last_napi_error(napi_env env) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return;
  const napi_extended_error_info *info = NULL;
  const char *message = "Node-API call failed";
  if (napi_get_last_error_info(env, &info) == napi_ok && info != NULL && info->error_message != NULL) {
    message = info->error_message;
  }
  napi_throw_error(env, NULL, message);
}

static const char *errno_code(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  // libuv has no names for some errnos a TUN device reports (EBADFD), glibc does.
  const char *name = strerrorname_np(err);
  if (name != NULL) return name;
#endif
  return uv_err_name(-err);
}

static bool set_string(napi_env env, napi_value object, const char *key, const char *text) {
  napi_value value;
  return napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &value) == napi_ok &&
         napi_set_named_property(env, object, key, value) == napi_ok;
}

// An Error like Node's system errors: "<action>: <description>", with
// code, errno and syscall properties.
static napi_value system_error(napi_env env, const char *code_text, const char *description, int errno_number,
                               const char *syscall, const char *action) {
  char text[256];
  snprintf(text, sizeof text, "%s: %s", action, description);
  napi_value code, message, error, errno_value;
  if (napi_create_string_utf8(env, code_text, NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message) != napi_ok ||
      napi_create_error(env, code, message, &error) != napi_ok ||
      napi_create_int32(env, errno_number, &errno_value) != napi_ok ||
      napi_set_named_property(env, error, "errno", errno_value) != napi_ok ||
      !set_string(env, error, "syscall", syscall)) {
    return NULL;
  }
  return error;
}

napi_value errno_error(napi_env env, int err, const char *syscall, const char *action) {
  return system_error(env, errno_code(err), strerror(err), -err, syscall, action);
}

napi_value uv_status_error(napi_env env, int status, const char *syscall, const char *action) {
  return system_error(env, uv_err_name(status), uv_strerror(status), status, syscall, action);
}

static napi_value throw_built(napi_env env, napi_value error) {
  if (error == NULL || napi_throw(env, error) != napi_ok) throw_last_napi_error(env);
  return NULL;
}

napi_value throw_errno(napi_env env, int err, const char *syscall, const char *action) {
  return throw_built(env, errno_error(env, err, syscall, action));
}

napi_value throw_uv_status(napi_env env, int status, const char *syscall, const char *action) {
  return throw_built(env, uv_status_error(env, status, syscall, action));
}

napi_status get_args(napi_env env, napi_callback_info info, size_t count, napi_value *argv) {
  size_t given = count;
  napi_status status = napi_get_cb_info(env, info, &given, argv, NULL, NULL);
  if (status != napi_ok) return status;
  if (given < count) {
    napi_throw_type_error(env, NULL, "too few arguments");
    return napi_invalid_arg;
  }
  return napi_ok;
}

bool typed_array_data(napi_env env, napi_value value, napi_typedarray_type expected, void **data, size_t *length) {
  bool is_typed_array = false;
  napi_typedarray_type type;
  return napi_is_typedarray(env, value, &is_typed_array) == napi_ok && is_typed_array &&
         napi_get_typedarray_info(env, value, &type, length, data, NULL, NULL) == napi_ok && type == expected;
}

void delete_ref(napi_env env, napi_ref *ref) {
  if (*ref == NULL) return;
  // Failing to delete only leaks a reference; there is nothing better to do.
  (void)napi_delete_reference(env, *ref);
  *ref = NULL;
}

void raise_pending_exception(napi_env env) {
  bool pending = false;
  napi_value exception;
  if (napi_is_exception_pending(env, &pending) != napi_ok || !pending) return;
  if (napi_get_and_clear_last_exception(env, &exception) != napi_ok ||
      napi_fatal_exception(env, exception) != napi_ok) {
    napi_fatal_error("wirefly native", NAPI_AUTO_LENGTH, "cannot raise a callback's exception", NAPI_AUTO_LENGTH);
  }
}

void call_js(napi_env env, napi_async_context async, napi_ref function_ref, napi_value argument) {
  napi_value function, receiver, result;
  if (napi_get_reference_value(env, function_ref, &function) != napi_ok ||
      // make_callback needs an object as `this`; the callbacks ignore it.
      napi_get_global(env, &receiver) != napi_ok ||
      // make_callback, unlike call_function, runs queued microtasks and ticks afterwards.
      napi_make_callback(env, async, receiver, function, 1, &argument, &result) != napi_ok) {
    raise_pending_exception(env);
  }
}

napi_handle_scope open_handle_scope(napi_env env) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) {
    napi_fatal_error("wirefly native", NAPI_AUTO_LENGTH, "cannot open a handle scope", NAPI_AUTO_LENGTH);
  }
  return scope;
}

void close_handle_scope(napi_env env, napi_handle_scope scope) {
  if (napi_close_handle_scope(env, scope) != napi_ok) {
    napi_fatal_error("wirefly native", NAPI_AUTO_LENGTH, "cannot close a handle scope", NAPI_AUTO_LENGTH);
  }
}

napi_value unwrap_tagged(napi_env env, napi_value value, const napi_type_tag *tag, const char *what, void **data) {
  bool tagged = false;
  napi_valuetype type;
  NAPI_TRY(env, napi_typeof(env, value, &type));
  if (type == napi_object) NAPI_TRY(env, napi_check_object_type_tag(env, value, tag, &tagged));
  if (!tagged) {
    char message[64];
    snprintf(message, sizeof message, "not a %s handle", what);
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
  NAPI_TRY(env, napi_unwrap(env, value, data));
  return value;
}

napi_value undefined_value(napi_env env) {
  napi_value result;
  NAPI_TRY(env, napi_get_undefined(env, &result));
  return result;
}

bool set_number(napi_env env, napi_value object, const char *name, double value) {
  napi_value number;
  return napi_create_double(env, value, &number) == napi_ok &&
         napi_set_named_property(env, object, name, number) == napi_ok;
}

napi_status export_function(napi_env env, napi_value exports, const char *name, napi_callback callback, void *data) {
  napi_value fn;
  napi_status status = napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, data, &fn);
  return status == napi_ok ? napi_set_named_property(env, exports, name, fn) : status;
}
