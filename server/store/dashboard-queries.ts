import { randomBytes } from 'node:crypto';
import { sql, type Expression, type Kysely, type SqlBool, type ExpressionBuilder, type Selectable } from 'kysely';
import { ShakenError } from '../core/errors.js';
import type { Clock } from '../core/ports.js';
import type { DashboardUsersTable } from './dashboard-schema.js';
import type {
  AuditEntry,
  DashboardSessionRecord,
  DashboardStore,
  DashboardUserPatch,
  DashboardUserRecord,
  FailureCountRow,
  ForwardedCountRow,
  BrandedCountRow,
  IntegrationRow,
  LatencySample,
  LogRow,
  LogRowFilter,
  NewDashboardUser,
  SignedCountRow,
  StatsBucketRow,
  TimeWindow,
} from './dashboard-store.js';
import { carriesDiversion, carriesRcd, passportCondition } from './passport-filter.js';
import { toRequestLogRecord } from './row-mapping.js';
import type { Database } from './schema.js';
import { guarded, isUniqueViolation } from './store-errors.js';

function toUser(r: Selectable<DashboardUsersTable>): DashboardUserRecord {
  return {
    id: r.id,
    username: r.username,
    passwordHash: r.password_hash,
    role: r.role,
    accountId: r.account_id,
    createdAt: new Date(Number(r.created_at)),
    updatedAt: new Date(Number(r.updated_at)),
  };
}

const n = (v: unknown): number => Number(v ?? 0);

type LogEb = ExpressionBuilder<Database, 'request_log'>;

/** The window (and account) conditions every insight query shares. */
function inWindow(eb: LogEb, w: TimeWindow): Expression<SqlBool> {
  const parts = [eb('time', '>=', w.since), eb('time', '<', w.until)];
  if (w.accountId !== undefined) parts.push(eb('account_id', '=', w.accountId));
  return eb.and(parts);
}

/** 1 for an error row, else 0; summed it counts errors on both engines (no boolean aggregates in SQLite). */
const errorFlag = (eb: LogEb) => eb.case().when('outcome', '=', 'error').then(1).else(0).end();

