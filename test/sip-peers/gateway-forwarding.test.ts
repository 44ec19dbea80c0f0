import { createPublicKey, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, importSPKI } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyCallPassports } from '../../server/core/div/verify-call-passports.js';
import { createVerifier } from '../../server/core/verify/verify-service.js';
import { parseTrustAnchors, staticTrustSource } from '../../server/core/verify/trust-anchors.js';
import { createHttpsFetcher } from '../../server/verify-fetch/https-fetcher.js';
import { missingSipPeers, startGateway, type GatewayVariant } from '../helpers/kamailio.js';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { receivedRequests, runUac, startUas, type Uas } from '../helpers/sipp.js';
import { uacFailure } from './support.js';

const missing = missingSipPeers();
if (missing) console.warn(`test/sip-peers/gateway-forwarding: skipped, ${missing}`);

const VARIANTS: Array<{ variant: GatewayVariant; title: string }> = [
  { variant: 'cfg', title: 'kamailio-gateway.cfg (htable, http_client)' },
  { variant: 'kemi', title: 'kamailio-gateway-kemi.cfg (gateway.lua, shakenstack.lua)' },
];

const CALLER = '14045266060';
/** The number the caller dialled, which this gateway forwards, and where it forwards it. */
const FORWARDED = '18005550100';
const TARGET = '12025550199';

/** The header lines named `name` of a SIP message as sipp traced it. */
function headerValues(message: string, name: string): string[] {
  return [...message.matchAll(new RegExp(`^${name}:[ \\t]*(.+?)\\r?$`, 'gim'))].map((m) => m[1]!);
}

