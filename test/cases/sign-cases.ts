import type { status } from '@grpc/grpc-js';
import type { ErrorCode } from '../../server/core/errors.js';

/**
 * One table of sign requests with the core's outcome and each transport's answer. Core tests and every
 * transport's tests run the same rows: that is what shows the transports share one core.
 * Rows run for an account whose default is B and maximum is B.
 */
export interface SignCase {
  title: string;
  body: unknown;
  /** Transport-level attestation override (HTTP X-Attestation, gRPC x-attestation metadata). */
  headerAttest?: string;
  outcome: { ok: true; attest: 'A' | 'B' | 'C'; downgraded: boolean } | { ok: false; code: ErrorCode; field?: string };
  http: number;
  /** gRPC status name; null when the proto's types cannot express the body at all (no client can send it). */
  grpc: keyof typeof status | null;
  /**
   * The SIP redirect server's answer to the case sent as an INVITE (`signCaseInvite` in ./sip-invite.ts), under
   * `sip.onSignFailure=reject`: 302 with Identity, or the error table's status with that cause in its Reason
   * (under `redirect` the same refusal is a 302 without Identity carrying the same Reason). `na` says why an
   * INVITE cannot carry the case.
   */
  sip: SipAnswer | { na: string };
}

export type SipAnswer = { status: 302 } | { status: number; cause: number };

const SIGNED = { status: 302 } as const;
const BAD_REQUEST = { status: 400, cause: 400 };
const ONE_CALLED_PARTY = { na: 'an INVITE has one called party (To, else the Request-URI), not a list' };

const orig = { tn: '+1 404 526 6060' };
const dest = { tn: ['18001234567'] };
/** `n` distinct destination numbers and SIP URIs, for the limit on dest (100 entries, tn and uri together). */
const tns = (n: number) => Array.from({ length: n }, (_, i) => `1800555${String(i).padStart(4, '0')}`);
const uris = (n: number) => Array.from({ length: n }, (_, i) => `sip:+1900555${String(i).padStart(4, '0')}@example.com`);

