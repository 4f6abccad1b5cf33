// Small helpers for plain Node-API code: turning a failed call into a pending
// JS exception, and building errors that carry an errno code like Node's own.
#ifndef WIREFLY_NAPI_UTIL_H
#define WIREFLY_NAPI_UTIL_H

#include <node_api.h>
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

// Fetches exactly `count` arguments, throwing a TypeError if fewer were given.
napi_status get_args(napi_env env, napi_callback_info info, size_t count, napi_value *argv);

#endif
