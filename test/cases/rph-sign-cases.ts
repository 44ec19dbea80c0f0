import { verify as cryptoVerify, X509Certificate } from 'node:crypto';
import type { status } from '@grpc/grpc-js';
import { compactVerify, importX509 } from 'jose';
import { expect } from 'vitest';
import type { ErrorCode } from '../../server/core/errors.js';

/**
 * One table of rph sign requests (RFC 8443) with the core's outcome and each transport's answer, run through
 * HTTP POST /api/stir-shaken/rph (test/http/sign-rph.test.ts) and gRPC Signer/SignRph (test/grpc/sign-rph.test.ts):
 * the same rows show both transports share the core's one rph path (core: test/core/rph-sign.test.ts).
 */

/** Who asks: an account granted ets and wps (default), one granted ets only, one granted nothing. */
export type RphCaller = 'ets-wps' | 'ets' | 'none';

export const RPH_ORIG = '14045266060';
export const RPH_DEST = '12025550199';

export type RphOutcome = { ok: true; auth: string[]; sph?: string } | { ok: false; code: ErrorCode; field: string };

export interface RphSignCase {
  title: string;
  caller?: RphCaller;
  body: Record<string, unknown>;
  outcome: RphOutcome;
  http: number;
  grpc: keyof typeof status;
}

const call = { orig: { tn: '+1 404 526 6060' }, dest: { tn: ['1-202-555-0199'] } };

export const RPH_SIGN_CASES: RphSignCase[] = [
  { title: 'signs ets.0 and wps.0 for an account granted both, lower-casing the r-values', body: { ...call, rph: { auth: ['ETS.0', 'wps.0'] } }, outcome: { ok: true, auth: ['ets.0', 'wps.0'] }, http: 200, grpc: 'OK' },
  { title: 'signs sph psap-callback beside the auth values (RFC 9027 §4)', caller: 'ets', body: { ...call, rph: { auth: ['ets.1'] }, sph: 'psap-callback' }, outcome: { ok: true, auth: ['ets.1'], sph: 'psap-callback' }, http: 200, grpc: 'OK' },
  { title: 'refuses an account without the right', caller: 'none', body: { ...call, rph: { auth: ['ets.0'] } }, outcome: { ok: false, code: 'ERR_ATTEST_REFUSED', field: 'rph.auth' }, http: 403, grpc: 'PERMISSION_DENIED' },
  { title: 'refuses a namespace the account was not granted', caller: 'ets', body: { ...call, rph: { auth: ['ets.0', 'wps.1'] } }, outcome: { ok: false, code: 'ERR_ATTEST_REFUSED', field: 'rph.auth' }, http: 403, grpc: 'PERMISSION_DENIED' },
  { title: 'refuses a request without rph', body: { ...call }, outcome: { ok: false, code: 'ERR_REQ_FIELD_MISSING', field: 'rph' }, http: 400, grpc: 'INVALID_ARGUMENT' },
  { title: 'refuses an empty auth list', body: { ...call, rph: { auth: [] } }, outcome: { ok: false, code: 'ERR_REQ_FIELD_INVALID', field: 'rph.auth' }, http: 400, grpc: 'INVALID_ARGUMENT' },
  { title: 'refuses an r-value that is not namespace.priority (RFC 4412 §3.1)', body: { ...call, rph: { auth: ['ets.0', 'ets 1'] } }, outcome: { ok: false, code: 'ERR_REQ_FIELD_INVALID', field: 'rph.auth[1]' }, http: 400, grpc: 'INVALID_ARGUMENT' },
  { title: 'refuses an sph other than psap-callback', body: { ...call, rph: { auth: ['ets.0'] }, sph: 'urgent' }, outcome: { ok: false, code: 'ERR_REQ_FIELD_INVALID', field: 'sph' }, http: 400, grpc: 'INVALID_ARGUMENT' },
  { title: 'refuses a malformed calling number', body: { orig: { tn: 'abc' }, dest: call.dest, rph: { auth: ['ets.0'] } }, outcome: { ok: false, code: 'ERR_TN_INVALID', field: 'orig.tn' }, http: 400, grpc: 'INVALID_ARGUMENT' },
];

/**
 * Checks a signed rph answer on its own: the Identity header's form (RFC 8443 §4), the header and claims
 * (RFC 8443 §3, RFC 8225 §9 order), the signature with jose and with node:crypto over the signing input.
 */
export async function expectSignedRph(reply: { identity: string; x5u: string }, certPem: string, outcome: Extract<RphOutcome, { ok: true }>): Promise<void> {
  const [jws, ...params] = reply.identity.split(';');
  expect(params).toEqual([`info=<${reply.x5u}>`, 'alg=ES256', 'ppt=rph']);
  const [h, p, s] = jws!.split('.') as [string, string, string];
  expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ alg: 'ES256', ppt: 'rph', typ: 'passport', x5u: reply.x5u });
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  expect(Object.keys(claims)).toEqual(['dest', 'iat', 'orig', 'rph', ...(outcome.sph ? ['sph'] : [])]);
  expect(claims).toMatchObject({ orig: { tn: RPH_ORIG }, dest: { tn: [RPH_DEST] }, rph: { auth: outcome.auth } });
  if (outcome.sph) expect(claims.sph).toBe(outcome.sph);
  const { protectedHeader } = await compactVerify(jws!, await importX509(certPem, 'ES256'));
  expect(protectedHeader.ppt).toBe('rph');
  const key = new X509Certificate(certPem).publicKey;
  expect(cryptoVerify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))).toBe(true);
}
