import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { eventually } from '../dashboard/support.js';
import { CertServer } from '../verify/support.js';

const ADMIN = 'admin-token-for-rcd-refresh-0123456789abcdef';
const ORIG = '12025550100';
const LOGO_V1 = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000', 'hex');
const LOGO_V2 = Buffer.from('89504e470d0a1a0a0000000d49484452000000020000000208060000', 'hex');
const sri = (bytes: Buffer) => `sha256-${createHash('sha256').update(bytes).digest('base64')}`;

/** The claims of a signed PASSporT, read without trusting anything but the bytes (the signature is checked elsewhere). */
const claimsOf = (identity: string) => JSON.parse(Buffer.from(identity.split(';')[0]!.split('.')[1]!, 'base64url').toString());

describe('background refresh of RCD linked content (rcd.refreshIntervalMs)', () => {
  let svc: TestService;
  let acct: Provisioned;
  let content: CertServer;

  const metric = async (outcome: string) => {
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`shakenstack_rcd_refresh_total{outcome="${outcome}"}`));
    return line === undefined ? 0 : Number(line.split(' ').pop());
  };

  beforeAll(async () => {
    content = await CertServer.start();
    content.serve('/logo.png', LOGO_V1, { 'content-type': 'image/png' });
    // A profile's content is stale one second after it was fetched; sweeps run every second.
    svc = await startTestService({ tlsCa: content.tlsCaPem, overrides: { adminToken: ADMIN, 'verify.allowPrivateAddresses': true, 'rcd.refreshIntervalMs': 1000 } });
    acct = await svc.provision();
  });
  afterAll(async () => {
    await svc?.stop();
    await content?.stop();
  });

  it('stores new digests when the logo changes, so new signatures match it; a failed fetch keeps them and is counted', async () => {
    const added = await postJson(`${svc.url}/api/admin/accounts/${acct.account.id}/rcd-profiles`, { rcd: { nam: 'Example Bank', icn: content.url('/logo.png') }, tns: [ORIG] }, { authorization: `Bearer ${ADMIN}` });
    expect(added.status).toBe(201);
    const id = added.json.id as string;
    expect(added.json.icnDigest).toBe(sri(LOGO_V1));

    // The brand replaces its logo: a sweep fetches it again and the profile carries the new digest.
    content.serve('/logo.png', LOGO_V2, { 'content-type': 'image/png' });
    await eventually(async () => (await svc.node.store.getRcdProfile(id))?.icnDigest === sri(LOGO_V2), 'the new logo digest');
    expect(await metric('changed')).toBeGreaterThanOrEqual(1);
    // Signing nodes learn of the change as of any profile edit (the store's change notice drops their caches).
    const sign = async () => {
      const signed = await postJson(`${svc.url}/api/stir-shaken/sign`, { orig: { tn: ORIG }, dest: { tn: ['18001234567'] }, attest: 'A', rcd: { profile: id } }, { authorization: `Bearer ${acct.token}` });
      expect(signed.status).toBe(200);
      return claimsOf(signed.json.identity).rcdi;
    };
    await eventually(async () => (await sign())['/icn'] === sri(LOGO_V2), 'signatures with the new digest');
    expect(await sign()).toEqual({ '/icn': sri(LOGO_V2) });

    // The logo goes away: the refresh fails, is counted, and the profile keeps the digest of the logo as last fetched.
    const failedBefore = await metric('failed');
    content.routes.delete('/logo.png');
    await eventually(async () => (await metric('failed')) > failedBefore, 'a counted failure');
    const kept = await svc.node.store.getRcdProfile(id);
    expect(kept?.icnDigest).toBe(sri(LOGO_V2));
    // Its fetch time stays as it was, so the next sweep tries again.
    await eventually(async () => (await metric('failed')) > failedBefore + 1, 'a second try');
    expect((await svc.node.store.getRcdProfile(id))?.contentCheckedAt).toEqual(kept?.contentCheckedAt);
  });
});
