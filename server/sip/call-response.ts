import type { Config } from '../config/schema.js';
import type { CallResult } from '../core/call/call.js';
import { SIP_REASON_PHRASE } from '../core/verify/verify-result.js';
import { identityOf } from './call-identities.js';
import { contactHeader } from './contact.js';
import { inDialect } from './dialect-response.js';
import { SIP_STATUS, type SipStatus } from './errors.js';
import { resourcePriorityHeader } from './priority-headers.js';
import { reasonHeader, type ResponseParts } from './response.js';
import { rcdSipHeaders, signedCallInfo } from './rcd-call-info.js';

/** The settings that choose how a result is written, not what it is. */
export type CallResponseOptions = Pick<Config['sip'], 'onSignFailure' | 'reasonProtocol'>;

/**
 * A 302 with these headers, written out: not as a non-empty spread followed by properties it lacks (V8's slow case:
 * docs/architecture.md, "Nothing slow on the hot path").
 */
function moved(headers: string[]): ResponseParts {
  return { code: 302, phrase: 'Moved Temporarily', headers };
}
const FIXED: Record<'603' | '404', SipStatus> = { '603': { code: 603, phrase: 'Decline' }, '404': { code: 404, phrase: 'Not Found' } };

/**
 * A call's result as the redirect server's answer, the only place it is written: a 302 to the routes (with
 * the Identity made, or the Reason it was not, or the verstat), or the status of the SIP error table.
 */
export function responseOf(result: CallResult, opts: CallResponseOptions): ResponseParts {
  const plain = plainResponseOf(result, opts);
  // The SBC dialect of the call's SIP source (issue 15): absent, the plain answer goes out untouched.
  return result.dialect ? inDialect(plain, result, result.dialect) : plain;
}

function plainResponseOf(result: CallResult, opts: CallResponseOptions): ResponseParts {
  const contact = contactHeader(result.routes);
  switch (result.outcome) {
    case 'signed':
      if (!contact) throw new Error('the core returned a signed call without routes');
      return moved([contact, ...identityOf(result).map((value) => `Identity: ${value}`), ...signedCallInfo(result.signed.rcd)]);
    case 'forwarded':
    case 'transit':
      if (!contact) throw new Error(`the core returned a ${result.outcome} call without routes`);
      return moved([contact, ...identityOf(result).map((value) => `Identity: ${value}`)]);
    case 'refused': {
      // Never silence (STANDARDS.md): the Reason names the code, never the error's text, which may quote input.
      const status = SIP_STATUS[result.error.code];
      const reason = reasonHeader('SIP', status.code, result.error.code);
      if (contact) return moved([contact, reason]);
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
      headers.push(...resourcePriorityHeader(result.priority));
      if (rcd.callInfo !== undefined) headers.push(rcd.callInfo);
      const failure = result.verdict.failure;
      if (failure) {
        const phrase = SIP_REASON_PHRASE[failure.sip];
        headers.push(reasonHeader(opts.reasonProtocol, failure.sip, phrase));
        if (failure.stop) return { code: failure.sip, phrase, headers };
      }
      if (!contact) return { code: 404, phrase: 'Not Found', headers };
      return moved([contact, ...headers]);
    }
  }
}
