// The OS-neutral half of the engine's UDP binding (udp_linux.c, udp_win32.c):
// the per-datagram records shared with helper/src/os/native-udp.ts, the JS
// values a bound socket pair holds, and the checks of what JS passes in, so
// that both platforms read the same layout the same way.
#ifndef WIREFLY_UDP_BINDING_H
#define WIREFLY_UDP_BINDING_H

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#if defined(_WIN32)
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#else
#include <netinet/in.h>
#include <sys/socket.h>
#endif

// Each received message gets a slot that holds the largest datagram (and, on
// Linux, the largest coalesced train).
#define RECEIVE_SLOT_BYTES 65536
#define MAX_UDP_PAYLOAD 65527
// Kernel socket buffers, so that a burst arriving while JS is busy is queued
// rather than dropped. Only what is queued uses memory.
#define SOCKET_BUFFER_BYTES (4 * 1024 * 1024)
// A port the system picks for IPv6 may be taken for IPv4; try a few others.
#define BIND_ATTEMPTS 16

// Per-datagram records: RECEIVED_WORDS or OUTGOING_WORDS 32-bit words, and
// ADDRESS_PAIR_BYTES of addresses (the remote address, then the local one at
// LOCAL_OFFSET; an IPv4 address takes the first 4 bytes).
#define RECEIVED_WORDS 5
#define OUTGOING_WORDS 4
#define ADDRESS_PAIR_BYTES 32
#define LOCAL_OFFSET 16
enum { RECEIVED_LENGTH, RECEIVED_FAMILY, RECEIVED_PORT, RECEIVED_IFINDEX, RECEIVED_OFFSET };
enum { OUTGOING_FAMILY, OUTGOING_PORT, OUTGOING_IFINDEX, OUTGOING_SOURCE };
// OUTGOING_SOURCE: JS says whether to pin the source; the addon answers
// SOURCE_REFUSED when the system would not send from it.
enum { SOURCE_ROUTED, SOURCE_STICKY, SOURCE_REFUSED };

typedef struct {
  uint32_t *records;
  uint8_t *addresses;
  size_t capacity;
} records_t;

// Since the sockets were bound; read by JS through stats(). Only Linux has
// the offloads that the last five count.
typedef struct {
  double truncated, segmented, segmented_datagrams, segmentation_refused, coalesced, coalesced_datagrams;
} udp_stats_t;

typedef union {
  struct sockaddr any;
  struct sockaddr_in v4;
  struct sockaddr_in6 v6;
} socket_address_t;

// The packet-info control messages of both platforms under one set of names.
#if defined(_WIN32)
typedef WSACMSGHDR control_header_t;
typedef IN_PKTINFO pktinfo4_t;
typedef IN6_PKTINFO pktinfo6_t;
#define CONTROL_DATA WSA_CMSG_DATA
#define CONTROL_LEN WSA_CMSG_LEN
#define CONTROL_SPACE WSA_CMSG_SPACE
// Windows' IN_PKTINFO has one address: where a datagram went, or where one is to leave from.
#define PKTINFO4_LOCAL ipi_addr
#define NO_SOCKET INVALID_SOCKET
#else
typedef struct cmsghdr control_header_t;
typedef struct in_pktinfo pktinfo4_t;
typedef struct in6_pktinfo pktinfo6_t;
#define CONTROL_DATA CMSG_DATA
#define CONTROL_LEN CMSG_LEN
#define CONTROL_SPACE CMSG_SPACE
// spec_dst, not the header's destination: for a broadcast it is the
// interface's own address, the one a reply can come from.
#define PKTINFO4_LOCAL ipi_spec_dst
#define NO_SOCKET (-1)
#endif

typedef struct udp_common udp_common_t;

typedef struct {
  udp_common_t *owner;
  // A file descriptor on Linux, a SOCKET on Windows; NO_SOCKET when there is none.
  uv_os_sock_t fd;
  uint32_t family;
  // Linux: whether messages on this socket may carry UDP_SEGMENT: the kernel
  // has it, JS asked for it, and no send has shown that this socket's path refuses it.
  bool segmentation;
  uv_poll_t poll;
  bool poll_closed;
} udp_socket_t;

