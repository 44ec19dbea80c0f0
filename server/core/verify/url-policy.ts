/** Longer URLs are refused outright: no certificate repository needs one, and they end up in logs. */
const MAX_URL_LENGTH = 2048;

export type UrlVerdict = { ok: true; url: URL } | { ok: false; detail: string };

/**
 * The rules for any URL the verifier dereferences (x5u, CRL distribution point), ATIS-1000074 §5.3.1 and
 * STANDARDS.md: an absolute https URL without userinfo, query or fragment. `allowInsecure` (labs and tests
 * only) also admits http. Addresses are judged by the fetcher after resolution, where the connection is made.
 */
export function checkFetchUrl(raw: string, allowInsecure: boolean): UrlVerdict {
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
  if (url.protocol !== 'https:' && !(allowInsecure && url.protocol === 'http:')) {
    return { ok: false, detail: `scheme ${url.protocol.replace(/:$/, '')} (https only)` };
  }
  if (url.username !== '' || url.password !== '' || /^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(raw)) return { ok: false, detail: 'URL has userinfo' };
  if (url.hostname === '') return { ok: false, detail: 'URL has no host' };
  return { ok: true, url };
}
