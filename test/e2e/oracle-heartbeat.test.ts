import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashClient, eventually, makeUser, sign, startDashboardService } from '../dashboard/support.js';
import { bearer, callUnary, rawClients, verifyIdentity } from '../grpc/support.js';
import { postJson, type Provisioned, type TestService } from '../helpers/service.js';
import { sipRequest, UdpPeer } from '../helpers/sip-client.js';
import { credentials, loadPackageDefinition, type Client, type ServiceClientConstructor } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const nowSec = () => Math.floor(Date.now() / 1000);

/**
 * Oracle's heartbeat bodies, as "Example STI Server Heartbeat Requests" (SBC 9.3/10.1 configuration guide) shows
 * them: member order, the all-but-zero origid from sti-server orig-id, attest B from sti-attest; iat/time now.
 */
const oracleSigning = () =>
  `{"signingRequest":{"iat":${nowSec()},"attest":"B","ppt":"shaken","dest":{"tn":["7777777777"]},"orig":{"tn":"9999999999"},"origid":"00000000-0000-0000-0000-0000000f0abc"}}`;
const oracleVerification = () => `{"verificationRequest":{"time":${nowSec()},"to":{"tn":["7777777777"]},"from":{"tn":"9999999999"}}}`;

async function postRaw(url: string, body: string, token?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', 'x-requestid': '4c7a2de8-1d8f-4b56-4ef5-0585fee32d15' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, json: (await res.json()) as any };
}

function verifierClient(address: string): Client {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../../proto');
  const pkg = protoLoader.loadSync('shakenstack/v1/signer.proto', { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: false, includeDirs: [root] });
  const v1 = (loadPackageDefinition(pkg).shakenstack as Record<string, Record<string, ServiceClientConstructor>>).v1!;
  return new v1.Verifier!(address, credentials.createInsecure());
}

