import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { PassportKind } from '../core/div/passport-set.js';

/** The kinds a request-log record's `passports` list may name (server/core/div/passport-set.ts). */
export const PASSPORT_KINDS: readonly PassportKind[] = ['shaken', 'div', 'rcd', 'other'];

/**
 * True for a request-log row whose PASSporT list (`shaken,div,div`) names `kind`, on both engines. The list is
 * wrapped in commas so that one LIKE matches a whole kind wherever it stands; a null list matches nothing.
 * The pattern is a literal, not a parameter: for `div` this is word for word the condition of the partial
 * indexes of migration 009, and neither SQLite nor PostgreSQL matches a partial index to a bound parameter.
 * `kind` comes from PASSPORT_KINDS (checked by the caller), so the literal holds no quote.
 */
export function carriesPassport(kind: PassportKind): RawBuilder<SqlBool> {
  return sql<SqlBool>`(',' || passports || ',') like ${sql.lit(`%,${kind},%`)}`;
}

export function isPassportKind(v: unknown): v is PassportKind {
  return typeof v === 'string' && (PASSPORT_KINDS as readonly string[]).includes(v);
}
