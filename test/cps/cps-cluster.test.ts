import { createHash, randomUUID, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLabPki } from '../../server/pki/lab-pki.js';
import { redisCli, startRedisCluster } from '../helpers/redis-server.js';
import { startTestService, type TestService } from '../helpers/service.js';

/* Two CPS nodes on a real 3-shard Redis Cluster: calls spread over the shards, and a reshard while serving. */

const PORTS = [46021, 46022, 46023];
const AUD = 'cps.test';

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
function jwt(header: object, payload: object, keyPem: string): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: keyPem, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

describe('STI-CPS on a 3-shard Redis Cluster', () => {
  let cluster: Awaited<ReturnType<typeof startRedisCluster>>;
  let nodes: TestService[];
  let chains: Server;
  let key: string;
  let x5u: string;

  const token = (action: string, orig: string, dest: string, extra: object = {}) =>
    jwt({ alg: 'ES256', x5u }, { action, aud: AUD, dest: { tn: [dest] }, iat: Math.floor(Date.now() / 1000), iss: '1234', jti: randomUUID(), orig: { tn: orig }, spc: '1234', ...extra }, key);
  async function publish(base: string, orig: string, dest: string): Promise<{ status: number; passport: string }> {
    const passport = jwt({ alg: 'ES256', ppt: 'shaken', typ: 'passport', x5u }, { attest: 'A', dest: { tn: [dest] }, iat: Math.floor(Date.now() / 1000), orig: { tn: orig }, origid: randomUUID() }, key);
    const digest = `sha256-${createHash('sha256').update(JSON.stringify([passport])).digest('base64')}`;
    const res = await fetch(`${base}/cps/passports/${dest}/${orig}`, { method: 'POST', headers: { authorization: `Bearer ${token('publish', orig, dest, { passports: digest })}`, 'content-type': 'application/json' }, body: JSON.stringify({ passports: [passport] }) });
    await res.text();
    return { status: res.status, passport };
  }
  async function retrieve(base: string, orig: string, dest: string): Promise<{ status: number; passports: string[] }> {
    const res = await fetch(`${base}/cps/passports/${dest}/${orig}`, { headers: { authorization: `Bearer ${token('retrieve', orig, dest)}` } });
    const body = (await res.json()) as { passports?: string[] };
    return { status: res.status, passports: body.passports ?? [] };
  }
  const calls = (n: number, salt: string) => Array.from({ length: n }, (_, i) => ({ orig: `1404${salt}${String(i).padStart(4, '0')}`, dest: `1202555${String(i).padStart(4, '0')}` }));

  beforeAll(async () => {
    cluster = await startRedisCluster(PORTS);
    const pki = await createLabPki({ spc: '1234' });
    key = pki.leaf.keyPem;
    chains = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(pki.chainPem));
    await new Promise<void>((r) => chains.listen(0, '127.0.0.1', () => r()));
    x5u = `http://127.0.0.1:${(chains.address() as { port: number }).port}/chain.pem`;
    const anchors = await mkdtemp(join(tmpdir(), 'cps-cluster-anchors-'));
    await writeFile(join(anchors, 'root.pem'), pki.root.certPem);
    const overrides = {
      'cps.enabled': true,
      'cps.redisClusterNodes': cluster.seeds,
      'cps.audience': AUD,
      'cps.ttlSec': 60,
      'grpc.enabled': false,
      'verify.trustAnchors': anchors,
      'verify.allowHttpX5u': true,
      'verify.allowPrivateAddresses': true,
      'verify.crlPolicy': 'off',
    };
    nodes = await Promise.all([startTestService({ overrides }), startTestService({ overrides })]);
  });
  afterAll(async () => {
    await Promise.all((nodes ?? []).map((n) => n.stop()));
    chains?.close();
    await cluster?.stop();
  });

  it('stores calls on every shard and serves each from the other node', async () => {
    const list = calls(60, '52');
    const published = await Promise.all(list.map((c, i) => publish(nodes[i % 2]!.url, c.orig, c.dest)));
    expect(published.map((p) => p.status)).toEqual(list.map(() => 201));
    const got = await Promise.all(list.map((c, i) => retrieve(nodes[(i + 1) % 2]!.url, c.orig, c.dest)));
    got.forEach((g, i) => expect(g.passports).toContain(published[i]!.passport));
    // Every shard holds some of them: the hash tag spreads calls by their numbers.
    for (const p of PORTS) expect(Number((await redisCli(['-p', String(p), 'dbsize'])).trim())).toBeGreaterThan(0);
  });

  it('keeps serving while 2000 slots move between shards, and finds every call afterwards', async () => {
    const ids = (await redisCli(['-p', String(PORTS[0]), 'cluster', 'nodes'])).trim().split('\n').map((l) => l.split(' '));
    const from = ids.find((f) => f[1]!.startsWith(`127.0.0.1:${PORTS[0]}@`))![0]!;
    const to = ids.find((f) => f[1]!.startsWith(`127.0.0.1:${PORTS[1]}@`))![0]!;
    const list = calls(200, '53');
    let stop = false;
    const statuses: number[] = [];
    const published = new Map<number, string>();
    // Clients keep publishing (and reading back) while redis-cli migrates slots and their keys.
    const traffic = (async () => {
      for (let i = 0; !stop || i < list.length; i++) {
        const c = list[i % list.length]!;
        const p = await publish(nodes[i % 2]!.url, c.orig, c.dest);
        statuses.push(p.status);
        if (p.status === 201) published.set(i % list.length, p.passport);
        if (i >= list.length && stop) break;
      }
    })();
    await redisCli(['--cluster', 'reshard', `127.0.0.1:${PORTS[0]}`, '--cluster-from', from, '--cluster-to', to, '--cluster-slots', '2000', '--cluster-yes']);
    stop = true;
    await traffic;
    // A request that met a slot mid-move is 503 with Retry-After at worst, never a wrong answer.
    expect(statuses.every((s) => s === 201 || s === 503)).toBe(true);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThan(statuses.length * 0.9);
    for (const [i, passport] of published) {
      const c = list[i]!;
      const got = await retrieve(nodes[(i + 1) % 2]!.url, c.orig, c.dest);
      expect(got.status).toBe(200);
      expect(got.passports).toContain(passport);
    }
  });
});
