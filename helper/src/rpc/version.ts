// Which protocol the two ends speak. The number changes whenever a message
// changes in a way the other side could misread; there is no negotiation, a
// mismatch is refused in the hello with a message that says which side to update.

/** 2: boot.list, boot.set and boot.unset. 3: tunnel.diagnose, killswitch.get and killswitch.set, a tunnel's diagnosis. */
export const PROTOCOL_VERSION = 3;

/** Why the helper refuses a client's protocol version, or undefined when it can serve it. */
export function incompatibility(clientVersion: number, helperVersion = PROTOCOL_VERSION): string | undefined {
  if (clientVersion === helperVersion) return undefined;
  const older = clientVersion < helperVersion ? 'the app' : 'the helper';
  return `the app speaks protocol version ${clientVersion} and the helper version ${helperVersion}: ${older} is older, update it so that both match`;
}
