import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, importX509 } from 'jose';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sippPath } from '../../bench/sip/sipp.js';
import { verifyCallPassports } from '../../server/core/div/verify-call-passports.js';
import type { Directory, RequestLogRecord } from '../../server/core/ports.js';
import type { SourceKind } from '../../server/core/types.js';
import type { Verifier } from '../../server/core/verify/verify-service.js';
import { RedirectHandler } from '../../server/sip/redirect-handler.js';
import { startSipServer, type SipServer } from '../../server/sip/sip-server.js';
import { fixtureCallService, fixtureVerifier } from '../helpers/call-fixture.js';
import { coreFixture, FakeClock, type CoreFixture } from '../helpers/core-fixture.js';
import type { SipReply } from '../helpers/sip-client.js';
import { forwardInvite, type ForwardInvite } from './forward-switch.js';

const missing = sippPath() ? undefined : 'not installed: sipp (Debian package sip-tester)';
if (missing) console.warn(`test/sip/forward: skipped, ${missing}`);

const logger = pino({ level: 'silent' });
const CALLER = '14045266060';
/** The number first dialled, and the numbers the call is forwarded to, hop by hop. */
const A = '18005550100';
const HOPS = ['18005550101', '18005550102', '18005550103', '18005550104', '18005550105'];

type Claims = { dest: { tn: string[] }; div?: { tn: string }; orig: { tn: string }; origid: string; iat: number; attest?: string };
const claimsOf = (identity: string): Claims => JSON.parse(Buffer.from(identity.split(';')[0]!.split('.')[1]!, 'base64url').toString());
const identities = (r: SipReply) => r.headers.get('identity') ?? [];

/**
 * Issue 14: the SIP redirect server signs a div PASSporT for a call that arrives signed and was retargeted
 * (RFC 8946 §3), and answers with every Identity the call had plus the div (RFC 8224 §6.2). The switch is
 * sipp; the redirect server is the real SIP stack over the core (an in-memory directory, so the request
 * log's records are read as the core wrote them); every answer is checked with the core's call verifier
 * against the lab PKI's root, and each div on its own with jose.
 */
