// Linux UDP for the engine: an IPv6-only and an IPv4 socket bound to one port,
// as wireguard-go binds them. Receives are driven by libuv poll handles: each
// wake-up takes up to a batch of messages with one recvmmsg into buffers that
// JS owns, and hands their datagrams over with one JS call. Sends take a batch
// per call and go out with sendmmsg. Both directions carry the local address of
// the datagram (IP_PKTINFO / IPV6_PKTINFO), so that a reply leaves from the
// address the peer wrote to ("sticky source"), which node:dgram cannot do.
//
// Offloads: a run of equal-size datagrams to one destination leaves as one
// message with UDP_SEGMENT (the kernel cuts it into datagrams as late as it
// can, so the train crosses the stack once), and with UDP_GRO the kernel hands
// over trains it received coalesced, which are split here by segment size.
#include "udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "napi_util.h"
#include "udp_binding.h"

// Messages per receive wake-up: bounds the time one busy socket holds the loop.
#define MAX_RECEIVE_MESSAGES 64
#define MAX_SEND_BATCH 128
// Datagrams per UDP_SEGMENT message: UDP_MAX_SEGMENTS of older kernels (newer
// ones take 128, but 64 full-size datagrams already reach the size limit).
#define MAX_SEGMENTS 64
// A segmented message is one IP packet before the kernel cuts it: its payload
// must leave room for the IPv6 and UDP headers within 65535 bytes.
#define MAX_SEGMENTED_BYTES (65535 - 40 - 8)

