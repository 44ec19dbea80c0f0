import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import { ShakenError } from '../../server/core/errors.js';
import type { KeyInfo, KeyStore } from '../key-store.js';
import { ckrName } from './pkcs11-errors.js';
import { Pkcs11Module } from './pkcs11-module.js';
import { parseKeyRef, PKCS11_SCHEME, type Pkcs11KeyRef } from './pkcs11-uri.js';
import { SessionPool, type PooledKey, type TokenState } from './session-pool.js';
import { SignThreads } from './sign-threads.js';
import { generateKey, listKeys, type TokenKeyListing } from './token-keys.js';

export interface Pkcs11Options {
  /** Path of the PKCS#11 library. */
  module: string;
  /** User PIN; never logged, never part of a key reference. */
  pin: string;
  /** The setting the PIN came from (`pkcs11.pin` or `pkcs11.pinFile`), named when a token refuses it. */
  pinSetting?: string;
  /** Labels of the tokens to open; each gets a pool of logged-in sessions. */
  tokens: readonly string[];
  /** Sessions per token: signatures that can run at once. */
  sessions: number;
  /** Reconnection backoff after a fault, doubling from `minMs` to `maxMs`. */
  retry?: { minMs: number; maxMs: number };
  /** Hears a token's loss and its return, once each (not once per failed call); pino fits. */
  logger?: Pkcs11Logger;
}

export interface Pkcs11Logger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const DEFAULT_RETRY = { minMs: 100, maxMs: 5000 };

/**
 * Keys inside PKCS#11 tokens (an HSM, SoftHSM2). The service hashes with SHA-256 and the token signs the
 * digest with CKM_ECDSA (SoftHSM 2.6 has no CKM_ECDSA_SHA256); private keys never leave the token.
 *
 * After a fault (token removed, session or login lost) calls fail at once with ERR_KEYSTORE_UNAVAILABLE while
 * the store re-initialises the module and logs in again with backoff; a refused PIN is never retried.
 */
export class Pkcs11KeyStore implements KeyStore {
  readonly scheme = PKCS11_SCHEME;
  private readonly pools = new Map<string, SessionPool>();
  private readonly refs = new Map<string, { pool: SessionPool; ref: Pkcs11KeyRef }>();
  /** The public key each reference had when `publicKey` last answered, i.e. what the core checked against the certificate. */
  private readonly checked = new Map<string, Buffer>();
  private recovering: Promise<void> | undefined;
  /** Tokens whose loss was logged, so their return is logged once too. */
  private readonly lost = new Set<string>();
  private wake: (() => void) | undefined;
  private closed = false;
  /** As many threads as a token has sessions, shared by the tokens' pools: each session can be signing at once. */
  private readonly signer: SignThreads;

  private constructor(
    private readonly module: Pkcs11Module,
    private readonly opts: Pkcs11Options,
  ) {
    this.signer = new SignThreads(module.path, opts.sessions);
    for (const label of opts.tokens) this.pools.set(label, new SessionPool(label, opts.sessions, (pool) => this.onFault(pool), this.signer));
  }

  /** Loads the module, finds every token by label and logs in; throws ERR_KEYSTORE_CONFIG or ERR_KEYSTORE_LOGIN_FAILED. */
  static async open(opts: Pkcs11Options): Promise<Pkcs11KeyStore> {
    if (opts.tokens.length === 0) throw new ShakenError('ERR_KEYSTORE_CONFIG', 'no PKCS#11 token is configured (pkcs11.tokens, SHAKENSTACK_PKCS11_TOKENS)');
    if (!Number.isInteger(opts.sessions) || opts.sessions < 1) throw new ShakenError('ERR_KEYSTORE_CONFIG', 'pkcs11.sessions must be at least 1');
    const module = Pkcs11Module.load(opts.module);
    const store = new Pkcs11KeyStore(module, opts);
    try {
      for (const pool of store.pools.values()) pool.open(module.slotFor(pool.label), opts.pin, opts.pinSetting);
    } catch (e) {
      await store.close();
      throw e;
    }
    return store;
  }

  async sign(ref: string, data: Uint8Array): Promise<Uint8Array> {
    const key = await this.key(ref);
    const seen = this.checked.get(ref);
    if (seen && !seen.equals(key.spki)) {
      throw new ShakenError('ERR_CRED_KEY_MISMATCH', `the key behind ${ref} changed since it was checked against the certificate`);
    }
    const digest = createHash('sha256').update(data).digest();
    return this.route(ref).pool.sign(key, digest);
  }

  async publicKey(ref: string): Promise<KeyObject> {
    const key = await this.key(ref);
    this.checked.set(ref, key.spki);
    return key.publicKey;
  }

  async list(): Promise<KeyInfo[]> {
    return (await this.listKeys()).map((k) => ({ ref: k.ref, store: 'pkcs11' }));
  }

  /** The EC keys on each `ok` token, with label, id and the reference to import them with. */
  async listKeys(): Promise<TokenKeyListing[]> {
    const lists = await Promise.all([...this.pools.values()].map((p) => p.withSession(async (s) => listKeys(s, p.label))));
    return lists.flat();
  }

