import { createPublicKey, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { compactVerify, importSPKI } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CallerContext } from '../../server/core/types.js';
import { coreFixture, FakeClock, X5U, type CoreFixture } from '../helpers/core-fixture.js';

const UUID = '123e4567-e89b-12d3-a456-426655440000';

function caller(f: CoreFixture, sourceKind: 'customer' | 'gateway' = 'customer'): CallerContext {
  return { accountId: f.account.id, apiKeyId: 'key_00000000000000aa', sourceKind, transport: 'http' };
}

/** A checker that knows only node:crypto and the JWS rules (RFC 7515 §5.2): split, decode, verify R||S. */
function checkWithNodeCrypto(jws: string, certPem: string): { header: unknown; claims: unknown; good: boolean } {
  const [h, p, s] = jws.split('.') as [string, string, string];
  const key = new X509Certificate(certPem).publicKey;
  const good = cryptoVerify('sha256', Buffer.from(`${h}.${p}`, 'ascii'), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
  return { header: JSON.parse(Buffer.from(h, 'base64url').toString()), claims: JSON.parse(Buffer.from(p, 'base64url').toString()), good };
}

describe('signing a div PASSporT (RFC 8946 §3, ATIS-1000085)', () => {
  let f: CoreFixture;
  const input = { orig: { tn: '+1 404 526 6060' }, dest: { tn: ['1-202-555-0199'] }, div: { tn: '18001234567' }, origid: UUID };

  beforeEach(async () => {
    f = await coreFixture({ clock: new FakeClock(Date.now()) });
  });

  it('emits header ppt div, canonical sorted claims without attest, and an Identity header with ppt=div', async () => {
    const r = await f.signing.signDiv(caller(f), input);
    const [h, p] = r.passport.split('.') as [string, string];
    expect(Buffer.from(h, 'base64url').toString()).toBe(`{"alg":"ES256","ppt":"div","typ":"passport","x5u":"${X5U}"}`);
    const iat = Math.floor(f.clock.ms / 1000);
    expect(Buffer.from(p, 'base64url').toString()).toBe(`{"dest":{"tn":["12025550199"]},"div":{"tn":"18001234567"},"iat":${iat},"orig":{"tn":"14045266060"},"origid":"${UUID}"}`);
    expect(r.identity).toBe(`${r.passport};info=<${X5U}>;alg=ES256;ppt=div`);
    expect(r).toMatchObject({ x5u: X5U, accountId: f.account.id, credentialId: 'cred_0000000000000001', claims: { div: { tn: '18001234567' }, iat, origid: UUID } });
  });

  it('verifies independently with jose compactVerify and with node:crypto alone, using the leaf public key', async () => {
    const r = await f.signing.signDiv(caller(f), input);
    const spki = createPublicKey(f.pki.leaf.certPem).export({ type: 'spki', format: 'pem' }).toString();
    const { protectedHeader, payload } = await compactVerify(r.passport, await importSPKI(spki, 'ES256'));
    expect(protectedHeader).toEqual({ alg: 'ES256', ppt: 'div', typ: 'passport', x5u: X5U });
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ div: { tn: '18001234567' }, dest: { tn: ['12025550199'] } });
    const own = checkWithNodeCrypto(r.passport, f.pki.leaf.certPem);
    expect(own.good).toBe(true);
    // A flipped claim byte must fail the same checker: it is not a checker that always says yes.
    const [h, p, s] = r.passport.split('.') as [string, string, string];
    const tampered = Buffer.from(p, 'base64url').toString().replace('18001234567', '18001234568');
    expect(checkWithNodeCrypto(`${h}.${Buffer.from(tampered).toString('base64url')}.${s}`, f.pki.leaf.certPem).good).toBe(false);
  });

  it('mints an origid when none is given, and keeps the given iat within the token TTL', async () => {
    const iat = Math.floor(f.clock.ms / 1000) - 30;
    const r = await f.signing.signDiv(caller(f), { ...input, origid: undefined, iat });
    expect(r.claims.origid).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.claims.iat).toBe(iat);
  });

  it('logs one sign record per div, with the account, numbers and origid', async () => {
    await f.signing.signDiv(caller(f), input);
    expect(f.dir.log.at(-1)).toMatchObject({ kind: 'sign', outcome: 'ok', accountId: f.account.id, orig: '14045266060', dest: '12025550199', origid: UUID, passports: 'div' });
  });

  it.each([
    ['no div', { ...input, div: undefined }, 'ERR_REQ_FIELD_MISSING', 'div'],
    ['div as an array', { ...input, div: { tn: ['18001234567'] } }, 'ERR_TN_INVALID', 'div.tn'],
    ['div not a number', { ...input, div: { tn: 'call me' } }, 'ERR_TN_INVALID', 'div.tn'],
    ['div with tn and uri', { ...input, div: { tn: '18001234567', uri: 'sip:a@b.example' } }, 'ERR_REQ_FIELD_INVALID', 'div'],
    ['div a bad uri', { ...input, div: { uri: 'http://x' } }, 'ERR_URI_INVALID', 'div.uri'],
    ['div equal to dest (RFC 8946 §3: no retargeting, no div)', { ...input, div: { tn: '+1 202 555 0199' } }, 'ERR_REQ_FIELD_INVALID', 'div'],
    ['no dest', { ...input, dest: undefined }, 'ERR_REQ_FIELD_MISSING', 'dest'],
    ['bad origid', { ...input, origid: 'nope' }, 'ERR_REQ_ORIGID_INVALID', 'origid'],
    ['a stale iat', { ...input, iat: Math.floor(Date.now() / 1000) - 3600 }, 'ERR_REQ_IAT_STALE', 'iat'],
  ])('refuses %s with a clear code', async (_name, body, code, field) => {
    await expect(f.signing.signDiv(caller(f), body)).rejects.toMatchObject({ code, field });
    expect(f.dir.log.at(-1)).toMatchObject({ kind: 'sign', outcome: 'error', errorCode: code });
  });

  it('takes a bare div string as a tn', async () => {
    expect((await f.signing.signDiv(caller(f), { ...input, div: '+1 (800) 123-4567' })).claims.div).toEqual({ tn: '18001234567' });
  });
});

