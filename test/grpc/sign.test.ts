import { connect, constants as h2 } from 'node:http2';
import { status, type ClientDuplexStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignerClient, SignerError, type SignerClient, type SignRequest } from '../../clients/node/src/index.js';
import { loadServiceDefinitions } from '../../server/grpc/proto.js';
import { SIGN_CASES } from '../cases/sign-cases.js';
import { startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { bearer, callUnary, claimsOf, rawClients, toProtoRequest, verifyIdentity } from './support.js';

const productPage: SignRequest = { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A' };

describe('gRPC Signer', () => {
  let svc: TestService;
  let a: Provisioned;
  let b: Provisioned;
  let raw: ReturnType<typeof rawClients>;
  const clients: SignerClient[] = [];
  const client = (token: string, opts: Partial<Parameters<typeof createSignerClient>[0]> = {}) => {
    const c = createSignerClient({ address: svc.grpcAddress, apiKey: token, deadlineMs: 10_000, ...opts });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    svc = await startTestService();
    a = await svc.provision({ defaultAttest: 'A', maxAttest: 'A' });
    b = await svc.provision({ defaultAttest: 'B', maxAttest: 'B' });
    raw = rawClients(svc.grpcAddress);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    raw.close();
    await svc.stop();
  });

  it('signs over unary Sign and the token verifies with jose against the certificate served at x5u', async () => {
    const r = await client(a.token, { mode: 'unary' }).sign(productPage);
    expect(r).toMatchObject({ attest: 'A', requestedAttest: 'A', downgraded: false, attestReason: 'requested', x5u: a.x5u });
    expect(r.identity).toMatch(/^[\w-]+\.[\w-]+\.[\w-]{86};info=<http:\/\/127\.0\.0\.1:\d+\/certs\/[0-9a-f]{32}\.pem>;alg=ES256;ppt=shaken$/);
    expect(await verifyIdentity(r.identity)).toEqual({ attest: 'A', dest: { tn: ['18001234567'] }, iat: r.iat, orig: { tn: '14045266060' }, origid: r.origid });
  });

  it('signs over SignStream with the same result', async () => {
    const r = await client(a.token).sign({ ...productPage, origid: '123e4567-e89b-12d3-a456-426655440000', iat: Math.floor(Date.now() / 1000) });
    expect(r).toMatchObject({ attest: 'A', downgraded: false, origid: '123e4567-e89b-12d3-a456-426655440000' });
    expect((await verifyIdentity(r.identity)).origid).toBe('123e4567-e89b-12d3-a456-426655440000');
  });

  it('gives the proto no way to express the bodies that have no gRPC row', () => {
    for (const c of SIGN_CASES) expect(toProtoRequest(c.body) === undefined, c.title).toBe(c.grpc === null);
  });

  describe('shared sign cases through unary Sign', () => {
    for (const c of SIGN_CASES.filter((c) => c.grpc !== null)) {
      it(`${c.title} (gRPC ${c.grpc})`, async () => {
        const r = await callUnary<Record<string, unknown>>(raw.signer, 'Sign', toProtoRequest(c.body), bearer(b.token, c.headerAttest));
        if (c.outcome.ok) {
          expect(r.error).toBeUndefined();
          expect(r.value).toMatchObject({ attest: c.outcome.attest, downgraded: c.outcome.downgraded });
          return;
        }
        expect(r.error?.code).toBe(status[c.grpc!]);
        const trailers = r.error!.metadata;
        expect(trailers.get('shakenstack-error-code')).toEqual([c.outcome.code]);
        if (c.outcome.field) {
          expect(trailers.get('shakenstack-error-field')).toEqual([c.outcome.field]);
          // The message names the field too, for people reading grpcurl output.
          expect(r.error!.details).toContain(c.outcome.field);
        }
        expect(decodeURIComponent(String(trailers.get('shakenstack-error-reason')[0]))).toEqual(expect.any(String));
      });
    }
  });

  describe('shared sign cases through SignStream', () => {
    for (const c of SIGN_CASES.filter((c) => c.grpc !== null)) {
      it(`${c.title} (gRPC ${c.grpc})`, async () => {
        const run = client(b.token, { attestOverride: c.headerAttest as 'A' }).sign(toProtoRequest(c.body) as SignRequest);
        if (c.outcome.ok) {
          await expect(run).resolves.toMatchObject({ attest: c.outcome.attest, downgraded: c.outcome.downgraded });
          return;
        }
        const e = await run.then(() => undefined, (err: unknown) => err);
        expect(e).toBeInstanceOf(SignerError);
        expect(e).toMatchObject({ status: status[c.grpc!], code: c.outcome.code, ...(c.outcome.field ? { field: c.outcome.field } : {}) });
      });
    }
  });

  it('lets x-attestation metadata beat the request field and still caps it at the account maximum', async () => {
    const r = await client(b.token, { mode: 'unary', attestOverride: 'A' }).sign({ ...productPage, attest: 'C' });
    expect(r).toMatchObject({ attest: 'B', requestedAttest: 'A', downgraded: true, attestReason: 'account-maximum' });
  });

  it('answers UNAUTHENTICATED without an API key and with a wrong one, naming the authorization field', async () => {
    const none = await callUnary(raw.signer, 'Sign', productPage);
    expect(none.error).toMatchObject({ code: status.UNAUTHENTICATED });
    expect(none.error!.metadata.get('shakenstack-error-code')).toEqual(['ERR_AUTH_MISSING']);
    expect(none.error!.metadata.get('shakenstack-error-field')).toEqual(['authorization']);
    const wrong = client('ssk_0123456789abcdef_' + 'x'.repeat(43));
    await expect(wrong.sign(productPage)).rejects.toMatchObject({ status: status.UNAUTHENTICATED, code: 'ERR_AUTH_INVALID' });
  });

  it('answers PERMISSION_DENIED for a revoked key and a disabled account', async () => {
    const c = await svc.provision();
    const d = await svc.provision();
    const cc = client(c.token, { mode: 'unary' });
    const dc = client(d.token);
    await expect(cc.sign(productPage)).resolves.toBeDefined();
    await svc.node.store.revokeApiKey(c.apiKeyId);
    await svc.node.store.updateAccount(d.account.id, { enabled: false });
    const codeOf = (p: Promise<unknown>) => p.then(() => 'OK', (e: SignerError) => `${status[e.status]} ${e.code}`);
    // The node's change watcher notices the store change and drops its caches.
    await expect.poll(() => codeOf(cc.sign(productPage)), { timeout: 5000 }).toBe('PERMISSION_DENIED ERR_AUTH_REVOKED');
    await expect.poll(() => codeOf(dc.sign(productPage)), { timeout: 5000 }).toBe('PERMISSION_DENIED ERR_AUTH_ACCOUNT_DISABLED');
  });

  it('answers FAILED_PRECONDITION for an account without a usable credential', async () => {
    const { createAccount } = await import('../../server/manage/accounts.js');
    const { createApiKey } = await import('../../server/manage/api-keys.js');
    const account = await createAccount(svc.node.store, { name: `nocred-${process.pid}`, policyMode: 'trust' });
    const { token } = await createApiKey(svc.node.store, account.id, 'test');
    await expect(client(token, { mode: 'unary' }).sign(productPage)).rejects.toMatchObject({ status: status.FAILED_PRECONDITION, code: 'ERR_CRED_NONE' });
    await expect(client(token).sign(productPage)).rejects.toMatchObject({ status: status.FAILED_PRECONDITION, code: 'ERR_CRED_NONE' });
  });

  it('refuses a message above the 1 MiB limit with RESOURCE_EXHAUSTED, as the table maps ERR_REQ_TOO_LARGE', async () => {
    const r = await callUnary(raw.signer, 'Sign', { ...productPage, origid: 'x'.repeat(1024 * 1024) }, bearer(b.token));
    expect(r.error?.code).toBe(status.RESOURCE_EXHAUSTED);
  });

  it('keeps the stream open after a refused item and answers the next one', async () => {
    const c = client(b.token);
    await expect(c.sign({ orig: { tn: 'nope' }, dest: { tn: ['1'] } })).rejects.toMatchObject({ code: 'ERR_TN_INVALID', field: 'orig.tn' });
    await expect(c.sign(productPage)).resolves.toMatchObject({ attest: 'B' });
  });

  it('answers 500 concurrent requests on one stream, each to its own caller, out of order', async () => {
    const call = raw.signer.SignStream(bearer(b.token)) as ClientDuplexStream<unknown, { results: { id: string; response?: { identity: string }; error?: { code: string } }[] }>;
    // Every third item is refused by validation, which needs no signature and so finishes before the items sent ahead of it.
    const items = Array.from({ length: 500 }, (_, i) => ({
      id: `call-${i}`,
      request: i % 3 === 2 ? { orig: { tn: 'bad' }, dest: { tn: ['1'] } } : { orig: { tn: '14045266060' }, dest: { tn: [`1800555${String(i).padStart(4, '0')}`] } },
    }));
    const order: string[] = [];
    let messages = 0;
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (msg) => {
        messages++;
        for (const r of msg.results) {
          order.push(r.id);
          const i = Number(r.id.slice(5));
          if (i % 3 === 2) expect(r.error?.code).toBe('ERR_TN_INVALID');
          else expect(claimsOf(r.response!.identity).dest.tn).toEqual([`1800555${String(i).padStart(4, '0')}`]);
        }
        if (order.length === items.length) call.end();
      });
      call.on('status', (s) => (s.code === status.OK ? resolve() : reject(new Error(s.details))));
      call.on('error', reject);
    });
    call.write({ items: items.slice(0, 250) });
    call.write({ items: items.slice(250) });
    await done;
    expect([...order].sort()).toEqual(items.map((i) => i.id).sort());
    expect(order).not.toEqual(items.map((i) => i.id));
    // Results finished in the same event-loop turn share a message.
    expect(messages).toBeLessThan(items.length);
  });

  it('resolves 500 concurrent client sign() calls, each with its own result', async () => {
    const c = client(b.token);
    const dests = Array.from({ length: 500 }, (_, i) => `1900555${String(i).padStart(4, '0')}`);
    const results = await Promise.all(dests.map((tn) => c.sign({ orig: { tn: '14045266060' }, dest: { tn: [tn] } })));
    expect(results.map((r) => claimsOf(r.identity).dest.tn[0])).toEqual(dests);
  });

  it('does not sign a unary call whose deadline has passed when it arrives', async () => {
    // grpc-js clients do not send a call that is already late, so the call is written by hand: grpc-timeout 0m.
    const defs = loadServiceDefinitions();
    const method = (defs['shakenstack.v1.Signer'] as unknown as Record<string, { requestSerialize(m: unknown): Buffer }>).Sign!;
    const body = method.requestSerialize({ orig: { tn: '14045266060' }, dest: { tn: ['18005550000'] } });
    const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), body]);
    frame.writeUInt32BE(body.length, 1);
    const before = svc.node.metrics.snapshot().transports.find((t) => t.transport === 'grpc')?.requests ?? 0;
    const session = connect(`http://${svc.grpcAddress}`);
    const trailers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = session.request({
        [h2.HTTP2_HEADER_METHOD]: 'POST',
        [h2.HTTP2_HEADER_PATH]: '/shakenstack.v1.Signer/Sign',
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': '0m',
        authorization: `Bearer ${b.token}`,
      });
      req.on('trailers', resolve);
      req.on('response', (headers) => {
        // A status sent without a body comes as headers only ("trailers-only").
        if (headers['grpc-status'] !== undefined) resolve(headers);
      });
      req.on('error', reject);
      req.resume();
      req.end(frame);
    });
    session.close();
    expect(Number(trailers['grpc-status'])).toBe(status.DEADLINE_EXCEEDED);
    // Nothing reached the core: no request was counted (the core counts every request it handles).
    const after = svc.node.metrics.snapshot().transports.find((t) => t.transport === 'grpc')?.requests ?? 0;
    expect(after).toBe(before);
  });

  it('rejects with DEADLINE_EXCEEDED when the server does not answer in time, in both modes', async () => {
    const { createServer } = await import('node:net');
    // A peer that accepts the connection and never speaks HTTP/2.
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const address = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      for (const mode of ['stream', 'unary'] as const) {
        const c = createSignerClient({ address, apiKey: b.token, mode, deadlineMs: 300 });
        await expect(c.sign(productPage)).rejects.toMatchObject({ status: status.DEADLINE_EXCEEDED });
        await c.close();
      }
    } finally {
      silent.close();
    }
  });

  it('logs every gRPC request like an HTTP one, with transport grpc', async () => {
    const c = await svc.provision();
    await client(c.token, { mode: 'unary' }).sign(productPage);
    await client(c.token).sign({ orig: { tn: 'x' }, dest: { tn: ['1'] } }).catch(() => undefined);
    await expect
      .poll(async () => (await svc.node.store.queryRequestLog({ accountId: c.account.id })).map((r) => `${r.transport} ${r.outcome} ${r.errorCode ?? ''}`).sort(), { timeout: 5000 })
      .toEqual(['grpc error ERR_TN_INVALID', 'grpc ok ']);
  });
});
