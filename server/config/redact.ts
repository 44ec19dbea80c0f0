/*
 * What `shakenstack config` may print. A secret setting is masked whole; a URL anywhere in the configuration
 * keeps its scheme, host, port and path (what an operator checks) and loses what can carry a credential:
 * the password of its user-info (a user name alone is masked too: `https://TOKEN@host` puts the token
 * there), every query value (`?token=`, `?password=`, a signed webhook's `sig=`) and the fragment.
 */

const MASK = '***';
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** A URL with its credentials masked, or undefined when `text` is not a URL. */
export function maskUrlCredentials(text: string): string | undefined {
  if (!URL_LIKE.test(text)) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.password) url.password = MASK;
  else if (url.username) url.username = MASK;
  const query = [...url.searchParams.keys()].map((k) => `${encodeURIComponent(k)}=${MASK}`).join('&');
  if (url.search) url.search = query;
  if (url.hash) url.hash = MASK;
  // URL adds a `/` to an empty path; keep the spelling the operator configured.
  return url.href.replace(/\/$/, text.endsWith('/') ? '/' : '');
}

/**
 * A printable copy of a configuration value: secrets (by setting) become `***` (a secret URL keeps its
 * non-secret parts), and every other string that is a URL has its credentials masked.
 */
export function redactValue(value: unknown, secret: boolean): unknown {
  if (typeof value === 'string') {
    const masked = maskUrlCredentials(value);
    if (masked !== undefined) return masked;
    return secret ? MASK : value;
  }
  if (secret && value !== undefined) return MASK;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, false));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, false)]));
  return value;
}
