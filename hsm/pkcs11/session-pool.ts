import { SessionFlag, UserType, type Session, type Slot } from 'graphene-pk11';
import { ShakenError } from '../../server/core/errors.js';
import { ckrName, isKeyUnfit, isPinRefused, isPkcs11Failure, loginFailed, tokenUnavailable } from './pkcs11-errors.js';
import type { SignThreads } from './sign-threads.js';
import { findKey, type TokenKey } from './token-keys.js';
import type { Pkcs11KeyRef } from './pkcs11-uri.js';

/** `recovering`: sessions lost, the store is reconnecting. `login-failed`: the PIN was refused; not retried. */
export type TokenState = 'ok' | 'recovering' | 'login-failed';

/** A key found through this pool, stamped with the pool generation its handle belongs to. */
export interface PooledKey extends TokenKey {
  generation: number;
}

interface Waiter {
  resolve(session: Session): void;
  reject(error: Error): void;
}

/**
 * The logged-in sessions of one token. A PKCS#11 session runs one operation at a time, so each signature takes
 * a session for itself and callers beyond the pool size wait in arrival order. While the token is not `ok`,
 * calls fail at once instead of queueing behind a dead device.
 */
export class SessionPool {
  state: TokenState = 'recovering';
  /** The last fault's CKR_ name, for health output and logs. */
  lastError: string | undefined;
  private slot: Slot | undefined;
  private sessions: Session[] = [];
  private free: Session[] = [];
  private busy = 0;
  private waiters: Waiter[] = [];
  private idle: (() => void)[] = [];
  /** Bumped by every open(): object handles are only valid until the module is re-initialised. */
  private generation = 0;
  private keys = new Map<string, Promise<PooledKey>>();

  constructor(
    readonly label: string,
    private readonly size: number,
    private readonly onFault: (pool: SessionPool) => void,
    private readonly signer: SignThreads,
  ) {}

  /** Opens the sessions and logs in once: login state belongs to the application, not the session (PKCS#11 §5.6). */
  open(slot: Slot, pin: string, pinSetting?: string): void {
    try {
      for (let i = 0; i < this.size; i++) this.sessions.push(slot.open(SessionFlag.SERIAL_SESSION));
      try {
        this.sessions[0]!.login(pin, UserType.USER);
      } catch (e) {
        if (ckrName(e) !== 'CKR_USER_ALREADY_LOGGED_IN') throw e;
      }
    } catch (e) {
      this.closeSessions();
      this.lastError = ckrName(e);
      if (isPinRefused(e)) {
        this.state = 'login-failed';
        throw loginFailed(this.label, e, pinSetting);
      }
      throw e;
    }
    this.slot = slot;
    this.free = [...this.sessions];
    this.generation++;
    this.keys.clear();
    this.state = 'ok';
    this.lastError = undefined;
  }

  /** Stops handing out sessions, fails waiting callers; in-flight calls finish on their own. */
  suspend(): void {
    if (this.state === 'ok') this.state = 'recovering';
    this.free = [];
    for (const w of this.waiters.splice(0)) w.reject(this.unavailable());
  }

  /** Resolves once no call is using a session, so the module can be finalised without a call in flight. */
  drained(): Promise<void> {
    return this.busy === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }

  /** Closes every session, ignoring errors: after a fault most handles are already dead. */
  closeSessions(): void {
    for (const s of this.sessions) {
      try {
        s.close();
      } catch {
        // The session died with the token; nothing to release.
      }
    }
    this.sessions = [];
    this.free = [];
  }

  /** Asks the token for its info; a failure marks the pool faulty (health checks find a dead token without traffic). */
  probe(): void {
    if (this.state !== 'ok') return;
    try {
      this.slot!.getToken();
    } catch (e) {
      this.fault(e);
    }
  }

  key(refText: string, ref: Pkcs11KeyRef): Promise<PooledKey> {
    let found = this.keys.get(refText);
    if (!found) {
      found = this.withSession(async (s) => ({ ...findKey(s, ref), generation: this.generation }));
      this.keys.set(refText, found);
      // Not-found and unfit keys are asked again next time: an operator may be fixing the token right now.
      found.catch(() => this.keys.get(refText) === found && this.keys.delete(refText));
    }
    return found;
  }

  /**
   * CKM_ECDSA over a SHA-256 digest; the token answers raw R||S, the JWS ES256 form (RFC 7518 §3.4). C_SignInit
   * and C_Sign both run on a signing thread (sign-threads.ts): SoftHSM does most of its work in C_SignInit.
   */
  sign(key: PooledKey, digest: Buffer): Promise<Buffer> {
    return this.withSession(async (s) => {
      // A handle found before a reconnection may name another object now; the caller asks again.
      if (key.generation !== this.generation) throw tokenUnavailable(this.label);
      return this.signer.sign(s.handle, key.privateKey.handle, digest);
    });
  }

  /** A session opened for one administrative task (key generation needs read/write). */
  openReadWrite(): Session {
    if (this.state !== 'ok') throw this.unavailable();
    return this.slot!.open(SessionFlag.SERIAL_SESSION | SessionFlag.RW_SESSION);
  }

  async withSession<T>(work: (session: Session) => Promise<T>): Promise<T> {
    const session = await this.acquire();
    try {
      return await work(session);
    } catch (e) {
      if (e instanceof ShakenError || !isPkcs11Failure(e)) throw e;
      if (isKeyUnfit(e)) {
        throw new ShakenError('ERR_CRED_INVALID', `token "${this.label}" refused to sign with the key (${ckrName(e)})`, { field: 'keyRef', cause: e });
      }
      this.fault(e);
      throw tokenUnavailable(this.label, e);
    } finally {
      this.release(session);
    }
  }

  private acquire(): Promise<Session> {
    if (this.state !== 'ok') return Promise.reject(this.unavailable());
    const s = this.free.pop();
    if (s) {
      this.busy++;
      return Promise.resolve(s);
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private release(session: Session): void {
    if (this.state === 'ok') {
      const next = this.waiters.shift();
      if (next) return next.resolve(session);
      this.free.push(session);
    }
    if (--this.busy === 0) for (const done of this.idle.splice(0)) done();
  }

  private fault(e: unknown): void {
    if (this.state !== 'ok') return;
    this.lastError = ckrName(e) ?? 'module error';
    this.suspend();
    this.onFault(this);
  }

  private unavailable(): ShakenError {
    if (this.state === 'login-failed') {
      return new ShakenError('ERR_KEYSTORE_LOGIN_FAILED', `token "${this.label}" refused the PIN; fix the PIN and restart`);
    }
    return new ShakenError('ERR_KEYSTORE_UNAVAILABLE', `PKCS#11 token "${this.label}" is unavailable${this.lastError ? ` (${this.lastError})` : ''}; reconnecting`);
  }
}
