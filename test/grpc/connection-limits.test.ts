import { connect } from 'node:http2';
import { status, type Client, type ClientReadableStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
