import { blankLogRecord, withRequestLog } from '../request-log-record.js';
import { attempt, type Attempt } from '../attempt.js';
import { identify, type CallerClaim } from '../identify.js';
import type { Authenticator } from '../authenticate.js';
import type { SourceResolver } from '../source-caller.js';
import type { Clock, RequestLogSink } from '../ports.js';
import type { CallerContext } from '../types.js';
import { verifyReadPassports } from '../div/verify-call-passports.js';
import { buildTrustedPath, validityAt } from './cert-path.js';
import { ChainCache } from './chain-cache.js';
import { callVerifyResult } from './call-result.js';
import { readIdentities, selectShaken, type IdentityHeader, type ReadIdentities } from './identity-header.js';
import { claimsOf, decodePassport, HeaderMemo, judgeHeader, SHAKEN_PROFILE, type PassportProfile } from './passport-decode.js';
import { RevocationChecker, type CrlPolicy } from './revocation.js';
import { X5uRule } from './url-policy.js';
import { identitylessParties, parseVerifyInput, type VerifyRequest } from './verify-request.js';
import { isHeartbeatCall, withoutHeartbeats, type Heartbeats } from '../heartbeat.js';
import { emptyChecks, failed, type RevocationStatus, type TokenVerdict, type VerifyChecks, type VerifyResult } from './verify-result.js';
import type { CertificateFetcher, SignatureChecker, TrustAnchorSource } from './verify-ports.js';
import { checkOnLoop, es256LengthProblem } from './es256.js';
import type { TokenVerifier } from './token-verifier.js';
import { LinkedContentCache } from '../rcd/linked-content.js';
import { checkRcd as judgeRcd } from '../rcd/rcd-verify.js';
import { signerConstraintsOf, type SignerConstraints } from '../rcd/claim-constraints.js';
import type { FetchedChain } from './x5u-credential.js';
import type { RcdReport } from '../rcd/rcd-types.js';
import { identityOfPassport, type OutOfBandSource } from '../cps/oob-source.js';

export interface VerifierOptions {
  /** How far iat and the SIP Date may be from now, either way (RFC 8224 §6.2.1; 60 s in SHAKEN). */
  maxAgeSec: number;
  /**
   * Labs only: accept an x5u over http (the scheme rule; CRLs may be http regardless). Which addresses may be
   * reached is the fetcher's rule (`verify.allowPrivateAddresses`), not the verifier's.
   */
  allowHttpX5u?: boolean;
  crlPolicy: CrlPolicy;
  /** Distinct x5u (and CRL) URLs kept; the oldest goes first. Default 10,000. */
  cacheMaxEntries?: number;
}

export interface VerifierDeps {
  fetcher: CertificateFetcher;
  trust: TrustAnchorSource;
  clock: Clock;
  options: VerifierOptions;
  /** API-key check for `handle` (the signing service's, so one key works for both). */
  authenticator?: Authenticator;
  /** Accounts by SIP source address, for calls that carry `sourceAddress` instead of a token. */
  sources?: SourceResolver;
  /** Where `handle` records each verification (kind `verify`). */
  log?: RequestLogSink;
  /** SBC heartbeats (heartbeat.ts): answered as any request (one without identity too), recorded apart from the log. */
  heartbeats?: Heartbeats;
  /** The STI-CPS a call without Identity is looked up in (docs/out-of-band.md); absent: such a call is refused. */
  outOfBand?: OutOfBandSource;
  /**
   * Where a PASSporT's signature is checked: on the event loop (`checkOnLoop`, the default), or on a thread of
   * its own when the process has a core to spare (server/verify-fetch/signature-thread.ts). Same verdicts.
   */
  signatures?: SignatureChecker;
}

/** What a transport hands over: the bearer token (or, for SIP, the peer address) and the decoded body. */
export interface VerifyCall extends CallerClaim {
  input: unknown;
}

/**
 * A verification as data: the verdict, or the ShakenError that stopped it before any token was judged (the
 * caller, the request), with the caller when it was identified first.
 */
