// One datagram to an endpoint, to learn whether its host refuses the port.
#ifndef WIREFLY_UDP_PROBE_H
#define WIREFLY_UDP_PROBE_H

#include <node_api.h>

napi_status udp_probe_register(napi_env env, napi_value exports);

#endif
