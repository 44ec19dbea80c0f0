import type { Config } from '../config/schema.js';
import type { CallResult } from '../core/call/call.js';
import type { Route } from '../core/routing.js';
import { SIP_REASON_PHRASE } from '../core/verify/verify-result.js';
import { SIP_STATUS, type SipStatus } from './errors.js';
import { reasonHeader, type ResponseParts } from './response.js';
import { rcdSipHeaders, signedRcdHeaders } from './rcd-call-info.js';

/** The settings that choose how a result is written, not what it is. */
export type CallResponseOptions = Pick<Config['sip'], 'onSignFailure' | 'reasonProtocol'>;

const MOVED = { code: 302, phrase: 'Moved Temporarily' };
const FIXED: Record<'603' | '404', SipStatus> = { '603': { code: 603, phrase: 'Decline' }, '404': { code: 404, phrase: 'Not Found' } };

/** `<uri>;q=…` for each route, best first (RFC 3261 §20.10: q orders the alternatives of a 3xx). */
function contactHeader(routes: readonly Route[]): string | undefined {
  if (routes.length === 0) return undefined;
  if (routes.length === 1) return `Contact: <${routes[0]!.uri}>`;
  return `Contact: ${routes.map((r, i) => `<${r.uri}>;q=${Math.max(0.1, 1 - i * 0.1).toFixed(1)}`).join(', ')}`;
}

/**
 * A call's result as the redirect server's answer, the only place it is written: a 302 to the routes (with
 * the Identity made, or the Reason it was not, or the verstat), or the status of the SIP error table.
 */
export function responseOf(result: CallResult, opts: CallResponseOptions): ResponseParts {
  const contact = contactHeader(result.routes);
  switch (result.outcome) {
    case 'signed':
      if (!contact) throw new Error('the core returned a signed call without routes');
      return { ...MOVED, headers: [contact, `Identity: ${result.signed.identity}`, ...signedRcdHeaders(result.signed.rcd)] };
    case 'forwarded':
    case 'transit': {
      if (!contact) throw new Error(`the core returned a ${result.outcome} call without routes`);
      // RFC 8224 §6.2 / RFC 8946 §5: a call carries several Identity header fields, each judged on its own; the
      // ones it arrived with go on as received (one field per field received, a comma-joined one still joined,
      // in order: the core read each as a PASSporT), then this hop's div. No History-Info or Diversion entry is
      // added: the retargeting was done, and recorded, by whoever changed the Request-URI before us.
      const identity = result.received.map((value) => `Identity: ${value}`);
      if (result.outcome === 'forwarded') identity.push(`Identity: ${result.div.identity}`);
      return { ...MOVED, headers: [contact, ...identity] };
    }
    case 'refused': {
      // Never silence (STANDARDS.md): the Reason names the code, never the error's text, which may quote input.
      const status = SIP_STATUS[result.error.code];
      const reason = reasonHeader('SIP', status.code, result.error.code);
      if (contact) return { ...MOVED, headers: [contact, reason] };
      const answer = opts.onSignFailure === '603' || opts.onSignFailure === '404' ? FIXED[opts.onSignFailure] : status;
      return { code: answer.code, phrase: answer.phrase, headers: [reason] };
    }
    case 'identity-required':
      return { code: 428, phrase: 'Use Identity Header', headers: [reasonHeader(opts.reasonProtocol, 428, 'Use Identity Header')] };
    default: {
      const headers: string[] = [];
      // RFC 9795/9796: the RCD that verified, on a call that passed; nothing of it otherwise (rcd-call-info.ts).
      const rcd = result.outcome === 'verified' && result.verified.ok ? rcdSipHeaders(result.verified.rcd) : {};
      // ATIS-1000074 §5.3.1: verstat on the calling number, built from the canonical number, never copied text.
      if (result.callingTn !== undefined) headers.push(`P-Asserted-Identity: ${rcd.displayName === undefined ? '' : `${rcd.displayName} `}<tel:+${result.callingTn};verstat=${result.verdict.verstat}>`);
      if (rcd.callInfo !== undefined) headers.push(rcd.callInfo);
      const failure = result.verdict.failure;
      if (failure) {
        const phrase = SIP_REASON_PHRASE[failure.sip];
        headers.push(reasonHeader(opts.reasonProtocol, failure.sip, phrase));
        if (failure.stop) return { code: failure.sip, phrase, headers };
      }
      if (!contact) return { code: 404, phrase: 'Not Found', headers };
      return { ...MOVED, headers: [contact, ...headers] };
    }
  }
}
