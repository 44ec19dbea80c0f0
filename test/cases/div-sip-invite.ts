import type { InviteOptions } from '../helpers/sip-client.js';
import { ORIG_TN } from './div-sign-cases.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The only members the drawn form can carry in an INVITE: the rest (orig, origid, ppt) have no SIP header. */
const CARRIED = new Set(['identity', 'dest', 'div', 'iat']);

/**
 * A div sign request (a row of DIV_SIGN_CASES, its body resolved) as the INVITE a forwarding switch sends the
 * redirect server, which signs a div when a signed call arrives retargeted (call-service `extendSigned`):
 * identity → one Identity header each, in order (RFC 8224 §4); the one new target dest.tn[0] → the Request-URI,
 * the number called now (To names it too: the server reads the Request-URI first, and the builder does not read
 * the PASSporTs for the number first dialled); div → a Diversion entry naming the number diverted from (RFC 5806);
 * iat → Date (RFC 8224 §4.1). From is the shaken's caller; the server takes orig from the PASSporT, not from it.
 * Undefined when no INVITE can carry the request: the row's `sip` column then says why (`na`).
 */
export function divCaseInvite(body: unknown): InviteOptions | undefined {
  if (!isObject(body) || !Object.keys(body).every((k) => CARRIED.has(k))) return undefined;
  const { identity, dest, div, iat } = body;
  // Without an Identity header the redirect server signs a shaken for the call, never a div.
  if (!Array.isArray(identity) || identity.length === 0 || !identity.every((h) => typeof h === 'string')) return undefined;
  // An INVITE has one called party, a number here: a div's new target is the Request-URI.
  if (!isObject(dest) || Object.keys(dest).join() !== 'tn' || !Array.isArray(dest.tn) || dest.tn.length !== 1 || typeof dest.tn[0] !== 'string') return undefined;
  if (div !== undefined && (!isObject(div) || Object.keys(div).join() !== 'tn' || typeof div.tn !== 'string')) return undefined;
  // A Date holds a date in seconds' precision; a number in milliseconds stands for none a header can hold.
  if (iat !== undefined && (typeof iat !== 'number' || iat > 1e11)) return undefined;
  const target = dest.tn[0];
  return {
    uri: `sip:${target}@127.0.0.1`,
    from: `<sip:${ORIG_TN}@pbx.example.net>;tag=caller1`,
    to: `<sip:${target}@carrier.example.net>`,
    extra: [
      ...identity.map((h: string) => `Identity: ${h}`),
      ...(div === undefined ? [] : [`Diversion: <sip:${div.tn as string}@pbx.example.net>;reason=unconditional;counter=1`]),
      ...(iat === undefined ? [] : [`Date: ${new Date(iat * 1000).toUTCString()}`]),
    ],
  };
}
