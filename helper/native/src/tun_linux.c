// Linux TUN devices through /dev/net/tun. Reads are driven by a libuv poll
// handle and handed to JS in batches, one call per wake-up, through buffers
// that JS owns and the addon fills; writes take a batch per call. JS sees bare
// IP packets only (IFF_NO_PI).
//
// With offloads (IFF_VNET_HDR), every packet crosses the fd behind a
// virtio_net_hdr. The kernel then hands over TCP super-packets of up to 64 KB,
// which are split here into MTU-sized packets, and takes back runs of TCP
// segments merged into one super-packet: one syscall, and one trip through the
// kernel's TCP/IP stack, for up to 64 KB instead of one per MTU.
#include "tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#include "napi_util.h"
#include "tun_offload.h"

// A TUN device hands over at most one MTU (or one super-packet) per read and
// neither exceeds 65535 bytes, so every read gets this much room and cannot truncate.
#define MAX_PACKET_SIZE MAX_IP_PACKET

// What the kernel may hand over, most first; it refuses flags it does not know.
static const unsigned OFFLOAD_CHOICES[] = {
    TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN,
    TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
    TUN_F_CSUM | TUN_F_TSO4,
    TUN_F_CSUM,
    0,
};

// Counters of the offload paths, so that JS (and tests) can see them work.
typedef struct {
  double gso_packets_read;
  double segments_read;
  double splits_carried_over;
  double checksums_completed;
  double malformed_dropped;
  double gso_packets_written;
  double segments_coalesced;
  double gso_write_failures;
} offload_stats_t;

// The read side's state between reads: a super-packet whose segments did not
// all fit into the last batch waits here and goes first into the next one.
typedef struct {
  offload_stats_t *stats;
  bool splitting;
  gso_split_t split;
  uint8_t gso_packet[MAX_IP_PACKET];
} splitter_t;

// The run of segments being merged during one write call.
typedef struct {
  bool open;
  gro_run_t run;
  tcp_packet_t segments[MAX_COALESCED_SEGMENTS];
  struct iovec iov[2 + MAX_COALESCED_SEGMENTS];
  uint8_t headers[MAX_TCP_HEADERS];
} merger_t;

// Marks the JS objects that wrap a tun_t, so that a stray object passed from JS
// is refused instead of being dereferenced.
static const napi_type_tag TUN_TAG = {0x7769726566c79f01ULL, 0x74756e5f6c696e78ULL};

typedef struct {
  napi_env env;
  int fd;
  char name[IFNAMSIZ];
  bool closed;
  bool vnet_hdr;
  unsigned offloads;  // TUN_F_* the kernel accepted
  offload_stats_t stats;
  splitter_t splitter;
  merger_t merger;
  uv_poll_t poll;
  // The struct is freed only when libuv is done with `poll` and the JS wrapper
  // is gone, whichever comes last.
  bool poll_closed;
  bool wrapper_finalized;
  // slab: Uint8Array the packets are read into, back to back.
  // lengths: Uint32Array that receives each packet's length.
  napi_ref slab, lengths, on_batch, on_error;
  napi_async_context async;
} tun_t;

static void free_when_unused(tun_t *tun) {
  if (tun->poll_closed && tun->wrapper_finalized) free(tun);
}

static void on_poll_closed(uv_handle_t *handle) {
  tun_t *tun = handle->data;
  tun->poll_closed = true;
  free_when_unused(tun);
}

static void tun_close(tun_t *tun) {
  if (tun->closed) return;
  tun->closed = true;
  if (!tun->poll_closed) {
    // libuv must stop watching the fd before it is closed.
    uv_poll_stop(&tun->poll);
    uv_close((uv_handle_t *)&tun->poll, on_poll_closed);
  }
  if (tun->fd >= 0) {
    close(tun->fd);
    tun->fd = -1;
  }
  napi_env env = tun->env;
  delete_ref(env, &tun->slab);
  delete_ref(env, &tun->lengths);
  delete_ref(env, &tun->on_batch);
  delete_ref(env, &tun->on_error);
  if (tun->async != NULL) {
    (void)napi_async_destroy(env, tun->async);
    tun->async = NULL;
  }
}

