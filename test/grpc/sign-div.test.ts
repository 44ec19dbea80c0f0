import { status, type ClientDuplexStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignerClient, SignerError, type SignDivRequest, type SignerClient } from '../../clients/node/src/index.js';
import { DIV_SIGN_CASES, DIV_TN, expectSignedDiv, UNKNOWN_KEY, type DivCaller, type DivCaseContext } from '../cases/div-sign-cases.js';
import { startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { bearer, callUnary, rawClients } from './support.js';

describe('gRPC SignDiv and div items in SignStream', () => {
  let svc: TestService;
  const accounts = {} as Record<Exclude<DivCaller, 'bad-key'>, Provisioned>;
  let raw: ReturnType<typeof rawClients>;
  let ctx: DivCaseContext;
  const clients: SignerClient[] = [];
  const client = (token: string, mode: 'stream' | 'unary' = 'stream') => {
    const c = createSignerClient({ address: svc.grpcAddress, apiKey: token, deadlineMs: 10_000, mode });
    clients.push(c);
    return c;
  };
  const tokenOf = (caller: DivCaller | undefined) => (caller === 'bad-key' ? UNKNOWN_KEY : accounts[caller ?? 'trust'].token);
  const accountOf = (caller: DivCaller | undefined) => accounts[caller === undefined || caller === 'bad-key' ? 'trust' : caller];

  beforeAll(async () => {
    svc = await startTestService();
    accounts.trust = await svc.provision({ defaultAttest: 'A', maxAttest: 'A' });
    accounts.enforce = await svc.provision({ policyMode: 'enforce', inventory: [{ kind: 'tn', tn: DIV_TN }] });
    accounts['enforce-gateway'] = await svc.provision({ policyMode: 'enforce', sourceKind: 'gateway' });
    raw = rawClients(svc.grpcAddress);
    // The rows' received PASSporTs are signed over gRPC too: Sign for the shaken one, unary SignDiv for a first hop.
    const unary = client(accounts.trust.token, 'unary');
    ctx = {
      nowSec: Math.floor(Date.now() / 1000),
      shaken: async (dest) => (await unary.sign({ orig: { tn: '14045266060' }, dest: { tn: dest } })).identity,
      forwarded: async (identity, dest) => (await unary.signDiv({ identity, dest: { tn: dest } })).identity,
    };
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    raw?.close();
    await svc?.stop();
  });

  describe('shared div sign cases through unary SignDiv', () => {
    for (const c of DIV_SIGN_CASES) {
      it(`${c.title} (gRPC ${c.grpc})`, async () => {
        const body = await c.body(ctx);
        const r = await callUnary<Record<string, unknown>>(raw.signer, 'SignDiv', body, bearer(tokenOf(c.caller)));
        if (c.outcome.ok) {
          expect(r.error).toBeUndefined();
          expect(r.value!.x5u).toBe(accountOf(c.caller).x5u);
          await expectSignedDiv(r.value as never, accountOf(c.caller).pki.leaf.certPem, c.outcome, body);
          return;
        }
        expect(r.error?.code).toBe(status[c.grpc]);
        const trailers = r.error!.metadata;
        expect(trailers.get('shakenstack-error-code')).toEqual([c.outcome.code]);
        if (c.outcome.field) {
          expect(trailers.get('shakenstack-error-field')).toEqual([c.outcome.field]);
          expect(r.error!.details).toContain(c.outcome.field);
        }
      });
    }
  });

  describe('shared div sign cases through SignStream (the Node client\'s signDiv)', () => {
    for (const c of DIV_SIGN_CASES) {
      it(`${c.title} (gRPC ${c.grpc})`, async () => {
        const body = await c.body(ctx);
        const run = client(tokenOf(c.caller)).signDiv(body as SignDivRequest);
        if (c.outcome.ok) {
          await expectSignedDiv(await run, accountOf(c.caller).pki.leaf.certPem, c.outcome, body);
          return;
        }
        const e = await run.then(() => undefined, (err: unknown) => err);
        expect(e).toBeInstanceOf(SignerError);
        expect(e).toMatchObject({ status: status[c.grpc], code: c.outcome.code, ...(c.outcome.field ? { field: c.outcome.field } : {}) });
      });
    }
  });

  it('carries shaken and div items on one stream, each result under its own id', async () => {
    type Result = { id: string; response?: { identity: string } | null; divResponse?: { identity: string; div: unknown } | null; error?: { code: string; field: string } | null };
    const call = raw.signer.SignStream(bearer(accounts.trust.token)) as ClientDuplexStream<unknown, { results: Result[] }>;
    const shaken = await ctx.shaken([DIV_TN]);
    const results: Result[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (m) => results.push(...m.results));
      call.on('end', resolve);
      call.on('error', reject);
    });
    call.write({
      items: [
        { id: 'shaken-1', request: { orig: { tn: '14045266060' }, dest: { tn: [DIV_TN] } } },
        { id: 'div-1', div: { identity: [shaken], dest: { tn: ['12025550199'] } } },
        { id: 'div-bad', div: { identity: [shaken], dest: { tn: ['12025550199'] }, div: { tn: '18009999999' } } },
      ],
    });
    call.end();
    await done;
    const byId = new Map(results.map((r) => [r.id, r]));
    expect([...byId.keys()].sort()).toEqual(['div-1', 'div-bad', 'shaken-1']);
    expect(byId.get('shaken-1')!.response!.identity).toMatch(/;ppt=shaken$/);
    expect(byId.get('div-1')!.divResponse).toMatchObject({ identity: expect.stringMatching(/;ppt=div$/), div: { tn: DIV_TN } });
    expect(byId.get('div-1')!.response ?? undefined).toBeUndefined();
    expect(byId.get('div-bad')!.error).toMatchObject({ code: 'ERR_REQ_FIELD_INVALID', field: 'div', status: status.INVALID_ARGUMENT });
  });

  it('answers SignDiv without an API key with UNAUTHENTICATED naming authorization', async () => {
    const r = await callUnary(raw.signer, 'SignDiv', { orig: { tn: '14045266060' }, dest: { tn: ['12025550199'] }, div: { tn: DIV_TN } });
    expect(r.error?.code).toBe(status.UNAUTHENTICATED);
    expect(r.error!.metadata.get('shakenstack-error-field')).toEqual(['authorization']);
  });
});
