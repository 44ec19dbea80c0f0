import type { PassportKind } from './verify-result.js';

/** One Identity header field value, split into its PASSporT and its parameters (RFC 8224 §4.1). */
export interface IdentityHeader {
  /** The field value as received, trimmed. */
  raw: string;
  /** The signed-identity-digest: the PASSporT in JWS form, exactly as received. */
  jws: string;
  /** Parameters by lower-case name; the first occurrence wins. Values unquoted; `info` keeps its angle brackets. */
  params: Record<string, string>;
  /** The URI inside `info=<…>`; undefined when the parameter is absent. */
  info: string | undefined;
  /** False when `info` is present but not in angle brackets (RFC 8224 §4.1 requires them). */
  infoBracketed: boolean;
  alg: string | undefined;
  ppt: string | undefined;
}

export type ParsedIdentity = { ok: true; header: IdentityHeader } | { ok: false; detail: string };

/** Bounds the work any one input can cause; a SHAKEN Identity header is well under 1 KB. */
export const MAX_IDENTITY_LENGTH = 8192;
export const MAX_IDENTITY_HEADERS = 16;

const JWS_CHARS = /^[A-Za-z0-9_\-.]+$/;
const PARAM_NAME = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/**
 * Splits `s` on `sep` where it is outside a quoted string and outside angle brackets: the two places
 * RFC 3261 §25.1 lets a separator character appear inside a parameter.
 */
function splitOutside(s: string, sep: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let angle = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') angle = true;
    else if (c === '>') angle = false;
    else if (c === sep && !angle) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, '$1');
  return v;
}

/**
 * Parses one Identity field value, tolerantly: parameters in any order and case, white space and folded
 * lines around separators, quoted values (`ppt="shaken"`), and a leading `Identity:` field name. It judges
 * nothing: whether the parts are acceptable is the verifier's call. Never throws.
 */
export function parseIdentityHeader(value: string): ParsedIdentity {
  if (typeof value !== 'string') return { ok: false, detail: 'the header value is not a string' };
  if (value.length > MAX_IDENTITY_LENGTH) return { ok: false, detail: `the header is longer than ${MAX_IDENTITY_LENGTH} characters` };
  // RFC 3261 §7.3.1: a folded line (CRLF then white space) is equivalent to one space.
  let raw = (value.includes('\n') ? value.replace(/\r?\n[ \t]+/g, ' ') : value).trim();
  const named = /^identity\s*:/i.exec(raw);
  if (named) raw = raw.slice(named[0].length).trim();
  // The digest holds no ';', '"' or '<' (it is base64url and dots), so the first ';' ends it; only the short
  // parameter part needs the quote-aware split.
  const semi = raw.indexOf(';');
  const jws = (semi < 0 ? raw : raw.slice(0, semi)).trim();
  const paramParts = semi < 0 ? [] : splitOutside(raw.slice(semi + 1), ';');
  if (jws === '') return { ok: false, detail: 'the header has no PASSporT before its parameters' };
  if (!JWS_CHARS.test(jws)) return { ok: false, detail: 'the PASSporT contains characters outside base64url and "."' };
  // No prototype: a parameter named `__proto__` or `constructor` is just a parameter.
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const part of paramParts) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    if (!PARAM_NAME.test(name)) return { ok: false, detail: `malformed parameter "${p.slice(0, 40)}"` };
    if (Object.hasOwn(params, name)) continue;
    params[name] = eq < 0 ? '' : unquote(p.slice(eq + 1).trim());
  }
  const rawInfo = params.info;
  let info: string | undefined;
  let infoBracketed = false;
  if (rawInfo !== undefined) {
    const m = /^<([^<>]*)>$/.exec(rawInfo);
    infoBracketed = m !== null;
    info = m ? m[1]!.trim() : rawInfo;
  }
  return { ok: true, header: { raw, jws, params, info, infoBracketed, alg: params.alg, ppt: params.ppt } };
}

/** Splits input into field values: an array of header values, each possibly comma-joined by a proxy. */
export function identityValues(input: string | readonly string[]): string[] {
  const list: readonly unknown[] = Array.isArray(input) ? input : [input];
  const out: string[] = [];
  for (const item of list) {
    if (typeof item !== 'string') continue;
    // RFC 8224 defines no list form, but proxies do join repeated fields with commas; a JWS has no comma.
    const split = item.includes(',') && item.length <= MAX_IDENTITY_LENGTH * MAX_IDENTITY_HEADERS;
    for (const v of split ? splitOutside(item, ',') : [item]) {
      if (v.trim() !== '') out.push(v);
    }
  }
  return out;
}

