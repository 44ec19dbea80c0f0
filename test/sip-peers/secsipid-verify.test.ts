import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingSipPeers, startKamailio, type RunningKamailio } from '../helpers/kamailio.js';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { sendInvite } from './support.js';

const missing = missingSipPeers();
if (missing) console.warn(`test/sip-peers/secsipid-verify: skipped, ${missing}`);

const VERIFY_CFG = join(dirname(fileURLToPath(import.meta.url)), 'kamailio-secsipid-verify.cfg');

/**
 * Kamailio's secsipid module (libsecsipid, written apart from shakenstack, in Go) as the verifier of the
 * Identity headers shakenstack produces: it fetches the x5u the service publishes over http on
 * 127.0.0.1, checks the chain to the test root (libopt CertVerify=13: dates, root file, intermediate
 * file), the iat against its `expire` (60 s) and the ES256 signature.
 */
describe.skipIf(missing !== undefined)('Kamailio secsipid_check_identity verifies what shakenstack signs', () => {
  let service: TestService;
  let acct: Provisioned;
  let stranger: Provisioned;
  let verifier: RunningKamailio;
  let dir: string;

  beforeAll(async () => {
    service = await startTestService();
    acct = await service.provision();
    // Its own test PKI: a root the verifier is not given.
    stranger = await service.provision();
    dir = mkdtempSync(join(tmpdir(), 'shakenstack-secsipid-'));
    writeFileSync(join(dir, 'root.pem'), acct.pki.root.certPem);
    writeFileSync(join(dir, 'intermediate.pem'), acct.pki.intermediate.certPem);
    verifier = await startKamailio({
      cfg: VERIFY_CFG,
      defines: {
        OPT_CERT_VERIFY: 'CertVerify=13',
        OPT_CA_FILE: `CertCAFile=${resolve(dir, 'root.pem')}`,
        OPT_CA_INTER: `CertCAInter=${resolve(dir, 'intermediate.pem')}`,
      },
    });
  });
  afterAll(async () => {
    await verifier?.stop();
    await service?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function identityFor(p: Provisioned, body: Record<string, unknown> = {}): Promise<string> {
    const res = await postJson(`${service.url}/api/stir-shaken/sign`, { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A', ...body }, { authorization: `Bearer ${p.token}` });
    expect(res.status, res.text).toBe(200);
    return res.json.identity as string;
  }

  it('accepts an Identity header signed by shakenstack, fetching its x5u over http from 127.0.0.1', async () => {
    const answer = await sendInvite(verifier.port, await identityFor(acct));
    expect(`${answer.status} ${answer.reason}`).toBe('200 Identity Verified');
  });

  it('accepts every attestation level and several called numbers', async () => {
    for (const attest of ['A', 'B', 'C']) {
      const answer = await sendInvite(verifier.port, await identityFor(acct, { attest, dest: { tn: ['18001234567', '18005550199'] } }));
      expect(answer.status, `attest ${attest}`).toBe(200);
    }
  });

  it('refuses the same header with one signature byte changed (so it does check the signature)', async () => {
    const identity = await identityFor(acct);
    const [jws, params] = [identity.slice(0, identity.indexOf(';')), identity.slice(identity.indexOf(';'))];
    const sig = jws.slice(jws.lastIndexOf('.') + 1);
    const flipped = (sig[10] === 'A' ? 'B' : 'A');
    const tampered = `${jws.slice(0, jws.lastIndexOf('.') + 1)}${sig.slice(0, 10)}${flipped}${sig.slice(11)}${params}`;
    const answer = await sendInvite(verifier.port, tampered);
    expect(answer.status).toBe(438);
    expect(answer.headers).toMatch(/^X-Secsipid-Ret: -\d+/m);
  });

  it('refuses a header whose certificate chains to a root it was not given (so it does check the chain)', async () => {
    const answer = await sendInvite(verifier.port, await identityFor(stranger));
    expect(answer.status).toBe(438);
  });

  it('answers 428 to an INVITE without Identity', async () => {
    const answer = await sendInvite(verifier.port, undefined);
    expect(answer.status).toBe(428);
  });
});
