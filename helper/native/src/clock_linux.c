// CLOCK_BOOTTIME, which Node does not expose: it runs on through a suspend,
// where CLOCK_MONOTONIC (performance.now, libuv's timers) stands still. Key
// ages are measured on it, as the kernel's WireGuard measures them, and a jump
// of it against the monotonic clock says the machine slept.
#include "clock.h"

#include <time.h>

#include "napi_util.h"

static double milliseconds(clockid_t clock) {
  struct timespec now;
  // Both clocks exist on every kernel Node runs on (BOOTTIME since 2.6.39).
  clock_gettime(clock, &now);
  return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

static napi_value boot_time_js(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  NAPI_TRY(env, napi_create_double(env, milliseconds(CLOCK_BOOTTIME), &result));
  return result;
}

static napi_value monotonic_time_js(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  NAPI_TRY(env, napi_create_double(env, milliseconds(CLOCK_MONOTONIC), &result));
  return result;
}

napi_status clock_register(napi_env env, napi_value exports) {
  napi_value clock;
  napi_status status = napi_create_object(env, &clock);
  if (status != napi_ok) return status;
  const napi_property_descriptor functions[] = {
      {"bootTime", NULL, boot_time_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"monotonicTime", NULL, monotonic_time_js, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  status = napi_define_properties(env, clock, sizeof functions / sizeof functions[0], functions);
  if (status != napi_ok) return status;
  return napi_set_named_property(env, exports, "clock", clock);
}
