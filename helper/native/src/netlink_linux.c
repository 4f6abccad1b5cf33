// A NETLINK_ROUTE socket joined to the link, address and route multicast
// groups. Each wake-up drains it and hands JS one Uint32Array of
// (kind, interface index) pairs: JS decides what a change means. A receive
// queue that overflowed (ENOBUFS) lost events, which is reported as such so
// that JS re-checks everything.
#include "netlink.h"

#include <errno.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "napi_util.h"

enum { KIND_LINK = 1, KIND_ADDRESS = 2, KIND_ROUTE = 3, KIND_LOST = 4 };

// Most pairs per wake-up; a flood beyond it is reported as lost events.
#define MAX_CHANGES 256
#define RECEIVE_BYTES 16384

static const napi_type_tag NETLINK_TAG = {0x57466c794e4c4e4bULL, 0x6e65746c696e6b31ULL};

typedef struct {
  napi_env env;
  int fd;
  bool closed;
  bool poll_closed;
  bool wrapper_finalized;
  uv_poll_t poll;
  napi_ref on_change, on_error;
  napi_async_context async;
  uint32_t changes[MAX_CHANGES * 2];
  uint32_t count;
} watch_t;

static void free_when_unused(watch_t *watch) {
  if (watch->poll_closed && watch->wrapper_finalized) free(watch);
}

static void on_poll_closed(uv_handle_t *handle) {
  watch_t *watch = handle->data;
  watch->poll_closed = true;
  free_when_unused(watch);
}

static void watch_close(watch_t *watch) {
  if (watch->closed) return;
  watch->closed = true;
  if (!watch->poll_closed) {
    uv_poll_stop(&watch->poll);
    uv_close((uv_handle_t *)&watch->poll, on_poll_closed);
  }
  if (watch->fd >= 0) {
    close(watch->fd);
    watch->fd = -1;
  }
  delete_ref(watch->env, &watch->on_change);
  delete_ref(watch->env, &watch->on_error);
  if (watch->async != NULL) {
    (void)napi_async_destroy(watch->env, watch->async);
    watch->async = NULL;
  }
}

static void on_wrapper_finalized(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  watch_t *watch = data;
  watch->wrapper_finalized = true;
  watch_close(watch);
  free_when_unused(watch);
}

static void add_change(watch_t *watch, uint32_t kind, uint32_t ifindex) {
  if (watch->count == MAX_CHANGES) {
    watch->changes[2 * (MAX_CHANGES - 1)] = KIND_LOST;
    watch->changes[2 * (MAX_CHANGES - 1) + 1] = 0;
    return;
  }
  watch->changes[2 * watch->count] = kind;
  watch->changes[2 * watch->count + 1] = ifindex;
  watch->count++;
}

// The outgoing interface of a route message (RTA_OIF), 0 for a route without
// one (unreachable, blackhole, multipath).
static uint32_t route_interface(const struct nlmsghdr *header) {
  const struct rtmsg *route = NLMSG_DATA(header);
  int length = (int)RTM_PAYLOAD(header);
  for (const struct rtattr *attr = RTM_RTA(route); RTA_OK(attr, length); attr = RTA_NEXT(attr, length)) {
    if (attr->rta_type == RTA_OIF && RTA_PAYLOAD(attr) >= sizeof(uint32_t)) {
      uint32_t ifindex;
      memcpy(&ifindex, RTA_DATA(attr), sizeof ifindex);
      return ifindex;
    }
  }
  return 0;
}

// Link-local and host-scope addresses (an interface's fe80:: address, which
// the kernel adds and then confirms a second after the link comes up) never
// carry traffic to a peer: endpoints with a zone are refused.
static bool link_scope_address(const struct nlmsghdr *header) {
  const struct ifaddrmsg *address = NLMSG_DATA(header);
  return address->ifa_scope == RT_SCOPE_LINK || address->ifa_scope == RT_SCOPE_HOST;
}

