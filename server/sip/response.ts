import { randomBytes } from 'node:crypto';
import { addressTag } from './address.js';
import { splitCommaList, type SipRequest } from './message.js';

/** Where a request came from: the response goes back there (RFC 3581 symmetric response routing). */
export interface PeerAddress {
  address: string;
  port: number;
}

export interface ResponseParts {
  code: number;
  phrase: string;
  /** Extra header lines, `Name: value`, each already built from our own values. */
  headers?: readonly string[];
}

// Tags come from a pool of random bytes: one randomBytes call per 682 tags instead of one per call.
let pool = Buffer.alloc(0);
let poolOffset = 0;

/** A fresh To tag (RFC 3261 §19.3: globally unique, at least 32 bits of randomness; ours has 48). */
export function newTag(): string {
  if (poolOffset + 6 > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  poolOffset += 6;
  return pool.toString('hex', poolOffset - 6, poolOffset);
}

/**
 * The top Via as received, with `received` and `rport` filled in from the socket (RFC 3261 §18.2.1,
 * RFC 3581 §4), so a client behind NAT gets its answer. Only socket facts are added.
 */
function topVia(via: string, peer: PeerAddress): string {
  const sentBy = /^SIP\s*\/\s*2\.0\s*\/\s*\S+\s+([^;:\s]+|\[[^\]]+\])/i.exec(via)?.[1];
  let out = via;
  if (/;\s*rport(?=\s*(;|$))/i.test(out)) {
    out = out.replace(/;\s*rport(?=\s*(;|$))/i, `;rport=${peer.port}`);
    if (!/;\s*received=/i.test(out)) out += `;received=${peer.address}`;
  } else if (sentBy !== undefined && sentBy.replace(/^\[|\]$/g, '') !== peer.address && !/;\s*received=/i.test(out)) {
    out += `;received=${peer.address}`;
  }
  return out;
}

/**
 * A response to `request` (RFC 3261 §8.2.6): Via, From, To, Call-ID and CSeq mirrored, a To tag added when
 * the request had none, then our own headers. Mirrored values were checked free of CR, LF and NUL by the
 * parser; every other line is ours.
 */
export function buildResponse(request: SipRequest, peer: PeerAddress, parts: ResponseParts, toTag: string): Buffer {
  // One string, written once into one Buffer: no array of lines, no join.
  const vias = request.headers.get('via')!;
  const topLine = vias[0]!;
  // One Via line may hold several hops; only the topmost gets the socket facts. A line without a comma (every
  // common client) is one hop and is not split.
  let head = `SIP/2.0 ${parts.code} ${parts.phrase}\r\nVia: `;
  if (topLine.includes(',')) {
    const [first, ...rest] = splitCommaList(topLine);
    head += [topVia(first!, peer), ...rest].join(', ');
  } else head += topVia(topLine.trim(), peer);
  head += '\r\n';
  for (let i = 1; i < vias.length; i++) head += `Via: ${vias[i]}\r\n`;
  const to = request.headers.get('to')![0]!;
  // 100 Trying carries no tag (RFC 3261 §8.2.6.2); every other response of ours does.
  const toLine = parts.code === 100 || addressTag(to) !== undefined ? to : `${to};tag=${toTag}`;
  head += `From: ${request.headers.get('from')![0]}\r\nTo: ${toLine}\r\nCall-ID: ${request.headers.get('call-id')![0]}\r\nCSeq: ${request.headers.get('cseq')![0]}\r\n`;
  if (parts.headers) for (const h of parts.headers) head += `${h}\r\n`;
  head += 'Server: shakenstack\r\nContent-Length: 0\r\n\r\n';
  return Buffer.from(head, 'latin1');
}

/** `Reason: SIP;cause=…;text="…"` (RFC 3326), or the RFC 9410 `STIR` protocol form. Text is ours, never input. */
export function reasonHeader(protocol: 'SIP' | 'STIR', cause: number, text: string): string {
  return `Reason: ${protocol};cause=${cause};text="${text.replace(/["\\\r\n]/g, '')}"`;
}
