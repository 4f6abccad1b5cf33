// The helper process as a Windows service: the addon's dispatcher thread
// (service_win32.c) answers the service control manager; a stop or shutdown
// request becomes the same orderly stop as SIGTERM on Linux, and the service
// is reported stopped only once the tunnels are down. Started from a console,
// there is no service manager to answer, and nothing changes.
import { loadNativeAddon } from '../native-addon.js';
import type { ServiceRuntime } from '../service-installer.js';

interface NativeService {
  run(onStop: () => void, onNotAService: () => void): void;
  stopped(exitCode: number): void;
}

export function win32ServiceRuntime(native?: NativeService): ServiceRuntime {
  return {
    start(onStop) {
      const service = native ?? (loadNativeAddon() as unknown as { service: NativeService }).service;
      let underServiceManager = true;
      service.run(onStop, () => {
        underServiceManager = false;
      });
      return {
        stopped: (exitCode) => {
          if (underServiceManager) service.stopped(exitCode);
        },
      };
    },
  };
}
