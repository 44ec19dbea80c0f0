import { ShakenError } from './errors.js';

/**
 * How an SBC that follows our 3xx wants it written (issue 15, "SBC dialects"). Every quirk is off by default,
 * and with all of them off the answer is exactly the plain one. It belongs to the SIP source the SBC sends
 * from: the quirk is the SBC's, not the customer's (docs/sip-redirect-server.md#sbc-dialects).
 */
export interface SbcDialect {
  /**
   * Every Identity of the answer is also carried inside each Contact as a URI header (RFC 3261 §19.1.1
   * `?Identity=…&Identity=…`, escaped per §19.1.2), for an SBC that copies only the Contact of a 3xx into the
   * INVITE it sends (RFC 3261 §19.1.5 turns URI headers into header fields of the request formed from it).
   */
  identityInContact: boolean;
  /** `300 Multiple Choices` (RFC 3261 §21.3.1) instead of `302 Moved Temporarily`. */
  multipleChoices: boolean;
  /** Verify mode: `P-Attestation-Indicator` and `P-Origination-ID` beside the verstat, when the PASSporT verified. */
  attestationHeaders: boolean;
}

/** The plain dialect: today's answers, byte for byte. */
export const PLAIN_DIALECT: SbcDialect = Object.freeze({ identityInContact: false, multipleChoices: false, attestationHeaders: false });

const KEYS = ['identityInContact', 'multipleChoices', 'attestationHeaders'] as const satisfies readonly (keyof SbcDialect)[];

/** True when the dialect changes nothing. */
export function isPlainDialect(d: SbcDialect | undefined): boolean {
  return d === undefined || KEYS.every((k) => !d[k]);
}

/**
 * A dialect as a request gives it: an object of booleans, every member optional (absent = off). Absent or null
 * as a whole is the plain dialect. Unknown members are refused, so a misspelt quirk is not silently ignored.
 */
export function parseSbcDialect(value: unknown): SbcDialect {
  if (value === undefined || value === null) return PLAIN_DIALECT;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', `dialect must be an object of booleans (${KEYS.join(', ')})`, { field: 'dialect' });
  }
  const input = value as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new ShakenError('ERR_REQ_FIELD_INVALID', `dialect has no member "${key.slice(0, 40)}"; it has ${KEYS.join(', ')}`, { field: 'dialect' });
    }
  }
  const out = { ...PLAIN_DIALECT };
  for (const key of KEYS) {
    const v = input[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'boolean') throw new ShakenError('ERR_REQ_FIELD_INVALID', `dialect.${key} must be true or false`, { field: `dialect.${key}` });
    out[key] = v;
  }
  return out;
}
