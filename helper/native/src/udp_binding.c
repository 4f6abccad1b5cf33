#include "udp_binding.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if !defined(_WIN32)
#include <unistd.h>
#endif

#include "napi_util.h"

static const napi_type_tag UDP_TAG = {0x7769726566c79f02ULL, 0x7564705f6c696e78ULL};

size_t min_size(size_t a, size_t b) {
  return a < b ? a : b;
}

bool get_records(napi_env env, napi_ref records_ref, napi_ref addresses_ref, size_t record_words, records_t *records) {
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
  records->capacity = min_size(words / record_words, bytes / ADDRESS_PAIR_BYTES);
  return records->capacity > 0;
}

bool get_receive_buffers(udp_common_t *udp, size_t max_messages, uint8_t **data, size_t *slots, records_t *records) {
  napi_value data_value;
  void *bytes;
  size_t length;
  if (!get_records(udp->env, udp->received, udp->received_addresses, RECEIVED_WORDS, records) ||
      napi_get_reference_value(udp->env, udp->data, &data_value) != napi_ok ||
      !typed_array_data(udp->env, data_value, napi_uint8_array, &bytes, &length)) {
    return false;
  }
  *data = bytes;
  *slots = min_size(min_size(length / RECEIVE_SLOT_BYTES, max_messages), records->capacity);
  return *slots > 0;
}

void deliver_batch(udp_common_t *udp, uint32_t count) {
  if (count == 0) return;
  napi_value count_value;
  if (napi_create_uint32(udp->env, count, &count_value) != napi_ok) {
    raise_pending_exception(udp->env);
    return;
  }
  call_js(udp->env, udp->async, udp->on_batch, count_value);
}

#define HELD_VALUES 7
#define HELD_FROM 3

// The JS values bind holds, in the order of its arguments from `data` on.
static void held_refs(udp_common_t *udp, napi_ref *refs[HELD_VALUES]) {
  refs[0] = &udp->data;
  refs[1] = &udp->received;
  refs[2] = &udp->received_addresses;
  refs[3] = &udp->outgoing;
  refs[4] = &udp->outgoing_addresses;
  refs[5] = &udp->on_batch;
  refs[6] = &udp->on_error;
}

static bool hold_js_values(udp_common_t *udp, napi_value *argv) {
  napi_env env = udp->env;
  napi_ref *refs[HELD_VALUES];
  held_refs(udp, refs);
  for (size_t i = 0; i < HELD_VALUES; i++) {
    if (napi_create_reference(env, argv[i + HELD_FROM], 1, refs[i]) != napi_ok) return false;
  }
  napi_value resource, resource_name;
  return napi_create_object(env, &resource) == napi_ok &&
         napi_create_string_utf8(env, "WireflyUdp", NAPI_AUTO_LENGTH, &resource_name) == napi_ok &&
         napi_async_init(env, resource, resource_name, &udp->async) == napi_ok;
}

static void release_js_values(udp_common_t *udp) {
  napi_env env = udp->env;
  napi_ref *refs[HELD_VALUES];
  held_refs(udp, refs);
  for (size_t i = 0; i < HELD_VALUES; i++) delete_ref(env, refs[i]);
  if (udp->async != NULL) {
    (void)napi_async_destroy(env, udp->async);
    udp->async = NULL;
  }
}

static bool is_link_local(const uint8_t *address) {
  return address[0] == 0xfe && (address[1] & 0xc0) == 0x80;
}

void record_source(const socket_address_t *name, uint32_t *record, uint8_t *address) {
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

bool record_local(const control_header_t *c, uint32_t *record, uint8_t *local) {
  if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
    pktinfo4_t info;
    memcpy(&info, CONTROL_DATA(c), sizeof info);
    memcpy(local, &info.PKTINFO4_LOCAL, 4);
    record[RECEIVED_IFINDEX] = (uint32_t)info.ipi_ifindex;
    return true;
  }
  if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
    pktinfo6_t info;
    memcpy(&info, CONTROL_DATA(c), sizeof info);
    memcpy(local, &info.ipi6_addr, 16);
    record[RECEIVED_IFINDEX] = info.ipi6_ifindex;
    return true;
  }
  return false;
}

