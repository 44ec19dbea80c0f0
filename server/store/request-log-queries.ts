import { CompiledQuery, type Kysely } from 'kysely';
import { passportCondition } from './passport-filter.js';
import { REQUEST_LOG_COLUMNS, requestLogValues, toRequestLogRecord, toRequestLogRow } from './row-mapping.js';
import type { Database } from './schema.js';
import { rowsPerStatement, type StoreContext } from './store-context.js';
import { guarded } from './store-errors.js';
import type { Store, StoredRequestLogRecord } from './store.js';

export type RequestLogQueries = Pick<Store, 'appendRequestLog' | 'queryRequestLog' | 'countRequestLog'>;

const DEFAULT_LOG_LIMIT = 100;

/**
 * The request log's multi-row INSERT, compiled by kysely once per row count and then run with the rows' values
 * bound in the compiled column order. Why: the request-log thread stores every request, and building the
 * statement per batch (kysely parsing 500 row objects into value nodes, then compiling them to text) cost it
 * about as much as SQLite's insert (issue 17). The text depends only on the row count, and a batch's count is
 * almost always `maxBatch` or a short tail.
 */
class RequestLogInsert {
  private readonly texts = new Map<number, string>();

  constructor(private readonly db: Kysely<Database>) {}

  query(records: readonly StoredRequestLogRecord[]): CompiledQuery {
    const parameters: unknown[] = [];
    for (const record of records) parameters.push(...requestLogValues(record));
    return CompiledQuery.raw(this.text(records.length), parameters);
  }

  private text(rows: number): string {
    let text = this.texts.get(rows);
    if (text === undefined) {
      // toRequestLogRow keeps REQUEST_LOG_COLUMNS' order, which is the order kysely binds the values in.
      const compiled = this.db
        .insertInto('request_log')
        .values(Array.from({ length: rows }, () => toRequestLogRow(SAMPLE)))
        // A journal replay meets the rows its first shipping stored; null keys never conflict.
        .onConflict((oc) => oc.column('journal_key').doNothing())
        .compile();
      text = compiled.sql;
      // Row counts are few (the batch size, tails); the bound only stops an unusual caller from growing it freely.
      if (this.texts.size >= 32) this.texts.clear();
      this.texts.set(rows, text);
    }
    return text;
  }
}

/** Any record: only its keys matter when compiling the statement. */
const SAMPLE: StoredRequestLogRecord = {
  kind: 'sign',
  time: new Date(0),
  accountId: null,
  apiKeyId: null,
  transport: 'http',
  orig: null,
  dest: null,
  attestRequested: null,
  attestApplied: null,
  attestReason: null,
  outcome: 'ok',
  errorCode: null,
  latencyUs: 0,
  origid: null,
  passports: null,
  rcdProfile: null,
  rcdVerified: null,
  journalKey: '',
};

export function requestLogQueries({ db, engine }: StoreContext): RequestLogQueries {
  const chunkRows = rowsPerStatement(engine, REQUEST_LOG_COLUMNS.length);
  const insert = new RequestLogInsert(db);
  return {
    appendRequestLog(records) {
      if (records.length === 0) return Promise.resolve();
      return guarded(async () => {
        await db.transaction().execute(async (trx) => {
          for (let i = 0; i < records.length; i += chunkRows) await trx.executeQuery(insert.query(records.slice(i, i + chunkRows)));
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
