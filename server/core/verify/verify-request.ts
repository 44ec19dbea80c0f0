import { ShakenError } from '../errors.js';
import { parseResourcePriority } from '../rph/resource-priority.js';
import { tnFromAddress } from '../tn.js';
import { MAX_IDENTITY_HEADERS } from './identity-header.js';

/** What a transport hands the verifier, already decoded from its wire format. */
export interface VerifyRequest {
  /** The Identity header value(s) as received; several for shaken + div + rcd. */
  identity: string | readonly string[];
  /** Canonical calling number from P-Asserted-Identity, else From; orig is compared with it when given. */
  origTn?: string;
  /** Canonical called numbers (To); each must be among dest.tn when given. */
  destTn?: readonly string[];
  /**
   * The canonical number called now (the Request-URI's): where a forwarded call's chain of div PASSporTs must
   * end (RFC 8946 §4). Only a call judged as a chain uses it; undefined: the first of `destTn`.
   */
  ruri?: string;
  /** The SIP Date header in seconds since the epoch; checked for freshness when given (RFC 8224 §6.2.1). */
  dateSec?: number;
  /**
   * The call's Resource-Priority r-values (RFC 4412), lower-case: the result says which of them the call's rph
   * PASSporTs authorise (RFC 8443). Given, the call is judged as a call (with `call.priority`) even with one header.
   */
  resourcePriority?: string[];
}

function numberField(body: Record<string, unknown>, names: readonly string[]): { name: string; value: unknown } | undefined {
  for (const name of names) if (body[name] !== undefined && body[name] !== null) return { name, value: body[name] };
  return undefined;
}

/** `"…"`, `{"tn":"…"}`: one calling number. */
function oneNumber(f: { name: string; value: unknown }): string {
  const v = f.value;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return tnFromAddress((v as Record<string, unknown>).tn, `${f.name}.tn`);
  return tnFromAddress(v, f.name);
}

/** `"…"`, `["…"]`, `{"tn":"…"}`, `{"tn":["…"]}`: called numbers. */
function someNumbers(f: { name: string; value: unknown }): string[] {
  let v = f.value;
  let field = f.name;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    v = (v as Record<string, unknown>).tn;
    field = `${f.name}.tn`;
  }
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0 || list.length > 100) throw new ShakenError('ERR_REQ_FIELD_INVALID', 'give 1 to 100 called numbers', { field });
  return list.map((x, i) => tnFromAddress(x, Array.isArray(v) ? `${field}[${i}]` : field));
}

function bodyOf(input: unknown): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ShakenError('ERR_REQ_MALFORMED', 'the request body must be a JSON object');
  }
  return input as Record<string, unknown>;
}

function identityAbsent(identity: unknown): boolean {
  return identity === undefined || identity === null || identity === '';
}

/**
 * Checks a verification request body: `{identity, pai?|from?|orig?, to?|dest?, ruri?, time?|date?, resourcePriority?}`
 * (see docs/verification.md).
 * A malformed request is the caller's error (ShakenError, HTTP 400); a bad token in a well-formed request is
 * a verification outcome, judged later.
 */
export function parseVerifyInput(input: unknown): VerifyRequest {
  const body = bodyOf(input);
  const identity = body.identity;
  if (identityAbsent(identity)) {
    throw new ShakenError('ERR_REQ_FIELD_MISSING', 'identity is required: the Identity header value', { field: 'identity' });
  }
  const validList = Array.isArray(identity) && identity.length > 0 && identity.length <= MAX_IDENTITY_HEADERS && identity.every((x) => typeof x === 'string' && x !== '');
  if (typeof identity !== 'string' && !validList) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', `identity must be a string or an array of 1 to ${MAX_IDENTITY_HEADERS} strings`, { field: 'identity' });
  }
  return { identity: identity as string | string[], ...partiesOf(body) };
}

/**
 * The parties and time of a body that carries no identity (an SBC heartbeat, core/heartbeat.ts), or undefined
 * when it carries one or does not parse: such a body is then `parseVerifyInput`'s to refuse, with its errors.
 */
export function identitylessParties(input: unknown): Omit<VerifyRequest, 'identity'> | undefined {
  try {
    const body = bodyOf(input);
    return identityAbsent(body.identity) ? partiesOf(body) : undefined;
  } catch (e) {
    if (e instanceof ShakenError) return undefined;
    throw e;
  }
}

function partiesOf(body: Record<string, unknown>): Omit<VerifyRequest, 'identity'> {
  const request: Omit<VerifyRequest, 'identity'> = {};
  // P-Asserted-Identity beats From (STANDARDS.md); `orig` is the PASSporT-shaped alias.
  const calling = numberField(body, ['pai', 'from', 'orig']);
  if (calling) request.origTn = oneNumber(calling);
  const called = numberField(body, ['to', 'dest']);
  if (called) request.destTn = someNumbers(called);
  const ruri = numberField(body, ['ruri']);
  if (ruri) request.ruri = oneNumber(ruri);
  if (body.time !== undefined && body.time !== null) {
    if (typeof body.time !== 'number' || !Number.isSafeInteger(body.time) || body.time < 0) {
      throw new ShakenError('ERR_REQ_FIELD_INVALID', 'time must be whole seconds since the epoch (the SIP Date)', { field: 'time' });
    }
    request.dateSec = body.time;
  } else if (body.date !== undefined && body.date !== null) {
    const ms = typeof body.date === 'string' ? Date.parse(body.date) : NaN;
    if (!Number.isFinite(ms)) throw new ShakenError('ERR_REQ_FIELD_INVALID', 'date must be a SIP Date header value (RFC 7231 IMF-fixdate)', { field: 'date' });
    request.dateSec = Math.floor(ms / 1000);
  }
  if (body.resourcePriority !== undefined && body.resourcePriority !== null) request.resourcePriority = parseResourcePriority(body.resourcePriority, 'resourcePriority');
  return request;
}
