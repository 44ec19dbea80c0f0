import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShakenError } from '../../server/core/errors.js';
import { openStore } from '../../server/store/open-store.js';
import { createTempDatabase, execSql } from '../helpers/postgres.js';
import { storeSuite } from './store-suite.js';

let url: string;
let drop: () => Promise<void>;

beforeAll(async () => {
  ({ url, drop } = await createTempDatabase());
});

afterAll(() => drop());

describe('postgres store', () => {
  storeSuite({
    open: (clock) => openStore({ engine: 'postgres', url, poolSize: 4, clock }),
    exec: (sql) => execSql(url, sql),
  });

  it('reports an unreachable server as ERR_STORE_UNAVAILABLE, without connection details', async () => {
    const err = await openStore({ engine: 'postgres', url: 'postgres://postgres:secret@127.0.0.1:1/test' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ShakenError);
    expect(err).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', reason: 'store unavailable' });
    expect((err as ShakenError).cause).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('returns bigint columns as numbers without touching pg’s global parsers', async () => {
    const store = await openStore({ engine: 'postgres', url });
    try {
      expect(typeof (await store.changeVersion())).toBe('number');
      expect(typeof (await store.countRequestLog())).toBe('number');
      expect(pg.types.getTypeParser(pg.types.builtins.INT8, 'text')('9007199254740993')).toBe('9007199254740993');
    } finally {
      await store.close();
    }
  });
});
