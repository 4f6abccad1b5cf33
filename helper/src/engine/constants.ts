// Protocol constants, named as in the WireGuard whitepaper (section 6 for timers).
// Times are milliseconds.

export const CONSTRUCTION = 'Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s';
export const IDENTIFIER = 'WireGuard v1 zx2c4 Jason@zx2c4.com';
export const LABEL_MAC1 = 'mac1----';
export const LABEL_COOKIE = 'cookie--';
/**
 * HASH(CONSTRUCTION) and HASH(INITIAL_CHAIN_KEY ‖ IDENTIFIER), where every
 * handshake starts. Fixed by the protocol, so written out rather than computed
 * at load with a hash the engine does not own (a unit test recomputes them).
 */
export const INITIAL_CHAIN_KEY = Uint8Array.of(
  0x60,
  0xe2,
  0x6d,
  0xae,
  0xf3,
  0x27,
  0xef,
  0xc0,
  0x2e,
  0xc3,
  0x35,
  0xe2,
  0xa0,
  0x25,
  0xd2,
  0xd0,
  0x16,
  0xeb,
  0x42,
  0x06,
  0xf8,
  0x72,
  0x77,
  0xf5,
  0x2d,
  0x38,
  0xd1,
  0x98,
  0x8b,
  0x78,
  0xcd,
  0x36,
);
export const INITIAL_HASH = Uint8Array.of(
  0x22,
  0x11,
  0xb3,
  0x61,
  0x08,
  0x1a,
  0xc5,
  0x66,
  0x69,
  0x12,
  0x43,
  0xdb,
  0x45,
  0x8a,
  0xd5,
  0x32,
  0x2d,
  0x9c,
  0x6c,
  0x66,
  0x22,
  0x93,
  0xe8,
  0xb7,
  0x0e,
  0xe1,
  0x9c,
  0x65,
  0xba,
  0x07,
  0x9e,
  0xf3,
);

export const REKEY_AFTER_MESSAGES = 2n ** 60n;
export const REJECT_AFTER_MESSAGES = 2n ** 64n - 2n ** 13n - 1n;
export const REKEY_AFTER_TIME = 120_000;
export const REJECT_AFTER_TIME = 180_000;
export const REKEY_ATTEMPT_TIME = 90_000;
export const REKEY_TIMEOUT = 5_000;
export const KEEPALIVE_TIMEOUT = 10_000;
export const COOKIE_SECRET_MAX_AGE = 120_000;
export const COOKIE_REFRESH_TIME = 120_000 - 5_000 - 500;
/** Random extra delay added to REKEY_TIMEOUT so that peers do not retry in lockstep. */
export const REKEY_TIMEOUT_JITTER_MAX = 334;
/** Handshake attempts before giving up: REKEY_ATTEMPT_TIME / REKEY_TIMEOUT. */
export const MAX_TIMER_HANDSHAKES = REKEY_ATTEMPT_TIME / REKEY_TIMEOUT;
/** An initiation from a peer is ignored if it arrives sooner than this after the last. */
export const HANDSHAKE_INITIATION_RATE = 1000 / 50;

/** Packets held for a peer while its handshake is under way. */
export const MAX_STAGED_PACKETS = 128;
/** Transport plaintext is padded to a multiple of this. */
export const PADDING_MULTIPLE = 16;
/** Handshake messages per second above which the device considers itself under load. */
export const UNDER_LOAD_THRESHOLD = 1024;
/** How long the device stays under load once the rate drops. */
export const UNDER_LOAD_AFTER = 1_000;
