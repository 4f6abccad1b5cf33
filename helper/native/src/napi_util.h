// Small helpers for plain Node-API code: turning a failed call into a pending
// JS exception, and building errors that carry an errno code like Node's own.
#ifndef WIREFLY_NAPI_UTIL_H
#define WIREFLY_NAPI_UTIL_H

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>

// Makes sure a JS exception describes the Node-API call that just failed.
void throw_last_napi_error(napi_env env);

// Evaluates a Node-API call inside a callback; on failure leaves an exception
// pending and returns NULL so that JS sees the exception.
#define NAPI_TRY(env, call)                                                    \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      throw_last_napi_error(env);                                              \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

// An Error whose message is "<action>: <strerror>" and whose code/errno/syscall
// properties match Node's system errors. Returns NULL if it cannot be built.
napi_value errno_error(napi_env env, int err, const char *syscall, const char *action);

// Throws errno_error(...). Always returns NULL, for `return throw_errno(...)`.
napi_value throw_errno(napi_env env, int err, const char *syscall, const char *action);

// The same for a libuv status (a negative UV_E* code, which on Windows is not
// an errno: uv_translate_sys_error turns a WSA error into one); errno is the status, as in Node's errors.
napi_value uv_status_error(napi_env env, int status, const char *syscall, const char *action);
napi_value throw_uv_status(napi_env env, int status, const char *syscall, const char *action);

// Fetches exactly `count` arguments, throwing a TypeError if fewer were given.
napi_status get_args(napi_env env, napi_callback_info info, size_t count, napi_value *argv);

// True when `value` is a typed array of type `expected`; then sets its data and element count.
bool typed_array_data(napi_env env, napi_value value, napi_typedarray_type expected, void **data, size_t *length);

// Deletes a reference and clears it; a NULL reference is left alone.
void delete_ref(napi_env env, napi_ref *ref);

// A JS callback that throws from a libuv callback has no JS caller to catch
// it, so the exception becomes an uncaught exception, as it would for a socket.
void raise_pending_exception(napi_env env);

// Calls the function behind `function_ref` with one argument as a libuv
// callback would: through `async`, so that queued microtasks and ticks run after it.
void call_js(napi_env env, napi_async_context async, napi_ref function_ref, napi_value argument);

// Handle scopes around work done in libuv callbacks; failing to open or close
// one leaves nothing sane to do but abort.
napi_handle_scope open_handle_scope(napi_env env);
void close_handle_scope(napi_env env, napi_handle_scope scope);

// Checks that `value` is an object tagged with `tag` and unwraps it; otherwise
// throws a TypeError that says it is not `what` and returns NULL.
napi_value unwrap_tagged(napi_env env, napi_value value, const napi_type_tag *tag, const char *what, void **data);

napi_value undefined_value(napi_env env);

// Sets exports[name] to a function calling `callback`, which finds `data` in its callback info.
napi_status export_function(napi_env env, napi_value exports, const char *name, napi_callback callback, void *data);

// Sets object[name] = value; false (with the Node-API error pending) if that fails.
bool set_number(napi_env env, napi_value object, const char *name, double value);

#endif