// What both platforms' bound pairs have; each platform's struct starts with it.
struct udp_common {
  napi_env env;
  uint16_t port;
  bool closed;
  // The struct is freed only when libuv is done with both poll handles and the
  // JS wrapper is gone, whichever comes last.
  bool wrapper_finalized;
  udp_socket_t v4, v6;
  size_t max_datagram;
  udp_stats_t stats;
  // data: Uint8Array of RECEIVE_SLOT_BYTES slots, one received message each.
  // received, outgoing: Uint32Array records; *_addresses: Uint8Array address pairs.
  napi_ref data, received, received_addresses, outgoing, outgoing_addresses, on_batch, on_error;
  napi_async_context async;
};

typedef struct {
  uint16_t port;
  size_t max_datagram;
  bool offload;
} bind_options_t;

size_t min_size(size_t a, size_t b);

// Looked up on every use because JS could have transferred (detached) the
// buffers since the last one, which would leave a stale pointer.
bool get_records(napi_env env, napi_ref records_ref, napi_ref addresses_ref, size_t record_words, records_t *records);

// Sets *slots to how many messages (at most max_messages) the data buffer takes in one call.
bool get_receive_buffers(udp_common_t *udp, size_t max_messages, uint8_t **data, size_t *slots, records_t *records);

// Hands JS the first `count` received records (nothing for 0), as a libuv callback would.
void deliver_batch(udp_common_t *udp, uint32_t count);

// Records the remote address of a received datagram.
void record_source(const socket_address_t *name, uint32_t *record, uint8_t *address);
// Records the local address and interface if `c` is a packet-info message; false if it is another.
bool record_local(const control_header_t *c, uint32_t *record, uint8_t *local);
void fill_destination(const uint32_t *record, const uint8_t *address, socket_address_t *name, socklen_t *length);
// Pins the source address only; the interface is left to routing (and to
// policy rules such as a firewall mark's), except for link-local sources,
// which exist only on their interface. Returns the control bytes it took.
size_t fill_source(const uint32_t *record, const uint8_t *local, control_header_t *c);

// Throws a libuv status (a negative UV_E* code) as the platform's errors are thrown.
napi_value throw_status(napi_env env, int status, const char *syscall, const char *action);
// "<what> UDP port <port> (IPv<family>)".
void describe_socket(const udp_socket_t *sock, const char *what, char *action, size_t size);
// Stops the socket's poll (a broken socket stays readable; without this the
// loop would spin on it) and hands the error to onError.
void fail_socket(udp_socket_t *sock, napi_value error);
void close_socket(udp_socket_t *sock);
void udp_close(udp_common_t *udp);

// Opens the platform's sockets into udp->v4 and udp->v6 (and sets udp->port);
// false with an exception pending if it cannot.
typedef bool (*open_sockets_t)(napi_env env, udp_common_t *udp, const bind_options_t *options);
// bind(port, maxDatagramSize, offload, data, received, receivedAddresses,
//      outgoing, outgoingAddresses, onBatch(count), onError(error)) -> handle,
// for a platform struct of `size` bytes that starts with udp_common_t.
napi_value bind_udp(napi_env env, napi_callback_info info, size_t size, open_sockets_t open, uv_poll_cb on_readable);

napi_value unwrap_udp(napi_env env, napi_value value, udp_common_t **udp);
napi_value first_udp_argument(napi_env env, napi_callback_info info, udp_common_t **udp);
napi_value type_error(napi_env env, const char *message);

// The arguments of send(handle, datagrams: Uint8Array[], first, count), and the outgoing records.
typedef struct {
  udp_common_t *udp;
  napi_value datagrams;
  uint32_t length, first, count;
  records_t records;
  // What send returns when begin_send ends the call.
  napi_value result;
} send_arguments_t;
// Hands datagram i of a send (the bytes stay where JS has them) to the platform's batch.
typedef void (*take_datagram_t)(udp_common_t *udp, uint32_t i, void *data, size_t length);
// Reads the arguments and the outgoing records, checks the count against the
// datagrams, the records and max_batch, and hands each datagram to `take`.
// False when the call ends here, with args->result: 0 once the pair is
// closed, or NULL with an exception pending.
bool begin_send(napi_env env, napi_callback_info info, size_t max_batch, const char *syscall, take_datagram_t take,
                send_arguments_t *args);
napi_value send_count(napi_env env, uint32_t sent);

// port(handle) and stats(handle), the same on every platform.
napi_value udp_port_js(napi_env env, napi_callback_info info);
napi_value udp_stats_js(napi_env env, napi_callback_info info);

// Sets exports.udp to { bind, port, send, setMark, stats, close }.
napi_status define_udp_exports(napi_env env, napi_value exports, napi_callback bind, napi_callback send,
                               napi_callback set_mark);

#endif
