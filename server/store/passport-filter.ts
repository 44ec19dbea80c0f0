import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { PassportKind } from '../core/div/passport-set.js';

/**
 * The kinds a request-log record's `passports` list may name: the core's PassportKind
 * (server/core/div/passport-set.ts) and `div-o` (RFC 8946 §5), which the div signing writes for a diversion
 * that nests the PASSporT it diverts.
 */
export const PASSPORT_KINDS = ['shaken', 'div', 'div-o', 'rcd', 'other'] as const;
export type LoggedPassportKind = (typeof PASSPORT_KINDS)[number];
// Fails to compile when the core learns a kind this list does not name.
const everyCoreKind: readonly LoggedPassportKind[] = [] as PassportKind[];
void everyCoreKind;

/** What the request log can be filtered by: one kind, or `forwarded`, any diversion PASSporT (div or div-o). */
export type PassportFilter = LoggedPassportKind | 'forwarded';
export const PASSPORT_FILTERS: readonly PassportFilter[] = ['forwarded', ...PASSPORT_KINDS];

export function isPassportFilter(v: unknown): v is PassportFilter {
  return typeof v === 'string' && (PASSPORT_FILTERS as readonly string[]).includes(v);
}

/**
 * A forwarded call: its list names a `div` or a `div-o` (RFC 8946 §4, §5); no other kind has `div` in its
 * name. This is word for word the condition of the partial indexes of migration 009, written as a literal:
 * neither SQLite nor PostgreSQL matches a partial index to a bound parameter.
 */
export function carriesDiversion(): RawBuilder<SqlBool> {
  return sql<SqlBool>`passports like '%div%'`;
}

/** The list names `kind` as a whole: wrapped in commas, one LIKE matches it wherever it stands. */
function namesKind(kind: LoggedPassportKind): RawBuilder<SqlBool> {
  // `kind` is one of PASSPORT_KINDS, so the literal holds no quote and no wildcard.
  return sql<SqlBool>`(',' || passports || ',') like ${sql.lit(`%,${kind},%`)}`;
}

/**
 * True for a request-log row that matches the filter, on both engines; a null list matches nothing. For a
 * diversion kind the indexed condition comes first, so the partial indexes find the rows, and the exact one
 * keeps `div` from matching `div-o`.
 */
export function passportCondition(filter: PassportFilter): RawBuilder<SqlBool> {
  if (filter === 'forwarded') return carriesDiversion();
  if (filter === 'div' || filter === 'div-o') return sql<SqlBool>`${carriesDiversion()} and ${namesKind(filter)}`;
  return namesKind(filter);
}
