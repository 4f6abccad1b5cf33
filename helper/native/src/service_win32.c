// The helper as a Windows service: the service control manager expects a
// process it starts to connect back with StartServiceCtrlDispatcherW within
// 30 seconds, and that call blocks its thread for the service's life, so it
// runs on a thread of its own. A stop or shutdown request reaches JS through a
// thread-safe function; JS reports the service stopped once its tunnels are
// down. Started from a console instead, the dispatcher fails at once with
// ERROR_FAILED_SERVICE_CONTROLLER_CONNECT, which JS hears and ignores.
#include "service.h"

#include <stdbool.h>
#include <stdint.h>
#include <windows.h>

#include "napi_util.h"

typedef enum { EVENT_STOP, EVENT_NOT_A_SERVICE } service_event;

static struct {
  napi_threadsafe_function tsfn;
  napi_ref on_stop;
  napi_ref on_not_a_service;
  napi_async_context async;
  SERVICE_STATUS_HANDLE status_handle;
  SERVICE_STATUS status;
  HANDLE stopped;
  HANDLE dispatcher_thread;
  DWORD exit_code;
  bool started;
} service;

static void report(DWORD state, DWORD wait_hint) {
  service.status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  service.status.dwCurrentState = state;
  service.status.dwControlsAccepted = state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
  service.status.dwWin32ExitCode = service.exit_code == 0 ? NO_ERROR : ERROR_SERVICE_SPECIFIC_ERROR;
  service.status.dwServiceSpecificExitCode = service.exit_code;
  service.status.dwWaitHint = wait_hint;
  if (state == SERVICE_STOP_PENDING) service.status.dwCheckPoint++;
  SetServiceStatus(service.status_handle, &service.status);
}

static void post(service_event event) {
  napi_call_threadsafe_function(service.tsfn, (void *)(uintptr_t)event, napi_tsfn_nonblocking);
}

static DWORD WINAPI control_handler(DWORD control, DWORD type, LPVOID data, LPVOID context) {
  (void)type;
  (void)data;
  (void)context;
  switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
      report(SERVICE_STOP_PENDING, 30000);
      post(EVENT_STOP);
      return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
      return NO_ERROR;
    default:
      return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

static void WINAPI service_main(DWORD argc, LPWSTR *argv) {
  (void)argc;
  (void)argv;
  // SERVICE_WIN32_OWN_PROCESS: the name is not looked at.
  service.status_handle = RegisterServiceCtrlHandlerExW(L"", control_handler, NULL);
  if (service.status_handle == NULL) return;
  report(SERVICE_RUNNING, 0);
  WaitForSingleObject(service.stopped, INFINITE);
  report(SERVICE_STOPPED, 0);
}

static DWORD WINAPI dispatcher(LPVOID argument) {
  (void)argument;
  WCHAR name[] = L"";
  SERVICE_TABLE_ENTRYW table[] = {{name, service_main}, {NULL, NULL}};
  if (!StartServiceCtrlDispatcherW(table)) post(EVENT_NOT_A_SERVICE);
  // The dispatcher has returned (the service stopped, or there was none): JS may exit.
  napi_release_threadsafe_function(service.tsfn, napi_tsfn_release);
  return 0;
}

static void call_handler(napi_env env, napi_value js_callback, void *context, void *data) {
  (void)js_callback;
  (void)context;
  if (env == NULL) return;
  service_event event = (service_event)(uintptr_t)data;
  napi_handle_scope scope = open_handle_scope(env);
  napi_value argument;
  if (napi_get_undefined(env, &argument) == napi_ok) {
    call_js(env, service.async, event == EVENT_STOP ? service.on_stop : service.on_not_a_service, argument);
  }
  close_handle_scope(env, scope);
}

// run(onStop, onNotAService): connects to the service control manager on a thread of its own.
static napi_value service_run(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  NAPI_TRY(env, get_args(env, info, 2, argv));
  if (service.started) {
    napi_throw_error(env, NULL, "the service dispatcher is already running");
    return NULL;
  }
  napi_value name;
  NAPI_TRY(env, napi_create_string_utf8(env, "WireflyService", NAPI_AUTO_LENGTH, &name));
  NAPI_TRY(env, napi_async_init(env, NULL, name, &service.async));
  NAPI_TRY(env, napi_create_reference(env, argv[0], 1, &service.on_stop));
  NAPI_TRY(env, napi_create_reference(env, argv[1], 1, &service.on_not_a_service));
  NAPI_TRY(env, napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, NULL, call_handler,
                                                &service.tsfn));
  service.stopped = CreateEventW(NULL, TRUE, FALSE, NULL);
  service.dispatcher_thread = service.stopped == NULL ? NULL : CreateThread(NULL, 0, dispatcher, NULL, 0, NULL);
  if (service.dispatcher_thread == NULL) {
    napi_release_threadsafe_function(service.tsfn, napi_tsfn_abort);
    napi_throw_error(env, NULL, "cannot start the service dispatcher's thread");
    return NULL;
  }
  service.started = true;
  return undefined_value(env);
}

// How long stopped() waits for the manager to have heard it.
#define STOPPED_REPORT_TIMEOUT_MS 10000

// stopped(exitCode): the tunnels are down. Returns once the manager has been told,
// so that exiting right after it is not taken for a crash (and restarted).
static napi_value service_stopped(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  NAPI_TRY(env, get_args(env, info, 1, argv));
  uint32_t code = 0;
  NAPI_TRY(env, napi_get_value_uint32(env, argv[0], &code));
  if (service.started) {
    service.exit_code = code;
    SetEvent(service.stopped);
    WaitForSingleObject(service.dispatcher_thread, STOPPED_REPORT_TIMEOUT_MS);
  }
  return undefined_value(env);
}

napi_status service_register(napi_env env, napi_value exports) {
  napi_value object;
  napi_status status = napi_create_object(env, &object);
  if (status == napi_ok) status = export_function(env, object, "run", service_run, NULL);
  if (status == napi_ok) status = export_function(env, object, "stopped", service_stopped, NULL);
  if (status == napi_ok) status = napi_set_named_property(env, exports, "service", object);
  return status;
}
