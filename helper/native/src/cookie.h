// The responder's MAC1/MAC2 checks and cookie replies in one call (cookie.c).
#ifndef WIREFLY_COOKIE_H
#define WIREFLY_COOKIE_H

#include <node_api.h>

// Adds checkHandshakeMacs() to `exports`.
napi_status register_cookie(napi_env env, napi_value exports);

#endif
