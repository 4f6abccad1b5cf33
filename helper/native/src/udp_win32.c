// Windows UDP for the engine, over Winsock: an IPv6-only and an IPv4 socket
// bound to one port, the binding shape and records of udp_linux.c (see
// udp_binding.h). node:dgram cannot do what this file is for: each received
// datagram reports the local address it was sent to and the interface it came
// in on (IP_PKTINFO / IPV6_PKTINFO through WSARecvMsg), and a reply can leave
// from that address ("sticky source": WSASendMsg with an IN_PKTINFO /
// IN6_PKTINFO control message).
//
// Winsock has no recvmmsg or sendmmsg. A libuv poll handle per socket (libuv
// polls sockets through AFD on Windows) wakes this file when a socket is
// readable; it then drains the socket without blocking, up to a batch, and
// hands the whole batch to JS in one call. A send call takes a batch and goes
// through it one WSASendMsg per datagram, without crossing back into JS.
//
// No offloads: Windows' USO and URO (UDP_SEND_MSG_SIZE, UDP_RECV_MAX_COALESCED_SIZE)
// are not used, so the segmentation and coalescing counters stay 0.
#include "udp.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "napi_util.h"
#include "udp_binding.h"

// Datagrams per receive wake-up: bounds the time one busy socket holds the loop.
#define MAX_RECEIVE_MESSAGES 64
#define MAX_SEND_BATCH 128

// Room for one packet-info control message, the larger (IPv6) one.
typedef union {
  char buffer[WSA_CMSG_SPACE(sizeof(pktinfo6_t))];
  WSACMSGHDR align;
} control_t;

typedef struct {
  udp_common_t common;
  WSABUF send_buffers[MAX_SEND_BATCH];
} udp_t;

// WSARecvMsg is reachable only through its extension pointer; it is the same
// for every socket of the one provider there is for UDP.
static LPFN_WSARECVMSG wsa_recv_msg;

// A failed step of binding: the WSA error, the call, and the socket's family.
typedef struct {
  int err;
  const char *syscall;
  uint32_t family;
} bind_failure_t;

static bind_failure_t last_failure(const char *syscall, uint32_t family) {
  return (bind_failure_t){WSAGetLastError(), syscall, family};
}

static void report_failure(udp_socket_t *sock, int status, const char *syscall, const char *what) {
  char action[128];
  describe_socket(sock, what, action, sizeof action);
  fail_socket(sock, uv_status_error(sock->owner->env, status, syscall, action));
}

// Drains the socket into the slots, one datagram each, until it would block
// or the slots run out. Returns how many were recorded; sets *status to a
// libuv status for an error that breaks the socket, 0 otherwise.
static uint32_t drain(udp_t *udp, udp_socket_t *sock, uint8_t *data, size_t slots, records_t *records, int *status) {
  uint32_t kept = 0;
  *status = 0;
  for (size_t tries = 0; tries < MAX_RECEIVE_MESSAGES && kept < slots; tries++) {
    socket_address_t from;
    control_t control;
    WSABUF buffer = {.len = RECEIVE_SLOT_BYTES, .buf = (char *)data + (size_t)kept * RECEIVE_SLOT_BYTES};
    WSAMSG message = {
        .name = &from.any,
        .namelen = sizeof from,
        .lpBuffers = &buffer,
        .dwBufferCount = 1,
        .Control = {.len = sizeof control, .buf = control.buffer},
    };
    DWORD length = 0;
    if (wsa_recv_msg(sock->fd, &message, &length, NULL, NULL) == SOCKET_ERROR) {
      int err = WSAGetLastError();
      if (err == WSAEWOULDBLOCK) break;
      // A datagram too large for its slot is lost alone; so is the ICMP report
      // of an earlier send, should SIO_UDP_CONNRESET (or NETRESET) not have held.
      if (err == WSAEMSGSIZE) {
        udp->common.stats.truncated++;
        continue;
      }
      if (err == WSAECONNRESET || err == WSAENETRESET) continue;
      *status = uv_translate_sys_error(err);
      break;
    }
    if (length > udp->common.max_datagram || (message.dwFlags & MSG_TRUNC) != 0) {
      udp->common.stats.truncated++;
      continue;
    }
    uint32_t *record = records->records + (size_t)kept * RECEIVED_WORDS;
    uint8_t *pair = records->addresses + (size_t)kept * ADDRESS_PAIR_BYTES;
    memset(pair, 0, ADDRESS_PAIR_BYTES);
    record_source(&from, record, pair);
    // Interface 0 tells JS that the local address is unknown.
    record[RECEIVED_IFINDEX] = 0;
    for (WSACMSGHDR *c = WSA_CMSG_FIRSTHDR(&message); c != NULL; c = WSA_CMSG_NXTHDR(&message, c)) {
      (void)record_local(c, record, pair + LOCAL_OFFSET);
    }
    record[RECEIVED_LENGTH] = length;
    record[RECEIVED_OFFSET] = kept * RECEIVE_SLOT_BYTES;
    kept++;
  }
  return kept;
}

