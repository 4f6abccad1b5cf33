// `ip route get` as one synchronous netlink request: the interface and the
// source address the kernel would use for a destination, from a given source
// and under a firewall mark. The kernel answers at once from its tables, so
// the request blocks only for a system call; a short receive timeout guards it.
#include "route.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "napi_util.h"

#define REPLY_BYTES 4096

typedef struct {
  struct nlmsghdr header;
  struct rtmsg route;
  uint8_t attributes[64];
} route_request_t;

static void add_attribute(route_request_t *request, unsigned short type, const void *data, size_t length) {
  struct rtattr *attr = (struct rtattr *)((uint8_t *)request + NLMSG_ALIGN(request->header.nlmsg_len));
  attr->rta_type = type;
  attr->rta_len = (unsigned short)RTA_LENGTH(length);
  memcpy(RTA_DATA(attr), data, length);
  request->header.nlmsg_len = NLMSG_ALIGN(request->header.nlmsg_len) + RTA_ALIGN(attr->rta_len);
}

typedef struct {
  uint32_t ifindex;
  uint8_t source[16];
  bool has_source;
} route_answer_t;

static void read_answer(const struct nlmsghdr *header, size_t address_length, route_answer_t *answer) {
  const struct rtmsg *route = NLMSG_DATA(header);
  int length = (int)RTM_PAYLOAD(header);
  for (const struct rtattr *attr = RTM_RTA(route); RTA_OK(attr, length); attr = RTA_NEXT(attr, length)) {
    if (attr->rta_type == RTA_OIF && RTA_PAYLOAD(attr) >= sizeof(uint32_t)) {
      memcpy(&answer->ifindex, RTA_DATA(attr), sizeof answer->ifindex);
    } else if (attr->rta_type == RTA_PREFSRC && RTA_PAYLOAD(attr) == address_length) {
      memcpy(answer->source, RTA_DATA(attr), address_length);
      answer->has_source = true;
    }
  }
}

// Returns 0 with the answer, or the errno the kernel (or the socket) gave.
static int route_get(int family, const uint8_t *destination, const uint8_t *source, uint32_t mark,
                     route_answer_t *answer) {
  size_t address_length = family == AF_INET ? 4 : 16;
  route_request_t request;
  memset(&request, 0, sizeof request);
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
  request.header.nlmsg_type = RTM_GETROUTE;
  request.header.nlmsg_flags = NLM_F_REQUEST;
  request.header.nlmsg_seq = 1;
  request.route.rtm_family = (unsigned char)family;
  request.route.rtm_dst_len = (unsigned char)(address_length * 8);
  add_attribute(&request, RTA_DST, destination, address_length);
  if (source != NULL) {
    request.route.rtm_src_len = (unsigned char)(address_length * 8);
    add_attribute(&request, RTA_SRC, source, address_length);
  }
  if (mark != 0) add_attribute(&request, RTA_MARK, &mark, sizeof mark);

  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return errno;
  struct timeval timeout = {.tv_sec = 1};
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  int err = 0;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0 ||
      sendto(fd, &request, request.header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    err = errno;
    close(fd);
    return err;
  }
  static uint8_t reply[REPLY_BYTES] __attribute__((aligned(NLMSG_ALIGNTO)));
  ssize_t n;
  do {
    n = recv(fd, reply, sizeof reply, 0);
  } while (n < 0 && errno == EINTR);
  err = n < 0 ? errno : 0;
  close(fd);
  if (err != 0) return err;
  int length = (int)n;
  for (const struct nlmsghdr *header = (const struct nlmsghdr *)reply; NLMSG_OK(header, length);
       header = NLMSG_NEXT(header, length)) {
    if (header->nlmsg_type == NLMSG_ERROR) {
      const struct nlmsgerr *error = NLMSG_DATA(header);
      return error->error == 0 ? EPROTO : -error->error;
    }
    if (header->nlmsg_type == RTM_NEWROUTE) {
      read_answer(header, address_length, answer);
      return 0;
    }
  }
  return EPROTO;
}

static bool address_argument(napi_env env, napi_value value, size_t *length, uint8_t **bytes) {
  void *data;
  if (!typed_array_data(env, value, napi_uint8_array, &data, length) || (*length != 4 && *length != 16)) return false;
  *bytes = data;
  return true;
}

// get(destination: Uint8Array(4|16), source: Uint8Array | null, mark) -> { interfaceIndex, source? }
static napi_value route_get_js(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  NAPI_TRY(env, get_args(env, info, 3, argv));
  size_t length, source_length = 0;
  uint8_t *destination, *source = NULL;
  napi_valuetype source_type;
  uint32_t mark;
  NAPI_TRY(env, napi_typeof(env, argv[1], &source_type));
  if (!address_argument(env, argv[0], &length, &destination) ||
      (source_type != napi_null && (!address_argument(env, argv[1], &source_length, &source) || source_length != length))) {
    napi_throw_type_error(env, NULL, "addresses must be Uint8Arrays of 4 or 16 bytes, of one family");
    return NULL;
  }
  NAPI_TRY(env, napi_get_value_uint32(env, argv[2], &mark));
  route_answer_t answer = {0};
  int err = route_get(length == 4 ? AF_INET : AF_INET6, destination, source, mark, &answer);
  if (err != 0) return throw_errno(env, err, "RTM_GETROUTE", "looking up the route");
  napi_value result;
  NAPI_TRY(env, napi_create_object(env, &result));
  if (!set_number(env, result, "interfaceIndex", answer.ifindex)) return throw_errno(env, ENOMEM, "napi", "route");
  if (answer.has_source) {
    napi_value buffer, array;
    void *data;
    NAPI_TRY(env, napi_create_arraybuffer(env, length, &data, &buffer));
    memcpy(data, answer.source, length);
    NAPI_TRY(env, napi_create_typedarray(env, napi_uint8_array, length, buffer, 0, &array));
    NAPI_TRY(env, napi_set_named_property(env, result, "source", array));
  }
  return result;
}

napi_status route_register(napi_env env, napi_value exports) {
  napi_value route;
  napi_status status = napi_create_object(env, &route);
  if (status != napi_ok) return status;
  const napi_property_descriptor functions[] = {
      {"get", NULL, route_get_js, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  status = napi_define_properties(env, route, sizeof functions / sizeof functions[0], functions);
  if (status != napi_ok) return status;
  return napi_set_named_property(env, exports, "route", route);
}