void fill_destination(const uint32_t *record, const uint8_t *address, socket_address_t *name, socklen_t *length) {
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

size_t fill_source(const uint32_t *record, const uint8_t *local, control_header_t *c) {
  if (record[OUTGOING_FAMILY] == 4) {
    pktinfo4_t info = {0};
    memcpy(&info.PKTINFO4_LOCAL, local, 4);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CONTROL_LEN(sizeof info);
    memcpy(CONTROL_DATA(c), &info, sizeof info);
    return CONTROL_SPACE(sizeof info);
  }
  pktinfo6_t info = {0};
  memcpy(&info.ipi6_addr, local, 16);
  if (is_link_local(local)) info.ipi6_ifindex = record[OUTGOING_IFINDEX];
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CONTROL_LEN(sizeof info);
  memcpy(CONTROL_DATA(c), &info, sizeof info);
  return CONTROL_SPACE(sizeof info);
}

napi_value throw_status(napi_env env, int status, const char *syscall, const char *action) {
#if defined(_WIN32)
  return throw_uv_status(env, status, syscall, action);
#else
  return throw_errno(env, -status, syscall, action);
#endif
}

void describe_socket(const udp_socket_t *sock, const char *what, char *action, size_t size) {
  snprintf(action, size, "%s UDP port %u (IPv%u)", what, sock->owner->port, sock->family);
}

void fail_socket(udp_socket_t *sock, napi_value error) {
  uv_poll_stop(&sock->poll);
  udp_common_t *udp = sock->owner;
  if (error == NULL) {
    raise_pending_exception(udp->env);
    return;
  }
  call_js(udp->env, udp->async, udp->on_error, error);
}

static void free_when_unused(udp_common_t *udp) {
  if (udp->v4.poll_closed && udp->v6.poll_closed && udp->wrapper_finalized) free(udp);
}

static void on_poll_closed(uv_handle_t *handle) {
  udp_socket_t *sock = handle->data;
  sock->poll_closed = true;
  free_when_unused(sock->owner);
}

void close_socket(udp_socket_t *sock) {
  if (!sock->poll_closed) {
    // libuv must stop watching the socket before it is closed.
    uv_poll_stop(&sock->poll);
    uv_close((uv_handle_t *)&sock->poll, on_poll_closed);
  }
  if (sock->fd != NO_SOCKET) {
#if defined(_WIN32)
    closesocket(sock->fd);
#else
    close(sock->fd);
#endif
    sock->fd = NO_SOCKET;
  }
}

void udp_close(udp_common_t *udp) {
  if (udp->closed) return;
  udp->closed = true;
  close_socket(&udp->v4);
  close_socket(&udp->v6);
  release_js_values(udp);
}

static void on_wrapper_finalized(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  udp_common_t *udp = data;
  udp->wrapper_finalized = true;
  udp_close(udp);
  free_when_unused(udp);
}

static bool start_polling(napi_env env, udp_socket_t *sock, uv_poll_cb on_readable) {
  if (sock->fd == NO_SOCKET) return true;
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return false;
  int err = uv_poll_init_socket(loop, &sock->poll, sock->fd);
  if (err != 0) {
    throw_status(env, err, "uv_poll_init", "watching a UDP socket");
    return false;
  }
  sock->poll.data = sock;
  sock->poll_closed = false;
  err = uv_poll_start(&sock->poll, UV_READABLE, on_readable);
  if (err != 0) {
    throw_status(env, err, "uv_poll_start", "watching a UDP socket");
    return false;
  }
  return true;
}

static bool is_records_pair(napi_env env, napi_value records, napi_value addresses, size_t record_words) {
  void *data;
  size_t words, bytes;
  return typed_array_data(env, records, napi_uint32_array, &data, &words) && words >= record_words &&
         typed_array_data(env, addresses, napi_uint8_array, &data, &bytes) && bytes >= ADDRESS_PAIR_BYTES;
}

napi_value type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

#define BIND_ARGUMENTS 10

static napi_value check_bind_arguments(napi_env env, napi_value *argv, bind_options_t *options) {
  uint32_t port_value, max_value;
  void *data;
  size_t length;
  NAPI_TRY(env, napi_get_value_uint32(env, argv[0], &port_value));
  NAPI_TRY(env, napi_get_value_uint32(env, argv[1], &max_value));
  NAPI_TRY(env, napi_get_value_bool(env, argv[2], &options->offload));
  if (port_value > 65535 || max_value == 0 || max_value > MAX_UDP_PAYLOAD) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "port must be 0..65535 and maxDatagramSize 1..65527");
    return NULL;
  }
  if (!typed_array_data(env, argv[3], napi_uint8_array, &data, &length) || length < RECEIVE_SLOT_BYTES) {
    return type_error(env, "data must be a Uint8Array of at least one 65536-byte slot");
  }
  if (!is_records_pair(env, argv[4], argv[5], RECEIVED_WORDS) || !is_records_pair(env, argv[6], argv[7], OUTGOING_WORDS)) {
    return type_error(env, "records must be Uint32Arrays and addresses Uint8Arrays with room for a datagram");
  }
  for (int i = 8; i < 10; i++) {
    napi_valuetype type;
    NAPI_TRY(env, napi_typeof(env, argv[i], &type));
    if (type != napi_function) return type_error(env, "onBatch and onError must be functions");
  }
  options->port = (uint16_t)port_value;
  options->max_datagram = max_value;
  return argv[0];
}

