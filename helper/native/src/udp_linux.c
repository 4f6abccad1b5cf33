// Linux UDP for the engine: an IPv6-only and an IPv4 socket bound to one port,
// as wireguard-go binds them. Receives are driven by libuv poll handles: each
// wake-up takes up to a batch of datagrams with one recvmmsg into buffers that
// JS owns, and hands them over with one JS call. Sends take a batch per call
// and go out with sendmmsg. Both directions carry the local address of the
// datagram (IP_PKTINFO / IPV6_PKTINFO), so that a reply leaves from the address
// the peer wrote to ("sticky source"), which node:dgram cannot do.
#include "udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "napi_util.h"

// Datagrams per receive wake-up: bounds the time one busy socket holds the loop.
#define MAX_RECEIVE_BATCH 64
#define MAX_SEND_BATCH 128
// Kernel socket buffers, so that a burst arriving while JS is busy is queued
// rather than dropped. Only what is queued uses memory.
#define SOCKET_BUFFER_BYTES (4 * 1024 * 1024)
// A port the kernel picks for IPv6 may be taken for IPv4; try a few others.
#define BIND_ATTEMPTS 16
#define MAX_UDP_PAYLOAD 65527

// Per-datagram records shared with helper/src/os/linux/udp.ts: RECORD_WORDS
// 32-bit words, and ADDRESS_PAIR_BYTES of addresses (the remote address, then
// the local one at LOCAL_OFFSET; an IPv4 address takes the first 4 bytes).
#define RECORD_WORDS 4
#define ADDRESS_PAIR_BYTES 32
#define LOCAL_OFFSET 16
enum { RECEIVED_LENGTH, RECEIVED_FAMILY, RECEIVED_PORT, RECEIVED_IFINDEX };
enum { OUTGOING_FAMILY, OUTGOING_PORT, OUTGOING_IFINDEX, OUTGOING_SOURCE };
// OUTGOING_SOURCE: JS says whether to pin the source; the addon answers
// SOURCE_REFUSED when the kernel would not send from it.
enum { SOURCE_ROUTED, SOURCE_STICKY, SOURCE_REFUSED };

static const napi_type_tag UDP_TAG = {0x7769726566c79f02ULL, 0x7564705f6c696e78ULL};

typedef union {
  char buffer[CMSG_SPACE(sizeof(struct in6_pktinfo))];
  struct cmsghdr align;
} control_t;

typedef union {
  struct sockaddr any;
  struct sockaddr_in v4;
  struct sockaddr_in6 v6;
} socket_address_t;

typedef struct udp udp_t;

typedef struct {
  udp_t *owner;
  int fd;
  uint32_t family;
  uv_poll_t poll;
  bool poll_closed;
} udp_socket_t;

// What sendmmsg or recvmmsg is handed, kept here so that no call allocates.
typedef struct {
  struct mmsghdr messages[MAX_SEND_BATCH];
  struct iovec iovecs[MAX_SEND_BATCH];
  socket_address_t names[MAX_SEND_BATCH];
  control_t controls[MAX_SEND_BATCH];
} message_batch_t;

struct udp {
  napi_env env;
  uint16_t port;
  bool closed;
  // The struct is freed only when libuv is done with both poll handles and the
  // JS wrapper is gone, whichever comes last.
  bool wrapper_finalized;
  udp_socket_t v4, v6;
  size_t slot_size;
  uint64_t truncated;
  // data: Uint8Array of slots of slot_size bytes, one received datagram each.
  // received, outgoing: Uint32Array records; *_addresses: Uint8Array address pairs.
  napi_ref data, received, received_addresses, outgoing, outgoing_addresses, on_batch, on_error;
  napi_async_context async;
  message_batch_t receive, send;
};

// A failed step of binding: the errno, the call that set it, and the family
// of the socket it happened on.
typedef struct {
  int err;
  const char *syscall;
  uint32_t family;
} failure_t;

static const failure_t NO_FAILURE = {0, NULL, 0};

static failure_t failure(const char *syscall, uint32_t family) {
  return (failure_t){errno, syscall, family};
}

