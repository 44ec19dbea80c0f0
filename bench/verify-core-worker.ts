import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { parseTrustAnchors, staticTrustSource } from '../server/core/verify/trust-anchors.js';
import { createVerifier } from '../server/core/verify/verify-service.js';

const IN_FLIGHT = 8;

/** Input of one worker: the chain its verifier "fetches" (from memory), the root it trusts, the leaf key to sign with. */
export interface CoreWorkerData {
  chainPem: string;
  rootPem: string;
  leafKeyPem: string;
  ms: number;
}

/**
 * One thread running the verification core as the transports call it, warm cache: the chain comes from memory
 * once, then every call parses the header, judges it and verifies the signature, 8 calls in flight. Posts
 * verifications per second.
 */
async function main(): Promise<void> {
  const d = workerData as CoreWorkerData;
  const x5u = 'https://cert.example.net/sti/cert.pem';
  const body = Buffer.from(d.chainPem);
  const verifier = createVerifier({
    fetcher: { fetch: async () => ({ ok: true, body, contentType: 'application/pem-certificate-chain', maxAgeMs: 3_600_000 }) },
    trust: staticTrustSource(parseTrustAnchors([{ name: 'root', text: d.rootPem }], 1)),
    clock: { now: () => Date.now() },
    options: { maxAgeSec: 60, crlPolicy: 'off' },
  });
  const key = createPrivateKey(d.leafKeyPem);
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64({ alg: 'ES256', ppt: 'shaken', typ: 'passport', x5u })}.${b64({ attest: 'A', dest: { tn: ['18001234567'] }, iat: Math.floor(Date.now() / 1000), orig: { tn: '14045266060' }, origid: randomUUID() })}`;
  const identity = `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')};info=<${x5u}>;alg=ES256;ppt=shaken`;
  const request = { identity, origTn: '14045266060', destTn: ['18001234567'] };
  const first = await verifier.verify(request);
  if (!first.ok) throw new Error(`the core refused the bench token: ${first.reason} ${first.reasonText}`);
  // Several calls in flight, as a transport has. The signature is checked on this thread (the core's default, as
  // in a process with an event loop on every core), so the figure is what one thread of the core can do.
  const run = async (ms: number) => {
    const t0 = performance.now();
    let n = 0;
    const loop = async () => {
      while (performance.now() - t0 < ms) {
        for (let i = 0; i < 32; i++) await verifier.verify(request);
        n += 32;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, loop));
    return n / ((performance.now() - t0) / 1000);
  };
  await run(300);
  parentPort!.postMessage(await run(d.ms));
}

void main().catch((e: unknown) => {
  throw e;
});
