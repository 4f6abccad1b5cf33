// Wintun sessions on Windows: wintun.dll is loaded at run time from the path
// the caller gives (the app's resources), one adapter per tunnel, and one
// reader thread per session that drains the receive ring into a slab the
// TypeScript side owns and hands over the whole batch in one call. Packets to
// the OS go into the send ring in one call per batch. The slab is lent to JS
// until its handler returns; the thread waits for that before it reuses it.
#include "tun.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <windows.h>

#include "napi_util.h"

#define WINTUN_MAX_IP_PACKET_SIZE 0xFFFF
#define WINTUN_MIN_RING_CAPACITY 0x20000
#define WINTUN_MAX_RING_CAPACITY 0x4000000
#define MAX_NAME 128

typedef void *WINTUN_ADAPTER_HANDLE;
typedef void *WINTUN_SESSION_HANDLE;

// wintun.h's prototypes (Wintun 0.14), as GetProcAddress hands them out.
typedef struct {
  HMODULE module;
  WINTUN_ADAPTER_HANDLE(WINAPI *create_adapter)(LPCWSTR name, LPCWSTR tunnel_type, const GUID *guid);
  void(WINAPI *close_adapter)(WINTUN_ADAPTER_HANDLE adapter);
  void(WINAPI *get_adapter_luid)(WINTUN_ADAPTER_HANDLE adapter, uint64_t *luid);
  WINTUN_SESSION_HANDLE(WINAPI *start_session)(WINTUN_ADAPTER_HANDLE adapter, DWORD capacity);
  void(WINAPI *end_session)(WINTUN_SESSION_HANDLE session);
  HANDLE(WINAPI *get_read_wait_event)(WINTUN_SESSION_HANDLE session);
  BYTE *(WINAPI *receive_packet)(WINTUN_SESSION_HANDLE session, DWORD *size);
  void(WINAPI *release_receive_packet)(WINTUN_SESSION_HANDLE session, const BYTE *packet);
  BYTE *(WINAPI *allocate_send_packet)(WINTUN_SESSION_HANDLE session, DWORD size);
  void(WINAPI *send_packet)(WINTUN_SESSION_HANDLE session, const BYTE *packet);
} wintun_api;

typedef struct {
  wintun_api api;
  WINTUN_ADAPTER_HANDLE adapter;
  WINTUN_SESSION_HANDLE session;
  HANDLE quit;      // manual reset: close() was called
  HANDLE running;   // manual reset: set while not paused
  HANDLE consumed;  // auto reset: JS has returned from the batch handler
  HANDLE thread;
  uint8_t *slab;
  size_t slab_size;
  uint32_t *lengths;
  size_t max_packets;
  napi_ref slab_ref;
  napi_ref lengths_ref;
  napi_ref on_batch;
  napi_ref on_error;
  napi_async_context async;
  napi_threadsafe_function tsfn;
  volatile LONG closed;
} wintun_session;

// What the reader thread hands to the JS thread: a batch's count, or an error.
typedef struct {
  uint32_t count;
  DWORD error;
} reader_event;

static const napi_type_tag SESSION_TAG = {0x8f1c2a7d5e3b4c61ULL, 0x9d2e4f6a1b3c5d70ULL};

static napi_value throw_win32(napi_env env, DWORD error, const char *call) {
  char text[320];
  char reason[256] = "";
  FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, error, 0, reason, sizeof reason,
                 NULL);
  size_t end = strlen(reason);
  while (end > 0 && (reason[end - 1] == '\r' || reason[end - 1] == '\n' || reason[end - 1] == '.')) reason[--end] = 0;
  snprintf(text, sizeof text, "%s failed: %s (Windows error %lu)", call, reason[0] ? reason : "unknown error",
           (unsigned long)error);
  napi_throw_error(env, NULL, text);
  return NULL;
}

static bool load_wintun(wintun_api *api, const WCHAR *path) {
  api->module = LoadLibraryExW(path, NULL, LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR | LOAD_LIBRARY_SEARCH_SYSTEM32);
  if (api->module == NULL) return false;
#define RESOLVE(field, name)                                      \
  do {                                                            \
    FARPROC symbol = GetProcAddress(api->module, name);           \
    if (symbol == NULL) return false;                             \
    memcpy(&api->field, &symbol, sizeof(symbol));                 \
  } while (0)
  RESOLVE(create_adapter, "WintunCreateAdapter");
  RESOLVE(close_adapter, "WintunCloseAdapter");
  RESOLVE(get_adapter_luid, "WintunGetAdapterLUID");
  RESOLVE(start_session, "WintunStartSession");
  RESOLVE(end_session, "WintunEndSession");
  RESOLVE(get_read_wait_event, "WintunGetReadWaitEvent");
  RESOLVE(receive_packet, "WintunReceivePacket");
  RESOLVE(release_receive_packet, "WintunReleaseReceivePacket");
  RESOLVE(allocate_send_packet, "WintunAllocateSendPacket");
  RESOLVE(send_packet, "WintunSendPacket");
#undef RESOLVE
  return true;
}