static void free_when_unused(udp_t *udp) {
  if (udp->v4.poll_closed && udp->v6.poll_closed && udp->wrapper_finalized) free(udp);
}

static void on_poll_closed(uv_handle_t *handle) {
  udp_socket_t *sock = handle->data;
  sock->poll_closed = true;
  free_when_unused(sock->owner);
}

static void close_socket(udp_socket_t *sock) {
  if (!sock->poll_closed) {
    // libuv must stop watching the fd before it is closed.
    uv_poll_stop(&sock->poll);
    uv_close((uv_handle_t *)&sock->poll, on_poll_closed);
  }
  if (sock->fd >= 0) {
    close(sock->fd);
    sock->fd = -1;
  }
}

#define HELD_VALUES 7

// The JS values bind holds, in the order of its arguments from `data` on.
static void held_refs(udp_t *udp, napi_ref *refs[HELD_VALUES]) {
  refs[0] = &udp->data;
  refs[1] = &udp->received;
  refs[2] = &udp->received_addresses;
  refs[3] = &udp->outgoing;
  refs[4] = &udp->outgoing_addresses;
  refs[5] = &udp->on_batch;
  refs[6] = &udp->on_error;
}

static void udp_close(udp_t *udp) {
  if (udp->closed) return;
  udp->closed = true;
  close_socket(&udp->v4);
  close_socket(&udp->v6);
  napi_env env = udp->env;
  napi_ref *refs[HELD_VALUES];
  held_refs(udp, refs);
  for (size_t i = 0; i < HELD_VALUES; i++) delete_ref(env, refs[i]);
  if (udp->async != NULL) {
    (void)napi_async_destroy(env, udp->async);
    udp->async = NULL;
  }
}

static void on_wrapper_finalized(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  udp_t *udp = data;
  udp->wrapper_finalized = true;
  udp_close(udp);
  free_when_unused(udp);
}

static void report_error(udp_socket_t *sock, int err, const char *syscall, const char *what) {
  // A broken socket stays readable; without this the loop would spin on it.
  uv_poll_stop(&sock->poll);
  udp_t *udp = sock->owner;
  char action[128];
  snprintf(action, sizeof action, "%s UDP port %u (IPv%u)", what, udp->port, sock->family);
  napi_value error = errno_error(udp->env, err, syscall, action);
  if (error == NULL) {
    raise_pending_exception(udp->env);
    return;
  }
  call_js(udp->env, udp->async, udp->on_error, error);
}

typedef struct {
  uint32_t *records;
  uint8_t *addresses;
  size_t capacity;
} records_t;

static size_t min_size(size_t a, size_t b) {
  return a < b ? a : b;
}

// Looked up on every use because JS could have transferred (detached) the
// buffers since the last one, which would leave a stale pointer.
static bool get_records(napi_env env, napi_ref records_ref, napi_ref addresses_ref, records_t *records) {
  napi_value records_value, addresses_value;
  void *records_data, *addresses_data;
  size_t words, bytes;
  if (napi_get_reference_value(env, records_ref, &records_value) != napi_ok ||
      napi_get_reference_value(env, addresses_ref, &addresses_value) != napi_ok ||
      !typed_array_data(env, records_value, napi_uint32_array, &records_data, &words) ||
      !typed_array_data(env, addresses_value, napi_uint8_array, &addresses_data, &bytes)) {
    return false;
  }
  records->records = records_data;
  records->addresses = addresses_data;
  records->capacity = min_size(words / RECORD_WORDS, bytes / ADDRESS_PAIR_BYTES);
  return records->capacity > 0;
}

static bool get_receive_buffers(udp_t *udp, uint8_t **data, records_t *records) {
  napi_value data_value;
  void *bytes;
  size_t length;
  if (!get_records(udp->env, udp->received, udp->received_addresses, records) ||
      napi_get_reference_value(udp->env, udp->data, &data_value) != napi_ok ||
      !typed_array_data(udp->env, data_value, napi_uint8_array, &bytes, &length)) {
    return false;
  }
  *data = bytes;
  records->capacity = min_size(min_size(records->capacity, length / udp->slot_size), MAX_RECEIVE_BATCH);
  return records->capacity > 0;
}

