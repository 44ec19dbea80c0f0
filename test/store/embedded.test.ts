import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Libsql from 'libsql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_DB_FILE, openStore } from '../../server/store/open-store.js';
import { storeSuite } from './store-suite.js';

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-store-'));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('embedded store (SQLite file)', () => {
  storeSuite({
    open: (clock) => openStore({ engine: 'embedded', dataDir: join(dataDir, 'nested', 'data'), clock }),
    async exec(sql) {
      const db = new Libsql(join(dataDir, 'nested', 'data', EMBEDDED_DB_FILE));
      try {
        db.pragma('busy_timeout = 5000');
        db.exec(sql);
      } finally {
        db.close();
      }
    },
  });
});

describe('embedded database file', () => {
  it('is created, with the data folder, in WAL mode so that several processes can share it', async () => {
    const dir = join(dataDir, 'wal-check');
    const store = await openStore({ engine: 'embedded', dataDir: dir });
    await store.close();
    const db = new Libsql(join(dir, EMBEDDED_DB_FILE));
    try {
      expect(db.prepare('PRAGMA journal_mode').all([])).toEqual([{ journal_mode: 'wal' }]);
    } finally {
      db.close();
    }
  });
});