static void on_wrapper_finalized(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  tun_t *tun = data;
  tun->wrapper_finalized = true;
  tun_close(tun);
  free_when_unused(tun);
}

static void report_error(tun_t *tun, int err, const char *syscall, const char *what) {
  // A broken device stays readable; without this the loop would spin on it.
  uv_poll_stop(&tun->poll);
  char action[128];
  snprintf(action, sizeof action, "%s TUN device %s", what, tun->name);
  napi_value error = errno_error(tun->env, err, syscall, action);
  if (error == NULL) {
    raise_pending_exception(tun->env);
    return;
  }
  call_js(tun->env, tun->async, tun->on_error, error);
}

// Looked up on every wake-up because JS could have transferred (detached) the
// buffers since the last one, which would leave a stale pointer.
static bool read_buffers(tun_t *tun, uint8_t **slab, size_t *slab_size, uint32_t **lengths, size_t *capacity) {
  napi_env env = tun->env;
  napi_value slab_value, lengths_value;
  void *slab_data, *lengths_data;
  if (napi_get_reference_value(env, tun->slab, &slab_value) != napi_ok ||
      napi_get_reference_value(env, tun->lengths, &lengths_value) != napi_ok ||
      !typed_array_data(env, slab_value, napi_uint8_array, &slab_data, slab_size) ||
      !typed_array_data(env, lengths_value, napi_uint32_array, &lengths_data, capacity)) {
    return false;
  }
  *slab = slab_data;
  *lengths = lengths_data;
  return *slab_size >= MAX_PACKET_SIZE && *capacity > 0;
}

// The part of the JS buffers that one batch fills, packets back to back.
typedef struct {
  uint8_t *slab;
  size_t slab_size;
  uint32_t *lengths;
  size_t capacity;
  size_t used;
  uint32_t count;
} batch_t;

static bool batch_has_room(const batch_t *batch, size_t length) {
  return batch->count < batch->capacity && batch->slab_size - batch->used >= length;
}

static void batch_add(batch_t *batch, size_t length) {
  batch->lengths[batch->count++] = (uint32_t)length;
  batch->used += length;
}

// Moves segments of the pending super-packet into the batch while they fit.
// A segment is at most MAX_PACKET_SIZE, so an empty batch always takes one.
static void take_segments(splitter_t *splitter, batch_t *batch) {
  while (splitter->splitting) {
    gso_split_t *split = &splitter->split;
    if (!batch_has_room(batch, gso_split_next_len(split))) return;
    batch_add(batch, gso_split_next(split, batch->slab + batch->used));
    splitter->stats->segments_read++;
    splitter->splitting = !gso_split_done(split);
  }
}

// Takes the packet just read to the end of the batch (`length` bytes after its
// vnet header): kept as is, completed, split, or dropped when malformed.
static void accept_packet(splitter_t *splitter, batch_t *batch, const struct virtio_net_hdr *hdr, size_t length) {
  uint8_t *packet = batch->slab + batch->used;
  if (length == 0) {
    splitter->stats->malformed_dropped++;
    return;
  }
  if (hdr->gso_type == VIRTIO_NET_HDR_GSO_NONE) {
    if (hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
      if (!complete_checksum(packet, length, hdr->csum_start, hdr->csum_offset)) {
        splitter->stats->malformed_dropped++;
        return;
      }
      splitter->stats->checksums_completed++;
    }
    batch_add(batch, length);
    return;
  }
  // The segments are written where the super-packet now lies, so it moves out of the way first.
  memcpy(splitter->gso_packet, packet, length);
  if (!gso_split_begin(&splitter->split, hdr, splitter->gso_packet, length)) {
    splitter->stats->malformed_dropped++;
    return;
  }
  splitter->stats->gso_packets_read++;
  splitter->splitting = true;
  take_segments(splitter, batch);
}

