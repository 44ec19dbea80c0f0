import { Client, credentials, Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServiceDefinitions } from '../../server/grpc/proto.js';
import { startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { bearer } from './support.js';

/**
 * Not a protobuf message: field 15, which no request message has, announces 255 bytes and 1 follows. (protobufjs
 * reads a known field leniently whatever its wire type, so the broken field must be an unknown one.)
 */
const NOT_PROTOBUF = Buffer.from([0x7a, 0xff, 0x01, 0x00]);
const identity = (b: Buffer) => b;

interface StreamOutcome {
  messages: Buffer[];
  status: StatusObject;
}

describe('gRPC requests whose bytes are not protobuf', () => {
  let svc: TestService;
  let acct: Provisioned;
  let client: Client;

  const unary = (path: string, bytes: Buffer) =>
    new Promise<ServiceError | null>((resolve) => {
      client.makeUnaryRequest(path, identity, identity, bytes, bearer(acct.token), { deadline: Date.now() + 10_000 }, (err) => resolve(err));
    });

  /** Writes each chunk as one gRPC message on a SignStream, half-closes, and collects what comes back. */
  const stream = (chunks: Buffer[]) =>
    new Promise<StreamOutcome>((resolve) => {
      const call = client.makeBidiStreamRequest('/shakenstack.v1.Signer/SignStream', identity, identity, bearer(acct.token), { deadline: Date.now() + 10_000 });
      const messages: Buffer[] = [];
      call.on('data', (m: Buffer) => messages.push(m));
      call.on('error', () => undefined);
      call.on('status', (s: StatusObject) => resolve({ messages, status: s }));
      for (const c of chunks) call.write(c);
      call.end();
    });

  const expectMalformed = (code: number | undefined, metadata: Metadata | undefined, details: string | undefined) => {
    expect(code).toBe(status.INVALID_ARGUMENT);
    expect(metadata?.get('shakenstack-error-code')).toEqual(['ERR_REQ_MALFORMED']);
    expect(details).toMatch(/^ERR_REQ_MALFORMED: the request message is not valid protobuf/);
  };

  beforeAll(async () => {
    svc = await startTestService();
    acct = await svc.provision();
    client = new Client(svc.grpcAddress, credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await svc?.stop();
  });

  it('answers unary Sign with INVALID_ARGUMENT and ERR_REQ_MALFORMED, not INTERNAL', async () => {
    const err = await unary('/shakenstack.v1.Signer/Sign', NOT_PROTOBUF);
    expectMalformed(err?.code, err?.metadata, err?.details);
  });

  it('answers unary SignDiv with INVALID_ARGUMENT and ERR_REQ_MALFORMED, not INTERNAL', async () => {
    const err = await unary('/shakenstack.v1.Signer/SignDiv', NOT_PROTOBUF);
    expectMalformed(err?.code, err?.metadata, err?.details);
  });

  it('answers Verify with INVALID_ARGUMENT and ERR_REQ_MALFORMED, not INTERNAL', async () => {
    const err = await unary('/shakenstack.v1.Verifier/Verify', NOT_PROTOBUF);
    expectMalformed(err?.code, err?.metadata, err?.details);
  });

  it('answers GetMetrics with INVALID_ARGUMENT and ERR_REQ_MALFORMED, not INTERNAL', async () => {
    const err = await unary('/shakenstack.v1.Metrics/GetMetrics', NOT_PROTOBUF);
    expectMalformed(err?.code, err?.metadata, err?.details);
  });

  it('ends a SignStream with INVALID_ARGUMENT at a message that does not decode, after answering the items before it', async () => {
    const method = (loadServiceDefinitions()['shakenstack.v1.Signer'] as unknown as Record<string, { requestSerialize(m: unknown): Buffer; responseDeserialize(b: Buffer): any }>).SignStream!;
    const good = method.requestSerialize({ items: [{ id: 'before', request: { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] } } }] });
    const after = method.requestSerialize({ items: [{ id: 'after', request: { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] } } }] });
    const r = await stream([good, NOT_PROTOBUF, after]);
    expectMalformed(r.status.code, r.status.metadata, r.status.details);
    const ids = r.messages.flatMap((m) => method.responseDeserialize(m).results.map((x: { id: string; response?: unknown }) => [x.id, x.response !== undefined]));
    // The item before the bad message is signed; nothing after it is read.
    expect(ids).toEqual([['before', true]]);
  });

  it('ends a SignStream whose first message does not decode with INVALID_ARGUMENT', async () => {
    const r = await stream([NOT_PROTOBUF]);
    expectMalformed(r.status.code, r.status.metadata, r.status.details);
    expect(r.messages).toEqual([]);
  });
});
