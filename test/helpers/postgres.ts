import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server tests may use: `test/run.sh` sets it; the default is this project's CI machine. */
export const ADMIN_URL = process.env.SHAKENSTACK_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Runs one statement on its own connection. */
export async function execSql(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database on the test server; `drop()` removes it even with connections open. */
export async function createTempDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `shakenstack_t_${randomBytes(6).toString('hex')}`;
  await execSql(ADMIN_URL, `CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => execSql(ADMIN_URL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
