import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition, type Client, type ServiceClientConstructor } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callUnary, bearer } from '../grpc/support.js';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { sipRequest, UdpPeer } from '../helpers/sip-client.js';

const CALLER = '14045266060';

/** A plain Verifier client over the repository's proto (absent optional fields stay absent). */
function verifierClient(address: string): Client {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../../proto');
  const pkg = protoLoader.loadSync('shakenstack/v1/signer.proto', { keepCase: false, longs: Number, enums: String, defaults: false, oneofs: false, includeDirs: [root] });
  const v1 = (loadPackageDefinition(pkg).shakenstack as Record<string, Record<string, ServiceClientConstructor>>).v1!;
  return new v1.Verifier!(address, credentials.createInsecure());
}
const CALLED = '18005551234';

/**
 * A priority call verified through HTTP, gRPC and SIP verify mode (RFC 8443): a signing node makes the shaken and rph
 * PASSporTs (its x5u served over loopback http); a verifying node trusts the signer's STI-CA root only.
 */
describe('verifying a priority call (shaken + rph) through HTTP, gRPC and SIP verify mode', () => {
  let signer: TestService;
  let verifier: TestService;
  let origin: Provisioned;
  let stranger: Provisioned;
  let acct: Provisioned;
  let anchors: string;
  let grpc: Client;
  let uac: UdpPeer;

  const sign = async (who: Provisioned, path: string, body: unknown) => {
    const r = await postJson(`${signer.url}${path}`, body, { authorization: `Bearer ${who.token}` });
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.text}`);
    return r.json.identity as string;
  };
  const call = { orig: { tn: CALLER }, dest: { tn: [CALLED] } };
  const shaken = () => sign(origin, '/api/stir-shaken/sign', { ...call, attest: 'A' });
  const rph = (auth: string[], who = origin) => sign(who, '/api/stir-shaken/rph', { ...call, rph: { auth } });
  const tamper = (identity: string) => {
    const [jws, ...params] = identity.split(';');
    const [h, p, s] = jws!.split('.') as [string, string, string];
    const raised = Buffer.from(Buffer.from(p, 'base64url').toString().replace(/"auth":\[[^\]]*\]/, '"auth":["ets.0","wps.0"]')).toString('base64url');
    return [`${h}.${raised}.${s}`, ...params].join(';');
  };
  const verifyHttp = async (identity: string[], resourcePriority?: string) =>
    (await postJson(`${verifier.url}/api/stir-shaken/verify`, { identity, from: CALLER, to: CALLED, ...(resourcePriority ? { resourcePriority } : {}) }, { authorization: `Bearer ${acct.token}` })).json;

  beforeAll(async () => {
    signer = await startTestService();
    origin = await signer.provision({ defaultAttest: 'A', maxAttest: 'A', rphNamespaces: ['ets', 'wps'] });
    // Granted too, but its STI-CA root is not among the verifier's trust anchors: another PKI.
    stranger = await signer.provision({ rphNamespaces: ['ets', 'wps'] });
    anchors = await mkdtemp(join(tmpdir(), 'verify-rph-'));
    await writeFile(join(anchors, 'origin.pem'), origin.pki.root.certPem);
    verifier = await startTestService({ overrides: { 'sip.mode': 'verify', 'verify.trustAnchors': anchors, 'verify.trustReloadMs': 0, 'verify.allowInsecureX5u': true } });
    acct = await verifier.provision({ sipSource: '127.0.0.1' });
    grpc = verifierClient(verifier.grpcAddress);
    uac = await UdpPeer.open();
  });
  afterAll(async () => {
    uac?.close();
    grpc?.close();
    await verifier?.stop();
    await signer?.stop();
    await rm(anchors, { recursive: true, force: true });
  });

  describe('HTTP: POST /api/stir-shaken/verify', () => {
    it('passes a good priority call and reports its rph: auth values, agreement with the shaken PASSporT, priority authorised', async () => {
      const v = await verifyHttp([await shaken(), await rph(['ets.0', 'wps.1'])], 'ets.0, WPS.1, ets.2');
      expect(v).toMatchObject({ ok: true, verstat: 'TN-Validation-Passed', attest: 'A' });
      expect(v.call.passports[1]).toMatchObject({ index: 1, kind: 'rph', ppt: 'rph', ok: true, verstat: 'TN-Validation-Passed', cert: { spc: expect.any(String) }, rph: { auth: ['ets.0', 'wps.1'], agreesWithShaken: true, agreesWithCaller: true, authorizes: true } });
      expect(v.call.priority).toEqual({ authorized: ['ets.0', 'wps.1'], unauthorized: ['ets.2'] });
    });

    it('reports a tampered rph as failed (signature), authorises nothing, and leaves the shaken verdict alone', async () => {
      const v = await verifyHttp([await shaken(), tamper(await rph(['wps.4']))], 'ets.0');
      expect(v).toMatchObject({ ok: true, verstat: 'TN-Validation-Passed' });
      expect(v.call.passports[1]).toMatchObject({ kind: 'rph', ok: false, reason: 'signature_invalid', sip: 438, reasonPhrase: 'Invalid Identity Header', rph: { auth: ['ets.0', 'wps.0'], authorizes: false } });
      expect(v.call.priority).toEqual({ authorized: [], unauthorized: ['ets.0'] });
    });

    it('reports an rph from a PKI the verifier does not trust as failed, authorising nothing', async () => {
      const v = await verifyHttp([await shaken(), await rph(['ets.0'], stranger)]);
      expect(v).toMatchObject({ ok: true, verstat: 'TN-Validation-Passed' });
      expect(v.call.passports[1]).toMatchObject({ kind: 'rph', ok: false, reason: 'cert_untrusted', sip: 437, rph: { authorizes: false } });
      expect(v.call.priority).toEqual({ authorized: [] });
    });

    it('refuses a resourcePriority that is not RFC 4412 r-values with 400 naming the field', async () => {
      const r = await postJson(`${verifier.url}/api/stir-shaken/verify`, { identity: await shaken(), resourcePriority: 'ets 0' }, { authorization: `Bearer ${acct.token}` });
      expect(r).toMatchObject({ status: 400, json: { error: { code: 'ERR_REQ_FIELD_INVALID', field: 'resourcePriority' } } });
    });
  });

  it('gRPC Verifier/Verify carries the same rph report and priority', async () => {
    const r = await callUnary<Record<string, any>>(grpc, 'Verify', { identity: [await shaken(), tamper(await rph(['ets.0']))], from: CALLER, to: [CALLED], resourcePriority: ['ets.0'] }, bearer(acct.token));
    expect(r.error).toBeUndefined();
    expect(r.value).toMatchObject({ ok: true, verstat: 'TN-Validation-Passed' });
    expect(r.value!.call.passports[1]).toMatchObject({ kind: 'rph', ok: false, reason: 'signature_invalid', rph: { auth: ['ets.0', 'wps.0'], authorizes: false } });
    // proto3 leaves an empty repeated field off the wire: nothing authorised reads as no `authorized`.
    expect(r.value!.call.priority).toEqual({ unauthorized: ['ets.0'] });
    const good = await callUnary<Record<string, any>>(grpc, 'Verify', { identity: [await shaken(), await rph(['ets.0'])], from: CALLER, to: [CALLED] }, bearer(acct.token));
    expect(good.value!.call.passports[1].rph).toEqual({ auth: ['ets.0'], agreesWithShaken: true, agreesWithCaller: true, authorizes: true });
    expect(good.value!.call.priority).toEqual({ authorized: ['ets.0'] });
  });

  describe('SIP verify mode: the 302 passes on only the Resource-Priority values a valid rph authorises', () => {
    const invite = (identity: string[], resourcePriority: string) =>
      sipRequest({ uri: `sip:${CALLED}@127.0.0.1`, extra: [...identity.map((i) => `Identity: ${i}`), `Resource-Priority: ${resourcePriority}`, `Date: ${new Date().toUTCString()}`] });

    it('keeps the authorised values and drops the rest, with verstat on the caller', async () => {
      const r = await uac.request(verifier.node.sipPort!, invite([await shaken(), await rph(['ets.0'])], 'ets.0, wps.0'));
      expect(r.status).toBe(302);
      expect(r.headers.get('p-asserted-identity')).toEqual([`<tel:+${CALLER};verstat=TN-Validation-Passed>`]);
      expect(r.headers.get('resource-priority')).toEqual(['ets.0']);
    });

    it('carries no Resource-Priority for a tampered rph or none at all; the call itself still passes', async () => {
      for (const identity of [[await shaken(), tamper(await rph(['ets.0']))], [await shaken()]]) {
        const r = await uac.request(verifier.node.sipPort!, invite(identity, 'ets.0'));
        expect(r.status).toBe(302);
        expect(r.headers.get('p-asserted-identity')).toEqual([`<tel:+${CALLER};verstat=TN-Validation-Passed>`]);
        expect(r.headers.get('resource-priority')).toBeUndefined();
      }
    });
  });
});
