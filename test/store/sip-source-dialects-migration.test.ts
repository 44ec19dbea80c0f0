import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { PLAIN_DIALECT } from '../../server/core/sbc-dialect.js';
import { MIGRATION_ENGINES } from './migration-engines.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('migration 011: SIP sources get an SBC dialect', () => {
  for (const make of MIGRATION_ENGINES) {
    it(`gives the blocks already there the plain dialect, so their answers do not change, and stores new ones (${make.name})`, async () => {
      const engine = await make();
      cleanups.push(engine.cleanup);
      const accountId = `acc_${randomUUID().slice(0, 8)}`;
      // The database as a node before issue 15 left it: every migration up to 009 applied, none after.
      const before = await engine.migratedTo('009-request-log-passports');
      try {
        // Rows exactly as the code before 011 wrote them: no dialect columns exist yet.
        await before
          .insertInto('accounts')
          .values({ id: accountId, name: accountId, default_attest: 'A', max_attest: 'A', token_ttl_sec: 60, enabled: 1, policy_mode: 'trust', non_numeric_orig: 'C', inventory_version: 0, created_at: 1 })
          .execute();
        await before.insertInto('sip_sources').values({ account_id: accountId, cidr: '192.0.2.0/24', source_kind: 'gateway', created_at: 1 }).execute();
      } finally {
        await before.destroy();
      }

      const store = await engine.open();
      try {
        expect(await store.listSipSources(accountId)).toEqual([{ accountId, cidr: '192.0.2.0/24', sourceKind: 'gateway', dialect: PLAIN_DIALECT }]);
        const sbc = { identityInContact: true, multipleChoices: false, attestationHeaders: true };
        await store.addSipSource({ accountId, cidr: '198.51.100.7/32', sourceKind: 'customer', dialect: sbc });
        expect((await store.listSipSources(accountId)).map((s) => s.dialect)).toEqual([PLAIN_DIALECT, sbc]);
      } finally {
        await store.close();
      }
    });
  }
});
