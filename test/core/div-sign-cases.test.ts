import { beforeAll, describe, expect, it } from 'vitest';
import { divReply } from '../../server/core/div/div-reply.js';
import { DIV_SIGN_CASES, DIV_TN, expectSignedDiv, UNKNOWN_KEY, type DivCaller, type DivCaseContext } from '../cases/div-sign-cases.js';
import { coreFixture, FakeClock, type CoreFixture } from '../helpers/core-fixture.js';

/** The shared div rows through the core's handleDiv, the path every transport calls. */
describe('div sign cases through the core (handleDiv)', () => {
  const fixtures = {} as Record<Exclude<DivCaller, 'bad-key'>, CoreFixture>;
  let ctx: DivCaseContext;

  beforeAll(async () => {
    const clock = new FakeClock(Date.now());
    fixtures.trust = await coreFixture({ policyMode: 'trust', clock });
    fixtures.enforce = await coreFixture({ policyMode: 'enforce', clock });
    fixtures.enforce.dir.inventory.set(fixtures.enforce.account.id, [{ kind: 'tn', tn: DIV_TN }]);
    fixtures['enforce-gateway'] = await coreFixture({ policyMode: 'enforce', sourceKind: 'gateway', clock });
    const t = fixtures.trust;
    ctx = {
      nowSec: Math.floor(clock.ms / 1000),
      shaken: async (dest) => (await t.signing.handle({ token: t.token, transport: 'http', input: { orig: { tn: '14045266060' }, dest: { tn: dest }, attest: 'A' } })).identity,
      forwarded: async (identity, dest) => (await t.signing.handleDiv({ token: t.token, transport: 'http', input: { identity, dest: { tn: dest } } })).identity,
    };
  });

  for (const c of DIV_SIGN_CASES) {
    it(c.title, async () => {
      const f = fixtures[c.caller === undefined || c.caller === 'bad-key' ? 'trust' : c.caller];
      const body = await c.body(ctx);
      const run = f.signing.handleDiv({ token: c.caller === 'bad-key' ? UNKNOWN_KEY : f.token, transport: 'http', input: body });
      if (c.outcome.ok) {
        const r = await run;
        await expectSignedDiv(divReply(r), f.pki.leaf.certPem, c.outcome, body);
        // One log record per div, naming every PASSporT the call carries after this hop.
        expect(f.dir.log.at(-1)).toMatchObject({ kind: 'sign', outcome: 'ok', passports: c.outcome.passports, origid: r.claims.origid });
      } else {
        await expect(run).rejects.toMatchObject({ code: c.outcome.code, ...(c.outcome.field ? { field: c.outcome.field } : {}) });
        expect(f.dir.log.at(-1)).toMatchObject({ kind: 'sign', outcome: 'error', errorCode: c.outcome.code });
      }
    });
  }
});
