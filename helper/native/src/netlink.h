// Route, address and link changes from the kernel's rtnetlink multicast groups.
#ifndef WIREFLY_NETLINK_H
#define WIREFLY_NETLINK_H

#include <node_api.h>

napi_status netlink_register(napi_env env, napi_value exports);

#endif
