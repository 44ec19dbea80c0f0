import { rcdOfCallInfo } from '../rcd/call-info.js';
import { readReceivedCall } from '../div/div-from-passports.js';
import { isShakenError, ShakenError } from '../errors.js';
import { identify } from '../identify.js';
import type { RoutingService } from '../routing-service.js';
import { validRoutingTarget, type Route } from '../routing.js';
import type { SigningService } from '../sign-service.js';
import { iatOfDate } from '../sign-request.js';
import { numberOf } from '../tn.js';
import type { Orig } from '../types.js';
import type { Verifier } from '../verify/verify-service.js';
import type { Call, CallPolicy, CallRefusal, CallResult, CallVerdict } from './call.js';
import { calledNowTn, calledPartyToSign, callingAddress, divertedFromTn, partyOf, requestUriTarget } from './call-parties.js';
import { carriesSignedPassport } from './call-passports.js';
import { honouredPriority, resourcePriorityToJudge, signPriority } from './call-priority.js';

/** Signs or verifies one call and says where it goes: the one question a call transport asks the core. */
export interface CallService {
  /** STI-AS: sign the call for its calling party and route it. Never throws a ShakenError: a refusal is data. */
  signCall(call: Call): Promise<CallResult>;
  /** STI-VS: judge the call's Identity headers, the verstat for its calling number, and route it. */
  verifyCall(call: Call): Promise<CallResult>;
}

export interface CallServiceDeps {
  signing: SigningService;
  routing: Pick<RoutingService, 'routesFor'>;
  verifier: Verifier;
  policy: CallPolicy;
}

function refusalOf(e: ShakenError): CallRefusal {
  return e.field === undefined ? { code: e.code, reason: e.reason } : { code: e.code, reason: e.reason, field: e.field };
}

/**
 * The call-level service (STYLE.md §10). Every ShakenError is an answer a call can get (a 503 for a key store
 * that is down is an answer too), so it comes back as a `refused` result; anything else is a fault and throws.
 */
