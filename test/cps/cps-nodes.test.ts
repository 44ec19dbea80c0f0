import { createHash, randomUUID, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLabPki, issueLeaf, type LabPki } from '../../server/pki/lab-pki.js';
import { startRedis, type RedisProcess } from '../helpers/redis-server.js';
import { startTestService, type TestService } from '../helpers/service.js';

/*
 * The STI-CPS on two real nodes sharing one real redis-server, driven by an independent client written here with
 * node:crypto and fetch only, in the request shapes TransNexus documents for its ATIS-1000096 CPS.
 */

const REDIS_PORT = 46001;
const AUD = 'cps.test';
const DEST = '12025550100';
const ORIG = '14045266060';

// ---- the independent client: node:crypto and fetch, nothing from shakenstack ----
const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
function jwt(header: object, payload: object, keyPem: string): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: keyPem, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}
interface Provider {
  spc: string;
  keyPem: string;
  x5u: string;
}
function passport(p: Provider, orig = ORIG, dest = DEST): string {
  return jwt({ alg: 'ES256', ppt: 'shaken', typ: 'passport', x5u: p.x5u }, { attest: 'A', dest: { tn: [dest] }, iat: Math.floor(Date.now() / 1000), orig: { tn: orig }, origid: randomUUID() }, p.keyPem);
}
function token(p: Provider, action: 'publish' | 'retrieve', extra: Record<string, unknown> = {}, orig = ORIG, dest = DEST): string {
  const now = Math.floor(Date.now() / 1000);
  return jwt({ alg: 'ES256', x5u: p.x5u }, { action, aud: AUD, dest: { tn: [dest] }, iat: now, iss: p.spc, jti: randomUUID(), orig: { tn: orig }, spc: p.spc, ...extra }, p.keyPem);
}
function digest(passports: string[]): string {
  return `sha256-${createHash('sha256').update(JSON.stringify(passports)).digest('base64')}`;
}
async function publish(base: string, p: Provider, opts: { path?: string; passports?: string[]; claims?: Record<string, unknown>; bearer?: string } = {}) {
  const passports = opts.passports ?? [passport(p)];
  const bearer = opts.bearer ?? token(p, 'publish', { passports: digest(passports), ...opts.claims });
  const res = await fetch(`${base}/cps/passports/${opts.path ?? `${DEST}/${ORIG}`}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ passports }),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
}
async function retrieve(base: string, p: Provider | undefined, opts: { path?: string; claims?: Record<string, unknown> } = {}) {
  const headers: Record<string, string> = p ? { authorization: `Bearer ${token(p, 'retrieve', opts.claims)}` } : {};
  const res = await fetch(`${base}/cps/passports/${opts.path ?? `${DEST}/${ORIG}`}`, { headers });
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
}
// ---- end of the independent client ----

/** Serves certificate chains over http on 127.0.0.1, as an STI-CR would over https. */
async function chainHost(): Promise<{ server: Server; base: string; put(name: string, pem: string): string }> {
  const chains = new Map<string, string>();
  const server = createServer((req, res) => {
    const pem = chains.get(req.url ?? '');
    res.writeHead(pem ? 200 : 404, { 'content-type': 'application/x-pem-file' }).end(pem ?? '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { server, base, put: (name, pem) => (chains.set(`/${name}.pem`, pem), `${base}/${name}.pem`) };
}

describe('STI-CPS on two nodes sharing one Redis', () => {
  let redis: RedisProcess;
  let a: TestService;
  let b: TestService;
  let host: Awaited<ReturnType<typeof chainHost>>;
  let pki: LabPki;
  let origin: Provider; // SPC 1234, publishes
  let terminator: Provider; // SPC 5678, retrieves
  let untrusted: Provider;
  let expired: Provider;

  const overrides = (anchors: string) => ({
    'cps.enabled': true,
    'cps.redisUrl': `redis://127.0.0.1:${REDIS_PORT}`,
    'cps.audience': AUD,
    'grpc.enabled': false,
    'verify.trustAnchors': anchors,
    'verify.allowHttpX5u': true,
    'verify.allowPrivateAddresses': true,
    'verify.crlPolicy': 'off',
  });

  beforeAll(async () => {
    redis = await startRedis(REDIS_PORT);
    host = await chainHost();
    pki = await createLabPki({ spc: '1234' });
    const other = await issueLeaf(pki.intermediate, { spc: '5678' });
    const stranger = await createLabPki({ spc: '1234' });
    const old = await issueLeaf(pki.intermediate, { spc: '1234', leafNotBefore: new Date(Date.now() - 48 * 3600_000), leafNotAfter: new Date(Date.now() - 3600_000) });
    origin = { spc: '1234', keyPem: pki.leaf.keyPem, x5u: host.put('origin', pki.chainPem) };
    terminator = { spc: '5678', keyPem: other.leaf.keyPem, x5u: host.put('terminator', other.chainPem) };
    untrusted = { spc: '1234', keyPem: stranger.leaf.keyPem, x5u: host.put('untrusted', stranger.chainPem) };
    expired = { spc: '1234', keyPem: old.leaf.keyPem, x5u: host.put('expired', old.chainPem) };
    const anchors = await mkdtemp(join(tmpdir(), 'cps-anchors-'));
    await writeFile(join(anchors, 'root.pem'), pki.root.certPem);
    [a, b] = await Promise.all([startTestService({ overrides: overrides(anchors) }), startTestService({ overrides: overrides(anchors) })]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    host?.server.close();
    await redis?.stop();
  });

  it('answers health on both nodes', async () => {
    for (const svc of [a, b]) {
      const res = await fetch(`${svc.url}/cps/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    }
  });

  it('keeps a PASSporT published on one node for a retrieval on the other (ATIS-1000096 path), in Redis with a TTL', async () => {
    const passports = [passport(origin)];
    const pub = await publish(a.url, origin, { passports });
    expect(pub.status).toBe(201);
    expect(pub.json.passports).toBe(1);
    const got = await retrieve(b.url, terminator);
    expect(got.status).toBe(200);
    expect(got.json.passports).toContain(passports[0]);
    expect(got.headers.get('cache-control')).toBe('no-store');
    // The node holds nothing: the set is a Redis key that expires within the CPS policy time (15 s).
    const pttl = await redisCommand(REDIS_PORT, `PTTL cps:{${DEST}:${ORIG}}`);
    expect(Number(pttl)).toBeGreaterThan(0);
    expect(Number(pttl)).toBeLessThanOrEqual(15_000);
  });

  it('takes the ATIS-1000105 path with the requester\'s SPC and an exp of at most 60 s', async () => {
    const orig = '14045260001';
    const passports = [passport(origin, orig)];
    const exp = Math.floor(Date.now() / 1000) + 30;
    const bearer = token(origin, 'publish', { passports: digest(passports), exp }, orig);
    const pub = await publish(b.url, origin, { path: `1234/${DEST}/${orig}`, passports, bearer });
    expect(pub.status).toBe(201);
    expect(pub.json.exp).toBe(exp);
    const res = await fetch(`${a.url}/cps/passports/5678/${DEST}/${orig}`, { headers: { authorization: `Bearer ${token(terminator, 'retrieve', {}, orig)}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).passports).toEqual(passports);

    const tooLong = await publish(a.url, origin, { path: `1234/${DEST}/${orig}`, passports, bearer: token(origin, 'publish', { passports: digest(passports), exp: Math.floor(Date.now() / 1000) + 120 }, orig) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.json.reason).toMatch(/at most 60 s/);
    const noExp = await publish(a.url, origin, { path: `1234/${DEST}/${orig}`, passports, bearer: token(origin, 'publish', { passports: digest(passports) }, orig) });
    expect(noExp.status).toBe(400);
  });

  it('refuses a publisher whose certificate does not chain to the trust anchors (401)', async () => {
    const res = await publish(a.url, untrusted);
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ code: 'token_refused', reason: expect.stringMatching(/^cert_untrusted/) });
  });

  it('refuses a publisher whose certificate has expired (401)', async () => {
    const res = await publish(a.url, expired);
    expect(res.status).toBe(401);
    expect(res.json.reason).toMatch(/^cert_expired/);
  });

  it('refuses a wrong spc: in the token, or in the path against the certificate (403)', async () => {
    const claimed = await publish(a.url, { ...origin, spc: '9999' });
    expect(claimed.status).toBe(403);
    expect(claimed.json.reason).toMatch(/certificate's SPC 1234/);
    const passports = [passport(origin)];
    const exp = Math.floor(Date.now() / 1000) + 30;
    const path = await publish(a.url, origin, { path: `5678/${DEST}/${ORIG}`, passports, bearer: token(origin, 'publish', { passports: digest(passports), exp }) });
    expect(path.status).toBe(403);
    expect(path.json.reason).toMatch(/path SPC 5678/);
  });

  it('refuses a token that is missing, stale, for another audience, replayed, or not about the body', async () => {
    const none = await fetch(`${a.url}/cps/passports/${DEST}/${ORIG}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"passports":[]}' });
    expect(none.status).toBe(401);
    const stale = await publish(a.url, origin, { claims: { iat: Math.floor(Date.now() / 1000) - 300 } });
    expect(stale.status).toBe(401);
    expect(stale.json.reason).toMatch(/^iat_stale/);
    expect((await publish(a.url, origin, { claims: { aud: 'cps.elsewhere' } })).status).toBe(403);
    const passports = [passport(origin)];
    const bearer = token(origin, 'publish', { passports: digest(passports) });
    expect((await publish(a.url, origin, { passports, bearer })).status).toBe(201);
    const again = await publish(b.url, origin, { passports, bearer });
    expect(again.status).toBe(403);
    expect(again.json.code).toBe('token_replayed');
    const swapped = await publish(a.url, origin, { passports: [passport(origin)], bearer: token(origin, 'publish', { passports: digest(passports) }) });
    expect(swapped.status).toBe(403);
    expect(swapped.json.reason).toMatch(/digest/);
    const otherCall = await publish(a.url, origin, { passports: [passport(origin, '19995550000')] });
    expect(otherCall.status).toBe(400);
  });

  it('lets nobody read without a valid token of their own, and only the numbers it names', async () => {
    expect((await retrieve(b.url, undefined)).status).toBe(401);
    expect((await retrieve(b.url, untrusted)).status).toBe(401);
    // A token for another call cannot read this one.
    const res = await fetch(`${b.url}/cps/passports/${DEST}/${ORIG}`, { headers: { authorization: `Bearer ${token(terminator, 'retrieve', {}, '19995550000')}` } });
    expect(res.status).toBe(403);
    // A publish token cannot be used to read.
    const pubToken = await fetch(`${b.url}/cps/passports/${DEST}/${ORIG}`, { headers: { authorization: `Bearer ${token(terminator, 'publish')}` } });
    expect(pubToken.status).toBe(403);
    // A retrieval token is used once, on any node: its jti is marked in the same Redis step that reads the call.
    const once = token(terminator, 'retrieve');
    expect([200, 404]).toContain((await fetch(`${a.url}/cps/passports/${DEST}/${ORIG}`, { headers: { authorization: `Bearer ${once}` } })).status);
    const replay = await fetch(`${b.url}/cps/passports/${DEST}/${ORIG}`, { headers: { authorization: `Bearer ${once}` } });
    expect(replay.status).toBe(403);
    expect(((await replay.json()) as { code: string }).code).toBe('token_replayed');
  });

  it('forgets a PASSporT at the token\'s exp: the retrieval after it is 404', async () => {
    const orig = '14045260002';
    const passports = [passport(origin, orig)];
    const exp = Math.floor(Date.now() / 1000) + 2;
    expect((await publish(a.url, origin, { passports, bearer: token(origin, 'publish', { passports: digest(passports), exp }, orig), path: `${DEST}/${orig}` })).status).toBe(201);
    const path = `${DEST}/${orig}`;
    const read = () => fetch(`${b.url}/cps/passports/${path}`, { headers: { authorization: `Bearer ${token(terminator, 'retrieve', {}, orig)}` } });
    // Wait until the clock is past exp (whole seconds), then the CPS must not hand the PASSporT out.
    while (Date.now() <= (exp + 0.05) * 1000) await new Promise((r) => setTimeout(r, 100));
    const after = await read();
    expect(after.status).toBe(404);
    expect(await redisCommand(REDIS_PORT, `EXISTS cps:{${DEST}:${orig}}`)).toBe('0');
  });

  it('limits publishes per SPC across nodes (429, Retry-After) and reads only for the SPCs a partner CPS allows', async () => {
    // A third node with a limit of 5 publishes per second and one allowed retriever, on the same Redis.
    const anchors = a.config.verify.trustAnchors!;
    const c = await startTestService({ overrides: { ...overrides(anchors), 'cps.publishRatePerSec': 5, 'cps.retrievers': '1234' } });
    try {
      const limited = await issueLeaf(pki.intermediate, { spc: '7777' });
      const p7777 = { spc: '7777', keyPem: limited.leaf.keyPem, x5u: host.put('p7777', limited.chainPem) };
      expect((await publish(c.url, p7777)).status).toBe(201); // chain fetched and cached once
      const answers = await Promise.all(Array.from({ length: 30 }, () => publish(c.url, p7777)));
      const tooMany = answers.filter((r) => r.status === 429);
      expect(tooMany.length).toBeGreaterThan(0);
      expect(tooMany[0]!.headers.get('retry-after')).toBe('1');
      expect(tooMany[0]!.json.code).toBe('rate_limited');
      expect(answers.every((r) => r.status === 201 || r.status === 429)).toBe(true);

      const stranger = await retrieve(c.url, terminator);
      expect(stranger.status).toBe(403);
      expect(stranger.json.reason).toMatch(/5678 may not retrieve/);
      expect((await retrieve(c.url, origin)).status).toBe(200);
    } finally {
      await c.stop();
    }
  });

  it('answers 503 with Retry-After while Redis is down (kill -9), and serves again once it is back', async () => {
    await redis.kill();
    const health = await fetch(`${a.url}/cps/health`);
    expect(health.status).toBe(503);
    expect(health.headers.get('retry-after')).toBe('1');
    const pub = await publish(b.url, origin);
    expect(pub.status).toBe(503);
    expect(pub.json.code).toBe('unavailable');
    expect(pub.headers.get('retry-after')).toBe('1');
    const got = await retrieve(a.url, terminator);
    expect(got.status).toBe(503);

    redis = await startRedis(REDIS_PORT);
    // ioredis reconnects with a backoff capped at 1 s; Retry-After says when to try again, and so does this loop.
    for (const svc of [a, b]) {
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = (await fetch(`${svc.url}/cps/health`)).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 200));
      }
      expect(status).toBe(200);
    }
    expect((await publish(a.url, origin)).status).toBe(201);
    expect((await retrieve(b.url, terminator)).status).toBe(200);
  });
});

/** One command over the Redis protocol's inline form; the first line of the answer without its type byte. */
function redisCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    import('node:net').then(({ connect }) => {
      const sock = connect({ host: '127.0.0.1', port }, () => sock.write(`${command}\r\n`));
      sock.once('data', (d) => {
        sock.destroy();
        resolve(d.toString().split('\r\n')[0]!.slice(1));
      });
      sock.once('error', reject);
    }, reject);
  });
}
