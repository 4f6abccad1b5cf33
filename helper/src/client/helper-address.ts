// Where this user's helper listens: a Unix socket named by the uid, or on
// Windows, which has no uids, a pipe named by the user's SID, which only a
// system call tells. The app and the CLI both look here.
import { helperSocketPath } from '../rpc/index.js';
import { helperPipePath } from '../os/win32/control-endpoint.js';
import { currentProcessUser } from '../os/win32/pipe-client.js';

/**
 * The socket of this user's helper; under sudo, that of the user who ran sudo,
 * as `sudo wirefly status` is meant to show the desktop user's tunnels.
 */
export function defaultHelperSocket(
  env: Readonly<Record<string, string | undefined>>,
  uid: number,
  platform: string,
): string {
  const sudoUid = env['SUDO_UID'];
  const user = uid === 0 && sudoUid !== undefined && /^\d+$/.test(sudoUid) ? Number(sudoUid) : uid;
  return helperSocketPath(user, platform);
}

/** The address of the current user's helper on this machine. */
export function currentUserHelperAddress(
  env: Readonly<Record<string, string | undefined>> = process.env,
  platform: string = process.platform,
): string {
  return platform === 'win32'
    ? helperPipePath(currentProcessUser().sid)
    : defaultHelperSocket(env, process.getuid?.() ?? 0, platform);
}
