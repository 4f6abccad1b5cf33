// The wirefly_native addon: the only C in Wirefly. Each platform file adds its
// functions to the exports (Linux: tun, udp, netlink, route, udpProbe, clock; Windows: wintun, udp and service, built with
// Makefile.mingw); platforms without one export nothing yet, and the
// TypeScript side refuses them before it loads the addon.
#include <node_api.h>

#if defined(__linux__)
#include "clock.h"
#include "netlink.h"
#include "route.h"
#include "tun.h"
#include "udp.h"
#include "udp_probe.h"
#elif defined(_WIN32)
#include "service.h"
#include "tun.h"
#include "udp.h"
#endif

static napi_value init(napi_env env, napi_value exports) {
#if defined(__linux__)
  if (tun_register(env, exports) != napi_ok || udp_register(env, exports) != napi_ok ||
      netlink_register(env, exports) != napi_ok || route_register(env, exports) != napi_ok ||
      udp_probe_register(env, exports) != napi_ok || clock_register(env, exports) != napi_ok)
    return NULL;
#elif defined(_WIN32)
  if (tun_register(env, exports) != napi_ok || udp_register(env, exports) != napi_ok ||
      service_register(env, exports) != napi_ok)
    return NULL;
#else
  (void)env;
#endif
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
