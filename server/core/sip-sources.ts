import { ShakenError } from './errors.js';
import { ipv4Value, ipv6Value } from './ip-address.js';
import type { SbcDialect } from './sbc-dialect.js';
import type { SourceKind } from './types.js';

/** A block of addresses whose SIP requests belong to one account (issue 5: the trunk's source address). */
export interface SipSource {
  accountId: string;
  /** Canonical: network address with its host bits cleared, then `/prefix`. */
  cidr: string;
  sourceKind: SourceKind;
  /** How the SBC behind this block wants our 3xx written; absent is the plain dialect (sbc-dialect.ts). */
  dialect?: SbcDialect;
}

interface ParsedCidr {
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

function bigIntToIpv4(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join('.');
}

function bigIntToIpv6(n: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - i * 16)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups (RFC 5952), so one block has one spelling.
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

function mask(family: 4 | 6, prefix: number): bigint {
  const bits = family === 4 ? 32 : 128;
  return ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
}

function parseCidr(text: unknown): ParsedCidr {
  if (typeof text !== 'string' || text.length > 64) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', 'cidr must be an address or a block such as 192.0.2.0/24', { field: 'cidr' });
  }
  const [address = '', prefixText, extra] = text.trim().split('/');
  const v4 = ipv4Value(address);
  const value = v4 ?? ipv6Value(address);
  const family = v4 !== undefined ? 4 : value !== undefined ? 6 : undefined;
  const bits = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!family || value === undefined || extra !== undefined || !(prefix >= 0 && prefix <= bits)) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', `"${text.slice(0, 64)}" is not an IPv4 or IPv6 address or block`, { field: 'cidr' });
  }
  return { family, network: value & mask(family, prefix), prefix };
}

/** The one spelling of a block: host bits cleared, IPv6 compressed, a single address as /32 or /128. */
export function canonicalCidr(text: unknown): string {
  return spelling(parseCidr(text));
}

function spelling(c: ParsedCidr): string {
  return `${c.family === 4 ? bigIntToIpv4(c.network) : bigIntToIpv6(c.network)}/${c.prefix}`;
}

/** True when one block contains the other (identical blocks included); an IPv4 and an IPv6 block never overlap. */
export function cidrsOverlap(a: string, b: string): boolean {
  return parsedOverlap(parseCidr(a), parseCidr(b));
}

function parsedOverlap(x: ParsedCidr, y: ParsedCidr): boolean {
  if (x.family !== y.family) return false;
  const m = mask(x.family, Math.min(x.prefix, y.prefix));
  return (x.network & m) === (y.network & m);
}

/**
 * Decides whether `candidate` may join the table (the tenant boundary of issue 12). Blocks are never split
 * between accounts by accident: the longest-prefix lookup would hand the addresses of another account's block
 * to whoever adds a longer block inside it (or a shorter one around it), and that account's calls would be
 * signed with the wrong certificate. So a block that overlaps another account's block is refused unless an
 * admin allows it (`allowOverlap`); an identical block cannot be shared at all (one of the two would never
 * match). The refusal is worded the same whoever holds the other block and names neither the block nor its
 * account: to anyone but an admin, another account's block is not there.
 * Returns the other accounts' blocks the candidate overlaps (empty unless allowed).
 */
export function admitSipSource(candidate: SipSource, existing: readonly SipSource[], options: { allowOverlap?: boolean } = {}): SipSource[] {
  const parsed = parseCidr(candidate.cidr);
  const cidr = spelling(parsed);
  if (existing.some((s) => s.accountId === candidate.accountId && s.cidr === cidr)) {
    throw new ShakenError('ERR_REQ_CONFLICT', `${cidr} is already a SIP source of this account`, { field: 'cidr' });
  }
  // The candidate is parsed once, not once per row of the table.
  const foreign = existing.filter((s) => s.accountId !== candidate.accountId && parsedOverlap(parseCidr(s.cidr), parsed));
  if (foreign.length === 0) return [];
  if (!options.allowOverlap) {
    throw new ShakenError('ERR_REQ_CONFLICT', `${cidr} overlaps a SIP source block this account does not hold; only an administrator can allow an overlap`, { field: 'cidr' });
  }
  // Only an admin gets here, and an admin may see every block.
  if (foreign.some((s) => s.cidr === cidr)) {
    throw new ShakenError('ERR_REQ_CONFLICT', `${cidr} is another account's block exactly; an identical block cannot be shared, even with allowOverlap`, { field: 'cidr' });
  }
  return foreign;
}

/**
 * Finds the account a source address belongs to: the longest matching block wins, so a customer's /32
 * inside a carrier's /24 is the customer's. Built once per change; a lookup walks at most one map per
 * prefix length in use.
 */
export class SipSourceTable {
  private readonly byFamily: Record<4 | 6, { prefix: number; mask: bigint; blocks: Map<bigint, SipSource> }[]> = { 4: [], 6: [] };

  constructor(sources: readonly SipSource[]) {
    for (const source of sources) {
      const c = parseCidr(source.cidr);
      const levels = this.byFamily[c.family];
      let level = levels.find((l) => l.prefix === c.prefix);
      if (!level) {
        level = { prefix: c.prefix, mask: mask(c.family, c.prefix), blocks: new Map() };
        levels.push(level);
      }
      level.blocks.set(c.network, source);
    }
    for (const levels of Object.values(this.byFamily)) levels.sort((a, b) => b.prefix - a.prefix);
  }

  /** The source an address (as `net.Socket.remoteAddress` gives it) belongs to, or undefined. */
  lookup(address: string): SipSource | undefined {
    // Dual-stack sockets report IPv4 peers as `::ffff:a.b.c.d`; a link-local peer comes with its `%zone`.
    const mapped = address.startsWith('::ffff:') ? ipv4Value(address.slice(7)) : undefined;
    const v4 = mapped ?? ipv4Value(address);
    const value = v4 ?? ipv6Value(address.split('%')[0]!);
    if (value === undefined) return undefined;
    const family = v4 !== undefined ? 4 : 6;
    for (const level of this.byFamily[family]) {
      const hit = level.blocks.get(value & level.mask);
      if (hit) return hit;
    }
    return undefined;
  }
}
