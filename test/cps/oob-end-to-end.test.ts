import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { bearer, callUnary } from '../grpc/support.js';
import { runCli } from '../helpers/cli.js';
import { startRedis, type RedisProcess } from '../helpers/redis-server.js';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { sipRequest, UdpPeer } from '../helpers/sip-client.js';

/*
 * Out-of-band SHAKEN end to end on three real nodes: a signer publishing every signed call of one account (to
 * one prefix) to a CPS node backed by a real redis-server, and a verifier retrieving from it for a call whose
 * Identity a TDM hop dropped.
 */

const REDIS_PORT = 46511;
const ADMIN = 'admin-token-for-oob-tests-0123456789abcdef';
const ORIG = '14045266060';

async function publishCount(svc: TestService, outcome: string): Promise<number> {
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`shakenstack_cps_publish_total{outcome="${outcome}"}`));
  return Number(line?.split(' ')[1] ?? NaN);
}

/** Polls until `done` holds: the publish leaves after the signing answer, so the verifier may ask first. */
async function eventually<T>(get: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  let v = await get();
  for (let i = 0; i < 50 && !done(v); i++) {
    await new Promise((r) => setTimeout(r, 100));
    v = await get();
  }
  return v;
}

describe('out-of-band SHAKEN: signer -> STI-CPS -> verifier', () => {
  let redis: RedisProcess;
  let cps: TestService;
  let signer: TestService;
  let verifier: TestService;
  let carrierA: Provisioned;
  let carrierB: Provisioned;
  let anchors: string;
  const lab = (anchors: string) => ({ 'grpc.enabled': false, 'verify.trustAnchors': anchors, 'verify.trustReloadMs': 0, 'verify.allowHttpX5u': true, 'verify.allowPrivateAddresses': true, 'verify.crlPolicy': 'off' });

  beforeAll(async () => {
    redis = await startRedis(REDIS_PORT);
    anchors = await mkdtemp(join(tmpdir(), 'oob-anchors-'));
    cps = await startTestService({ overrides: { ...lab(anchors), 'cps.enabled': true, 'cps.redisUrl': redis.url } });
    const client = { 'cpsClient.url': `${cps.url}/cps` };
    [signer, verifier] = await Promise.all([
      startTestService({ overrides: { ...lab(anchors), ...client, adminToken: ADMIN, 'cpsClient.publishAccounts': 'carrier-a', 'cpsClient.destPrefixes': '1202' } }),
      startTestService({ overrides: { ...lab(anchors), 'grpc.enabled': true, ...client, 'cpsClient.retrieveAccount': 'carrier-b', 'sip.mode': 'verify', 'sip.requireIdentity': true } }),
    ]);
    carrierA = await signer.provision({ name: 'carrier-a', pki: { spc: '1234' } });
    carrierB = await verifier.provision({ name: 'carrier-b', pki: { spc: '5678' }, sipSource: '127.0.0.1' });
    await writeFile(join(anchors, 'a.pem'), carrierA.pki.root.certPem);
    await writeFile(join(anchors, 'b.pem'), carrierB.pki.root.certPem);
  });
  afterAll(async () => {
    await Promise.all([signer?.stop(), verifier?.stop()]);
    await cps?.stop();
    await redis?.stop();
  });

  it('verifies on another node, through the CPS, a call signed here whose Identity was dropped', async () => {
    const dest = '12025550123';
    const signed = await postJson(`${signer.url}/api/stir-shaken/sign`, { orig: { tn: ORIG }, dest: { tn: [dest] }, attest: 'A' }, { authorization: `Bearer ${carrierA.token}` });
    expect(signed.status).toBe(200);
    // The INVITE crossed TDM: the verifier gets the parties, no Identity.
    const verified = await eventually(
      () => postJson(`${verifier.url}/api/stir-shaken/verify`, { from: ORIG, to: dest }, { authorization: `Bearer ${carrierB.token}` }),
      (r) => r.json?.ok === true,
    );
    expect(verified.status).toBe(200);
    expect(verified.json).toMatchObject({ ok: true, verstat: 'TN-Validation-Passed', attest: 'A', source: 'out-of-band', origid: signed.json.origid, cert: { spc: '1234' } });
    expect(await publishCount(signer, 'ok')).toBe(1);
  });

  it('answers the ATIS-1000082 verification shape without identity through the CPS: the standard body, nothing added', async () => {
    const dest = '12025550131';
    const signed = await postJson(`${signer.url}/api/stir-shaken/sign`, { orig: { tn: ORIG }, dest: { tn: [dest] }, attest: 'A' }, { authorization: `Bearer ${carrierA.token}` });
    expect(signed.status).toBe(200);
    const atis = (to: string) =>
      postJson(`${verifier.url}/stir/v1/verification`, { verificationRequest: { from: { tn: ORIG }, to: { tn: [to] }, time: Math.floor(Date.now() / 1000) } }, { authorization: `Bearer ${carrierB.token}` });
    const verified = await eventually(() => atis(dest), (r) => r.json?.verificationResponse?.verstat === 'TN-Validation-Passed');
    // ATIS-1000082's verificationResponse has verstat (and reasoncode/reasontext on failure) only: no member says
    // where the PASSporT came from, so none is added (the HTTP and gRPC shapes carry `source`).
    expect(verified.status).toBe(200);
    expect(verified.json).toEqual({ verificationResponse: { verstat: 'TN-Validation-Passed' } });
    // Nothing at the CPS for the pair: the failure the standard shape has for a call without Identity.
    const none = await atis('12025550132');
    expect(none.status).toBe(200);
    expect(none.json).toEqual({ verificationResponse: { verstat: 'No-TN-Validation', reasoncode: 428, reasontext: 'Use Identity Header' } });
  });

  it('verifies an INVITE without Identity in SIP verify mode through the CPS: 302 with verstat, even with requireIdentity', async () => {
    const dest = '12025550125';
    const signed = await postJson(`${signer.url}/api/stir-shaken/sign`, { orig: { tn: ORIG }, dest: { tn: [dest] }, attest: 'A' }, { authorization: `Bearer ${carrierA.token}` });
    expect(signed.status).toBe(200);
    await eventually(() => publishCount(signer, 'ok'), (n) => n >= 2);
    const uac = await UdpPeer.open();
    try {
      const r = await uac.request(verifier.node.sipPort!, sipRequest({ uri: `sip:${dest}@127.0.0.1`, to: `<sip:${dest}@carrier.example.net>`, pai: `<sip:+${ORIG}@pbx.example.net;user=phone>` }));
      expect(r.status).toBe(302);
      expect(r.headers.get('p-asserted-identity')).toEqual([`<tel:+${ORIG};verstat=TN-Validation-Passed>`]);
    } finally {
      uac.close();
    }
  });

  it('answers a gRPC Verify without identity through the CPS, with source out-of-band as over HTTP', async () => {
    const dest = '12025550126';
    const signed = await postJson(`${signer.url}/api/stir-shaken/sign`, { orig: { tn: ORIG }, dest: { tn: [dest] }, attest: 'A' }, { authorization: `Bearer ${carrierA.token}` });
    expect(signed.status).toBe(200);
    const root = join(dirname(fileURLToPath(import.meta.url)), '../../proto');
    const pkg = protoLoader.loadSync('shakenstack/v1/signer.proto', { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: false, includeDirs: [root] });
    const v1 = (loadPackageDefinition(pkg).shakenstack as Record<string, Record<string, ServiceClientConstructor>>).v1!;
    const client = new v1.Verifier!(verifier.grpcAddress, credentials.createInsecure());
    try {
      const verify = (to: string) => callUnary<Record<string, unknown>>(client, 'Verify', { from: ORIG, to: [to] }, bearer(carrierB.token));
      const r = await eventually(() => verify(dest), (x) => x.value?.ok === true);
      expect(r.error).toBeUndefined();
      expect(r.value).toMatchObject({ ok: true, verstat: 'TN-Validation-Passed', origid: signed.json.origid, source: 'out-of-band' });
      // Nothing at the CPS: still said to come from it, with the cause.
      const none = await verify('12025550127');
      expect(none.value).toMatchObject({ ok: false, reason: 'identity_absent', source: 'out-of-band' });
    } finally {
      client.close();
    }
  });

  it('picks this call\'s PASSporT when the CPS also holds an earlier one for the same numbers (newest iat that passes)', async () => {
    const dest = '12025550124';
    const sign = (iat: number) => postJson(`${signer.url}/api/stir-shaken/sign`, { orig: { tn: ORIG }, dest: { tn: [dest] }, attest: 'A', iat }, { authorization: `Bearer ${carrierA.token}` });
    const now = Math.floor(Date.now() / 1000);
    const earlier = await sign(now - 20);
    const latest = await sign(now);
    expect([earlier.status, latest.status]).toEqual([200, 200]);
    const verified = await eventually(
      () => postJson(`${verifier.url}/api/stir-shaken/verify`, { from: ORIG, to: dest }, { authorization: `Bearer ${carrierB.token}` }),
      (r) => r.json?.ok === true && r.json.origid === latest.json.origid,
    );
    expect(verified.json).toMatchObject({ ok: true, source: 'out-of-band', origid: latest.json.origid });
  });

  it('publishes only for the configured destination prefixes; a call the CPS has nothing for is identity_absent', async () => {
    const dest = '18005550100';
    const signed = await postJson(`${signer.url}/api/stir-shaken/sign`, { orig: { tn: ORIG }, dest: { tn: [dest] }, attest: 'A' }, { authorization: `Bearer ${carrierA.token}` });
    expect(signed.status).toBe(200);
    const res = await postJson(`${verifier.url}/api/stir-shaken/verify`, { from: ORIG, to: dest }, { authorization: `Bearer ${carrierB.token}` });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ ok: false, reason: 'identity_absent', verstat: 'No-TN-Validation', source: 'out-of-band' });
    expect(res.json.reasonText).toMatch(/holds no PASSporT/);
    expect(await publishCount(signer, 'ok')).toBe(6);
  });

  it('publishes for an account by its stored choice, picked up by the running node at once, and stops when it is turned off', async () => {
    const carrierC = await signer.provision({ name: 'carrier-c', pki: { spc: '1234' } });
    await writeFile(join(anchors, 'c.pem'), carrierC.pki.root.certPem);
    const admin = (body: unknown) => fetch(`${signer.url}/api/admin/accounts/carrier-c`, { method: 'PATCH', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const sign = (dest: string) => postJson(`${signer.url}/api/stir-shaken/sign`, { orig: { tn: ORIG }, dest: { tn: [dest] }, attest: 'A' }, { authorization: `Bearer ${carrierC.token}` });
    const verify = (dest: string) => postJson(`${verifier.url}/api/stir-shaken/verify`, { from: ORIG, to: dest }, { authorization: `Bearer ${carrierB.token}` });
    const ok = await publishCount(signer, 'ok');
    // Off (not in cpsClient.publishAccounts, nothing stored): signed, nothing published.
    expect((await sign('13035550100')).status).toBe(200);
    // Malformed choices are refused naming the field.
    const bad = await admin({ oobPublish: { destPrefixes: ['1-303'] } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: unknown }).error).toMatchObject({ code: 'ERR_REQ_FIELD_INVALID', field: 'oobPublish' });
    // Turned on for 1303 through the admin API: the next call is published without a restart.
    const on = await admin({ oobPublish: { destPrefixes: ['1303', '1303'] } });
    expect(((await on.json()) as { oobPublish: unknown }).oobPublish).toEqual({ destPrefixes: ['1303'] });
    const signed = await sign('13035550101');
    expect(signed.status).toBe(200);
    const verified = await eventually(() => verify('13035550101'), (r) => r.json?.ok === true);
    expect(verified.json).toMatchObject({ ok: true, source: 'out-of-band', origid: signed.json.origid });
    // The stored prefixes decide, not cpsClient.destPrefixes: a 1202 call of this account is not published.
    expect((await sign('12025550140')).status).toBe(200);
    expect(await eventually(() => publishCount(signer, 'ok'), (n) => n >= ok + 1)).toBe(ok + 1);
    // Off again: the next call is not published.
    const off = await admin({ oobPublish: null });
    expect(((await off.json()) as { oobPublish?: unknown }).oobPublish).toBeUndefined();
    expect((await sign('13035550102')).status).toBe(200);
    // Asked after the later publishes had time to land: neither call signed while off reached the CPS.
    await eventually(() => verify('13035550101'), () => false);
    for (const dest of ['13035550100', '13035550102']) expect((await verify(dest)).json).toMatchObject({ ok: false, reason: 'identity_absent', source: 'out-of-band' });
    expect(await publishCount(signer, 'ok')).toBe(ok + 1);
    // Turned on again from another process (the CLI on the node's database): heard by the running node's change
    // watcher at its next poll, so a call signed a little later is published.
    const cli = await runCli(['account', 'update', 'carrier-c', '--oob-publish', '1303'], { SHAKENSTACK_DATA_DIR: signer.config.dataDir });
    expect(cli.code).toBe(0);
    // Bounded well under cacheTtlMs (60 s): without the watcher dropping the cached account, no call would publish.
    let published = false;
    for (let i = 0; i < 3 && !published; i++) {
      const before = await publishCount(signer, 'ok');
      expect((await sign('13035550104')).status).toBe(200);
      published = (await eventually(() => publishCount(signer, 'ok'), (n) => n > before)) > before;
    }
    expect(published).toBe(true);
    const later = await eventually(() => verify('13035550104'), (r) => r.json?.ok === true);
    expect(later.json).toMatchObject({ ok: true, source: 'out-of-band' });
  });

  it('publishes a forwarded call\'s div under the number it was diverted to; the verifier follows it to the shaken one', async () => {
    const [first, forwarded] = ['12025550150', '12025550151'];
    const signed = await postJson(`${signer.url}/api/stir-shaken/sign`, { orig: { tn: ORIG }, dest: { tn: [first] }, attest: 'A' }, { authorization: `Bearer ${carrierA.token}` });
    expect(signed.status).toBe(200);
    const div = await postJson(`${signer.url}/api/stir-shaken/div`, { identity: signed.json.identity, dest: { tn: [forwarded] } }, { authorization: `Bearer ${carrierA.token}` });
    expect(div.status).toBe(200);
    // The forwarded leg crossed TDM: only the parties of the call as it arrives now.
    const verified = await eventually(
      () => postJson(`${verifier.url}/api/stir-shaken/verify`, { from: ORIG, to: forwarded }, { authorization: `Bearer ${carrierB.token}` }),
      (r) => r.json?.ok === true,
    );
    expect(verified.json).toMatchObject({ ok: true, verstat: 'TN-Validation-Passed', source: 'out-of-band', origid: signed.json.origid });
    expect(JSON.stringify(verified.json)).toContain('div');
  });

  it('publishes a separate rcd PASSporT with its shaken one; the verifier judges the brand as in band', async () => {
    const dest = '12025550160';
    const added = await fetch(`${signer.url}/api/admin/accounts/carrier-a/rcd-profiles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rcd: { nam: 'Example Bank' }, tns: [ORIG], placement: 'rcd' }),
    });
    expect(added.status).toBe(201);
    const profile = (await added.json()) as { id: string };
    const signed = await postJson(`${signer.url}/api/stir-shaken/sign`, { orig: { tn: ORIG }, dest: { tn: [dest] }, attest: 'A', rcd: { profile: profile.id } }, { authorization: `Bearer ${carrierA.token}` });
    expect(signed.status).toBe(200);
    expect(signed.json.rcd.identity).toMatch(/ppt=rcd/);
    const verified = await eventually(
      () => postJson(`${verifier.url}/api/stir-shaken/verify`, { from: ORIG, to: dest }, { authorization: `Bearer ${carrierB.token}` }),
      (r) => r.json?.ok === true,
    );
    expect(verified.json).toMatchObject({ ok: true, source: 'out-of-band', rcd: { ok: true, placement: 'rcd', verified: { nam: 'Example Bank' } } });
  });

  it('still signs when the CPS cannot take the publish, and counts the failure', async () => {
    await redis.kill();
    const signed = await postJson(`${signer.url}/api/stir-shaken/sign`, { orig: { tn: ORIG }, dest: { tn: ['12025550199'] }, attest: 'A' }, { authorization: `Bearer ${carrierA.token}` });
    expect(signed.status).toBe(200);
    expect(signed.json.identity).toMatch(/;info=</);
    expect(await eventually(() => publishCount(signer, 'failed'), (n) => n >= 1)).toBe(1);
    // The verifier says what happened rather than failing the request.
    const res = await postJson(`${verifier.url}/api/stir-shaken/verify`, { from: ORIG, to: '12025550199' }, { authorization: `Bearer ${carrierB.token}` });
    expect(res.json).toMatchObject({ ok: false, reason: 'identity_absent', source: 'out-of-band' });
    expect(res.json.reasonText).toMatch(/could not be read: HTTP 503 unavailable/);
  });
});
