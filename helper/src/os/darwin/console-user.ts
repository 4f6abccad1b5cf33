// Which user a helper registered through SMAppService serves. The daemon's
// plist ships inside the signed bundle, the same on every Mac, so it cannot
// name a uid; and a root daemon must not take one from anything a user can
// write (a file, an argument the app passes, the first process to connect):
// any local account could then claim the helper. What macOS itself keeps and
// no user can forge is who is at the screen: loginwindow sets it at login, and
// fast user switching moves it. So the daemon serves the console user, and
// follows them; that is the same trust as polkit's "active session" for
// NetworkManager on Linux. A user logged in over ssh, or switched away, is not
// served; tunnels stay up across a switch, the previous user's socket closes.
import type { ConsoleUser } from './binding.js';

/** The uid to serve, or undefined at the login window (reported as "loginwindow", or as root on some releases). */
export function consoleUid(user: ConsoleUser | undefined): number | undefined {
  if (!user || user.uid === 0 || user.name === 'loginwindow') return undefined;
  return user.uid;
}
