import { passportCondition } from './passport-filter.js';
import { REQUEST_LOG_COLUMNS, toRequestLogRecord, toRequestLogRow } from './row-mapping.js';
import { rowsPerStatement, type StoreContext } from './store-context.js';
import { guarded } from './store-errors.js';
import type { Store } from './store.js';

export type RequestLogQueries = Pick<Store, 'appendRequestLog' | 'queryRequestLog' | 'countRequestLog'>;

const DEFAULT_LOG_LIMIT = 100;

export function requestLogQueries({ db, engine }: StoreContext): RequestLogQueries {
  const chunkRows = rowsPerStatement(engine, REQUEST_LOG_COLUMNS);
  return {
    appendRequestLog(records) {
      if (records.length === 0) return Promise.resolve();
      return guarded(async () => {
        const rows = records.map(toRequestLogRow);
        await db.transaction().execute(async (trx) => {
          for (let i = 0; i < rows.length; i += chunkRows) {
            await trx
              .insertInto('request_log')
              .values(rows.slice(i, i + chunkRows))
              // A journal replay meets the rows its first shipping stored; null keys never conflict.
              .onConflict((oc) => oc.column('journal_key').doNothing())
              .execute();
          }
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
