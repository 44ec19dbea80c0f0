import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Libsql from 'libsql';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCertificateChain } from '../../server/core/cert-chain.js';
import { x5uPath } from '../../server/core/certificate-publisher.js';
import { createTestPki } from '../../server/pki/test-pki.js';
import { EMBEDDED_DB_FILE, openStore } from '../../server/store/open-store.js';
import type { Store } from '../../server/store/store.js';
import { createTempDatabase, execSql } from '../helpers/postgres.js';

interface Engine {
  name: string;
  open(): Promise<Store>;
  exec(sql: string): Promise<void>;
  cleanup(): Promise<void>;
}

async function embedded(): Promise<Engine> {
  const dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-x5u-migration-'));
  return {
    name: 'embedded',
    open: () => openStore({ engine: 'embedded', dataDir }),
    async exec(sql) {
      const db = new Libsql(join(dataDir, EMBEDDED_DB_FILE));
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
    },
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

async function postgres(): Promise<Engine> {
  const db = await createTempDatabase();
  return { name: 'postgres', open: () => openStore({ engine: 'postgres', url: db.url, poolSize: 2 }), exec: (sql) => execSql(db.url, sql), cleanup: db.drop };
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('migration 007: hosted x5u stored as a path', () => {
  for (const make of [embedded, postgres]) {
    it(`turns full URLs of chains this service hosts into their path and leaves other x5u alone (${make.name})`, async () => {
      const engine = await make();
      cleanups.push(engine.cleanup);
      const [hosted, external, prefixed] = await Promise.all([createTestPki(), createTestPki(), createTestPki()]);
      const path = (pem: string) => x5uPath(parseCertificateChain(pem).leaf);
      let store = await engine.open();
      const ids: Record<string, string> = {};
      try {
        const account = await store.createAccount({ name: 'pre-007', defaultAttest: 'B', maxAttest: 'B', tokenTtlSec: 60, policyMode: 'trust', nonNumericOrig: 'B' });
        const other = await store.createAccount({ name: 'pre-007-b', defaultAttest: 'B', maxAttest: 'B', tokenTtlSec: 60, policyMode: 'trust', nonNumericOrig: 'B' });
        const third = await store.createAccount({ name: 'pre-007-c', defaultAttest: 'B', maxAttest: 'B', tokenTtlSec: 60, policyMode: 'trust', nonNumericOrig: 'B' });
        // What importCredential wrote before: the importing process's publicUrl in full.
        ids.hosted = (await store.addCredential({ accountId: account.id, keyRef: 'soft:a', chainPem: hosted.chainPem, x5u: `http://admin-host:8080${path(hosted.chainPem)}` })).id;
        ids.external = (await store.addCredential({ accountId: other.id, keyRef: 'soft:b', chainPem: external.chainPem, x5u: 'https://cr.example.net/sti/chain.pem' })).id;
        ids.prefixed = (await store.addCredential({ accountId: third.id, keyRef: 'soft:c', chainPem: prefixed.chainPem, x5u: `https://sti.example.test/shaken${path(prefixed.chainPem)}` })).id;
      } finally {
        await store.close();
      }
      // As if the database had been migrated up to 006 only: the migrator runs 007 on these rows next.
      await engine.exec(`delete from kysely_migration where name = '007-hosted-x5u-paths'`);
      store = await engine.open();
      try {
        const x5u = async (id: string) => (await store.getCredential(id))!.x5u;
        expect(await x5u(ids.hosted!)).toBe(path(hosted.chainPem));
        expect(await x5u(ids.prefixed!)).toBe(path(prefixed.chainPem));
        expect(await x5u(ids.external!)).toBe('https://cr.example.net/sti/chain.pem');
      } finally {
        await store.close();
      }
    });
  }
});
