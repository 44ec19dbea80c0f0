import { verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compactVerify, importX509 } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sippPath, startSipp } from '../../bench/sip/sipp.js';
import { startTestService, type Provisioned, type TestService } from '../helpers/service.js';

const missing = sippPath() ? undefined : 'not installed: sipp (Debian package sip-tester)';
if (missing) console.warn(`test/sip/priority-sipp: skipped, ${missing}`);

const SCENARIO = join(dirname(fileURLToPath(import.meta.url)), 'uac-302-rph.xml');
/** sipp's own UDP port: from this helper's fixed range (the redirect server under test binds port 0). */
const SIPP_PORT = 41010;

/** sipp, an independent SIP implementation, sends a priority INVITE; the 302 must carry the shaken and the rph Identity. */
describe.skipIf(missing !== undefined)('SIP priority call under sipp (RFC 8443)', () => {
  let svc: TestService;
  let acct: Provisioned;
  let dir: string;

  beforeAll(async () => {
    svc = await startTestService({ sip: true });
    acct = await svc.provision({ defaultAttest: 'A', maxAttest: 'A', sipSource: '127.0.0.1', rphNamespaces: ['wps'] });
    mkdirSync('/tmp/rph', { recursive: true });
    dir = mkdtempSync('/tmp/rph/sipp-');
  });
  afterAll(async () => {
    await svc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers the INVITE with a 302 holding both Identity headers; the rph one verifies with jose and node:crypto', async () => {
    const args = ['-sf', SCENARIO, '-key', 'orig', '14045266060', '-key', 'dest', '12025550199', '-key', 'rp', 'wps.2', '-i', '127.0.0.1', '-p', String(SIPP_PORT), '-m', '1', '-recv_timeout', '3000', '-trace_logs', `127.0.0.1:${svc.node.sipPort}`];
    const result = await startSipp(args, { cwd: dir, timeoutMs: 20_000 }).done;
    expect(result.code, result.output.slice(-1500)).toBe(0);
    const log = readFileSync(join(dir, readdirSync(dir).find((f) => f.endsWith('_logs.log'))!), 'latin1');
    const jws = /rphjws ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/.exec(log)?.[1];
    expect(jws, log.slice(-2000)).toBeDefined();
    const { payload, protectedHeader } = await compactVerify(jws!, await importX509(acct.pki.leaf.certPem, 'ES256'));
    expect(protectedHeader).toEqual({ alg: 'ES256', ppt: 'rph', typ: 'passport', x5u: acct.x5u });
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ orig: { tn: '14045266060' }, dest: { tn: ['12025550199'] }, rph: { auth: ['wps.2'] } });
    const [h, p, s] = jws!.split('.') as [string, string, string];
    expect(cryptoVerify('sha256', Buffer.from(`${h}.${p}`), { key: new X509Certificate(acct.pki.leaf.certPem).publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))).toBe(true);
  });
});
