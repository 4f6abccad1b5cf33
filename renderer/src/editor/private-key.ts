// The PrivateKey line of a config text: where it is, replacing it, and the text
// a new tunnel starts with.
import { generatePrivateKey, keyToBase64 } from '../../../helper/src/config/index.js';
import { splitSourceLines } from '../../../helper/src/config/lines.js';

const PRIVATE_KEY_LINE = /^PrivateKey\s*=\s*(.*)$/i;
const INTERFACE_HEADER = /^\[Interface\]$/i;

/** Where the PrivateKey value is written: offsets into the text, as an editor counts them. */
export interface PrivateKeyValue {
  readonly text: string;
  readonly from: number;
  readonly to: number;
}

/** Offsets into the text of where each source line starts, the BOM included. */
function lineStarts(text: string): { line: ReturnType<typeof splitSourceLines>[number]; start: number }[] {
  let offset = text.startsWith('\uFEFF') ? 1 : 0;
  return splitSourceLines(text).map((line) => {
    const start = offset;
    offset += line.text.length + 1;
    return { line, start };
  });
}

export function findPrivateKeyValue(text: string): PrivateKeyValue | undefined {
  for (const { line, start } of lineStarts(text)) {
    const match = PRIVATE_KEY_LINE.exec(line.content);
    if (!match) continue;
    const value = match[1] ?? '';
    const from = start + line.contentStart + line.content.length - value.length;
    return { text: value, from, to: from + value.length };
  }
  return undefined;
}

/** The edit that puts `key` into the config: over the old value, or as a new line under [Interface]. */
export function privateKeyEdit(text: string, key: string): { from: number; to: number; insert: string } {
  const written = findPrivateKeyValue(text);
  if (written) return { from: written.from, to: written.to, insert: key };
  const header = lineStarts(text).find(({ line }) => INTERFACE_HEADER.test(line.content));
  if (!header) return { from: 0, to: 0, insert: `[Interface]\nPrivateKey = ${key}\n` };
  const lineEnd = header.start + header.line.text.length;
  return { from: lineEnd, to: lineEnd, insert: `\nPrivateKey = ${key}` };
}

export function newPrivateKeyText(): string {
  return keyToBase64(generatePrivateKey());
}

/**
 * What a new tunnel starts with: a fresh key and every line a working tunnel
 * needs, with a note on what goes in each. The empty values are marked as
 * errors until they are filled, which is the list of what is left to do.
 */
export function newTunnelText(privateKey: string = newPrivateKeyText()): string {
  return [
    '[Interface]',
    `PrivateKey = ${privateKey}`,
    '# The address the server gave this device, e.g. 10.0.0.2/32',
    'Address = ',
    '# Optional: the DNS servers to use while the tunnel is active',
    '# DNS = ',
    '',
    '[Peer]',
    "# The server's public key",
    'PublicKey = ',
    '# Where the server is: a host name or address, and its port',
    'Endpoint = ',
    '# What goes through the tunnel: 0.0.0.0/0, ::/0 for everything',
    'AllowedIPs = 0.0.0.0/0, ::/0',
    '# Keeps the tunnel alive through NAT, in seconds',
    'PersistentKeepalive = 25',
    '',
  ].join('\n');
}
