import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { compactVerify, importX509 } from 'jose';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/load.js';
import { CertificatePublisher } from '../../server/core/certificate-publisher.js';
import { createRoutingService } from '../../server/core/routing-service.js';
import { parseTrustAnchors, staticTrustSource } from '../../server/core/verify/trust-anchors.js';
import { createVerifier, type Verifier } from '../../server/core/verify/verify-service.js';
import { buildHttpApp } from '../../server/http/app.js';
import { createHttpsFetcher } from '../../server/verify-fetch/https-fetcher.js';
import { coreFixture, FakeClock, type CoreFixture } from '../helpers/core-fixture.js';
import { expectDescribedAnswer } from '../helpers/ms-openapi.js';
import { postJson } from '../helpers/service.js';
import { CertServer } from '../verify/support.js';

/*
 * Issue 15: rph PASSporTs (RFC 8443) over the 3GPP Ms resources. The right to sign one is granted per account and
 * Resource-Priority namespace (AccountRecord.rphNamespaces); until the store and the admin API carry it, the grant
 * is made in the directory itself, so this HTTP app is built over the core fixture's in-memory directory rather
 * than a whole node. Its verifier fetches the account's chain over loopback http and trusts the account's root.
 */

const SIGNING = '/3gpp/ms/v1/signing';
const VERIFICATION = '/3gpp/ms/v1/verification';
const CALLER = '12025550100';
const CALLED = '12025550199';

describe('3GPP Ms rph signing (a granted account) and verification of a call carrying an rph', () => {
  let f: CoreFixture;
  let certs: CertServer;
  let verifier: Verifier;
  let app: FastifyInstance;
  let url: string;
  const nowSec = () => Math.floor(f.clock.now() / 1000);

  function grant(namespaces: string[]): void {
    f.dir.accounts.set(f.account.id, { ...f.account, rphNamespaces: namespaces });
    f.signing.invalidate();
  }
  async function ms(path: string, body: unknown) {
    const r = await postJson(`${url}${path}`, body, { authorization: `Bearer ${f.token}` });
    expectDescribedAnswer('POST', path, r);
    return r;
  }

  beforeAll(async () => {
    f = await coreFixture({ clock: new FakeClock(Date.now()) });
    certs = await CertServer.start({ plain: true });
    f.dir.credentials[0]!.x5u = certs.serve('/sp.pem', f.pki.chainPem);
    const fetcher = createHttpsFetcher({ allowHttpX5u: true, allowPrivateAddresses: true, timeoutMs: 2000, maxBytes: 65536, tlsCa: certs.tlsCaPem, now: () => f.clock.now() });
    const trust = staticTrustSource(parseTrustAnchors([{ name: 'root', text: f.pki.root.certPem }], 1));
    verifier = createVerifier({ fetcher, trust, clock: f.clock, options: { maxAgeSec: 60, allowHttpX5u: true, crlPolicy: 'soft-fail' }, authenticator: f.signing.authenticator, log: f.dir });
    app = buildHttpApp({
      signing: f.signing,
      routing: createRoutingService({ signing: f.signing, directory: f.dir, clock: f.clock, cacheTtlMs: 60_000 }),
      certificates: new CertificatePublisher({ listCredentials: async () => f.dir.credentials }, f.clock),
      readiness: { check: async () => ({ status: 'ready', checks: {} }) },
      logger: pino({ level: 'silent' }),
      bodyLimit: 65536,
      connections: loadConfig({ env: {} }).http,
      verifier,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app.close();
    await certs.stop();
  });

  it('signs an rph PASSporT with sph for ppt rph once the namespace is granted; jose verifies it', async () => {
    grant(['ets']);
    const r = await ms(SIGNING, { signingRequest: { ppt: 'rph', orig: { tn: CALLER }, dest: { tn: [CALLED] }, iat: nowSec(), rph: { auth: ['ets.0'] }, sph: 'psap-callback', requestId: 'r-1' } });
    expect(r.status, r.text).toBe(200);
    expect(r.json.signingResponse.requestId).toBe('r-1');
    const identity: string = r.json.signingResponse.identityHeader;
    expect(identity.endsWith(`;info=<${f.dir.credentials[0]!.x5u}>;alg=ES256;ppt=rph`)).toBe(true);
    const { payload, protectedHeader } = await compactVerify(identity.split(';')[0]!, await importX509(f.pki.leaf.certPem, 'ES256'));
    expect(protectedHeader).toEqual({ alg: 'ES256', ppt: 'rph', typ: 'passport', x5u: f.dir.credentials[0]!.x5u });
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ dest: { tn: [CALLED] }, iat: nowSec(), orig: { tn: CALLER }, rph: { auth: ['ets.0'] }, sph: 'psap-callback' });
  });

  it('refuses a namespace the account was not granted: 403 Forbidden naming rph.auth', async () => {
    grant(['ets']);
    const r = await ms(SIGNING, { signingRequest: { ppt: 'rph', orig: { tn: CALLER }, dest: { tn: [CALLED] }, rph: { auth: ['wps.0'] } } });
    expect([r.status, r.json.error]).toEqual([403, expect.stringMatching(/^Forbidden 'rph\.auth': .*wps/)]);
  });

  it('reports the rph of a call in its own verifyResult, as the core judged it, and verstatPriority only when it passed', async () => {
    grant(['ets']);
    const sign = async (signingRequest: Record<string, unknown>) => (await ms(SIGNING, { signingRequest: { orig: { tn: CALLER }, dest: { tn: [CALLED] }, iat: nowSec(), ...signingRequest } })).json.signingResponse.identityHeader as string;
    const shaken = await sign({ attest: 'B' });
    const rph = await sign({ ppt: 'rph', rph: { auth: ['ets.0'] } });
    const r = await ms(VERIFICATION, { verificationRequest: { identityHeader: shaken, identityHeaders: [rph], from: { tn: CALLER }, to: { tn: CALLED }, time: nowSec(), protectedHeaders: ['Resource-Priority: ets.0'] } });
    expect(r.status, r.text).toBe(200);

    // The core's own verdict on the same call: the answer maps it, whether rph is judged or listed unjudged.
    const core = await verifier.verify({ identity: [shaken, rph], origTn: CALLER, destTn: [CALLED], dateSec: nowSec() });
    const judged = core.call!.passports[1]!;
    expect(judged.kind).toBe('rph');
    const [first, second] = r.json.verificationResponse.verifyResults.map((x: { verifyResult: unknown }) => x.verifyResult);
    expect(first).toMatchObject({ ppt: 'shaken', status: 'pass' });
    if (judged.ok === true) {
      expect(second).toEqual({ ppt: 'rph', status: 'pass', validClaims: judged.claims });
      expect(r.json.verificationResponse.verstatPriority).toBe('RPH-Validation-Passed');
    } else {
      expect(second).toMatchObject({ ppt: 'rph', status: 'fail', reasonCode: judged.sip ?? 438, passport: rph.split(';')[0] });
      expect(r.json.verificationResponse.verstatPriority).toBeUndefined();
    }
    expect(r.json.verificationResponse.verstatValue).toBe(core.verstat);
  });
});
