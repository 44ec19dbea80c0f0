import type { InviteOptions } from '../helpers/sip-client.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A sign request as the INVITE a PBX would send for it, so the shared cases run through the SIP redirect server:
 * orig → From (a number in a sip: URI, its spaces written as `-`, a visual separator of RFC 3966 §5.1.1; a URI as
 * is), the one called party → To and the Request-URI, the level asked for → X-Attestation (SIP has only the
 * header: a header override is the level sent), iat → Date (a string as the unreadable Date text it is).
 * Undefined when no INVITE can carry the request: the case's `sip` column then says why (`na`).
 */
export function signCaseInvite(body: unknown, headerAttest?: string): InviteOptions | undefined {
  if (!isObject(body) || !isObject(body.orig) || !isObject(body.dest) || body.origid !== undefined) return undefined;
  const { tn, uri } = body.orig;
  if ((tn === undefined) === (uri === undefined) || (tn !== undefined && (typeof tn !== 'string' || tn === ''))) return undefined;
  const called = [...((body.dest.tn as string[] | undefined) ?? []), ...((body.dest.uri as string[] | undefined) ?? [])];
  if (called.length !== 1) return undefined;
  const iat = body.iat;
  // A number becomes the Date it stands for; one in milliseconds stands for no date a header can hold.
  if (typeof iat === 'number' && iat > 1e11) return undefined;
  const from = typeof tn === 'string' ? `<sip:${tn.replace(/ /g, '-')}@pbx.example.net>;tag=caller1` : `<${String(uri)}>;tag=caller1`;
  const to = called[0]!.includes(':') ? called[0]! : `sip:${called[0]}@carrier.example.net`;
  const attest = headerAttest ?? (body.attest as string | undefined);
  const extra = [
    ...(attest !== undefined ? [`X-Attestation: ${attest}`] : []),
    ...(iat === undefined ? [] : [`Date: ${typeof iat === 'number' ? new Date(iat * 1000).toUTCString() : String(iat)}`]),
  ];
  return { from, to: `<${to}>`, uri: called[0]!.includes(':') ? called[0]! : `sip:${called[0]}@127.0.0.1`, extra };
}