describe.skipIf(missing !== undefined)('forwarded calls through the SIP redirect server (sipp)', () => {
  let f: CoreFixture;
  let verifier: Verifier;
  let server: SipServer;
  let dir: string;
  let sourceKind: SourceKind = 'customer';
  /** How many times the core identified a caller by its SIP source. */
  let resolved = 0;

  /** The account's policy, as an operator would change it (the core drops what it cached). */
  function setPolicy(mode: 'trust' | 'enforce', kind: SourceKind) {
    f.dir.accounts.set(f.account.id, { ...f.dir.accounts.get(f.account.id)!, policyMode: mode });
    sourceKind = kind;
    f.signing.invalidate();
  }

  /** The shaken PASSporT an originating provider (our own signer here) made for the call to `dest`. */
  async function shaken(dest: string[] = [A]): Promise<string> {
    return (await f.signing.handle({ token: f.token, transport: 'http', input: { orig: { tn: CALLER }, dest: { tn: dest } } })).identity;
  }

  const invite = (o: ForwardInvite) => forwardInvite(dir, server.port, { to: A, from: CALLER, ...o });
  const logged = () => f.dir.log.length;
  const newRecords = (since: number): RequestLogRecord[] => f.dir.log.slice(since);

  /** A div checked without shakenstack's code: jose against the leaf certificate of the lab PKI. */
  async function checkDivWithJose(identity: string) {
    const m = /^([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+);info=<([^>]+)>;alg=ES256;ppt=div$/.exec(identity);
    if (!m) throw new Error(`not a div Identity header: ${identity}`);
    const { payload, protectedHeader } = await compactVerify(m[1]!, await importX509(f.pki.leaf.certPem, 'ES256'));
    expect(protectedHeader).toEqual({ alg: 'ES256', ppt: 'div', typ: 'passport', x5u: m[2] });
    return JSON.parse(new TextDecoder().decode(payload)) as Claims;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shakenstack-forward-'));
    // The lab PKI is valid from the real now on: the fixture's clock starts there too.
    f = await coreFixture({ maxAttest: 'A', defaultAttest: 'A', clock: new FakeClock(Date.now()) });
    (f.dir as Directory).listSipSources = async () => [{ accountId: f.account.id, cidr: '127.0.0.1/32', sourceKind }];
    f.dir.inventory.set(f.account.id, [{ kind: 'range', start: A, count: 1 }]);
    const resolve = f.signing.sources.resolve.bind(f.signing.sources);
    f.signing.sources.resolve = (address, transport) => {
      resolved++;
      return resolve(address, transport);
    };
    const policy = { maxDateSkewSec: 60, routeUnsigned: true, routeFailedVerification: true, requireIdentity: false };
    const handler = new RedirectHandler(
      { calls: fixtureCallService(f, policy), logger },
      { mode: 'sign', onSignFailure: 'redirect', reasonProtocol: 'SIP', maxPending: 100, maxTransactions: 1000, limits: { maxMessageBytes: 16_384, maxHeaders: 100 } },
    );
    server = await startSipServer(handler, { host: '127.0.0.1', port: 0, maxMessageBytes: 16_384, maxConnections: 0, maxConnectionsPerSource: 0, idleTimeoutMs: 10_000, messageTimeoutMs: 0 }, logger);
    verifier = fixtureVerifier(f);
  });
  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('signs a div for a call signed for A and forwarded to B: the shaken unchanged, then div=A, dest=B, its orig and origid', async () => {
    const received = await shaken();
    const before = logged();
    const r = await invite({ ruri: HOPS[0]!, lines: [`Identity: ${received}`] });
    expect(r.status).toBe(302);
    expect(r.headers.get('contact')).toEqual([`<sip:${HOPS[0]}@127.0.0.1:${server.port}>`]);
    expect(r.headers.get('reason')).toBeUndefined();
    const [first, div] = identities(r);
    expect(identities(r)).toHaveLength(2);
    expect(first).toBe(received);
    const origin = claimsOf(received);
    expect(await checkDivWithJose(div!)).toEqual({ dest: { tn: [HOPS[0]] }, div: { tn: A }, iat: expect.any(Number), orig: { tn: CALLER }, origid: origin.origid });
    // No History-Info or Diversion entry is added by the redirect server (docs/sip-redirect-server.md).
    expect([r.headers.get('history-info'), r.headers.get('diversion')]).toEqual([undefined, undefined]);

    const verdict = await verifyCallPassports(verifier, { identity: identities(r), calledTn: HOPS[0]!, origTn: CALLER });
    expect([verdict.verstat, verdict.chain, verdict.problems]).toEqual(['TN-Validation-Passed', [0, 1], []]);
    // One record per forwarded call, naming the PASSporTs the call carries after this hop.
    expect(newRecords(before)).toMatchObject([{ kind: 'sign', transport: 'sip', outcome: 'ok', passports: 'shaken,div', orig: CALLER, dest: HOPS[0], origid: origin.origid }]);
  });

  it('builds a chain of 1 to 5 hops, each through the redirect server, each passing the call verifier', async () => {
    let carried = [await shaken()];
    let previous = A;
    for (const [hop, number] of HOPS.entries()) {
      const before = logged();
      const r = await invite({ ruri: number, lines: carried.map((v) => `Identity: ${v}`) });
      expect(r.status, `hop ${hop + 1}`).toBe(302);
      const now = identities(r);
      // Every Identity the call arrived with, as received and in order, then this hop's div.
      expect(now.slice(0, -1)).toEqual(carried);
      expect(now).toHaveLength(hop + 2);
      const div = await checkDivWithJose(now[now.length - 1]!);
      expect(div).toMatchObject({ div: { tn: previous }, dest: { tn: [number] }, orig: { tn: CALLER }, origid: claimsOf(carried[0]!).origid });
      for (const earlier of now.slice(1, -1)) await checkDivWithJose(earlier);

      const verdict = await verifyCallPassports(verifier, { identity: now, calledTn: number, origTn: CALLER });
      expect(verdict.problems, `hop ${hop + 1}`).toEqual([]);
      expect(verdict.verstat).toBe('TN-Validation-Passed');
      expect(verdict.chain).toEqual(now.map((_, i) => i));
      // The same chain does not reach a number the call was not forwarded to.
      expect((await verifyCallPassports(verifier, { identity: now, calledTn: '18009999999', origTn: CALLER })).verstat).toBe('No-TN-Validation');
      expect(newRecords(before).map((x) => x.passports)).toEqual([['shaken', ...Array(hop + 1).fill('div')].join(',')]);
      carried = now;
      previous = number;
    }
  });

  it('keeps comma-joined Identity headers as received (one field holding two), then adds the div', async () => {
    const first = await invite({ ruri: HOPS[0]!, lines: [`Identity: ${await shaken()}`] });
    const joined = identities(first).join(', ');
    const r = await invite({ ruri: HOPS[1]!, lines: [`Identity: ${joined}`] });
    expect(r.status).toBe(302);
    expect(identities(r).slice(0, 1)).toEqual([joined]);
    expect(await checkDivWithJose(identities(r)[1]!)).toMatchObject({ div: { tn: HOPS[0] }, dest: { tn: [HOPS[1]] } });
    expect((await verifyCallPassports(verifier, { identity: identities(r), calledTn: HOPS[1]!, origTn: CALLER })).verstat).toBe('TN-Validation-Passed');
  });

  describe('a last dest of several numbers: History-Info or Diversion names the one the call was diverted from', () => {
    const B1 = '18005550201';
    const B2 = '18005550202';
    const C = '18005550300';

    it('History-Info (RFC 7044): the entry the current target was mapped from', async () => {
      const r = await invite({
        ruri: C,
        lines: [`Identity: ${await shaken([B1, B2])}`, `History-Info: <sip:${B2}@pbx.example.net>;index=1, <sip:${C}@pbx.example.net;cause=302>;index=1.1;mp=1`],
      });
      expect(r.status).toBe(302);
      expect(await checkDivWithJose(identities(r)[1]!)).toMatchObject({ div: { tn: B2 }, dest: { tn: [C] } });
      expect((await verifyCallPassports(verifier, { identity: identities(r), calledTn: C, origTn: CALLER })).verstat).toBe('TN-Validation-Passed');
    });

    it('History-Info repeated as separate fields, without mp: the earlier entry of another number', async () => {
      const r = await invite({
        ruri: C,
        lines: [`Identity: ${await shaken([B1, B2])}`, `History-Info: <sip:${B1}@pbx.example.net>;index=1`, `History-Info: <sip:${C}@pbx.example.net>;index=1.1`],
      });
      expect(await checkDivWithJose(identities(r)[1]!)).toMatchObject({ div: { tn: B1 } });
    });

    it('Diversion (RFC 5806): the top entry', async () => {
      const r = await invite({
        ruri: C,
        lines: [`Identity: ${await shaken([B1, B2])}`, `Diversion: <sip:+${B2}@pbx.example.net>;reason=unconditional;counter=1, <sip:${B1}@pbx.example.net>;reason=user-busy`],
      });
      expect(r.status).toBe(302);
      expect(await checkDivWithJose(identities(r)[1]!)).toMatchObject({ div: { tn: B2 }, dest: { tn: [C] } });
    });

    it('neither: the signer cannot tell which number was diverted, so nothing is signed (ERR_REQ_FIELD_MISSING)', async () => {
      const received = await shaken([B1, B2]);
      const before = logged();
      const r = await invite({ ruri: C, lines: [`Identity: ${received}`] });
      // sip.onSignFailure=redirect: the call goes on, without a new Identity, the reason visible.
      expect([r.status, identities(r), r.headers.get('reason')]).toEqual([302, [], ['SIP;cause=400;text="ERR_REQ_FIELD_MISSING"']]);
      expect(newRecords(before)).toMatchObject([{ outcome: 'error', errorCode: 'ERR_REQ_FIELD_MISSING' }]);
    });

    it('refuses a History-Info or Diversion that contradicts the PASSporTs, or each other (ERR_REQ_FIELD_INVALID)', async () => {
      const received = `Identity: ${await shaken([B1, B2])}`;
      const cases = [
        [`History-Info: <sip:18005550999@pbx.example.net>;index=1, <sip:${C}@pbx.example.net>;index=1.1;mp=1`],
        [`Diversion: <sip:18005550999@pbx.example.net>;reason=unconditional`],
        [`History-Info: <sip:${B1}@pbx.example.net>;index=1, <sip:${C}@pbx.example.net>;index=1.1;mp=1`, `Diversion: <sip:${B2}@pbx.example.net>`],
      ];
      for (const lines of cases) {
        const r = await invite({ ruri: C, lines: [received, ...lines] });
        expect([r.status, identities(r), r.headers.get('reason')], lines.join(' ')).toEqual([302, [], ['SIP;cause=400;text="ERR_REQ_FIELD_INVALID"']]);
      }
      // A single dest contradicted by the history is refused too: the PASSporTs say where the call was.
      const single = await invite({ ruri: C, lines: [`Identity: ${await shaken([B1])}`, `Diversion: <sip:${B2}@pbx.example.net>`] });
      expect(single.headers.get('reason')).toEqual(['SIP;cause=400;text="ERR_REQ_FIELD_INVALID"']);
    });
  });

  it('does not re-sign a call that was not retargeted (Request-URI in the last dest): the Identity goes on unchanged, nothing logged', async () => {
    const received = await shaken();
    const before = logged();
    const r = await invite({ ruri: A, lines: [`Identity: ${received}`, 'X-Attestation: C'] });
    expect([r.status, identities(r), r.headers.get('reason')]).toEqual([302, [received], undefined]);
    expect(r.headers.get('contact')).toEqual([`<sip:${A}@127.0.0.1:${server.port}>`]);
    expect(logged()).toBe(before);
    // After a hop: the number the last div sent the call to is not retargeted either.
    const hop = await invite({ ruri: HOPS[0]!, lines: [`Identity: ${received}`] });
    const again = await invite({ ruri: HOPS[0]!, to: HOPS[0]!, lines: identities(hop).map((v) => `Identity: ${v}`) });
    expect(identities(again)).toEqual(identities(hop));
  });

  it('refuses a call that carries a div but no shaken PASSporT: there is no origin to keep (RFC 8946 §3)', async () => {
    const hop = await invite({ ruri: HOPS[0]!, lines: [`Identity: ${await shaken()}`] });
    const before = logged();
    const r = await invite({ ruri: HOPS[1]!, to: HOPS[0]!, lines: [`Identity: ${identities(hop)[1]!}`] });
    expect([r.status, identities(r), r.headers.get('reason')]).toEqual([302, [], ['SIP;cause=400;text="ERR_REQ_FIELD_INVALID"']]);
    // Refused before the signer: nothing was signed, so nothing is logged.
    expect(logged()).toBe(before);
  });

  it('calls without Identity are signed as before (one shaken)', async () => {
    const r = await invite({ ruri: HOPS[0]!, lines: [] });
    expect(r.status).toBe(302);
    expect(identities(r)).toHaveLength(1);
    expect(claimsOf(identities(r)[0]!)).toMatchObject({ attest: 'A', orig: { tn: CALLER }, dest: { tn: [A] } });
  });

  it('div policy over SIP: enforce mode signs only a div number of the inventory, and never for a gateway source', async () => {
    // Signed by the originating provider before the policy changes: only the div is this account's.
    const [toA, toOther] = [await shaken([A]), await shaken(['18005550999'])];
    try {
      setPolicy('enforce', 'customer');
      // A is the account's (the inventory holds it): the div is signed.
      const ours = await invite({ ruri: HOPS[0]!, lines: [`Identity: ${toA}`] });
      expect(ours.status).toBe(302);
      expect(await checkDivWithJose(identities(ours)[1]!)).toMatchObject({ div: { tn: A } });
      // A call diverted from a number the account does not serve: it cannot say it retargeted it.
      const before = logged();
      const notOurs = await invite({ ruri: HOPS[0]!, lines: [`Identity: ${toOther}`] });
      expect([notOurs.status, identities(notOurs), notOurs.headers.get('reason')]).toEqual([302, [], ['SIP;cause=603;text="ERR_ATTEST_REFUSED"']]);
      expect(newRecords(before)).toMatchObject([{ outcome: 'error', errorCode: 'ERR_ATTEST_REFUSED', passports: 'shaken,div' }]);
      setPolicy('enforce', 'gateway');
      const gateway = await invite({ ruri: HOPS[0]!, lines: [`Identity: ${toA}`] });
      expect(gateway.headers.get('reason')).toEqual(['SIP;cause=603;text="ERR_ATTEST_REFUSED"']);
      // Trust mode: any div number is signed, from a gateway source too.
      setPolicy('trust', 'gateway');
      const trusted = await invite({ ruri: HOPS[0]!, lines: [`Identity: ${toOther}`] });
      expect(await checkDivWithJose(identities(trusted)[1]!)).toMatchObject({ div: { tn: '18005550999' } });
    } finally {
      setPolicy('trust', 'customer');
    }
  });

  it('identifies the caller once per INVITE: forwarded, transit and refused alike (one core call, STYLE.md §10)', async () => {
    const received = `Identity: ${await shaken()}`;
    for (const o of [{ ruri: HOPS[0]! }, { ruri: A }, { ruri: HOPS[0]!, extra: 'Diversion: <sip:18005550999@a>' }]) {
      const before = resolved;
      const r = await invite({ ruri: o.ruri, lines: [received, ...(o.extra ? [o.extra] : [])] });
      expect(r.status).toBe(302);
      expect(resolved - before, o.ruri).toBe(1);
    }
  });

  it('answers a stranger 403 before reading its PASSporTs', async () => {
    const r = await invite({ ruri: HOPS[0]!, source: '127.0.0.9', lines: ['Identity: garbage.not.passport;ppt=div'] });
    expect([r.status, r.headers.get('reason')]).toEqual([403, ['SIP;cause=403;text="ERR_AUTH_INVALID"']]);
  });
});
