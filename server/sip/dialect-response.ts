import type { CallResult } from '../core/call/call.js';
import type { SbcDialect } from '../core/sbc-dialect.js';
import { identityOf } from './call-identities.js';
import { contactHeader } from './contact.js';
import type { ResponseParts } from './response.js';

/**
 * RFC 3261 §19.1.1 / §25.1: what a URI header value (`hvalue`) may hold unescaped: alphanum, `mark`
 * (`-_.!~*'()`) and `hnv-unreserved` (`[]/?:+$`). Everything else, `;` `<` `>` `=` `"` `,` `&` `@` `%` and
 * space among them, is %-escaped (§19.1.2), so the Contact's own parsing never sees the Identity's
 * punctuation and an unescaping SBC gets the header field back byte for byte.
 */
const HVALUE_ESCAPED = /[^A-Za-z0-9\-_.!~*'()[\]/?:+$]/gu;

/**
 * Header values are read and written as latin1 (message.ts, response.ts): one character is one octet on the
 * wire, so it is escaped as that octet, and unescaping gives the received octets back. A character beyond
 * latin1 (none comes from the wire; our own values are ASCII) is escaped as its UTF-8 octets.
 */
function escapeChar(c: string): string {
  const code = c.codePointAt(0)!;
  const octets = code < 0x100 ? [code] : [...Buffer.from(c, 'utf8')];
  return octets.map((o) => `%${o < 0x10 ? '0' : ''}${o.toString(16).toUpperCase()}`).join('');
}

export function escapeHvalue(value: string): string {
  return value.replace(HVALUE_ESCAPED, escapeChar);
}

/** `?Identity=…&Identity=…`: one URI header per Identity header field, in order (RFC 3261 §19.1.1). */
export function identityUriHeaders(identities: readonly string[]): string {
  return `?${identities.map((v) => `Identity=${escapeHvalue(v)}`).join('&')}`;
}

/** Header values we write must be one line of visible characters; anything else is left out, never copied. */
const HEADER_TOKEN = /^[\x21-\x7e]{1,256}$/;

/**
 * `P-Attestation-Indicator` (the verified attest) and `P-Origination-ID` (the verified origid): only for a
 * PASSporT that verified, as its verstat says TN-Validation-Passed. A failed or unverifiable one gets neither:
 * an attestation the verifier could not back must not reach the terminating side looking like a verified one.
 */
function attestationHeaders(result: CallResult): string[] {
  if (result.outcome !== 'verified' || !result.verified.ok) return [];
  const headers = [`P-Attestation-Indicator: ${result.verified.attest}`];
  if (HEADER_TOKEN.test(result.verified.origid)) headers.push(`P-Origination-ID: ${result.verified.origid}`);
  return headers;
}

/**
 * The plain answer (`plain`, as responseOf writes it) in the SBC's dialect (server/core/sbc-dialect.ts):
 *  - identityInContact: each Contact entry carries every Identity of the answer as URI headers, one
 *    `Identity=` each, in the order of the header fields; the Identity header fields stay too, so an SBC that
 *    reads them keeps working;
 *  - multipleChoices: a 302 becomes `300 Multiple Choices` (RFC 3261 §21.3.1), headers unchanged;
 *  - attestationHeaders: the P- headers follow the P-Asserted-Identity that carries the verstat.
 */
export function inDialect(plain: ResponseParts, result: CallResult, dialect: SbcDialect): ResponseParts {
  let headers = [...(plain.headers ?? [])];
  if (dialect.identityInContact && result.routes.length > 0) {
    const identities = identityOf(result);
    if (identities.length > 0) headers = headers.map((h) => (h.startsWith('Contact: ') ? contactHeader(result.routes, identityUriHeaders(identities))! : h));
  }
  if (dialect.attestationHeaders) {
    const extra = attestationHeaders(result);
    const pai = headers.findIndex((h) => h.startsWith('P-Asserted-Identity: '));
    headers.splice(pai < 0 ? headers.length : pai + 1, 0, ...extra);
  }
  const moved = plain.code === 302 && dialect.multipleChoices;
  return { code: moved ? 300 : plain.code, phrase: moved ? 'Multiple Choices' : plain.phrase, headers };
}
