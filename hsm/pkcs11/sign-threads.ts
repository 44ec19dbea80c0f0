import { Worker } from 'node:worker_threads';
import { threadScript } from '../../server/store/thread-script.js';

/** Where a sign call's inputs and output sit in a thread's shared block (each handle length-prefixed). */
export const SIGN_SLOT = {
  session: 0,
  key: 16,
  digest: 32,
  digestBytes: 32,
  signature: 64,
  // Larger than ES256's 64 bytes so any EC key's raw R||S fits; the pool only admits P-256 keys.
  signatureBytes: 256,
} as const;
const SHARED_BYTES = SIGN_SLOT.signature + SIGN_SLOT.signatureBytes;
const HANDLE_MAX = SIGN_SLOT.key - SIGN_SLOT.session - 1;

export interface SignThreadData {
  modulePath: string;
  shared: SharedArrayBuffer;
}

export type SignThreadReply = { ok: true; length: number } | { ok: false; name: string; message: string };

interface Job {
  session: Buffer;
  key: Buffer;
  digest: Buffer;
  resolve(signature: Buffer): void;
  reject(error: Error): void;
}

interface Thread {
  worker: Worker;
  bytes: Uint8Array;
  job: Job | undefined;
}

/**
 * Threads that run C_SignInit + C_Sign for the session pools, one signature at a time each, jobs waiting in
 * order. The inputs and the signature pass through a block of shared memory per thread, so a call costs the
 * event loop two small messages rather than SoftHSM's C_SignInit (pkcs11js has no callback form of it).
 * Threads start with the first signature and are unref'd while idle, so a CLI command ends without `close`.
 */
export class SignThreads {
  private readonly threads: (Thread | undefined)[];
  private readonly queue: Job[] = [];
  private closed = false;

  constructor(
    private readonly modulePath: string,
    count: number,
  ) {
    this.threads = new Array<Thread | undefined>(Math.max(1, count)).fill(undefined);
  }

  /** CKM_ECDSA over `digest` with `key` in `session`; rejects with the library's error (name and CKR_ message kept). */
  sign(session: Buffer, key: Buffer, digest: Buffer): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error('the PKCS#11 signing threads are closed'));
    if (session.length > HANDLE_MAX || key.length > HANDLE_MAX || digest.length !== SIGN_SLOT.digestBytes) {
      return Promise.reject(new TypeError(`unexpected handle or digest size (${session.length}, ${key.length}, ${digest.length})`));
    }
    return new Promise((resolve, reject) => {
      const job = { session, key, digest, resolve, reject };
      const i = this.threads.findIndex((t) => t?.job === undefined);
      if (i < 0) this.queue.push(job);
      else this.start(i, job);
    });
  }

  /** Ends the threads; a signature in flight is rejected. The store calls it after its pools drained. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('the PKCS#11 signing threads are closed'));
    await Promise.all(this.threads.map((t) => t?.worker.terminate()));
    this.threads.fill(undefined);
  }

  private start(i: number, job: Job): void {
    const t = (this.threads[i] ??= this.spawn(i));
    t.job = job;
    t.bytes[SIGN_SLOT.session] = job.session.length;
    t.bytes.set(job.session, SIGN_SLOT.session + 1);
    t.bytes[SIGN_SLOT.key] = job.key.length;
    t.bytes.set(job.key, SIGN_SLOT.key + 1);
    t.bytes.set(job.digest, SIGN_SLOT.digest);
    t.worker.ref();
    t.worker.postMessage(0);
  }

  private spawn(i: number): Thread {
    const shared = new SharedArrayBuffer(SHARED_BYTES);
    const worker = new Worker(threadScript('../hsm/pkcs11/sign-thread.js'), { workerData: { modulePath: this.modulePath, shared } satisfies SignThreadData });
    const t: Thread = { worker, bytes: new Uint8Array(shared), job: undefined };
    worker.on('message', (reply: SignThreadReply) => {
      const job = t.job!;
      if (reply.ok) job.resolve(Buffer.from(t.bytes.slice(SIGN_SLOT.signature, SIGN_SLOT.signature + reply.length)));
      else job.reject(Object.assign(new Error(reply.message), { name: reply.name }));
      this.next(i, t);
    });
    // A thread that dies (it should not) fails its call and is replaced by the next signature.
    worker.on('error', (err) => this.lost(i, t, err));
    worker.on('exit', (code) => this.lost(i, t, new Error(`PKCS#11 signing thread exited with code ${code}`)));
    return t;
  }

  private next(i: number, t: Thread): void {
    t.job = undefined;
    const job = this.queue.shift();
    if (job) return this.start(i, job);
    t.worker.unref();
  }

  private lost(i: number, t: Thread, err: Error): void {
    if (this.threads[i] !== t) return;
    this.threads[i] = undefined;
    t.job?.reject(err);
    const job = this.closed ? undefined : this.queue.shift();
    if (job) this.start(i, job);
  }
}
