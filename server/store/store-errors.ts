import { ShakenError, isShakenError } from '../core/errors.js';

/*
 * The one place where driver errors (pg, libsql, kysely) become our codes. Only "the store cannot serve us"
 * is translated; constraint and SQL errors stay as they are (they are bugs, or handled where they can be
 * expected, like a duplicate account name) and surface as internal errors.
 */

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * PostgreSQL SQLSTATEs (Appendix A): class 08 connection exception, 53 insufficient resources, 57P operator
 * intervention (shutdown, cannot connect now), 28 authorization, 3D000 unknown database, 57014 a statement
 * cancelled (`statement_timeout`: the server is too slow to serve us, retry later).
 */
function isPgUnavailable(code: string): boolean {
  return /^(08|53|57P|28)/.test(code) || code === '3D000' || code === '57014';
}

/** SQLite result codes (extended ones carry the primary as prefix, e.g. SQLITE_BUSY_SNAPSHOT). */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|READONLY|NOTADB|CORRUPT|PERM|AUTH)/;

/** Messages of errors that carry no code: a pool or driver used after close, a dropped connection. */
const UNAVAILABLE_MESSAGES = [
  /^Cannot use a pool after calling end on the pool/,
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Query read timeout/,
  /^Client has encountered a connection error and is not queryable/,
  /^Client was closed and is not queryable/,
  /^driver has already been destroyed/,
  /^The database connection is not open/,
];

function isUnavailable(err: unknown, depth = 0): boolean {
  if (depth > 4 || typeof err !== 'object' || err === null) return false;
  const { code, message, cause, errors } = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || SQLITE_UNAVAILABLE.test(code) || isPgUnavailable(code)) return true;
  }
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((re) => re.test(message))) return true;
  // Node's happy-eyeballs connect reports an AggregateError holding one error per address tried.
  if (Array.isArray(errors) && errors.some((e) => isUnavailable(e, depth + 1))) return true;
  return isUnavailable(cause, depth + 1);
}

/** Returns `ERR_STORE_UNAVAILABLE` for connection-level failures, anything else unchanged. */
export function toStoreError(err: unknown): unknown {
  if (isShakenError(err) || !isUnavailable(err)) return err;
  return new ShakenError('ERR_STORE_UNAVAILABLE', 'store unavailable', { cause: err });
}

/** Runs one store operation and translates its failure once. */
export async function guarded<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw toStoreError(err);
  }
}

/** A UNIQUE (or primary key) constraint rejected the write: PostgreSQL 23505, SQLite's extended codes. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** `guarded` for a stream: each step's driver error is translated the same way. */
export async function* guardedIterable<T>(source: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* source;
  } catch (err) {
    throw toStoreError(err);
  }
}
