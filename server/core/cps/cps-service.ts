import { createHash } from 'node:crypto';
import type { Clock } from '../ports.js';
import { canonicalTn } from '../tn.js';
import { decodePassport, judgeDest, judgeOrig } from '../verify/passport-decode.js';
import type { TokenVerifier } from '../verify/token-verifier.js';
import { emptyChecks } from '../verify/verify-result.js';
import { CPS_TOKEN_PROFILE, type CpsTokenClaims } from './cps-token.js';
import { CpsStoreUnavailable, type CallKey, type CpsStore } from './cps-ports.js';
import { refused, type CpsResult } from './cps-result.js';

/**
 * `atis-1000096`: the multiple-CPS mechanism, `/passports/{dest}/{orig}`, kept for the CPS's own policy time.
 * `atis-1000105`: the agreed CPS between partners, `/passports/{spc}/{dest}/{orig}`, the path's SPC bound to the
 * token's `spc` and the certificate's, the publisher's `exp` at most `maxExpSec` ahead.
 */
export type CpsMechanism = 'atis-1000096' | 'atis-1000105';

export interface CpsOptions {
  /** The `aud` a token must name: this CPS's host name. */
  audience: () => string;
  /** How long an ATIS-1000096 publish is kept (CPS policy), shortened by the token's exp when earlier. */
  ttlSec: number;
  /** ATIS-1000105: exp no further ahead than this (60 s). */
  maxExpSec: number;
  maxPassports: number;
  maxPassportChars: number;
  /** Per requesting SPC and second, shared by every node; 0 = no limit. */
  publishRatePerSec: number;
  retrieveRatePerSec: number;
  /** SPCs allowed to retrieve; empty: any provider with an STI certificate. */
  retrievers: readonly string[];
  /** How long a jti is remembered: at least the token freshness window either side of now. */
  replayWindowSec: number;
}

export interface CpsRequest {
  mechanism: CpsMechanism;
  /** The path's SPC (ATIS-1000105 only). */
  spc?: string;
  dest: string;
  orig: string;
  /** The Authorization header as received. */
  authorization: string | undefined;
}

export interface CpsService {
  publish(request: CpsRequest, body: unknown): Promise<CpsResult>;
  retrieve(request: CpsRequest): Promise<CpsResult>;
  health(): Promise<CpsResult>;
}

export interface CpsDeps {
  verifier: TokenVerifier;
  store: CpsStore;
  clock: Clock;
  options: CpsOptions;
}

/** SPCs are short printable codes (ATIS-1000080; 4 alphanumerics in the US); anything else in a path is refused. */
const SPC = /^[A-Za-z0-9]{1,16}$/;
const RETRY_AFTER_SEC = 1;

type Authorized = { ok: true; key: CallKey; claims: CpsTokenClaims; spc: string } | { ok: false; result: CpsResult };

function tnOf(value: string): string | undefined {
  try {
    return canonicalTn(value, 'tn');
  } catch {
    return undefined;
  }
}

/** `sha256-` and the base64 SHA-256 of the array's JCS form (RFC 8785): for an array of strings, JSON.stringify's. */
export function passportsDigest(passports: readonly string[]): string {
  return `sha256-${createHash('sha256').update(JSON.stringify(passports)).digest('base64')}`;
}

/**
 * The STI-CPS (RFC 8816, ATIS-1000096, ATIS-1000105): every request is authenticated by a JWT signed with an
 * STI certificate, judged by the verifier's own pipeline; PASSporTs live only in the shared store.
 */
