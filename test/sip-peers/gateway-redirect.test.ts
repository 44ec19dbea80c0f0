import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, importSPKI } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { startSecsipid302 } from '../../bench/sip/kamailio-secsipid-302.bench.js';
import { KAMAILIO_CLIENT_DIR, missingSipPeers, startKamailio } from '../helpers/kamailio.js';
import { receivedRequests, runUac, startUas } from '../helpers/sipp.js';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loggedIdentity, uacFailure } from './support.js';

const VERIFY_CFG = join(dirname(fileURLToPath(import.meta.url)), 'kamailio-secsipid-verify.cfg');

const missing = missingSipPeers();
if (missing) console.warn(`test/sip-peers/gateway-redirect: skipped, ${missing}`);

/**
 * kamailio-gateway.cfg with REDIRECT_SERVER: the INVITE is signed by a SIP 302 redirect server instead of
 * over HTTP. Any server that answers 302 with Identity and Contact will do; here it is Kamailio's own
 * secsipid signer (bench/sip/kamailio-secsipid-302.cfg), whose Contact points at the carrier (a sipp UAS).
 */
describe.skipIf(missing !== undefined)('Kamailio gateway following a SIP 302 redirect server', () => {
  const running: Array<{ stop(): Promise<void> }> = [];
  let dir: string | undefined;
  afterEach(async () => {
    for (const r of running.splice(0).reverse()) await r.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sends the INVITE to the Contact of the 302 with the Identity of the 302, X-Attestation removed, and the dialog through itself', async () => {
    dir = mkdtempSync(join(tmpdir(), 'shakenstack-sip-redirect-'));
    const uas = await startUas('uas-expect-identity.xml', { dir });
    running.push(uas.run);
    const redirect = await startSecsipid302({ children: 1, target: `127.0.0.1:${uas.port}` });
    running.push(redirect);
    const kam = await startKamailio({
      cfg: join(KAMAILIO_CLIENT_DIR, 'kamailio-gateway.cfg'),
      defines: { REDIRECT_SERVER: `sip:${redirect.address}`, CHILDREN: 2 },
    });
    running.push(kam);

    const uac = await runUac('uac-call.xml', kam.address, { dir, rows: [['+14045266060', '+18001234567', '', 'X-Attestation: A']] });
    expect(uac.code, uacFailure(uac, kam.log())).toBe(0);
    expect((await uas.run.done).code).toBe(0);

    const identity = loggedIdentity(uas.logLines())!;
    const [jws, info] = identity.split(';info=');
    expect(info).toBe(`<${redirect.x5u}>;alg=ES256;ppt=shaken`);
    const { payload } = await compactVerify(jws!, await importSPKI(redirect.publicKeyPem, 'ES256'));
    const claims = JSON.parse(new TextDecoder().decode(payload));
    expect(claims.orig).toEqual({ tn: '14045266060' });
    expect(claims.dest).toEqual({ tn: ['18001234567'] });

    const [invite] = receivedRequests(uas.messages(), 'INVITE');
    expect(invite).toMatch(new RegExp(`^INVITE sip:18001234567@127\\.0\\.0\\.1:${uas.port} SIP/2\\.0`));
    expect(invite).not.toMatch(/^X-Attestation:/im);
    expect(receivedRequests(uas.messages(), 'BYE')).toHaveLength(1);
    expect(kam.log()).not.toMatch(/ERROR|CRITICAL/);
  });

  it('forwards unsigned to CARRIER when the redirect server answers anything but a 3xx, and logs why', async () => {
    dir = mkdtempSync(join(tmpdir(), 'shakenstack-sip-redirect-'));
    const uas = await startUas('uas-expect-no-identity.xml', { dir });
    running.push(uas.run);
    // Answers 428 to an INVITE without Identity: not a redirect.
    const notRedirect = await startKamailio({ cfg: VERIFY_CFG });
    running.push(notRedirect);
    const kam = await startKamailio({
      cfg: join(KAMAILIO_CLIENT_DIR, 'kamailio-gateway.cfg'),
      defines: { REDIRECT_SERVER: `sip:${notRedirect.address}`, CARRIER: `sip:127.0.0.1:${uas.port}`, CHILDREN: 2 },
    });
    running.push(kam);
    const uac = await runUac('uac-call.xml', kam.address, { dir, rows: [['+14045266060', '+18001234567', '', '']] });
    expect(uac.code, uacFailure(uac, kam.log())).toBe(0);
    expect((await uas.run.done).code).toBe(0);
    expect(kam.log()).toMatch(/cannot sign .*the redirect server answered 428; forwarding unsigned/);
  });
});