  /** Generates a non-extractable P-256 key pair inside the token; returns its reference. `id` defaults to 8 random bytes. */
  async generate(opts: { token: string; label: string; id?: Buffer }): Promise<string> {
    const pool = this.poolFor(opts.token);
    const session = pool.openReadWrite();
    try {
      return generateKey(session, opts.token, opts.label, opts.id ?? randomBytes(8));
    } catch (e) {
      if (e instanceof ShakenError) throw e;
      throw new ShakenError('ERR_KEYSTORE_UNAVAILABLE', `token "${opts.token}" could not generate the key (${ckrName(e) ?? (e as Error).message})`, { cause: e });
    } finally {
      session.close();
    }
  }

  /** Labels of the configured tokens. */
  get tokens(): string[] {
    return [...this.pools.keys()];
  }

  /** The token's state, after asking it for its info: a removed token is noticed without signing traffic. */
  tokenState(label: string): TokenState {
    const pool = this.poolFor(label);
    pool.probe();
    return pool.state;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.recovering;
    for (const pool of this.pools.values()) pool.suspend();
    await Promise.all([...this.pools.values()].map((p) => p.drained()));
    // The threads hold the library open too; they end before the store finalises it.
    await this.signer.close();
    for (const pool of this.pools.values()) pool.closeSessions();
    this.module.close();
  }

  private key(ref: string): Promise<PooledKey> {
    const { pool, ref: parsed } = this.route(ref);
    return pool.key(ref, parsed);
  }

  private route(ref: string): { pool: SessionPool; ref: Pkcs11KeyRef } {
    let r = this.refs.get(ref);
    if (!r) {
      const parsed = parseKeyRef(ref);
      r = { pool: this.poolFor(parsed.token), ref: parsed };
      this.refs.set(ref, r);
    }
    return r;
  }

  private poolFor(token: string): SessionPool {
    const pool = this.pools.get(token);
    if (!pool) {
      throw new ShakenError('ERR_KEYSTORE_CONFIG', `token "${token}" is not one of the configured PKCS#11 tokens (pkcs11.tokens, SHAKENSTACK_PKCS11_TOKENS)`);
    }
    return pool;
  }

  /** A pool went from `ok` to `recovering` (a failed call or probe). */
  private onFault(pool: SessionPool): void {
    this.reportLost(pool);
    this.startRecovery();
  }

  /** Logs a token's loss once, however many calls fail until it is back. */
  private reportLost(pool: SessionPool): void {
    if (this.lost.has(pool.label)) return;
    this.lost.add(pool.label);
    this.opts.logger?.error(
      { token: pool.label, error: pool.lastError },
      'PKCS#11 token stopped answering; calls that need it fail with ERR_KEYSTORE_UNAVAILABLE while the service reconnects',
    );
  }

  private startRecovery(): void {
    if (this.recovering || this.closed) return;
    this.recovering = this.recover().finally(() => {
      this.recovering = undefined;
      // A fault that arrived as the last attempt finished starts a new round.
      if ([...this.pools.values()].some((p) => p.state === 'recovering')) this.startRecovery();
    });
  }

  /**
   * Re-initialises the module and reopens every pool until each token is back (or refused the PIN). All pools
   * stop first: finalising while a C_Sign runs on another thread can crash the process. One login per attempt
   * and a doubling delay keep a real HSM from seeing a storm of logins.
   */
  private async recover(): Promise<void> {
    const { minMs, maxMs } = this.opts.retry ?? DEFAULT_RETRY;
    let delayMs = minMs;
    const pools = [...this.pools.values()];
    while (!this.closed && pools.some((p) => p.state === 'recovering')) {
      await this.sleep(delayMs);
      delayMs = Math.min(delayMs * 2, maxMs);
      if (this.closed) return;
      for (const pool of pools) pool.suspend();
      await Promise.all(pools.map((p) => p.drained()));
      if (this.closed) return;
      for (const pool of pools) pool.closeSessions();
      try {
        this.module.reinitialize();
      } catch {
        continue;
      }
      for (const pool of pools) {
        if (pool.state !== 'recovering') continue;
        try {
          pool.open(this.module.slotFor(pool.label), this.opts.pin, this.opts.pinSetting);
          if (this.lost.delete(pool.label)) this.opts.logger?.info({ token: pool.label }, 'PKCS#11 token is back; signing with it again');
        } catch (e) {
          // The PIN was refused: the pool is then `login-failed` and left alone, worth its own line since only a
          // restart ends it. Otherwise still missing; a token that was only paused because another one of the
          // library failed is lost too now, so it is reported (once) like the one that failed.
          if (e instanceof ShakenError && e.code === 'ERR_KEYSTORE_LOGIN_FAILED') {
            this.lost.delete(pool.label);
            this.opts.logger?.error({ token: pool.label, error: pool.lastError, reason: e.reason }, 'PKCS#11 token refused the PIN when logging in again; not retried until a restart');
          } else {
            this.reportLost(pool);
          }
        }
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
