import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addRoutingRule } from '../../server/manage/routing-rules.js';
import { KAMAILIO_CLIENT_DIR, missingSipPeers, startKamailio } from '../helpers/kamailio.js';
import { startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { receivedRequests, runUac, startUas } from '../helpers/sipp.js';
import { checkIdentityIndependently, loggedIdentity } from '../sip-peers/support.js';

const missing = missingSipPeers();
if (missing) console.warn(`test/sip/kamailio-redirect: skipped, ${missing}`);

/**
 * The whole SIP path with real peers: sipp (the PBX) → Kamailio (clients/kamailio/kamailio-gateway.cfg with
 * REDIRECT_SERVER) → shakenstack's redirect server answers 302 with Identity and, from the account's routing
 * rule, the carrier in Contact → Kamailio sends the INVITE there → sipp (the carrier) checks the Identity.
 */
describe.skipIf(missing !== undefined)('Kamailio gateway signing through the shakenstack redirect server', () => {
  let svc: TestService;
  let acct: Provisioned;
  let dir: string;
  const running: Array<{ stop(): Promise<void> }> = [];
  beforeAll(async () => {
    svc = await startTestService({ sip: true });
    acct = await svc.provision({ defaultAttest: 'A', maxAttest: 'A', sipSource: '127.0.0.1' });
  });
  afterEach(async () => {
    for (const r of running.splice(0).reverse()) await r.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterAll(() => svc.stop());

  it('carries our Identity to the carrier named by the routing rule, with the X-Attestation level, and routes the dialog through Kamailio', async () => {
    dir = mkdtempSync(join(tmpdir(), 'shakenstack-kam-redirect-'));
    const uas = await startUas('uas-expect-identity.xml', { dir });
    running.push(uas.run);
    await addRoutingRule(svc.node.store, acct.account.id, { prefix: '1800', target: `sip:127.0.0.1:${uas.port}` });
    const kam = await startKamailio({
      cfg: join(KAMAILIO_CLIENT_DIR, 'kamailio-gateway.cfg'),
      defines: { REDIRECT_SERVER: `sip:127.0.0.1:${svc.node.sipPort}`, CHILDREN: 2 },
    });
    running.push(kam);
    // The rule must have reached the running node (changePollMs is 50 ms in tests).
    await new Promise((r) => setTimeout(r, 300));

    const uac = await runUac('uac-call.xml', kam.address, { dir, rows: [['+14045266060', '+18001234567', '', 'X-Attestation: B']] });
    expect(uac.code, uac.output.slice(-1500)).toBe(0);
    expect((await uas.run.done).code).toBe(0);

    const identity = loggedIdentity(uas.logLines())!;
    const { claims } = await checkIdentityIndependently(identity, acct.pki);
    expect(claims).toMatchObject({ attest: 'B', orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] } });
    const [invite] = receivedRequests(uas.messages(), 'INVITE');
    expect(invite).toMatch(new RegExp(`^INVITE sip:127\\.0\\.0\\.1:${uas.port} SIP/2\\.0`));
    expect(invite).not.toMatch(/^X-Attestation:/im);
    expect(receivedRequests(uas.messages(), 'BYE')).toHaveLength(1);
    const logged = await svc.node.store.queryRequestLog({ accountId: acct.account.id, transport: 'sip' });
    expect(logged.map((r) => [r.outcome, r.attestApplied])).toContainEqual(['ok', 'B']);
  });
});
