import { parentPort } from 'node:worker_threads';
import { ES256_SIGNATURE_BYTES } from '../core/passport.js';
import { verifyEs256 } from '../core/verify/es256.js';
import type { SignatureBatch, SignatureReply } from './signature-thread.js';

/*
 * The signature thread (signature-thread.ts): checks each batch's signatures in order and answers each at once, so
 * the first verification of a batch need not wait for the last. Keeps nothing between batches.
 */
const port = parentPort!;

port.on('message', ({ keys, keyOf, inputs, signatures }: SignatureBatch) => {
  for (let i = 0; i < inputs.length; i++) {
    let reply: SignatureReply;
    try {
      const signature = signatures.subarray(i * ES256_SIGNATURE_BYTES, (i + 1) * ES256_SIGNATURE_BYTES);
      reply = verifyEs256(inputs[i]!, keys[keyOf[i]!]!, signature) ? 1 : 0;
    } catch (e) {
      reply = { error: e instanceof Error ? e.message : String(e) };
    }
    port.postMessage(reply);
  }
});
