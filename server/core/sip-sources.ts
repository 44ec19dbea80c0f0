import { isIPv4, isIPv6 } from 'node:net';
import { ShakenError } from './errors.js';
import type { SourceKind } from './types.js';

/** A block of addresses whose SIP requests belong to one account (issue 5: the trunk's source address). */
export interface SipSource {
  accountId: string;
  /** Canonical: network address with its host bits cleared, then `/prefix`. */
  cidr: string;
  sourceKind: SourceKind;
}

interface ParsedCidr {
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

function ipv4ToBigInt(address: string): bigint {
  return address.split('.').reduce((n, octet) => (n << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6ToBigInt(address: string): bigint {
  // An IPv4 tail (`::ffff:192.0.2.1`) becomes its two 16-bit groups first.
  let text = address.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipv4ToBigInt(v4[1]!);
    text = `${text.slice(0, v4.index)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
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
  const family = isIPv4(address) ? 4 : isIPv6(address) && !address.includes('%') ? 6 : undefined;
  const bits = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!family || extra !== undefined || !(prefix >= 0 && prefix <= bits)) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', `"${text.slice(0, 64)}" is not an IPv4 or IPv6 address or block`, { field: 'cidr' });
  }
  const value = family === 4 ? ipv4ToBigInt(address) : ipv6ToBigInt(address);
  return { family, network: value & mask(family, prefix), prefix };
}

/** The one spelling of a block: host bits cleared, IPv6 compressed, a single address as /32 or /128. */
export function canonicalCidr(text: unknown): string {
  const c = parseCidr(text);
  return `${c.family === 4 ? bigIntToIpv4(c.network) : bigIntToIpv6(c.network)}/${c.prefix}`;
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
    // Dual-stack sockets report IPv4 peers as `::ffff:a.b.c.d`.
    const plain = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
    const family = isIPv4(plain) ? 4 : isIPv6(plain) ? 6 : undefined;
    if (!family) return undefined;
    const value = family === 4 ? ipv4ToBigInt(plain) : ipv6ToBigInt(plain.split('%')[0]!);
    for (const level of this.byFamily[family]) {
      const hit = level.blocks.get(value & level.mask);
      if (hit) return hit;
    }
    return undefined;
  }
}
