import { compactVerify, decodeProtectedHeader, importSPKI } from 'jose';
import { createPublicKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLabPki, issueLeaf, type LabPki } from '../../server/pki/lab-pki.js';
import { SIGN_CASES } from '../cases/sign-cases.js';
import { coreFixture, FakeClock, X5U, type CoreFixture } from '../helpers/core-fixture.js';

const body = { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A' };

async function joseKey(pki: LabPki) {
  const spki = createPublicKey(pki.leaf.certPem).export({ type: 'spki', format: 'pem' }) as string;
  return importSPKI(spki, 'ES256');
}

describe('signing service', () => {
  let f: CoreFixture;
  beforeAll(async () => {
    f = await coreFixture({ maxAttest: 'A', defaultAttest: 'A' });
  });

  it('emits a PASSporT that jose verifies with the certificate key, with the exact SHAKEN header', async () => {
    const r = await f.signing.handle({ token: f.token, transport: 'http', input: body });
    const [jws, ...params] = r.identity.split(';');
    expect(params).toEqual([`info=<${X5U}>`, 'alg=ES256', 'ppt=shaken']);
    expect(jws).toBe(r.passport);
    const { payload, protectedHeader } = await compactVerify(r.passport, await joseKey(f.pki));
    expect(protectedHeader).toEqual({ alg: 'ES256', ppt: 'shaken', typ: 'passport', x5u: X5U });
    expect(Object.keys(decodeProtectedHeader(r.passport))).toEqual(['alg', 'ppt', 'typ', 'x5u']);
    const text = new TextDecoder().decode(payload);
    expect(text).toBe(`{"attest":"A","dest":{"tn":["18001234567"]},"iat":${Math.floor(f.clock.ms / 1000)},"orig":{"tn":"14045266060"},"origid":"${r.origid}"}`);
  });

  it('writes the signature as raw 64-byte R||S (86 base64url characters), not DER', async () => {
    const r = await f.signing.handle({ token: f.token, transport: 'http', input: body });
    const sig = r.passport.split('.')[2]!;
    expect(sig).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(Buffer.from(sig, 'base64url')).toHaveLength(64);
  });

  it('keeps an origid given by the caller and makes a fresh UUID otherwise', async () => {
    const given = 'de305d54-75b4-431b-adb2-eb6b9e546014';
    expect((await f.signing.handle({ token: f.token, transport: 'http', input: { ...body, origid: given } })).origid).toBe(given);
    const a = await f.signing.handle({ token: f.token, transport: 'http', input: body });
    const b = await f.signing.handle({ token: f.token, transport: 'http', input: body });
    expect(a.origid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.origid).not.toBe(b.origid);
  });

  it('accepts a caller iat within the token TTL and refuses one outside it', async () => {
    const now = Math.floor(f.clock.ms / 1000);
    expect((await f.signing.handle({ token: f.token, transport: 'http', input: { ...body, iat: now - 60 } })).iat).toBe(now - 60);
    await expect(f.signing.handle({ token: f.token, transport: 'http', input: { ...body, iat: now - 61 } })).rejects.toMatchObject({ code: 'ERR_REQ_IAT_STALE', field: 'iat' });
    await expect(f.signing.handle({ token: f.token, transport: 'http', input: { ...body, iat: now + 61 } })).rejects.toMatchObject({ code: 'ERR_REQ_IAT_STALE' });
  });

  it('canonicalises numbers before they are signed', async () => {
    const r = await f.signing.handle({ token: f.token, transport: 'http', input: { orig: { tn: '+1 (404) 526-6060' }, dest: { tn: ['+1-800-123-4567'] } } });
    const claims = JSON.parse(Buffer.from(r.passport.split('.')[1]!, 'base64url').toString());
    expect(claims.orig).toEqual({ tn: '14045266060' });
    expect(claims.dest).toEqual({ tn: ['18001234567'] });
  });

  it('reads the directory once and then serves accounts and keys from memory until invalidated', async () => {
    const g = await coreFixture();
    await g.signing.handle({ token: g.token, transport: 'http', input: body });
    const after = g.dir.reads;
    await g.signing.handle({ token: g.token, transport: 'http', input: body });
    expect(g.dir.reads).toBe(after);
    g.signing.invalidate();
    await g.signing.handle({ token: g.token, transport: 'http', input: body });
    expect(g.dir.reads).toBeGreaterThan(after);
  });

  it('records one request-log entry per call, with outcome, attestation and error code', async () => {
    const g = await coreFixture();
    await g.signing.handle({ token: g.token, transport: 'grpc', input: { ...body, attest: 'A' } });
    await expect(g.signing.handle({ token: g.token, transport: 'http', input: { orig: { tn: 'x' }, dest: body.dest } })).rejects.toThrow();
    expect(g.dir.log).toHaveLength(2);
    expect(g.dir.log[0]).toMatchObject({ outcome: 'ok', transport: 'grpc', accountId: g.account.id, apiKeyId: 'key_00000000000000aa', orig: '14045266060', dest: '18001234567', attestRequested: 'A', attestApplied: 'B', errorCode: null });
    expect(g.dir.log[1]).toMatchObject({ outcome: 'error', errorCode: 'ERR_TN_INVALID', accountId: g.account.id, attestApplied: null });
    expect(g.dir.log[0]!.latencyUs).toBeGreaterThan(0);
  });
});

describe('shared sign cases through the core', () => {
  let f: CoreFixture;
  beforeAll(async () => {
    f = await coreFixture({ maxAttest: 'B', defaultAttest: 'B' });
  });
  for (const c of SIGN_CASES) {
    it(c.title, async () => {
      const run = f.signing.handle({ token: f.token, transport: 'http', input: c.body, headerAttest: c.headerAttest });
      if (c.outcome.ok) {
        await expect(run).resolves.toMatchObject({ attest: c.outcome.attest, downgraded: c.outcome.downgraded });
      } else {
        await expect(run).rejects.toMatchObject({ code: c.outcome.code, ...(c.outcome.field ? { field: c.outcome.field } : {}) });
      }
    });
  }
});

describe('authentication', () => {
  let f: CoreFixture;
  beforeAll(async () => {
    f = await coreFixture();
  });
  const call = (token: string | undefined) => f.signing.handle({ token, transport: 'http', input: body });

  it('refuses a request without an API key', async () => {
    await expect(call(undefined)).rejects.toMatchObject({ code: 'ERR_AUTH_MISSING' });
  });
  it('refuses a malformed or unknown key, and a known id with the wrong secret', async () => {
    await expect(call('nonsense')).rejects.toMatchObject({ code: 'ERR_AUTH_INVALID' });
    await expect(call('ssk_00000000000000bb_' + 'a'.repeat(43))).rejects.toMatchObject({ code: 'ERR_AUTH_INVALID' });
    await expect(call(f.token.slice(0, -1) + (f.token.endsWith('a') ? 'b' : 'a'))).rejects.toMatchObject({ code: 'ERR_AUTH_INVALID' });
  });
  it('refuses a revoked key once the cache is invalidated', async () => {
    await expect(call(f.token)).resolves.toBeDefined();
    f.dir.apiKeys.get('key_00000000000000aa')!.revokedAt = new Date();
    f.signing.invalidate();
    await expect(call(f.token)).rejects.toMatchObject({ code: 'ERR_AUTH_REVOKED' });
    // Logged against its account, so an operator can see who still uses a revoked key.
    expect(f.dir.log.at(-1)).toMatchObject({ outcome: 'error', errorCode: 'ERR_AUTH_REVOKED', accountId: f.account.id, apiKeyId: 'key_00000000000000aa' });
    f.dir.apiKeys.get('key_00000000000000aa')!.revokedAt = null;
  });
  it('checks a remembered key again once the cache TTL has passed, even without an invalidation', async () => {
    const g = await coreFixture();
    const callG = (token: string) => g.signing.handle({ token, transport: 'http', input: body });
    await expect(callG(g.token)).resolves.toBeDefined();
    g.dir.apiKeys.get('key_00000000000000aa')!.revokedAt = new Date();
    await expect(callG(g.token)).resolves.toBeDefined();
    g.clock.advance(60_001);
    await expect(callG(g.token)).rejects.toMatchObject({ code: 'ERR_AUTH_REVOKED' });
  });

  it('refuses a key whose account is disabled', async () => {
    f.dir.accounts.get(f.account.id)!.enabled = false;
    f.signing.invalidate();
    await expect(call(f.token)).rejects.toMatchObject({ code: 'ERR_AUTH_ACCOUNT_DISABLED' });
    f.dir.accounts.get(f.account.id)!.enabled = true;
    f.signing.invalidate();
  });
});

describe('credential usability', () => {
  it('refuses to sign for an account without an active credential', async () => {
    const f = await coreFixture();
    f.dir.credentials = [];
    f.signing.invalidate();
    await expect(f.signing.handle({ token: f.token, transport: 'http', input: body })).rejects.toMatchObject({ code: 'ERR_CRED_NONE' });
  });

  it('refuses an expired certificate, and one that expires while cached', async () => {
    const clock = new FakeClock();
    const pki = await createLabPki({ leafNotBefore: new Date(clock.ms - 86400_000), leafNotAfter: new Date(clock.ms + 1000) });
    const f = await coreFixture({ pki, clock });
    await expect(f.signing.handle({ token: f.token, transport: 'http', input: body })).resolves.toBeDefined();
    clock.advance(2000);
    await expect(f.signing.handle({ token: f.token, transport: 'http', input: body })).rejects.toMatchObject({ code: 'ERR_CRED_EXPIRED' });
    f.signing.invalidate();
    await expect(f.signing.handle({ token: f.token, transport: 'http', input: body })).rejects.toMatchObject({ code: 'ERR_CRED_EXPIRED' });
  });

  it('refuses a certificate that is not valid yet', async () => {
    const clock = new FakeClock();
    const pki = await createLabPki({ leafNotBefore: new Date(clock.ms + 3600_000), leafNotAfter: new Date(clock.ms + 7200_000) });
    const f = await coreFixture({ pki, clock });
    await expect(f.signing.handle({ token: f.token, transport: 'http', input: body })).rejects.toMatchObject({ code: 'ERR_CRED_NOT_YET_VALID' });
  });

  it('never signs when the key does not match the certificate', async () => {
    const f = await coreFixture();
    const other = await issueLeaf(f.pki.intermediate, { leafNotBefore: new Date(f.clock.ms - 3600_000), leafNotAfter: new Date(f.clock.ms + 86400_000) });
    f.dir.credentials[0]!.chainPem = other.chainPem;
    f.signing.invalidate();
    await expect(f.signing.handle({ token: f.token, transport: 'http', input: body })).rejects.toMatchObject({ code: 'ERR_CRED_KEY_MISMATCH' });
  });
});

describe('attestation policy in the signing path', () => {
  const call = (f: CoreFixture, orig = '14045266060', attest = 'A') => f.signing.handle({ token: f.token, transport: 'http', input: { orig: { tn: orig }, dest: { tn: ['18001234567'] }, attest } });

  it('signs A for a number in the inventory and B with the reason for one outside it', async () => {
    const f = await coreFixture({ maxAttest: 'A', policyMode: 'enforce' });
    f.dir.inventory.set(f.account.id, [{ kind: 'range', start: '14045266000', count: 100 }]);
    await expect(call(f)).resolves.toMatchObject({ attest: 'A', downgraded: false, attestReason: 'requested' });
    await expect(call(f, '14045267000')).resolves.toMatchObject({ attest: 'B', downgraded: true, attestReason: 'tn-not-in-inventory' });
    expect(f.dir.log.at(-1)).toMatchObject({ attestApplied: 'B', attestReason: 'tn-not-in-inventory' });
  });

  it('loads an inventory once, not per call, and never in trust mode', async () => {
    const f = await coreFixture({ maxAttest: 'A', policyMode: 'enforce' });
    f.dir.inventory.set(f.account.id, [{ kind: 'tn', tn: '14045266060' }]);
    for (let i = 0; i < 5; i++) await call(f);
    expect(f.dir.inventoryLoads).toBe(1);
    const t = await coreFixture({ maxAttest: 'A', policyMode: 'trust' });
    await expect(call(t, '19995550000')).resolves.toMatchObject({ attest: 'A' });
    expect(t.dir.inventoryLoads).toBe(0);
  });

  it('picks up an inventory change: the old inventory answers while the new one loads, then the new one', async () => {
    const f = await coreFixture({ maxAttest: 'A', policyMode: 'enforce' });
    f.dir.inventory.set(f.account.id, [{ kind: 'tn', tn: '14045266060' }]);
    await expect(call(f)).resolves.toMatchObject({ attest: 'A' });
    f.dir.inventory.set(f.account.id, [{ kind: 'tn', tn: '15550001111' }]);
    f.dir.accounts.get(f.account.id)!.inventoryVersion++;
    f.signing.invalidate();
    await expect(call(f)).resolves.toMatchObject({ attest: 'A' });
    await expect.poll(async () => (await call(f)).attest).toBe('B');
    await expect(call(f, '15550001111')).resolves.toMatchObject({ attest: 'A' });
  });

  it('signs C for a gateway key and says why', async () => {
    const f = await coreFixture({ maxAttest: 'A', policyMode: 'enforce', sourceKind: 'gateway' });
    f.dir.inventory.set(f.account.id, [{ kind: 'prefix', prefix: '1' }]);
    await expect(call(f)).resolves.toMatchObject({ attest: 'C', attestReason: 'gateway-source' });
  });

  it('refuses an anonymous caller when the account says not to sign them', async () => {
    const f = await coreFixture({ maxAttest: 'A', policyMode: 'enforce', nonNumericOrig: 'refuse' });
    await expect(f.signing.handle({ token: f.token, transport: 'http', input: { orig: { uri: 'sip:anonymous@anonymous.invalid' }, dest: { tn: ['18001234567'] } } })).rejects.toMatchObject({ code: 'ERR_ATTEST_REFUSED' });
  });
});

describe('credential preload at start', () => {
  it('names the accounts whose credential cannot sign, and only those', async () => {
    const good = await coreFixture();
    expect(await good.signing.preload([good.account.id])).toEqual([]);
    const bad = await coreFixture();
    const other = await issueLeaf(bad.pki.intermediate, { leafNotBefore: new Date(bad.clock.ms - 3600_000), leafNotAfter: new Date(bad.clock.ms + 86400_000) });
    bad.dir.credentials[0]!.chainPem = other.chainPem;
    const refused = await bad.signing.preload([bad.account.id]);
    expect(refused).toEqual([{ accountId: bad.account.id, error: expect.objectContaining({ code: 'ERR_CRED_KEY_MISMATCH' }) }]);
  });
});