// Wrapping comes last: once it succeeds, the finalizer owns the struct.
static bool wrap_udp(napi_env env, udp_common_t *udp, napi_finalize finalize, napi_value *handle) {
  return napi_create_object(env, handle) == napi_ok && napi_type_tag_object(env, *handle, &UDP_TAG) == napi_ok &&
         napi_wrap(env, *handle, udp, finalize, NULL, NULL) == napi_ok;
}

napi_value unwrap_udp(napi_env env, napi_value value, udp_common_t **udp) {
  return unwrap_tagged(env, value, &UDP_TAG, "UDP socket", (void **)udp);
}

napi_value first_udp_argument(napi_env env, napi_callback_info info, udp_common_t **udp) {
  napi_value argv[1];
  NAPI_TRY(env, get_args(env, info, 1, argv));
  return unwrap_udp(env, argv[0], udp);
}

static napi_value read_send_arguments(napi_env env, napi_callback_info info, send_arguments_t *args) {
  napi_value argv[4];
  bool is_array = false;
  NAPI_TRY(env, get_args(env, info, 4, argv));
  if (unwrap_udp(env, argv[0], &args->udp) == NULL) return NULL;
  NAPI_TRY(env, napi_is_array(env, argv[1], &is_array));
  if (!is_array) return type_error(env, "datagrams must be an array of Uint8Array");
  NAPI_TRY(env, napi_get_array_length(env, argv[1], &args->length));
  NAPI_TRY(env, napi_get_value_uint32(env, argv[2], &args->first));
  NAPI_TRY(env, napi_get_value_uint32(env, argv[3], &args->count));
  args->datagrams = argv[1];
  return argv[1];
}

static bool send_fits(napi_env env, const send_arguments_t *args, const records_t *records, size_t max_batch) {
  if (args->first > args->length || args->count > args->length - args->first || args->count > records->capacity ||
      args->count > max_batch) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "count exceeds the datagrams or the batch capacity");
    return false;
  }
  return true;
}

// Datagram first + i, checked with the family of its record.
static napi_value datagram_at(napi_env env, const send_arguments_t *args, const records_t *records, uint32_t i,
                              void **data, size_t *length) {
  napi_value element;
  NAPI_TRY(env, napi_get_element(env, args->datagrams, args->first + i, &element));
  if (!typed_array_data(env, element, napi_uint8_array, data, length)) {
    return type_error(env, "datagrams must be an array of Uint8Array");
  }
  uint32_t family = records->records[i * OUTGOING_WORDS + OUTGOING_FAMILY];
  if (family != 4 && family != 6) return type_error(env, "family must be 4 or 6");
  return element;
}

napi_value send_count(napi_env env, uint32_t sent) {
  napi_value result;
  NAPI_TRY(env, napi_create_uint32(env, sent, &result));
  return result;
}

bool begin_send(napi_env env, napi_callback_info info, size_t max_batch, const char *syscall, take_datagram_t take,
                send_arguments_t *args) {
  args->result = NULL;
  if (read_send_arguments(env, info, args) == NULL) return false;
  udp_common_t *udp = args->udp;
  if (udp->closed) {
    args->result = send_count(env, 0);
    return false;
  }
  if (!get_records(env, udp->outgoing, udp->outgoing_addresses, OUTGOING_WORDS, &args->records)) {
    throw_status(env, UV_EFAULT, syscall, "using the outgoing records");
    return false;
  }
  if (!send_fits(env, args, &args->records, max_batch)) return false;
  for (uint32_t i = 0; i < args->count; i++) {
    void *data;
    size_t length;
    if (datagram_at(env, args, &args->records, i, &data, &length) == NULL) return false;
    take(udp, i, data, length);
  }
  return true;
}

