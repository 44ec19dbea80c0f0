import type { KeyObject } from 'node:crypto';
import { BatchedThread } from '../../server/batched-thread.js';
import { threadScript } from '../../server/store/thread-script.js';

/** One turn's signatures as the thread gets them: each key once, the inputs end to end. */
export interface SignBatch {
  keys: KeyObject[];
  /** Per signature, its key's index in `keys`. */
  keyOf: number[];
  /** Per signature, where its input ends in `data` (it starts where the one before ended). */
  ends: number[];
  data: Uint8Array;
}

/** Per signature, in order: the raw R||S (handed over), or why it could not be made. */
export type SignReply = Uint8Array | { error: string };

interface Job {
  key: KeyObject;
  data: Uint8Array;
}

function encode(jobs: readonly Job[]): { message: SignBatch; transfer: ArrayBuffer[] } {
  const keys: KeyObject[] = [];
  const keyOf: number[] = [];
  const ends: number[] = [];
  let total = 0;
  for (const j of jobs) total += j.data.byteLength;
  const data = new Uint8Array(total);
  let at = 0;
  for (const j of jobs) {
    let k = keys.indexOf(j.key);
    if (k < 0) k = keys.push(j.key) - 1;
    keyOf.push(k);
    data.set(j.data, at);
    at += j.data.byteLength;
    ends.push(at);
  }
  return { message: { keys, keyOf, ends, data }, transfer: [data.buffer] };
}

const decode = (reply: unknown): Uint8Array | Error =>
  reply instanceof Uint8Array ? Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength) : new Error((reply as { error: string }).error);

/**
 * The software key store's ES256 signatures on a thread of the store's own (server/batched-thread.ts), for a process
 * with a core to spare beside its event loop. The private key crosses to that thread as a KeyObject, within the
 * process, and is not kept there after the batch. Interleaved on one worker under wrk (HTTP sign, 64 connections,
 * four rounds): 1.30-1.41 × the requests per second of signing on the event loop, the loop's time per request 93 µs
 * against 157 (docs/performance.md, twelfth session).
 */
export class SignOnThread {
  private readonly thread: BatchedThread<Job, Uint8Array>;

  /** `script`: the thread's code (tests give one that fails). */
  constructor(script: URL = threadScript('../hsm/software/sign-thread.js')) {
    this.thread = new BatchedThread(script, { encode, decode }, 'software signing thread');
  }

  sign(key: KeyObject, data: Uint8Array): Promise<Uint8Array> {
    return this.thread.run({ key, data });
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