describe('who may sign a div (div policy)', () => {
  const input = { orig: { tn: '14045266060' }, dest: { tn: ['12025550199'] }, div: { tn: '18001234567' } };

  it('trust mode: any div number, from a customer or a gateway', async () => {
    const f = await coreFixture({ policyMode: 'trust', clock: new FakeClock(Date.now()) });
    await expect(f.signing.signDiv(caller(f), input)).resolves.toMatchObject({ claims: { div: { tn: '18001234567' } } });
    await expect(f.signing.signDiv(caller(f, 'gateway'), input)).resolves.toBeTruthy();
  });

  it('enforce mode: only a div TN in the account inventory, never from a gateway, never a div URI', async () => {
    const f = await coreFixture({ policyMode: 'enforce', clock: new FakeClock(Date.now()) });
    f.dir.inventory.set(f.account.id, [{ kind: 'tn', tn: '18001234567' }]);
    await expect(f.signing.signDiv(caller(f), input)).resolves.toMatchObject({ claims: { div: { tn: '18001234567' } } });
    await expect(f.signing.signDiv(caller(f), { ...input, div: { tn: '18009999999' } })).rejects.toMatchObject({ code: 'ERR_ATTEST_REFUSED', field: 'div.tn' });
    await expect(f.signing.signDiv(caller(f, 'gateway'), input)).rejects.toMatchObject({ code: 'ERR_ATTEST_REFUSED', field: 'div' });
    await expect(f.signing.signDiv(caller(f), { ...input, div: { uri: 'sip:sales@example.net' } })).rejects.toMatchObject({ code: 'ERR_ATTEST_REFUSED', field: 'div' });
  });

  it('refuses a disabled account like a sign request', async () => {
    const f = await coreFixture({ clock: new FakeClock(Date.now()) });
    f.dir.accounts.get(f.account.id)!.enabled = false;
    await expect(f.signing.signDiv(caller(f), input)).rejects.toMatchObject({ code: 'ERR_AUTH_ACCOUNT_DISABLED' });
  });
});

