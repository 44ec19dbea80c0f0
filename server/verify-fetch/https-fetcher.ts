import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import { checkFetchUrl } from '../core/verify/url-policy.js';
import type { FetchKind, CertificateFetcher } from '../core/verify/verify-ports.js';
import { isForbiddenAddress } from './address-policy.js';
import { maxAgeMs } from './cache-directives.js';

export interface HttpsFetcherOptions {
  /** Labs and tests only: fetch x5u over http too (the scheme rule; CRLs may always be http). Never the default. */
  allowHttpX5u?: boolean;
  /** Labs and tests only: connect to loopback, private and special-purpose addresses (the address rule), x5u and CRL alike. */
  allowPrivateAddresses?: boolean;
  /** Whole fetch, DNS to last byte, redirects included. */
  timeoutMs: number;
  /** Largest body for an x5u; CRLs get `crlMaxBytes`. */
  maxBytes: number;
  /** Default 1 MiB: a CRL of a busy CA is larger than any certificate chain. */
  crlMaxBytes?: number;
  /** PEM CA certificates trusted for the TLS connection besides Node's bundled roots (a lab's own TLS CA). */
  tlsCa?: string | readonly string[];
  /** Largest body of linked RCD content (a logo, a jCard; RFC 9795). Default 256 KiB. */
  rcdMaxBytes?: number;
  /** Same-origin redirects followed for x5u and CRLs; a redirect elsewhere is refused. Default 3. RCD content: none. */
  maxRedirects?: number;
  now?: () => number;
}

const REFUSED = 'ERR_SHAKENSTACK_FETCH_REFUSED';
/** Said with every address refusal, so a lab operator finds the one switch that lifts it. */
const LAB_HINT = ' (verify.allowPrivateAddresses admits it in labs)';
const TIMEOUT = 'ERR_SHAKENSTACK_FETCH_TIMEOUT';
const TOO_LARGE = 'ERR_SHAKENSTACK_FETCH_TOO_LARGE';

