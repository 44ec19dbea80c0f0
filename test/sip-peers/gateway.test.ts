import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sipOptionsPing } from '../../bench/sip/udp.js';
import { KAMAILIO_CLIENT_DIR, missingSipPeers, startGateway, startKamailio, type GatewayVariant, type RunningKamailio } from '../helpers/kamailio.js';
import { startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { receivedRequests, runUac, startUas, type Uas } from '../helpers/sipp.js';
import { checkIdentityIndependently, loggedIdentity, startSilentHttpServer, uacFailure } from './support.js';

const missing = missingSipPeers();
if (missing) console.warn(`test/sip-peers/gateway: skipped, ${missing}`);

const VARIANTS: Array<{ variant: GatewayVariant; title: string }> = [
  { variant: 'cfg', title: 'kamailio-gateway.cfg (http_client in the native config)' },
  { variant: 'kemi', title: 'kamailio-gateway-kemi.cfg (KEMI Lua shim shakenstack.lua)' },
];

describe.skipIf(missing !== undefined).each(VARIANTS)('Kamailio gateway: $title', ({ variant }) => {
  let service: TestService;
  let acct: Provisioned;
  let dir: string;
  const running: Array<{ stop(): Promise<void> }> = [];

  beforeAll(async () => {
    service = await startTestService();
    acct = await service.provision({ defaultAttest: 'C', maxAttest: 'A' });
  });
  afterAll(async () => {
    await service?.stop();
  });
  afterEach(async () => {
    for (const r of running.splice(0).reverse()) await r.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function setUp(opts: { uasScenario: string; serviceUrl?: string; apiKey?: string; onFailure?: 'forward' | 'reject' }): Promise<{ kam: RunningKamailio; uas: Uas }> {
    dir = mkdtempSync(join(tmpdir(), 'shakenstack-sip-peers-'));
    const uas = await startUas(opts.uasScenario, { dir });
    running.push(uas.run);
    const kam = await startGateway({
      variant,
      serviceUrl: opts.serviceUrl ?? service.url,
      apiKey: opts.apiKey ?? acct.token,
      carrier: `sip:127.0.0.1:${uas.port}`,
      onFailure: opts.onFailure,
    });
    running.push(kam);
    return { kam, uas };
  }

  it('signs the INVITE (orig from P-Asserted-Identity, attestation from X-Attestation, which is stripped) and a verifier of its own accepts it', async () => {
    const { kam, uas } = await setUp({ uasScenario: 'uas-expect-identity.xml' });
    const uac = await runUac('uac-call.xml', kam.address, {
      dir,
      rows: [['+15551230000', '+18001234567', 'P-Asserted-Identity: <sip:+14045266060@127.0.0.1>', 'X-Attestation: B']],
    });
    expect(uac.code, uacFailure(uac, kam.log())).toBe(0);
    expect((await uas.run.done).code).toBe(0);

    const identity = loggedIdentity(uas.logLines());
    expect(identity).toBeDefined();
    const checked = await checkIdentityIndependently(identity!, acct.pki);
    expect(checked.header).toEqual({ alg: 'ES256', ppt: 'shaken', typ: 'passport', x5u: acct.x5u });
    expect(checked.info).toBe(acct.x5u);
    expect(checked.claims.orig).toEqual({ tn: '14045266060' });
    expect(checked.claims.dest).toEqual({ tn: ['18001234567'] });
    expect(checked.claims.attest).toBe('B');
    expect(kam.log()).not.toMatch(/ERROR|CRITICAL/);

    // What reached the carrier: one INVITE (record-routed, no X-Attestation), then the PBX's ACK and BYE
    // along the route set, i.e. through Kamailio.
    const invites = receivedRequests(uas.messages(), 'INVITE');
    expect(invites).toHaveLength(1);
    expect(invites[0]).toMatch(new RegExp(`^Record-Route: <sip:127\\.0\\.0\\.1:${kam.port};lr`, 'm'));
    expect(invites[0]).not.toMatch(/^X-Attestation:/im);
    expect(invites[0]!.match(/^Identity:/gm)).toHaveLength(1);
    for (const method of ['ACK', 'BYE']) {
      const [req] = receivedRequests(uas.messages(), method);
      expect(req, `${method} at the carrier`).toBeDefined();
      expect(req).toMatch(new RegExp(`^Via: SIP/2\\.0/UDP 127\\.0\\.0\\.1:${kam.port};`, 'm'));
    }
  });

  it('takes orig from From and the account default attestation when the PBX sends neither P-Asserted-Identity nor X-Attestation', async () => {
    const { kam, uas } = await setUp({ uasScenario: 'uas-expect-identity.xml' });
    const uac = await runUac('uac-call.xml', kam.address, { dir, rows: [['+12025550123', '18005550199', '', '']] });
    expect(uac.code, uacFailure(uac, kam.log())).toBe(0);
    expect((await uas.run.done).code).toBe(0);
    const checked = await checkIdentityIndependently(loggedIdentity(uas.logLines())!, acct.pki);
    expect(checked.claims.orig).toEqual({ tn: '12025550123' });
    expect(checked.claims.dest).toEqual({ tn: ['18005550199'] });
    expect(checked.claims.attest).toBe('C');
    expect(kam.log()).not.toMatch(/ERROR|CRITICAL/);
  });

  it('forwards the call unsigned when shakenstack is down (on_failure forward) and logs why', async () => {
    const silent = await startSilentHttpServer();
    const downUrl = silent.url;
    await silent.close(); // nothing listens there any more: connection refused
    const { kam, uas } = await setUp({ uasScenario: 'uas-expect-no-identity.xml', serviceUrl: downUrl });
    const uac = await runUac('uac-call.xml', kam.address, { dir, rows: [['+14045266060', '18001234567', '', '']] });
    expect(uac.code, uacFailure(uac, kam.log())).toBe(0);
    expect((await uas.run.done).code).toBe(0);
    expect(kam.log()).toMatch(/cannot sign [^\n]*no answer from/);
    expect(kam.log()).toMatch(/forwarding[^\n]* unsigned/);
  });

  it('answers 503 when the API key is refused (on_failure reject), logs the service error and never the key', async () => {
    const badKey = 'ssk_0000000000000000_notAValidKeyNotAValidKeyNotAValidKey12';
    const { kam, uas } = await setUp({ uasScenario: 'uas-expect-identity.xml', apiKey: badKey, onFailure: 'reject' });
    const uac = await runUac('uac-expect-503.xml', kam.address, { dir, rows: [['+14045266060', '18001234567', '', '']] });
    expect(uac.code, uacFailure(uac, kam.log())).toBe(0);
    expect(receivedRequests(uas.messages(), 'INVITE')).toHaveLength(0);
    expect(kam.log()).toMatch(/cannot sign .*(HTTP 401|ERR_AUTH_INVALID)/);
    expect(kam.log()).not.toContain(badKey);
    expect(kam.log()).not.toContain(acct.token);
  });

  it('gives up on a service that never answers after its timeout, forwards the INVITE once, unsigned, and keeps answering', async () => {
    const silent = await startSilentHttpServer();
    running.push({ stop: () => silent.close() });
    const { kam, uas } = await setUp({ uasScenario: 'uas-expect-no-identity.xml', serviceUrl: silent.url });
    const uac = await runUac('uac-call.xml', kam.address, { dir, rows: [['+14045266060', '18001234567', '', '']] });
    // The UAC's own receive timeout (10 s) bounds the whole call: a stalled worker would fail it.
    expect(uac.code, uacFailure(uac, kam.log())).toBe(0);
    expect((await uas.run.done).code).toBe(0);
    expect(silent.connections()).toBe(1);
    expect(receivedRequests(uas.messages(), 'INVITE')).toHaveLength(1);
    expect(kam.log()).toMatch(/cannot sign [^\n]*no answer from/);
    expect(kam.log()).toMatch(/forwarding[^\n]* unsigned/);
    expect(await sipOptionsPing('127.0.0.1', kam.port, 2_000)).toMatch(/^SIP\/2\.0 200/);
  });

  it('refuses to start calls from outside PBX_NET with 403', async () => {
    // Every test peer is on 127.0.0.1, so the allowed network is set to one that excludes it.
    const kam = await startKamailio({
      cfg: join(KAMAILIO_CLIENT_DIR, variant === 'kemi' ? 'kamailio-gateway-kemi.cfg' : 'kamailio-gateway.cfg'),
      defines: { SHAKENSTACK_URL: service.url, PBX_NET: '192.0.2.0/24', CHILDREN: 1, ...(variant === 'kemi' ? { GATEWAY_LUA: join(KAMAILIO_CLIENT_DIR, 'gateway.lua') } : {}) },
      env: { SHAKENSTACK_API_KEY: acct.token },
    });
    running.push(kam);
    // startKamailio is ready at the first answer of any kind; from 127.0.0.1 that is this 403.
    expect(await sipOptionsPing('127.0.0.1', kam.port, 2_000)).toMatch(/^SIP\/2\.0 403/);
    expect(kam.log()).toMatch(/refused OPTIONS from 127\.0\.0\.1/);
  });
});
