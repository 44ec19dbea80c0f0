import { connect } from 'node:http2';
import { status, type Client, type ClientReadableStream } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RawConnection } from '../helpers/raw-connection.js';
import { startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { bearer, callUnary, rawClients } from './support.js';

/** A health Watch: a call that stays open until cancelled. */
function openWatch(health: Client): { call: ClientReadableStream<unknown>; first: Promise<void> } {
  const call = (health as unknown as { Watch(r: object): ClientReadableStream<unknown> }).Watch({ service: '' });
  call.on('error', () => undefined);
  return { call, first: new Promise((resolve) => call.once('data', () => resolve())) };
}

describe('gRPC connection limits', () => {
  let svc: TestService;
  let a: Provisioned;
  let raw: ReturnType<typeof rawClients>;

  beforeAll(async () => {
    svc = await startTestService({ overrides: { 'grpc.maxConcurrentStreams': 2, 'grpc.maxReceiveMessageBytes': 2048 } });
    a = await svc.provision({ defaultAttest: 'A', maxAttest: 'A' });
    raw = rawClients(svc.grpcAddress);
  });
  afterAll(async () => {
    raw.close();
    await svc.stop();
  });

  it('announces its stream limit in the HTTP/2 SETTINGS every client reads', async () => {
    const session = connect(`http://${svc.grpcAddress}`);
    try {
      const settings = await new Promise<{ maxConcurrentStreams?: number }>((resolve, reject) => {
        session.once('remoteSettings', resolve);
        session.once('error', reject);
      });
      expect(settings.maxConcurrentStreams).toBe(2);
    } finally {
      session.close();
    }
  });

  it('holds a third call on one connection in the client until one of the two open calls ends', async () => {
    const watches = [openWatch(raw.health), openWatch(raw.health)];
    await Promise.all(watches.map((w) => w.first));
    let settled = false;
    const third = callUnary<{ status: string }>(raw.health, 'Check', { service: '' }).then((r) => {
      settled = true;
      return r;
    });
    // The third stream cannot open while two are: grpc-js (nghttp2) keeps it queued rather than failing it.
    await new Promise((r) => setTimeout(r, 500));
    expect(settled).toBe(false);
    watches[0]!.call.cancel();
    expect(await third).toMatchObject({ value: { status: 'SERVING' } });
    watches[1]!.call.cancel();
  });

  it('refuses a message over the receive limit with RESOURCE_EXHAUSTED, and still signs one under it', async () => {
    const big = { orig: { tn: '14045266060' }, dest: { tn: Array.from({ length: 300 }, (_, i) => `1800555${String(i).padStart(4, '0')}`) }, attest: 'A' };
    const refused = await callUnary(raw.signer, 'Sign', big, bearer(a.token));
    expect(refused.error?.code).toBe(status.RESOURCE_EXHAUSTED);
    const small = await callUnary<{ identity: string }>(raw.signer, 'Sign', { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A' }, bearer(a.token));
    expect(small.error).toBeUndefined();
    expect(small.value?.identity).toEqual(expect.any(String));
  });
});

/** The HTTP/2 connection preface (RFC 9113 §3.4) every gRPC client opens with. */
const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

async function refusedCount(svc: TestService, reason: 'total' | 'per_source'): Promise<number> {
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  const m = new RegExp(`^shakenstack_connections_refused_total\\{listener="grpc",reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('gRPC connection caps and the handshake bound', () => {
  let svc: TestService;
  let a: Provisioned;
  const conns: RawConnection[] = [];
  const open = async (localAddress?: string) => {
    const c = await RawConnection.open(Number(svc.grpcAddress.split(':')[1]), localAddress);
    conns.push(c);
    return c;
  };

  beforeAll(async () => {
    svc = await startTestService({ overrides: { 'grpc.maxConnections': 4, 'grpc.maxConnectionsPerSource': 2, 'grpc.handshakeTimeoutMs': 1000 } });
    a = await svc.provision({ defaultAttest: 'A', maxAttest: 'A' });
  });
  afterEach(async () => {
    const closing = conns.splice(0);
    for (const c of closing) c.close();
    await Promise.all(closing.map((c) => c.closedWithin(1000)));
    // The server counts a connection as gone when its own socket closes, a moment after ours.
    await new Promise((r) => setTimeout(r, 100));
  });
  afterAll(() => svc.stop());

  it('resets a third connection from one source, counts it, and still serves another source', async () => {
    const held = [await open('127.0.0.2'), await open('127.0.0.2')];
    const third = await open('127.0.0.2');
    expect(await third.closedWithin(2000)).toBe(true);
    expect(held.every((c) => !c.isClosed)).toBe(true);
    expect(await refusedCount(svc, 'per_source')).toBe(1);
    // A real client from another source is served while the first source is at its cap.
    const client = rawClients(svc.grpcAddress);
    try {
      const r = await callUnary<{ identity: string }>(client.signer, 'Sign', { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A' }, bearer(a.token));
      expect(r.error).toBeUndefined();
      expect(r.value?.identity).toEqual(expect.any(String));
    } finally {
      client.close();
    }
  });

  it('resets connections over the total cap whatever their source, and takes new ones once some close', async () => {
    const before = await refusedCount(svc, 'total');
    const held = [await open('127.0.0.3'), await open('127.0.0.4'), await open('127.0.0.5'), await open('127.0.0.6')];
    const over = await open('127.0.0.7');
    expect(await over.closedWithin(2000)).toBe(true);
    expect(await refusedCount(svc, 'total')).toBe(before + 1);
    held[0]!.close();
    await held[0]!.closedWithin(1000);
    // The close is counted when the server's socket closes; give it a moment, then a new one is taken.
    await new Promise((r) => setTimeout(r, 100));
    const next = await open('127.0.0.7');
    next.write(PREFACE);
    expect(await next.closedWithin(500)).toBe(false);
  });

  it('closes a connection that sends nothing within the handshake bound, and keeps one that sent the preface', async () => {
    const silent = await open('127.0.0.8');
    const started = await open('127.0.0.9');
    started.write(PREFACE);
    expect(await silent.closedWithin(3000)).toBe(true);
    expect(silent.closedAt! - silent.openedAt).toBeGreaterThanOrEqual(900);
    expect(started.isClosed).toBe(false);
  });
});
