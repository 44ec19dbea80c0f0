import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { credentials, loadPackageDefinition, ServerCredentials, status, type Client, type ClientReadableStream, type ServiceClientConstructor } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSignerClient } from '../../clients/node/src/index.js';
import { RequestMetrics } from '../../server/metrics/request-metrics.js';
import { buildGrpcServer, type GrpcAdapter } from '../../server/grpc/server.js';
import type { ReadinessWatch } from '../../server/health/readiness.js';
import { coreFixture } from '../helpers/core-fixture.js';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { bearer, callUnary, rawClients } from './support.js';

const body = { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] } };

/** Collects what a health Watch stream delivers. */
function watch(health: Client, service: string) {
  const seen: string[] = [];
  const call = (health as unknown as { Watch(r: object): ClientReadableStream<{ status: string }> }).Watch({ service });
  const ended = new Promise<number>((resolve) => call.on('status', (s) => resolve(s.code)));
  call.on('data', (m) => seen.push(m.status));
  call.on('error', () => undefined);
  return { seen, ended, cancel: () => call.cancel() };
}

/** A readiness the test sets by hand. */
function manualReadiness(initial: boolean) {
  let ready = initial;
  const listeners = new Set<(r: boolean) => void>();
  const watch: ReadinessWatch = {
    get ready() {
      return ready;
    },
    first: Promise.resolve(),
    onChange(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    stop() {},
  };
  return {
    watch,
    set(r: boolean) {
      ready = r;
      for (const l of listeners) l(r);
    },
  };
}

describe('gRPC health, metrics and reflection on a running node', () => {
  let svc: TestService;
  let a: Provisioned;
  let raw: ReturnType<typeof rawClients>;
  beforeAll(async () => {
    // No stale-if-error grace: without it, a node whose store is down cannot sign anything uncached and is not ready.
    svc = await startTestService({ overrides: { 'grpc.healthIntervalMs': 50, cacheStaleIfErrorMs: 0 } });
    a = await svc.provision({ maxAttest: 'A' });
    raw = rawClients(svc.grpcAddress);
  });
  afterAll(async () => {
    raw.close();
    await svc.stop();
  });

  it('reports SERVING for the server and the Signer, NOT_FOUND for an unknown service, and lists both', async () => {
    expect((await callUnary(raw.health, 'Check', { service: '' })).value).toEqual({ status: 'SERVING' });
    expect((await callUnary(raw.health, 'Check', { service: 'shakenstack.v1.Signer' })).value).toEqual({ status: 'SERVING' });
    expect((await callUnary(raw.health, 'Check', { service: 'nope.v1.Nothing' })).error?.code).toBe(status.NOT_FOUND);
    expect((await callUnary(raw.health, 'List', {})).value).toEqual({ statuses: { '': { status: 'SERVING' }, 'shakenstack.v1.Signer': { status: 'SERVING' } } });
    const c = createSignerClient({ address: svc.grpcAddress, apiKey: a.token });
    expect(await c.health()).toBe('SERVING');
    await c.close();
  });

  it('counts requests, errors by code and latency per transport, for gRPC and HTTP alike', async () => {
    const c = createSignerClient({ address: svc.grpcAddress, apiKey: a.token });
    await Promise.all([c.sign(body), c.sign(body), c.sign({ orig: { tn: 'x' }, dest: { tn: ['1'] } }).catch(() => undefined)]);
    await postJson(`${svc.url}/api/stir-shaken/sign`, body, { authorization: `Bearer ${a.token}` });
    const m = await c.metrics();
    await c.close();
    expect(m.pid).toBe(process.pid);
    expect(m.sinceMs).toBeLessThanOrEqual(Date.now());
    const grpc = m.transports.find((t) => t.transport === 'grpc')!;
    expect(grpc.requests).toBeGreaterThanOrEqual(3);
    expect(grpc.errors).toBeGreaterThanOrEqual(1);
    expect(grpc.errorsByCode.ERR_TN_INVALID).toBeGreaterThanOrEqual(1);
    const l = grpc.latencyUs;
    expect(l.p50).toBeGreaterThan(0);
    expect(l.p50).toBeLessThanOrEqual(l.p99);
    expect(l.p99).toBeLessThanOrEqual(l.max);
    expect(m.transports.find((t) => t.transport === 'http')?.requests).toBeGreaterThanOrEqual(1);
  });

  it('counts downgrades by the reason the attestation policy gave', async () => {
    const p = await svc.provision({ policyMode: 'enforce', maxAttest: 'A', inventory: [{ kind: 'tn', tn: '14045266060' }] });
    const c = createSignerClient({ address: svc.grpcAddress, apiKey: p.token });
    const before = (await c.metrics()).transports.find((t) => t.transport === 'grpc')?.downgradesByReason['tn-not-in-inventory'] ?? 0;
    await c.sign({ orig: { tn: '19995550000' }, dest: { tn: ['18001234567'] }, attest: 'A' });
    await c.sign({ orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A' });
    const after = (await c.metrics()).transports.find((t) => t.transport === 'grpc')!.downgradesByReason['tn-not-in-inventory'];
    await c.close();
    expect(Number(after)).toBe(Number(before) + 1);
  });

  it('refuses metrics without a valid API key', async () => {
    const r = await callUnary(raw.metrics, 'GetMetrics', {}, bearer('ssk_0123456789abcdef_' + 'x'.repeat(43)));
    expect(r.error?.code).toBe(status.UNAUTHENTICATED);
  });

  it('lets reflection clients (grpcurl) list and describe the services', async () => {
    const reflectionProto = join(dirname(createRequire(import.meta.url).resolve('@grpc/reflection')), '..', 'proto');
    const pkg = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', { includeDirs: [reflectionProto], keepCase: true, defaults: true });
    const Reflection = (loadPackageDefinition(pkg) as any).grpc.reflection.v1.ServerReflection as ServiceClientConstructor;
    const client = new Reflection(svc.grpcAddress, credentials.createInsecure());
    const call = (client as any).ServerReflectionInfo();
    const answers: any[] = [];
    const done = new Promise<void>((resolve) => call.on('end', resolve));
    call.on('data', (m: unknown) => answers.push(m));
    call.write({ list_services: '*' });
    call.write({ file_containing_symbol: 'shakenstack.v1.Signer' });
    call.end();
    await done;
    client.close();
    expect(answers[0].list_services_response.service.map((s: { name: string }) => s.name)).toEqual(
      expect.arrayContaining(['shakenstack.v1.Signer', 'shakenstack.v1.Metrics', 'grpc.health.v1.Health']),
    );
    const file = Buffer.concat(answers[1].file_descriptor_response.file_descriptor_proto);
    for (const name of ['SignStream', 'SignRequest', 'SignItemResult', 'GetMetrics']) expect(file.includes(name), name).toBe(true);
  });

  it('turns NOT_SERVING, and refuses to sign with UNAVAILABLE, when the store fails', async () => {
    const w = watch(raw.health, '');
    await expect.poll(() => w.seen).toEqual(['SERVING']);
    // An account the node has not cached, so signing must reach the store.
    const fresh = await svc.provision();
    await svc.node.store.close();
    await expect.poll(() => w.seen, { timeout: 5000 }).toEqual(['SERVING', 'NOT_SERVING']);
    expect((await callUnary(raw.health, 'Check', { service: 'shakenstack.v1.Signer' })).value).toEqual({ status: 'NOT_SERVING' });
    const r = await callUnary(raw.signer, 'Sign', body, bearer(fresh.token));
    expect(r.error?.code).toBe(status.UNAVAILABLE);
    expect(r.error?.metadata.get('shakenstack-error-code')).toEqual(['ERR_STORE_UNAVAILABLE']);
    w.cancel();
  });
});

describe('gRPC health wiring and graceful drain', () => {
  let adapter: GrpcAdapter | undefined;
  afterEach(() => adapter?.server.forceShutdown());

  async function serve(ready: boolean) {
    const f = await coreFixture();
    const readiness = manualReadiness(ready);
    adapter = buildGrpcServer({ signing: f.signing, metrics: new RequestMetrics({ now: () => 0 }), readiness: readiness.watch, logger: { error() {} } });
    const port = await new Promise<number>((resolve, reject) => adapter!.server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    return { f, readiness, address: `127.0.0.1:${port}`, adapter };
  }

  it('tells watchers each change of readiness, both ways', async () => {
    const { readiness, address } = await serve(true);
    const raw = rawClients(address);
    const w = watch(raw.health, 'shakenstack.v1.Signer');
    const unknown = watch(raw.health, 'other');
    await expect.poll(() => w.seen).toEqual(['SERVING']);
    readiness.set(false);
    await expect.poll(() => w.seen).toEqual(['SERVING', 'NOT_SERVING']);
    readiness.set(true);
    await expect.poll(() => w.seen).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
    expect(unknown.seen[0]).toBe('SERVICE_UNKNOWN');
    raw.close();
  });

  it('on drain, answers items in flight, ends SignStreams and health watches with OK, and reports NOT_SERVING', async () => {
    const { f, address, adapter } = await serve(true);
    const raw = rawClients(address);
    const w = watch(raw.health, '');
    await expect.poll(() => w.seen).toEqual(['SERVING']);
    const call = (raw.signer as any).SignStream(bearer(f.token));
    const results: string[] = [];
    const streamEnded = new Promise<number>((resolve) => call.on('status', (s: { code: number }) => resolve(s.code)));
    call.on('data', (m: { results: { id: string }[] }) => results.push(...m.results.map((r) => r.id)));
    call.write({ items: Array.from({ length: 50 }, (_, i) => ({ id: String(i), request: body })) });
    // Wait until the server has the items, then drain while (most of) them are still being signed.
    await expect.poll(() => f.dir.log.length + results.length).toBeGreaterThan(0);
    const drained = adapter.drain();
    const shutdown = new Promise<void>((resolve) => adapter.server.tryShutdown(() => resolve()));
    expect(await streamEnded).toBe(status.OK);
    expect(await w.ended).toBe(status.OK);
    await drained;
    await shutdown;
    expect(w.seen).toEqual(['SERVING', 'NOT_SERVING']);
    // Every item the server took was answered; none was dropped half-way.
    expect(results.sort((x, y) => Number(x) - Number(y))).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    raw.close();
  });
});
