import { sign } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { SignBatch, SignReply } from './sign-on-thread.js';

/*
 * The software key store's signing thread (sign-on-thread.ts): signs each batch's inputs in order (ES256, raw R||S)
 * and answers each at once, handing its signature over. Keeps nothing between batches.
 */
const port = parentPort!;

port.on('message', ({ keys, keyOf, ends, data }: SignBatch) => {
  let from = 0;
  for (let i = 0; i < ends.length; i++) {
    try {
      // A copy of its own, so its buffer can be handed over (a signature Buffer may share Node's pool slab).
      const signature = new Uint8Array(sign('sha256', data.subarray(from, ends[i]), { key: keys[keyOf[i]!]!, dsaEncoding: 'ieee-p1363' }));
      port.postMessage(signature satisfies SignReply, [signature.buffer as ArrayBuffer]);
    } catch (e) {
      port.postMessage({ error: e instanceof Error ? e.message : String(e) } satisfies SignReply);
    }
    from = ends[i]!;
  }
});
