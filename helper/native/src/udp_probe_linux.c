// The connection doctor's probe of an endpoint that never answers a
// handshake: a connected UDP socket under the engine's firewall mark (so that
// it takes the engine's way out, past a full tunnel's policy routing) sends one
// byte, which no WireGuard server answers. A host where nothing listens on the
// port answers with ICMP port unreachable, which the kernel turns into
// ECONNREFUSED on a connected socket; a firewall that drops, or a server that
// drops what it cannot authenticate, leaves it silent. JS reads the socket's
// error after a while and closes it.
#include "udp_probe.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "napi_util.h"

static const napi_type_tag PROBE_TAG = {0x57466c7950726f62ULL, 0x7564702d70726f62ULL};

typedef struct {
  int fd;
} probe_t;

static void probe_close(probe_t *probe) {
  if (probe->fd >= 0) close(probe->fd);
  probe->fd = -1;
}

static void on_finalized(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  probe_close(data);
  free(data);
}

static int send_probe(const uint8_t *address, size_t length, uint16_t port, uint32_t mark, int *fd_out) {
  struct sockaddr_storage to;
  socklen_t to_length;
  memset(&to, 0, sizeof to);
  if (length == 4) {
    struct sockaddr_in *v4 = (struct sockaddr_in *)&to;
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    memcpy(&v4->sin_addr, address, 4);
    to_length = sizeof *v4;
  } else {
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&to;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    memcpy(&v6->sin6_addr, address, 16);
    to_length = sizeof *v6;
  }
  int fd = socket(to.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  static const uint8_t ONE_BYTE = 0;
  if ((mark != 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) < 0) ||
      connect(fd, (struct sockaddr *)&to, to_length) < 0 || send(fd, &ONE_BYTE, 1, 0) < 0) {
    int err = errno;
    close(fd);
    return err;
  }
  *fd_out = fd;
  return 0;
}

// open(address: Uint8Array(4|16), port, mark) -> handle; throws what connect or send said
static napi_value probe_open(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  NAPI_TRY(env, get_args(env, info, 3, argv));
  void *address;
  size_t length;
  uint32_t port, mark;
  if (!typed_array_data(env, argv[0], napi_uint8_array, &address, &length) || (length != 4 && length != 16)) {
    napi_throw_type_error(env, NULL, "address must be a Uint8Array of 4 or 16 bytes");
    return NULL;
  }
  NAPI_TRY(env, napi_get_value_uint32(env, argv[1], &port));
  NAPI_TRY(env, napi_get_value_uint32(env, argv[2], &mark));
  if (port == 0 || port > 65535) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "port must be 1 to 65535");
    return NULL;
  }
  int fd = -1;
  int err = send_probe(address, length, (uint16_t)port, mark, &fd);
  if (err != 0) return throw_errno(env, err, "send", "probing the endpoint");
  probe_t *probe = malloc(sizeof *probe);
  if (probe == NULL) {
    close(fd);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  probe->fd = fd;
  napi_value handle;
  if (napi_create_object(env, &handle) != napi_ok || napi_type_tag_object(env, handle, &PROBE_TAG) != napi_ok ||
      napi_wrap(env, handle, probe, on_finalized, NULL, NULL) != napi_ok) {
    probe_close(probe);
    free(probe);
    throw_last_napi_error(env);
    return NULL;
  }
  return handle;
}

// result(handle) -> 0, or the errno an ICMP error left on the socket (ECONNREFUSED, EHOSTUNREACH...)
static napi_value probe_result(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  probe_t *probe;
  NAPI_TRY(env, get_args(env, info, 1, argv));
  if (unwrap_tagged(env, argv[0], &PROBE_TAG, "UDP probe", (void **)&probe) == NULL) return NULL;
  int err = EBADF;
  if (probe->fd >= 0) {
    socklen_t size = sizeof err;
    if (getsockopt(probe->fd, SOL_SOCKET, SO_ERROR, &err, &size) < 0) err = errno;
  }
  napi_value result;
  NAPI_TRY(env, napi_create_int32(env, err, &result));
  return result;
}

static napi_value probe_close_js(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  probe_t *probe;
  NAPI_TRY(env, get_args(env, info, 1, argv));
  if (unwrap_tagged(env, argv[0], &PROBE_TAG, "UDP probe", (void **)&probe) == NULL) return NULL;
  probe_close(probe);
  return undefined_value(env);
}

napi_status udp_probe_register(napi_env env, napi_value exports) {
  napi_value probe;
  napi_status status = napi_create_object(env, &probe);
  if (status != napi_ok) return status;
  const napi_property_descriptor functions[] = {
      {"open", NULL, probe_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"result", NULL, probe_result, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, probe_close_js, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  status = napi_define_properties(env, probe, sizeof functions / sizeof functions[0], functions);
  if (status != napi_ok) return status;
  return napi_set_named_property(env, exports, "udpProbe", probe);
}
