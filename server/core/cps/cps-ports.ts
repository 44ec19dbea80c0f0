/** The called and calling numbers (canonical) a CPS keeps PASSporTs under (ATIS-1000096: retrieved by both). */
export interface CallKey {
  destTn: string;
  origTn: string;
}

/**
 * Where the CPS keeps PASSporTs, replay marks and rate counters: shared by every CPS node (Redis), never
 * process memory. Every method throws `CpsStoreUnavailable` when the store cannot answer.
 */
export interface CpsStore {
  /** Adds PASSporTs to the call's set; each is dropped at `expiresAtMs`, the set once its last one is. */
  put(key: CallKey, passports: readonly string[], expiresAtMs: number, nowMs: number): Promise<void>;
  /** The call's PASSporTs not yet expired at `nowMs`, oldest expiry first; empty when none. */
  get(key: CallKey, nowMs: number): Promise<string[]>;
  /** Counts one request in `bucket`'s current one-second window and returns the window's count. */
  hit(bucket: string, nowMs: number): Promise<number>;
  /** Marks `id` used for `ttlMs`; false when it was already marked (a replay). */
  claimOnce(id: string, ttlMs: number): Promise<boolean>;
  /** Resolves when the store answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The store did not answer (down, timed out, cluster slot moving): the CPS answers 503 with Retry-After. */
export class CpsStoreUnavailable extends Error {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
    this.name = 'CpsStoreUnavailable';
  }
}