static void on_socket_readable(uv_poll_t *poll, int status, int events) {
  (void)events;
  udp_socket_t *sock = poll->data;
  udp_t *udp = (udp_t *)sock->owner;
  if (udp->common.closed) return;
  napi_env env = udp->common.env;
  napi_handle_scope scope = open_handle_scope(env);
  uint8_t *data;
  size_t slots;
  records_t records;
  if (status < 0) {
    report_failure(sock, status, "poll", "polling");
  } else if (!get_receive_buffers(&udp->common, MAX_RECEIVE_MESSAGES, &data, &slots, &records)) {
    report_failure(sock, UV_EFAULT, "WSARecvMsg", "using the datagram buffers of");
  } else {
    int failed;
    deliver_batch(&udp->common, drain(udp, sock, data, slots, &records, &failed));
    if (failed != 0 && !udp->common.closed) report_failure(sock, failed, "WSARecvMsg", "receiving on");
  }
  close_handle_scope(env, scope);
}

// Sends one datagram; returns 0 or the WSA error.
static int send_datagram(SOCKET socket, const uint32_t *record, const uint8_t *pair, WSABUF *buffer, bool pinned) {
  socket_address_t to;
  socklen_t to_length;
  control_t control;
  fill_destination(record, pair, &to, &to_length);
  WSAMSG message = {.name = &to.any, .namelen = to_length, .lpBuffers = buffer, .dwBufferCount = 1};
  if (pinned) {
    memset(&control, 0, sizeof control);
    message.Control.len = (ULONG)fill_source(record, pair + LOCAL_OFFSET, (WSACMSGHDR *)control.buffer);
    message.Control.buf = control.buffer;
  }
  DWORD sent;
  return WSASendMsg(socket, &message, 0, &sent, NULL, NULL) == 0 ? 0 : WSAGetLastError();
}

// How Winsock refuses a pinned source that is not (or no longer) one of this
// host's addresses.
static bool source_refusal(int err) {
  return err == WSAEADDRNOTAVAIL || err == WSAEINVAL || err == WSAENETUNREACH || err == WSAEHOSTUNREACH;
}

// Sends the batch in order. A datagram that cannot go (no route, too big,
// filtered) is dropped alone; one whose pinned source may be the reason goes
// again from the routed source, and its record says SOURCE_REFUSED if that is
// what it took. A full send buffer drops the rest. Returns how many went.
static uint32_t send_all(udp_t *udp, records_t *records, uint32_t count) {
  uint32_t sent = 0;
  for (uint32_t i = 0; i < count; i++) {
    uint32_t *record = records->records + (size_t)i * OUTGOING_WORDS;
    const uint8_t *pair = records->addresses + (size_t)i * ADDRESS_PAIR_BYTES;
    SOCKET socket = record[OUTGOING_FAMILY] == 4 ? udp->common.v4.fd : udp->common.v6.fd;
    // Without an IPv6 socket (a host without IPv6) its datagrams are dropped.
    if (socket == INVALID_SOCKET) continue;
    bool pinned = record[OUTGOING_SOURCE] == SOURCE_STICKY;
    int err = send_datagram(socket, record, pair, &udp->send_buffers[i], pinned);
    if (err != 0 && pinned && source_refusal(err)) {
      err = send_datagram(socket, record, pair, &udp->send_buffers[i], false);
      if (err == 0) record[OUTGOING_SOURCE] = SOURCE_REFUSED;
    }
    if (err == 0) sent++;
    else if (err == WSAEWOULDBLOCK || err == WSAENOBUFS) break;
  }
  return sent;
}

static void take_buffer(udp_common_t *udp, uint32_t i, void *data, size_t length) {
  ((udp_t *)udp)->send_buffers[i] = (WSABUF){.len = (ULONG)length, .buf = data};
}

// send(handle, datagrams: Uint8Array[], first, count) -> how many were sent,
// as udp_linux.c's.
static napi_value send_js(napi_env env, napi_callback_info info) {
  send_arguments_t args;
  if (!begin_send(env, info, MAX_SEND_BATCH, "WSASendMsg", take_buffer, &args)) return args.result;
  return send_count(env, send_all((udp_t *)args.udp, &args.records, args.count));
}

static bool set_option(SOCKET socket, int level, int name, DWORD value) {
  return setsockopt(socket, level, name, (const char *)&value, sizeof value) == 0;
}

