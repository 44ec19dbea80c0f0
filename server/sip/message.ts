/**
 * SIP message parsing (RFC 3261 §7) for a redirect server: the start line, the headers we act on and
 * mirror, and the body length. Strict where a lenient reading could let input reach our output unchecked:
 * a bare CR, LF or NUL anywhere in the head is malformed, not repaired.
 */

/** RFC 3261 §7.3.3 compact forms, plus `y` for Identity (RFC 8224 §4). */
const COMPACT: Record<string, string> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  y: 'identity',
};

export interface SipLimits {
  /** Largest message (head and body) accepted, in bytes. */
  maxMessageBytes: number;
  /** Most header fields in one message. */
  maxHeaders: number;
}

export const DEFAULT_LIMITS: SipLimits = { maxMessageBytes: 16_384, maxHeaders: 100 };

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  /** Lower-case full header names; values in order of appearance, comma-joined lists kept as sent. */
  headers: Map<string, string[]>;
  body: Buffer;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  headers: Map<string, string[]>;
}

export type SipMessage = SipRequest | SipResponse;

/**
 * A message we refuse. `answerable` says whether enough of a request was read to send a 400 back
 * (RFC 3261 §8.2: Via, From, To, Call-ID and CSeq must be mirrored); otherwise it is dropped.
 */
