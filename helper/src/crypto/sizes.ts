// Sizes of the primitives' keys, digests, tags and nonces: pure constants, so
// that code which must not load a crypto implementation (the engine) can use them.
export const KEY_LENGTH = 32;
export const HASH_LENGTH = 32;
export const MAC_LENGTH = 16;
export const TAG_LENGTH = 16;
export const XNONCE_LENGTH = 24;
