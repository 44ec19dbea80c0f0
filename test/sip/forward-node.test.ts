import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, importX509 } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sippPath } from '../../bench/sip/sipp.js';
import type { LabPki } from '../../server/pki/lab-pki.js';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { checkIdentityIndependently } from '../sip-peers/support.js';
import { forwardInvite, type ForwardInvite } from './forward-switch.js';

const missing = sippPath() ? undefined : 'not installed: sipp (Debian package sip-tester)';
if (missing) console.warn(`test/sip/forward-node: skipped, ${missing}`);

const CALLER = '14045266060';
const A = '18005550100';
const B = '18005550101';
const NOT_OURS = '18005550999';

/** A div Identity header checked without shakenstack's code: its x5u fetched, chained to the lab root, jose. */
async function checkDivIndependently(value: string, pki: LabPki) {
  const m = /^([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+);info=<([^>]+)>;alg=ES256;ppt=div$/.exec(value);
  if (!m) throw new Error(`not a div Identity header: ${value}`);
  const pems = (await (await fetch(m[2]!)).text()).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const chain = [...pems.map((p) => new X509Certificate(p)), new X509Certificate(pki.root.certPem)];
  for (let i = 0; i + 1 < chain.length; i++) expect(chain[i]!.verify(chain[i + 1]!.publicKey), `certificate ${i} of ${m[2]}`).toBe(true);
  const { payload, protectedHeader } = await compactVerify(m[1]!, await importX509(pems[0]!, 'ES256'));
  expect(protectedHeader).toEqual({ alg: 'ES256', ppt: 'div', typ: 'passport', x5u: m[2] });
  return JSON.parse(new TextDecoder().decode(payload));
}

/**
 * The same forwarding through a whole node (`shakenstack serve`: its store, its published x5u, its SIP server)
 * with `sip.onSignFailure=reject` and an enforce-mode account: the wiring, the stored request log and the
 * refusals' SIP statuses (the error table) as a switch sees them.
 */
describe.skipIf(missing !== undefined)('forwarded calls through a running node (sipp, sip.onSignFailure=reject)', () => {
  let svc: TestService;
  let acct: Provisioned;
  let dir: string;
  const invite = (o: ForwardInvite) => forwardInvite(dir, svc.node.sipPort!, { to: A, from: CALLER, ...o });
  async function shaken(dest: string): Promise<string> {
    const r = await postJson(`${svc.url}/api/stir-shaken/sign`, { orig: { tn: CALLER }, dest: { tn: [dest] } }, { authorization: `Bearer ${acct.token}` });
    expect(r.status).toBe(200);
    return r.json.identity;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shakenstack-forward-node-'));
    svc = await startTestService({ overrides: { 'sip.onSignFailure': 'reject' } });
    acct = await svc.provision({
      policyMode: 'enforce',
      defaultAttest: 'A',
      maxAttest: 'A',
      inventory: [{ kind: 'range', start: '14045266000', count: 100 }, { kind: 'range', start: A, count: 1 }],
      sipSource: '127.0.0.1',
    });
  });
  afterAll(async () => {
    await svc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers a call forwarded from A (the account serves it) to B with the shaken and a div, verified independently, and logs one record', async () => {
    const received = await shaken(A);
    const r = await invite({ ruri: B, lines: [`Identity: ${received}`, `History-Info: <sip:${A}@127.0.0.1>;index=1, <sip:${B}@127.0.0.1;cause=302>;index=1.1;mp=1`] });
    expect(r.status).toBe(302);
    const [first, div] = r.headers.get('identity') ?? [];
    expect(first).toBe(received);
    const origin = await checkIdentityIndependently(first!, acct.pki);
    expect(await checkDivIndependently(div!, acct.pki)).toEqual({ dest: { tn: [B] }, div: { tn: A }, iat: expect.any(Number), orig: { tn: CALLER }, origid: origin.claims.origid });
    await expect
      .poll(async () => (await svc.node.store.queryRequestLog({ accountId: acct.account.id, transport: 'sip' })).map((x) => [x.outcome, x.orig, x.dest, x.origid]), { timeout: 5000 })
      .toEqual([['ok', CALLER, B, origin.claims.origid]]);
  });

  it('answers a call still going to A with the Identity unchanged (transit)', async () => {
    const received = await shaken(A);
    const r = await invite({ ruri: A, lines: [`Identity: ${received}`] });
    expect([r.status, r.headers.get('identity')]).toEqual([302, [received]]);
  });

  it('answers the refusals with their statuses from the SIP error table', async () => {
    // Enforce mode: the call was sent to a number this account does not serve, so it cannot sign the div.
    const notOurs = await invite({ ruri: B, lines: [`Identity: ${await shaken(NOT_OURS)}`] });
    expect([notOurs.status, notOurs.headers.get('identity'), notOurs.headers.get('reason')]).toEqual([603, undefined, ['SIP;cause=603;text="ERR_ATTEST_REFUSED"']]);
    // A Diversion that contradicts the PASSporT.
    const contradicted = await invite({ ruri: B, lines: [`Identity: ${await shaken(A)}`, `Diversion: <sip:${NOT_OURS}@127.0.0.1>;reason=unconditional`] });
    expect([contradicted.status, contradicted.headers.get('reason')]).toEqual([400, ['SIP;cause=400;text="ERR_REQ_FIELD_INVALID"']]);
  });
});
