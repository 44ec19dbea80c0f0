import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import Libsql from 'libsql';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCertificateChain } from '../../server/core/cert-chain.js';
import { x5uPath } from '../../server/core/certificate-publisher.js';
import { createLabPki } from '../../server/pki/lab-pki.js';
import { EmbeddedDialect } from '../../server/store/embedded-dialect.js';
import { createKyselyStore } from '../../server/store/kysely-store.js';
import { migrationProvider } from '../../server/store/migrations/index.js';
import { EMBEDDED_DB_FILE, openStore } from '../../server/store/open-store.js';
import type { Database } from '../../server/store/schema.js';
import type { Store } from '../../server/store/store.js';
import { createTempDatabase } from '../helpers/postgres.js';

interface Engine {
  name: 'embedded' | 'postgres';
  open(): Promise<Store>;
  /** The database as it was before migration 007: every earlier migration applied, none after. */
  openBefore007(): Promise<{ store: Store; close(): Promise<void> }>;
  cleanup(): Promise<void>;
}

async function migratedTo006(db: Kysely<Database>, engine: Engine['name']): Promise<{ store: Store; close(): Promise<void> }> {
  const { error } = await new Migrator({ db, provider: migrationProvider(engine) }).migrateTo('006-request-log-journal');
  if (error !== undefined) throw error;
  return { store: createKyselyStore(db, { engine }), close: () => db.destroy() };
}

async function embedded(): Promise<Engine> {
  const dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-x5u-migration-'));
  return {
    name: 'embedded',
    open: () => openStore({ engine: 'embedded', dataDir }),
    openBefore007: () => migratedTo006(new Kysely<Database>({ dialect: new EmbeddedDialect({ database: new Libsql(join(dataDir, EMBEDDED_DB_FILE)) }) }), 'embedded'),
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

async function postgres(): Promise<Engine> {
  const db = await createTempDatabase();
  return {
    name: 'postgres',
    open: () => openStore({ engine: 'postgres', url: db.url, poolSize: 2 }),
    openBefore007: () => migratedTo006(new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: db.url, max: 2 }) }) }), 'postgres'),
    cleanup: db.drop,
  };
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
      const [hosted, external, prefixed] = await Promise.all([createLabPki(), createLabPki(), createLabPki()]);
      const path = (pem: string) => x5uPath(parseCertificateChain(pem).leaf);
      const before = await engine.openBefore007();
      let store = before.store;
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
        await before.close();
      }
      // Opening the store runs 007 (and what comes after it) on these rows.
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
