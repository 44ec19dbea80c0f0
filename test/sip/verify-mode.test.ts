import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { sipRequest, UdpPeer, type SipReply } from '../helpers/sip-client.js';

const h = (r: SipReply, name: string) => r.headers.get(name.toLowerCase());

/**
 * Issue 6's SIP verification mode: a signer (our HTTP API) makes the Identity header, a second node in
 * `sip.mode=verify` judges it from the INVITE and answers a 302 carrying verstat.
 */
describe('SIP redirect server (verify mode)', () => {
  let signer: TestService;
  let account: Provisioned;
  let dir: string;
  let uac: UdpPeer;
  const verifiers: TestService[] = [];

  async function verifier(overrides: Record<string, unknown> = {}): Promise<number> {
    const svc = await startTestService({
      overrides: { 'sip.mode': 'verify', 'verify.trustAnchors': join(dir, 'root.pem'), 'verify.allowInsecureX5u': true, ...overrides },
    });
    verifiers.push(svc);
    await svc.provision({ sipSource: '127.0.0.1' });
    return svc.node.sipPort!;
  }

  async function identity(orig = '14045266060', dest = '18005551234', attest = 'A'): Promise<string> {
    const r = await postJson(`${signer.url}/api/stir-shaken/sign`, { orig: { tn: orig }, dest: { tn: [dest] }, attest }, { authorization: `Bearer ${account.token}` });
    expect(r.status).toBe(200);
    return r.json.identity;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sip-verify-'));
    signer = await startTestService();
    account = await signer.provision({ defaultAttest: 'A', maxAttest: 'A', pki: {} });
    await writeFile(join(dir, 'root.pem'), account.pki.root.certPem);
    uac = await UdpPeer.open();
  });
  afterAll(async () => {
    uac.close();
    await Promise.all([signer.stop(), ...verifiers.map((v) => v.stop())]);
    await rm(dir, { recursive: true, force: true });
  });

  it('passes a good header: 302 with verstat=TN-Validation-Passed on the calling number, no Reason', async () => {
    const port = await verifier();
    const r = await uac.request(port, sipRequest({ pai: '<sip:+14045266060@pbx.example.net;user=phone>', extra: [`Identity: ${await identity()}`] }));
    expect(r.status).toBe(302);
    expect(h(r, 'P-Asserted-Identity')).toEqual(['<tel:+14045266060;verstat=TN-Validation-Passed>']);
    expect(h(r, 'Contact')).toEqual(['<sip:18005551234@127.0.0.1>']);
    expect(h(r, 'Reason')).toBeUndefined();
  });

  it('fails a header signed for another caller: No-TN-Validation (a number mismatch), with Reason 438', async () => {
    const port = await verifier();
    const r = await uac.request(port, sipRequest({ extra: [`Identity: ${await identity('14045269999')}`] }));
    expect(r.status).toBe(302);
    expect(h(r, 'P-Asserted-Identity')![0]).toEqual('<tel:+14045266060;verstat=No-TN-Validation>');
    expect(h(r, 'Reason')).toEqual(['SIP;cause=438;text="Invalid Identity Header"']);
  });

  it('fails a tampered signature with TN-Validation-Failed, in the RFC 9410 STIR form when asked', async () => {
    const port = await verifier({ 'sip.reasonProtocol': 'STIR' });
    const good = await identity();
    const [jws, ...params] = good.split(';');
    const parts = jws!.split('.');
    const sig = parts[2]!;
    const tampered = `${parts[0]}.${parts[1]}.${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)};${params.join(';')}`;
    const r = await uac.request(port, sipRequest({ extra: [`Identity: ${tampered}`] }));
    expect(h(r, 'P-Asserted-Identity')).toEqual(['<tel:+14045266060;verstat=TN-Validation-Failed>']);
    expect(h(r, 'Reason')).toEqual(['STIR;cause=438;text="Invalid Identity Header"']);
  });

  it('answers a stale header 403 Stale Date under sip.onVerifyFailure=reject', async () => {
    const port = await verifier({ 'sip.onVerifyFailure': 'reject' });
    const r = await uac.request(port, sipRequest({ extra: [`Identity: ${await identity()}`, `Date: ${new Date(Date.now() - 300_000).toUTCString()}`] }));
    expect([r.status, r.phrase]).toEqual([403, 'Stale Date']);
    expect(h(r, 'Reason')).toEqual(['SIP;cause=403;text="Stale Date"']);
    expect(h(r, 'Contact')).toBeUndefined();
  });

  it('without Identity: No-TN-Validation, or 428 when sip.requireIdentity is on', async () => {
    const lenient = await verifier();
    const r = await uac.request(lenient, sipRequest());
    expect(r.status).toBe(302);
    expect(h(r, 'P-Asserted-Identity')).toEqual(['<tel:+14045266060;verstat=No-TN-Validation>']);
    expect(h(r, 'Reason')).toBeUndefined();
    const strict = await verifier({ 'sip.requireIdentity': true });
    const s = await uac.request(strict, sipRequest());
    expect([s.status, s.phrase]).toEqual([428, 'Use Identity Header']);
  });

  it('replaces an upstream verstat instead of passing it on', async () => {
    const port = await verifier();
    const r = await uac.request(port, sipRequest({ pai: '<tel:+14045266060;verstat=TN-Validation-Passed>', extra: [`Identity: garbage`] }));
    expect(h(r, 'P-Asserted-Identity')).toEqual(['<tel:+14045266060;verstat=No-TN-Validation>']);
    expect(h(r, 'Reason')![0]).toMatch(/^SIP;cause=43[68];/);
  });

  it('logs verifications as kind verify on the sip transport', async () => {
    const port = await verifier();
    await uac.request(port, sipRequest({ extra: [`Identity: ${await identity()}`] }));
    const svc = verifiers.at(-1)!;
    await new Promise((r) => setTimeout(r, 300));
    const rows = await svc.node.store.queryRequestLog({ transport: 'sip' });
    expect(rows.map((r) => [r.kind, r.outcome, r.attestApplied])).toContainEqual(['verify', 'ok', 'A']);
  });
});
