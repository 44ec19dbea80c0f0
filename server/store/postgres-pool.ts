import type { PostgresPool, PostgresPoolClient } from 'kysely';
import pg from 'pg';
import type { CustomTypesConfig } from 'pg';
import { toStoreError } from './store-errors.js';

export interface PostgresPoolOptions {
  url: string;
  poolSize: number;
  /** A connect (TCP, TLS, startup) that takes longer fails. */
  connectTimeoutMs: number;
  /** A statement that runs longer, or an answer that does not come, fails; 0: no limit (migrations). */
  queryTimeoutMs: number;
}

/**
 * TCP keepalive on every connection: after this long without traffic the kernel probes the server, so an
 * idle connection to a host that vanished (no RST ever comes) is found dead and replaced.
 */
const KEEPALIVE_DELAY_MS = 10_000;

/**
 * The client-side read timeout is this much longer than the server's statement_timeout: a slow statement is
 * cancelled by the server, which keeps the connection; only a silent network (blackhole) hits the client-side
 * limit, which then has to throw the connection away.
 */
const READ_TIMEOUT_MARGIN_MS = 1000;

/** int8 as a JS number for this pool's clients only; pg's global parsers stay untouched. */
const int8AsNumber: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
};

/**
 * A pg pool for kysely on which no connection fault can end the process, and a broken connection never goes
 * back into the pool.
 *
 * pg emits 'error' on a client whose socket dies (a backend terminated by `pg_terminate_backend`, a reset
 * connection). While the client is idle in the pool, the pool listens and drops it; while it is checked out,
 * pg-pool removes its own listener, and kysely (which holds it for a query or a transaction) adds none, so the
 * error had no listener and killed the process. Each client therefore gets a listener for its whole life when
 * it connects. The failure itself still reaches the caller: pg fails the query in flight, and a released client
 * that saw an error is not reused.
 *
 * A blackholed connection never answers; pg's read timeout fails the query but leaves it in flight on the
 * client, so a client that failed for a connection-level reason is released *with* that error, which makes
 * pg-pool destroy it rather than hand it to the next query.
 */
export function openPostgresPool(o: PostgresPoolOptions): PostgresPool {
  const pool = new pg.Pool({
    connectionString: o.url,
    max: o.poolSize,
    connectionTimeoutMillis: o.connectTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
    ...(o.queryTimeoutMs > 0 && {
      // Server side: a runaway statement is cancelled, and a transaction whose client went silent (its
      // locks held, e.g. on the change counter) is ended instead of blocking every other node's writes.
      statement_timeout: o.queryTimeoutMs,
      idle_in_transaction_session_timeout: o.queryTimeoutMs,
      query_timeout: o.queryTimeoutMs + READ_TIMEOUT_MARGIN_MS,
    }),
    types: int8AsNumber,
  });
  // An idle client's failure: pg-pool has already dropped it; the next query reports the outage.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));

  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      let broken: Error | undefined;
      const query = async (sql: string, parameters: readonly unknown[]) => {
        // A transaction's ROLLBACK after a read timeout would queue behind the query that never answered.
        if (broken) throw broken;
        try {
          return await client.query(sql, [...parameters]);
        } catch (err) {
          if (toStoreError(err) !== err) broken = err as Error;
          throw err;
        }
      };
      return {
        // kysely passes a cursor only when the dialect is given a cursor class; this one is not.
        query: query as unknown as PostgresPoolClient['query'],
        release: () => client.release(broken),
      };
    },
    end: () => pool.end(),
  };
}
