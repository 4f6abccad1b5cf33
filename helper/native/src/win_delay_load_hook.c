// Windows: the addons take Node-API (and libuv's uv_err_name) from the
// executable that loads them. The import libraries name node.exe, which is
// right under Node but not under Electron, whose executable is the app's own
// (Wirefly.exe) and exports the same functions; the imports are delay-loaded
// and resolved here against whatever executable this process runs, as
// node-gyp's delay-load hook does for MSVC builds.
#include <string.h>
#include <windows.h>

#include <delayimp.h>

static FARPROC WINAPI load_host_executable(unsigned event, PDelayLoadInfo info) {
  if (event != dliNotePreLoadLibrary || _stricmp(info->szDll, "node.exe") != 0) return NULL;
  HMODULE host = GetModuleHandleW(NULL);
  FARPROC result;
  memcpy(&result, &host, sizeof(result));
  return result;
}

PfnDliHook __pfnDliNotifyHook2 = load_host_executable;