static void prepare_receive(udp_t *udp, uint8_t *data, size_t count) {
  message_batch_t *batch = &udp->receive;
  for (size_t i = 0; i < count; i++) {
    batch->iovecs[i] = (struct iovec){.iov_base = data + i * udp->slot_size, .iov_len = udp->slot_size};
    batch->messages[i].msg_hdr = (struct msghdr){
        .msg_name = &batch->names[i],
        .msg_namelen = sizeof batch->names[i],
        .msg_iov = &batch->iovecs[i],
        .msg_iovlen = 1,
        .msg_control = &batch->controls[i],
        .msg_controllen = sizeof batch->controls[i],
    };
  }
}

static void record_source(const socket_address_t *name, uint32_t *record, uint8_t *address) {
  if (name->any.sa_family == AF_INET) {
    record[RECEIVED_FAMILY] = 4;
    record[RECEIVED_PORT] = ntohs(name->v4.sin_port);
    memcpy(address, &name->v4.sin_addr, 4);
  } else {
    record[RECEIVED_FAMILY] = 6;
    record[RECEIVED_PORT] = ntohs(name->v6.sin6_port);
    memcpy(address, &name->v6.sin6_addr, 16);
  }
}

// Interface index 0 tells JS that the local address is unknown.
static void record_destination(struct msghdr *header, uint32_t *record, uint8_t *local) {
  record[RECEIVED_IFINDEX] = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(header); c != NULL; c = CMSG_NXTHDR(header, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo info;
      memcpy(&info, CMSG_DATA(c), sizeof info);
      // spec_dst, not the header's destination: for a broadcast it is the
      // interface's own address, the one a reply can come from.
      memcpy(local, &info.ipi_spec_dst, 4);
      record[RECEIVED_IFINDEX] = (uint32_t)info.ipi_ifindex;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      struct in6_pktinfo info;
      memcpy(&info, CMSG_DATA(c), sizeof info);
      memcpy(local, &info.ipi6_addr, 16);
      record[RECEIVED_IFINDEX] = info.ipi6_ifindex;
    }
  }
}

// Receives what is queued, up to the capacity, and records each datagram for
// JS; datagrams larger than a slot are dropped and counted. Returns how many
// were recorded and sets *err to a receive error other than "nothing queued".
static uint32_t receive_batch(udp_t *udp, udp_socket_t *sock, uint8_t *data, records_t *records, int *err) {
  message_batch_t *batch = &udp->receive;
  prepare_receive(udp, data, records->capacity);
  int received;
  do {
    received = recvmmsg(sock->fd, batch->messages, (unsigned)records->capacity, MSG_DONTWAIT, NULL);
  } while (received < 0 && errno == EINTR);
  *err = 0;
  if (received < 0) {
    // Without IP_RECVERR an unconnected socket queues no ICMP errors, so any
    // error but "nothing queued" means the socket itself is broken.
    if (errno != EAGAIN && errno != EWOULDBLOCK) *err = errno;
    return 0;
  }
  uint32_t kept = 0;
  for (int i = 0; i < received; i++) {
    struct mmsghdr *message = &batch->messages[i];
    if (message->msg_hdr.msg_flags & MSG_TRUNC) {
      udp->truncated++;
      continue;
    }
    // Rare: only after a truncated datagram do slots need to close the gap.
    if (kept != (uint32_t)i) memmove(data + kept * udp->slot_size, data + i * udp->slot_size, message->msg_len);
    uint32_t *record = records->records + kept * RECORD_WORDS;
    uint8_t *addresses = records->addresses + kept * ADDRESS_PAIR_BYTES;
    memset(addresses, 0, ADDRESS_PAIR_BYTES);
    record[RECEIVED_LENGTH] = message->msg_len;
    record_source(&batch->names[i], record, addresses);
    record_destination(&message->msg_hdr, record, addresses + LOCAL_OFFSET);
    kept++;
  }
  return kept;
}

