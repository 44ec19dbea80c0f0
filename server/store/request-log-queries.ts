import { CompiledQuery, type Insertable, type Kysely } from 'kysely';
import { passportCondition } from './passport-filter.js';
import { REQUEST_LOG_COLUMNS, requestLogValues, toRequestLogRecord } from './row-mapping.js';
import type { Database, RequestLogTable } from './schema.js';
import { rowsPerStatement, type StoreContext } from './store-context.js';
import { guarded } from './store-errors.js';
import type { Store, StoredRequestLogRecord } from './store.js';

export type RequestLogQueries = Pick<Store, 'appendRequestLog' | 'queryRequestLog' | 'countRequestLog'>;

const DEFAULT_LOG_LIMIT = 100;

/**
 * The request log's multi-row INSERT, compiled by kysely once per row count and then run with the rows' values
 * bound in the compiled column order. Why: the request-log thread stores every request, and building the
 * statement per batch (kysely parsing 500 row objects into value nodes, then compiling them to text) cost it
 * about as much as SQLite's insert (issue 17).
 *
 * A batch goes in as statements whose row counts are powers of two (`statementRows`), so the texts, and the
 * prepared statements the embedded connection keeps by text, are nine (1 to 256 rows) for good. Why: the thread ships
 * a full batch and then a tail of whatever was journaled since, a different length every pass, and each new length
 * cost a kysely compile and an SQLite prepare, 2.5-5 ms for 200-500 rows, at every pass (issue 17). On PostgreSQL
 * the same cut costs round trips instead (a 500-row batch is six statements in its one transaction), a few
 * milliseconds a pass at a remote server's round trip, where each tail's kysely compile was CPU on the thread.
 */
class RequestLogInsert {
  private readonly texts = new Map<number, string>();

  constructor(
    private readonly db: Kysely<Database>,
    /** The engine's bound on rows per statement (its bound on bound parameters). */
    private readonly maxRows: number,
  ) {}

  /** The batch's statements, in order: row counts from `statementRows` only, so the texts stay nine. */
  *statements(records: readonly StoredRequestLogRecord[]): Generator<CompiledQuery> {
    for (let i = 0; i < records.length; ) {
      const rows = statementRows(records.length - i, this.maxRows);
      yield this.query(records.slice(i, i + rows));
      i += rows;
    }
  }

  private query(records: readonly StoredRequestLogRecord[]): CompiledQuery {
    const parameters: unknown[] = [];
    for (const record of records) parameters.push(...requestLogValues(record));
    return CompiledQuery.raw(this.text(records.length), parameters);
  }

  private text(rows: number): string {
    let text = this.texts.get(rows);
    if (text === undefined) {
      const compiled = this.db
        .insertInto('request_log')
        .values(Array.from({ length: rows }, () => PLACEHOLDER_ROW))
        // A journal replay meets the rows its first shipping stored; null keys never conflict.
        .onConflict((oc) => oc.column('journal_key').doNothing())
        .compile();
      // kysely binds every value, in the order of the first row's keys: the order requestLogValues gives them.
      if (compiled.parameters.length !== rows * REQUEST_LOG_COLUMNS.length) throw new Error('request_log INSERT: kysely did not bind one value per column');
      text = compiled.sql;
      // Powers of two only (statements): nine texts at most, kept for good.
      this.texts.set(rows, text);
    }
    return text;
  }
}

/**
 * The most rows one INSERT statement takes. Instructions per row through libsql into the migrated table (callgrind,
 * 10,000 rows in batches of one size): 61 k at 32 rows per statement, 54 k at 128, 51 k at 256, 54 k at 512.
 */
const MAX_STATEMENT_ROWS = 256;

/**
 * Rows for the next statement of a batch with `left` rows still to insert: the largest power of two that fits,
 * and never more than `maxRows` (the engine's bound on bound parameters) or MAX_STATEMENT_ROWS.
 */
export function statementRows(left: number, maxRows: number): number {
  const most = Math.min(maxRows, MAX_STATEMENT_ROWS);
  let rows = 1;
  while (rows * 2 <= left && rows * 2 <= most) rows *= 2;
  return rows;
}

/** Every column of REQUEST_LOG_COLUMNS, in that order; the values are bound per batch, so these are never stored. */
const PLACEHOLDER_ROW = Object.fromEntries(REQUEST_LOG_COLUMNS.map((column) => [column, null])) as unknown as Insertable<RequestLogTable>;

export function requestLogQueries({ db, engine }: StoreContext): RequestLogQueries {
  const insert = new RequestLogInsert(db, rowsPerStatement(engine, REQUEST_LOG_COLUMNS.length));
  return {
    appendRequestLog(records) {
      if (records.length === 0) return Promise.resolve();
      return guarded(async () => {
        await db.transaction().execute(async (trx) => {
          for (const statement of insert.statements(records)) await trx.executeQuery(statement);
        });
      });
    },

    /** `since` is inclusive, `until` exclusive; newest first; `limit` defaults to 100. */
    queryRequestLog(q) {
      return guarded(async () => {
        let query = db.selectFrom('request_log').selectAll();
        if (q.accountId !== undefined) query = query.where('account_id', '=', q.accountId);
        if (q.transport !== undefined) query = query.where('transport', '=', q.transport);
        if (q.outcome !== undefined) query = query.where('outcome', '=', q.outcome);
        if (q.passport !== undefined) query = query.where(passportCondition(q.passport));
        if (q.since !== undefined) query = query.where('time', '>=', q.since.getTime());
        if (q.until !== undefined) query = query.where('time', '<', q.until.getTime());
        const limit = Math.max(0, Math.floor(q.limit ?? DEFAULT_LOG_LIMIT));
        const rows = await query.orderBy('time', 'desc').orderBy('id', 'desc').limit(limit).execute();
        return rows.map(toRequestLogRecord);
      });
    },

    countRequestLog() {
      return guarded(async () => {
        const row = await db.selectFrom('request_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
        return Number(row.n);
      });
    },
  };
}