// A received message carries its local address and, when the kernel
// coalesced it, the segment size (an int).
typedef union {
  char buffer[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
  struct cmsghdr align;
} receive_control_t;

// An outgoing message: the segment size (a uint16_t) first, so that dropping
// the pinned source after it only shortens the control data.
#define SEGMENT_SPACE CMSG_SPACE(sizeof(uint16_t))
typedef union {
  char buffer[SEGMENT_SPACE + CMSG_SPACE(sizeof(struct in6_pktinfo))];
  struct cmsghdr align;
} send_control_t;

typedef struct udp udp_t;

// What recvmmsg and sendmmsg are handed, kept here so that no call allocates.
typedef struct {
  struct mmsghdr messages[MAX_RECEIVE_MESSAGES];
  struct iovec iovecs[MAX_RECEIVE_MESSAGES];
  socket_address_t names[MAX_RECEIVE_MESSAGES];
  receive_control_t controls[MAX_RECEIVE_MESSAGES];
} receive_batch_t;

// Datagram i of a send call is iovecs[i]; message m takes datagrams
// firsts[m] .. firsts[m] + counts[m], all to one destination from one source.
typedef struct {
  struct mmsghdr messages[MAX_SEND_BATCH];
  struct iovec iovecs[MAX_SEND_BATCH];
  socket_address_t names[MAX_SEND_BATCH];
  send_control_t controls[MAX_SEND_BATCH];
  uint32_t firsts[MAX_SEND_BATCH];
  uint32_t counts[MAX_SEND_BATCH];
} send_batch_t;

struct udp {
  udp_common_t common;
  receive_batch_t receive;
  send_batch_t send;
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

static void report_error(udp_socket_t *sock, int err, const char *syscall, const char *what) {
  char action[128];
  describe_socket(sock, what, action, sizeof action);
  fail_socket(sock, errno_error(sock->owner->env, err, syscall, action));
}

static void prepare_receive(receive_batch_t *batch, uint8_t *data, size_t count) {
  for (size_t i = 0; i < count; i++) {
    batch->iovecs[i] = (struct iovec){.iov_base = data + i * RECEIVE_SLOT_BYTES, .iov_len = RECEIVE_SLOT_BYTES};
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

// Records the local address (interface index 0 tells JS that it is unknown)
// and returns the segment size of a coalesced message, 0 for a plain one.
static size_t record_destination(struct msghdr *header, uint32_t *record, uint8_t *local) {
  size_t segment = 0;
  record[RECEIVED_IFINDEX] = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(header); c != NULL; c = CMSG_NXTHDR(header, c)) {
    if (record_local(c, record, local)) continue;
    if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_GRO) {
      int size;
      memcpy(&size, CMSG_DATA(c), sizeof size);
      if (size > 0) segment = (size_t)size;
    }
  }
  return segment;
}

static size_t segments_in(size_t length, size_t segment) {
  return length == 0 ? 1 : (length + segment - 1) / segment;
}

// Records the datagrams of received message i (one, or the segments of a
// coalesced train, each with the message's addresses) from record `kept` on.
// Datagrams larger than max_datagram, or beyond the records, are dropped and
// counted. Returns the new number of records.
static uint32_t record_message(udp_t *udp, uint32_t i, records_t *records, uint32_t kept) {
  receive_batch_t *batch = &udp->receive;
  struct mmsghdr *message = &batch->messages[i];
  uint32_t head[RECEIVED_WORDS] = {0};
  uint8_t pair[ADDRESS_PAIR_BYTES] = {0};
  size_t length = message->msg_len;
  size_t segment = record_destination(&message->msg_hdr, head, pair + LOCAL_OFFSET);
  if (segment == 0 || segment > length) segment = length;
  size_t count = segments_in(length, segment);
  if (message->msg_hdr.msg_flags & MSG_TRUNC) {
    udp->common.stats.truncated += (double)count;
    return kept;
  }
  record_source(&batch->names[i], head, pair);
  uint32_t first = kept;
  for (size_t s = 0; s < count; s++) {
    // All but the last segment of a train have the segment size.
    size_t piece = min_size(segment, length - s * segment);
    if (piece > udp->common.max_datagram || kept == records->capacity) {
      udp->common.stats.truncated++;
      continue;
    }
    head[RECEIVED_OFFSET] = (uint32_t)(i * RECEIVE_SLOT_BYTES + s * segment);
    head[RECEIVED_LENGTH] = (uint32_t)piece;
    memcpy(records->records + kept * RECEIVED_WORDS, head, sizeof head);
    memcpy(records->addresses + kept * ADDRESS_PAIR_BYTES, pair, sizeof pair);
    kept++;
  }
  if (count > 1) {
    udp->common.stats.coalesced++;
    udp->common.stats.coalesced_datagrams += kept - first;
  }
  return kept;
}

// Receives what is queued, up to `slots` messages, and records each datagram
// for JS. Returns how many were recorded and sets *err to a receive error
// other than "nothing queued".
static uint32_t receive_batch(udp_t *udp, udp_socket_t *sock, uint8_t *data, size_t slots, records_t *records,
                              int *err) {
  receive_batch_t *batch = &udp->receive;
  prepare_receive(batch, data, slots);
  int received;
  do {
    received = recvmmsg(sock->fd, batch->messages, (unsigned)slots, MSG_DONTWAIT, NULL);
  } while (received < 0 && errno == EINTR);
  *err = 0;
  if (received < 0) {
    // Without IP_RECVERR an unconnected socket queues no ICMP errors, so any
    // error but "nothing queued" means the socket itself is broken.
    if (errno != EAGAIN && errno != EWOULDBLOCK) *err = errno;
    return 0;
  }
  uint32_t kept = 0;
  for (uint32_t i = 0; i < (uint32_t)received; i++) kept = record_message(udp, i, records, kept);
  return kept;
}

static void deliver_datagrams(udp_socket_t *sock, int status) {
  udp_t *udp = (udp_t *)sock->owner;
  uint8_t *data;
  size_t slots;
  records_t records;
  if (!get_receive_buffers(&udp->common, MAX_RECEIVE_MESSAGES, &data, &slots, &records)) {
    report_error(sock, EFAULT, "recvmmsg", "using the datagram buffers of");
    return;
  }
  int receive_err;
  uint32_t count = receive_batch(udp, sock, data, slots, &records, &receive_err);
  deliver_batch(&udp->common, count);
  if (udp->common.closed) return;
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

static void fill_segment_size(uint16_t size, struct cmsghdr *c) {
  c->cmsg_level = IPPROTO_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof size);
  memcpy(CMSG_DATA(c), &size, sizeof size);
}

static const uint32_t *outgoing_record(const records_t *records, uint32_t i) {
  return records->records + i * OUTGOING_WORDS;
}

static const uint8_t *outgoing_addresses(const records_t *records, uint32_t i) {
  return records->addresses + i * ADDRESS_PAIR_BYTES;
}

// Whether datagrams a and b go to one destination from one source, and so
// may share a message.
static bool same_route(const records_t *records, uint32_t a, uint32_t b) {
  const uint32_t *x = outgoing_record(records, a), *y = outgoing_record(records, b);
  if (x[OUTGOING_FAMILY] != y[OUTGOING_FAMILY] || x[OUTGOING_PORT] != y[OUTGOING_PORT] ||
      x[OUTGOING_SOURCE] != y[OUTGOING_SOURCE]) {
    return false;
  }
  size_t length = x[OUTGOING_FAMILY] == 4 ? 4 : 16;
  const uint8_t *p = outgoing_addresses(records, a), *q = outgoing_addresses(records, b);
  if (memcmp(p, q, length) != 0) return false;
  // A routed datagram's local half is whatever JS left there.
  return x[OUTGOING_SOURCE] != SOURCE_STICKY ||
         (x[OUTGOING_IFINDEX] == y[OUTGOING_IFINDEX] && memcmp(p + LOCAL_OFFSET, q + LOCAL_OFFSET, length) == 0);
}

// Where the message that starts at datagram `first` ends (before `end`): the
// datagrams that follow it to the same route, as long as they have its size;
// the last one may be shorter. UDP_SEGMENT cuts the message at that size.
static uint32_t train_end(const send_batch_t *batch, const records_t *records, uint32_t first, uint32_t end) {
  size_t segment = batch->iovecs[first].iov_len, total = segment;
  uint32_t next = first + 1;
  if (segment == 0) return next;
  while (next < end && next - first < MAX_SEGMENTS && same_route(records, first, next)) {
    size_t length = batch->iovecs[next].iov_len;
    if (length == 0 || length > segment || total + length > MAX_SEGMENTED_BYTES) break;
    total += length;
    next++;
    if (length < segment) break;
  }
  return next;
}

// Makes message m of datagrams [first, first + count): one plain datagram,
// or a train that the kernel cuts into datagrams of the first one's size.
static void fill_message(send_batch_t *batch, const records_t *records, uint32_t m, uint32_t first, uint32_t count) {
  const uint32_t *record = outgoing_record(records, first);
  const uint8_t *addresses = outgoing_addresses(records, first);
  struct msghdr *header = &batch->messages[m].msg_hdr;
  send_control_t *control = &batch->controls[m];
  socklen_t name_length;
  fill_destination(record, addresses, &batch->names[m], &name_length);
  *header = (struct msghdr){
      .msg_name = &batch->names[m],
      .msg_namelen = name_length,
      .msg_iov = &batch->iovecs[first],
      .msg_iovlen = count,
  };
  batch->firsts[m] = first;
  batch->counts[m] = count;
  bool segmented = count > 1, sticky = record[OUTGOING_SOURCE] == SOURCE_STICKY;
  if (!segmented && !sticky) return;
  memset(control, 0, sizeof *control);
  size_t length = 0;
  if (segmented) {
    fill_segment_size((uint16_t)batch->iovecs[first].iov_len, (struct cmsghdr *)control->buffer);
    length = SEGMENT_SPACE;
  }
  if (sticky) length += fill_source(record, addresses + LOCAL_OFFSET, (struct cmsghdr *)(control->buffer + SEGMENT_SPACE));
  header->msg_control = control->buffer + (segmented ? 0 : SEGMENT_SPACE);
  header->msg_controllen = length;
}

// Groups datagrams [first, end) into messages from message m on; trains only
// where `segment` allows it and not before datagram `plain_until`. Returns
// the number of messages.
static uint32_t fill_messages(send_batch_t *batch, const records_t *records, uint32_t m, uint32_t first, uint32_t end,
                              bool segment, uint32_t plain_until) {
  while (first < end) {
    uint32_t next = segment && first >= plain_until ? train_end(batch, records, first, end) : first + 1;
    fill_message(batch, records, m++, first, next - first);
    first = next;
  }
  return m;
}

static bool is_segmented(const send_batch_t *batch, uint32_t m) {
  return batch->counts[m] > 1;
}

static bool carries_source(const send_batch_t *batch, uint32_t m) {
  return batch->messages[m].msg_hdr.msg_controllen > (is_segmented(batch, m) ? SEGMENT_SPACE : 0);
}

// Sends the message from the routed source instead of its pinned one.
static void drop_source(send_batch_t *batch, uint32_t m) {
  struct msghdr *header = &batch->messages[m].msg_hdr;
  if (is_segmented(batch, m)) {
    header->msg_controllen = SEGMENT_SPACE;
  } else {
    header->msg_control = NULL;
    header->msg_controllen = 0;
  }
}

static void mark_source(const send_batch_t *batch, uint32_t m, uint32_t *records, uint32_t mark) {
  for (uint32_t i = batch->firsts[m]; i < batch->firsts[m] + batch->counts[m]; i++) {
    records[i * OUTGOING_WORDS + OUTGOING_SOURCE] = mark;
  }
}

// How the kernel refuses a pinned source that is no longer one of this host's
// addresses (it was removed, or the host moved to another network): IPv4
// routing finds no way out from it, IPv6 calls it invalid.
static bool may_be_refused_source(int err) {
  return err == ENETUNREACH || err == EINVAL || err == EADDRNOTAVAIL;
}

// How the kernel refuses a segmented message. EIO: the device cannot
// checksum for it (or IPsec is in the way); ENOPROTOOPT/EOPNOTSUPP: no
// UDP_SEGMENT at all. Those hold for every message of the socket. EMSGSIZE
// (EINVAL on older kernels): a segment is larger than the path's MTU, which
// is one destination's matter; its datagrams alone go one by one, and the
// kernel fragments them as it would have without the offload.
static bool refuses_segmentation(int err) {
  return err == EIO || err == ENOPROTOOPT || err == EOPNOTSUPP || err == EMSGSIZE || err == EINVAL;
}

static bool refuses_segmentation_on_socket(int err) {
  return err == EIO || err == ENOPROTOOPT || err == EOPNOTSUPP;
}

typedef struct {
  uint32_t sent;
  bool full;
} send_result_t;

static void count_sent(udp_t *udp, uint32_t first_message, int messages, send_result_t *result) {
  const send_batch_t *batch = &udp->send;
  for (uint32_t m = first_message; m < first_message + (uint32_t)messages; m++) {
    result->sent += batch->counts[m];
    if (is_segmented(batch, m)) {
      udp->common.stats.segmented++;
      udp->common.stats.segmented_datagrams += batch->counts[m];
    }
  }
}

// Sends datagrams [first, end), all of one family. A datagram that cannot go
// (no route, too big, filtered) is dropped alone (a train with all of its
// datagrams); one whose pinned source may be the reason is retried from the
// routed source, as wireguard-go does, and marked SOURCE_REFUSED if that is
// what it took. A train the kernel will not segment is sent again as plain
// datagrams. A full socket buffer drops the rest.
static void send_run(udp_t *udp, udp_socket_t *sock, records_t *records, uint32_t first, uint32_t end,
                     send_result_t *result) {
  send_batch_t *batch = &udp->send;
  uint32_t next = 0, count = fill_messages(batch, records, 0, first, end, sock->segmentation, first);
  while (next < count) {
    int sent = sendmmsg(sock->fd, batch->messages + next, count - next, MSG_DONTWAIT);
    if (sent > 0) {
      count_sent(udp, next, sent, result);
      next += (uint32_t)sent;
      continue;
    }
    int err = errno;
    if (err == EINTR) continue;
    bool refused = records->records[batch->firsts[next] * OUTGOING_WORDS + OUTGOING_SOURCE] == SOURCE_REFUSED;
    if (carries_source(batch, next) && may_be_refused_source(err)) {
      drop_source(batch, next);
      mark_source(batch, next, records->records, SOURCE_REFUSED);
      continue;
    }
    // The retry failed as well, so the source was not what stood in the way.
    if (refused) mark_source(batch, next, records->records, SOURCE_STICKY);
    if (err == EAGAIN || err == EWOULDBLOCK) {
      result->full = true;
      return;
    }
    if (is_segmented(batch, next) && refuses_segmentation(err)) {
      udp->common.stats.segmentation_refused++;
      if (refuses_segmentation_on_socket(err)) sock->segmentation = false;
      uint32_t train = batch->firsts[next];
      count = fill_messages(batch, records, next, train, end, sock->segmentation, train + batch->counts[next]);
      continue;
    }
    next++;
  }
}

// Sends runs of one family each, in order, on that family's socket. Returns
// how many datagrams were sent.
static uint32_t send_batch(udp_t *udp, uint32_t count, records_t *records) {
  send_result_t result = {0, false};
  for (uint32_t first = 0, end; first < count && !result.full; first = end) {
    uint32_t family = outgoing_record(records, first)[OUTGOING_FAMILY];
    end = first + 1;
    while (end < count && outgoing_record(records, end)[OUTGOING_FAMILY] == family) end++;
    udp_socket_t *sock = family == 4 ? &udp->common.v4 : &udp->common.v6;
    // Without an IPv6 socket (a host without IPv6) its datagrams are dropped.
    if (sock->fd >= 0) send_run(udp, sock, records, first, end, &result);
  }
  return result.sent;
}

static void take_datagram(udp_common_t *udp, uint32_t i, void *data, size_t length) {
  ((udp_t *)udp)->send.iovecs[i] = (struct iovec){.iov_base = data, .iov_len = length};
}

// send(handle, datagrams: Uint8Array[], first, count) -> how many were sent:
// datagrams[first .. first + count) go to the destinations (and from the
// sources) in outgoing records 0 .. count, the records given to bind.
static napi_value udp_send_js(napi_env env, napi_callback_info info) {
  send_arguments_t args;
  if (!begin_send(env, info, MAX_SEND_BATCH, "sendmmsg", take_datagram, &args)) return args.result;
  return send_count(env, send_batch((udp_t *)args.udp, args.count, &args.records));
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

// Both offloads are optional: a kernel without them (before 4.18 and 5.0)
// gets plain datagrams both ways. UDP_SEGMENT is only probed here, since it
// is set per message.
static void enable_offloads(udp_socket_t *sock) {
  int size;
  socklen_t length = sizeof size;
  sock->segmentation = getsockopt(sock->fd, IPPROTO_UDP, UDP_SEGMENT, &size, &length) == 0;
  (void)set_int_option(sock->fd, IPPROTO_UDP, UDP_GRO, 1);
}

// A datagram larger than the MTU of the interface it leaves by is dropped
// (EMSGSIZE), never fragmented here; routers on the way may still fragment
// IPv4 ones, which go without DF, and reports of a smaller path MTU are not
// taken up (PMTUDISC_INTERFACE). The kernel's WireGuard, too, drops what
// outgrows the MTU. Two tunnels whose endpoints lie inside each other then
// pass a packet round, larger each time, until it no longer fits, instead of
// fragmenting it each round into pieces that each go round again and multiply
// (netns.sh's routing loop).
static failure_t configure_socket(udp_socket_t *sock, bool offload) {
  int fd = sock->fd;
  uint32_t family = sock->family;
  if (family == 6) {
    // The IPv4 socket takes IPv4; without this the two would collide on the port.
    if (!set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1)) return failure("setsockopt", family);
    if (!set_int_option(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)) return failure("setsockopt", family);
    if (!set_int_option(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_INTERFACE)) return failure("setsockopt", family);
  } else if (!set_int_option(fd, IPPROTO_IP, IP_PKTINFO, 1)) {
    return failure("setsockopt", family);
  } else if (!set_int_option(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_INTERFACE)) {
    return failure("setsockopt", family);
  }
  raise_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF);
  raise_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF);
  if (offload) enable_offloads(sock);
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


static failure_t open_socket(udp_socket_t *sock, uint16_t port, bool offload) {
  sock->fd = socket(sock->family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (sock->fd < 0) return failure("socket", sock->family);
  failure_t result = configure_socket(sock, offload);
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
// IPv4 socket alone. On failure, udp->common.port says which port failed.
static failure_t bind_pair(udp_t *udp, uint16_t requested, bool offload) {
  for (int attempt = 1;; attempt++) {
    udp->common.port = requested;
    failure_t result = open_socket(&udp->common.v6, requested, offload);
    if (result.err == EAFNOSUPPORT) {
      result = NO_FAILURE;
    } else if (result.err == 0 && requested == 0) {
      result = bound_port(&udp->common.v6, &udp->common.port);
    }
    if (result.err != 0) return result;
    result = open_socket(&udp->common.v4, udp->common.port, offload);
    if (result.err == 0 && udp->common.port == 0) result = bound_port(&udp->common.v4, &udp->common.port);
    if (result.err == 0) return result;
    close_socket(&udp->common.v6);
    close_socket(&udp->common.v4);
    bool retry = requested == 0 && result.err == EADDRINUSE && attempt < BIND_ATTEMPTS;
    if (!retry) return result;
  }
}

static napi_value throw_bind_failure(napi_env env, failure_t failed, uint16_t port) {
  char action[64];
  snprintf(action, sizeof action, "binding UDP port %u (IPv%u)", port, failed.family);
  return throw_errno(env, failed.err, failed.syscall, action);
}

static bool open_sockets(napi_env env, udp_common_t *common, const bind_options_t *options) {
  failure_t failed = bind_pair((udp_t *)common, options->port, options->offload);
  if (failed.err != 0) throw_bind_failure(env, failed, common->port);
  return failed.err == 0;
}

static napi_value udp_bind_js(napi_env env, napi_callback_info info) {
  return bind_udp(env, info, sizeof(udp_t), open_sockets, on_readable);
}

// setMark(handle, mark): SO_MARK on both sockets, for policy routing; 0 clears it.
static napi_value udp_set_mark_js(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  udp_common_t *common;
  uint32_t mark;
  NAPI_TRY(env, get_args(env, info, 2, argv));
  if (unwrap_udp(env, argv[0], &common) == NULL) return NULL;
  udp_t *udp = (udp_t *)common;
  NAPI_TRY(env, napi_get_value_uint32(env, argv[1], &mark));
  udp_socket_t *sockets[] = {&udp->common.v4, &udp->common.v6};
  for (int i = 0; i < 2; i++) {
    if (sockets[i]->fd >= 0 && setsockopt(sockets[i]->fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0) {
      char action[64];
      snprintf(action, sizeof action, "setting the mark of UDP port %u (IPv%u)", udp->common.port, sockets[i]->family);
      return throw_errno(env, errno, "setsockopt", action);
    }
  }
  return undefined_value(env);
}

napi_status udp_register(napi_env env, napi_value exports) {
  return define_udp_exports(env, exports, udp_bind_js, udp_send_js, udp_set_mark_js);
}
