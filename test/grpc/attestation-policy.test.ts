import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignerClient, type SignerClient, type SignRequest } from '../../clients/node/src/index.js';
import { INVENTORY, POLICY_CASES, policyCaseBody, policyCaseTitle } from '../cases/policy-cases.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { claimsOf } from './support.js';

describe('attestation policy over gRPC', () => {
  let svc: TestService;
  const clients: SignerClient[] = [];
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await svc.stop();
  });

  for (const p of POLICY_CASES) {
    it(policyCaseTitle(p), async () => {
      const acct = await svc.provision({ policyMode: p.mode, sourceKind: p.source, defaultAttest: p.max, maxAttest: p.max, nonNumericOrig: p.nonNumeric, inventory: INVENTORY });
      const client = createSignerClient({ address: svc.grpcAddress, apiKey: acct.token, deadlineMs: 10_000 });
      clients.push(client);
      const run = client.sign(policyCaseBody(p) as unknown as SignRequest);
      if ('refused' in p.expect) {
        await expect(run).rejects.toMatchObject({ status: status.PERMISSION_DENIED, code: 'ERR_ATTEST_REFUSED', field: 'orig' });
      } else {
        const r = await run;
        expect(r).toMatchObject({ attest: p.expect.attest, attestReason: p.expect.reason });
        expect(claimsOf(r.identity).attest).toBe(p.expect.attest);
      }
    });
  }
});