static void deliver_datagrams(udp_socket_t *sock, int status) {
  udp_t *udp = sock->owner;
  uint8_t *data;
  records_t records;
  if (!get_receive_buffers(udp, &data, &records)) {
    report_error(sock, EFAULT, "recvmmsg", "using the datagram buffers of");
    return;
  }
  int receive_err;
  uint32_t count = receive_batch(udp, sock, data, &records, &receive_err);
  if (count > 0) {
    napi_value count_value;
    if (napi_create_uint32(udp->env, count, &count_value) != napi_ok) {
      raise_pending_exception(udp->env);
      return;
    }
    call_js(udp->env, udp->async, udp->on_batch, count_value);
    if (udp->closed) return;
  }
  if (receive_err != 0) {
    report_error(sock, receive_err, "recvmmsg", "receiving on");
  } else if (status < 0) {
    report_error(sock, -status, "poll", "polling");
  }
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  (void)events;
  udp_socket_t *sock = poll->data;
  if (sock->owner->closed) return;
  napi_env env = sock->owner->env;
  napi_handle_scope scope = open_handle_scope(env);
  deliver_datagrams(sock, status);
  close_handle_scope(env, scope);
}

static bool is_link_local(const uint8_t *address) {
  return address[0] == 0xfe && (address[1] & 0xc0) == 0x80;
}

static void fill_destination(const uint32_t *record, const uint8_t *address, socket_address_t *name,
                             socklen_t *length) {
  memset(name, 0, sizeof *name);
  uint16_t port = htons((uint16_t)record[OUTGOING_PORT]);
  if (record[OUTGOING_FAMILY] == 4) {
    name->v4.sin_family = AF_INET;
    name->v4.sin_port = port;
    memcpy(&name->v4.sin_addr, address, 4);
    *length = sizeof name->v4;
  } else {
    name->v6.sin6_family = AF_INET6;
    name->v6.sin6_port = port;
    memcpy(&name->v6.sin6_addr, address, 16);
    // A link-local peer is reachable only through the interface it wrote from.
    if (is_link_local(address)) name->v6.sin6_scope_id = record[OUTGOING_IFINDEX];
    *length = sizeof name->v6;
  }
}

// Pins the source address only; the interface is left to routing (and to
// policy rules such as a firewall mark's), except for link-local sources,
// which exist only on their interface.
static size_t fill_source(const uint32_t *record, const uint8_t *local, control_t *control) {
  memset(control, 0, sizeof *control);
  struct cmsghdr *c = (struct cmsghdr *)control->buffer;
  if (record[OUTGOING_FAMILY] == 4) {
    struct in_pktinfo info = {0};
    memcpy(&info.ipi_spec_dst, local, 4);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof info);
    memcpy(CMSG_DATA(c), &info, sizeof info);
    return CMSG_SPACE(sizeof info);
  }
  struct in6_pktinfo info = {0};
  memcpy(&info.ipi6_addr, local, 16);
  if (is_link_local(local)) info.ipi6_ifindex = record[OUTGOING_IFINDEX];
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof info);
  memcpy(CMSG_DATA(c), &info, sizeof info);
  return CMSG_SPACE(sizeof info);
}

static void prepare_send(message_batch_t *batch, uint32_t i, void *data, size_t length, const uint32_t *record,
                         const uint8_t *addresses) {
  struct msghdr *header = &batch->messages[i].msg_hdr;
  batch->iovecs[i] = (struct iovec){.iov_base = data, .iov_len = length};
  socklen_t name_length;
  fill_destination(record, addresses, &batch->names[i], &name_length);
  *header = (struct msghdr){
      .msg_name = &batch->names[i],
      .msg_namelen = name_length,
      .msg_iov = &batch->iovecs[i],
      .msg_iovlen = 1,
  };
  if (record[OUTGOING_SOURCE] == SOURCE_STICKY) {
    header->msg_control = &batch->controls[i];
    header->msg_controllen = fill_source(record, addresses + LOCAL_OFFSET, &batch->controls[i]);
  }
}

// How the kernel refuses a pinned source that is no longer one of this host's
// addresses (it was removed, or the host moved to another network): IPv4
// routing finds no way out from it, IPv6 calls it invalid.
static bool may_be_refused_source(int err) {
  return err == ENETUNREACH || err == EINVAL || err == EADDRNOTAVAIL;
}

