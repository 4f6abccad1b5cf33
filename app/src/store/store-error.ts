// Errors the store reports to the UI: a code to match on and a sentence to show.

/** tunnel-busy: the tunnel is up (or going up or down), so its file must stay as it is. */
export type StoreErrorCode = 'bad-name' | 'no-such-tunnel' | 'tunnel-exists' | 'tunnel-busy';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}
