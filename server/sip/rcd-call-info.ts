import type { RcdReport, RcdSigned } from '../core/rcd/rcd-types.js';

/**
 * What the verify-mode 302 says of a call's Rich Call Data (RFC 9796): only what verified (RFC 9795 §4) goes
 * on, so the terminating side can replace the call's own Call-Info with it and unverified RCD is dropped.
 *  - the verified name as the display name of the P-Asserted-Identity carrying verstat (RFC 9796: the
 *    calling name is a display name);
 *  - one Call-Info: `<icn>;purpose=icon`, `<jcl>;purpose=jcard` (the token RFC 9796 registers; its drafts said
 *    `rcd-jcard`), and `call-reason="…"`; a reason without a link goes on the null data URI, `<data:>;purpose=jcard`.
 *    RFC 9796 also defines `verified` and `integrity` parameters; their text could not be read here, so they are not
 *    written (docs/branded-calls.md, Standards): the verified items are told apart by being the only ones. An inline
 *    jCard (`jcd`) is not passed on (a data URI of JSON would need percent-encoding that RFC 9796 does not show).
 * Everything comes from a PASSporT someone else signed: text with control characters and URLs that are not plain
 * https are left out rather than escaped into a header.
 */
export interface RcdSipHeaders {
  displayName?: string;
  callInfo?: string;
}

/**
 * RFC 3261 §25.1 quoted-string: no control characters; `"` and `\` are escaped; UTF-8 allowed. Responses are
 * written as latin1 (one byte per char, response.ts), so the UTF-8 bytes are handed over one char each.
 */
function quoted(text: string): string | undefined {
  if (/[\u0000-\u001f\u007f-\u009f]/.test(text) || text.length === 0) return undefined;
  return Buffer.from(`"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`, 'utf8').toString('latin1');
}

function plainHttps(url: string): string | undefined {
  return /^https:\/\/[\x21-\x7e]+$/.test(url) && !/[<>"\\]/.test(url) ? url : undefined;
}

export function rcdSipHeaders(report: RcdReport | undefined): RcdSipHeaders {
  if (report === undefined) return {};
  const v = report.verified;
  const out: RcdSipHeaders = {};
  const name = v.nam === undefined ? undefined : quoted(v.nam);
  if (name !== undefined) out.displayName = name;
  const entries: string[] = [];
  const icn = v.icn === undefined ? undefined : plainHttps(v.icn);
  if (icn !== undefined) entries.push(`<${icn}>;purpose=icon`);
  const jcl = v.jcl === undefined ? undefined : plainHttps(v.jcl);
  if (jcl !== undefined) entries.push(`<${jcl}>;purpose=jcard`);
  const reason = v.crn === undefined ? undefined : quoted(v.crn);
  if (reason !== undefined) {
    if (entries.length === 0) entries.push('<data:>;purpose=jcard');
    entries[entries.length - 1] += `;call-reason=${reason}`;
  }
  if (entries.length > 0) out.callInfo = `Call-Info: ${entries.join(', ')}`;
  return out;
}

/**
 * What the sign-mode 302 adds for a branded call besides its Identity headers (the rcd PASSporT's, when the claims
 * went in one, is among them: call-identities.ts): the Call-Info of what was signed (RFC 9796: the call's RCD in
 * one Call-Info, matching its PASSporT), for the SBC to put on the onward INVITE in place of the one it received.
 */
export function signedCallInfo(signed: RcdSigned | undefined): string[] {
  if (signed === undefined) return [];
  const { rcd, crn } = signed.claims;
  // Object.assign, not a non-empty spread followed by properties it lacks (V8's slow case: docs/architecture.md,
  // "Nothing slow on the hot path").
  const verified = crn === undefined ? rcd : Object.assign({}, rcd, { crn });
  const info = rcdSipHeaders({ ok: true, placement: signed.placement, verified, failed: [] }).callInfo;
  return info === undefined ? [] : [info];
}
