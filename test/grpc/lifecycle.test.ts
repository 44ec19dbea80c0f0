import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status, type ClientReadableStream } from '@grpc/grpc-js';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createSignerClient, type SignerClient, type SignRequest } from '../../clients/node/src/index.js';
import { ConfigError, loadConfig } from '../../server/config/load.js';
import { startNode } from '../../server/node.js';
import { demoApiKey, startServe, type ServeProcess } from '../helpers/cli.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { rawClients } from './support.js';

const body: SignRequest = { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] } };

let cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function track<T extends { close(): Promise<unknown> }>(c: T): T {
  cleanups.push(() => c.close());
  return c;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('server restart', () => {
  it.each(['stream', 'unary'] as const)('a connected %s client recovers once the server is back on its port', async (mode) => {
    const svc = await startTestService();
    const a = await svc.provision({ maxAttest: 'A' });
    const port = svc.node.grpcPort!;
    const client = track(createSignerClient({ address: svc.grpcAddress, apiKey: a.token, mode, deadlineMs: 15_000, reconnectBackoffMs: { initial: 50, max: 200 } }));
    await expect(client.sign(body)).resolves.toMatchObject({ attest: 'A' });

    await svc.node.close();
    // A health probe fails at once while the server is down; a signing call waits for the reconnect.
    await expect(client.health()).rejects.toMatchObject({ status: status.UNAVAILABLE });
    const during = client.sign(body);
    const again = await startNode(loadConfig({ env: {}, overrides: { ...overridesOf(svc), 'grpc.port': port } }), pino({ level: 'silent' }));
    cleanups.push(async () => {
      await again.close();
      await rm(svc.config.dataDir, { recursive: true, force: true });
    });
    await expect(during).resolves.toMatchObject({ attest: 'A' });
    await expect(client.sign(body)).resolves.toMatchObject({ attest: 'A' });
  });
});

function overridesOf(svc: TestService): Record<string, unknown> {
  return { dataDir: svc.config.dataDir, 'http.port': 0, 'http.host': '127.0.0.1', 'grpc.host': '127.0.0.1', 'sip.enabled': false, logLevel: 'silent', demo: false };
}

describe('graceful shutdown', () => {
  it('ends open SignStreams and health watches with OK and answers what was in flight', async () => {
    const svc = await startTestService();
    cleanups.push(() => svc.stop());
    const a = await svc.provision();
    const client = createSignerClient({ address: svc.grpcAddress, apiKey: a.token, deadlineMs: 15_000 });
    cleanups.push(() => client.close());
    await client.sign(body);
    const raw = rawClients(svc.grpcAddress);
    cleanups.push(() => raw.close());
    const watch = (raw.health as unknown as { Watch(r: object): ClientReadableStream<{ status: string }> }).Watch({ service: '' });
    const seen: string[] = [];
    watch.on('data', (m) => seen.push(m.status));
    watch.on('error', () => undefined);
    const watchEnded = new Promise<number>((resolve) => watch.on('status', (s) => resolve(s.code)));
    await expect.poll(() => seen).toEqual(['SERVING']);

    // One batch: once its first answer is back, the server has taken all of them.
    const inFlight = Array.from({ length: 100 }, () => client.sign(body).then(() => 'ok', (e: { status: number }) => status[e.status]));
    await Promise.race(inFlight);
    await svc.node.close();
    expect(await watchEnded).toBe(status.OK);
    expect(seen).toEqual(['SERVING', 'NOT_SERVING']);
    expect(new Set(await Promise.all(inFlight))).toEqual(new Set(['ok']));
  });
});

describe('TLS', () => {
  async function pki(): Promise<{ dir: string; ca: Buffer; clientCert: Buffer; clientKey: Buffer; otherCert: Buffer; otherKey: Buffer }> {
    const dir = await mkdtemp(join(tmpdir(), 'grpc-tls-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const ext = (name: string, text: string) => writeFile(join(dir, name), text);
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test ca');
    await ext('server.ext', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    await ext('client.ext', 'extendedKeyUsage=clientAuth\n');
    for (const [name, ca] of [['server', 'ca'], ['client', 'ca'], ['other', 'other-ca']] as const) {
      if (ca === 'other-ca') ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'other-ca.key', '-out', 'other-ca.pem', '-days', '2', '-subj', '/CN=other ca');
      ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      const extfile = name === 'server' ? ['-extfile', 'server.ext'] : ['-extfile', 'client.ext'];
      ssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', ...extfile);
    }
    const read = (f: string) => readFile(join(dir, f));
    return { dir, ca: await read('ca.pem'), clientCert: await read('client.pem'), clientKey: await read('client.key'), otherCert: await read('other.pem'), otherKey: await read('other.key') };
  }

  it('serves over TLS, and with a client CA only to clients holding a certificate it issued', async () => {
    const p = await pki();
    const svc = await startTestService({
      overrides: { 'grpc.tls.cert': join(p.dir, 'server.pem'), 'grpc.tls.key': join(p.dir, 'server.key'), 'grpc.tls.clientCa': join(p.dir, 'ca.pem') },
    });
    cleanups.push(() => svc.stop());
    const a = await svc.provision();
    const make = (tls: Parameters<typeof createSignerClient>[0]['tls']): SignerClient =>
      track(createSignerClient({ address: svc.grpcAddress, apiKey: a.token, mode: 'unary', deadlineMs: 1500, tls }));
    await expect(make({ ca: p.ca, cert: p.clientCert, key: p.clientKey }).sign(body)).resolves.toMatchObject({ attest: 'A' });
    await expect(make({ ca: p.ca }).sign(body)).rejects.toMatchObject({ status: expect.any(Number) });
    await expect(make({ ca: p.ca, cert: p.otherCert, key: p.otherKey }).sign(body)).rejects.toMatchObject({ status: expect.any(Number) });
    // A plain-text client cannot talk to it at all.
    await expect(make(undefined).sign(body)).rejects.toMatchObject({ status: expect.any(Number) });
  });

  it('serves TLS without client certificates when no client CA is set', async () => {
    const p = await pki();
    const svc = await startTestService({ overrides: { 'grpc.tls.cert': join(p.dir, 'server.pem'), 'grpc.tls.key': join(p.dir, 'server.key') } });
    cleanups.push(() => svc.stop());
    const a = await svc.provision();
    const c = track(createSignerClient({ address: `localhost:${svc.node.grpcPort}`, apiKey: a.token, tls: { ca: p.ca } }));
    await expect(c.sign(body)).resolves.toMatchObject({ attest: 'A' });
  });

  it('refuses to start, naming the setting, on an incomplete or unreadable TLS configuration', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'grpc-cfg-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const start = (o: Record<string, unknown>) => startNode(loadConfig({ env: {}, overrides: { dataDir, 'http.port': 0, 'grpc.port': 0, 'sip.enabled': false, ...o } }), pino({ level: 'silent' }));
    await expect(start({ 'grpc.tls.cert': '/nonexistent/cert.pem' })).rejects.toThrow(new ConfigError('grpc.tls.key', 'is required with grpc.tls.cert'));
    await expect(start({ 'grpc.tls.clientCa': '/nonexistent/ca.pem' })).rejects.toThrow(/grpc\.tls\.clientCa/);
    await expect(start({ 'grpc.tls.cert': '/nonexistent/cert.pem', 'grpc.tls.key': '/nonexistent/key.pem' })).rejects.toThrow(/grpc\.tls\.cert: cannot read \/nonexistent\/cert\.pem/);
  });
});

describe('cluster workers', () => {
  let proc: ServeProcess | undefined;
  afterEach(async () => {
    if (proc && proc.child.exitCode === null) proc.child.kill('SIGTERM');
    await proc?.exited;
    proc = undefined;
  });

  it('every worker serves gRPC on the one shared port', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'grpc-cluster-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const grpcPort = await freePort();
    proc = await startServe({ SHAKENSTACK_DATA_DIR: dataDir, SHAKENSTACK_PORT: '0', SHAKENSTACK_GRPC_PORT: String(grpcPort), SHAKENSTACK_WORKERS: '2', SHAKENSTACK_LOG_LEVEL: 'warn' });
    const apiKey = await demoApiKey(proc.output);
    // The banner's URL is still the HTTP one: each worker binds HTTP before gRPC.
    expect((await fetch(`${proc.url}/health/live`)).status).toBe(200);
    const pids = new Set<number>();
    // node:cluster hands each new connection to the next worker; a local subchannel pool makes each client its own connection.
    await expect
      .poll(
        async () => {
          const c = createSignerClient({ address: `127.0.0.1:${grpcPort}`, apiKey, mode: 'unary', channelOptions: { 'grpc.use_local_subchannel_pool': 1 } });
          await c.sign(body);
          pids.add((await c.metrics()).pid);
          await c.close();
          return pids.size;
        },
        { timeout: 15_000, interval: 50 },
      )
      .toBe(2);
    expect(pids.has(proc.child.pid!)).toBe(false);
  }, 60_000);
});

describe('start-up', () => {
  it('refuses to start when the gRPC port is taken, naming the address, and frees what it opened', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'grpc-busy-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => taken.close(r)));
    const port = (taken.address() as { port: number }).port;
    const config = loadConfig({ env: {}, overrides: { dataDir, 'http.port': 0, 'grpc.host': '127.0.0.1', 'grpc.port': port, 'sip.enabled': false, logLevel: 'silent', demo: false } });
    await expect(startNode(config, pino({ level: 'silent' }))).rejects.toThrow(`gRPC cannot listen on 127.0.0.1:${port}`);
    // Everything it opened is closed again: a second start on the same data with a free port works.
    const node = await startNode(loadConfig({ env: {}, overrides: { dataDir, 'http.port': 0, 'grpc.port': 0, 'sip.enabled': false, logLevel: 'silent', demo: false } }), pino({ level: 'silent' }));
    await node.close();
  });
});
