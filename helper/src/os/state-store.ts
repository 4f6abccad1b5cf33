// Where the helper keeps a user's state (the crash journal, the root-only boot
// copies with their private keys), and the rights that folder gets: root's
// 0700 on Linux and macOS; SYSTEM and Administrators alone, inherited by
// everything inside, on Windows.

export interface StateStore {
  /** The state folder of the helper serving `user` (a uid, or a SID). */
  directory(user: string): string;
  /** Creates the folder if needed and gives it its rights, whatever it had. */
  prepare(directory: string): Promise<void>;
}
