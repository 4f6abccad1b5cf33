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

napi_value errno_error(napi_env env, int err, const char *syscall, const char *action) {
  char text[256];
  snprintf(text, sizeof text, "%s: %s", action, strerror(err));
  napi_value code, message, error, errno_value;
  if (napi_create_string_utf8(env, errno_code(err), NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message) != napi_ok ||
      napi_create_error(env, code, message, &error) != napi_ok ||
      napi_create_int32(env, -err, &errno_value) != napi_ok ||
      napi_set_named_property(env, error, "errno", errno_value) != napi_ok ||
      !set_string(env, error, "syscall", syscall)) {
    return NULL;
  }
  return error;
}

napi_value throw_errno(napi_env env, int err, const char *syscall, const char *action) {
  napi_value error = errno_error(env, err, syscall, action);
  if (error == NULL || napi_throw(env, error) != napi_ok) throw_last_napi_error(env);
  return NULL;
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