// Moves what the receive ring holds into the slab, as long as the largest packet still fits.
static uint32_t drain_ring(wintun_session *s, DWORD *error) {
  uint32_t count = 0;
  size_t used = 0;
  *error = ERROR_SUCCESS;
  while (count < s->max_packets && s->slab_size - used >= WINTUN_MAX_IP_PACKET_SIZE) {
    DWORD size = 0;
    BYTE *packet = s->api.receive_packet(s->session, &size);
    if (packet == NULL) {
      *error = GetLastError();
      break;
    }
    memcpy(s->slab + used, packet, size);
    s->api.release_receive_packet(s->session, packet);
    s->lengths[count++] = size;
    used += size;
  }
  return count;
}

static bool post(wintun_session *s, uint32_t count, DWORD error) {
  reader_event *event = malloc(sizeof *event);
  if (event == NULL) return false;
  event->count = count;
  event->error = error;
  if (napi_call_threadsafe_function(s->tsfn, event, napi_tsfn_nonblocking) != napi_ok) {
    free(event);
    return false;
  }
  return true;
}

static DWORD WINAPI reader(LPVOID argument) {
  wintun_session *s = argument;
  HANDLE ring = s->api.get_read_wait_event(s->session);
  for (;;) {
    HANDLE wait_running[] = {s->quit, s->running};
    if (WaitForMultipleObjects(2, wait_running, FALSE, INFINITE) != WAIT_OBJECT_0 + 1) break;
    DWORD error;
    uint32_t count = drain_ring(s, &error);
    if (count > 0) {
      if (!post(s, count, ERROR_SUCCESS)) break;
      HANDLE wait_consumed[] = {s->quit, s->consumed};
      if (WaitForMultipleObjects(2, wait_consumed, FALSE, INFINITE) != WAIT_OBJECT_0 + 1) break;
      continue;
    }
    if (error == ERROR_NO_MORE_ITEMS) {
      HANDLE wait_ring[] = {s->quit, ring};
      if (WaitForMultipleObjects(2, wait_ring, FALSE, INFINITE) != WAIT_OBJECT_0 + 1) break;
      continue;
    }
    // ERROR_HANDLE_EOF: the adapter is going away; ERROR_INVALID_DATA: the ring is corrupt.
    post(s, 0, error);
    break;
  }
  return 0;
}

static void call_handlers(napi_env env, napi_value js_callback, void *context, void *data) {
  (void)js_callback;
  wintun_session *s = context;
  reader_event *event = data;
  if (env != NULL && !s->closed) {
    napi_handle_scope scope = open_handle_scope(env);
    napi_value argument;
    if (event->count > 0) {
      if (napi_create_uint32(env, event->count, &argument) == napi_ok) call_js(env, s->async, s->on_batch, argument);
    } else {
      char text[96];
      snprintf(text, sizeof text, "Wintun session ended (Windows error %lu)", (unsigned long)event->error);
      napi_value message;
      if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message) == napi_ok &&
          napi_create_error(env, NULL, message, &argument) == napi_ok) {
        call_js(env, s->async, s->on_error, argument);
      }
    }
    close_handle_scope(env, scope);
  }
  if (event->count > 0) SetEvent(s->consumed);
  free(event);
}

static void stop_session(wintun_session *s) {
  if (InterlockedExchange(&s->closed, 1) != 0) return;
  SetEvent(s->quit);
  if (s->thread != NULL) {
    WaitForSingleObject(s->thread, INFINITE);
    CloseHandle(s->thread);
    s->thread = NULL;
  }
  if (s->session != NULL) s->api.end_session(s->session);
  // Closing an adapter this process created removes it from the system.
  if (s->adapter != NULL) s->api.close_adapter(s->adapter);
  s->session = NULL;
  s->adapter = NULL;
}

static void release_session(napi_env env, wintun_session *s) {
  stop_session(s);
  delete_ref(env, &s->slab_ref);
  delete_ref(env, &s->lengths_ref);
  delete_ref(env, &s->on_batch);
  delete_ref(env, &s->on_error);
  if (s->async != NULL) napi_async_destroy(env, s->async);
  s->async = NULL;
}

