// Registering the helper as the system service that starts it at boot: a
// systemd unit instance on Linux, a launchd daemon on macOS, a LocalSystem
// service on Windows. The package's installer calls it; so does the app's
// first-run offer, through the OS's password prompt.

export interface ServiceInstallRequest {
  /** The desktop user the helper serves: a uid on Linux and macOS, a SID on Windows. */
  readonly user: string;
  /** The helper's command line as the service runs it (Windows; the unit files of Linux and macOS name it). */
  readonly command?: readonly string[];
  /** Start it now as well as at every boot (default); false while a helper started for this session holds the socket. */
  readonly startNow?: boolean;
}

/** The running helper's side of the service manager, where it needs one (Windows); elsewhere signals do. */
export interface ServiceRuntime {
  /** Connects to the service manager, if it started this process; `onStop` hears its stop requests. */
  start(onStop: () => void): { stopped(exitCode: number): void };
}

export interface ServiceInstaller {
  /** Registers and starts the service; installing it again updates it. */
  install(request: ServiceInstallRequest): Promise<void>;
  /** Stops and removes it; removing an absent service succeeds. */
  uninstall(request: ServiceInstallRequest): Promise<void>;
}
