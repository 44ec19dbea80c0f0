import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/** The floors run as built scripts (dist/bench), as `npm run bench` runs them. */
const built = (path: string) => pathToFileURL(resolve('dist/bench', path)).href;
const { Cleanup } = (await import(built('cleanup.js'))) as typeof import('../../bench/cleanup.js');
const { startNodeFloorSip } = (await import(built('sip/node-floor-sip.js'))) as typeof import('../../bench/sip/node-floor-sip.js');
const { startNodeFloor } = (await import(built('node-floor.bench.js'))) as typeof import('../../bench/node-floor.bench.js');
const { sipInvite } = (await import(built('sip/udp.js'))) as typeof import('../../bench/sip/udp.js');
const { startGrpcFloor } = (await import(built('grpc-sign.bench.js'))) as typeof import('../../bench/grpc-sign.bench.js');
const { startVerifyFloor } = (await import(built('verify.bench.js'))) as typeof import('../../bench/verify.bench.js');

/**
 * The bench's kept floors (issue 17): each start checks that an answer's request-log record is in the journal when
 * the answer arrives (HTTP sign and verify, gRPC, SIP), and the SIP one that a retransmitted INVITE gets its stored 302. These tests start them as
 * the bench does, so a change to the request log or the transaction table that breaks a floor fails here.
 */
describe('the kept floors (bench)', () => {
  const cleanup = new Cleanup();
  const ctx = { cleanup, progress: () => {} } as unknown as Parameters<typeof startNodeFloor>[0];
  afterAll(() => cleanup.runNow());

  it('the SIP floor in kept mode answers a retransmission with the stored 302; the bare floor signs it again', async () => {
    const kept = await startNodeFloorSip(ctx, { kept: true });
    const bare = await startNodeFloorSip(ctx);
    try {
      const invite = (address: string) => {
        const [host, port] = address.split(':') as [string, string];
        return sipInvite(host, Number(port), { orig: '14045266060', dest: '18001234567', timeoutMs: 2_000, sends: 2 });
      };
      const [first, again] = await invite(kept.address);
      expect(first).toMatch(/^SIP\/2\.0 302 /);
      expect(again).toBe(first);
      const [bareFirst, bareAgain] = await invite(bare.address);
      expect(bareFirst).toMatch(/^SIP\/2\.0 302 /);
      expect(bareAgain).toMatch(/^SIP\/2\.0 302 /);
      expect(bareAgain).not.toBe(bareFirst);
    } finally {
      kept.stop();
      bare.stop();
    }
  });

  it('the HTTP floor in kept mode starts with two workers and answers once the record is journaled', async () => {
    const kept = await startNodeFloor(ctx, { kept: { workers: 2 } });
    try {
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => fetch(kept.spec.url, { method: 'POST', headers: kept.spec.headers, body: kept.spec.body }).then((r) => r.status)),
      );
      expect(answers).toEqual(Array(8).fill(200));
      // The floor's process and its two cluster workers.
      expect(kept.sampler.take(true)?.pids.length).toBe(3);
    } finally {
      kept.stop();
    }
  });

  it('the gRPC floor in kept mode answers a stream and unary calls once their records are journaled', async () => {
    for (const mode of ['stream', 'unary'] as const) {
      const kept = await startGrpcFloor(ctx, mode, true);
      try {
        const answers = await Promise.all(Array.from({ length: 8 }, () => kept.client.sign({ orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A' })));
        expect(new Set(answers.map((a) => a.origid)).size).toBe(8);
      } finally {
        await kept.stop();
      }
    }
  });

  it('the verify floor in kept mode starts with two workers and passes tokens once their records are journaled', async () => {
    const kept = await startVerifyFloor(ctx, 2, true);
    try {
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => fetch(kept.spec.url, { method: 'POST', headers: kept.spec.headers, body: kept.spec.body }).then((r) => r.json() as Promise<{ ok?: boolean }>)),
      );
      expect(answers.map((a) => a.ok)).toEqual(Array(8).fill(true));
      expect(kept.sampler.take(true)?.pids.length).toBe(3);
    } finally {
      kept.stop();
    }
  });
});