static void finalize_tsfn(napi_env env, void *data, void *hint) {
  (void)hint;
  wintun_session *s = data;
  release_session(env, s);
  if (s->quit) CloseHandle(s->quit);
  if (s->running) CloseHandle(s->running);
  if (s->consumed) CloseHandle(s->consumed);
  if (s->api.module) FreeLibrary(s->api.module);
  free(s);
}

static bool utf16_argument(napi_env env, napi_value value, WCHAR *out, size_t capacity) {
  size_t length = 0;
  _Static_assert(sizeof(WCHAR) == sizeof(char16_t), "WCHAR is UTF-16");
  return napi_get_value_string_utf16(env, value, (char16_t *)out, capacity, &length) == napi_ok && length > 0 &&
         length < capacity - 1;
}

static napi_value session_of(napi_env env, napi_value value, wintun_session **s) {
  return unwrap_tagged(env, value, &SESSION_TAG, "Wintun session", (void **)s);
}

// open(dllPath, name, tunnelType, guid (16 bytes), ringCapacity, slab, lengths, onBatch, onError)
static napi_value wintun_open(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  NAPI_TRY(env, get_args(env, info, 9, argv));
  WCHAR path[MAX_PATH], name[MAX_NAME], type[MAX_NAME];
  if (!utf16_argument(env, argv[0], path, MAX_PATH) || !utf16_argument(env, argv[1], name, MAX_NAME) ||
      !utf16_argument(env, argv[2], type, MAX_NAME)) {
    napi_throw_type_error(env, NULL, "the DLL path, adapter name and tunnel type must be non-empty strings");
    return NULL;
  }
  void *guid_bytes;
  size_t guid_length;
  uint32_t capacity;
  void *slab, *lengths;
  size_t slab_size, max_packets;
  if (!typed_array_data(env, argv[3], napi_uint8_array, &guid_bytes, &guid_length) || guid_length != sizeof(GUID) ||
      napi_get_value_uint32(env, argv[4], &capacity) != napi_ok ||
      !typed_array_data(env, argv[5], napi_uint8_array, &slab, &slab_size) ||
      !typed_array_data(env, argv[6], napi_uint32_array, &lengths, &max_packets) || max_packets == 0 ||
      slab_size < WINTUN_MAX_IP_PACKET_SIZE) {
    napi_throw_type_error(env, NULL, "bad GUID, ring capacity, slab or lengths");
    return NULL;
  }
  if (capacity < WINTUN_MIN_RING_CAPACITY || capacity > WINTUN_MAX_RING_CAPACITY || (capacity & (capacity - 1)) != 0) {
    napi_throw_range_error(env, NULL, "the ring capacity must be a power of two from 128 KiB to 64 MiB");
    return NULL;
  }
  wintun_session *s = calloc(1, sizeof *s);
  if (s == NULL) return throw_win32(env, ERROR_NOT_ENOUGH_MEMORY, "calloc");
  s->slab = slab;
  s->slab_size = slab_size;
  s->lengths = lengths;
  s->max_packets = max_packets;
  s->quit = CreateEventW(NULL, TRUE, FALSE, NULL);
  s->running = CreateEventW(NULL, TRUE, TRUE, NULL);
  s->consumed = CreateEventW(NULL, FALSE, FALSE, NULL);
  DWORD error = ERROR_SUCCESS;
  const char *failed = NULL;
  GUID guid;
  memcpy(&guid, guid_bytes, sizeof guid);
  if (s->quit == NULL || s->running == NULL || s->consumed == NULL) {
    error = GetLastError();
    failed = "CreateEvent";
  } else if (!load_wintun(&s->api, path)) {
    error = GetLastError();
    failed = "loading wintun.dll";
  } else if ((s->adapter = s->api.create_adapter(name, type, &guid)) == NULL) {
    error = GetLastError();
    failed = "WintunCreateAdapter";
  } else if ((s->session = s->api.start_session(s->adapter, capacity)) == NULL) {
    error = GetLastError();
    failed = "WintunStartSession";
  }
  napi_value resource_name, handle;
  napi_status status = napi_ok;
  if (failed == NULL) {
    status = napi_create_string_utf8(env, "WireflyWintun", NAPI_AUTO_LENGTH, &resource_name);
    if (status == napi_ok) status = napi_async_init(env, NULL, resource_name, &s->async);
    if (status == napi_ok) status = napi_create_reference(env, argv[5], 1, &s->slab_ref);
    if (status == napi_ok) status = napi_create_reference(env, argv[6], 1, &s->lengths_ref);
    if (status == napi_ok) status = napi_create_reference(env, argv[7], 1, &s->on_batch);
    if (status == napi_ok) status = napi_create_reference(env, argv[8], 1, &s->on_error);
    if (status == napi_ok)
      status = napi_create_threadsafe_function(env, NULL, NULL, resource_name, 0, 1, s, finalize_tsfn, s,
                                               call_handlers, &s->tsfn);
  }
  if (failed != NULL || status != napi_ok) {
    release_session(env, s);
    if (s->quit) CloseHandle(s->quit);
    if (s->running) CloseHandle(s->running);
    if (s->consumed) CloseHandle(s->consumed);
    if (s->api.module) FreeLibrary(s->api.module);
    free(s);
    if (failed != NULL) return throw_win32(env, error, failed);
    throw_last_napi_error(env);
    return NULL;
  }
  s->thread = CreateThread(NULL, 0, reader, s, 0, NULL);
  if (s->thread == NULL) {
    error = GetLastError();
    napi_release_threadsafe_function(s->tsfn, napi_tsfn_abort);
    return throw_win32(env, error, "CreateThread");
  }
  NAPI_TRY(env, napi_create_object(env, &handle));
  NAPI_TRY(env, napi_type_tag_object(env, handle, &SESSION_TAG));
  NAPI_TRY(env, napi_wrap(env, handle, s, NULL, NULL, NULL));
  return handle;
}

