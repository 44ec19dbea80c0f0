/** The called and calling numbers (canonical) a CPS keeps PASSporTs under (ATIS-1000096: retrieved by both). */
export interface CallKey {
  destTn: string;
  origTn: string;
}

/** A request token's single use: `id` is `<spc>:<jti>`, remembered `ttlMs` (the token's freshness window). */
export interface OnceMark {
  id: string;
  ttlMs: number;
}

/**
 * Where the CPS keeps PASSporTs, replay marks and rate counters: shared by every CPS node (Redis), never
 * process memory. Every method throws `CpsStoreUnavailable` when the store cannot answer.
 */
export interface CpsStore {
  /**
   * Marks the request token `once.id` used for this call (for `once.ttlMs`) and, unless it was already marked
   * (a replay: false, nothing stored), adds PASSporTs to the call's set; each is dropped at `expiresAtMs`, the set
   * once its last one is. Mark and write are one step, so a request costs one store round trip.
   */
  put(key: CallKey, passports: readonly string[], expiresAtMs: number, nowMs: number, once: OnceMark): Promise<boolean>;
  /**
   * Marks `once.id` used for this call as `put` does and, unless it was a replay (undefined), returns the call's
   * PASSporTs not yet expired at `nowMs`, oldest expiry first; empty when none.
   */
  get(key: CallKey, nowMs: number, once: OnceMark): Promise<string[] | undefined>;
  /** Counts one request in `bucket`'s current one-second window and returns the window's count. */
  hit(bucket: string, nowMs: number): Promise<number>;
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
