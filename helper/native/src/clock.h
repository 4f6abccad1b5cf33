// The clocks the engine and the sleep watch read.
#ifndef WIREFLY_CLOCK_H
#define WIREFLY_CLOCK_H

#include <node_api.h>

napi_status clock_register(napi_env env, napi_value exports);

#endif