function codedError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * Resolves the name, then refuses when any address is private or special-purpose. net.connect connects to
 * what this returns, so the address checked is the address used: a second DNS answer cannot slip in (no
 * time-of-check/time-of-use gap, the classic DNS-rebinding hole of "resolve, check, then fetch by name").
 */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, family: options.family, hints: options.hints }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      if (addresses.length === 0) return callback(codedError('ENOTFOUND', `${hostname} has no address`), '', 0);
      const bad = allowPrivate ? undefined : addresses.find((a) => isForbiddenAddress(a.address));
      if (bad) return callback(codedError(REFUSED, `address rule: ${hostname} resolves to ${bad.address}, a loopback, private or special-purpose address${LAB_HINT}`), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

function describe(e: unknown): { failure: 'refused' | 'unreachable'; detail: string } {
  const err = e as NodeJS.ErrnoException;
  if (err.code === REFUSED) return { failure: 'refused', detail: err.message };
  if (err.code === TIMEOUT || err.code === TOO_LARGE) return { failure: 'unreachable', detail: err.message };
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return { failure: 'unreachable', detail: `DNS: ${err.code} ${(err as { hostname?: string }).hostname ?? ''}`.trim() };
  if (typeof err.code === 'string' && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO/.test(err.code)) return { failure: 'unreachable', detail: `TLS: ${err.code}` };
  return { failure: 'unreachable', detail: err.code ? `${err.code}: ${err.message}` : err.message };
}

const ACCEPT: Record<FetchKind, string> = {
  x5u: 'application/pem-certificate-chain, application/x-pem-file, application/pkix-cert;q=0.9, */*;q=0.5',
  crl: 'application/pkix-crl, application/x-pem-file;q=0.9, */*;q=0.5',
  rcd: 'image/png, image/jpeg, image/svg+xml, application/json, application/vcard+json;q=0.9',
};

/**
 * The verifier's fetcher over node:http/node:https: the scheme rule of `checkFetchUrl` (x5u https only unless
 * `allowHttpX5u`; CRLs http or https), no private addresses unless `allowPrivateAddresses` (checked on the
 * resolved address actually connected to), same-origin redirects only, one deadline for everything, a body
 * cap. Every failure is a `FetchResult`, never a throw.
 */
export function createHttpsFetcher(opts: HttpsFetcherOptions): CertificateFetcher {
  const allowHttpX5u = opts.allowHttpX5u === true;
  const allowPrivate = opts.allowPrivateAddresses === true;
  const lookup = guardedLookup(allowPrivate);
  const ca = opts.tlsCa === undefined ? undefined : [...rootCertificates, ...(typeof opts.tlsCa === 'string' ? [opts.tlsCa] : opts.tlsCa)];
  const maxRedirects = opts.maxRedirects ?? 3;
  const now = opts.now ?? Date.now;

  function once(url: URL, kind: FetchKind, limit: number, signal: AbortSignal): Promise<{ res: IncomingMessage; body: Buffer | undefined }> {
    return new Promise((resolve, reject) => {
      const host = url.hostname.replace(/^\[|\]$/g, '');
      // An IP literal never goes through lookup, so it is checked here.
      if (isIP(host) !== 0 && !allowPrivate && isForbiddenAddress(host)) {
        reject(codedError(REFUSED, `address rule: ${host} is a loopback, private or special-purpose address${LAB_HINT}`));
        return;
      }
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send({
        method: 'GET',
        protocol: url.protocol,
        hostname: host,
        port: url.port || undefined,
        path: url.pathname,
        headers: { accept: ACCEPT[kind], 'user-agent': 'shakenstack-sti-vs' },
        lookup,
        ca,
        agent: false,
        signal,
      });
      // The first cause wins: a body over the cap or the deadline, rather than the socket error it provokes.
      let fault: Error | undefined;
      const fail = (e: unknown) => reject(fault ?? (signal.aborted ? signal.reason : e));
      const stop = (e: Error) => {
        fault ??= e;
        req.destroy(e);
      };
      req.on('error', fail);
      req.once('response', (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          resolve({ res, body: undefined });
          return;
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > limit) {
          stop(codedError(TOO_LARGE, `the body is ${declared} bytes, more than the ${limit}-byte limit`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limit) stop(codedError(TOO_LARGE, `the body is more than the ${limit}-byte limit`));
          else chunks.push(chunk);
        });
        let ended = false;
        res.once('end', () => {
          ended = true;
          // A body that arrived whole in one read ends even after the cap stopped it: that is no body at all.
          if (fault) reject(fault);
          else resolve({ res, body: Buffer.concat(chunks) });
        });
        res.on('error', fail);
        // A connection cut mid-body may end with 'close' alone; without this the fetch would wait forever.
        res.once('close', () => {
          if (!ended) fail(codedError('ECONNRESET', 'the connection closed before the body ended'));
        });
      });
      req.end();
    });
  }

  return {
    async fetch(raw, kind) {
      const limit = kind === 'crl' ? (opts.crlMaxBytes ?? 1_048_576) : kind === 'rcd' ? (opts.rcdMaxBytes ?? 262_144) : opts.maxBytes;
      // RCD content is digested as served at the URL the signer named (RFC 9795 §4): a redirect is not followed.
      const redirects = kind === 'rcd' ? 0 : maxRedirects;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(codedError(TIMEOUT, `no complete answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
      try {
        const first = checkFetchUrl(raw, kind, allowHttpX5u);
        if (!first.ok) return { ok: false, failure: 'refused', detail: first.detail };
        let url = first.url;
        for (let hops = 0; ; hops++) {
          const { res, body } = await once(url, kind, limit, controller.signal);
          const status = res.statusCode ?? 0;
          const location = res.headers.location;
          if ([301, 302, 303, 307, 308].includes(status) && location) {
            if (kind === 'rcd') return { ok: false, failure: 'refused', detail: `a redirect (HTTP ${status}); RCD content must be served at its own URL` };
            if (hops >= redirects) return { ok: false, failure: 'unreachable', detail: `more than ${redirects} redirects` };
            let next: URL;
            try {
              next = new URL(location, url);
            } catch {
              return { ok: false, failure: 'unreachable', detail: 'a redirect with an invalid Location' };
            }
            // A redirect may move the path, never the origin: the signer vouches for its x5u's host, not for where it sends us.
            if (next.origin !== url.origin) return { ok: false, failure: 'refused', detail: `redirect to another origin (${next.origin})` };
            const again = checkFetchUrl(next.href, kind, allowHttpX5u);
            if (!again.ok) return { ok: false, failure: 'refused', detail: `redirect target: ${again.detail}` };
            url = again.url;
            continue;
          }
          if (status !== 200 || body === undefined) return { ok: false, failure: 'unreachable', detail: `HTTP ${status}` };
          const type = res.headers['content-type']?.split(';')[0]?.trim().toLowerCase() || undefined;
          const date = res.headers.date;
          const expires = typeof res.headers.expires === 'string' ? res.headers.expires : undefined;
          return { ok: true, body, contentType: type, maxAgeMs: maxAgeMs(res.headers['cache-control'], expires, date, now()) };
        }
      } catch (e) {
        return { ok: false, ...describe(e) };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
