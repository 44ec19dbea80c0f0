import { randomUUID } from 'node:crypto';
import { attempt, type Attempt } from './attempt.js';
import { decideAttestation } from './attestation-policy.js';
import { createAuthenticator, type Authenticator } from './authenticate.js';
import { identify, type CallerClaim } from './identify.js';
import { createSourceResolver, type SourceResolver } from './source-caller.js';
import { CachedLoader } from './cached-loader.js';
import { InventoryCache } from './inventory-cache.js';
import { blankLogRecord, withRequestLog } from './request-log-record.js';
import { isHeartbeatCall, withoutHeartbeats, type Heartbeats } from './heartbeat.js';
import { ShakenError, isShakenError } from './errors.js';
import { base64url, ES256_SIGNATURE_BYTES, signingInput } from './passport.js';
import type { AccountRecord, Clock, Directory, KeySigner, RequestLogRecord, RequestLogSink } from './ports.js';
import { iatOfDate, parseSignInput } from './sign-request.js';
import { assertStillValid, prepareSigningCredential, type SigningCredential } from './signing-credential.js';
import type { CallDate, CallerContext, SignRequest, SignResult, Transport } from './types.js';
import { divClaimsJson, divHeaderJson, divIdentityParams, type DivClaims, type DivSignResult } from './div/div-passport.js';
import { assertMaySignDiv } from './div/div-policy.js';
import { parseDivInput } from './div/div-request.js';
import { rphClaimsJson, rphHeaderJson, rphIdentityParams, type RphClaims, type RphSignResult } from './rph/rph-passport.js';
import { assertMaySignRph } from './rph/rph-policy.js';
import { parseRphInput } from './rph/rph-request.js';
import { decideRcd, type RcdDecision } from './rcd/rcd-policy.js';
import { rcdConstraintFailures } from './rcd/claim-constraints.js';
import type { RcdProfile } from './rcd/rcd-profile.js';
import { rcdIdentityParams } from './rcd/rcd-claims.js';
import { rcdSigningInput, shakenPayloadB64 } from './rcd/rcd-sign.js';
import type { RcdSigned } from './rcd/rcd-types.js';

export interface SigningServiceDeps {
  directory: Directory;
  keys: KeySigner;
  clock: Clock;
  log: RequestLogSink;
  /** How long account, credential and API-key lookups are reused; `invalidate()` drops them sooner. */
  cacheTtlMs: number;
  /** How long past `cacheTtlMs` those lookups still answer while the store is unavailable (stale-if-error); default 0. */
  cacheStaleIfErrorMs?: number;
  /**
   * The base URL this node is reached at (its `publicUrl`): hosted credentials store only the path of their
   * x5u, and it is resolved against this when a credential is loaded. Read at each load, never per call.
   */
  publicUrl(): string;
  /** SBC heartbeats (heartbeat.ts): signed as any request, recorded apart from the request log. */
  heartbeats?: Heartbeats;
  /**
   * Told of each shaken (with its separate rcd PASSporT, if any) and div PASSporT signed, after it is made and
   * before the answer leaves; must not block or throw
   * (the out-of-band publisher queues it: server/cps/oob-client.ts).
   */
  onSigned?: (signed: SignedPassport) => void;
  /**
   * A credential just loaded to sign with: the node publishes its chain at its x5u at once (certificate-publisher.ts).
   * Without it, a credential imported by another process signed from the next call while its x5u answered 404 until
   * the publisher's next reload (up to a second), so the first tokens signed with it could not be verified.
   */
  onCredentialLoaded?: (credential: SigningCredential) => void;
}

/**
 * PASSporTs just signed for one call, for an out-of-band copy (RFC 8816): a shaken one and the separate rcd one
 * its profile asked for (RFC 9795), or a div one (RFC 8946) under the numbers its call was diverted to.
 */
export interface SignedPassport {
  accountId: string;
  /** Canonical, undefined for a URI caller. */
  origTn: string | undefined;
  /** The PASSporT's dest.tn: the called numbers it is filed under at the CPS. */
  destTns: readonly string[];
  passports: readonly string[];
}

