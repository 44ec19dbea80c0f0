import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition, type Client, type ServiceClientConstructor } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { compactVerify, importX509 } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestLogRecord } from '../../server/core/ports.js';
import { parseTrustAnchors, staticTrustSource } from '../../server/core/verify/trust-anchors.js';
import type { VerifyResult } from '../../server/core/verify/verify-result.js';
import { createVerifier, type Verifier } from '../../server/core/verify/verify-service.js';
import { createHttpsFetcher } from '../../server/verify-fetch/https-fetcher.js';
import { CALLER, N, VERIFY_DIV_CASES, type DivCall, type DivExpectation } from '../cases/verify-div-cases.js';
import { callUnary, bearer } from '../grpc/support.js';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { sipRequest, UdpPeer, type SipReply } from '../helpers/sip-client.js';
import { startDivCallFixture, type DivCallFixture } from './div-call-fixture.js';

/** What an answer says, read into the table's shape; fields a transport does not carry stay undefined. */
interface Observed {
  verstat: string;
  sip?: number;
  reason?: string;
  chain?: number[];
  problems?: string[];
  kinds?: string[];
  /** For each PASSporT judged, the index of the div-o that carried it nested, else null. */
  nestedIn?: (number | null)[];
  hasCall: boolean;
}

/** The table's expectation for a transport that carries the whole result (core, HTTP, gRPC). */
function full(e: DivExpectation): Record<string, unknown> {
  const m: Record<string, unknown> = { verstat: e.verstat, sip: e.sip, reason: e.reason, hasCall: !e.single };
  if (e.chain) m.chain = e.chain;
  if (e.problems) m.problems = e.problems;
  if (e.kinds && !e.single) m.kinds = e.kinds;
  // PASSporTs past the received headers were unpacked from a div-o's opt: here always the first header's.
  if (e.kinds && e.logKinds) m.nestedIn = e.kinds.map((_, i) => (i < e.logKinds!.length ? null : 0));
  return m;
}

type PassportLike = { kind: string; ok?: boolean | null; reason?: string; sip?: number; verstat?: string };

/** The failing header's own entry says what the call's top level says (core, HTTP and gRPC carry it). */
function expectFailedHeader(e: DivExpectation, passports: PassportLike[] | undefined): void {
  if (e.failedHeader === undefined) return;
  expect(passports?.[e.failedHeader]).toMatchObject({ kind: 'div', ok: false, reason: e.reason, sip: e.sip, verstat: e.verstat });
}

function fromResult(r: { ok: boolean; verstat: string; sip?: number; reason?: string; call?: { chain: number[]; problems: { reason: string }[]; passports: { kind: string; nestedIn?: number | null }[] } | null }): Observed {
  const o: Observed = { verstat: r.verstat, sip: r.ok ? undefined : r.sip, reason: r.ok ? undefined : r.reason, hasCall: r.call !== undefined && r.call !== null };
  expect(r.ok).toBe(r.verstat === 'TN-Validation-Passed');
  if (r.call) {
    o.chain = r.call.chain;
    o.problems = r.call.problems.map((p) => p.reason);
    o.kinds = r.call.passports.map((p) => p.kind);
    o.nestedIn = r.call.passports.map((p) => p.nestedIn ?? null);
  }
  return o;
}

/** A plain Verifier client that decodes as the published client does (proto3 defaults put false and 0 back). */
function verifierClient(address: string): Client {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../../proto');
  const pkg = protoLoader.loadSync('shakenstack/v1/signer.proto', { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: false, includeDirs: [root] });
  const v1 = (loadPackageDefinition(pkg).shakenstack as Record<string, Record<string, ServiceClientConstructor>>).v1!;
  return new v1.Verifier!(address, credentials.createInsecure());
}

const header = (r: SipReply, name: string) => r.headers.get(name.toLowerCase());

/**
 * Issue 14: every verify entry point judges all of a call's Identity headers. One node (HTTP, gRPC, SIP in
 * verify mode) and one core verifier trust the same STI-CA roots; the PASSporTs are signed by real signing
 * cores (signAs, signDiv) and their certificates served over loopback.
 */