// Sends datagrams [first, end) of one family. A datagram that cannot go (no
// route, too big, filtered) is dropped alone; one whose pinned source may be
// the reason is retried from the routed source, as wireguard-go does, and
// marked SOURCE_REFUSED if that is what it took. A full socket buffer drops
// the rest. Returns how many were sent.
static uint32_t send_run(udp_socket_t *sock, message_batch_t *batch, uint32_t first, uint32_t end,
                         uint32_t *records, bool *full) {
  uint32_t next = first, sent = 0;
  while (next < end) {
    int count = sendmmsg(sock->fd, batch->messages + next, end - next, MSG_DONTWAIT);
    if (count > 0) {
      next += (uint32_t)count;
      sent += (uint32_t)count;
      continue;
    }
    if (errno == EINTR) continue;
    uint32_t *source = &records[next * RECORD_WORDS + OUTGOING_SOURCE];
    struct msghdr *header = &batch->messages[next].msg_hdr;
    if (header->msg_control != NULL && may_be_refused_source(errno)) {
      header->msg_control = NULL;
      header->msg_controllen = 0;
      *source = SOURCE_REFUSED;
      continue;
    }
    // The retry failed as well, so the source was not what stood in the way.
    if (*source == SOURCE_REFUSED) *source = SOURCE_STICKY;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      *full = true;
      break;
    }
    next++;
  }
  return sent;
}

// Sends runs of one family each, in order, on that family's socket.
static uint32_t send_batch(udp_t *udp, uint32_t count, uint32_t *records) {
  uint32_t sent = 0;
  bool full = false;
  for (uint32_t first = 0, end; first < count && !full; first = end) {
    uint32_t family = records[first * RECORD_WORDS + OUTGOING_FAMILY];
    end = first + 1;
    while (end < count && records[end * RECORD_WORDS + OUTGOING_FAMILY] == family) end++;
    udp_socket_t *sock = family == 4 ? &udp->v4 : &udp->v6;
    // Without an IPv6 socket (a host without IPv6) its datagrams are dropped.
    if (sock->fd >= 0) sent += send_run(sock, &udp->send, first, end, records, &full);
  }
  return sent;
}

static napi_value unwrap_udp(napi_env env, napi_value value, udp_t **udp) {
  return unwrap_tagged(env, value, &UDP_TAG, "UDP socket", (void **)udp);
}

static napi_value first_udp_argument(napi_env env, napi_callback_info info, udp_t **udp) {
  napi_value argv[1];
  NAPI_TRY(env, get_args(env, info, 1, argv));
  return unwrap_udp(env, argv[0], udp);
}

static napi_value type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

// Reads datagrams[first .. first + count) into the send batch. Returns NULL
// with an exception pending when an argument is malformed.
static napi_value prepare_send_batch(napi_env env, udp_t *udp, napi_value datagrams, uint32_t first, uint32_t count,
                                     records_t *records) {
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    void *data;
    size_t length;
    NAPI_TRY(env, napi_get_element(env, datagrams, first + i, &element));
    if (!typed_array_data(env, element, napi_uint8_array, &data, &length)) {
      return type_error(env, "datagrams must be an array of Uint8Array");
    }
    const uint32_t *record = records->records + i * RECORD_WORDS;
    if (record[OUTGOING_FAMILY] != 4 && record[OUTGOING_FAMILY] != 6) return type_error(env, "family must be 4 or 6");
    prepare_send(&udp->send, i, data, length, record, records->addresses + i * ADDRESS_PAIR_BYTES);
  }
  return datagrams;
}

