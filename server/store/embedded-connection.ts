import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** The part of a libsql `Database` this module uses. */
export interface EmbeddedHandle extends SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  close(): void;
}

/** Write statements kept prepared per connection (see `writes`). */
const MAX_KEPT_WRITES = 64;

/** Lock errors after which a handle may keep a stale read snapshot (SQLITE_BUSY, _SNAPSHOT, _RECOVERY; LOCKED). */
const LOCK_ERROR = /^SQLITE_(BUSY|LOCKED)/;

/**
 * The embedded store's SQLite connection as kysely sees it, replaced by a fresh one after a lock error.
 *
 * Why: after another process had held the write lock past busy_timeout, the node's one connection could go on
 * refusing every write (SQLITE_BUSY_SNAPSHOT: its read snapshot older than the file) long after the lock was
 * gone, until a restart (test/http/store-outage-embedded.test.ts, 3 runs in 4). A failed statement or COMMIT
 * can leave a transaction or a half-read statement holding that snapshot, and libsql offers no way to reset
 * them. A fresh connection holds none. Inside a transaction the swap waits for its end (COMMIT or ROLLBACK),
 * which must run on the connection that began it.
 */
export class ReopeningConnection implements SqliteDatabase {
  private handle: EmbeddedHandle;
  private inTransaction = false;
  private stale = false;
  /**
   * Write statements prepared on `handle`, by their SQL. kysely prepares every query it runs, and compiling a
   * 200-row INSERT of the request log was a fifth of the log thread's time (issue 17); the shipper's batches repeat
   * the same text. Readers are not kept: `iterate` leaves a cursor open on its statement, which a second user of
   * the same text would reset. A statement belongs to its handle, so a reopen drops them all.
   */
  private readonly writes = new Map<string, SqliteStatement>();

  constructor(private readonly open: () => EmbeddedHandle) {
    this.handle = open();
  }

  prepare(sql: string): SqliteStatement {
    const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase();
    const stmt = this.prepared(sql);
    const execute = <T>(run: () => T): T =>
      this.guard(() => {
        const result = run();
        // A failed COMMIT leaves the transaction open (SQLite retries it, or the caller rolls back): only a
        // commit that went through, or any rollback, ends it.
        if (verb === 'begin') this.inTransaction = true;
        else if (verb === 'commit' || verb === 'end') this.inTransaction = false;
        return result;
      }, verb === 'rollback');
    return {
      get reader() {
        return stmt.reader;
      },
      all: (parameters) => execute(() => stmt.all(parameters)),
      run: (parameters) => execute(() => stmt.run(parameters)),
      iterate: (parameters) => execute(() => stmt.iterate(parameters)),
    };
  }

  /** Runs `work`; a lock error marks the handle stale, and a stale handle is replaced once no transaction is open. */
  private guard<T>(work: () => T, endsTransaction = false): T {
    try {
      return work();
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && LOCK_ERROR.test(code)) this.stale = true;
      throw err;
    } finally {
      if (endsTransaction) this.inTransaction = false;
      if (this.stale && !this.inTransaction) this.reopen();
    }
  }

  close(): void {
    this.writes.clear();
    this.handle.close();
  }

  private prepared(sql: string): SqliteStatement {
    const kept = this.writes.get(sql);
    if (kept) return kept;
    const stmt = this.guard(() => this.handle.prepare(sql));
    if (!stmt.reader) {
      // The texts are few (one per query shape and batch size); the bound stops a caller that builds them freely.
      if (this.writes.size >= MAX_KEPT_WRITES) this.writes.clear();
      this.writes.set(sql, stmt);
    }
    return stmt;
  }

  private reopen(): void {
    this.stale = false;
    let fresh: EmbeddedHandle;
    try {
      fresh = this.open();
    } catch {
      // The file cannot be opened right now: keep the old handle, and try again after the next lock error.
      return;
    }
    const old = this.handle;
    this.handle = fresh;
    this.writes.clear();
    try {
      old.close();
    } catch {
      // Closing a handle with an open cursor may fail; the cursor's statement goes with the garbage collector.
    }
  }
}