export const SIGN_CASES: SignCase[] = [
  { title: 'signs with the account default when no attestation is asked for', body: { orig, dest }, outcome: { ok: true, attest: 'B', downgraded: false }, http: 200, grpc: 'OK', sip: SIGNED },
  { title: 'signs C when C is asked for', body: { orig, dest, attest: 'C' }, outcome: { ok: true, attest: 'C', downgraded: false }, http: 200, grpc: 'OK', sip: SIGNED },
  { title: 'caps requested A to the account maximum B and reports the downgrade', body: { orig, dest, attest: 'A' }, outcome: { ok: true, attest: 'B', downgraded: true }, http: 200, grpc: 'OK', sip: SIGNED },
  { title: 'lets the header override beat the body', body: { orig, dest, attest: 'B' }, headerAttest: 'C', outcome: { ok: true, attest: 'C', downgraded: false }, http: 200, grpc: 'OK', sip: SIGNED },
  { title: 'caps a header override too', body: { orig, dest, attest: 'C' }, headerAttest: 'A', outcome: { ok: true, attest: 'B', downgraded: true }, http: 200, grpc: 'OK', sip: SIGNED },
  { title: 'refuses a header override that is not A, B or C', body: { orig, dest }, headerAttest: 'D', outcome: { ok: false, code: 'ERR_ATTEST_INVALID', field: 'X-Attestation' }, http: 400, grpc: 'INVALID_ARGUMENT', sip: BAD_REQUEST },
  { title: 'refuses attest that is not A, B or C', body: { orig, dest, attest: 'X' }, outcome: { ok: false, code: 'ERR_ATTEST_INVALID', field: 'attest' }, http: 400, grpc: 'INVALID_ARGUMENT', sip: BAD_REQUEST },
  { title: 'refuses a missing orig', body: { dest }, outcome: { ok: false, code: 'ERR_REQ_FIELD_MISSING', field: 'orig' }, http: 400, grpc: 'INVALID_ARGUMENT', sip: { na: 'an INVITE always has a From (RFC 3261 §8.1.1.3): a call has a calling party' } },
  { title: 'refuses a missing dest', body: { orig }, outcome: { ok: false, code: 'ERR_REQ_FIELD_MISSING', field: 'dest' }, http: 400, grpc: 'INVALID_ARGUMENT', sip: { na: 'an INVITE always has a To and a Request-URI (RFC 3261 §8.1.1): a call has a called party' } },
  { title: 'refuses an empty dest list', body: { orig, dest: { tn: [] } }, outcome: { ok: false, code: 'ERR_DEST_EMPTY', field: 'dest' }, http: 400, grpc: 'INVALID_ARGUMENT', sip: { na: 'an INVITE always has a To and a Request-URI (RFC 3261 §8.1.1): a call has a called party' } },
  { title: 'refuses an empty orig number', body: { orig: { tn: '' }, dest }, outcome: { ok: false, code: 'ERR_TN_INVALID', field: 'orig.tn' }, http: 400, grpc: 'INVALID_ARGUMENT', sip: { na: 'an empty user part (sip:@host) is no number: the call reads it as a URI' } },
  { title: 'refuses a letter in a destination number and names its position', body: { orig, dest: { tn: ['1800', '1800FLOWERS'] } }, outcome: { ok: false, code: 'ERR_TN_INVALID', field: 'dest.tn[1]' }, http: 400, grpc: 'INVALID_ARGUMENT', sip: ONE_CALLED_PARTY },
  { title: 'refuses orig with both tn and uri', body: { orig: { tn: '1', uri: 'sip:a@b' }, dest }, outcome: { ok: false, code: 'ERR_REQ_FIELD_INVALID', field: 'orig' }, http: 400, grpc: 'INVALID_ARGUMENT', sip: { na: 'a From or P-Asserted-Identity header holds one address' } },
  { title: 'refuses orig.tn given as an array', body: { orig: { tn: ['14045266060'] }, dest }, outcome: { ok: false, code: 'ERR_TN_INVALID', field: 'orig.tn' }, http: 400, grpc: null, sip: { na: 'a JSON shape: a header holds one address' } },
  { title: 'refuses an origid that is not a UUID', body: { orig, dest, origid: 'call-1' }, outcome: { ok: false, code: 'ERR_REQ_ORIGID_INVALID', field: 'origid' }, http: 400, grpc: 'INVALID_ARGUMENT', sip: { na: 'no SIP header carries origid: the redirect server makes one per call' } },
  { title: 'refuses iat given as a string', body: { orig, dest, iat: '1700000000' }, outcome: { ok: false, code: 'ERR_REQ_IAT_INVALID', field: 'iat' }, http: 400, grpc: null, sip: BAD_REQUEST },
  { title: 'refuses iat in milliseconds', body: { orig, dest, iat: 1_700_000_000_000 }, outcome: { ok: false, code: 'ERR_REQ_IAT_INVALID', field: 'iat' }, http: 400, grpc: 'INVALID_ARGUMENT', sip: { na: 'a Date header holds a date: a time in milliseconds cannot be written into one' } },
  { title: 'refuses a uri with a space, which would break the SIP header', body: { orig: { uri: 'sip:a b@example.com' }, dest }, outcome: { ok: false, code: 'ERR_URI_INVALID', field: 'orig.uri' }, http: 400, grpc: 'INVALID_ARGUMENT', sip: { status: 416, cause: 416 } },
  { title: 'signs 100 destinations, numbers and URIs together', body: { orig, dest: { tn: tns(60), uri: uris(40) } }, outcome: { ok: true, attest: 'B', downgraded: false }, http: 200, grpc: 'OK', sip: ONE_CALLED_PARTY },
  { title: 'refuses 101 destination numbers, naming dest', body: { orig, dest: { tn: tns(101) } }, outcome: { ok: false, code: 'ERR_REQ_FIELD_INVALID', field: 'dest' }, http: 400, grpc: 'INVALID_ARGUMENT', sip: ONE_CALLED_PARTY },
  { title: 'refuses 101 destinations counting numbers and URIs together (60 + 41)', body: { orig, dest: { tn: tns(60), uri: uris(41) } }, outcome: { ok: false, code: 'ERR_REQ_FIELD_INVALID', field: 'dest' }, http: 400, grpc: 'INVALID_ARGUMENT', sip: ONE_CALLED_PARTY },
  { title: 'refuses a JSON array body', body: [1, 2], outcome: { ok: false, code: 'ERR_REQ_MALFORMED' }, http: 400, grpc: null, sip: { na: 'a JSON body shape: an INVITE is headers' } },
];