// Reads one packet into `into`; with offloads its vnet header goes to `hdr`.
// Returns the packet's length, 0 for a read too short to hold a vnet header, or -1.
static ssize_t read_packet(const tun_t *tun, struct virtio_net_hdr *hdr, uint8_t *into) {
  if (!tun->vnet_hdr) {
    memset(hdr, 0, sizeof *hdr);
    return read(tun->fd, into, MAX_PACKET_SIZE);
  }
  struct iovec iov[2] = {{hdr, VNET_HDR_LEN}, {into, MAX_PACKET_SIZE}};
  ssize_t n = readv(tun->fd, iov, 2);
  if (n < 0) return n;
  return n < (ssize_t)VNET_HDR_LEN ? 0 : n - (ssize_t)VNET_HDR_LEN;
}

// Fills the batch: first with what is left of a super-packet, then with reads
// until the device is empty, the batch is full, or a super-packet did not fit.
// Sets *err to a read error other than "no more packets".
static void read_batch(tun_t *tun, batch_t *batch, int *err) {
  splitter_t *splitter = &tun->splitter;
  *err = 0;
  if (splitter->splitting) tun->stats.splits_carried_over++;
  take_segments(splitter, batch);
  while (!splitter->splitting && batch_has_room(batch, MAX_PACKET_SIZE)) {
    struct virtio_net_hdr hdr;
    ssize_t n = read_packet(tun, &hdr, batch->slab + batch->used);
    if (n > 0) {
      accept_packet(splitter, batch, &hdr, (size_t)n);
      continue;
    }
    if (n == 0) {
      tun->stats.malformed_dropped++;
      break;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) *err = errno;
    break;
  }
}

static bool call_on_batch(tun_t *tun, uint32_t count) {
  napi_value count_value;
  if (napi_create_uint32(tun->env, count, &count_value) != napi_ok) {
    raise_pending_exception(tun->env);
    return false;
  }
  call_js(tun->env, tun->async, tun->on_batch, count_value);
  return !tun->closed;
}

// One JS call per batch; the rest of a super-packet that did not fit follows at
// once, as the fd may not become readable again for it.
static void deliver_packets(tun_t *tun, int status) {
  int read_err = 0;
  do {
    batch_t batch = {0};
    if (!read_buffers(tun, &batch.slab, &batch.slab_size, &batch.lengths, &batch.capacity)) {
      report_error(tun, EFAULT, "read", "using the packet buffers of");
      return;
    }
    read_batch(tun, &batch, &read_err);
    if (batch.count > 0 && !call_on_batch(tun, batch.count)) return;
  } while (tun->splitter.splitting && read_err == 0);
  // On POLLERR libuv only says EBADF; the read error, if any, says what happened.
  if (read_err != 0) {
    report_error(tun, read_err, "read", "reading from");
  } else if (status < 0) {
    report_error(tun, -status, "poll", "polling");
  }
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  (void)events;
  tun_t *tun = poll->data;
  if (tun->closed) return;
  napi_handle_scope scope = open_handle_scope(tun->env);
  deliver_packets(tun, status);
  close_handle_scope(tun->env, scope);
}

static napi_value unwrap_tun(napi_env env, napi_value value, tun_t **tun) {
  return unwrap_tagged(env, value, &TUN_TAG, "TUN device", (void **)tun);
}

// Copies a JS string of 1..IFNAMSIZ-1 bytes; the kernel expands one "%d" in it.
static napi_value get_ifname(napi_env env, napi_value value, char name[IFNAMSIZ]) {
  size_t length = 0;
  NAPI_TRY(env, napi_get_value_string_utf8(env, value, NULL, 0, &length));
  if (length == 0 || length >= IFNAMSIZ) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "interface name must be 1 to 15 bytes");
    return NULL;
  }
  NAPI_TRY(env, napi_get_value_string_utf8(env, value, name, IFNAMSIZ, &length));
  if (strlen(name) != length) {
    napi_throw_type_error(env, NULL, "interface name must not contain NUL");
    return NULL;
  }
  return value;
}

// Asks for the most offloads the kernel grants; with none at all, the vnet
// header still comes with every packet and says so.
static bool enable_offloads(napi_env env, tun_t *tun) {
  for (size_t i = 0; i < sizeof OFFLOAD_CHOICES / sizeof OFFLOAD_CHOICES[0]; i++) {
    if (ioctl(tun->fd, TUNSETOFFLOAD, (unsigned long)OFFLOAD_CHOICES[i]) == 0) {
      tun->offloads = OFFLOAD_CHOICES[i];
      return true;
    }
  }
  throw_errno(env, errno, "ioctl", "setting the offloads of a TUN device");
  return false;
}

