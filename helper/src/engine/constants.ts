// Protocol constants, named as in the WireGuard whitepaper (section 6 for timers).
// Times are milliseconds.

export const CONSTRUCTION = 'Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s';
export const IDENTIFIER = 'WireGuard v1 zx2c4 Jason@zx2c4.com';
export const LABEL_MAC1 = 'mac1----';
export const LABEL_COOKIE = 'cookie--';

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
