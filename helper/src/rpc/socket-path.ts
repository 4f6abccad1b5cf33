// Where one user's helper listens unless told otherwise (Linux and macOS;
// Windows uses a named pipe): a directory per uid, so that the helpers of
// several users run side by side, each socket reachable by its user and root.
// The systemd unit's RuntimeDirectory and the launchd plist name the same paths.

/** macOS has no /run; /var/run is the same directory on Linux. */
export function helperRuntimeDirectory(platform: string): string {
  return platform === 'darwin' ? '/var/run/wirefly' : '/run/wirefly';
}

export function helperSocketPath(uid: number, platform: string): string {
  return `${helperRuntimeDirectory(platform)}/${uid}/helper.sock`;
}
