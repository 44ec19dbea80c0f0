import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyCallPassports, type CallPassportsRequest } from '../../server/core/div/verify-call-passports.js';
import type { CallPassportsVerdict } from '../../server/core/div/passport-set.js';
import type { CallerContext } from '../../server/core/types.js';
import { createLabPki } from '../../server/pki/lab-pki.js';
import { FakeClock, servedSigner, type CoreFixture } from '../helpers/core-fixture.js';
import { CertServer, handJws, identityOf, testVerifier, type TestVerifier } from '../verify/support.js';

const CALLER = '14045266060';
const ORIGID = '123e4567-e89b-12d3-a456-426655440000';
/** The numbers a call visits: sent to N[0], forwarded to N[1], … */
const N = ['18001230000', '18001230001', '18001230002', '18001230003', '18001230004', '18001230005'];

/** `secsipidx -version` exits 1, so look for the file instead. */
function hasSecsipidx(): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d !== '' && existsSync(join(d, 'secsipidx')));
}

function as(f: CoreFixture): CallerContext {
  return { accountId: f.account.id, sourceKind: 'customer', transport: 'cli' };
}

/**
 * A real originating provider and two real retargeting providers (each its own STI-CA root and leaf), a real
 * HTTPS certificate repository on loopback, and the real verifier: nothing here is a stub.
 */
