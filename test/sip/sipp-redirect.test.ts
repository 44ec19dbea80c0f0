import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureSipp302, sippPath } from '../../bench/sip/sipp.js';
import { startTestService, type Provisioned, type TestService } from '../helpers/service.js';

const missing = sippPath() ? undefined : 'not installed: sipp (Debian package sip-tester)';
if (missing) console.warn(`test/sip/sipp-redirect: skipped, ${missing}`);

/** sipp, an independent SIP implementation, as the UAC: INVITE → 302 with Identity → ACK, at a steady rate. */
describe.skipIf(missing !== undefined)('SIP redirect server under sipp', () => {
  let svc: TestService;
  let acct: Provisioned;
  beforeAll(async () => {
    svc = await startTestService({ sip: true });
    acct = await svc.provision({ defaultAttest: 'A', maxAttest: 'A', sipSource: '127.0.0.1' });
  });
  afterAll(() => svc.stop());

  it('answers every call of a 100 calls/s run with a 302 carrying Identity, and logs each one', async () => {
    const r = await measureSipp302(`127.0.0.1:${svc.node.sipPort}`, { rate: 100, durationSec: 2, orig: '14045266060', dest: '18001234567' });
    expect(r).toMatchObject({ calls: 200, successful: 200, failed: 0 });
    await expect
      .poll(async () => (await svc.node.store.queryRequestLog({ accountId: acct.account.id, transport: 'sip', limit: 1000 })).filter((x) => x.outcome === 'ok').length, { timeout: 5000 })
      .toBe(200);
  });
});