export interface Verifier extends TokenVerifier {
  /**
   * Judge a call's Identity headers against the call. One shaken header: that PASSporT and the call's numbers.
   * A div among them, or several headers: every PASSporT and the chain they form (RFC 8946), the result's
   * `call` member listing each. Never throws for anything the tokens or the network do.
   */
  verify(request: VerifyRequest): Promise<VerifyResult>;
  /**
   * Judge one already-parsed Identity header of any supported ppt (shaken, div): header, claims by the
   * profile, info/x5u, freshness, certificate chain, revocation and signature. Comparing its numbers with
   * the call is the caller's job. The single-PASSporT pipeline every multi-PASSporT check reuses.
   */
  verifyToken<T extends { iat: number }>(ident: IdentityHeader, profile: PassportProfile<T>, dateSec: number | undefined, checks: VerifyChecks): Promise<TokenVerdict<T>>;
  /** Authenticate, validate the body (ShakenError when malformed), verify, log: the path every transport uses. */
  handle(call: VerifyCall): Promise<VerifyResult>;
  /** `handle` with a refusal returned as a value that names the caller when known. */
  attempt(call: VerifyCall): Promise<Attempt<VerifyResult>>;
  /** Forget cached chains and CRLs (trust anchors replaced, operator request). */
  clearCache(): void;
  /** True when a call without Identity is looked up at an STI-CPS (`outOfBand`), so callers hand such calls over too. */
  readonly retrievesOutOfBand: boolean;
}

/** A time in seconds for a message; beyond what Date can hold (iat is any safe integer) it stays a number. */
function timeText(sec: number): string {
  const d = new Date(sec * 1000);
  return Number.isNaN(d.getTime()) ? `${sec} s after the epoch` : d.toISOString();
}

/**
 * The verification core (STI-VS, RFC 8224 §6.2, ATIS-1000074 §5.3): every transport calls `handle` (or
 * `verify` once it has authenticated the caller itself) and only reshapes the result.
 */