/** The value of one Prometheus sample line, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('Oracle SBC heartbeats through every transport, kept out of the log, statistics, reports and call metrics', () => {
  let svc: TestService;
  let p: Provisioned;
  let admin: DashClient;
  let uac: UdpPeer;
  let grpc: ReturnType<typeof rawClients>;
  let verifier: Client;
  let atisIdentity: string;

  beforeAll(async () => {
    const anchors = await mkdtemp(join(tmpdir(), 'beat-anchors-'));
    svc = await startDashboardService('embedded', {
      overrides: { 'grpc.enabled': true, 'sip.enabled': true, 'verify.trustAnchors': anchors, 'verify.trustReloadMs': 0, 'verify.allowHttpX5u': true, 'verify.allowPrivateAddresses': true },
    });
    // Enforce mode with an inventory that holds the real caller only: 9999999999 is in no inventory.
    p = await svc.provision({ name: 'oracle', policyMode: 'enforce', defaultAttest: 'A', maxAttest: 'A', inventory: [{ kind: 'tn', tn: '12025550100' }], sipSource: '127.0.0.1' });
    await writeFile(join(anchors, 'root.pem'), p.pki.root.certPem);
    admin = await DashClient.login(svc, (await makeUser(svc, 'admin')).username);
    uac = await UdpPeer.open();
    grpc = rawClients(svc.grpcAddress);
    verifier = verifierClient(svc.grpcAddress);
  });
  afterAll(async () => {
    uac?.close();
    grpc?.close();
    verifier?.close();
    await svc?.stop();
  });

  it('signs the ATIS signing heartbeat with the account key, at B (policy as any call), keeping its origid', async () => {
    const r = await postRaw(`${svc.url}/stir/v1/signing`, oracleSigning(), p.token);
    expect(r.status).toBe(200);
    atisIdentity = r.json.signingResponse.identity;
    const claims = await verifyIdentity(atisIdentity);
    expect(claims).toMatchObject({ attest: 'B', orig: { tn: '9999999999' }, dest: { tn: ['7777777777'] }, origid: '00000000-0000-0000-0000-0000000f0abc' });
  });

  it('answers the ATIS verification heartbeat without identity with HTTP 200, No-TN-Validation, 428', async () => {
    const r = await postRaw(`${svc.url}/stir/v1/verification`, oracleVerification(), p.token);
    expect(r).toEqual({ status: 200, json: { verificationResponse: { verstat: 'No-TN-Validation', reasoncode: 428, reasontext: 'Use Identity Header' } } });
  });

  it('verifies a heartbeat that carries an identity (sti-identity) as any verification', async () => {
    const body = `{"verificationRequest":{"time":${nowSec()},"to":{"tn":["7777777777"]},"from":{"tn":"9999999999"},"identity":${JSON.stringify(atisIdentity)}}}`;
    expect(await postRaw(`${svc.url}/stir/v1/verification`, body, p.token)).toEqual({ status: 200, json: { verificationResponse: { verstat: 'TN-Validation-Passed' } } });
  });

  it('still refuses a verification without identity that is no heartbeat (SVC4001), and an unauthenticated heartbeat (POL1001)', async () => {
    const other = `{"verificationRequest":{"time":${nowSec()},"to":{"tn":["12025550200"]},"from":{"tn":"9999999999"}}}`;
    const missing = await postRaw(`${svc.url}/stir/v1/verification`, other, p.token);
    expect(missing.status).toBe(400);
    expect(missing.json.requestError.serviceException).toMatchObject({ messageId: 'SVC4001', variables: ['identity'] });
    const stranger = await postRaw(`${svc.url}/stir/v1/verification`, oracleVerification());
    expect(stranger.status).toBe(401);
    expect(stranger.json.requestError.policyException.messageId).toBe('POL1001');
  });

  it('answers a heartbeat the signer refuses as any request: an iat an hour old is SVC4005, counted with its code', async () => {
    const stale = oracleSigning().replace(/"iat":\d+/, `"iat":${nowSec() - 3600}`);
    const r = await postRaw(`${svc.url}/stir/v1/signing`, stale, p.token);
    expect(r.status).toBe(400);
    expect(r.json.requestError.serviceException).toMatchObject({ messageId: 'SVC4005', variables: ['iat', expect.any(String)] });
  });

  it('recognises heartbeats on our own HTTP API', async () => {
    const signed = await sign(svc, p.token, { orig: { tn: '9999999999' }, dest: { tn: ['7777777777'] }, attest: 'B' });
    expect(signed.status).toBe(200);
    const v = await postJson(`${svc.url}/api/stir-shaken/verify`, { from: '9999999999', to: '7777777777' }, { authorization: `Bearer ${p.token}` });
    expect(v.status).toBe(200);
    expect(v.json).toMatchObject({ ok: false, verstat: 'No-TN-Validation', sip: 428, reason: 'identity_absent' });
    // A div heartbeat in enforce mode: 3333333333 is in no inventory, so div policy refuses it as any div request.
    const div = await postJson(`${svc.url}/api/stir-shaken/div`, { orig: { tn: '9999999999' }, dest: { tn: ['7777777777'] }, div: { tn: '3333333333' } }, { authorization: `Bearer ${p.token}` });
    expect(div.status).toBe(403);
    expect(div.json.error).toMatchObject({ code: 'ERR_ATTEST_REFUSED', field: 'div.tn' });
  });

  it('recognises heartbeats on the 3GPP Ms resources (Oracle sends its 3GPP heartbeats there), through the same core calls', async () => {
    const signing = oracleSigning().replace(',"origid":"00000000-0000-0000-0000-0000000f0abc"', '');
    const s = await postRaw(`${svc.url}/3gpp/ms/v1/signing`, signing, p.token);
    expect(s.status).toBe(200);
    expect(await verifyIdentity(s.json.signingResponse.identityHeader)).toMatchObject({ attest: 'B', orig: { tn: '9999999999' }, dest: { tn: ['7777777777'] } });
    const v = await postRaw(`${svc.url}/3gpp/ms/v1/verification`, `{"verificationRequest":{"time":${nowSec()},"to":{"tn":["7777777777"]},"from":{"tn":"9999999999"}}}`, p.token);
    expect(v.status).toBe(200);
    expect(v.json.verificationResponse).toMatchObject({ verstatValue: 'No-TN-Validation' });
  });

  it('recognises heartbeats over gRPC', async () => {
    const s = await callUnary<any>(grpc.signer, 'Sign', { orig: { tn: '9999999999' }, dest: { tn: ['7777777777'] }, attest: 'B' }, bearer(p.token));
    expect(s.error).toBeUndefined();
    expect(await verifyIdentity(s.value.identity)).toMatchObject({ orig: { tn: '9999999999' } });
    const v = await callUnary<any>(verifier, 'Verify', { from: '9999999999', to: ['7777777777'] }, bearer(p.token));
    expect(v.error).toBeUndefined();
    expect(v.value).toMatchObject({ ok: false, verstat: 'No-TN-Validation', reason: 'identity_absent' });
  });

  it('recognises a heartbeat INVITE on the SIP redirect server', async () => {
    const r = await uac.request(svc.node.sipPort!, sipRequest({ from: '<sip:9999999999@sbc.example.net>;tag=hb', to: '<sip:7777777777@sti.example.net>', uri: 'sip:7777777777@127.0.0.1' }));
    expect(r.status).toBe(302);
    expect(await verifyIdentity(r.headers.get('identity')![0]!)).toMatchObject({ orig: { tn: '9999999999' }, dest: { tn: ['7777777777'] } });
  });

  it('counts only the real call in the request log, the dashboard statistics, the reports and the call metrics; heartbeats in their own metric', async () => {
    const real = await sign(svc, p.token, { orig: { tn: '12025550100' }, dest: { tn: ['12025550200'] }, attest: 'A' });
    expect(real.status).toBe(200);
    // Logged: the real call, the refused non-heartbeat verification, the unauthenticated heartbeat (no special path).
    await eventually(async () => (await svc.node.store.countRequestLog()) === 3, 'three log rows');
    const rows = (await admin.get(`/dashboard/api/logs?account=${p.account.id}`)).json.rows;
    expect(rows.map((r: any) => `${r.kind}:${r.outcome}`).sort()).toEqual(['sign:ok', 'verify:error']);
    // Refused before their numbers were read (no caller; no identity), neither row names a heartbeat number.
    expect((await admin.get('/dashboard/api/logs?number=7777777777')).json.rows).toHaveLength(0);
    expect((await admin.get('/dashboard/api/logs?number=9999999999')).json.rows).toHaveLength(0);

    const st = (await admin.get(`/dashboard/api/stats?window=15m&account=${p.account.id}`)).json;
    expect(st.totals.count).toBe(rows.length);
    const byAttest = st.buckets.reduce((s: any, b: any) => ({ A: s.A + b.byAttest.A, B: s.B + b.byAttest.B, C: s.C + b.byAttest.C }), { A: 0, B: 0, C: 0 });
    expect(byAttest).toEqual({ A: 1, B: 0, C: 0 });

    const today = new Date().toISOString().slice(0, 10);
    const report = (await admin.get(`/dashboard/api/reports?from=${today}&to=${today}&format=json`)).json;
    expect(report.signedByAccount.find((s: any) => s.accountId === p.account.id)).toMatchObject({ A: 1, B: 0, C: 0, total: 1 });
    const csv = (await admin.get(`/dashboard/api/reports?from=${today}&to=${today}&format=csv&account=${p.account.id}`)).text;
    expect(csv).toContain(`${p.account.id},oracle,1,0,0,1,`);

    const m = await (await fetch(`${svc.url}/metrics`)).text();
    expect(sample(m, 'shakenstack_requests_total', { kind: 'sign', transport: 'http', outcome: 'ok' })).toBe(1);
    expect(sample(m, 'shakenstack_requests_total', { kind: 'sign', transport: 'grpc', outcome: 'ok' })).toBe(0);
    expect(sample(m, 'shakenstack_requests_total', { kind: 'sign', transport: 'sip', outcome: 'ok' })).toBe(0);
    expect(sample(m, 'shakenstack_requests_total', { kind: 'verify', transport: 'http', outcome: 'ok' })).toBe(0);
    expect(sample(m, 'shakenstack_heartbeats_total', { kind: 'sign', transport: 'http', outcome: 'ok', code: 'none' })).toBe(3);
    expect(sample(m, 'shakenstack_heartbeats_total', { kind: 'sign', transport: 'http', outcome: 'error', code: 'ERR_REQ_IAT_STALE' })).toBe(1);
    expect(sample(m, 'shakenstack_heartbeats_total', { kind: 'sign', transport: 'http', outcome: 'error', code: 'ERR_ATTEST_REFUSED' })).toBe(1);
    expect(sample(m, 'shakenstack_heartbeats_total', { kind: 'sign', transport: 'grpc', outcome: 'ok' })).toBe(1);
    expect(sample(m, 'shakenstack_heartbeats_total', { kind: 'sign', transport: 'sip', outcome: 'ok' })).toBe(1);
    // Three without identity (ATIS, ours, 3GPP) are failed verifications (428); the one with identity passed.
    expect(sample(m, 'shakenstack_heartbeats_total', { kind: 'verify', transport: 'http', outcome: 'error', code: 'VERIFY_428_identity_absent' })).toBe(3);
    expect(sample(m, 'shakenstack_heartbeats_total', { kind: 'verify', transport: 'http', outcome: 'ok' })).toBe(1);
    expect(sample(m, 'shakenstack_heartbeats_total', { kind: 'verify', transport: 'grpc', outcome: 'error' })).toBe(1);
    const seen = sample(m, 'shakenstack_heartbeat_last_seen_seconds', { account: p.account.id });
    // Seconds since the epoch with a fraction, as Prometheus's time() gives it.
    expect(seen).toBeGreaterThan(Date.now() / 1000 - 600);
    expect(seen).toBeLessThanOrEqual(Date.now() / 1000);
  });
});