describe('a div drawn from the PASSporTs the call arrived with (RFC 8946 §3)', () => {
  let f: CoreFixture;

  beforeEach(async () => {
    f = await coreFixture({ policyMode: 'trust', clock: new FakeClock(Date.now()) });
  });

  async function shaken(dest: string[] = ['18001234567']) {
    return (await f.signing.signAs(caller(f), { orig: { tn: '14045266060' }, dest: { tn: dest }, attest: 'A' })).identity;
  }

  it('takes orig and origid from the shaken PASSporT and div from its dest', async () => {
    const s = await shaken();
    const origid = JSON.parse(Buffer.from(s.split('.')[1]!, 'base64url').toString()).origid as string;
    const r = await f.signing.handleDiv({ token: f.token, transport: 'http', input: { identity: [s], dest: { tn: ['12025550199'] } } });
    expect(r.claims).toMatchObject({ orig: { tn: '14045266060' }, div: { tn: '18001234567' }, dest: { tn: ['12025550199'] }, origid });
    expect(f.dir.log.at(-1)).toMatchObject({ kind: 'sign', outcome: 'ok', passports: 'shaken,div', origid });
  });

  it('extends an already forwarded call from its last hop, whatever order the headers came in', async () => {
    const s = await shaken();
    const hop1 = (await f.signing.handleDiv({ token: f.token, transport: 'http', input: { identity: s, dest: { tn: ['12025550199'] } } })).identity;
    const hop2 = await f.signing.handleDiv({ token: f.token, transport: 'grpc', input: { identity: [hop1, s], dest: { tn: ['13035550100'] } } });
    expect(hop2.claims.div).toEqual({ tn: '12025550199' });
    expect(f.dir.log.at(-1)).toMatchObject({ passports: 'div,shaken,div', transport: 'grpc' });
  });

  it('needs div named when the last hop went to several numbers, and only one of them', async () => {
    const s = await shaken(['18001234567', '18001234568']);
    const base = { identity: s, dest: { tn: ['12025550199'] } };
    await expect(f.signing.handleDiv({ token: f.token, transport: 'http', input: base })).rejects.toMatchObject({ code: 'ERR_REQ_FIELD_MISSING', field: 'div' });
    await expect(f.signing.handleDiv({ token: f.token, transport: 'http', input: { ...base, div: '18009999999' } })).rejects.toMatchObject({ code: 'ERR_REQ_FIELD_INVALID', field: 'div' });
    expect((await f.signing.handleDiv({ token: f.token, transport: 'http', input: { ...base, div: '18001234568' } })).claims.div).toEqual({ tn: '18001234568' });
  });

  it.each([
    ['no shaken PASSporT', async (s: string) => ({ identity: s.replace('ppt=shaken', 'ppt=rcd'), dest: { tn: ['12025550199'] } }), 'identity'],
    ['unreadable claims', async () => ({ identity: 'a.b.c;info=<https://x.example/c.pem>;ppt=shaken', dest: { tn: ['12025550199'] } }), 'identity'],
    ['orig beside identity', async (s: string) => ({ identity: s, dest: { tn: ['12025550199'] }, orig: '14045266060' }), 'orig'],
    ['a retargeting that keeps dest', async (s: string) => ({ identity: s, dest: { tn: ['18001234567'] } }), 'div'],
  ])('refuses %s', async (_name, body, field) => {
    const input = await body(await shaken());
    await expect(f.signing.handleDiv({ token: f.token, transport: 'http', input })).rejects.toMatchObject({ field });
  });

  it('identifies the caller like a sign request: a bad key is refused as data by attemptDiv', async () => {
    const s = await shaken();
    const r = await f.signing.attemptDiv({ token: 'nope', transport: 'http', input: { identity: s, dest: { tn: ['12025550199'] } } });
    expect(r).toMatchObject({ ok: false, error: { code: expect.stringMatching(/^ERR_AUTH_/) } });
  });
});

describe('div-o: the diverted PASSporT nested in opt (RFC 8946 §5)', () => {
  let f: CoreFixture;

  beforeEach(async () => {
    f = await coreFixture({ policyMode: 'trust', clock: new FakeClock(Date.now()) });
  });

  const claimsOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

  it('names ppt div-o in header and Identity, and nests the PASSporT it diverts, canonically ordered', async () => {
    const shaken = await f.signing.signAs(caller(f), { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A' });
    const r = await f.signing.handleDiv({ token: f.token, transport: 'http', input: { identity: shaken.identity, dest: { tn: ['12025550199'] }, ppt: 'div-o' } });
    const [h, p] = r.passport.split('.') as [string, string];
    expect(Buffer.from(h, 'base64url').toString()).toBe(`{"alg":"ES256","ppt":"div-o","typ":"passport","x5u":"${X5U}"}`);
    expect(Buffer.from(p, 'base64url').toString()).toBe(
      `{"dest":{"tn":["12025550199"]},"div":{"tn":"18001234567"},"iat":${r.claims.iat},"opt":"${shaken.passport}","orig":{"tn":"14045266060"},"origid":"${shaken.origid}"}`,
    );
    expect(r.identity.endsWith(`;info=<${X5U}>;alg=ES256;ppt=div-o`)).toBe(true);
    const spki = createPublicKey(f.pki.leaf.certPem).export({ type: 'spki', format: 'pem' }).toString();
    await expect(compactVerify(r.passport, await importSPKI(spki, 'ES256'))).resolves.toBeTruthy();
    expect(f.dir.log.at(-1)).toMatchObject({ passports: 'shaken,div-o' });
  });

  it('a second div-o nests the first, so the whole path survives in one header', async () => {
    const shaken = await f.signing.signAs(caller(f), { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A' });
    const hop1 = await f.signing.handleDiv({ token: f.token, transport: 'http', input: { identity: shaken.identity, dest: { tn: ['12025550199'] }, ppt: 'div-o' } });
    const hop2 = await f.signing.handleDiv({ token: f.token, transport: 'http', input: { identity: [shaken.identity, hop1.identity], dest: { tn: ['13035550100'] }, ppt: 'div-o' } });
    expect(claimsOf(hop2.passport).opt).toBe(hop1.passport);
    expect(claimsOf(claimsOf(hop2.passport).opt as string).opt).toBe(shaken.passport);
  });

  it('refuses div-o without the received headers, and an unknown ppt', async () => {
    const explicit = { orig: { tn: '14045266060' }, dest: { tn: ['12025550199'] }, div: { tn: '18001234567' } };
    await expect(f.signing.handleDiv({ token: f.token, transport: 'http', input: { ...explicit, ppt: 'div-o' } })).rejects.toMatchObject({ code: 'ERR_REQ_FIELD_MISSING', field: 'identity' });
    await expect(f.signing.handleDiv({ token: f.token, transport: 'http', input: { ...explicit, ppt: 'shaken' } })).rejects.toMatchObject({ code: 'ERR_REQ_FIELD_INVALID', field: 'ppt' });
  });
});
