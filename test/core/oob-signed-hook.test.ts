import { describe, expect, it } from 'vitest';
import { createSigningService, type SignedPassport } from '../../server/core/sign-service.js';
import type { RcdProfile } from '../../server/core/rcd/rcd-profile.js';
import { coreFixture } from '../helpers/core-fixture.js';

describe('the signing core tells the out-of-band publisher of each shaken PASSporT', () => {
  it('hands over the PASSporT it answered with and the canonical numbers, but never an SBC heartbeat\'s', async () => {
    const f = await coreFixture({ policyMode: 'trust' });
    const seen: SignedPassport[] = [];
    const numbers = { orig: '15550000001', dest: '15550000002', div: '15550000003' };
    const signing = createSigningService({ directory: f.dir, keys: f.keys, clock: f.clock, log: f.dir, cacheTtlMs: 60_000, publicUrl: () => 'https://sti.example.test', heartbeats: { numbers, sink: { heartbeat: () => {} } }, onSigned: (s) => seen.push(s) });
    const call = await signing.handle({ token: f.token, transport: 'http', input: { orig: { tn: '+1 404 526 6060' }, dest: { tn: ['1-202-555-0100'] } } });
    await signing.handle({ token: f.token, transport: 'http', input: { orig: { tn: '15550000001' }, dest: { tn: ['15550000002'] } } });
    expect(seen).toEqual([{ accountId: f.account.id, origTn: '14045266060', destTns: ['12025550100'], passports: [call.passport] }]);
  });

  it('hands over a div PASSporT under the number the call was diverted to, and a separate rcd PASSporT beside its shaken one', async () => {
    const f = await coreFixture({ policyMode: 'trust' });
    const seen: SignedPassport[] = [];
    const profiles: RcdProfile[] = [
      { id: 'rcd_1', accountId: f.account.id, rcd: { nam: 'Example Bank' }, crn: [], tns: ['14045266060'], prefixes: [], placement: 'rcd', icnDigest: null, jclDigest: null, contentCheckedAt: new Date(0), createdAt: new Date(0) },
    ];
    (f.dir as { listRcdProfiles: () => Promise<RcdProfile[]> }).listRcdProfiles = async () => profiles;
    const signing = createSigningService({ directory: f.dir, keys: f.keys, clock: f.clock, log: f.dir, cacheTtlMs: 60_000, publicUrl: () => 'https://sti.example.test', onSigned: (s) => seen.push(s) });
    const caller = { accountId: f.account.id, apiKeyId: 'key_00000000000000aa', sourceKind: 'customer' as const, transport: 'http' as const };
    const branded = await signing.signAs(caller, { orig: { tn: '14045266060' }, dest: { tn: ['12025550100'] }, rcd: { profile: 'rcd_1' } });
    const rcdPassport = branded.rcd!.identity!.split(';')[0]!;
    const div = await signing.signDiv(caller, { orig: { tn: '14045266060' }, dest: { tn: ['13035550100'] }, div: { tn: '12025550100' } });
    expect(seen).toEqual([
      { accountId: f.account.id, origTn: '14045266060', destTns: ['12025550100'], passports: [branded.passport, rcdPassport] },
      { accountId: f.account.id, origTn: '14045266060', destTns: ['13035550100'], passports: [div.passport] },
    ]);
  });

  it('signs a CPS request token with the account credential, naming its SPC', async () => {
    const f = await coreFixture({ policyMode: 'trust' });
    const signing = createSigningService({ directory: f.dir, keys: f.keys, clock: f.clock, log: f.dir, cacheTtlMs: 60_000, publicUrl: () => 'https://sti.example.test' });
    const token = await signing.signToken(f.account.id, (spc) => ({ iss: spc, action: 'retrieve' }));
    const [h, p] = token.split('.').slice(0, 2).map((s) => JSON.parse(Buffer.from(s, 'base64url').toString()) as Record<string, unknown>);
    expect(h).toEqual({ alg: 'ES256', x5u: expect.any(String) });
    expect(p).toEqual({ iss: expect.stringMatching(/\S/), action: 'retrieve' });
    expect(token.split('.')[2]).toHaveLength(86);
  });
});
