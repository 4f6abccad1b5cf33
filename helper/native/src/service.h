// Running as a Windows service: adds `service` (run, stopped) to the addon's exports.
#ifndef WIREFLY_SERVICE_H
#define WIREFLY_SERVICE_H

#include <node_api.h>

napi_status service_register(napi_env env, napi_value exports);

#endif
