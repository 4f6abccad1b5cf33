// Batched UDP for the engine: adds the platform's udp functions to the addon's exports.
#ifndef WIREFLY_UDP_H
#define WIREFLY_UDP_H

#include <node_api.h>

napi_status udp_register(napi_env env, napi_value exports);

#endif
