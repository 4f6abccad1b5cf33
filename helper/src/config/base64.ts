// Strict standard base64 (RFC 4648 with padding). Keys must round-trip byte for byte,
// so non-canonical forms (stray bits in the last character, missing padding,
// whitespace) are rejected rather than repaired, as wg(8) does.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

const VALUES: ReadonlyMap<string, number> = new Map([...ALPHABET].map((char, value) => [char, value]));

export function encodeBase64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = bytes.subarray(i, i + 3);
    const bits = (chunk[0]! << 16) | ((chunk[1] ?? 0) << 8) | (chunk[2] ?? 0);
    text += ALPHABET[(bits >> 18) & 63]! + ALPHABET[(bits >> 12) & 63]!;
    text += chunk.length > 1 ? ALPHABET[(bits >> 6) & 63]! : '=';
    text += chunk.length > 2 ? ALPHABET[bits & 63]! : '=';
  }
  return text;
}

/** The bytes, or undefined unless `text` is canonical padded base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const bytes = new Uint8Array((text.length / 4) * 3 - padding);
  let bits = 0;
  let bitCount = 0;
  let written = 0;
  for (let i = 0; i < text.length - padding; i++) {
    const value = VALUES.get(text[i]!);
    if (value === undefined) return undefined;
    bits = ((bits << 6) | value) & 0xffffff;
    bitCount += 6;
    if (bitCount >= 8) {
      bitCount -= 8;
      bytes[written++] = (bits >> bitCount) & 0xff;
    }
  }
  const leftover = bits & ((1 << bitCount) - 1);
  return leftover === 0 ? bytes : undefined;
}
