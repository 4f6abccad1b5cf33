// Wire formats of the four WireGuard message types. Layout offsets are named so
// that the MAC computations can refer to "everything before mac1".

export const MESSAGE_INITIATION = 1;
export const MESSAGE_RESPONSE = 2;
export const MESSAGE_COOKIE_REPLY = 3;
export const MESSAGE_TRANSPORT = 4;

export const INITIATION_SIZE = 148;
export const RESPONSE_SIZE = 92;
export const COOKIE_REPLY_SIZE = 64;
export const TRANSPORT_HEADER_SIZE = 16;
export const TRANSPORT_MIN_SIZE = TRANSPORT_HEADER_SIZE + 16;

export const INITIATION = {
  sender: 4,
  ephemeral: 8,
  encryptedStatic: 40,
  encryptedTimestamp: 88,
  mac1: 116,
  mac2: 132,
} as const;

export const RESPONSE = {
  sender: 4,
  receiver: 8,
  ephemeral: 12,
  encryptedNothing: 44,
  mac1: 60,
  mac2: 76,
} as const;

export const COOKIE_REPLY = {
  receiver: 4,
  nonce: 8,
  encryptedCookie: 32,
} as const;

export const TRANSPORT = {
  receiver: 4,
  counter: 8,
  payload: 16,
} as const;

/**
 * The message type if the datagram has a known type, its reserved bytes are zero
 * and its length is right for that type; undefined otherwise.
 */
export function messageType(datagram: Uint8Array): number | undefined {
  if (datagram.length < 4 || datagram[1] !== 0 || datagram[2] !== 0 || datagram[3] !== 0) return undefined;
  const type = datagram[0];
  switch (type) {
    case MESSAGE_INITIATION:
      return datagram.length === INITIATION_SIZE ? type : undefined;
    case MESSAGE_RESPONSE:
      return datagram.length === RESPONSE_SIZE ? type : undefined;
    case MESSAGE_COOKIE_REPLY:
      return datagram.length === COOKIE_REPLY_SIZE ? type : undefined;
    case MESSAGE_TRANSPORT:
      return datagram.length >= TRANSPORT_MIN_SIZE ? type : undefined;
    default:
      return undefined;
  }
}

export function readUint32LE(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

export function writeUint32LE(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = (value >>> 24) & 0xff;
}

/** The 64-bit little-endian counter of a transport message, read without a DataView per packet. */
export function readCounter(bytes: Uint8Array): bigint {
  return (BigInt(readUint32LE(bytes, TRANSPORT.counter + 4)) << 32n) | BigInt(readUint32LE(bytes, TRANSPORT.counter));
}

export function writeCounter(bytes: Uint8Array, counter: bigint): void {
  writeUint32LE(bytes, TRANSPORT.counter, Number(counter & 0xffffffffn));
  writeUint32LE(bytes, TRANSPORT.counter + 4, Number(counter >> 32n));
}

export function writeHeader(bytes: Uint8Array, type: number): void {
  bytes[0] = type;
  bytes[1] = 0;
  bytes[2] = 0;
  bytes[3] = 0;
}