export class SipParseError extends Error {
  constructor(
    readonly reason: string,
    readonly partial?: SipRequest,
  ) {
    super(reason);
    this.name = 'SipParseError';
  }
}

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const BARE_CR_LF_NUL = /\r(?!\n)|(?<!\r)\n|\0/;
const REQUEST_LINE = /^([A-Za-z0-9\-.!%*_+`'~]+) (\S+) SIP\/2\.0$/;
const STATUS_LINE = /^SIP\/2\.0 ([1-6]\d\d) [^\r\n]*$/;

/**
 * Header names as sent (a token) → the name the parser files them under: lower case, compact forms expanded. Why:
 * the same dozen names, spelt the same way by each client, head every message, and checking, lower-casing and
 * expanding each anew was a good part of parsing one (issue 17). Names enter only once checked, up to a bound, so
 * a flood of made-up names cannot grow it.
 */
const headerNames = new Map<string, string>();
const MAX_HEADER_NAMES = 512;

function canonicalName(rawName: string): string {
  const lower = rawName.toLowerCase();
  const name = COMPACT[lower] ?? lower;
  // Kept as a copy: a name cut from the message may be a slice that would keep the whole message alive.
  if (headerNames.size < MAX_HEADER_NAMES) headerNames.set(Buffer.from(rawName, 'latin1').toString('latin1'), name);
  return name;
}

/** Where the head ends (index of the blank line's CRLFCRLF), or -1. */
export function headEnd(buf: Buffer, from = 0): number {
  return buf.indexOf('\r\n\r\n', from, 'latin1');
}

/** The Content-Length a head declares, undefined when absent, NaN when malformed. */
export function declaredLength(headers: Map<string, string[]>): number | undefined {
  const values = headers.get('content-length');
  if (!values) return undefined;
  if (values.length !== 1 || !/^\d{1,9}$/.test(values[0]!)) return NaN;
  return Number(values[0]);
}

/**
 * The characters `String.prototype.trim` removes that a latin1-decoded head can hold: the parser cuts names and
 * values to the same bounds `trim` would, without making the untrimmed string first.
 */
function trimmed(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 11 || c === 12 || c === 13 || c === 160;
}

/** `s.slice(start, end).trim()`, without the untrimmed string. */
function trimmedSlice(s: string, start: number, end: number): string {
  while (start < end && trimmed(s.charCodeAt(start))) start++;
  while (end > start && trimmed(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

/**
 * Splits the head into the start line and headers. A line holding a bare CR or LF (left after splitting on
 * CRLF) or a NUL is a defect: the line is left out, never repaired or copied, and the message is refused
 * once it is known whether it can be answered. Lines are read where they lie in the head, by index: a string
 * per line and per untrimmed value was about a sixth of parsing a message (issue 17).
 */
function parseHead(head: string, limits: SipLimits): { start: string; headers: Map<string, string[]>; defect: string | undefined } {
  let eol = head.indexOf('\r\n');
  if (eol < 0) eol = head.length;
  let defect: string | undefined;
  const start = head.slice(0, eol);
  if (/[\r\n\0]/.test(start)) throw new SipParseError('bare CR, LF or NUL in the start line');
  const headers = new Map<string, string[]>();
  let count = 0;
  // The list the previous header line went into, for a continuation line (undefined after a defect).
  let last: string[] | undefined;
  // One scan of the whole head; lines are looked at one by one only when it finds something.
  const suspect = BARE_CR_LF_NUL.test(head);
  while (eol < head.length) {
    // The line is head[from, eol).
    const from = eol + 2;
    eol = head.indexOf('\r\n', from);
    if (eol < 0) eol = head.length;
    if (suspect) {
      const line = head.slice(from, eol);
      if (/[\r\n\0]/.test(line)) {
        defect ??= line.includes('\0') ? 'NUL byte in the message head' : 'bare CR or LF in the message head';
        last = undefined;
        continue;
      }
    }
    const first = head.charCodeAt(from);
    if (first === 32 || first === 9) {
      // Header folding (RFC 3261 §7.3.1): a continuation line joins the previous value with one space.
      if (!last) throw new SipParseError('continuation line before any header');
      last[last.length - 1] = `${last[last.length - 1]} ${trimmedSlice(head, from, eol)}`;
      continue;
    }
    let colon = head.indexOf(':', from);
    if (colon >= eol) colon = -1;
    let nameEnd = colon;
    while (nameEnd > from && trimmed(head.charCodeAt(nameEnd - 1))) nameEnd--;
    const rawName = colon <= from ? '' : head.slice(from, nameEnd);
    let name = headerNames.get(rawName);
    if (name === undefined) {
      if (!TOKEN.test(rawName)) {
        defect ??= colon <= from ? 'header line without a name and colon' : 'header name is not a token';
        last = undefined;
        continue;
      }
      name = canonicalName(rawName);
    }
    if (++count > limits.maxHeaders) throw new SipParseError(`more than ${limits.maxHeaders} header fields`);
    const value = trimmedSlice(head, colon + 1, eol);
    let list = headers.get(name);
    if (list) list.push(value);
    else headers.set(name, (list = [value]));
    last = list;
  }
  return { start, headers, defect };
}

/** The first value of a header, or undefined. */
export function header(m: { headers: Map<string, string[]> }, name: string): string | undefined {
  return m.headers.get(name)?.[0];
}

/** Via values one per hop: a header line may carry several comma-separated (RFC 3261 §7.3.1). */
export function viaHops(m: { headers: Map<string, string[]> }): string[] {
  return splitCommaLists(m.headers.get('via') ?? []);
}

/** The topmost Via hop (the one a response goes back by), without splitting the rest. */
export function topViaHop(m: { headers: Map<string, string[]> }): string | undefined {
  const first = m.headers.get('via')?.[0];
  if (first === undefined) return undefined;
  return first.includes(',') ? splitCommaList(first)[0] : first || undefined;
}

/** Splits a header's comma-separated list, leaving commas inside quotes or angle brackets alone. */
export function splitCommaList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '<') depth++;
    else if (ch === '>') depth = Math.max(0, depth - 1);
    else if (ch === ',' && depth === 0) {
      pushEntry(out, value, from, i);
      from = i + 1;
    }
  }
  pushEntry(out, value, from, value.length);
  return out;
}

/** The entry `value[start, end)` trimmed; an empty one (`a,,b`, a trailing comma) is dropped. */
function pushEntry(out: string[], value: string, start: number, end: number): void {
  const entry = trimmedSlice(value, start, end);
  if (entry !== '') out.push(entry);
}

/**
 * A list-valued header's entries in order across its fields (RFC 3261 §7.3.1: one field with commas or several
 * fields mean the same). A loop, not flatMap: V8 runs flatMap through its generic path on a request's way.
 */
export function splitCommaLists(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const value of values) for (const entry of splitCommaList(value)) out.push(entry);
  return out;
}

const MIRRORED = ['via', 'from', 'to', 'call-id', 'cseq'] as const;

/**
 * Parses one whole message (a UDP datagram, or a TCP frame cut by Content-Length). Throws SipParseError;
 * its `partial` is set when the request can still be answered with a 400.
 */
export function parseMessage(buf: Buffer, limits: SipLimits = DEFAULT_LIMITS): SipMessage {
  if (buf.length > limits.maxMessageBytes) throw new SipParseError(`message larger than ${limits.maxMessageBytes} bytes`);
  // Keep-alive CRLFs before a message are allowed (RFC 5626 §3.5.1 sends them on TCP).
  let offset = 0;
  while (buf[offset] === 0x0d && buf[offset + 1] === 0x0a) offset += 2;
  const end = headEnd(buf, offset);
  if (end < 0) throw new SipParseError('no blank line after the headers');
  const { start, headers, defect } = parseHead(buf.toString('latin1', offset, end), limits);
  const bodyStart = end + 4;
  const status = STATUS_LINE.exec(start);
  if (status) return { kind: 'response', status: Number(status[1]), headers };
  const request = REQUEST_LINE.exec(start);
  if (!request) throw new SipParseError('not a SIP/2.0 request or status line');
  const message: SipRequest = { kind: 'request', method: request[1]!, uri: request[2]!, headers, body: buf.subarray(bodyStart) };
  const answerable = MIRRORED.every((h) => headers.has(h)) && topViaHop(message) !== undefined;
  const fail = (reason: string): never => {
    throw new SipParseError(reason, answerable ? message : undefined);
  };
  if (defect) fail(defect);
  for (const h of MIRRORED) if (!headers.has(h)) fail(`missing ${h === 'call-id' ? 'Call-ID' : h === 'cseq' ? 'CSeq' : h[0]!.toUpperCase() + h.slice(1)} header`);
  for (const h of ['from', 'to', 'call-id', 'cseq'] as const) if (headers.get(h)!.length > 1) fail(`more than one ${h} header`);
  const cseq = /^(\d{1,10})\s+([A-Za-z]+)$/.exec(header(message, 'cseq')!);
  if (!cseq || Number(cseq[1]) > 2 ** 31 - 1) fail('malformed CSeq');
  if (cseq![2] !== message.method) fail('CSeq method does not match the request method');
  const length = declaredLength(headers);
  if (Number.isNaN(length)) fail('malformed Content-Length');
  if (length !== undefined && length !== message.body.length) {
    // On UDP the datagram is the message: a shorter body is truncation, a longer one is padding we drop.
    if (length > message.body.length) fail('body shorter than Content-Length');
    message.body = message.body.subarray(0, length);
  }
  return message;
}