export function createCallService(deps: CallServiceDeps): CallService {
  const { signing, routing, verifier, policy } = deps;

  async function routesFor(accountId: string | undefined, destTn: string | undefined, target: string | undefined): Promise<Route[]> {
    return (await routing.routesFor(accountId, destTn, target)).routes;
  }

  /**
   * A call not signed (or whose caller is unknown). It is sent on without Identity when the policy says so and
   * the caller is one we route for: a refusal of who is calling (ERR_AUTH_*) goes nowhere.
   */
  async function refused(error: ShakenError, accountId: string | undefined, called: Orig | undefined, target: string | undefined): Promise<CallResult> {
    const routable = policy.routeUnsigned && accountId !== undefined && !error.code.startsWith('ERR_AUTH_');
    const destTn = called && 'tn' in called ? numberOf(called.tn) : undefined;
    return { outcome: 'refused', accountId, routes: routable ? await routesFor(accountId, destTn, target) : [], error: refusalOf(error) };
  }

  /** The caller's account without signing anything, for a call refused before it reached the signer. */
  async function accountOf(call: Call): Promise<string | undefined> {
    try {
      return (await identify(call, signing)).accountId;
    } catch (e) {
      if (isShakenError(e)) return undefined;
      throw e;
    }
  }

  /** The caller's account, or the refusal of a caller that cannot be told (ERR_AUTH_*: such a call goes nowhere). */
  async function callerAccount(call: Call): Promise<{ accountId: string } | { refusal: CallResult }> {
    try {
      return { accountId: (await identify(call, signing)).accountId };
    } catch (e) {
      if (!isShakenError(e)) throw e;
      return { refusal: await refused(e, undefined, undefined, undefined) };
    }
  }

  /**
   * A call refused before the signer saw it: its caller is identified first, so a stranger is told only that
   * (ERR_AUTH_*), never what else is wrong with its call.
   */
  async function refusedBeforeSigning(call: Call, error: ShakenError, calledTn: string | undefined, target: string | undefined): Promise<CallResult> {
    const caller = await callerAccount(call);
    if ('refusal' in caller) return caller.refusal;
    return refused(error, caller.accountId, calledTn === undefined ? undefined : { tn: calledTn }, target);
  }

  /** The refusal of a call the routing service sends nowhere. */
  function nowhere(accountId: string): CallResult {
    const error = new ShakenError('ERR_URI_INVALID', 'the call has nowhere to go: no routing rule matches and the Request-URI is not a sip: or sips: URI', { field: 'requestUri' });
    return { outcome: 'refused', accountId, routes: [], error: refusalOf(error) };
  }

  /**
   * A call that arrives signed (a shaken or div Identity header): we are a hop of its path, not its origin, so
   * the originator's PASSporT is kept, never replaced (RFC 8224 §6.1: only the originating provider attests
   * the caller). Two cases, told apart by the number called now and the last hop's dest (RFC 8946 §3):
   *  - retargeted (the number called now is not in that dest): sign a div for this hop, `div` being the number
   *    the call was diverted from (History-Info or Diversion when the dest held several; the signer checks it
   *    against the dest and refuses a contradiction), and send the call on with every Identity it had plus
   *    the div (`forwarded`);
   *  - not retargeted: no div may be made, and re-signing would replace the originator's attestation with
   *    ours; the call goes on with its Identity headers unchanged (`transit`), nothing signed or logged.
   * Routes are the account's for the number called now, as for a call we sign.
   */
  async function extendSigned(call: Call, identities: readonly string[], target: string | undefined): Promise<CallResult> {
    const calledTn = calledNowTn(call);
    let retargeted: boolean;
    let div: string | undefined;
    let iat: number | undefined;
    try {
      if (calledTn === undefined) throw new ShakenError('ERR_TN_INVALID', 'a signed call must be called at a number: neither the Request-URI nor To holds one', { field: 'requestUri' });
      // Read again by the signer for a div; read here to tell a retargeted call from one in transit.
      retargeted = !readReceivedCall(identities).lastDest.tns.includes(calledTn);
      if (retargeted) {
        div = divertedFromTn(call, calledTn);
        // RFC 8224 §4.1: iat is the call's Date; an unreadable Date is refused as for a call we sign.
        iat = call.date === undefined ? undefined : iatOfDate(call.date);
      }
    } catch (e) {
      if (!isShakenError(e)) throw e;
      return refusedBeforeSigning(call, e, calledTn, target);
    }

    if (!retargeted) {
      const caller = await callerAccount(call);
      if ('refusal' in caller) return caller.refusal;
      const routes = await routesFor(caller.accountId, calledTn, target);
      return routes.length === 0 ? nowhere(caller.accountId) : { outcome: 'transit', accountId: caller.accountId, routes, received: identities };
    }

    const input: Record<string, unknown> = { identity: identities, dest: { tn: [calledTn] } };
    if (div !== undefined) input.div = { tn: div };
    if (iat !== undefined) input.iat = iat;
    const attempt = await signing.attemptDiv({ token: call.token, sourceAddress: call.sourceAddress, transport: call.transport, input, iatWindowSec: policy.maxDateSkewSec });
    if (!attempt.ok) return refused(attempt.error, attempt.caller?.accountId, { tn: calledTn }, target);
    const signed = attempt.value;
    const routes = await routesFor(signed.accountId, calledTn, target);
    if (routes.length === 0) return nowhere(signed.accountId);
    return { outcome: 'forwarded', accountId: signed.accountId, routes, div: signed, received: identities };
  }

  return {
    async signCall(call) {
      const called = calledPartyToSign(call);
      const uri = requestUriTarget(call);
      let target: string | undefined;
      try {
        target = uri === undefined ? undefined : validRoutingTarget(uri, 'requestUri');
      } catch (e) {
        // Checked before signing: a call that cannot be sent where it was headed leaves no token behind.
        if (!isShakenError(e)) throw e;
        return refused(e, await accountOf(call), called, undefined);
      }
      const identities = call.identities ?? [];
      if (carriesSignedPassport(identities)) return extendSigned(call, identities, target);
      const orig = partyOf(callingAddress(call));
      const input: Record<string, unknown> = { orig, dest: called === undefined ? undefined : 'tn' in called ? { tn: [called.tn] } : { uri: [called.uri] } };
      // The signalling's requested attestation and origid are the request's own (validated and capped by the
      // signer as a body's); the X-Attestation override still wins over the attestation.
      if (call.attestationInfo !== undefined) input.attest = call.attestationInfo;
      if (call.origid !== undefined) input.origid = call.origid;
      // RFC 9796: a Call-Info asking for a brand is signed only as the account's RCD profiles allow (rcd-policy.ts).
      const rcd = rcdOfCallInfo(call.callInfo, callingAddress(call));
      if (rcd !== undefined) input.rcd = rcd;
      const attempt = await signing.attempt({
        token: call.token,
        sourceAddress: call.sourceAddress,
        transport: call.transport,
        input,
        headerAttest: call.attest,
        iatWindowSec: policy.maxDateSkewSec,
        date: call.date,
      });
      if (!attempt.ok) return refused(attempt.error, attempt.caller?.accountId, called, target);
      const signed = attempt.value;
      const routes = await routesFor(signed.accountId, signed.dest.tn?.[0], target);
      if (routes.length === 0) return nowhere(signed.accountId);
      const rph = await signPriority(signing, call, orig, signed);
      return rph === undefined ? { outcome: 'signed', accountId: signed.accountId, routes, signed } : { outcome: 'signed', accountId: signed.accountId, routes, signed, rph };
    },

    async verifyCall(call) {
      const identities = call.identities !== undefined && call.identities.length > 0 ? call.identities : undefined;
      // RFC 8224 §6.2.2: without Identity where one is required the answer is 428, whoever sends the call.
      if (!identities && policy.requireIdentity && !verifier.retrievesOutOfBand) return { outcome: 'identity-required', accountId: undefined, routes: [] };
      const calling = callingAddress(call);
      // ATIS-1000074 §5.3.1: the verstat goes on the calling number, read from the call, never copied text.
      const callingTn = numberOf(calling);
      const stop = !policy.routeFailedVerification;
      // The number called now (the Request-URI's, else To's): where a forwarded call's chain must end (RFC 8946 §4)
      // and the number it is routed for; To may still hold the number first dialled.
      const calledNow = calledNowTn(call);
      const onward = async (accountId: string | undefined, verdict: CallVerdict) =>
        verdict.failure?.stop ? [] : await routesFor(accountId, calledNow, routableRequestUri(call));

      // Without Identity the call is verified only when the verifier can look it up out of band (RFC 8816).
      if (!identities && !verifier.retrievesOutOfBand) {
        // Nothing was verified, so nothing goes in the request log: only the account is needed, for the routes.
        let accountId: string;
        try {
          accountId = (await identify(call, signing)).accountId;
        } catch (e) {
          if (!isShakenError(e)) throw e;
          return refused(e, undefined, undefined, undefined);
        }
        const verdict: CallVerdict = { verstat: 'No-TN-Validation' };
        return { outcome: 'no-identity', accountId, routes: await onward(accountId, verdict), verdict, callingTn };
      }

      // The call as the verifier's request: the same validation as the HTTP and gRPC verify APIs. Every Identity
      // header goes (shaken, div, rcd: the verifier judges them as one call), and the number called now as `ruri`.
      const input: Record<string, unknown> = { from: calling ?? '', to: call.to };
      if (identities) input.identity = identities;
      if (calledNow !== undefined) input.ruri = calledNow;
      if (call.date?.readable) input.time = call.date.sec;
      const resourcePriority = resourcePriorityToJudge(call);
      if (resourcePriority !== undefined) input.resourcePriority = resourcePriority;
      const attempt = await verifier.attempt({ token: call.token, sourceAddress: call.sourceAddress, transport: call.transport, input });
      const accountId = attempt.caller?.accountId;
      if (!attempt.ok) {
        if (accountId === undefined) return refused(attempt.error, undefined, undefined, undefined);
        // A caller or callee that is not a number (or Identity headers that cannot be read) cannot be validated.
        const verdict: CallVerdict = { verstat: 'No-TN-Validation', failure: { sip: 438, stop } };
        return { outcome: 'unverifiable', accountId, routes: await onward(accountId, verdict), verdict, callingTn, error: refusalOf(attempt.error) };
      }
      const verified = attempt.value;
      const verdict: CallVerdict = verified.ok ? { verstat: verified.verstat } : { verstat: verified.verstat, failure: { sip: verified.sip, stop } };
      const outcome = verified.ok ? 'verified' : 'verify-failed';
      const priority = honouredPriority(resourcePriority, verified);
      return { outcome, accountId, routes: await onward(accountId, verdict), verdict, callingTn, verified, ...(priority === undefined ? {} : { priority }) };
    },
  };
}

/** The Request-URI as a route for a verified call; one that cannot be a Contact is no route. */
function routableRequestUri(call: Call): string | undefined {
  const uri = requestUriTarget(call);
  if (uri === undefined) return undefined;
  try {
    return validRoutingTarget(uri, 'requestUri');
  } catch {
    return undefined;
  }
}