// Routes that cannot change the way to a peer: the local table's (they follow
// the addresses, whose own messages report them), multicast ones, and IPv6's
// fe80::/64 link-local prefix.
static bool unrelated_route(const struct nlmsghdr *header) {
  const struct rtmsg *route = NLMSG_DATA(header);
  if (route->rtm_table == RT_TABLE_LOCAL || route->rtm_type == RTN_MULTICAST) return true;
  if (route->rtm_family != AF_INET6) return false;
  int length = (int)RTM_PAYLOAD(header);
  for (const struct rtattr *attr = RTM_RTA(route); RTA_OK(attr, length); attr = RTA_NEXT(attr, length)) {
    if (attr->rta_type == RTA_DST && RTA_PAYLOAD(attr) >= 2) {
      const uint8_t *destination = RTA_DATA(attr);
      return destination[0] == 0xfe && (destination[1] & 0xc0) == 0x80;
    }
  }
  return false;
}

static void classify(watch_t *watch, const struct nlmsghdr *header) {
  switch (header->nlmsg_type) {
    case RTM_NEWLINK:
    case RTM_DELLINK:
      if (header->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ifinfomsg)))
        add_change(watch, KIND_LINK, (uint32_t)((const struct ifinfomsg *)NLMSG_DATA(header))->ifi_index);
      break;
    case RTM_NEWADDR:
    case RTM_DELADDR:
      if (header->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ifaddrmsg)) && !link_scope_address(header))
        add_change(watch, KIND_ADDRESS, ((const struct ifaddrmsg *)NLMSG_DATA(header))->ifa_index);
      break;
    case RTM_NEWROUTE:
    case RTM_DELROUTE:
      if (header->nlmsg_len >= NLMSG_LENGTH(sizeof(struct rtmsg)) && !unrelated_route(header))
        add_change(watch, KIND_ROUTE, route_interface(header));
      break;
    default:
      break;
  }
}

// Reads until the socket is empty; returns 0 or the errno that stopped it.
static int drain(watch_t *watch) {
  static uint8_t buffer[RECEIVE_BYTES] __attribute__((aligned(NLMSG_ALIGNTO)));
  for (;;) {
    ssize_t n = recv(watch->fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      if (errno == ENOBUFS) {
        add_change(watch, KIND_LOST, 0);
        continue;
      }
      return errno;
    }
    int length = (int)n;
    for (const struct nlmsghdr *header = (const struct nlmsghdr *)buffer; NLMSG_OK(header, length);
         header = NLMSG_NEXT(header, length)) {
      classify(watch, header);
    }
  }
}

static void deliver(watch_t *watch) {
  napi_env env = watch->env;
  napi_value buffer, changes;
  void *data;
  size_t bytes = (size_t)watch->count * 2 * sizeof(uint32_t);
  if (napi_create_arraybuffer(env, bytes, &data, &buffer) != napi_ok ||
      napi_create_typedarray(env, napi_uint32_array, (size_t)watch->count * 2, buffer, 0, &changes) != napi_ok) {
    raise_pending_exception(env);
    return;
  }
  memcpy(data, watch->changes, bytes);
  watch->count = 0;
  call_js(env, watch->async, watch->on_change, changes);
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  (void)events;
  watch_t *watch = poll->data;
  if (watch->closed) return;
  napi_handle_scope scope = open_handle_scope(watch->env);
  int err = status < 0 ? -status : drain(watch);
  if (watch->count > 0) deliver(watch);
  if (err != 0 && !watch->closed) {
    uv_poll_stop(&watch->poll);
    napi_value error = errno_error(watch->env, err, "recv", "reading route changes from netlink");
    if (error == NULL) raise_pending_exception(watch->env);
    else call_js(watch->env, watch->async, watch->on_error, error);
  }
  close_handle_scope(watch->env, scope);
}

static int open_socket(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -errno;
  struct sockaddr_nl address = {
      .nl_family = AF_NETLINK,
      .nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE,
  };
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) {
    int err = errno;
    close(fd);
    return -err;
  }
  return fd;
}

