import type { FetchKind } from './verify-ports.js';

/** Longer URLs are refused outright: no certificate repository needs one, and they end up in logs. */
const MAX_URL_LENGTH = 2048;

export type UrlVerdict = { ok: true; url: URL } | { ok: false; detail: string };

/**
 * The scheme rule, one per kind of URL:
 * - x5u: https only (ATIS-1000074 §5.3.1; STANDARDS.md). The chain at x5u is what the verifier trusts a
 *   signature to, so it comes over TLS. `allowHttpX5u` (labs only) also admits http.
 * - CRL distribution point: http or https, always. A CRL is signed by its issuer and checked against the
 *   certificates of the validated path (RFC 5280 §3.3, §6.3.3), so a plain channel cannot forge one; RFC 5280
 *   §4.2.1.13 names http as the usual scheme of a distribution point (with RFC 2585), and STI-CAs publish
 *   them that way. Other schemes (ldap, ftp) are not fetched.
 * The address rule (no loopback or private targets) is the fetcher's, judged on the resolved address.
 */
function schemeRefusal(url: URL, kind: FetchKind, allowHttpX5u: boolean): string | undefined {
  const scheme = url.protocol.replace(/:$/, '');
  if (kind === 'crl') {
    return scheme === 'https' || scheme === 'http' ? undefined : `scheme rule: a CRL distribution point is fetched over http or https, not ${scheme}`;
  }
  // RFC 9795 §5.1, §5.1.5 and RFC 9796: linked RCD content comes over https, with no lab exception.
  if (kind === 'rcd') return scheme === 'https' ? undefined : `scheme rule: RCD content (icn, jcl) is https only, not ${scheme}`;
  if (scheme === 'https' || (scheme === 'http' && allowHttpX5u)) return undefined;
  return scheme === 'http'
    ? 'scheme rule: x5u is https only, not http (verify.allowHttpX5u admits http in labs)'
    : `scheme rule: x5u is https only, not ${scheme}`;
}

/**
 * The rules for any URL the verifier dereferences (x5u, CRL distribution point), ATIS-1000074 §5.3.1 and
 * STANDARDS.md: an absolute URL of the kind's scheme (see `schemeRefusal`) without userinfo, query or
 * fragment. Addresses are judged by the fetcher after resolution, where the connection is made.
 */
export function checkFetchUrl(raw: string, kind: FetchKind, allowHttpX5u = false): UrlVerdict {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, detail: `URL longer than ${MAX_URL_LENGTH} characters` };
  // WHATWG URL parsing drops an empty query or fragment ("…?", "…#"), so look at the text as well.
  if (raw.includes('?')) return { ok: false, detail: 'URL has a query' };
  if (raw.includes('#')) return { ok: false, detail: 'URL has a fragment' };
  if (/[\s<>"\\^`{|}]/.test(raw)) return { ok: false, detail: 'URL contains characters that are not allowed in a URI' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, detail: 'not an absolute URL' };
  }
  const scheme = schemeRefusal(url, kind, allowHttpX5u);
  if (scheme !== undefined) return { ok: false, detail: scheme };
  if (url.username !== '' || url.password !== '' || /^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(raw)) return { ok: false, detail: 'URL has userinfo' };
  if (url.hostname === '') return { ok: false, detail: 'URL has no host' };
  return { ok: true, url };
}