napi_value udp_port_js(napi_env env, napi_callback_info info) {
  udp_common_t *udp;
  napi_value result;
  if (first_udp_argument(env, info, &udp) == NULL) return NULL;
  NAPI_TRY(env, napi_create_uint32(env, udp->port, &result));
  return result;
}

// stats(handle) -> { truncated, segmented, segmentedDatagrams,
// segmentationRefused, coalesced, coalescedDatagrams }: counts since bind.
napi_value udp_stats_js(napi_env env, napi_callback_info info) {
  udp_common_t *udp;
  napi_value result;
  if (first_udp_argument(env, info, &udp) == NULL) return NULL;
  const udp_stats_t *stats = &udp->stats;
  NAPI_TRY(env, napi_create_object(env, &result));
  bool ok = set_number(env, result, "truncated", stats->truncated) &&
            set_number(env, result, "segmented", stats->segmented) &&
            set_number(env, result, "segmentedDatagrams", stats->segmented_datagrams) &&
            set_number(env, result, "segmentationRefused", stats->segmentation_refused) &&
            set_number(env, result, "coalesced", stats->coalesced) &&
            set_number(env, result, "coalescedDatagrams", stats->coalesced_datagrams);
  if (!ok) {
    throw_last_napi_error(env);
    return NULL;
  }
  return result;
}

// close(handle): stops receiving and closes both sockets; closing twice does nothing.
static napi_value udp_close_js(napi_env env, napi_callback_info info) {
  udp_common_t *udp;
  if (first_udp_argument(env, info, &udp) == NULL) return NULL;
  udp_close(udp);
  return undefined_value(env);
}

napi_status define_udp_exports(napi_env env, napi_value exports, napi_callback bind, napi_callback send,
                               napi_callback set_mark) {
  napi_value udp;
  napi_status status = napi_create_object(env, &udp);
  if (status != napi_ok) return status;
  const napi_property_descriptor functions[] = {
      {"bind", NULL, bind, NULL, NULL, NULL, napi_enumerable, NULL},
      {"port", NULL, udp_port_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setMark", NULL, set_mark, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stats", NULL, udp_stats_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, udp_close_js, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  status = napi_define_properties(env, udp, sizeof functions / sizeof functions[0], functions);
  if (status != napi_ok) return status;
  return napi_set_named_property(env, exports, "udp", udp);
}

static udp_common_t *new_udp(napi_env env, size_t size, size_t max_datagram) {
  udp_common_t *udp = calloc(1, size);
  if (udp == NULL) return NULL;
  udp->env = env;
  udp->max_datagram = max_datagram;
  udp_socket_t *sockets[] = {&udp->v4, &udp->v6};
  for (int i = 0; i < 2; i++) {
    sockets[i]->owner = udp;
    sockets[i]->fd = NO_SOCKET;
    sockets[i]->family = i == 0 ? 4 : 6;
    sockets[i]->poll_closed = true;
  }
  return udp;
}

napi_value bind_udp(napi_env env, napi_callback_info info, size_t size, open_sockets_t open, uv_poll_cb on_readable) {
  napi_value argv[BIND_ARGUMENTS];
  bind_options_t options;
  NAPI_TRY(env, get_args(env, info, BIND_ARGUMENTS, argv));
  if (check_bind_arguments(env, argv, &options) == NULL) return NULL;
  udp_common_t *udp = new_udp(env, size, options.max_datagram);
  if (udp == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  napi_value handle;
  if (open(env, udp, &options) && hold_js_values(udp, argv) && start_polling(env, &udp->v4, on_readable) &&
      start_polling(env, &udp->v6, on_readable) && wrap_udp(env, udp, on_wrapper_finalized, &handle)) {
    return handle;
  }
  throw_last_napi_error(env);
  udp->wrapper_finalized = true;
  udp_close(udp);
  free_when_unused(udp);
  return NULL;
}