static bool find_recv_msg(SOCKET socket) {
  if (wsa_recv_msg != NULL) return true;
  GUID guid = WSAID_WSARECVMSG;
  DWORD bytes;
  return WSAIoctl(socket, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, &wsa_recv_msg,
                  sizeof wsa_recv_msg, &bytes, NULL, NULL) == 0;
}

// Options before bind. Without SIO_UDP_CONNRESET off, an ICMP port
// unreachable for one peer makes the next receive fail for all of them.
// SO_EXCLUSIVEADDRUSE keeps another process from binding the port too.
static bind_failure_t prepare_socket(udp_socket_t *sock) {
  SOCKET s = sock->fd;
  uint32_t family = sock->family;
  u_long nonblocking = 1;
  BOOL reset = FALSE;
  DWORD bytes;
  if (ioctlsocket(s, FIONBIO, &nonblocking) != 0) return last_failure("ioctlsocket", family);
  if (WSAIoctl(s, SIO_UDP_CONNRESET, &reset, sizeof reset, NULL, 0, &bytes, NULL, NULL) != 0) {
    return last_failure("WSAIoctl", family);
  }
  if (!find_recv_msg(s)) return last_failure("WSAIoctl", family);
  if (!set_option(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1)) return last_failure("setsockopt", family);
  bool ok = family == 6 ? set_option(s, IPPROTO_IPV6, IPV6_V6ONLY, 1) && set_option(s, IPPROTO_IPV6, IPV6_PKTINFO, 1)
                        : set_option(s, IPPROTO_IP, IP_PKTINFO, 1);
  if (!ok) return last_failure("setsockopt", family);
  // Only room: Windows may cap them, which still works.
  (void)set_option(s, SOL_SOCKET, SO_RCVBUF, SOCKET_BUFFER_BYTES);
  (void)set_option(s, SOL_SOCKET, SO_SNDBUF, SOCKET_BUFFER_BYTES);
  return (bind_failure_t){0, NULL, family};
}

static bind_failure_t open_winsock(udp_socket_t *sock, uint16_t *port) {
  int family = sock->family == 6 ? AF_INET6 : AF_INET;
  sock->fd = WSASocketW(family, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (sock->fd == INVALID_SOCKET) return last_failure("socket", sock->family);
  bind_failure_t result = prepare_socket(sock);
  if (result.err != 0) return result;
  socket_address_t address;
  memset(&address, 0, sizeof address);
  // Both any-addresses are all zeroes; the port sits at the same offset in both.
  address.any.sa_family = (ADDRESS_FAMILY)family;
  address.v4.sin_port = htons(*port);
  int length = family == AF_INET6 ? sizeof address.v6 : sizeof address.v4;
  if (bind(sock->fd, &address.any, length) != 0) return last_failure("bind", sock->family);
  if (getsockname(sock->fd, &address.any, &length) != 0) return last_failure("getsockname", sock->family);
  *port = ntohs(address.v4.sin_port);
  return result;
}

// IPv6 first, then IPv4 on the port IPv6 got; a host without IPv6 gets IPv4
// alone. A port picked for IPv6 that IPv4 finds taken is given up for another.
static bind_failure_t open_pair(udp_t *udp, uint16_t requested) {
  bind_failure_t result = {0, NULL, 6};
  for (int attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
    uint16_t port = requested;
    result = open_winsock(&udp->common.v6, &port);
    if (result.err == WSAEAFNOSUPPORT) {
      close_socket(&udp->common.v6);
      result.err = 0;
    }
    if (result.err == 0) result = open_winsock(&udp->common.v4, &port);
    udp->common.port = port;
    if (result.err == 0) return result;
    close_socket(&udp->common.v4);
    close_socket(&udp->common.v6);
    if (requested != 0 || result.err != WSAEADDRINUSE) break;
  }
  return result;
}

static bool open_sockets(napi_env env, udp_common_t *udp, const bind_options_t *options) {
  bind_failure_t failed = open_pair((udp_t *)udp, options->port);
  if (failed.err == 0) return true;
  char action[64];
  snprintf(action, sizeof action, "binding UDP port %u (IPv%u)", udp->port, failed.family);
  throw_uv_status(env, uv_translate_sys_error(failed.err), failed.syscall, action);
  return false;
}

// bind(...) as udp_linux.c's; `offload` is accepted and has nothing to turn on.
static napi_value bind_js(napi_env env, napi_callback_info info) {
  return bind_udp(env, info, sizeof(udp_t), open_sockets, on_socket_readable);
}

static napi_value set_mark_js(napi_env env, napi_callback_info info) {
  (void)info;
  napi_throw_error(env, "ERR_NOT_SUPPORTED",
                   "a socket mark (fwmark) is Linux policy routing; Windows keeps the endpoint off the tunnel by route");
  return NULL;
}

napi_status udp_register(napi_env env, napi_value exports) {
  return define_udp_exports(env, exports, bind_js, send_js, set_mark_js);
}
