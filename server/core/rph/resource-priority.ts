import { ShakenError } from '../errors.js';
import { isRValue } from './rph-request.js';

/** More r-values than any call needs; a longer header is refused rather than judged. */
const MAX_VALUES = 20;

/**
 * A call's Resource-Priority header (RFC 4412 §3.1: `Resource-Priority: ets.0, wps.0`, possibly repeated) as the
 * lower-case r-values it names, without repeats, in order. `raw` is one header value or several (each a comma list).
 * Input that is not a Resource-Priority value is the caller's error, named by `field`.
 */
export function parseResourcePriority(raw: unknown, field: string): string[] {
  const fields = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(fields) || !fields.every((f) => typeof f === 'string')) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', `${field} must be the Resource-Priority header value(s), e.g. "ets.0, wps.0"`, { field });
  }
  const values: string[] = [];
  for (const f of fields as string[]) {
    for (const part of f.split(',')) {
      const v = part.trim().toLowerCase();
      if (v === '') continue;
      if (!isRValue(v)) throw new ShakenError('ERR_REQ_FIELD_INVALID', `${field} holds something that is not a Resource-Priority r-value namespace.priority (RFC 4412 §3.1)`, { field });
      if (!values.includes(v)) values.push(v);
    }
  }
  if (values.length > MAX_VALUES) throw new ShakenError('ERR_REQ_FIELD_INVALID', `${field} names ${values.length} values; at most ${MAX_VALUES}`, { field });
  return values;
}
