import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSecsipid302 } from '../../bench/sip/kamailio-secsipid-302.bench.js';
import { measureSipp302 } from '../../bench/sip/sipp.js';
import { missingSipPeers, startKamailio, type RunningKamailio } from '../helpers/kamailio.js';

const missing = missingSipPeers();
if (missing) console.warn(`test/sip-peers/bench-sipp: skipped, ${missing}`);

/** The benchmark's pieces at a gentle rate: the reference 302 signer, the sipp scenario and its parsing. */
describe.skipIf(missing !== undefined)('SIP 302 benchmark tools (bench/sip)', () => {
  let reference: RunningKamailio;
  let no302: RunningKamailio;

  beforeAll(async () => {
    reference = await startSecsipid302({ children: 2 });
    // Answers INVITE with 428, never 302: every call of the scenario must fail against it.
    no302 = await startKamailio({ cfg: join(dirname(fileURLToPath(import.meta.url)), 'kamailio-secsipid-verify.cfg') });
  });
  afterAll(async () => {
    await reference?.stop();
    await no302?.stop();
  });

  it('counts every call answered 302 with an Identity header by Kamailio secsipid as successful, with its response times', async () => {
    const r = await measureSipp302(reference.address, { rate: 50, durationSec: 1 });
    expect(r.calls).toBe(50);
    expect(r.successful).toBe(50);
    expect(r.failed).toBe(0);
    expect(r.callsPerSec).toBeGreaterThan(0);
    expect(r.rttSamples).toBe(50);
    expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms);
  });

  it('counts every call failed when the answer is not a 302 with Identity', async () => {
    const r = await measureSipp302(no302.address, { rate: 20, durationSec: 1, recvTimeoutMs: 1_000 });
    expect(r.calls).toBe(20);
    expect(r.successful).toBe(0);
    expect(r.failed).toBe(20);
  });

  it('rejects a target that is not host:port', async () => {
    await expect(measureSipp302('127.0.0.1', { rate: 1, durationSec: 1 })).rejects.toThrow(/host:port/);
  });
});