// An interface ioctl on `name` through a socket of this network namespace; 0 or the errno.
static int ioctl_by_name(const char *name, unsigned long request, struct ifreq *ifr) {
  memcpy(ifr->ifr_name, name, IFNAMSIZ);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  int result = ioctl(fd, request, ifr);
  int err = result < 0 ? errno : 0;
  close(fd);
  return err;
}

// The device's queue, raised from a TUN's 500 packets to about the depth of the
// kernel WireGuard's (1024; wireguard-go's hold more): while the event loop is
// busy elsewhere for some milliseconds (a garbage collection, the other
// processes of a busy machine) the kernel keeps what arrives rather than
// dropping it. Measured on a new engine's first 300 Mbit/s second: 187–882
// packets dropped there with 500, 0–357 with 1000.
#define TX_QUEUE_PACKETS 1000

// A longer queue set by the administrator is kept. Best effort.
static void raise_tx_queue(const tun_t *tun) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  if (ioctl_by_name(tun->name, SIOCGIFTXQLEN, &ifr) != 0 || ifr.ifr_qlen >= TX_QUEUE_PACKETS) return;
  ifr.ifr_qlen = TX_QUEUE_PACKETS;
  (void)ioctl_by_name(tun->name, SIOCSIFTXQLEN, &ifr);
}

