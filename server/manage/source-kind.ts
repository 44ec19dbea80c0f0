import { ShakenError } from '../core/errors.js';
import type { SourceKind } from '../core/types.js';

/** A `sourceKind` as callers give it (API keys and SIP sources alike): absent means customer. */
export function parseSourceKind(value: unknown): SourceKind {
  if (value === undefined || value === null || value === '') return 'customer';
  if (value === 'customer' || value === 'gateway') return value;
  throw new ShakenError('ERR_REQ_FIELD_INVALID', 'sourceKind must be customer or gateway', { field: 'sourceKind' });
}