describe('verifying forwarded calls (RFC 8946) through the core, HTTP, gRPC and SIP verify mode', () => {
  let fx: DivCallFixture;
  let svc: TestService;
  let acct: Provisioned;
  let anchors: string;
  let core: Verifier;
  const coreLog: RequestLogRecord[] = [];
  let grpc: Client;
  let uac: UdpPeer;

  beforeAll(async () => {
    fx = await startDivCallFixture();
    anchors = await mkdtemp(join(tmpdir(), 'verify-div-'));
    await Promise.all(fx.trustedRoots.map((pem, i) => writeFile(join(anchors, `root${i}.pem`), pem)));
    svc = await startTestService({ overrides: { 'sip.mode': 'verify', 'verify.trustAnchors': anchors, 'verify.trustReloadMs': 0, 'verify.allowInsecureX5u': true } });
    acct = await svc.provision({ sipSource: '127.0.0.1' });
    core = createVerifier({
      fetcher: createHttpsFetcher({ allowHttpX5u: true, allowPrivateAddresses: true, timeoutMs: 2000, maxBytes: 65536 }),
      trust: staticTrustSource(parseTrustAnchors(fx.trustedRoots.map((text, i) => ({ name: `root${i}`, text })), 1)),
      clock: { now: () => Date.now() },
      log: { record: (e) => void coreLog.push({ ...e }) },
      options: { maxAgeSec: 60, allowHttpX5u: true, crlPolicy: 'soft-fail' },
    });
    grpc = verifierClient(svc.grpcAddress);
    uac = await UdpPeer.open();
  });
  afterAll(async () => {
    uac?.close();
    grpc?.close();
    await svc?.stop();
    await fx?.stop();
    await rm(anchors, { recursive: true, force: true });
  });

  const body = (c: DivCall) => ({ identity: c.identity, from: CALLER, to: c.to, ruri: c.ruri, time: Math.floor(Date.now() / 1000) });

  describe('core: Verifier.handle', () => {
    for (const c of VERIFY_DIV_CASES) {
      it(c.title, async () => {
        const call = await c.build(fx.factory);
        const before = coreLog.length;
        const r: VerifyResult = await core.handle({ token: undefined, transport: 'cli', input: body(call) });
        expect(fromResult(r), JSON.stringify(r.ok ? r.call?.problems : r.reasonText)).toMatchObject(full(c.expect));
        expectFailedHeader(c.expect, r.call?.passports);
        // One log record per call, naming the kinds of the headers judged, in the order received.
        expect(coreLog.slice(before).map((e) => e.passports)).toEqual([(c.expect.logKinds ?? c.expect.kinds ?? ['shaken', ...call.identity.slice(1).map(() => 'div')]).join(',')]);
        if (r.ok && r.call) {
          // The top level of a passed chain is the shaken PASSporT's (B: the fixture account's cap); every div is listed with its hop.
          expect(r).toMatchObject({ attest: 'B', claims: { orig: { tn: CALLER }, dest: { tn: [N[0]] } }, checks: { orig: true, dest: true } });
          expect(r.call.passports.filter((p) => p.kind === 'div' || p.kind === 'div-o').map((p) => p.hop).sort()).toEqual(r.call.chain.slice(1).map((_, i) => i + 1));
          expect(r.call.passports.every((p) => p.ok === true && p.cert?.spc === '1234')).toBe(true);
        }
      });
    }
  });

  describe('HTTP: POST /api/stir-shaken/verify', () => {
    for (const c of VERIFY_DIV_CASES) {
      it(c.title, async () => {
        const call = await c.build(fx.factory);
        const res = await postJson(`${svc.url}/api/stir-shaken/verify`, body(call), { authorization: `Bearer ${acct.token}` });
        expect(res.status).toBe(200);
        expect(fromResult(res.json), res.text.slice(0, 600)).toMatchObject(full(c.expect));
        if (!c.expect.single) expect(res.json.call.passports[0]).toHaveProperty('index', 0);
        expectFailedHeader(c.expect, res.json.call?.passports);
      });
    }
  });

  describe('gRPC: Verifier/Verify', () => {
    for (const c of VERIFY_DIV_CASES) {
      it(c.title, async () => {
        const call = await c.build(fx.factory);
        const r = await callUnary<Record<string, any>>(grpc, 'Verify', { ...body(call), to: [call.to] }, bearer(acct.token));
        expect(r.error).toBeUndefined();
        const v = r.value!;
        // proto3: an unset sip is 0 and an unset reason "" once defaults are applied; the table says undefined.
        const observed = fromResult({ ok: v.ok, verstat: v.verstat, call: v.call, sip: v.sip || undefined, reason: v.reason || undefined });
        expect(observed, JSON.stringify(v.call?.problems ?? v.reasonText)).toMatchObject(full(c.expect));
        expectFailedHeader(c.expect, v.call?.passports);
      });
    }
  });

  describe('SIP verify mode: a real INVITE with every Identity header', () => {
    for (const c of VERIFY_DIV_CASES) {
      it(c.title, async () => {
        const call = await c.build(fx.factory);
        const invite = sipRequest({ uri: `sip:${call.ruri}@127.0.0.1`, to: `<sip:${call.to}@carrier.example.net>`, extra: call.identity.map((i) => `Identity: ${i}`) });
        const reply = await uac.request(svc.node.sipPort!, invite);
        expect(reply.status).toBe(302);
        // ATIS-1000074 §5.3.1: the call's verstat goes on the calling number; the Reason carries the call's code.
        expect(header(reply, 'P-Asserted-Identity')).toEqual([`<tel:+${CALLER};verstat=${c.expect.verstat}>`]);
        const reason = header(reply, 'Reason');
        if (c.expect.sip === undefined) expect(reason).toBeUndefined();
        else expect(reason?.[0]).toMatch(new RegExp(`^SIP;cause=${c.expect.sip};`));
        expect(header(reply, 'Contact')).toEqual([`<sip:${call.ruri}@127.0.0.1>`]);
      });
    }
  });

  it('the div PASSporTs the fixtures sign verify on their own with jose (compactVerify, the leaf key from the x5u chain)', async () => {
    const ids = await fx.factory.chain(2);
    for (const [i, id] of ids.slice(1).entries()) {
      const pki = i % 2 === 0 ? fx.pkis.fwdA : fx.pkis.fwdB;
      const { payload, protectedHeader } = await compactVerify(id.split(';')[0]!, await importX509(pki.leaf.certPem, 'ES256'));
      expect(protectedHeader).toMatchObject({ alg: 'ES256', ppt: 'div', typ: 'passport' });
      expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ div: { tn: N[i] }, dest: { tn: [N[i + 1]] }, orig: { tn: CALLER } });
    }
    // And jose refuses a div checked against another provider's key.
    await expect(compactVerify(ids[1]!.split(';')[0]!, await importX509(fx.pkis.fwdB.leaf.certPem, 'ES256'))).rejects.toThrow();
  });

  it('ATIS-1000082 answers a single shaken identity exactly as before', async () => {
    const identity = await fx.factory.shaken();
    const time = Math.floor(Date.now() / 1000);
    const ok = await postJson(`${svc.url}/stir/v1/verification`, { verificationRequest: { from: { tn: CALLER }, to: { tn: [N[0]] }, time, identity } }, { authorization: `Bearer ${acct.token}` });
    expect(ok.json).toEqual({ verificationResponse: { verstat: 'TN-Validation-Passed' } });
    const off = await postJson(`${svc.url}/stir/v1/verification`, { verificationRequest: { from: { tn: CALLER }, to: { tn: [N[1]] }, time, identity } }, { authorization: `Bearer ${acct.token}` });
    expect(off.json).toEqual({ verificationResponse: { verstat: 'No-TN-Validation', reasoncode: 438, reasontext: 'Invalid Identity Header' } });
  });
});