static bool hold_callbacks(napi_env env, watch_t *watch, napi_value on_change, napi_value on_error) {
  napi_value resource, resource_name;
  return napi_create_reference(env, on_change, 1, &watch->on_change) == napi_ok &&
         napi_create_reference(env, on_error, 1, &watch->on_error) == napi_ok &&
         napi_create_object(env, &resource) == napi_ok &&
         napi_create_string_utf8(env, "WireflyNetlink", NAPI_AUTO_LENGTH, &resource_name) == napi_ok &&
         napi_async_init(env, resource, resource_name, &watch->async) == napi_ok;
}

static bool start_polling(napi_env env, watch_t *watch) {
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return false;
  int err = uv_poll_init(loop, &watch->poll, watch->fd);
  if (err != 0) {
    throw_errno(env, -err, "uv_poll_init", "watching netlink");
    return false;
  }
  watch->poll.data = watch;
  watch->poll_closed = false;
  err = uv_poll_start(&watch->poll, UV_READABLE, on_readable);
  if (err != 0) {
    throw_errno(env, -err, "uv_poll_start", "watching netlink");
    return false;
  }
  // A watch alone does not keep the process alive, as an unref'd timer does not.
  uv_unref((uv_handle_t *)&watch->poll);
  return true;
}

// open(onChange(pairs: Uint32Array), onError(error)) -> handle
static napi_value netlink_open(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  NAPI_TRY(env, get_args(env, info, 2, argv));
  for (int i = 0; i < 2; i++) {
    napi_valuetype type;
    NAPI_TRY(env, napi_typeof(env, argv[i], &type));
    if (type != napi_function) {
      napi_throw_type_error(env, NULL, "onChange and onError must be functions");
      return NULL;
    }
  }
  watch_t *watch = calloc(1, sizeof *watch);
  if (watch == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  watch->env = env;
  watch->poll_closed = true;
  watch->fd = open_socket();
  if (watch->fd < 0) {
    int err = -watch->fd;
    free(watch);
    return throw_errno(env, err, "bind", "joining netlink's route groups");
  }
  napi_value handle;
  if (hold_callbacks(env, watch, argv[0], argv[1]) && start_polling(env, watch) &&
      napi_create_object(env, &handle) == napi_ok && napi_type_tag_object(env, handle, &NETLINK_TAG) == napi_ok &&
      napi_wrap(env, handle, watch, on_wrapper_finalized, NULL, NULL) == napi_ok) {
    return handle;
  }
  throw_last_napi_error(env);
  watch->wrapper_finalized = true;
  watch_close(watch);
  free_when_unused(watch);
  return NULL;
}

static napi_value netlink_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  watch_t *watch;
  NAPI_TRY(env, get_args(env, info, 1, argv));
  if (unwrap_tagged(env, argv[0], &NETLINK_TAG, "netlink watch", (void **)&watch) == NULL) return NULL;
  watch_close(watch);
  return undefined_value(env);
}

// interfaceName(index) -> the name, or undefined for an interface that no longer exists
static napi_value netlink_interface_name(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  uint32_t index;
  NAPI_TRY(env, get_args(env, info, 1, argv));
  NAPI_TRY(env, napi_get_value_uint32(env, argv[0], &index));
  char name[IF_NAMESIZE];
  if (index == 0 || if_indextoname(index, name) == NULL) return undefined_value(env);
  napi_value result;
  NAPI_TRY(env, napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &result));
  return result;
}

napi_status netlink_register(napi_env env, napi_value exports) {
  napi_value netlink;
  napi_status status = napi_create_object(env, &netlink);
  if (status != napi_ok) return status;
  const napi_property_descriptor functions[] = {
      {"open", NULL, netlink_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, netlink_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"interfaceName", NULL, netlink_interface_name, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  status = napi_define_properties(env, netlink, sizeof functions / sizeof functions[0], functions);
  if (status != napi_ok) return status;
  return napi_set_named_property(env, exports, "netlink", netlink);
}