describe.skipIf(missing !== undefined).each(VARIANTS)('Kamailio gateway forwarding a signed call (RFC 8946): $title', ({ variant }) => {
  let service: TestService;
  let origin: Provisioned;
  let forwarder: Provisioned;
  let dir: string;
  const running: Array<{ stop(): Promise<void> }> = [];

  beforeAll(async () => {
    service = await startTestService();
    // The originating provider signed the call; the gateway's own account signs the div of its hop.
    origin = await service.provision({ defaultAttest: 'A', maxAttest: 'A' });
    forwarder = await service.provision();
  });
  afterAll(async () => {
    await service?.stop();
  });
  afterEach(async () => {
    for (const r of running.splice(0).reverse()) await r.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function forwardedCall(opts: { apiKey?: string; onFailure?: 'forward' | 'reject'; x5u?: string } = {}): Promise<{ shaken: string; invite: string; uas: Uas; log: string }> {
    dir = mkdtempSync(join(tmpdir(), 'shakenstack-sip-fwd-'));
    const uas = await startUas('uas-expect-identity.xml', { dir });
    running.push(uas.run);
    const kam = await startGateway({
      variant,
      serviceUrl: service.url,
      apiKey: opts.apiKey ?? forwarder.token,
      carrier: `sip:127.0.0.1:${uas.port}`,
      onFailure: opts.onFailure,
      forwards: { [FORWARDED]: TARGET },
    });
    running.push(kam);
    const signed = await postJson(`${service.url}/api/stir-shaken/sign`, { orig: { tn: CALLER }, dest: { tn: [FORWARDED] } }, { authorization: `Bearer ${origin.token}` });
    expect(signed.status).toBe(200);
    const x5u = opts.x5u ?? (signed.json.x5u as string);
    const shaken = `${(signed.json.identity as string).split(';')[0]!};info=<${x5u}>;alg=ES256;ppt=shaken`;
    const uac = await runUac('uac-forwarded-call.xml', kam.address, { dir, rows: [[`+${CALLER}`, FORWARDED, shaken.split(';')[0]!, x5u]] });
    expect(uac.code, uacFailure(uac, kam.log())).toBe(0);
    expect((await uas.run.done).code).toBe(0);
    const invites = receivedRequests(uas.messages(), 'INVITE');
    expect(invites).toHaveLength(1);
    return { shaken, invite: invites[0]!, uas, log: kam.log() };
  }

  it('adds a div PASSporT beside the received shaken one, a Diversion entry, and relays to the new target; the pair verifies', async () => {
    const { shaken, invite, log } = await forwardedCall();
    expect(log).not.toMatch(/ERROR|CRITICAL/);

    // Retargeted: the Request-URI names the new target; To stays as the caller set it (RFC 3261 §16.5).
    expect(invite).toMatch(new RegExp(`^INVITE sip:${TARGET}@`, 'm'));
    expect(headerValues(invite, 'To')[0]).toContain(`sip:${FORWARDED}@`);
    // RFC 5806: one entry for this hop, naming the number the call was sent to.
    const diversion = headerValues(invite, 'Diversion');
    expect(diversion).toHaveLength(1);
    expect(diversion[0]).toMatch(new RegExp(`^<sip:${FORWARDED}@[^>]+>;reason=unconditional;counter=1$`));

    // Both Identity headers: the received shaken one unchanged, and the div one.
    const identities = headerValues(invite, 'Identity');
    expect(identities).toHaveLength(2);
    expect(identities[0]).toBe(shaken);
    const div = identities[1]!;
    expect(div).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+;info=<[^>]+>;alg=ES256;ppt=div$/);

    // jose and node:crypto, with the forwarder's leaf key: the div is the forwarder's, over the canonical claims.
    const [jws] = div.split(';');
    const leaf = forwarder.pki.leaf.certPem;
    const spki = createPublicKey(leaf).export({ type: 'spki', format: 'pem' }).toString();
    const { protectedHeader, payload } = await compactVerify(jws!, await importSPKI(spki, 'ES256'));
    expect(protectedHeader).toEqual({ alg: 'ES256', ppt: 'div', typ: 'passport', x5u: forwarder.x5u });
    const [h, p, s] = jws!.split('.') as [string, string, string];
    expect(cryptoVerify('sha256', Buffer.from(`${h}.${p}`), { key: new X509Certificate(leaf).publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))).toBe(true);
    const shakenClaims = JSON.parse(Buffer.from(shaken.split('.')[1]!, 'base64url').toString()) as { origid: string };
    const claims = JSON.parse(new TextDecoder().decode(payload)) as { iat: number };
    expect(new TextDecoder().decode(payload)).toBe(`{"dest":{"tn":["${TARGET}"]},"div":{"tn":"${FORWARDED}"},"iat":${claims.iat},"orig":{"tn":"${CALLER}"},"origid":"${shakenClaims.origid}"}`);

    // The core's call verifier, trusting both providers' roots, fetching each x5u: the call passes as a chain
    // from the shaken dest to the number called now.
    const verifier = createVerifier({
      fetcher: createHttpsFetcher({ allowHttpX5u: true, allowPrivateAddresses: true, timeoutMs: 2000, maxBytes: 65536, now: () => Date.now() }),
      trust: staticTrustSource(parseTrustAnchors([origin.pki.root.certPem, forwarder.pki.root.certPem].map((text, i) => ({ name: `root${i}`, text })), 1)),
      clock: { now: () => Date.now() },
      options: { maxAgeSec: 60, allowHttpX5u: true, crlPolicy: 'soft-fail' },
    });
    const verdict = await verifyCallPassports(verifier, { identity: identities, calledTn: TARGET, origTn: CALLER });
    expect(verdict, JSON.stringify(verdict, null, 1)).toMatchObject({ ok: true, verstat: 'TN-Validation-Passed' });
    // Without the div the same call does not pass: the shaken dest is not the number called now.
    expect(await verifyCallPassports(verifier, { identity: [shaken], calledTn: TARGET, origTn: CALLER })).toMatchObject({ ok: false });
  });

  it('relays the call with its received Identity and no div when the div is refused (on_failure forward), and logs why', async () => {
    const badKey = 'ssk_0000000000000000_notAValidKeyNotAValidKeyNotAValidKey12';
    const { shaken, invite, log } = await forwardedCall({ apiKey: badKey });
    expect(headerValues(invite, 'Identity')).toEqual([shaken]);
    expect(invite).toMatch(new RegExp(`^INVITE sip:${TARGET}@`, 'm'));
    expect(log).toMatch(/cannot sign div [^\n]*(HTTP 401|ERR_AUTH_INVALID)/);
    expect(log).toMatch(/forwarding without div/);
    expect(log).not.toContain(badKey);
  });

  it('never copies a received Identity header holding a quote into the JSON request: relays without div', async () => {
    const { shaken, invite, log } = await forwardedCall({ x5u: 'http://127.0.0.1/certs/"x.pem' });
    expect(headerValues(invite, 'Identity')).toEqual([shaken]);
    expect(log).toMatch(/cannot sign div [^\n]*not of the form header\.payload\.signature;params/);
  });
});