export function createCpsService(deps: CpsDeps): CpsService {
  const { verifier, store, clock, options } = deps;

  async function authorize(request: CpsRequest, action: 'publish' | 'retrieve'): Promise<Authorized> {
    const destTn = tnOf(request.dest);
    const origTn = tnOf(request.orig);
    if (destTn === undefined || origTn === undefined) return { ok: false, result: refused('request_invalid', 'the path must hold the called and the calling number (digits)') };
    if (request.spc !== undefined && !SPC.test(request.spc)) return { ok: false, result: refused('request_invalid', 'the path SPC must be 1 to 16 letters or digits') };

    const m = /^Bearer +([A-Za-z0-9_.-]+)$/i.exec(request.authorization?.trim() ?? '');
    if (!m) return { ok: false, result: refused('token_missing', 'an Authorization: Bearer <JWT> signed with an STI certificate is required') };
    const jwt = m[1]!;
    const decoded = decodePassport(jwt);
    const x5u = decoded.ok && typeof decoded.value.header.x5u === 'string' ? decoded.value.header.x5u : undefined;
    const ident = { raw: jwt, jws: jwt, params: {}, info: x5u, infoBracketed: true, alg: undefined, ppt: undefined };
    const verdict = await verifier.verifyToken(ident, CPS_TOKEN_PROFILE, undefined, emptyChecks());
    if (!verdict.ok) return { ok: false, result: refused('token_refused', `${verdict.reason}: ${verdict.reasonText}`) };
    const claims = verdict.value;
    const spc = verdict.cert.spc;

    if (!claims.aud.includes(options.audience())) return { ok: false, result: refused('forbidden', `aud must name this CPS ("${options.audience()}")`) };
    if (claims.action !== action) return { ok: false, result: refused('forbidden', `action must be "${action}"`) };
    // The SPC of the certificate's TNAuthList is who the requester is: iss and spc must both be it.
    if (claims.iss !== spc || claims.requester !== spc) return { ok: false, result: refused('forbidden', `iss and spc must be the certificate's SPC ${spc}`) };
    if (request.spc !== undefined && request.spc !== spc) return { ok: false, result: refused('forbidden', `the path SPC ${request.spc} is not the certificate's SPC ${spc}`) };
    if (claims.origTn !== origTn || !claims.destTns.includes(destTn)) return { ok: false, result: refused('forbidden', 'the token\'s orig and dest are not the path\'s numbers') };
    if (action === 'retrieve' && options.retrievers.length > 0 && !options.retrievers.includes(spc)) {
      return { ok: false, result: refused('forbidden', `SPC ${spc} may not retrieve from this CPS`) };
    }
    return { ok: true, key: { destTn, origTn }, claims, spc };
  }

  /** The rate limit, shared by every node through the store; the replay check rides on the store's read or write. */
  async function overRate(action: 'publish' | 'retrieve', spc: string, nowMs: number): Promise<CpsResult | undefined> {
    const limit = action === 'publish' ? options.publishRatePerSec : options.retrieveRatePerSec;
    if (limit > 0 && (await store.hit(`${action}:${spc}`, nowMs)) > limit) {
      return refused('rate_limited', `more than ${limit} ${action} requests in one second from SPC ${spc}`, RETRY_AFTER_SEC);
    }
    return undefined;
  }

  const onceOf = (a: { claims: CpsTokenClaims; spc: string }) => ({ id: `${a.spc}:${a.claims.jti}`, ttlMs: options.replayWindowSec * 1000 });
  const replayed = () => refused('token_replayed', 'this token (jti) was used before');

  function judgeBody(body: unknown, key: CallKey, claims: CpsTokenClaims): { ok: true; passports: string[] } | { ok: false; result: CpsResult } {
    const list = (body as { passports?: unknown } | null)?.passports;
    if (!Array.isArray(list) || list.length === 0 || !list.every((p) => typeof p === 'string')) {
      return { ok: false, result: refused('request_invalid', 'the body must be {"passports":[<JWS>, …]} with at least one PASSporT') };
    }
    const passports = list as string[];
    if (passports.length > options.maxPassports) return { ok: false, result: refused('request_invalid', `at most ${options.maxPassports} PASSporTs per publish`) };
    if (claims.passports !== passportsDigest(passports)) return { ok: false, result: refused('forbidden', 'the token\'s passports digest is not the body\'s') };
    for (const [i, p] of passports.entries()) {
      if (p.length > options.maxPassportChars) return { ok: false, result: refused('request_invalid', `passports[${i}] is longer than ${options.maxPassportChars} characters`) };
      const d = decodePassport(p);
      if (!d.ok) return { ok: false, result: refused('request_invalid', `passports[${i}]: ${d.reason}${d.detail ? ` (${d.detail})` : ''}`) };
      // The CPS does not judge the PASSporT (the terminating verifier does), but it must be about this call.
      const o = judgeOrig(d.value.claims.orig);
      const dd = judgeDest(d.value.claims.dest);
      if (!o.ok || !dd.ok || o.value.origTn !== key.origTn || !dd.value.destTns.includes(key.destTn)) {
        return { ok: false, result: refused('request_invalid', `passports[${i}] is not from ${key.origTn} to ${key.destTn}`) };
      }
    }
    return { ok: true, passports };
  }

  function expiry(request: CpsRequest, claims: CpsTokenClaims, nowMs: number): { ok: true; expSec: number } | { ok: false; result: CpsResult } {
    const nowSec = Math.floor(nowMs / 1000);
    if (request.mechanism === 'atis-1000105') {
      // ATIS-1000105: the publisher says how long (exp), at most 60 s.
      if (claims.exp === undefined) return { ok: false, result: refused('request_invalid', 'exp is required (ATIS-1000105)') };
      if (claims.exp <= nowSec || claims.exp > nowSec + options.maxExpSec) {
        return { ok: false, result: refused('request_invalid', `exp must be after now and at most ${options.maxExpSec} s ahead`) };
      }
      return { ok: true, expSec: claims.exp };
    }
    // ATIS-1000096: the CPS's own policy decides; an earlier exp from the publisher is honoured.
    if (claims.exp !== undefined && claims.exp <= nowSec) return { ok: false, result: refused('request_invalid', 'exp is in the past') };
    return { ok: true, expSec: Math.min(nowSec + options.ttlSec, claims.exp ?? Number.MAX_SAFE_INTEGER) };
  }

  async function guarded(work: () => Promise<CpsResult>): Promise<CpsResult> {
    try {
      return await work();
    } catch (e) {
      if (e instanceof CpsStoreUnavailable) return refused('unavailable', 'the PASSporT store is not answering; try again', RETRY_AFTER_SEC);
      throw e;
    }
  }

  return {
    publish: (request, body) =>
      guarded(async () => {
        const a = await authorize(request, 'publish');
        if (!a.ok) return a.result;
        const nowMs = clock.now();
        const exp = expiry(request, a.claims, nowMs);
        if (!exp.ok) return exp.result;
        const judged = judgeBody(body, a.key, a.claims);
        if (!judged.ok) return judged.result;
        const stop = await overRate('publish', a.spc, nowMs);
        if (stop) return stop;
        if (!(await store.put(a.key, judged.passports, exp.expSec * 1000, nowMs, onceOf(a)))) return replayed();
        return { ok: true, kind: 'stored', count: judged.passports.length, exp: exp.expSec };
      }),
    retrieve: (request) =>
      guarded(async () => {
        const a = await authorize(request, 'retrieve');
        if (!a.ok) return a.result;
        const nowMs = clock.now();
        const stop = await overRate('retrieve', a.spc, nowMs);
        if (stop) return stop;
        const passports = await store.get(a.key, nowMs, onceOf(a));
        if (passports === undefined) return replayed();
        if (passports.length === 0) return refused('not_found', `no PASSporT from ${a.key.origTn} to ${a.key.destTn}`);
        return { ok: true, kind: 'found', passports };
      }),
    health: () =>
      guarded(async () => {
        await store.ping();
        return { ok: true, kind: 'healthy' };
      }),
  };
}