/** The dashboard's queries on the one `Kysely<Database>` the store uses. */
export class KyselyDashboardStore implements DashboardStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  createUser(u: NewDashboardUser): Promise<DashboardUserRecord> {
    const now = this.clock.now();
    const row = {
      id: `usr_${randomBytes(8).toString('hex')}`,
      username: u.username,
      password_hash: u.passwordHash,
      role: u.role,
      account_id: u.accountId,
      created_at: now,
      updated_at: now,
    };
    return guarded(async () => {
      try {
        await this.db.insertInto('dashboard_users').values(row).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw new ShakenError('ERR_REQ_CONFLICT', `user ${u.username} already exists`, { field: 'username' });
        throw err;
      }
      return toUser(row);
    });
  }

  getUser(id: string): Promise<DashboardUserRecord | undefined> {
    return guarded(async () => {
      const row = await this.db.selectFrom('dashboard_users').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toUser(row);
    });
  }

  findUserByUsername(username: string): Promise<DashboardUserRecord | undefined> {
    return guarded(async () => {
      const row = await this.db.selectFrom('dashboard_users').selectAll().where('username', '=', username).executeTakeFirst();
      return row && toUser(row);
    });
  }

  listUsers(): Promise<DashboardUserRecord[]> {
    return guarded(async () => (await this.db.selectFrom('dashboard_users').selectAll().orderBy('username').execute()).map(toUser));
  }

  countUsers(): Promise<number> {
    return guarded(async () => n((await this.db.selectFrom('dashboard_users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n));
  }

  updateUser(id: string, patch: DashboardUserPatch): Promise<DashboardUserRecord> {
    const set = {
      updated_at: this.clock.now(),
      ...(patch.passwordHash !== undefined && { password_hash: patch.passwordHash }),
      ...(patch.role !== undefined && { role: patch.role }),
      ...(patch.accountId !== undefined && { account_id: patch.accountId }),
    };
    return guarded(() =>
      this.db.transaction().execute(async (trx) => {
        const row = await trx.updateTable('dashboard_users').set(set).where('id', '=', id).returningAll().executeTakeFirst();
        if (!row) throw new ShakenError('ERR_REQ_NOT_FOUND', `user ${id} does not exist`, { field: 'id' });
        // A new password or new rights must not leave a session opened under the old ones.
        if (patch.passwordHash !== undefined || patch.role !== undefined || patch.accountId !== undefined) {
          await trx.deleteFrom('dashboard_sessions').where('user_id', '=', id).execute();
        }
        return toUser(row);
      }),
    );
  }

  removeUser(id: string): Promise<DashboardUserRecord> {
    return guarded(() =>
      this.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('dashboard_sessions').where('user_id', '=', id).execute();
        const row = await trx.deleteFrom('dashboard_users').where('id', '=', id).returningAll().executeTakeFirst();
        if (!row) throw new ShakenError('ERR_REQ_NOT_FOUND', `user ${id} does not exist`, { field: 'id' });
        return toUser(row);
      }),
    );
  }

  createSession(s: DashboardSessionRecord): Promise<void> {
    return guarded(async () => {
      await this.db
        .insertInto('dashboard_sessions')
        .values({
          id_hash: s.idHash,
          user_id: s.userId,
          csrf_token: s.csrfToken,
          created_at: s.createdAt.getTime(),
          last_seen_at: s.lastSeenAt.getTime(),
          expires_at: s.expiresAt.getTime(),
        })
        .execute();
    });
  }

  getSession(idHash: string): Promise<DashboardSessionRecord | undefined> {
    return guarded(async () => {
      const r = await this.db.selectFrom('dashboard_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
      return (
        r && {
          idHash: r.id_hash,
          userId: r.user_id,
          csrfToken: r.csrf_token,
          createdAt: new Date(n(r.created_at)),
          lastSeenAt: new Date(n(r.last_seen_at)),
          expiresAt: new Date(n(r.expires_at)),
        }
      );
    });
  }

  touchSession(idHash: string, lastSeenMs: number): Promise<void> {
    return guarded(async () => {
      await this.db.updateTable('dashboard_sessions').set({ last_seen_at: lastSeenMs }).where('id_hash', '=', idHash).execute();
    });
  }

  deleteSession(idHash: string): Promise<void> {
    return guarded(async () => {
      await this.db.deleteFrom('dashboard_sessions').where('id_hash', '=', idHash).execute();
    });
  }

  purgeSessions(nowMs: number, idleMs: number): Promise<number> {
    return guarded(async () => {
      const r = await this.db
        .deleteFrom('dashboard_sessions')
        .where((eb) => eb.or([eb('expires_at', '<=', nowMs), eb('last_seen_at', '<=', nowMs - idleMs)]))
        .executeTakeFirst();
      return n(r.numDeletedRows);
    });
  }

  reserveLoginAttempt(key: string, nowMs: number, windowMs: number): Promise<{ attempts: number; windowStartMs: number }> {
    return guarded(async () => {
      // One statement, so the row lock (PostgreSQL) or the write lock (SQLite) orders concurrent attempts: a
      // count read first and written after the password check would let parallel guesses all see "4".
      // Both SET expressions read the row as it was before this update.
      const expired = sql<SqlBool>`dashboard_login_attempts.window_start <= ${nowMs - windowMs}`;
      const r = await this.db
        .insertInto('dashboard_login_attempts')
        .values({ key, window_start: nowMs, attempts: 1 })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            attempts: sql<number>`case when ${expired} then 1 else dashboard_login_attempts.attempts + 1 end`,
            window_start: sql<number>`case when ${expired} then ${nowMs} else dashboard_login_attempts.window_start end`,
          }),
        )
        .returning(['attempts', 'window_start'])
        .executeTakeFirstOrThrow();
      return { attempts: n(r.attempts), windowStartMs: n(r.window_start) };
    });
  }

  clearLoginAttempts(key: string): Promise<void> {
    return guarded(async () => {
      await this.db.deleteFrom('dashboard_login_attempts').where('key', '=', key).execute();
    });
  }

  purgeLoginAttempts(beforeMs: number): Promise<number> {
    return guarded(async () => n((await this.db.deleteFrom('dashboard_login_attempts').where('window_start', '<', beforeMs).executeTakeFirst()).numDeletedRows));
  }

  appendAudit(e: AuditEntry): Promise<void> {
    return guarded(async () => {
      await this.db
        .insertInto('audit_log')
        .values({ time: e.time.getTime(), user_id: e.userId, username: e.username, action: e.action, target: e.target, account_id: e.accountId, detail: e.detail })
        .execute();
    });
  }

  listAudit(q: { accountId?: string; limit: number }): Promise<AuditEntry[]> {
    return guarded(async () => {
      let query = this.db.selectFrom('audit_log').selectAll();
      if (q.accountId !== undefined) query = query.where('account_id', '=', q.accountId);
      const rows = await query.orderBy('id', 'desc').limit(q.limit).execute();
      return rows.map((r) => ({
        time: new Date(n(r.time)),
        userId: r.user_id,
        username: r.username,
        action: r.action,
        target: r.target,
        accountId: r.account_id,
        detail: r.detail,
      }));
    });
  }

  claimExpiryNotice(credentialId: string, day: string): Promise<boolean> {
    return guarded(async () => {
      const r = await this.db
        .insertInto('expiry_notices')
        .values({ credential_id: credentialId, day })
        .onConflict((oc) => oc.columns(['credential_id', 'day']).doNothing())
        .executeTakeFirst();
      return n(r.numInsertedOrUpdatedRows) === 1;
    });
  }

  logRows(f: LogRowFilter): Promise<LogRow[]> {
    return guarded(async () => {
      let q = this.db.selectFrom('request_log').selectAll();
      if (f.accountId !== undefined) q = q.where('account_id', '=', f.accountId);
      if (f.transport !== undefined) q = q.where('transport', '=', f.transport);
      if (f.outcome !== undefined) q = q.where('outcome', '=', f.outcome);
      // For forwarded calls the partial indexes of migration 009 (with and without the account) find the rows at once.
      if (f.passport !== undefined) q = q.where(passportCondition(f.passport));
      if (f.number !== undefined) {
        // dest is the canonical numbers joined by ','; the caller passes digits only, so LIKE has no wildcards to escape.
        const num = f.number;
        q = q.where((eb) =>
          eb.or([eb('orig', '=', num), eb('dest', '=', num), eb('dest', 'like', `${num},%`), eb('dest', 'like', `%,${num}`), eb('dest', 'like', `%,${num},%`)]),
        );
      }
      if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
      if (f.afterId !== undefined) q = q.where('id', '>', f.afterId);
      const rows = await q
        .orderBy('id', f.afterId !== undefined ? 'asc' : 'desc')
        .limit(f.limit)
        .execute();
      return rows.map((r) => ({ id: n(r.id), ...toRequestLogRecord(r) }));
    });
  }

  lastLogId(): Promise<number> {
    return guarded(async () => n((await this.db.selectFrom('request_log').select((eb) => eb.fn.max('id').as('id')).executeTakeFirstOrThrow()).id));
  }

  countLogRows(w: TimeWindow): Promise<number> {
    return guarded(async () =>
      n((await this.db.selectFrom('request_log').select((eb) => eb.fn.countAll().as('n')).where((eb) => inWindow(eb, w)).executeTakeFirstOrThrow()).n),
    );
  }

  statsBuckets(w: TimeWindow, bucketMs: number): Promise<StatsBucketRow[]> {
    // Literals, not parameters: PostgreSQL only matches a GROUP BY expression to the select list when both are
    // textually equal, and two parameter placeholders never are. Both are integers computed here.
    const bucket = sql<number>`cast((time - ${sql.lit(Math.floor(w.since))}) / ${sql.lit(Math.max(1, Math.floor(bucketMs)))} as integer)`;
    return guarded(async () => {
      const rows = await this.db
        .selectFrom('request_log')
        .select((eb) => {
          const signedAt = (a: 'A' | 'B' | 'C') =>
            eb.fn.sum<number>(eb.case().when(eb.and([eb('kind', '=', 'sign'), eb('outcome', '=', 'ok'), eb('attest_applied', '=', a)])).then(1).else(0).end());
          return [
            bucket.as('bucket'),
            eb.fn.countAll<number>().as('count'),
            eb.fn.sum<number>(errorFlag(eb)).as('errors'),
            signedAt('A').as('a'),
            signedAt('B').as('b'),
            signedAt('C').as('c'),
            // About 5 % more time for the 7-day window over 1M rows (measured), well inside its spread.
            eb.fn.sum<number>(eb.case().when(carriesDiversion()).then(1).else(0).end()).as('forwarded'),
            eb.fn.sum<number>(eb.case().when(carriesRcd()).then(1).else(0).end()).as('branded'),
          ];
        })
        .where((eb) => inWindow(eb, w))
        .groupBy(bucket)
        .orderBy(bucket)
        .execute();
      return rows.map((r) => ({ bucket: n(r.bucket), count: n(r.count), errors: n(r.errors), A: n(r.a), B: n(r.b), C: n(r.c), forwarded: n(r.forwarded), branded: n(r.branded) }));
    });
  }

  latencySamples(w: TimeWindow, every: number): Promise<LatencySample[]> {
    const step = Math.max(1, Math.floor(every));
    return guarded(async () => {
      let q = this.db.selectFrom('request_log').select(['time', 'latency_us', 'api_key_id', 'transport']).where((eb) => inWindow(eb, w));
      // Ids are handed out in insertion order, so every step-th id is an even sample over the window.
      if (step > 1) q = q.where(sql<SqlBool>`id % ${sql.lit(step)} = 0`);
      const rows = await q.execute();
      return rows.map((r) => ({ time: n(r.time), latencyUs: n(r.latency_us), apiKeyId: r.api_key_id, transport: r.transport }));
    });
  }

  integrations(w: TimeWindow): Promise<IntegrationRow[]> {
    return guarded(async () => {
      const rows = await this.db
        .selectFrom('request_log')
        .select((eb) => ['api_key_id', 'transport', eb.fn.countAll<number>().as('count'), eb.fn.sum<number>(errorFlag(eb)).as('errors'), eb.fn.max('time').as('last_seen')])
        .where((eb) => inWindow(eb, w))
        .groupBy(['api_key_id', 'transport'])
        .orderBy('api_key_id')
        .orderBy('transport')
        .execute();
      return rows.map((r) => ({ apiKeyId: r.api_key_id, transport: r.transport, count: n(r.count), errors: n(r.errors), lastSeen: n(r.last_seen) }));
    });
  }

  signedByAccount(w: TimeWindow): Promise<SignedCountRow[]> {
    return guarded(async () => {
      const rows = await this.db
        .selectFrom('request_log')
        .select((eb) => ['account_id', 'attest_applied', eb.fn.countAll<number>().as('count')])
        .where((eb) => eb.and([inWindow(eb, w), eb('kind', '=', 'sign'), eb('outcome', '=', 'ok')]))
        .groupBy(['account_id', 'attest_applied'])
        .orderBy('account_id')
        .orderBy('attest_applied')
        .execute();
      return rows.map((r) => ({ accountId: r.account_id, attest: r.attest_applied, count: n(r.count) }));
    });
  }

  forwardedByAccount(w: TimeWindow): Promise<ForwardedCountRow[]> {
    // A query of its own rather than a column of signedByAccount: grouping every successful row by whether it
    // carries a div made the report's scan about twice as long (1M rows, embedded, measured); this one groups
    // only the forwarded rows into a handful of groups.
    return guarded(async () => {
      const rows = await this.db
        .selectFrom('request_log')
        .select((eb) => ['account_id', 'kind', eb.fn.countAll<number>().as('count')])
        .where((eb) => eb.and([inWindow(eb, w), eb('outcome', '=', 'ok'), carriesDiversion()]))
        .groupBy(['account_id', 'kind'])
        .orderBy('account_id')
        .orderBy('kind')
        .execute();
      return rows.map((r) => ({ accountId: r.account_id, kind: r.kind, count: n(r.count) }));
    });
  }

  brandedByAccount(w: TimeWindow): Promise<BrandedCountRow[]> {
    // Like forwardedByAccount, only the branded rows (migration 013's condition) are grouped. A signature counts
    // when it succeeded (a refused one used no profile); a verification whatever its outcome, since an RCD
    // integrity failure fails the call (RFC 9795 §4).
    return guarded(async () => {
      const rows = await this.db
        .selectFrom('request_log')
        .select((eb) => ['account_id', 'kind', 'rcd_profile', 'rcd_verified', eb.fn.countAll<number>().as('count')])
        .where((eb) => eb.and([inWindow(eb, w), carriesRcd(), eb.or([eb('kind', '=', 'verify'), eb('outcome', '=', 'ok')])]))
        .groupBy(['account_id', 'kind', 'rcd_profile', 'rcd_verified'])
        .orderBy('account_id')
        .orderBy('kind')
        .orderBy('rcd_profile')
        .orderBy('rcd_verified')
        .execute();
      return rows.map((r) => ({
        accountId: r.account_id,
        kind: r.kind,
        profile: r.rcd_profile,
        verified: r.rcd_verified === null ? null : n(r.rcd_verified) === 1,
        count: n(r.count),
      }));
    });
  }

  failuresByReason(w: TimeWindow): Promise<FailureCountRow[]> {
    return guarded(async () => {
      const rows = await this.db
        .selectFrom('request_log')
        .select((eb) => ['error_code', eb.fn.countAll<number>().as('count')])
        .where((eb) => eb.and([inWindow(eb, w), eb('kind', '=', 'sign'), eb('outcome', '=', 'error')]))
        .groupBy('error_code')
        .orderBy('error_code')
        .execute();
      return rows.map((r) => ({ errorCode: r.error_code, count: n(r.count) }));
    });
  }

  purgeRequestLog(beforeMs: number, batch: number): Promise<number> {
    return guarded(async () => {
      // A bounded delete by id: one long transaction would hold SQLite's write lock against the log writer.
      const r = await this.db
        .deleteFrom('request_log')
        .where('id', 'in', (eb) => eb.selectFrom('request_log').select('id').where('time', '<', beforeMs).orderBy('id').limit(batch))
        .executeTakeFirst();
      return n(r.numDeletedRows);
    });
  }
}