// send(handle, datagrams: Uint8Array[], first, count) -> how many were sent:
// datagrams[first .. first + count) go to the destinations (and from the
// sources) in outgoing records 0 .. count, the records given to bind.
static napi_value udp_send_js(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  udp_t *udp;
  bool is_array = false;
  uint32_t length, first, count;
  NAPI_TRY(env, get_args(env, info, 4, argv));
  if (unwrap_udp(env, argv[0], &udp) == NULL) return NULL;
  NAPI_TRY(env, napi_is_array(env, argv[1], &is_array));
  if (!is_array) return type_error(env, "datagrams must be an array of Uint8Array");
  NAPI_TRY(env, napi_get_array_length(env, argv[1], &length));
  NAPI_TRY(env, napi_get_value_uint32(env, argv[2], &first));
  NAPI_TRY(env, napi_get_value_uint32(env, argv[3], &count));
  napi_value result;
  if (udp->closed) {
    NAPI_TRY(env, napi_create_uint32(env, 0, &result));
    return result;
  }
  records_t records;
  if (!get_records(env, udp->outgoing, udp->outgoing_addresses, &records)) {
    return throw_errno(env, EFAULT, "sendmmsg", "using the outgoing records");
  }
  if (first > length || count > length - first || count > records.capacity || count > MAX_SEND_BATCH) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "count exceeds the datagrams or the batch capacity");
    return NULL;
  }
  if (prepare_send_batch(env, udp, argv[1], first, count, &records) == NULL) return NULL;
  NAPI_TRY(env, napi_create_uint32(env, send_batch(udp, count, records.records), &result));
  return result;
}

static bool set_int_option(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value) == 0;
}

// Forcing needs CAP_NET_ADMIN and passes net.core.[rw]mem_max; without it the
// kernel caps the size, which still works, only with less room for bursts.
static void raise_buffer(int fd, int force_option, int option) {
  if (!set_int_option(fd, SOL_SOCKET, force_option, SOCKET_BUFFER_BYTES)) {
    (void)set_int_option(fd, SOL_SOCKET, option, SOCKET_BUFFER_BYTES);
  }
}

static failure_t configure_socket(int fd, uint32_t family) {
  if (family == 6) {
    // The IPv4 socket takes IPv4; without this the two would collide on the port.
    if (!set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1)) return failure("setsockopt", family);
    if (!set_int_option(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)) return failure("setsockopt", family);
  } else if (!set_int_option(fd, IPPROTO_IP, IP_PKTINFO, 1)) {
    return failure("setsockopt", family);
  }
  raise_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF);
  raise_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF);
  return NO_FAILURE;
}

static failure_t bind_socket(int fd, uint32_t family, uint16_t port) {
  socket_address_t address;
  memset(&address, 0, sizeof address);
  socklen_t length;
  if (family == 6) {
    address.v6.sin6_family = AF_INET6;
    address.v6.sin6_addr = in6addr_any;
    address.v6.sin6_port = htons(port);
    length = sizeof address.v6;
  } else {
    address.v4.sin_family = AF_INET;
    address.v4.sin_addr.s_addr = htonl(INADDR_ANY);
    address.v4.sin_port = htons(port);
    length = sizeof address.v4;
  }
  return bind(fd, &address.any, length) == 0 ? NO_FAILURE : failure("bind", family);
}