export function createVerifier(deps: VerifierDeps): Verifier {
  const { fetcher, trust, clock, options } = deps;
  const maxEntries = options.cacheMaxEntries ?? 10_000;
  const chains = new ChainCache(fetcher, clock, maxEntries);
  const revocation = new RevocationChecker(fetcher, clock, maxEntries);
  const x5uRule = new X5uRule(options.allowHttpX5u === true, maxEntries);
  const maxAgeMs = options.maxAgeSec * 1000;
  const signatures = deps.signatures ?? checkOnLoop;
  const headers = new HeaderMemo();
  // Logos and jCards RCD links to (RFC 9795): fetched through the same fetcher, kept 5 min (or less, per
  // Cache-Control), a failure 30 s, so a brand calling all day is fetched a few times an hour.
  const linked = new LinkedContentCache(fetcher, clock, { ttlMs: 300_000, failureTtlMs: 30_000, maxEntries });
  // The JWT Claim Constraints of a chain's leaf (RFC 8226 §8, RFC 9118), read once per cached chain, when RCD asks.
  const constraintsOf = new WeakMap<FetchedChain, SignerConstraints>();
  const signerConstraints = async (x5u: string): Promise<SignerConstraints> => {
    const { value } = await chains.get(x5u);
    if (!value.ok) return { ok: false, detail: value.detail };
    let known = constraintsOf.get(value.chain);
    if (known === undefined) {
      known = signerConstraintsOf(value.chain.leaf.x509.raw);
      constraintsOf.set(value.chain, known);
    }
    return known;
  };
  const checkRcd = async (claims: Record<string, unknown>, placement: 'shaken' | 'rcd', x5u: string): Promise<RcdReport | undefined> =>
    claims.rcd === undefined ? undefined : judgeRcd(claims, placement, linked, await signerConstraints(x5u));
  const log = withoutHeartbeats(deps.log, deps.heartbeats);

  async function verifyToken<T extends { iat: number }>(ident: IdentityHeader, profile: PassportProfile<T>, dateSec: number | undefined, checks: VerifyChecks): Promise<TokenVerdict<T>> {
    const decoded = decodePassport(ident.jws, headers);
    if (!decoded.ok) {
      checks.identityHeader = false;
      return failed(decoded.reason, checks, decoded.detail);
    }
    checks.identityHeader = true;
    const passport = decoded.value;
    const extra = { claims: passport.claims as unknown };

    const header = profile.header ? profile.header(passport.header, ident.alg) : judgeHeader(passport.header, ident.alg, profile.ppt);
    if (!header.ok) {
      checks.passportHeader = false;
      return failed(header.reason, checks, header.detail, extra);
    }
    checks.passportHeader = true;
    const x5u = header.value.x5u;
    // Written out, not a non-empty spread followed by properties it lacks (V8's slow case: docs/architecture.md,
    // "Nothing slow on the hot path").
    const withX5u = { claims: extra.claims, x5u };

    const judged = profile.judge(passport.claims);
    if (!judged.ok) {
      checks.claims = false;
      return failed(judged.reason, checks, judged.detail, withX5u);
    }
    checks.claims = true;
    const claims = judged.value;

    // RFC 8224 §4.1 / ATIS-1000074 §5.3.1: info must be present, in angle brackets, and name the x5u.
    checks.info = false;
    if (ident.info === undefined) return failed('info_missing', checks, undefined, withX5u);
    if (!ident.infoBracketed) return failed('info_invalid', checks, 'info is not in angle brackets', withX5u);
    if (ident.info !== x5u) return failed('x5u_mismatch', checks, `info <${ident.info.slice(0, 200)}>, x5u ${x5u.slice(0, 200)}`, withX5u);
    const urlVerdict = x5uRule.judge(x5u);
    if (!urlVerdict.ok) return failed('x5u_refused', checks, urlVerdict.detail, withX5u);
    checks.info = true;

    // Freshness before any network: a replayed or stale token costs nothing.
    const now = clock.now();
    checks.freshness = false;
    if (Math.abs(now - claims.iat * 1000) > maxAgeMs) {
      return failed('iat_stale', checks, `iat ${timeText(claims.iat)} is ${Math.round((now - claims.iat * 1000) / 1000)} s from now (limit ${options.maxAgeSec} s)`, withX5u);
    }
    if (dateSec !== undefined && Math.abs(now - dateSec * 1000) > maxAgeMs) {
      return failed('date_stale', checks, `Date ${timeText(dateSec)} is ${Math.round((now - dateSec * 1000) / 1000)} s from now (limit ${options.maxAgeSec} s)`, withX5u);
    }
    checks.freshness = true;

    // A signature that can never verify costs no fetch.
    const lengthProblem = es256LengthProblem(passport.signature.length);
    if (lengthProblem !== undefined) {
      checks.signature = false;
      return failed('signature_invalid', checks, lengthProblem, withX5u);
    }

    const { value: entry, fromCache } = await chains.get(x5u);
    if (!entry.ok) {
      checks.certificate = false;
      return failed(entry.reason, checks, entry.detail, withX5u);
    }
    checks.certificate = true;
    const { chain } = entry;
    const leaf = chain.leaf.info;

    checks.chain = false;
    if (leaf.publicKeyAlgorithm !== 'EC P-256') return failed('cert_key_unsupported', checks, `the leaf key is ${leaf.publicKeyAlgorithm}`, withX5u);
    const anchors = trust.current();
    if (entry.verdict?.generation !== anchors.generation) entry.verdict = buildTrustedPath(chain.certs, anchors);
    const path = entry.verdict;
    if (!path.ok) return failed('cert_untrusted', checks, path.detail, withX5u);
    // The credential must have been valid when the token was signed and still be now (ATIS-1000074 §5.3.1).
    const invalid = validityAt(path.path, path.anchor, now, 'now') ?? validityAt(path.path, path.anchor, claims.iat * 1000, 'iat');
    if (invalid) return failed(invalid.reason, checks, invalid.detail, withX5u);
    checks.chain = true;

    checks.tnAuthList = leaf.spc !== null;
    if (leaf.spc === null) return failed('cert_no_tnauthlist', checks, `"${leaf.subject}" has no TNAuthList SPC`, withX5u);

    const warnings: string[] = [];
    let revocationStatus: RevocationStatus = 'not-checked';
    if (options.crlPolicy !== 'off') {
      const r = await revocation.check(chain.crlUrl, path.path, path.anchor);
      if (r.status === 'revoked') {
        checks.notRevoked = false;
        return failed('cert_revoked', checks, r.detail, withX5u);
      }
      if (r.status === 'good') {
        checks.notRevoked = true;
        revocationStatus = 'good';
      } else if (options.crlPolicy === 'hard-fail') {
        checks.notRevoked = false;
        return failed('crl_unavailable', checks, r.detail, withX5u);
      } else {
        revocationStatus = r.status === 'unavailable' ? 'unavailable' : 'not-checked';
        warnings.push(`crl_${r.status === 'unavailable' ? 'unavailable' : 'not_checked'}: ${r.detail}`);
      }
    }

    // Over the octets as received (RFC 7515 §5.2), with the key the chain vouches for: the header's alg chose nothing.
    const good = await signatures.check(passport.signingInput, chain.leafKey, passport.signature);
    checks.signature = good;
    if (!good) return failed('signature_invalid', checks, undefined, withX5u);

    const cert = { spc: leaf.spc, subject: leaf.subject, issuer: leaf.issuer, serialNumber: leaf.serialNumber, notAfter: leaf.notAfter, fromCache, revocation: revocationStatus };
    return { ok: true, value: claims, x5u, cert, checks, warnings, passportClaims: passport.claims };
  }

  /**
   * A call carrying a div (or div-o) PASSporT or several Identity headers (RFC 8224 §6.2: each judged on its own; RFC 8946
   * §4: shaken and divs as one chain). The chain replaces the shaken `dest`-versus-To check: a forwarded call's
   * To may still be the original number, and the chain must end at the number called now (ruri, else To).
   */
  async function verifyChain(request: VerifyRequest, read: ReadIdentities): Promise<VerifyResult> {
    const calledTn = request.ruri ?? request.destTn?.[0];
    const verdict = await verifyReadPassports({ verifyToken, checkRcd }, read, { calledTn, origTn: request.origTn, dateSec: request.dateSec, resourcePriority: request.resourcePriority });
    return callVerifyResult(verdict, calledTn !== undefined);
  }

  function verify(request: VerifyRequest): Promise<VerifyResult> {
    return verifyRead(request, readIdentities(request.identity));
  }

  /** One call's verification over its Identity headers, read once by the caller. */
  async function verifyRead(request: VerifyRequest, read: ReadIdentities): Promise<VerifyResult> {
    // A priority call (an rph PASSporT, or Resource-Priority values to judge, RFC 8443) is judged as a call too.
    if (read.total > 1 || read.kinds.some((k) => k === 'div' || k === 'div-o' || k === 'rph') || request.resourcePriority !== undefined) return verifyChain(request, read);
    const checks = emptyChecks();

    const selected = selectShaken(read);
    if (!selected.ok) {
      checks.identityHeader = false;
      return failed(selected.reason, checks, selected.detail);
    }
    const token = await verifyToken(selected.header, SHAKEN_PROFILE, request.dateSec, checks);
    if (!token.ok) return token;
    const { claims, origTn, destTns } = token.value;
    const withX5u = { claims: claims as unknown, x5u: token.x5u };

    if (request.origTn !== undefined) {
      checks.orig = origTn === request.origTn;
      if (!checks.orig) return failed('orig_mismatch', checks, `orig ${origTn ?? '(not a tn)'}, call from ${request.origTn}`, withX5u);
    }
    if (request.destTn !== undefined) {
      const missing = request.destTn.filter((tn) => !destTns.includes(tn));
      checks.dest = missing.length === 0;
      if (!checks.dest) return failed('dest_mismatch', checks, `dest ${destTns.join(',') || '(no tn)'}, call to ${missing.join(',')}`, withX5u);
    }

    const passed: VerifyResult = {
      ok: true,
      verstat: 'TN-Validation-Passed',
      attest: claims.attest,
      origid: claims.origid,
      claims,
      x5u: token.x5u,
      cert: token.cert,
      checks,
      warnings: token.warnings,
    };
    // RCD claims in the shaken PASSporT (ATIS-1000094): judged once the call passed; they never fail it.
    // The claims as decoded for the verdict, not decoded a second time.
    const rcd = await checkRcd(token.passportClaims, 'shaken', token.x5u);
    if (rcd !== undefined) passed.rcd = rcd;
    return passed;
  }

  // With neither API keys nor source addresses configured (the CLI), a token-less call is judged anonymously.
  const identifies = deps.authenticator !== undefined;

  function verifyCall(call: VerifyCall, identified?: (caller: CallerContext) => void): Promise<VerifyResult> {
    const entry = blankLogRecord('verify', call.transport, new Date(clock.now()));
    const work = async (): Promise<VerifyResult> => {
      // The parties of a request without identity, read once for the two features that answer one.
      const parties = deps.heartbeats || deps.outOfBand ? identitylessParties(call.input) : undefined;
      if (identifies || call.sourceAddress !== undefined) {
        const caller = await identify(call, deps, (apiKeyId, accountId) => {
          entry.apiKeyId = apiKeyId;
          entry.accountId = accountId;
        });
        entry.accountId = caller.accountId;
        entry.apiKeyId = caller.apiKeyId ?? null;
        identified?.(caller);
        // Oracle's verification heartbeat carries no identity. ATIS-1000082 makes identity mandatory (SVC4001),
        // which an SBC with sti-in-service-response-code 200 would take for an outage; an identified caller's
        // heartbeat is answered instead as a verification of a call without Identity: No-TN-Validation, 428.
        if (parties && deps.heartbeats && isHeartbeatCall(parties.origTn, parties.destTn, deps.heartbeats.numbers)) {
          entry.orig = parties.origTn ?? null;
          entry.dest = parties.destTn?.join(',') ?? null;
          return failed('identity_absent', { ...emptyChecks(), identityHeader: false });
        }
      }
      if (parties && deps.outOfBand && parties.origTn !== undefined && parties.destTn?.[0] !== undefined) return verifyOutOfBand(deps.outOfBand, { ...parties, identity: [] }, entry);
      const request = parseVerifyInput(call.input);
      entry.orig = request.origTn ?? null;
      entry.dest = request.destTn?.join(',') ?? null;
      // One record per call, naming the headers judged (RequestLogRecord.passports): `shaken`, `shaken,div,div`.
      const read = readIdentities(request.identity);
      entry.passports = read.kinds.join(',') || null;
      return verifyRead(request, read);
    };
    return withRequestLog(log, entry, work, (result) => {
      // Branded-call insight: whether the call's RCD (RFC 9795) verified; a failed call names it in its report.
      const rcd = result.ok ? result.rcd : (result.call?.passports.find((p) => p.rcd !== undefined)?.rcd ?? (result.reason === 'rcd_integrity' ? { ok: false } : undefined));
      entry.rcdVerified = rcd === undefined ? null : rcd.ok;
      if (result.ok) {
        entry.outcome = 'ok';
        entry.attestApplied = result.attest;
        entry.origid = result.origid;
      } else {
        entry.errorCode = `VERIFY_${result.sip}_${result.reason}`;
      }
    });
  }

  /**
   * A call that arrived without Identity (a TDM hop dropped it): its PASSporTs from the STI-CPS by calling and
   * first called number (RFC 8816, ATIS-1000096), judged as if in band, the result marked `source: out-of-band`.
   */
  /**
   * A forwarded call that crossed TDM: the CPS files each PASSporT under its own dest, so the div found under the
   * number called now (RFC 8946) points, by its `div`, to where the shaken (or an earlier div) is filed. Followed
   * a few hops, as many as a call carries in band, and judged together as if they had come in the INVITE.
   */
  async function retrieveWithDiversions(source: OutOfBandSource, origTn: string, destTn: string): Promise<{ ok: true; passports: string[] } | { ok: false; detail: string }> {
    const first = await source.retrieve(origTn, destTn);
    if (!first.ok) return first;
    const passports = [...first.passports];
    const asked = new Set([destTn]);
    let next = divTargets(first.passports);
    for (let hop = 0; hop < MAX_OOB_DIVERSIONS && next.length > 0; hop++) {
      const found: string[] = [];
      for (const tn of next.filter((t) => !asked.has(t))) {
        asked.add(tn);
        const got = await source.retrieve(origTn, tn);
        // A hop the CPS cannot give leaves the chain short: the div is then judged without its shaken, as in band.
        if (got.ok) found.push(...got.passports.filter((p) => !passports.includes(p)));
      }
      passports.push(...found);
      next = divTargets(found);
    }
    return { ok: true, passports };
  }

  async function verifyOutOfBand(source: OutOfBandSource, request: VerifyRequest, entry: { orig: string | null; dest: string | null; passports: string | null }): Promise<VerifyResult> {
    entry.orig = request.origTn ?? null;
    entry.dest = request.destTn?.join(',') ?? null;
    const got = await retrieveWithDiversions(source, request.origTn!, request.destTn![0]!);
    if (!got.ok || got.passports.length === 0) {
      const detail = got.ok ? 'the STI-CPS holds no PASSporT for this call' : `the STI-CPS could not be read: ${got.detail}`;
      return { ...failed('identity_absent', { ...emptyChecks(), identityHeader: false }, detail), source: 'out-of-band' };
    }
    const read = readIdentities(got.passports.map(identityOfPassport));
    entry.passports = read.kinds.join(',') || null;
    // The CPS keeps what every provider published for these numbers a while: an earlier call's PASSporT, or one
    // a spoofer published, may sit beside this call's. Each shaken candidate is judged with the rest, newest iat
    // first; the first that passes is the call's, else the newest one's failure is the answer.
    const shaken = read.values.filter((_, i) => read.kinds[i] === 'shaken');
    if (shaken.length <= 1) return { ...(await verifyRead({ ...request, identity: read.values }, read)), source: 'out-of-band' };
    const rest = read.values.filter((_, i) => read.kinds[i] !== 'shaken');
    // Each candidate's iat is read once, not once per comparison of the sort.
    const byIat = shaken.map((h) => {
      const iat = claimsOf(h.split(';')[0]!)?.iat;
      return { h, iat: typeof iat === 'number' ? iat : 0 };
    });
    let newest: VerifyResult | undefined;
    for (const candidate of byIat.sort((x, y) => y.iat - x.iat).map((c) => c.h)) {
      const identity = [candidate, ...rest];
      const result = await verifyRead({ ...request, identity }, readIdentities(identity));
      if (result.ok) return { ...result, source: 'out-of-band' };
      newest ??= result;
    }
    return { ...newest!, source: 'out-of-band' };
  }

  return {
    retrievesOutOfBand: deps.outOfBand !== undefined,
    verify,
    verifyToken,
    checkRcd,
    handle(call) {
      return verifyCall(call);
    },
    attempt(call) {
      return attempt((identified) => verifyCall(call, identified));
    },
    clearCache() {
      chains.clear();
      revocation.clear();
      linked.clear();
    },
  };
}

/** Diversion hops followed at the STI-CPS beyond the called number (each is one more retrieval). */
const MAX_OOB_DIVERSIONS = 4;

/** The canonical numbers the div PASSporTs among these were diverted from (their `div.tn`, RFC 8946 §3). */
function divTargets(passports: readonly string[]): string[] {
  const tns: string[] = [];
  for (const jws of passports) {
    const d = decodePassport(jws);
    if (!d.ok || d.value.header.ppt !== 'div') continue;
    const div = d.value.claims.div as { tn?: unknown } | undefined;
    if (typeof div?.tn === 'string') {
      const tn = div.tn.replace(/^\+/, '').replace(/[-.()\s]/g, '');
      if (/^[0-9]{1,15}$/.test(tn)) tns.push(tn);
    }
  }
  return tns;
}
