import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignerClient, SignerError, type SignerClient } from '../../clients/node/src/index.js';
import { expectSignedRph, RPH_DEST, RPH_ORIG, RPH_SIGN_CASES, type RphCaller } from '../cases/rph-sign-cases.js';
import { startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { bearer, callUnary, rawClients } from './support.js';

describe('gRPC Signer/SignRph', () => {
  let svc: TestService;
  const accounts = {} as Record<RphCaller, Provisioned>;
  let raw: ReturnType<typeof rawClients>;
  const clients: SignerClient[] = [];

  beforeAll(async () => {
    svc = await startTestService();
    accounts['ets-wps'] = await svc.provision({ rphNamespaces: ['ets', 'wps'] });
    accounts.ets = await svc.provision({ rphNamespaces: ['ets'] });
    accounts.none = await svc.provision();
    raw = rawClients(svc.grpcAddress);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    raw?.close();
    await svc?.stop();
  });

  describe('shared rph sign cases through unary SignRph', () => {
    for (const c of RPH_SIGN_CASES) {
      it(`${c.title} (gRPC ${c.grpc})`, async () => {
        const who = accounts[c.caller ?? 'ets-wps'];
        const r = await callUnary<Record<string, unknown>>(raw.signer, 'SignRph', c.body, bearer(who.token));
        if (c.outcome.ok) {
          expect(r.error).toBeUndefined();
          expect(r.value).toMatchObject({ rph: { auth: c.outcome.auth }, orig: { tn: RPH_ORIG }, dest: { tn: [RPH_DEST] }, x5u: who.x5u });
          await expectSignedRph(r.value as never, who.pki.leaf.certPem, c.outcome);
          return;
        }
        expect(r.error?.code).toBe(status[c.grpc]);
        const trailers = r.error!.metadata;
        // proto3 cannot tell an empty repeated field from an absent one: `auth: []` arrives as no auth at all.
        const code = c.body.rph && Array.isArray((c.body.rph as { auth?: unknown }).auth) && (c.body.rph as { auth: unknown[] }).auth.length === 0 ? 'ERR_REQ_FIELD_MISSING' : c.outcome.code;
        expect(trailers.get('shakenstack-error-code')).toEqual([code]);
        expect(trailers.get('shakenstack-error-field')).toEqual([c.outcome.field]);
        expect(r.error!.details).toContain(c.outcome.field);
      });
    }
  });

  it('signs with the Node client, also in stream mode, and rejects an ungranted namespace with a SignerError', async () => {
    const signer = createSignerClient({ address: svc.grpcAddress, apiKey: accounts.ets.token, deadlineMs: 10_000 });
    clients.push(signer);
    const r = await signer.signRph({ orig: { tn: RPH_ORIG }, dest: { tn: [RPH_DEST] }, rph: { auth: ['ets.0'] } });
    await expectSignedRph(r, accounts.ets.pki.leaf.certPem, { ok: true, auth: ['ets.0'] });
    const refused = await signer.signRph({ orig: { tn: RPH_ORIG }, dest: { tn: [RPH_DEST] }, rph: { auth: ['wps.0'] } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SignerError);
    expect(refused).toMatchObject({ status: status.PERMISSION_DENIED, code: 'ERR_ATTEST_REFUSED', field: 'rph.auth' });
  });
});
