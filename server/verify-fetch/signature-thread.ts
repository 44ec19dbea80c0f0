import type { KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { ES256_SIGNATURE_BYTES, verifyEs256 } from '../core/verify/es256.js';
import type { SignatureChecker } from '../core/verify/verify-ports.js';
import { TurnBatch } from '../core/turn-batch.js';
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
  resolve(good: boolean): void;
  reject(e: Error): void;
}

/**
 * PASSporT signature checks on a thread of their own (issue 17), for a process that has a core to spare beside its
 * event loop. The checks one event-loop turn asks for go to the thread as one message, and the thread answers each
 * as soon as it is checked, in order.
 *
 * Why not `crypto.verify`'s callback form (libuv's pool): that hands each check over on its own, setting up a job
 * and waking a pool thread for every verification, 15-17 µs of the event loop's time per request on these 2-core
 * VMs (about a tenth of it); a busy thread fed one message per turn is woken rarely. Interleaved on one worker under
 * wrk: 1.23-1.66 × the verifications per second of the pool, the loop's time per request 131 µs against 168
 * (docs/performance.md, twelfth session).
 *
 * The thread keeps nothing between batches (the keys travel with each batch), so no key outlives its chain in the
 * cache. It starts with the first check and is unref'd while nothing is pending, so a CLI process ends without `close`.
 */
export class SignatureThread implements SignatureChecker {
  private worker: Worker | undefined;
  /** Checks sent to the thread, oldest first: its replies come in this order. */
  private sent: Check[] = [];
  private closed = false;
  private readonly batch = new TurnBatch<Check>((checks) => this.send(checks));

  /** `script`: the thread's code (tests give one that fails). */
  constructor(private readonly script: URL = threadScript('verify-fetch/signature-check-thread.js')) {}

  check(signingInput: string, key: KeyObject, signature: Buffer): Promise<boolean> {
    if (this.closed) return Promise.reject(new Error('the signature thread is closed'));
    // Only ES256's raw R||S crosses (the batch lays the signatures end to end); anything else is judged here, as rarely as it comes.
    if (signature.length !== ES256_SIGNATURE_BYTES) return Promise.resolve(verifyEs256(signingInput, key, signature));
    return new Promise((resolve, reject) => void this.batch.push({ signingInput, key, signature, resolve, reject }));
  }

  /** Fails what is pending and ends the thread. */
  async close(): Promise<void> {
    this.closed = true;
    this.batch.flush();
    const worker = this.worker;
    this.worker = undefined;
    this.fail(new Error('the signature thread is closed'));
    await worker?.terminate();
  }

  private send(checks: Check[]): void {
    if (this.closed) {
      for (const c of checks) c.reject(new Error('the signature thread is closed'));
      return;
    }
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
      this.sent.push(c);
    }
    const worker = (this.worker ??= this.spawn());
    worker.ref();
    worker.postMessage({ keys, keyOf, inputs, signatures } satisfies SignatureBatch, [signatures.buffer]);
  }

  private spawn(): Worker {
    const worker = new Worker(this.script);
    worker.on('message', (reply: SignatureReply) => {
      const c = this.sent.shift();
      if (c === undefined) return;
      if (typeof reply === 'number') c.resolve(reply === 1);
      else c.reject(new Error(reply.error));
      if (this.sent.length === 0) worker.unref();
    });
    // A thread that dies (it should not) fails the checks it held; the next check starts another.
    const lost = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.fail(err);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the signature thread exited with code ${code}`)));
    return worker;
  }

  private fail(err: Error): void {
    const sent = this.sent;
    this.sent = [];
    for (const c of sent) c.reject(err);
  }
}
