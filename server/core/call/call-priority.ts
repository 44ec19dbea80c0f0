import { isShakenError } from '../errors.js';
import { parseResourcePriority } from '../rph/resource-priority.js';
import type { RphSignResult } from '../rph/rph-passport.js';
import type { SigningService } from '../sign-service.js';
import type { Orig, SignResult } from '../types.js';
import type { VerifyResult } from '../verify/verify-result.js';
import type { Call } from './call.js';

/** RFC 9027 §4: the one SIP Priority value an rph PASSporT signs (`sph`), for a PSAP's call-back. */
const PSAP_CALLBACK = 'psap-callback';

/**
 * A priority call we originate (RFC 8443 §5: the rph PASSporT goes in its own Identity header beside the shaken one,
 * as ATIS and 3GPP TS 24.229 carry it): after the shaken PASSporT is signed, an INVITE whose Resource-Priority names
 * r-values gets an rph PASSporT for exactly those values, with the shaken PASSporT's orig, dest and iat.
 * All or nothing, as through the HTTP and gRPC APIs: when the account was not granted every namespace asked for (or
 * the header is not RFC 4412 r-values) the call is still signed and routed, without an rph; the core logs the
 * refused rph signing (kind sign, passports rph, its error code), so an operator sees calls asking for what they
 * may not sign. A call without Resource-Priority is not touched.
 */
export async function signPriority(signing: SigningService, call: Call, orig: Orig | undefined, signed: SignResult): Promise<RphSignResult | undefined> {
  if (call.resourcePriority === undefined || call.resourcePriority.length === 0) return undefined;
  const input: Record<string, unknown> = { orig, dest: signed.dest, rph: { auth: call.resourcePriority.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '') }, iat: signed.iat };
  if (call.priority?.trim().toLowerCase() === PSAP_CALLBACK) input.sph = PSAP_CALLBACK;
  const attempt = await signing.attemptRph({ token: call.token, sourceAddress: call.sourceAddress, transport: call.transport, input });
  return attempt.ok ? attempt.value : undefined;
}

/** A verified call's Resource-Priority values (lower-case) for the verifier, or undefined when it has none or they do not parse. */
export function resourcePriorityToJudge(call: Call): string[] | undefined {
  if (call.resourcePriority === undefined || call.resourcePriority.length === 0) return undefined;
  try {
    return parseResourcePriority(call.resourcePriority, 'resourcePriority');
  } catch (e) {
    // A header that is not RFC 4412 r-values authorises nothing: nothing of it is honoured (honouredPriority).
    if (isShakenError(e)) return [];
    throw e;
  }
}

/**
 * What a verified call's Resource-Priority may keep (RFC 8443 §5): the values an rph PASSporT of the call that passed
 * and agrees with it authorises; every other value is not to be honoured. Undefined when the call named none.
 */
export function honouredPriority(asked: readonly string[] | undefined, verified: VerifyResult): { honoured: string[]; notHonoured: string[] } | undefined {
  if (asked === undefined) return undefined;
  const authorized = verified.call?.priority?.authorized ?? [];
  return { honoured: asked.filter((v) => authorized.includes(v)), notHonoured: asked.filter((v) => !authorized.includes(v)) };
}
