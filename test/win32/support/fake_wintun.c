// A stand-in for wintun.dll for the Windows suite under Wine, which has no
// Wintun driver: the same exports (Wintun 0.14's API), with a loopback for an
// OS, so that what the addon writes into the send ring comes back through the
// receive ring. The adapter's name, tunnel type and GUID, and how many
// adapters are open, can be asked for (FakeWintun* exports), so that a test
// sees what the addon asked Wintun for. Test support only; never shipped.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

typedef struct packet {
  struct packet *next;
  DWORD size;
  BYTE data[];
} packet;

typedef struct {
  CRITICAL_SECTION lock;
  HANDLE readable;  // manual reset: set while packets wait
  packet *head, *tail;
  size_t queued_bytes;
  DWORD capacity;
  packet *lent;  // the packet ReceivePacket handed out, until released
} session;

static WCHAR last_name[128], last_type[128];
static GUID last_guid;
static volatile LONG open_adapters;
static const uint64_t ADAPTER_LUID = 0x0006000000001234ULL;

__declspec(dllexport) void *WINAPI WintunCreateAdapter(LPCWSTR name, LPCWSTR type, const GUID *guid) {
  wcsncpy(last_name, name, 127);
  wcsncpy(last_type, type, 127);
  if (guid) last_guid = *guid;
  InterlockedIncrement(&open_adapters);
  return (void *)&ADAPTER_LUID;
}

__declspec(dllexport) void WINAPI WintunCloseAdapter(void *adapter) {
  (void)adapter;
  InterlockedDecrement(&open_adapters);
}

__declspec(dllexport) void WINAPI WintunGetAdapterLUID(void *adapter, uint64_t *luid) {
  (void)adapter;
  *luid = ADAPTER_LUID;
}

__declspec(dllexport) void *WINAPI WintunStartSession(void *adapter, DWORD capacity) {
  (void)adapter;
  session *s = calloc(1, sizeof *s);
  InitializeCriticalSection(&s->lock);
  s->readable = CreateEventW(NULL, TRUE, FALSE, NULL);
  s->capacity = capacity;
  return s;
}

__declspec(dllexport) void WINAPI WintunEndSession(void *handle) {
  session *s = handle;
  for (packet *p = s->head; p;) {
    packet *next = p->next;
    free(p);
    p = next;
  }
  free(s->lent);
  CloseHandle(s->readable);
  DeleteCriticalSection(&s->lock);
  free(s);
}

__declspec(dllexport) HANDLE WINAPI WintunGetReadWaitEvent(void *handle) {
  return ((session *)handle)->readable;
}

__declspec(dllexport) BYTE *WINAPI WintunReceivePacket(void *handle, DWORD *size) {
  session *s = handle;
  EnterCriticalSection(&s->lock);
  packet *p = s->head;
  if (p == NULL) {
    ResetEvent(s->readable);
    LeaveCriticalSection(&s->lock);
    SetLastError(ERROR_NO_MORE_ITEMS);
    return NULL;
  }
  s->head = p->next;
  if (s->head == NULL) s->tail = NULL;
  s->queued_bytes -= p->size;
  s->lent = p;
  LeaveCriticalSection(&s->lock);
  *size = p->size;
  return p->data;
}

__declspec(dllexport) void WINAPI WintunReleaseReceivePacket(void *handle, const BYTE *data) {
  session *s = handle;
  (void)data;
  free(s->lent);
  s->lent = NULL;
}

__declspec(dllexport) BYTE *WINAPI WintunAllocateSendPacket(void *handle, DWORD size) {
  session *s = handle;
  EnterCriticalSection(&s->lock);
  int full = s->queued_bytes + size > s->capacity;
  LeaveCriticalSection(&s->lock);
  if (full) {
    SetLastError(ERROR_BUFFER_OVERFLOW);
    return NULL;
  }
  packet *p = malloc(sizeof *p + size);
  p->next = NULL;
  p->size = size;
  return p->data;
}

// The loopback: a packet sent to the OS comes back to be received.
__declspec(dllexport) void WINAPI WintunSendPacket(void *handle, const BYTE *data) {
  session *s = handle;
  packet *p = (packet *)(data - offsetof(packet, data));
  EnterCriticalSection(&s->lock);
  // Signalled only when the ring stops being empty, as Wintun wakes a reader only when it waits
  // (under Wine each event call is a round trip to wineserver).
  if (s->tail) {
    s->tail->next = p;
  } else {
    s->head = p;
    SetEvent(s->readable);
  }
  s->tail = p;
  s->queued_bytes += p->size;
  LeaveCriticalSection(&s->lock);
}

__declspec(dllexport) void WINAPI FakeWintunLastAdapter(WCHAR *name, WCHAR *type, GUID *guid) {
  wcscpy(name, last_name);
  wcscpy(type, last_type);
  *guid = last_guid;
}

__declspec(dllexport) LONG WINAPI FakeWintunOpenAdapters(void) {
  return open_adapters;
}