static failure_t open_socket(udp_socket_t *sock, uint16_t port) {
  sock->fd = socket(sock->family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (sock->fd < 0) return failure("socket", sock->family);
  failure_t result = configure_socket(sock->fd, sock->family);
  if (result.err == 0) result = bind_socket(sock->fd, sock->family, port);
  if (result.err != 0) close_socket(sock);
  return result;
}

static failure_t bound_port(udp_socket_t *sock, uint16_t *port) {
  socket_address_t address;
  socklen_t length = sizeof address;
  if (getsockname(sock->fd, &address.any, &length) != 0) return failure("getsockname", sock->family);
  *port = ntohs(address.any.sa_family == AF_INET6 ? address.v6.sin6_port : address.v4.sin_port);
  return NO_FAILURE;
}

// Binds IPv6 first and gives IPv4 the same port. A host without IPv6 gets an
// IPv4 socket alone. On failure, udp->port says which port failed.
static failure_t bind_pair(udp_t *udp, uint16_t requested) {
  for (int attempt = 1;; attempt++) {
    udp->port = requested;
    failure_t result = open_socket(&udp->v6, requested);
    if (result.err == EAFNOSUPPORT) {
      result = NO_FAILURE;
    } else if (result.err == 0 && requested == 0) {
      result = bound_port(&udp->v6, &udp->port);
    }
    if (result.err != 0) return result;
    result = open_socket(&udp->v4, udp->port);
    if (result.err == 0 && udp->port == 0) result = bound_port(&udp->v4, &udp->port);
    if (result.err == 0) return result;
    close_socket(&udp->v6);
    close_socket(&udp->v4);
    bool retry = requested == 0 && result.err == EADDRINUSE && attempt < BIND_ATTEMPTS;
    if (!retry) return result;
  }
}

static napi_value throw_bind_failure(napi_env env, failure_t failed, uint16_t port) {
  char action[64];
  snprintf(action, sizeof action, "binding UDP port %u (IPv%u)", port, failed.family);
  return throw_errno(env, failed.err, failed.syscall, action);
}

static bool start_polling(napi_env env, udp_socket_t *sock) {
  if (sock->fd < 0) return true;
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return false;
  int err = uv_poll_init(loop, &sock->poll, sock->fd);
  if (err != 0) {
    throw_errno(env, -err, "uv_poll_init", "watching a UDP socket");
    return false;
  }
  sock->poll.data = sock;
  sock->poll_closed = false;
  err = uv_poll_start(&sock->poll, UV_READABLE, on_readable);
  if (err != 0) {
    throw_errno(env, -err, "uv_poll_start", "watching a UDP socket");
    return false;
  }
  return true;
}

// argv: port, slotSize, data, received, receivedAddresses, outgoing, outgoingAddresses, onBatch, onError
static bool hold_js_values(napi_env env, udp_t *udp, napi_value *argv) {
  napi_ref *refs[HELD_VALUES];
  held_refs(udp, refs);
  for (size_t i = 0; i < HELD_VALUES; i++) {
    if (napi_create_reference(env, argv[i + 2], 1, refs[i]) != napi_ok) return false;
  }
  napi_value resource, resource_name;
  return napi_create_object(env, &resource) == napi_ok &&
         napi_create_string_utf8(env, "WireflyUdp", NAPI_AUTO_LENGTH, &resource_name) == napi_ok &&
         napi_async_init(env, resource, resource_name, &udp->async) == napi_ok;
}

static bool wrap_udp(napi_env env, udp_t *udp, napi_value *handle) {
  // Wrapping comes last: once it succeeds, the finalizer owns the struct.
  return napi_create_object(env, handle) == napi_ok && napi_type_tag_object(env, *handle, &UDP_TAG) == napi_ok &&
         napi_wrap(env, *handle, udp, on_wrapper_finalized, NULL, NULL) == napi_ok;
}

static bool is_records_pair(napi_env env, napi_value records, napi_value addresses) {
  void *data;
  size_t words, bytes;
  return typed_array_data(env, records, napi_uint32_array, &data, &words) && words >= RECORD_WORDS &&
         typed_array_data(env, addresses, napi_uint8_array, &data, &bytes) && bytes >= ADDRESS_PAIR_BYTES;
}

static napi_value check_bind_arguments(napi_env env, napi_value *argv, uint16_t *port, size_t *slot_size) {
  uint32_t port_value, slot_value;
  void *data;
  size_t length;
  NAPI_TRY(env, napi_get_value_uint32(env, argv[0], &port_value));
  NAPI_TRY(env, napi_get_value_uint32(env, argv[1], &slot_value));
  if (port_value > 65535 || slot_value == 0 || slot_value > MAX_UDP_PAYLOAD) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "port must be 0..65535 and slotSize 1..65527");
    return NULL;
  }
  if (!typed_array_data(env, argv[2], napi_uint8_array, &data, &length) || length < slot_value) {
    return type_error(env, "data must be a Uint8Array of at least one slot");
  }
  if (!is_records_pair(env, argv[3], argv[4]) || !is_records_pair(env, argv[5], argv[6])) {
    return type_error(env, "records must be Uint32Arrays and addresses Uint8Arrays with room for a datagram");
  }
  for (int i = 7; i < 9; i++) {
    napi_valuetype type;
    NAPI_TRY(env, napi_typeof(env, argv[i], &type));
    if (type != napi_function) return type_error(env, "onBatch and onError must be functions");
  }
  *port = (uint16_t)port_value;
  *slot_size = slot_value;
  return argv[0];
}

