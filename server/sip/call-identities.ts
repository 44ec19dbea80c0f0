import type { CallResult } from '../core/call/call.js';

/**
 * The Identity header values an answer carries, in order; the one list the 302's headers and an SBC dialect's
 * Contact URI headers are both written from.
 *  - signed: the shaken PASSporT, then a branded call's separate rcd PASSporT (RFC 9795), then a priority
 *    call's rph (RFC 8443): each in its own Identity header, beside the shaken one.
 *  - forwarded / transit: RFC 8224 §6.2 / RFC 8946 §5: a call carries several Identity header fields, each
 *    judged on its own; the ones it arrived with go on as received (one field per field received, a
 *    comma-joined one still joined, in order: the core read each as a PASSporT), then this hop's div. No
 *    History-Info or Diversion entry is added: the retargeting was done, and recorded, by whoever changed the
 *    Request-URI before us.
 */
export function identityOf(result: CallResult): string[] {
  switch (result.outcome) {
    case 'signed': {
      const identities = [result.signed.identity];
      if (result.signed.rcd?.identity !== undefined) identities.push(result.signed.rcd.identity);
      if (result.rph !== undefined) identities.push(result.rph.identity);
      return identities;
    }
    case 'forwarded':
      return [...result.received, result.div.identity];
    case 'transit':
      return [...result.received];
    default:
      return [];
  }
}
