import type { KeyObject } from 'node:crypto';
import { BatchedThread } from './batched-thread.js';
import { ES256_SIGNATURE_BYTES } from '../core/passport.js';
import { verifyEs256 } from '../core/verify/es256.js';
import type { SignatureChecker } from '../core/verify/verify-ports.js';
import { threadScript } from '../store/thread-script.js';

/** One turn's signature checks as the thread gets them: each key once, the signatures end to end. */
export interface SignatureBatch {
  keys: KeyObject[];
  /** Per check, its key's index in `keys`. */
  keyOf: number[];
  inputs: string[];
  /** ES256_SIGNATURE_BYTES per check, in order. */
  signatures: Uint8Array;
}

/** Per check, in order: 1 good, 0 bad, or why the check could not run. */
export type SignatureReply = 0 | 1 | { error: string };

interface Check {
  signingInput: string;
  key: KeyObject;
  signature: Buffer;
}

/** A turn's checks as one message; the signatures in one buffer, handed over rather than copied. */
function encode(checks: readonly Check[]): { message: SignatureBatch; transfer: ArrayBuffer[] } {
  const keys: KeyObject[] = [];
  const keyOf: number[] = [];
  const inputs: string[] = [];
  const signatures = new Uint8Array(checks.length * ES256_SIGNATURE_BYTES);
  for (let i = 0; i < checks.length; i++) {
    const c = checks[i]!;
    let k = keys.indexOf(c.key);
    if (k < 0) k = keys.push(c.key) - 1;
    keyOf.push(k);
    inputs.push(c.signingInput);
    signatures.set(c.signature, i * ES256_SIGNATURE_BYTES);
  }
  return { message: { keys, keyOf, inputs, signatures }, transfer: [signatures.buffer] };
}

const decode = (reply: unknown): boolean | Error => (typeof reply === 'number' ? reply === 1 : new Error((reply as { error: string }).error));

/**
 * PASSporT signature checks on a thread of their own (batched-thread.ts), for a process that has a core to
 * spare beside its event loop. Interleaved on one worker under wrk: 1.23-1.66 × the verifications per second of
 * libuv's pool, the loop's time per request 131 µs against 168 (docs/performance.md, twelfth session). The thread keeps
 * nothing between batches (the keys travel with each batch), so no key outlives its chain in the cache.
 */
export class SignatureThread implements SignatureChecker {
  private readonly thread: BatchedThread<Check, boolean>;

  /** `script`: the thread's code (tests give one that fails). */
  constructor(script: URL = threadScript('verify-fetch/signature-check-thread.js')) {
    this.thread = new BatchedThread(script, { encode, decode }, 'signature thread');
  }

  check(signingInput: string, key: KeyObject, signature: Buffer): Promise<boolean> {
    // Only ES256's raw R||S crosses (the batch lays the signatures end to end); anything else is judged here, as rarely as it comes.
    if (signature.length !== ES256_SIGNATURE_BYTES) return Promise.resolve(verifyEs256(signingInput, key, signature));
    return this.thread.run({ signingInput, key, signature });
  }

  /** Fails what is pending and ends the thread. */
  close(): Promise<void> {
    return this.thread.close();
  }
}