// write(handle, packets): into the send ring until it is full; returns how many went.
static napi_value wintun_write(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  NAPI_TRY(env, get_args(env, info, 2, argv));
  wintun_session *s;
  if (session_of(env, argv[0], &s) == NULL) return NULL;
  uint32_t count = 0, written = 0;
  NAPI_TRY(env, napi_get_array_length(env, argv[1], &count));
  for (uint32_t i = 0; i < count && !s->closed; i++) {
    napi_value element;
    void *data;
    size_t length;
    NAPI_TRY(env, napi_get_element(env, argv[1], i, &element));
    if (!typed_array_data(env, element, napi_uint8_array, &data, &length) || length == 0 ||
        length > WINTUN_MAX_IP_PACKET_SIZE) {
      continue;
    }
    BYTE *slot = s->api.allocate_send_packet(s->session, (DWORD)length);
    // ERROR_BUFFER_OVERFLOW: the ring is full, and so is this batch's chance.
    if (slot == NULL) break;
    memcpy(slot, data, length);
    s->api.send_packet(s->session, slot);
    written++;
  }
  napi_value result;
  NAPI_TRY(env, napi_create_uint32(env, written, &result));
  return result;
}

static napi_value wintun_pause(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  NAPI_TRY(env, get_args(env, info, 1, argv));
  wintun_session *s;
  if (session_of(env, argv[0], &s) == NULL) return NULL;
  ResetEvent(s->running);
  return undefined_value(env);
}

static napi_value wintun_resume(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  NAPI_TRY(env, get_args(env, info, 1, argv));
  wintun_session *s;
  if (session_of(env, argv[0], &s) == NULL) return NULL;
  SetEvent(s->running);
  return undefined_value(env);
}

static napi_value wintun_luid(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  NAPI_TRY(env, get_args(env, info, 1, argv));
  wintun_session *s;
  if (session_of(env, argv[0], &s) == NULL) return NULL;
  if (s->adapter == NULL) {
    napi_throw_error(env, NULL, "the Wintun session is closed");
    return NULL;
  }
  uint64_t luid = 0;
  s->api.get_adapter_luid(s->adapter, &luid);
  napi_value result;
  NAPI_TRY(env, napi_create_bigint_uint64(env, luid, &result));
  return result;
}

static napi_value wintun_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  NAPI_TRY(env, get_args(env, info, 1, argv));
  wintun_session *s;
  if (session_of(env, argv[0], &s) == NULL) return NULL;
  if (!s->closed) {
    stop_session(s);
    napi_release_threadsafe_function(s->tsfn, napi_tsfn_release);
  }
  return undefined_value(env);
}

napi_status tun_register(napi_env env, napi_value exports) {
  napi_value tun;
  napi_status status = napi_create_object(env, &tun);
  if (status == napi_ok) status = export_function(env, tun, "open", wintun_open, NULL);
  if (status == napi_ok) status = export_function(env, tun, "write", wintun_write, NULL);
  if (status == napi_ok) status = export_function(env, tun, "pause", wintun_pause, NULL);
  if (status == napi_ok) status = export_function(env, tun, "resume", wintun_resume, NULL);
  if (status == napi_ok) status = export_function(env, tun, "luid", wintun_luid, NULL);
  if (status == napi_ok) status = export_function(env, tun, "close", wintun_close, NULL);
  if (status == napi_ok) status = napi_set_named_property(env, exports, "wintun", tun);
  return status;
}