static udp_t *new_udp(napi_env env, size_t slot_size) {
  udp_t *udp = calloc(1, sizeof *udp);
  if (udp == NULL) return NULL;
  udp->env = env;
  udp->slot_size = slot_size;
  udp_socket_t *sockets[] = {&udp->v4, &udp->v6};
  for (int i = 0; i < 2; i++) {
    sockets[i]->owner = udp;
    sockets[i]->fd = -1;
    sockets[i]->family = i == 0 ? 4 : 6;
    sockets[i]->poll_closed = true;
  }
  return udp;
}

// bind(port, slotSize, data, received, receivedAddresses, outgoing,
//      outgoingAddresses, onBatch(count), onError(error)) -> handle
static napi_value udp_bind_js(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  uint16_t port;
  size_t slot_size;
  NAPI_TRY(env, get_args(env, info, 9, argv));
  if (check_bind_arguments(env, argv, &port, &slot_size) == NULL) return NULL;
  udp_t *udp = new_udp(env, slot_size);
  if (udp == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  napi_value handle;
  failure_t failed = bind_pair(udp, port);
  if (failed.err != 0) {
    throw_bind_failure(env, failed, udp->port);
  } else if (hold_js_values(env, udp, argv) && start_polling(env, &udp->v4) && start_polling(env, &udp->v6) &&
             wrap_udp(env, udp, &handle)) {
    return handle;
  }
  throw_last_napi_error(env);
  udp->wrapper_finalized = true;
  udp_close(udp);
  free_when_unused(udp);
  return NULL;
}

static napi_value udp_port_js(napi_env env, napi_callback_info info) {
  udp_t *udp;
  napi_value result;
  if (first_udp_argument(env, info, &udp) == NULL) return NULL;
  NAPI_TRY(env, napi_create_uint32(env, udp->port, &result));
  return result;
}

// truncated(handle) -> datagrams dropped because they were larger than a slot
static napi_value udp_truncated_js(napi_env env, napi_callback_info info) {
  udp_t *udp;
  napi_value result;
  if (first_udp_argument(env, info, &udp) == NULL) return NULL;
  NAPI_TRY(env, napi_create_double(env, (double)udp->truncated, &result));
  return result;
}

// setMark(handle, mark): SO_MARK on both sockets, for policy routing; 0 clears it.
static napi_value udp_set_mark_js(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  udp_t *udp;
  uint32_t mark;
  NAPI_TRY(env, get_args(env, info, 2, argv));
  if (unwrap_udp(env, argv[0], &udp) == NULL) return NULL;
  NAPI_TRY(env, napi_get_value_uint32(env, argv[1], &mark));
  udp_socket_t *sockets[] = {&udp->v4, &udp->v6};
  for (int i = 0; i < 2; i++) {
    if (sockets[i]->fd >= 0 && setsockopt(sockets[i]->fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0) {
      char action[64];
      snprintf(action, sizeof action, "setting the mark of UDP port %u (IPv%u)", udp->port, sockets[i]->family);
      return throw_errno(env, errno, "setsockopt", action);
    }
  }
  return undefined_value(env);
}

// close(handle): stops receiving and closes both sockets; closing twice does nothing.
static napi_value udp_close_js(napi_env env, napi_callback_info info) {
  udp_t *udp;
  if (first_udp_argument(env, info, &udp) == NULL) return NULL;
  udp_close(udp);
  return undefined_value(env);
}

napi_status udp_register(napi_env env, napi_value exports) {
  napi_value udp;
  napi_status status = napi_create_object(env, &udp);
  if (status != napi_ok) return status;
  const napi_property_descriptor functions[] = {
      {"bind", NULL, udp_bind_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"port", NULL, udp_port_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, udp_send_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setMark", NULL, udp_set_mark_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"truncated", NULL, udp_truncated_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, udp_close_js, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  status = napi_define_properties(env, udp, sizeof functions / sizeof functions[0], functions);
  if (status != napi_ok) return status;
  return napi_set_named_property(env, exports, "udp", udp);
}
