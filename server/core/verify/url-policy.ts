import { makeRoom } from '../oldest-first.js';
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

/** A verdict without the parsed URL: what callers that share verdicts get (a URL object is mutable). */
export type UrlJudgement = { ok: true } | { ok: false; detail: string };

const ALLOWED: UrlJudgement = Object.freeze({ ok: true });

/**
 * `checkFetchUrl`'s verdicts on x5u links, by their text. A signer's x5u is the same on every call and the verdict
 * depends on the text and the lab switch alone, so the WHATWG parse runs once per link instead of once per
 * verification (2-4 µs of a verification's event-loop time under load, issue 17). Bounded, oldest first (links
 * longer than the rule admits are refused without being kept). One per verifier, never module state.
 */
export class X5uRule {
  private readonly verdicts = new Map<string, UrlJudgement>();

  constructor(
    private readonly allowHttpX5u: boolean,
    private readonly maxEntries: number,
  ) {}

  judge(x5u: string): UrlJudgement {
    const known = this.verdicts.get(x5u);
    if (known !== undefined) return known;
    const v = checkFetchUrl(x5u, 'x5u', this.allowHttpX5u);
    const verdict: UrlJudgement = v.ok ? ALLOWED : Object.freeze({ ok: false, detail: v.detail });
    if (x5u.length <= MAX_URL_LENGTH) {
      makeRoom([this.verdicts], this.maxEntries);
      this.verdicts.set(x5u, verdict);
    }
    return verdict;
  }
}