/** What a transport hands over after decoding its wire format. */
export interface SignCall extends CallerClaim {
  /** The decoded body: `{orig, dest, attest?, origid?, iat?}`, validated here. */
  input: unknown;
  /** Transport-level attestation override (`X-Attestation`); wins over the body's `attest`. */
  headerAttest?: unknown;
  /** How far iat may be from now, when the transport's rule is tighter than the account's token TTL (SIP Date: 60 s). */
  iatWindowSec?: number;
  /** A call's Date, which becomes iat (checked after the body, in place of its `iat`). */
  date?: CallDate;
}

/** What a transport hands over to sign a div PASSporT (RFC 8946) for a call it retargets. */
export interface DivCall extends CallerClaim {
  /** `{orig, dest, div, iat?, origid?}` or `{identity, dest, div?, iat?}` (div/div-request.ts), validated here. */
  input: unknown;
  /** How far iat may be from now, when the transport's rule is tighter than the account's token TTL. */
  iatWindowSec?: number;
}

/** What a transport hands over to sign an rph PASSporT (RFC 8443) for a priority call. */
export interface RphCall extends CallerClaim {
  /** `{orig, dest, rph: {auth: [...]}, sph?, iat?}` (rph/rph-request.ts), validated here. */
  input: unknown;
  /** How far iat may be from now, when the transport's rule is tighter than the account's token TTL. */
  iatWindowSec?: number;
}

/** A signing as data: the result, or the refusal with the caller when it was identified before the refusal. */
export interface SigningService {
  /** Authenticate, validate, sign and log one request: the whole STI-AS path every transport uses. */
  handle(call: SignCall): Promise<SignResult>;
  /** `handle` with a refusal (any ShakenError) returned as a value that names the caller when known. */
  attempt(call: SignCall): Promise<Attempt<SignResult>>;
  /** Sign for an already identified caller (CLI, trusted in-process use); validated and logged the same way. */
  signAs(caller: CallerContext, input: unknown, headerAttest?: unknown): Promise<SignResult>;
  /**
   * Sign a div PASSporT (RFC 8946) for a retargeted call, as the identified caller: `{orig, dest, div, iat?,
   * origid?}`, validated like a sign request, refused by div policy (div/div-policy.ts), logged as a `sign`.
   */
  signDiv(caller: CallerContext, input: unknown): Promise<DivSignResult>;
  /** Authenticate (or identify by source), then `signDiv`: the div path every transport uses. */
  handleDiv(call: DivCall): Promise<DivSignResult>;
  /** `handleDiv` with a refusal returned as a value that names the caller when known. */
  attemptDiv(call: DivCall): Promise<Attempt<DivSignResult>>;
  /**
   * Sign an rph PASSporT (RFC 8443) as the identified caller: `{orig, dest, rph: {auth}, sph?, iat?}`, refused
   * unless the account was granted every namespace asked for (rph/rph-policy.ts), logged as a `sign` of `rph`.
   */
  signRph(caller: CallerContext, input: unknown): Promise<RphSignResult>;
  /** Authenticate (or identify by source), then `signRph`: the rph path every transport uses. */
  handleRph(call: RphCall): Promise<RphSignResult>;
  /** `handleRph` with a refusal returned as a value that names the caller when known. */
  attemptRph(call: RphCall): Promise<Attempt<RphSignResult>>;
  /**
   * A JWT (header `{alg, x5u}`) over `claims`, signed with the account's active credential: the request token of
   * an STI-CPS (ATIS-1000096), which the CPS authenticates like a PASSporT. `claims` is given the credential's
   * SPC (its TNAuthList), which the token must name.
   */
  signToken(accountId: string, claims: (spc: string | null) => Record<string, unknown>): Promise<string>;
  /** Drop cached accounts, credentials and keys after the store reports a change. */
  invalidate(): void;
  readonly authenticator: Authenticator;
  /** Accounts by SIP source address; shared with the verifier and dropped by `invalidate`. */
  readonly sources: SourceResolver;
  /**
   * Loads and checks each account's active credential now (certificate parsed, key found in its store and
   * matched against the certificate) instead of on its first call; returns the accounts that cannot sign.
   */
  preload(accountIds: readonly string[]): Promise<{ accountId: string; error: ShakenError }[]>;
}

