// Linux TUN devices through /dev/net/tun. Reads are driven by a libuv poll
// handle and handed to JS in batches, one call per wake-up, through buffers
// that JS owns and the addon fills; writes take a batch per call. Every packet
// is a bare IP packet (IFF_NO_PI).
#include "tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "napi_util.h"

// A TUN device hands over at most one MTU per read and the largest MTU it
// accepts is 65535, so every read gets this much room and cannot truncate.
#define MAX_PACKET_SIZE 65535

// Marks the JS objects that wrap a tun_t, so that a stray object passed from JS
// is refused instead of being dereferenced.
static const napi_type_tag TUN_TAG = {0x7769726566c79f01ULL, 0x74756e5f6c696e78ULL};

typedef struct {
  napi_env env;
  int fd;
  char name[IFNAMSIZ];
  bool closed;
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

// Reads until the device is empty or the buffers are full. Returns the packet
// count and sets *err to a read error other than "no more packets".
static uint32_t read_batch(int fd, uint8_t *slab, size_t slab_size, uint32_t *lengths, size_t capacity, int *err) {
  uint32_t count = 0;
  size_t used = 0;
  *err = 0;
  while (count < capacity && slab_size - used >= MAX_PACKET_SIZE) {
    ssize_t n = read(fd, slab + used, MAX_PACKET_SIZE);
    if (n > 0) {
      lengths[count++] = (uint32_t)n;
      used += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) *err = errno;
    break;
  }
  return count;
}

static void deliver_packets(tun_t *tun, int status) {
  uint8_t *slab;
  uint32_t *lengths;
  size_t slab_size, capacity;
  if (!read_buffers(tun, &slab, &slab_size, &lengths, &capacity)) {
    report_error(tun, EFAULT, "read", "using the packet buffers of");
    return;
  }
  int read_err;
  uint32_t count = read_batch(tun->fd, slab, slab_size, lengths, capacity, &read_err);
  if (count > 0) {
    napi_value count_value;
    if (napi_create_uint32(tun->env, count, &count_value) != napi_ok) {
      raise_pending_exception(tun->env);
      return;
    }
    call_js(tun->env, tun->async, tun->on_batch, count_value);
    if (tun->closed) return;
  }
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

static bool open_device(napi_env env, const char *requested, tun_t *tun) {
  tun->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (tun->fd < 0) {
    throw_errno(env, errno, "open", "opening /dev/net/tun");
    return false;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
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
  return true;
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

// open(name, slab, lengths, onBatch(count), onError(error)) -> handle
static napi_value tun_open(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  char requested[IFNAMSIZ];
  NAPI_TRY(env, get_args(env, info, 5, argv));
  if (check_open_arguments(env, argv) == NULL || get_ifname(env, argv[0], requested) == NULL) return NULL;

  tun_t *tun = calloc(1, sizeof *tun);
  if (tun == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  tun->env = env;
  tun->fd = -1;
  tun->poll_closed = true;
  napi_value handle;
  if (open_device(env, requested, tun) && hold_js_values(env, tun, argv[1], argv[2], argv[3], argv[4]) &&
      start_polling(env, tun) && wrap_tun(env, tun, &handle)) {
    return handle;
  }
  throw_last_napi_error(env);
  tun->wrapper_finalized = true;
  tun_close(tun);
  free_when_unused(tun);
  return NULL;
}

static bool write_packet(int fd, const void *packet, size_t length) {
  ssize_t n;
  do {
    n = write(fd, packet, length);
  } while (n < 0 && errno == EINTR);
  // A TUN write is all or nothing; anything else (a full queue, a malformed
  // packet, a device that is gone) drops this packet and the caller counts it.
  return n >= 0 && (size_t)n == length;
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
  for (uint32_t i = 0; i < total && !tun->closed; i++) {
    napi_value element;
    void *data;
    size_t length;
    NAPI_TRY(env, napi_get_element(env, argv[1], i, &element));
    if (!typed_array_data(env, element, napi_uint8_array, &data, &length)) {
      napi_throw_type_error(env, NULL, "packets must be an array of Uint8Array");
      return NULL;
    }
    if (write_packet(tun->fd, data, length)) written++;
  }
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

// Interface ioctls go through a socket of the caller's network namespace, so
// they find the device only while it is there.
static bool interface_ioctl(napi_env env, tun_t *tun, unsigned long request, struct ifreq *ifr, const char *what) {
  memcpy(ifr->ifr_name, tun->name, IFNAMSIZ);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, errno, "socket", "opening a socket for interface ioctls");
    return false;
  }
  int result = ioctl(fd, request, ifr);
  int err = errno;
  close(fd);
  if (result < 0) {
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
  };
  status = napi_define_properties(env, tun, sizeof functions / sizeof functions[0], functions);
  if (status != napi_ok) return status;
  return napi_set_named_property(env, exports, "tun", tun);
}
