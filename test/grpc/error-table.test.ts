import { readFileSync } from 'node:fs';
import { ServerCredentials, status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { createSignerClient, SignerError } from '../../clients/node/src/index.js';
import { ERROR_CODES, ShakenError, type ErrorCode } from '../../server/core/errors.js';
import type { SigningService } from '../../server/core/sign-service.js';
import { GRPC_STATUS } from '../../server/grpc/errors.js';
import { buildGrpcServer, type GrpcAdapter } from '../../server/grpc/server.js';
import { HTTP_STATUS } from '../../server/http/errors.js';
import { RequestMetrics } from '../../server/metrics/request-metrics.js';
import { bearer, callUnary, rawClients } from './support.js';

const errorsPage = readFileSync('docs/errors.md', 'utf8');

/** The gRPC status each HTTP status class stands for (gRPC's own statuscodes.md pairs them the same way). */
const BY_HTTP: Record<number, status> = {
  400: status.INVALID_ARGUMENT,
  401: status.UNAUTHENTICATED,
  403: status.PERMISSION_DENIED,
  404: status.NOT_FOUND,
  // A method the resource does not offer: gRPC's "operation not supported".
  405: status.UNIMPLEMENTED,
  // An Accept that admits no answer the service gives: a request it will not serve, like a wrong media type.
  406: status.INVALID_ARGUMENT,
  409: status.FAILED_PRECONDITION,
  413: status.RESOURCE_EXHAUSTED,
  415: status.INVALID_ARGUMENT,
  429: status.RESOURCE_EXHAUSTED,
  500: status.INTERNAL,
  503: status.UNAVAILABLE,
};

describe('gRPC error table', () => {
  it('maps every code, and nothing else', () => {
    expect(Object.keys(GRPC_STATUS).sort()).toEqual([...ERROR_CODES].sort());
  });

  it('gives each code the gRPC status of its HTTP class (a name conflict is ALREADY_EXISTS, not a precondition)', () => {
    for (const code of ERROR_CODES) {
      const expected = code === 'ERR_REQ_CONFLICT' ? status.ALREADY_EXISTS : BY_HTTP[HTTP_STATUS[code]];
      expect(status[GRPC_STATUS[code]], code).toBe(status[expected!]);
    }
  });

  it('documents every code in docs/errors.md with the status the gRPC table gives it', () => {
    const rows = new Map([...errorsPage.matchAll(/^\| `(ERR_[A-Z_]+)` \| \d{3} \| ([A-Z_]+) \|/gm)].map((m) => [m[1]!, m[2]!]));
    expect([...rows.keys()].sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) expect(rows.get(code), code).toBe(status[GRPC_STATUS[code]]);
  });
});

describe('gRPC error encoding', () => {
  let adapter: GrpcAdapter | undefined;
  afterEach(() => adapter?.server.forceShutdown());

  /** A server whose core always throws `error`, and what it logged. */
  async function serveFailing(error: unknown) {
    const logged: { obj: object; msg: string }[] = [];
    const signing = { handle: () => Promise.reject(error), authenticator: { authenticate: () => Promise.reject(error) } } as unknown as SigningService;
    const readiness = { ready: true, first: Promise.resolve(), onChange: () => () => true, stop() {} };
    adapter = buildGrpcServer({ signing, metrics: new RequestMetrics({ now: () => 0 }), readiness, logger: { error: (obj, msg) => logged.push({ obj, msg }) } });
    const port = await new Promise<number>((resolve, reject) => adapter!.server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    return { address: `127.0.0.1:${port}`, logged };
  }

  it('answers INTERNAL for an unknown error, logs it with its stack and never echoes it', async () => {
    const secret = new Error('connect to postgres://signer:hunter2@db failed');
    const { address, logged } = await serveFailing(secret);
    const raw = rawClients(address);
    const r = await callUnary(raw.signer, 'Sign', {}, bearer('k'));
    raw.close();
    expect(r.error?.code).toBe(status.INTERNAL);
    expect(r.error?.details).toBe('ERR_INTERNAL: internal error');
    expect(JSON.stringify(r.error?.metadata.getMap())).not.toContain('hunter2');
    expect(logged).toHaveLength(1);
    expect((logged[0]!.obj as { err: Error }).err).toBe(secret);
    expect((logged[0]!.obj as { err: Error }).err.stack).toContain('error-table.test.ts');
  });

  it.each(['stream', 'unary'] as const)('carries code, field and a non-ASCII reason intact to the client (%s)', async (mode) => {
    const refusal = new ShakenError('ERR_CRED_INVALID', 'the key must be an EC P-256 key (ES256, RFC 8588 §3) — 100 % sure', { field: 'dest.tn[1]' });
    const { address } = await serveFailing(refusal);
    const c = createSignerClient({ address, apiKey: 'k', mode });
    const e = (await c.sign({ orig: { tn: '1' }, dest: { tn: ['2'] } }).catch((x: unknown) => x)) as SignerError;
    await c.close();
    expect(e).toBeInstanceOf(SignerError);
    expect({ status: e.status, code: e.code, field: e.field, reason: e.reason }).toEqual({
      status: status.FAILED_PRECONDITION,
      code: 'ERR_CRED_INVALID' satisfies ErrorCode,
      field: 'dest.tn[1]',
      reason: refusal.reason,
    });
  });
});