static bool open_device(napi_env env, const char *requested, bool offloads, tun_t *tun) {
  tun->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (tun->fd < 0) {
    throw_errno(env, errno, "open", "opening /dev/net/tun");
    return false;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = (short)(IFF_TUN | IFF_NO_PI | (offloads ? IFF_VNET_HDR : 0));
  memcpy(ifr.ifr_name, requested, strlen(requested));
  if (ioctl(tun->fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    char action[64];
    snprintf(action, sizeof action, "creating TUN device %s", requested);
    throw_errno(env, err, "ioctl", action);
    return false;
  }
  // The kernel filled in the actual name, which matters when a pattern was given.
  memcpy(tun->name, ifr.ifr_name, IFNAMSIZ);
  tun->name[IFNAMSIZ - 1] = '\0';
  tun->vnet_hdr = offloads;
  raise_tx_queue(tun);
  return !offloads || enable_offloads(env, tun);
}

static bool hold_js_values(napi_env env, tun_t *tun, napi_value slab, napi_value lengths, napi_value on_batch,
                           napi_value on_error) {
  napi_value resource, resource_name;
  return napi_create_reference(env, slab, 1, &tun->slab) == napi_ok &&
         napi_create_reference(env, lengths, 1, &tun->lengths) == napi_ok &&
         napi_create_reference(env, on_batch, 1, &tun->on_batch) == napi_ok &&
         napi_create_reference(env, on_error, 1, &tun->on_error) == napi_ok &&
         napi_create_object(env, &resource) == napi_ok &&
         napi_create_string_utf8(env, "WireflyTun", NAPI_AUTO_LENGTH, &resource_name) == napi_ok &&
         napi_async_init(env, resource, resource_name, &tun->async) == napi_ok;
}

static bool start_polling(napi_env env, tun_t *tun) {
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return false;
  int err = uv_poll_init(loop, &tun->poll, tun->fd);
  if (err != 0) {
    throw_errno(env, -err, "uv_poll_init", "watching TUN device");
    return false;
  }
  tun->poll.data = tun;
  tun->poll_closed = false;
  err = uv_poll_start(&tun->poll, UV_READABLE, on_readable);
  if (err != 0) {
    throw_errno(env, -err, "uv_poll_start", "watching TUN device");
    return false;
  }
  return true;
}

static bool wrap_tun(napi_env env, tun_t *tun, napi_value *handle) {
  // Wrapping comes last: once it succeeds, the finalizer owns the struct.
  return napi_create_object(env, handle) == napi_ok && napi_type_tag_object(env, *handle, &TUN_TAG) == napi_ok &&
         napi_wrap(env, *handle, tun, on_wrapper_finalized, NULL, NULL) == napi_ok;
}

static napi_value check_open_arguments(napi_env env, napi_value *argv) {
  void *data;
  size_t length;
  if (!typed_array_data(env, argv[1], napi_uint8_array, &data, &length) || length < MAX_PACKET_SIZE) {
    napi_throw_type_error(env, NULL, "slab must be a Uint8Array of at least 65535 bytes");
    return NULL;
  }
  if (!typed_array_data(env, argv[2], napi_uint32_array, &data, &length) || length == 0) {
    napi_throw_type_error(env, NULL, "lengths must be a non-empty Uint32Array");
    return NULL;
  }
  for (int i = 3; i < 5; i++) {
    napi_valuetype type;
    NAPI_TRY(env, napi_typeof(env, argv[i], &type));
    if (type != napi_function) {
      napi_throw_type_error(env, NULL, "onBatch and onError must be functions");
      return NULL;
    }
  }
  return argv[0];
}

// open(name, slab, lengths, onBatch(count), onError(error), offloads: boolean) -> handle
static napi_value tun_open(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  char requested[IFNAMSIZ];
  bool offloads;
  NAPI_TRY(env, get_args(env, info, 6, argv));
  if (check_open_arguments(env, argv) == NULL || get_ifname(env, argv[0], requested) == NULL) return NULL;
  NAPI_TRY(env, napi_get_value_bool(env, argv[5], &offloads));

  tun_t *tun = calloc(1, sizeof *tun);
  if (tun == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  tun->env = env;
  tun->fd = -1;
  tun->poll_closed = true;
  tun->splitter.stats = &tun->stats;
  napi_value handle;
  if (open_device(env, requested, offloads, tun) && hold_js_values(env, tun, argv[1], argv[2], argv[3], argv[4]) &&
      start_polling(env, tun) && wrap_tun(env, tun, &handle)) {
    return handle;
  }
  throw_last_napi_error(env);
  tun->wrapper_finalized = true;
  tun_close(tun);
  free_when_unused(tun);
  return NULL;
}

static bool write_iov(int fd, const struct iovec *iov, int count, size_t length) {
  ssize_t n;
  do {
    n = writev(fd, iov, count);
  } while (n < 0 && errno == EINTR);
  // A TUN write is all or nothing; anything else (a full queue, a malformed
  // packet, a device that is gone) drops this packet and the caller counts it.
  return n >= 0 && (size_t)n == length;
}

static const struct virtio_net_hdr NO_OFFLOAD = {0};
// For a packet whose checksums were checked here: the kernel need not check them again.
static const struct virtio_net_hdr CHECKSUM_VERIFIED = {.flags = VIRTIO_NET_HDR_F_DATA_VALID};

// A packet written as it is: with offloads, behind a header that asks for nothing.
static bool write_plain(const tun_t *tun, const struct virtio_net_hdr *hdr, const uint8_t *packet, size_t length) {
  struct iovec iov[2] = {{(void *)hdr, VNET_HDR_LEN}, {(void *)packet, length}};
  if (!tun->vnet_hdr) return write_iov(tun->fd, iov + 1, 1, length);
  return write_iov(tun->fd, iov, 2, VNET_HDR_LEN + length);
}

// Writes the open run as one super-packet (merged headers, then each segment's
// payload straight from JS memory), or segment by segment if the kernel
// refuses it. Returns how many segments were written.
static uint32_t write_run(tun_t *tun) {
  merger_t *merger = &tun->merger;
  const gro_run_t *run = &merger->run;
  merger->open = false;
  if (run->count == 1) return write_plain(tun, &CHECKSUM_VERIFIED, run->first.packet, run->first.length) ? 1 : 0;
  struct virtio_net_hdr hdr;
  gro_run_headers(run, &hdr, merger->headers);
  merger->iov[0] = (struct iovec){&hdr, VNET_HDR_LEN};
  merger->iov[1] = (struct iovec){merger->headers, run->first.header_len};
  for (uint32_t i = 0; i < run->count; i++) {
    const tcp_packet_t *segment = &merger->segments[i];
    merger->iov[2 + i] = (struct iovec){(void *)(segment->packet + segment->header_len), segment->payload_len};
  }
  if (write_iov(tun->fd, merger->iov, (int)run->count + 2, VNET_HDR_LEN + run->total_len)) {
    tun->stats.gso_packets_written++;
    tun->stats.segments_coalesced += run->count;
    return run->count;
  }
  tun->stats.gso_write_failures++;
  uint32_t written = 0;
  for (uint32_t i = 0; i < run->count; i++) {
    const tcp_packet_t *segment = &merger->segments[i];
    written += write_plain(tun, &CHECKSUM_VERIFIED, segment->packet, segment->length) ? 1 : 0;
  }
  return written;
}

// Writes one packet of a write call: it extends the open run, or ends it and
// starts another, or (not a TCP segment that can merge) goes out alone.
static uint32_t write_in_order(tun_t *tun, const uint8_t *packet, size_t length) {
  merger_t *merger = &tun->merger;
  tcp_packet_t segment;
  bool mergeable = tun->vnet_hdr && parse_coalescable(packet, length, &segment);
  if (mergeable && merger->open && gro_run_append(&merger->run, &segment)) {
    merger->segments[merger->run.count - 1] = segment;
    return 0;
  }
  uint32_t written = merger->open ? write_run(tun) : 0;
  if (!mergeable) return written + (write_plain(tun, &NO_OFFLOAD, packet, length) ? 1 : 0);
  gro_run_start(&merger->run, &segment);
  merger->segments[0] = segment;
  merger->open = true;
  return written;
}

// write(handle, packets: Uint8Array[]) -> how many were written
static napi_value tun_write(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  tun_t *tun;
  bool is_array = false;
  uint32_t total = 0, written = 0;
  NAPI_TRY(env, get_args(env, info, 2, argv));
  if (unwrap_tun(env, argv[0], &tun) == NULL) return NULL;
  NAPI_TRY(env, napi_is_array(env, argv[1], &is_array));
  if (!is_array) {
    napi_throw_type_error(env, NULL, "packets must be an array of Uint8Array");
    return NULL;
  }
  NAPI_TRY(env, napi_get_array_length(env, argv[1], &total));
  // The run holds pointers into the packets, which stay put during this call.
  tun->merger.open = false;
  for (uint32_t i = 0; i < total && !tun->closed; i++) {
    napi_value element;
    void *data;
    size_t length;
    bool got = napi_get_element(env, argv[1], i, &element) == napi_ok;
    if (!got || !typed_array_data(env, element, napi_uint8_array, &data, &length)) {
      // What came before is written, as it would be without merging.
      if (tun->merger.open) write_run(tun);
      if (got) napi_throw_type_error(env, NULL, "packets must be an array of Uint8Array");
      else throw_last_napi_error(env);
      return NULL;
    }
    written += write_in_order(tun, data, length);
  }
  if (tun->merger.open) written += write_run(tun);
  napi_value result;
  NAPI_TRY(env, napi_create_uint32(env, written, &result));
  return result;
}

static napi_value first_tun_argument(napi_env env, napi_callback_info info, tun_t **tun) {
  napi_value argv[1];
  NAPI_TRY(env, get_args(env, info, 1, argv));
  return unwrap_tun(env, argv[0], tun);
}

// pause(handle): stop reading; packets queue in the kernel (and drop when it is full).
static napi_value tun_pause(napi_env env, napi_callback_info info) {
  tun_t *tun;
  if (first_tun_argument(env, info, &tun) == NULL) return NULL;
  if (!tun->closed) uv_poll_stop(&tun->poll);
  return undefined_value(env);
}

static napi_value tun_resume(napi_env env, napi_callback_info info) {
  tun_t *tun;
  if (first_tun_argument(env, info, &tun) == NULL) return NULL;
  if (!tun->closed) {
    int err = uv_poll_start(&tun->poll, UV_READABLE, on_readable);
    if (err != 0) return throw_errno(env, -err, "uv_poll_start", "resuming TUN device");
  }
  return undefined_value(env);
}

// close(handle): stops reading and closes the fd; closing twice does nothing.
static napi_value tun_close_js(napi_env env, napi_callback_info info) {
  tun_t *tun;
  if (first_tun_argument(env, info, &tun) == NULL) return NULL;
  tun_close(tun);
  return undefined_value(env);
}

static napi_value tun_name(napi_env env, napi_callback_info info) {
  tun_t *tun;
  napi_value result;
  if (first_tun_argument(env, info, &tun) == NULL) return NULL;
  NAPI_TRY(env, napi_create_string_utf8(env, tun->name, NAPI_AUTO_LENGTH, &result));
  return result;
}

// A socket of the network namespace the device is in now, which is not ours
// once the device has been moved (as netns.sh and wg-quick setups do):
// TUNGETDEVNETNS names that namespace, and a socket belongs for good to the
// namespace its thread was in when it was made. The thread returns to its own
// namespace at once; were that impossible, it would go on in the wrong one,
// so the process aborts instead.
static int socket_in_device_namespace(const tun_t *tun, int *sock) {
  int device_ns = ioctl(tun->fd, TUNGETDEVNETNS);
  if (device_ns < 0) return errno;
  int own_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (own_ns < 0) {
    int err = errno;
    close(device_ns);
    return err;
  }
  int err = 0;
  if (setns(device_ns, CLONE_NEWNET) != 0) {
    err = errno;
  } else {
    *sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (*sock < 0) err = errno;
    if (setns(own_ns, CLONE_NEWNET) != 0) abort();
  }
  close(own_ns);
  close(device_ns);
  return err;
}

static int ioctl_in_device_namespace(const tun_t *tun, unsigned long request, struct ifreq *ifr) {
  int sock = -1;
  int err = socket_in_device_namespace(tun, &sock);
  if (err != 0) return err;
  memcpy(ifr->ifr_name, tun->name, IFNAMSIZ);
  if (ioctl(sock, request, ifr) < 0) err = errno;
  close(sock);
  return err;
}

// Interface ioctls go by name through a socket of the caller's network
// namespace, or of the device's when it has been moved out of ours.
static bool interface_ioctl(napi_env env, tun_t *tun, unsigned long request, struct ifreq *ifr, const char *what) {
  int err = ioctl_by_name(tun->name, request, ifr);
  if (err == ENODEV && !tun->closed) err = ioctl_in_device_namespace(tun, request, ifr);
  if (err != 0) {
    char action[64];
    snprintf(action, sizeof action, "%s of %s", what, tun->name);
    throw_errno(env, err, "ioctl", action);
    return false;
  }
  return true;
}

static napi_value tun_mtu(napi_env env, napi_callback_info info) {
  tun_t *tun;
  struct ifreq ifr;
  napi_value result;
  memset(&ifr, 0, sizeof ifr);
  if (first_tun_argument(env, info, &tun) == NULL) return NULL;
  if (!interface_ioctl(env, tun, SIOCGIFMTU, &ifr, "getting the MTU")) return NULL;
  NAPI_TRY(env, napi_create_int32(env, ifr.ifr_mtu, &result));
  return result;
}

static napi_value tun_set_mtu(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  tun_t *tun;
  struct ifreq ifr;
  int32_t mtu;
  memset(&ifr, 0, sizeof ifr);
  NAPI_TRY(env, get_args(env, info, 2, argv));
  if (unwrap_tun(env, argv[0], &tun) == NULL) return NULL;
  NAPI_TRY(env, napi_get_value_int32(env, argv[1], &mtu));
  ifr.ifr_mtu = mtu;
  if (!interface_ioctl(env, tun, SIOCSIFMTU, &ifr, "setting the MTU")) return NULL;
  return undefined_value(env);
}

static napi_value tun_index(napi_env env, napi_callback_info info) {
  tun_t *tun;
  struct ifreq ifr;
  napi_value result;
  memset(&ifr, 0, sizeof ifr);
  if (first_tun_argument(env, info, &tun) == NULL) return NULL;
  if (!interface_ioctl(env, tun, SIOCGIFINDEX, &ifr, "getting the index")) return NULL;
  NAPI_TRY(env, napi_create_int32(env, ifr.ifr_ifindex, &result));
  return result;
}

// stats(handle) -> the offloads granted and the counters of the offload paths
static napi_value tun_stats(napi_env env, napi_callback_info info) {
  tun_t *tun;
  napi_value result;
  if (first_tun_argument(env, info, &tun) == NULL) return NULL;
  const offload_stats_t *stats = &tun->stats;
  NAPI_TRY(env, napi_create_object(env, &result));
  bool ok = set_number(env, result, "offloads", tun->vnet_hdr ? (double)tun->offloads : -1) &&
            set_number(env, result, "gsoPacketsRead", stats->gso_packets_read) &&
            set_number(env, result, "segmentsRead", stats->segments_read) &&
            set_number(env, result, "splitsCarriedOver", stats->splits_carried_over) &&
            set_number(env, result, "checksumsCompleted", stats->checksums_completed) &&
            set_number(env, result, "malformedDropped", stats->malformed_dropped) &&
            set_number(env, result, "gsoPacketsWritten", stats->gso_packets_written) &&
            set_number(env, result, "segmentsCoalesced", stats->segments_coalesced) &&
            set_number(env, result, "gsoWriteFailures", stats->gso_write_failures);
  if (!ok) {
    throw_last_napi_error(env);
    return NULL;
  }
  return result;
}

// splitPacket(input, slab, lengths) -> packets placed in slab: what the read
// path makes of one packet read with offloads (`input` is its vnet header and
// the packet), without a device, so that tests can feed it any header.
static napi_value tun_split_packet(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  void *input, *slab, *lengths;
  size_t input_len, slab_size, capacity;
  NAPI_TRY(env, get_args(env, info, 3, argv));
  if (!typed_array_data(env, argv[0], napi_uint8_array, &input, &input_len) ||
      !typed_array_data(env, argv[1], napi_uint8_array, &slab, &slab_size) ||
      !typed_array_data(env, argv[2], napi_uint32_array, &lengths, &capacity)) {
    napi_throw_type_error(env, NULL, "input and slab must be Uint8Arrays, lengths a Uint32Array");
    return NULL;
  }
  size_t length = input_len - VNET_HDR_LEN;
  if (input_len < VNET_HDR_LEN || length > MAX_PACKET_SIZE || slab_size < length) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "input must be a vnet header and at most 65535 bytes that fit the slab");
    return NULL;
  }
  offload_stats_t stats = {0};
  splitter_t *splitter = calloc(1, sizeof *splitter);
  if (splitter == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  splitter->stats = &stats;
  batch_t batch = {.slab = slab, .slab_size = slab_size, .lengths = lengths, .capacity = capacity};
  struct virtio_net_hdr hdr;
  memcpy(&hdr, input, VNET_HDR_LEN);
  memcpy(slab, (uint8_t *)input + VNET_HDR_LEN, length);
  accept_packet(splitter, &batch, &hdr, length);
  bool incomplete = splitter->splitting;
  free(splitter);
  if (incomplete) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "slab or lengths too small for every segment");
    return NULL;
  }
  napi_value result;
  NAPI_TRY(env, napi_create_uint32(env, batch.count, &result));
  return result;
}

napi_status tun_register(napi_env env, napi_value exports) {
  napi_value tun;
  napi_status status = napi_create_object(env, &tun);
  if (status != napi_ok) return status;
  const napi_property_descriptor functions[] = {
      {"open", NULL, tun_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"write", NULL, tun_write, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pause", NULL, tun_pause, NULL, NULL, NULL, napi_enumerable, NULL},
      {"resume", NULL, tun_resume, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, tun_close_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"name", NULL, tun_name, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mtu", NULL, tun_mtu, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setMtu", NULL, tun_set_mtu, NULL, NULL, NULL, napi_enumerable, NULL},
      {"index", NULL, tun_index, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stats", NULL, tun_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"splitPacket", NULL, tun_split_packet, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  status = napi_define_properties(env, tun, sizeof functions / sizeof functions[0], functions);
  if (status != napi_ok) return status;
  return napi_set_named_property(env, exports, "tun", tun);
}