interface AccountState {
  account: AccountRecord | undefined;
  credential: SigningCredential | undefined;
  /** A credential that cannot sign is cached as its refusal, so a broken account does not hit the store per call. */
  refusal: ShakenError | undefined;
}

function destForLog(r: { dest: SignRequest['dest'] }): string {
  return [...(r.dest.tn ?? []), ...(r.dest.uri ?? [])].join(',');
}

/** What a signed shaken request adds to its log record: the attestation asked, applied and why, and the origid. */
function noteShaken(entry: RequestLogRecord, result: SignResult): void {
  entry.attestRequested = result.requestedAttest;
  entry.attestApplied = result.attest;
  entry.attestReason = result.attestReason;
  entry.origid = result.origid;
  // A separate rcd PASSporT (RFC 9795) is one more PASSporT of the call.
  if (result.rcd?.placement === 'rcd') entry.passports = 'shaken,rcd';
  entry.rcdProfile = result.rcd?.profile ?? null;
}

/** A div carries the call's origid (ATIS-1000085) and no attestation. */
function noteDiv(entry: RequestLogRecord, result: DivSignResult): void {
  entry.origid = result.claims.origid ?? null;
}

/** An rph asserts priority only: no attestation, no origid. */
function noteRph(): void {}

export function createSigningService(deps: SigningServiceDeps): SigningService {
  const { directory, keys, clock } = deps;
  // The one hook for heartbeats: every record leaves through this sink, which sets a heartbeat's apart.
  const log = withoutHeartbeats(deps.log, deps.heartbeats);
  const cache = { ttlMs: deps.cacheTtlMs, staleIfErrorMs: deps.cacheStaleIfErrorMs ?? 0 };
  const authenticator = createAuthenticator(directory, clock, cache);
  const sources = createSourceResolver(directory, clock, cache);
  const ids = { authenticator, sources };

  const inventories = new InventoryCache(directory);
  // An account's vetted RCD brands (RFC 9795), loaded by the first branded call and dropped with the rest by `invalidate`.
  const rcdProfiles = new CachedLoader<string, RcdProfile[]>((accountId) => directory.listRcdProfiles(accountId), clock, cache);
  const accounts = new CachedLoader<string, AccountState>(
    async (accountId) => {
      const account = await directory.getAccount(accountId);
      const record = account ? await directory.getActiveCredential(accountId) : undefined;
      if (!record) {
        const refusal = new ShakenError('ERR_CRED_NONE', 'the account has no active signing credential');
        return { account, credential: undefined, refusal };
      }
      try {
        const credential = await prepareSigningCredential(record, keys, clock.now(), deps.publicUrl());
        deps.onCredentialLoaded?.(credential);
        return { account, credential, refusal: undefined };
      } catch (e) {
        // A key store that is down is a passing fault: rethrow so the next call retries instead of caching it.
        if (isShakenError(e) && e.code.startsWith('ERR_CRED_')) return { account, credential: undefined, refusal: e };
        throw e;
      }
    },
    clock,
    cache,
  );

  /** Hands signed PASSporTs to the out-of-band publisher; an SBC heartbeat is answered as a call but is none. */
  function published(signed: SignedPassport): void {
    if (deps.onSigned && !(deps.heartbeats && isHeartbeatCall(signed.origTn, signed.destTns, deps.heartbeats.numbers))) deps.onSigned(signed);
  }

  /** The caller's enabled account and a credential that may sign now, or the refusal. */
  async function signer(caller: Pick<CallerContext, 'accountId'>): Promise<{ account: AccountRecord; credential: SigningCredential; now: number }> {
    const state = accounts.peek(caller.accountId) ?? (await accounts.get(caller.accountId));
    const account = state.account;
    if (!account || !account.enabled) {
      throw new ShakenError('ERR_AUTH_ACCOUNT_DISABLED', 'the account is disabled or does not exist');
    }
    if (!state.credential) throw state.refusal!;
    const credential = state.credential;
    const now = clock.now();
    assertStillValid(credential, now);
    return { account, credential, now };
  }

  /** iat as given (or now), within the account's token TTL and the transport's window. */
  function checkedIat(requested: number | undefined, account: AccountRecord, now: number, iatWindowSec: number): number {
    const nowSec = Math.floor(now / 1000);
    const iat = requested ?? nowSec;
    const window = Math.min(account.tokenTtlSec, iatWindowSec);
    if (Math.abs(iat - nowSec) > window) {
      throw new ShakenError('ERR_REQ_IAT_STALE', `iat is more than ${window} s away from the signer's clock`, { field: 'iat' });
    }
    return iat;
  }

  /**
   * Refuses RCD the account's own certificate does not allow: a verifier would find the PASSporT outside the
   * certificate's JWT Claim Constraints and show none of it (rcd-verify.ts), so it is not signed (ERR_ATTEST_REFUSED,
   * as the attestation cap refuses what the signer cannot back). A constraints extension that does not decode is
   * refused as well: no verifier could read what it allows either.
   */
  function assertWithinClaimConstraints(rcd: RcdDecision, credential: SigningCredential): void {
    const constraints = credential.rcdConstraints ?? { ok: true, list: [] };
    if (!constraints.ok) {
      throw new ShakenError('ERR_ATTEST_REFUSED', `the signing certificate's JWT Claim Constraints do not decode (${constraints.detail}); RCD cannot be signed with it`, { field: 'rcd' });
    }
    const broken = rcdConstraintFailures({ ...rcd.assertion }, constraints.list);
    if (broken.length > 0) {
      const field = broken[0]!.field === 'jcc.crn' ? 'rcd.crn' : 'rcd.profile';
      throw new ShakenError('ERR_ATTEST_REFUSED', `RCD profile ${rcd.profileId} is outside the signing certificate's claim constraints: ${broken.map((b) => b.detail).join('; ')}`, { field });
    }
  }

  async function signBytes(credential: SigningCredential, input: string): Promise<string> {
    const signature = await keys.sign(credential.keyRef, Buffer.from(input, 'latin1'));
    if (signature.byteLength !== ES256_SIGNATURE_BYTES) {
      throw new ShakenError('ERR_INTERNAL', `key store returned a signature that is not ${ES256_SIGNATURE_BYTES}-byte R||S`);
    }
    return `${input}.${base64url(signature)}`;
  }

  async function signRequest(caller: CallerContext, request: SignRequest, iatWindowSec = Infinity): Promise<SignResult> {
    const { account, credential, now } = await signer(caller);

    const origTn = 'tn' in request.orig ? request.orig.tn : undefined;
    // The inventory matters only in enforce mode; a trust-mode account never loads one.
    const needsInventory = account.policyMode === 'enforce' && caller.sourceKind === 'customer' && origTn !== undefined;
    const pending = needsInventory ? inventories.get(account) : undefined;
    const inventory = pending instanceof Promise ? await pending : pending;
    const decision = decideAttestation(request.attest, account, {
      source: caller.sourceKind,
      origTn,
      inInventory: (tn) => inventory?.has(tn) ?? false,
    });
    const iat = checkedIat(request.iat, account, now, iatWindowSec);
    const origid = request.origid ?? randomUUID();
    // RCD only as the account's vetted profiles allow for this number (rcd/rcd-policy.ts); refused before signing.
    let rcd: RcdDecision | undefined;
    if (request.rcd !== undefined) {
      const profiles = rcdProfiles.peek(caller.accountId) ?? (await rcdProfiles.get(caller.accountId));
      rcd = decideRcd(request.rcd, profiles, origTn);
      assertWithinClaimConstraints(rcd, credential);
    }
    const claims = { attest: decision.applied, dest: request.dest, iat, orig: request.orig, origid };
    const withRcd = shakenPayloadB64(claims, rcd);
    const passport = await signBytes(credential, withRcd === undefined ? signingInput(credential.headerB64, claims) : `${credential.headerB64}.${withRcd}`);
    const rcdSigned: RcdSigned | undefined = rcd && { profile: rcd.profileId, placement: rcd.placement, claims: rcd.assertion };
    let rcdPassport: string | undefined;
    if (rcd?.placement === 'rcd') {
      rcdPassport = await signBytes(credential, rcdSigningInput(claims, rcd, credential.x5u));
      rcdSigned!.identity = rcdPassport + rcdIdentityParams(credential.x5u);
    }
    published({ accountId: caller.accountId, origTn, destTns: request.dest.tn ?? [], passports: rcdPassport === undefined ? [passport] : [passport, rcdPassport] });
    return {
      identity: passport + credential.identityParams,
      passport,
      attest: decision.applied,
      requestedAttest: decision.requested,
      downgraded: decision.downgraded,
      attestReason: decision.reason,
      origid,
      iat,
      x5u: credential.x5u,
      credentialId: credential.id,
      accountId: caller.accountId,
      dest: request.dest,
      // Last: a non-empty spread first followed by properties it lacks is V8's slow case (docs/architecture.md,
      // "Nothing slow on the hot path").
      ...(rcdSigned ? { rcd: rcdSigned } : {}),
    };
  }

  async function signDivRequest(caller: CallerContext, entry: RequestLogRecord, input: unknown, iatWindowSec = Infinity): Promise<DivSignResult> {
    entry.accountId = caller.accountId;
    entry.apiKeyId = caller.apiKeyId ?? null;
    const request = parseDivInput(input);
    // One record per call: a div added to received PASSporTs is logged with all of them (shaken,div,…).
    entry.passports = [...(request.received ?? []), request.ppt].join(',');
    entry.orig = 'tn' in request.orig ? request.orig.tn : request.orig.uri;
    entry.dest = [...(request.dest.tn ?? []), ...(request.dest.uri ?? [])].join(',');
    const { account, credential, now } = await signer(caller);
    const divTn = 'tn' in request.div ? request.div.tn : undefined;
    const needsInventory = account.policyMode === 'enforce' && caller.sourceKind === 'customer' && divTn !== undefined;
    const inventory = needsInventory ? await inventories.get(account) : undefined;
    assertMaySignDiv(request.div, { policyMode: account.policyMode, source: caller.sourceKind, inInventory: (tn) => inventory?.has(tn) ?? false });
    const iat = checkedIat(request.iat, account, now, iatWindowSec);
    // ATIS-1000085: origid is carried; the caller passes the shaken PASSporT's so one call keeps one origid.
    const claims: DivClaims = { orig: request.orig, dest: request.dest, div: request.div, iat, origid: request.origid ?? randomUUID() };
    if (request.opt !== undefined) claims.opt = request.opt;
    // The div header differs from the shaken one only by ppt; built per call (a short base64url) rather than cached.
    const passport = await signBytes(credential, `${base64url(divHeaderJson(credential.x5u, request.ppt))}.${base64url(divClaimsJson(claims))}`);
    // A forwarded call that then crosses TDM: the div goes to the CPS beside the shaken one, under its own dest
    // (the number diverted to), which is what the terminating side asks the CPS for.
    if ('tn' in request.orig) published({ accountId: caller.accountId, origTn: request.orig.tn, destTns: request.dest.tn ?? [], passports: [passport] });
    return { identity: passport + divIdentityParams(credential.x5u, request.ppt), passport, claims, x5u: credential.x5u, credentialId: credential.id, accountId: caller.accountId };
  }

  async function signRphRequest(caller: CallerContext, entry: RequestLogRecord, input: unknown, iatWindowSec = Infinity): Promise<RphSignResult> {
    entry.accountId = caller.accountId;
    entry.apiKeyId = caller.apiKeyId ?? null;
    const request = parseRphInput(input);
    entry.passports = 'rph';
    entry.orig = 'tn' in request.orig ? request.orig.tn : request.orig.uri;
    entry.dest = destForLog(request);
    const { account, credential, now } = await signer(caller);
    assertMaySignRph(request.auth, account.rphNamespaces);
    const claims: RphClaims = { dest: request.dest, iat: checkedIat(request.iat, account, now, iatWindowSec), orig: request.orig, rph: { auth: request.auth } };
    if (request.sph !== undefined) claims.sph = request.sph;
    const passport = await signBytes(credential, `${base64url(rphHeaderJson(credential.x5u))}.${base64url(rphClaimsJson(claims))}`);
    return { identity: passport + rphIdentityParams(credential.x5u), passport, claims, x5u: credential.x5u, credentialId: credential.id, accountId: caller.accountId };
  }

  function rphCall(call: RphCall, identified?: (caller: CallerContext) => void): Promise<RphSignResult> {
    return logged(call.transport, async (entry) => signRphRequest(await callerOf(call, entry, identified), entry, call.input, call.iatWindowSec), noteRph);
  }

  /** One sign record per request, written once the work ends (ok with what `noteOk` adds, or its refusal). */
  function logged<T>(transport: Transport, work: (entry: RequestLogRecord) => Promise<T>, noteOk: (entry: RequestLogRecord, result: T) => void): Promise<T> {
    const entry = blankLogRecord('sign', transport, new Date(clock.now()));
    return withRequestLog(log, entry, () => work(entry), (result) => {
      entry.outcome = 'ok';
      noteOk(entry, result);
    });
  }

  function validated(entry: RequestLogRecord, caller: CallerContext, input: unknown, headerAttest: unknown, date?: CallDate): SignRequest {
    entry.accountId = caller.accountId;
    entry.apiKeyId = caller.apiKeyId ?? null;
    const request = parseSignInput(input, headerAttest);
    entry.passports = 'shaken';
    if (date !== undefined) request.iat = iatOfDate(date);
    entry.orig = 'tn' in request.orig ? request.orig.tn : request.orig.uri;
    entry.dest = destForLog(request);
    entry.attestRequested = request.attest ?? null;
    return request;
  }

  /** The caller of a call, noted in its log record as soon as a genuine key is seen (on a refusal too). */
  async function callerOf(call: CallerClaim, entry: RequestLogRecord, identified?: (caller: CallerContext) => void): Promise<CallerContext> {
    const who = identify(call, ids, (apiKeyId, accountId) => {
      entry.apiKeyId = apiKeyId;
      entry.accountId = accountId;
    });
    // A recalled key answers at once: no await for it on the hot path.
    const caller = who instanceof Promise ? await who : who;
    identified?.(caller);
    return caller;
  }

  function signCall(call: SignCall, identified?: (caller: CallerContext) => void): Promise<SignResult> {
    return logged(call.transport, async (entry) => {
      const caller = await callerOf(call, entry, identified);
      return signRequest(caller, validated(entry, caller, call.input, call.headerAttest, call.date), call.iatWindowSec);
    }, noteShaken);
  }

  function divCall(call: DivCall, identified?: (caller: CallerContext) => void): Promise<DivSignResult> {
    return logged(call.transport, async (entry) => signDivRequest(await callerOf(call, entry, identified), entry, call.input, call.iatWindowSec), noteDiv);
  }

  return {
    authenticator,
    sources,
    handle(call) {
      return signCall(call);
    },
    attempt(call) {
      return attempt((identified) => signCall(call, identified));
    },
    signAs(caller, input, headerAttest) {
      return logged(caller.transport, (entry) => signRequest(caller, validated(entry, caller, input, headerAttest)), noteShaken);
    },
    signDiv(caller, input) {
      return logged(caller.transport, (entry) => signDivRequest(caller, entry, input), noteDiv);
    },
    handleDiv(call) {
      return divCall(call);
    },
    attemptDiv(call) {
      return attempt((identified) => divCall(call, identified));
    },
    signRph(caller, input) {
      return logged(caller.transport, (entry) => signRphRequest(caller, entry, input), noteRph);
    },
    handleRph(call) {
      return rphCall(call);
    },
    attemptRph(call) {
      return attempt((identified) => rphCall(call, identified));
    },
    async signToken(accountId, claims) {
      const { credential } = await signer({ accountId });
      const header = base64url(JSON.stringify({ alg: 'ES256', x5u: credential.x5u }));
      return signBytes(credential, `${header}.${base64url(JSON.stringify(claims(credential.leaf.spc)))}`);
    },
    invalidate() {
      accounts.clear();
      rcdProfiles.clear();
      authenticator.invalidate();
      sources.invalidate();
    },
    async preload(accountIds) {
      const refused: { accountId: string; error: ShakenError }[] = [];
      for (const accountId of accountIds) {
        try {
          const state = await accounts.get(accountId);
          if (state.account?.enabled && state.refusal) refused.push({ accountId, error: state.refusal });
        } catch (e) {
          refused.push({ accountId, error: isShakenError(e) ? e : new ShakenError('ERR_INTERNAL', 'credential check failed', { cause: e }) });
        }
      }
      return refused;
    },
  };
}