/** The `ppt` a header's PASSporT names in its protected header, or undefined when it does not decode. */
export function headerPpt(jws: string): unknown {
  const dot = jws.indexOf('.');
  if (dot <= 0) return undefined;
  try {
    const h = JSON.parse(Buffer.from(jws.slice(0, dot), 'base64url').toString('utf8')) as unknown;
    return typeof h === 'object' && h !== null ? (h as Record<string, unknown>).ppt : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A call's Identity headers read once: the field values (at most MAX_IDENTITY_HEADERS), each parsed, with the
 * kind of PASSporT it carries. Every later step (choosing the path, the log record, the chain) uses this
 * instead of parsing the headers again.
 */
export interface ReadIdentities {
  /** How many field values the call carried, including any beyond the limit. */
  total: number;
  values: string[];
  parsed: ParsedIdentity[];
  kinds: PassportKind[];
}

/** RFC 8224 §4.1: the ppt parameter names the PASSporT's ppt; without it, the PASSporT header says. */
export function kindOf(ident: IdentityHeader): { kind: PassportKind; ppt: string | undefined } {
  const raw = ident.ppt ?? headerPpt(ident.jws);
  const ppt = typeof raw === 'string' ? raw.toLowerCase() : undefined;
  const kind: PassportKind = ppt === 'shaken' || ppt === 'div' || ppt === 'div-o' || ppt === 'rph' || ppt === 'rcd' ? ppt : 'other';
  return { kind, ppt };
}

export function readIdentities(input: string | readonly string[]): ReadIdentities {
  const all = identityValues(input);
  const values = all.slice(0, MAX_IDENTITY_HEADERS);
  const parsed = values.map(parseIdentityHeader);
  // A header that does not parse is `other`.
  const kinds = parsed.map((p) => (p.ok ? kindOf(p.header).kind : 'other'));
  return { total: all.length, values, parsed, kinds };
}

export type Selection = { ok: true; header: IdentityHeader } | { ok: false; reason: 'identity_malformed' | 'no_shaken_identity'; detail: string };

/**
 * Picks the SHAKEN one among several Identity headers (shaken, div, rcd: RFC 8946, RFC 9795): the first with
 * `ppt=shaken`, else the first without a `ppt` parameter whose PASSporT header says shaken. A lone header is
 * without a `ppt` parameter is returned whatever its PASSporT says, so that it is judged (and refused) for
 * what is wrong with it.
 */
export function selectShakenIdentity(input: string | readonly string[]): Selection {
  return selectShaken(readIdentities(input));
}

/** `selectShakenIdentity` over headers already read. */
export function selectShaken(read: ReadIdentities): Selection {
  const { values, parsed } = read;
  if (read.total === 0) return { ok: false, reason: 'no_shaken_identity', detail: 'no Identity header was given' };
  if (read.total > MAX_IDENTITY_HEADERS) return { ok: false, reason: 'identity_malformed', detail: `more than ${MAX_IDENTITY_HEADERS} Identity headers` };
  // A loop, not flatMap: V8 runs flatMap through its generic path, 0.4-0.6 µs for one header against 0.03 µs here, on
  // every verification (docs/architecture.md, "Nothing slow on the hot path").
  const headers: IdentityHeader[] = [];
  for (const p of parsed) if (p.ok) headers.push(p.header);
  const byParam = headers.find((h) => h.ppt !== undefined && h.ppt.toLowerCase() === 'shaken');
  if (byParam) return { ok: true, header: byParam };
  const byPassport = headers.find((h) => h.ppt === undefined && headerPpt(h.jws) === 'shaken');
  if (byPassport) return { ok: true, header: byPassport };
  if (parsed.length === 1) {
    const only = parsed[0]!;
    if (!only.ok) return { ok: false, reason: 'identity_malformed', detail: only.detail };
    if (only.header.ppt === undefined) return { ok: true, header: only.header };
  }
  const seen = headers.map((h) => h.ppt ?? '(none)');
  return { ok: false, reason: 'no_shaken_identity', detail: `${values.length} headers, ppt ${seen.length ? seen.join(', ') : 'unreadable'}` };
}