describe('verifying a forwarded call: one shaken plus div PASSporTs (RFC 8946 §4, RFC 8224 §6.2)', () => {
  let server: CertServer;
  let origin: CoreFixture;
  let fwd: CoreFixture[];
  let tv: TestVerifier;
  let strayKeyPem: string;
  let untrusted: CoreFixture;

  beforeAll(async () => {
    server = await CertServer.start();
    const clock = new FakeClock(Date.now());
    const make = (name: string) => servedSigner(server, clock, name);
    origin = await make('origin');
    fwd = [await make('fwd-a'), await make('fwd-b')];
    untrusted = await make('untrusted');
    strayKeyPem = (await createLabPki()).leaf.keyPem;
    tv = testVerifier(server, [origin.pki.root.certPem, fwd[0]!.pki.root.certPem, fwd[1]!.pki.root.certPem], { clock: new FakeClock(clock.ms) });
  });
  afterAll(() => server.stop());

  async function shaken(dest = N[0]!, orig = CALLER): Promise<string> {
    return (await origin.signing.signAs(as(origin), { orig: { tn: orig }, dest: { tn: [dest] }, attest: 'B', origid: ORIGID })).identity;
  }
  async function div(from: string, to: string, by = fwd[0]!, orig = CALLER): Promise<string> {
    return (await by.signing.signDiv(as(by), { orig: { tn: orig }, dest: { tn: [to] }, div: { tn: from }, origid: ORIGID })).identity;
  }
  /** shaken to N[0], then `hops` div PASSporTs N[i] → N[i+1], alternating between the two forwarders. */
  async function chainOf(hops: number): Promise<string[]> {
    const out = [await shaken()];
    for (let i = 0; i < hops; i++) out.push(await div(N[i]!, N[i + 1]!, fwd[i % 2]!));
    return out;
  }
  const check = (identity: string[], calledTn: string, extra: Partial<CallPassportsRequest> = {}): Promise<CallPassportsVerdict> =>
    verifyCallPassports(tv.verifier, { identity, calledTn, origTn: CALLER, ...extra });

  it('passes a call that was not forwarded when the shaken dest is the number called now, and not otherwise', async () => {
    const s = await shaken();
    expect(await check([s], N[0]!)).toMatchObject({ verstat: 'TN-Validation-Passed', ok: true, chain: [0], problems: [] });
    const off = await check([s], N[1]!);
    expect(off).toMatchObject({ verstat: 'No-TN-Validation', ok: false, problems: [{ reason: 'not_connected' }] });
  });

  it.each([1, 2, 3, 4, 5])('passes a chain of %i div hops, each PASSporT verified on its own', async (hops) => {
    const ids = await chainOf(hops);
    const v = await check(ids, N[hops]!);
    expect(v, JSON.stringify(v.problems)).toMatchObject({ verstat: 'TN-Validation-Passed', ok: true, problems: [] });
    expect(v.chain).toEqual(ids.map((_, i) => i));
    expect(v.passports.map((p) => [p.kind, p.result.ok])).toEqual(ids.map((_, i) => [i === 0 ? 'shaken' : 'div', true]));
    expect(v.passports.filter((p) => p.kind === 'div').map((p) => p.kind === 'div' && p.hop)).toEqual(ids.slice(1).map((_, i) => i + 1));
  });

  it('orders headers by the chain, whatever order they arrive in', async () => {
    const ids = await chainOf(5);
    const shuffled = [ids[3]!, ids[5]!, ids[0]!, ids[1]!, ids[4]!, ids[2]!];
    const v = await check(shuffled, N[5]!);
    expect(v).toMatchObject({ verstat: 'TN-Validation-Passed', problems: [] });
    // Chain order as indexes into the received list: shaken (2), hop 1 (3), hop 2 (5), hop 3 (0), hop 4 (4), hop 5 (1).
    expect(v.chain).toEqual([2, 3, 5, 0, 4, 1]);
  });

  it('refuses a chain that does not reach the number called now', async () => {
    const v = await check(await chainOf(2), N[5]!);
    expect(v).toMatchObject({ verstat: 'No-TN-Validation', problems: [{ reason: 'not_connected' }] });
  });

  it('refuses a div whose div is not the shaken dest (wrong div)', async () => {
    const v = await check([await shaken(), await div('18009990000', N[1]!)], N[1]!);
    expect(v.verstat).toBe('No-TN-Validation');
    expect(v.problems.map((p) => p.reason)).toEqual(['div_unlinked', 'not_connected']);
    expect(v.passports[1]).toMatchObject({ kind: 'div', hop: undefined, result: { ok: true } });
  });

  it('refuses a chain with a missing link', async () => {
    const ids = await chainOf(3);
    const v = await check([ids[0]!, ids[1]!, ids[3]!], N[3]!);
    expect(v.problems.map((p) => [p.reason, p.index])).toEqual([
      ['div_unlinked', 2],
      ['not_connected', undefined],
    ]);
    expect(v.chain).toEqual([0, 1]);
  });

  it('fails the call (TN-Validation-Failed) for a div signed by a key its certificate does not hold', async () => {
    const x5u = fwd[0]!.dir.credentials[0]!.x5u;
    const iat = Math.floor(tv.clock.ms / 1000);
    const forged = handJws(strayKeyPem, JSON.stringify({ alg: 'ES256', ppt: 'div', typ: 'passport', x5u }), JSON.stringify({ dest: { tn: [N[1]] }, div: { tn: N[0] }, iat, orig: { tn: CALLER } }));
    const v = await check([await shaken(), identityOf(forged, x5u, ';alg=ES256;ppt=div')], N[1]!);
    expect(v).toMatchObject({ verstat: 'TN-Validation-Failed', passports: [{ result: { ok: true } }, { kind: 'div', hop: 1, result: { ok: false, reason: 'signature_invalid' } }] });
    expect(v.reason).toMatch(/^signature_invalid/);
  });

  it('fails the call for a div whose certificate does not chain to a trusted STI-CA', async () => {
    const v = await check([await shaken(), await div(N[0]!, N[1]!, untrusted)], N[1]!);
    expect(v).toMatchObject({ verstat: 'TN-Validation-Failed', passports: [{}, { result: { ok: false, reason: 'cert_untrusted' } }] });
  });

  it('does not pass a call with a stale div, and still places it in the chain', async () => {
    const fresh = await shaken();
    const old = await div(N[0]!, N[1]!);
    tv.clock.advance(61_000);
    try {
      const v = await check([fresh, old], N[1]!);
      expect(v.verstat).toBe('No-TN-Validation');
      expect(v.passports[1]).toMatchObject({ kind: 'div', hop: 1, result: { ok: false, reason: 'iat_stale' } });
    } finally {
      tv.clock.advance(-61_000);
    }
  });

  it('detects a loop, a branch, a duplicate and a div that changed orig', async () => {
    const s = await shaken();
    const ab = await div(N[0]!, N[1]!);
    const loop = await check([s, ab, await div(N[1]!, N[0]!, fwd[1]!)], N[0]!);
    expect(loop.problems.map((p) => p.reason)).toEqual(['div_loop']);
    const branch = await check([s, ab, await div(N[0]!, N[2]!, fwd[1]!)], N[1]!);
    expect(branch.problems.map((p) => p.reason)).toContain('div_branch');
    const dup = await check([s, ab, ab], N[1]!);
    expect(dup.problems.map((p) => [p.reason, p.index])).toEqual([['div_duplicate', 2]]);
    const orig = await check([s, await div(N[0]!, N[1]!, fwd[0]!, '14045269999')], N[1]!);
    expect(orig.problems.map((p) => p.reason)).toEqual(['div_orig_mismatch']);
    for (const v of [loop, branch, dup, orig]) expect(v.verstat).toBe('No-TN-Validation');
  });

  it('needs exactly one shaken, compares its orig with the calling number, and fails a broken shaken', async () => {
    const d = await div(N[0]!, N[1]!);
    expect(await check([d], N[1]!)).toMatchObject({ verstat: 'No-TN-Validation', problems: [{ reason: 'no_shaken' }] });
    const s = await shaken();
    expect(await check([s, await shaken(), d], N[1]!)).toMatchObject({ problems: [{ reason: 'several_shaken' }] });
    const wrongCaller = await check([s, d], N[1]!, { origTn: '14045260000' });
    expect(wrongCaller).toMatchObject({ verstat: 'No-TN-Validation', passports: [{ kind: 'shaken', result: { ok: false, reason: 'orig_mismatch' } }, { result: { ok: true } }] });
    const [h, p, sig] = s.split(';')[0]!.split('.') as [string, string, string];
    const badSig = `${h}.${p}.${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}${s.slice(s.indexOf(';'))}`;
    expect(await check([badSig, d], N[1]!)).toMatchObject({ verstat: 'TN-Validation-Failed', passports: [{ result: { reason: 'signature_invalid' } }, { result: { ok: true } }] });
  });

  it('judges no more than 16 Identity headers and says the call had too many', async () => {
    const ids = await chainOf(1);
    const v = await check([...ids, ...Array.from({ length: 15 }, () => `${ids[1]!.split(';')[0]!};info=<https://x.example/c.pem>;ppt=rcd`)], N[1]!);
    expect(v.passports).toHaveLength(16);
    expect(v).toMatchObject({ verstat: 'No-TN-Validation', problems: [{ reason: 'too_many' }] });
  });

  /** A div-o for the hop from the last PASSporT of `received`, drawn from them (RFC 8946 §5: opt nests it). */
  async function divO(received: string[], to: string, by = fwd[0]!): Promise<string> {
    return (await by.signing.handleDiv({ token: by.token, transport: 'http', input: { identity: received, dest: { tn: [to] }, ppt: 'div-o' } })).identity;
  }

  it('verifies a div-o and the PASSporT nested in its opt, so a call whose shaken header was dropped still passes', async () => {
    const s = await shaken();
    const hop1 = await divO([s], N[1]!);
    const alone = await check([hop1], N[1]!);
    expect(alone, JSON.stringify(alone.problems)).toMatchObject({ verstat: 'TN-Validation-Passed', chain: [1, 0], problems: [] });
    expect(alone.passports).toMatchObject([{ kind: 'div-o', hop: 1, result: { ok: true } }, { kind: 'shaken', nestedIn: 0, result: { ok: true } }]);
    // Carried both ways (the header and the nesting), the shaken is judged once, not as a second origin.
    const both = await check([s, hop1], N[1]!);
    expect(both).toMatchObject({ verstat: 'TN-Validation-Passed', chain: [0, 1] });
    expect(both.passports).toHaveLength(2);
  });

  it('unpacks nested div-o PASSporTs down to the shaken, and fails the call when a nested one is forged', async () => {
    const s = await shaken();
    const hop1 = await divO([s], N[1]!);
    const hop2 = await divO([s, hop1], N[2]!, fwd[1]!);
    const v = await check([hop2], N[2]!);
    expect(v, JSON.stringify(v.problems)).toMatchObject({ verstat: 'TN-Validation-Passed', problems: [] });
    expect(v.passports.map((p) => [p.kind, p.nestedIn])).toEqual([['div-o', undefined], ['div-o', 0], ['shaken', 1]]);
    // A nested shaken whose signature does not verify fails the whole call, as a received one would.
    const [h, p, sig] = s.split(';')[0]!.split('.') as [string, string, string];
    const forgedClaims = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), attest: 'A' })).toString('base64url');
    const forged = `${h}.${forgedClaims}.${sig};info=<${origin.dir.credentials[0]!.x5u}>;alg=ES256;ppt=shaken`;
    const bad = await check([await divO([forged], N[1]!)], N[1]!);
    expect(bad).toMatchObject({ verstat: 'TN-Validation-Failed', passports: [{ kind: 'div-o', result: { ok: true } }, { kind: 'shaken', nestedIn: 0, result: { ok: false, reason: 'signature_invalid' } }] });
  });

  it('judges an rcd header (a shaken token under ppt=rcd fails it) and lists an unknown ppt without judging it; the call still passes', async () => {
    const ids = await chainOf(1);
    const [jws] = ids[1]!.split(';') as [string];
    const v = await check([...ids, `${jws};info=<https://x.example/c.pem>;ppt=rcd`, `${jws};info=<https://x.example/c.pem>;ppt=future`], N[1]!);
    expect(v).toMatchObject({ verstat: 'TN-Validation-Passed', passports: [{}, {}, { kind: 'rcd', result: { ok: false, reason: 'ppt_unsupported' } }, { kind: 'other', ppt: 'future', result: { ok: null } }] });
  });

  it('refuses a header whose ppt parameter says div over a shaken PASSporT (ppt must agree, RFC 8224 §4.1)', async () => {
    const s = await shaken();
    const v = await check([s, s.replace(';ppt=shaken', ';ppt=div')], N[0]!);
    expect(v.passports[1]).toMatchObject({ kind: 'div', result: { ok: false, reason: 'ppt_unsupported' } });
    expect(v.verstat).toBe('No-TN-Validation');
  });

  // secsipidx 1.2.0 refuses to *check* any ppt but shaken ("invalid value for ppt header parameter"), so the
  // independent check runs the other way: secsipidx signs the div, our chain verifier must accept it.
  it.runIf(hasSecsipidx())('accepts a div PASSporT signed by secsipidx (Kamailio secsipid) as one hop of the chain', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secsipidx-div-'));
    const keyFile = join(dir, 'key.pem');
    writeFileSync(keyFile, createPrivateKey(fwd[0]!.pki.leaf.keyPem).export({ type: 'sec1', format: 'pem' }));
    const x5u = fwd[0]!.dir.credentials[0]!.x5u;
    const header = JSON.stringify({ alg: 'ES256', ppt: 'div', typ: 'passport', x5u });
    const payload = JSON.stringify({ dest: { tn: [N[1]] }, div: { tn: N[0] }, iat: Math.floor(tv.clock.ms / 1000), orig: { tn: CALLER } });
    const jws = execFileSync('secsipidx', ['-sign', '-header', header, '-payload', payload, '-k', keyFile], { encoding: 'utf8' }).trim();
    const v = await check([identityOf(jws, x5u, ';alg=ES256;ppt=div'), await shaken()], N[1]!);
    expect(v, JSON.stringify(v.passports[0]?.result)).toMatchObject({ verstat: 'TN-Validation-Passed', chain: [1, 0] });
  });
});
