import { createPublicKey, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import type { status } from '@grpc/grpc-js';
import { compactVerify, importSPKI } from 'jose';
import { expect } from 'vitest';
import type { ErrorCode } from '../../server/core/errors.js';
import type { SipAnswer } from './sign-cases.js';

/**
 * One table of div sign requests (RFC 8946) with the core's outcome and each transport's answer, run through
 * the core (test/core/div-sign-cases.test.ts), HTTP POST /api/stir-shaken/div and gRPC SignDiv and SignStream
 * (test/http/sign-div.test.ts, test/grpc/sign-div.test.ts) and the SIP redirect server (test/sip/div-sign-cases.test.ts):
 * the same rows show the transports share one core.
 */

/** Who asks: a trust-mode customer key (default), an enforce-mode customer whose inventory holds only DIV_TN, an enforce-mode gateway key, or an unknown key. */
export type DivCaller = 'trust' | 'enforce' | 'enforce-gateway' | 'bad-key';

/** What a runner gives the rows: Identity headers signed through its own transport, and the signer's now. */
export interface DivCaseContext {
  nowSec: number;
  /** A shaken Identity header for a call from ORIG_TN to `dest` (trust-mode account). */
  shaken(dest: string[]): Promise<string>;
  /** A div Identity header forwarding the call carrying `identity` to `dest` (the first hop). */
  forwarded(identity: string[], dest: string[]): Promise<string>;
}

export type DivOutcome =
  | { ok: true; div: { tn: string } | { uri: string }; dest: string[]; origid: 'from-shaken' | 'given' | 'fresh'; passports: string; /** div-o: opt nests the last received header's PASSporT. */ ppt?: 'div-o' }
  | { ok: false; code: ErrorCode; field?: string };

export interface DivSignCase {
  title: string;
  caller?: DivCaller;
  body(ctx: DivCaseContext): Promise<unknown>;
  outcome: DivOutcome;
  http: number;
  grpc: keyof typeof status;
  /**
   * The SIP redirect server's answer to the row sent as the INVITE of a forwarding switch (`divCaseInvite` in
   * ./div-sip-invite.ts), under `sip.onSignFailure=reject`: 302 with every received Identity plus the div, or the
   * error table's status with that cause in its Reason (under `redirect` a refusal is a 302 without the div,
   * carrying the same Reason). `na` says why no INVITE can carry the row.
   */
  sip: SipAnswer | { na: string };
}

export const ORIG_TN = '14045266060';
/** The number the call was first sent to; the enforce account's inventory holds it (and nothing else). */
export const DIV_TN = '18001234567';
export const NEW_TN = '12025550199';
export const THIRD_TN = '13035550100';
export const GIVEN_ORIGID = '123e4567-e89b-12d3-a456-426655440000';
/** Well-formed (ssk_<16 hex>_<43 base64url>) but unknown: refused as ERR_AUTH_INVALID. */
export const UNKNOWN_KEY = `ssk_0123456789abcdef_${'x'.repeat(43)}`;

const SIGNED = { status: 302 } as const;
const BAD_REQUEST = { status: 400, cause: 400 };
/** The redirect server signs a div only for a call that arrives signed; its orig, origid and div come from the call. */
const EXPLICIT = { na: 'the explicit form (no identity): an INVITE without an Identity header is signed as a shaken call, never a div' };

const explicit = { orig: { tn: '+1 404 526 6060' }, dest: { tn: [NEW_TN] }, div: { tn: DIV_TN } };

export const DIV_SIGN_CASES: DivSignCase[] = [
  {
    title: 'signs the explicit form, keeping the given origid',
    body: async () => ({ ...explicit, origid: GIVEN_ORIGID }),
    outcome: { ok: true, div: { tn: DIV_TN }, dest: [NEW_TN], origid: 'given', passports: 'div' },
    http: 200,
    grpc: 'OK',
    sip: EXPLICIT,
  },
  {
    title: 'signs from the received shaken Identity header: orig and origid from it, div from its dest',
    body: async (c) => ({ identity: [await c.shaken([DIV_TN])], dest: { tn: [NEW_TN] } }),
    outcome: { ok: true, div: { tn: DIV_TN }, dest: [NEW_TN], origid: 'from-shaken', passports: 'shaken,div' },
    http: 200,
    grpc: 'OK',
    sip: SIGNED,
  },
  {
    title: 'signs a second hop from [shaken, div]: div is the first hop\'s dest',
    body: async (c) => {
      const s = await c.shaken([DIV_TN]);
      return { identity: [s, await c.forwarded([s], [NEW_TN])], dest: { tn: [THIRD_TN] } };
    },
    outcome: { ok: true, div: { tn: NEW_TN }, dest: [THIRD_TN], origid: 'from-shaken', passports: 'shaken,div,div' },
    http: 200,
    grpc: 'OK',
    sip: SIGNED,
  },
  {
    title: 'signs a div-o that nests the received shaken PASSporT in opt (RFC 8946 §5)',
    body: async (c) => ({ identity: [await c.shaken([DIV_TN])], dest: { tn: [NEW_TN] }, ppt: 'div-o' }),
    outcome: { ok: true, div: { tn: DIV_TN }, dest: [NEW_TN], origid: 'from-shaken', passports: 'shaken,div-o', ppt: 'div-o' },
    http: 200,
    grpc: 'OK',
    sip: { na: 'no SIP header asks for div-o: the redirect server signs a plain div (ppt=div) for its hop' },
  },
  {
    title: 'refuses a div-o in the explicit form: there is no PASSporT to nest',
    body: async () => ({ ...explicit, ppt: 'div-o' }),
    outcome: { ok: false, code: 'ERR_REQ_FIELD_MISSING', field: 'identity' },
    http: 400,
    grpc: 'INVALID_ARGUMENT',
    sip: EXPLICIT,
  },
  {
    title: 'refuses a ppt other than div or div-o',
    body: async (c) => ({ identity: [await c.shaken([DIV_TN])], dest: { tn: [NEW_TN] }, ppt: 'shaken' }),
    outcome: { ok: false, code: 'ERR_REQ_FIELD_INVALID', field: 'ppt' },
    http: 400,
    grpc: 'INVALID_ARGUMENT',
    sip: { na: 'no SIP header carries ppt: the redirect server signs a plain div (ppt=div) for its hop' },
  },
  {
    title: 'needs div when the last hop went to several numbers',
    body: async (c) => ({ identity: [await c.shaken([DIV_TN, '18001234568'])], dest: { tn: [NEW_TN] } }),
    outcome: { ok: false, code: 'ERR_REQ_FIELD_MISSING', field: 'div' },
    http: 400,
    grpc: 'INVALID_ARGUMENT',
    sip: BAD_REQUEST,
  },
  {
    title: 'signs with div naming one of several numbers the last hop went to',
    body: async (c) => ({ identity: [await c.shaken([DIV_TN, '18001234568'])], dest: { tn: [NEW_TN] }, div: { tn: '18001234568' } }),
    outcome: { ok: true, div: { tn: '18001234568' }, dest: [NEW_TN], origid: 'from-shaken', passports: 'shaken,div' },
    http: 200,
    grpc: 'OK',
    sip: SIGNED,
  },
  {
    title: 'refuses a div that is not in the last hop\'s dest',
    body: async (c) => ({ identity: [await c.shaken([DIV_TN])], dest: { tn: [NEW_TN] }, div: { tn: '18009999999' } }),
    outcome: { ok: false, code: 'ERR_REQ_FIELD_INVALID', field: 'div' },
    http: 400,
    grpc: 'INVALID_ARGUMENT',
    sip: BAD_REQUEST,
  },
  {
    title: 'refuses Identity headers without a shaken PASSporT',
    body: async (c) => {
      const s = await c.shaken([DIV_TN]);
      return { identity: [await c.forwarded([s], [NEW_TN])], dest: { tn: [THIRD_TN] } };
    },
    outcome: { ok: false, code: 'ERR_REQ_FIELD_INVALID', field: 'identity' },
    http: 400,
    grpc: 'INVALID_ARGUMENT',
    sip: BAD_REQUEST,
  },
  {
    title: 'refuses orig beside identity: one source for the caller',
    body: async (c) => ({ identity: [await c.shaken([DIV_TN])], dest: { tn: [NEW_TN] }, orig: { tn: ORIG_TN } }),
    outcome: { ok: false, code: 'ERR_REQ_FIELD_INVALID', field: 'orig' },
    http: 400,
    grpc: 'INVALID_ARGUMENT',
    sip: { na: 'an INVITE\'s From is no orig claim: the redirect server takes a signed call\'s caller from its shaken PASSporT alone' },
  },
  {
    title: 'refuses div equal to dest (RFC 8946 §3: no retargeting, no div)',
    body: async () => ({ ...explicit, div: { tn: NEW_TN } }),
    outcome: { ok: false, code: 'ERR_REQ_FIELD_INVALID', field: 'div' },
    http: 400,
    grpc: 'INVALID_ARGUMENT',
    sip: { na: 'the explicit form; and an INVITE to a number in the last dest is not retargeted: it goes on with its Identity headers unchanged (transit), no div is asked for' },
  },
  {
    title: 'refuses a missing dest',
    body: async (c) => ({ identity: [await c.shaken([DIV_TN])] }),
    outcome: { ok: false, code: 'ERR_REQ_FIELD_MISSING', field: 'dest' },
    http: 400,
    grpc: 'INVALID_ARGUMENT',
    sip: { na: 'an INVITE always has a Request-URI (RFC 3261 §8.1.1.1): the number called now is the new target' },
  },
  {
    title: 'refuses a letter in the new target number and names its position',
    body: async () => ({ ...explicit, dest: { tn: ['1800FLOWERS'] } }),
    outcome: { ok: false, code: 'ERR_TN_INVALID', field: 'dest.tn[0]' },
    http: 400,
    grpc: 'INVALID_ARGUMENT',
    sip: EXPLICIT,
  },
  {
    title: 'refuses a div number that is not a number',
    body: async () => ({ ...explicit, div: { tn: 'call me' } }),
    outcome: { ok: false, code: 'ERR_TN_INVALID', field: 'div.tn' },
    http: 400,
    grpc: 'INVALID_ARGUMENT',
    sip: EXPLICIT,
  },
  {
    title: 'refuses an iat an hour old',
    body: async (c) => ({ identity: [await c.shaken([DIV_TN])], dest: { tn: [NEW_TN] }, iat: c.nowSec - 3600 }),
    outcome: { ok: false, code: 'ERR_REQ_IAT_STALE', field: 'iat' },
    http: 400,
    grpc: 'INVALID_ARGUMENT',
    sip: { status: 403, cause: 403 },
  },
  {
    title: 'enforce mode: signs a div in the account inventory',
    caller: 'enforce',
    body: async () => explicit,
    outcome: { ok: true, div: { tn: DIV_TN }, dest: [NEW_TN], origid: 'fresh', passports: 'div' },
    http: 200,
    grpc: 'OK',
    sip: EXPLICIT,
  },
  {
    title: 'enforce mode: refuses a div that is not in the account inventory',
    caller: 'enforce',
    body: async () => ({ ...explicit, div: { tn: '18009999999' } }),
    outcome: { ok: false, code: 'ERR_ATTEST_REFUSED', field: 'div.tn' },
    http: 403,
    grpc: 'PERMISSION_DENIED',
    sip: EXPLICIT,
  },
  {
    title: 'enforce mode: refuses a gateway source, which serves no numbers',
    caller: 'enforce-gateway',
    body: async () => explicit,
    outcome: { ok: false, code: 'ERR_ATTEST_REFUSED', field: 'div' },
    http: 403,
    grpc: 'PERMISSION_DENIED',
    sip: EXPLICIT,
  },
  {
    title: 'refuses an unknown API key',
    caller: 'bad-key',
    body: async () => explicit,
    outcome: { ok: false, code: 'ERR_AUTH_INVALID' },
    http: 401,
    grpc: 'UNAUTHENTICATED',
    sip: { na: 'the explicit form; and SIP has no API key: its stranger is a source address no account owns, answered 403 ERR_AUTH_INVALID before its PASSporTs are read (test/sip/forward.test.ts)' },
  },
];

function claimsOf(identity: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(identity.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}

/** The origid of a shaken Identity header among `identity`, read without the core. */
export function shakenOrigid(identity: string[]): string {
  const s = identity.find((h) => h.endsWith('ppt=shaken'))!;
  return claimsOf(s).origid as string;
}

/** The fields every transport answers with (HTTP JSON, gRPC SignDivResponse, the core's reply). */
export interface DivAnswer {
  identity: string;
  div: unknown;
  dest: { tn?: string[]; uri?: string[] };
  orig: unknown;
  origid: string;
  iat: number;
  x5u: string;
}

/**
 * Checks a signed div without the code that made it: jose compactVerify and node:crypto alone (RFC 7515 §5.2,
 * ES256 R||S) with the leaf certificate's key; the header and claims exactly as RFC 8225 §9 orders them; the
 * Identity parameters of RFC 8946 §3; and the answer's fields equal to the signed claims.
 */
export async function expectSignedDiv(answer: DivAnswer, leafCertPem: string, want: Extract<DivOutcome, { ok: true }>, body: unknown): Promise<void> {
  const ppt = want.ppt ?? 'div';
  const [jws, ...params] = answer.identity.split(';');
  expect(params).toEqual([`info=<${answer.x5u}>`, 'alg=ES256', `ppt=${ppt}`]);
  const [h, p, s] = jws!.split('.') as [string, string, string];
  const spki = createPublicKey(leafCertPem).export({ type: 'spki', format: 'pem' }).toString();
  const { protectedHeader, payload } = await compactVerify(jws!, await importSPKI(spki, 'ES256'));
  expect(protectedHeader).toEqual({ alg: 'ES256', ppt, typ: 'passport', x5u: answer.x5u });
  const own = cryptoVerify('sha256', Buffer.from(`${h}.${p}`, 'ascii'), { key: new X509Certificate(leafCertPem).publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
  expect(own).toBe(true);

  const b = body as { identity?: string[]; origid?: string };
  // A div-o nests the last received header's PASSporT (its JWS, without the Identity parameters).
  const opt = ppt === 'div-o' ? `,"opt":${JSON.stringify(b.identity!.at(-1)!.split(';')[0])}` : '';
  const origid = want.origid === 'from-shaken' ? shakenOrigid(b.identity!) : want.origid === 'given' ? b.origid! : answer.origid;
  if (want.origid === 'fresh') expect(origid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  // Written out member by member in RFC 8225 §9 order (dest, div, iat, opt, orig, origid), not with the signer's code.
  const canonical = `{"dest":{"tn":${JSON.stringify(want.dest)}},"div":${JSON.stringify(want.div)},"iat":${answer.iat}${opt},"orig":{"tn":"${ORIG_TN}"},"origid":"${origid}"}`;
  expect(new TextDecoder().decode(payload)).toBe(canonical);
  expect(Buffer.from(h, 'base64url').toString()).toBe(`{"alg":"ES256","ppt":"${ppt}","typ":"passport","x5u":${JSON.stringify(answer.x5u)}}`);
  expect({ div: answer.div, dest: answer.dest.tn, orig: answer.orig, origid: answer.origid }).toEqual({ div: want.div, dest: want.dest, orig: { tn: ORIG_TN }, origid });
}
