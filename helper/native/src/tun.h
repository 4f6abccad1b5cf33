// TUN devices: adds the platform's tun functions to the addon's exports.
#ifndef WIREFLY_TUN_H
#define WIREFLY_TUN_H

#include <node_api.h>

napi_status tun_register(napi_env env, napi_value exports);

#endif
