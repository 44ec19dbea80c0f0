import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { PASSPORT_KINDS, type PassportKind } from '../core/verify/verify-result.js';

/**
 * What the request log can be filtered by: one kind the core names, `forwarded`, any diversion PASSporT (div or
 * div-o), or `branded`, a call with Rich Call Data (RFC 9795) signed under a profile or verified.
 */
export type PassportFilter = PassportKind | 'forwarded' | 'branded';
export const PASSPORT_FILTERS: readonly PassportFilter[] = ['forwarded', 'branded', ...PASSPORT_KINDS];

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

/**
 * A branded call (RFC 9795): signed under an RCD profile, or verified with RCD whatever came of it. Word for
 * word the condition of the partial indexes of migration 013. A call signed with RCD before migration 013 has
 * neither column and is not counted (nothing was recorded about its profile).
 */
export function carriesRcd(): RawBuilder<SqlBool> {
  return sql<SqlBool>`(rcd_profile is not null or rcd_verified is not null)`;
}

/** The list names `kind` as a whole: wrapped in commas, one LIKE matches it wherever it stands. */
function namesKind(kind: PassportKind): RawBuilder<SqlBool> {
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
  if (filter === 'branded') return carriesRcd();
  if (filter === 'div' || filter === 'div-o') return sql<SqlBool>`${carriesDiversion()} and ${namesKind(filter)}`;
  return namesKind(filter);
}
