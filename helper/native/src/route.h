// Asking the kernel which way it would send a packet (RTM_GETROUTE).
#ifndef WIREFLY_ROUTE_H
#define WIREFLY_ROUTE_H

#include <node_api.h>

napi_status route_register(napi_env env, napi_value exports);

#endif
