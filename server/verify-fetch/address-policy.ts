import { BlockList, isIP } from 'node:net';
import { ipv6Groups } from '../core/ip-address.js';

/**
 * Addresses a verifier must never fetch from (SSRF): loopback, private, link-local (cloud metadata at
 * 169.254.169.254), carrier-grade NAT, multicast, documentation and other special-purpose ranges of the
 * IANA IPv4 and IPv6 special-purpose registries (RFC 6890 and successors).
 */
const BLOCKED_V4: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
/*
 * IPv6 ranges refused outright. Besides the special-purpose ones: the local-use NAT64 prefix 64:ff9b:1::/48
 * (RFC 8215: not globally reachable), 6to4 2002::/16 (RFC 3056, deprecated by RFC 7526) and Teredo 2001::/32
 * (RFC 4380; refused as part of 2001::/23). 6to4 and Teredo carry an IPv4 address (a relay or
 * server) that a check of the embedded address would have to interpret by yet another layout; no
 * certificate repository is reachable only that way, so refusing them is the simple and safe choice.
 */
const BLOCKED_V6: [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['2001::', 23],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
];

const blocked = new BlockList();
for (const [a, p] of BLOCKED_V4) blocked.addSubnet(a, p, 'ipv4');
for (const [a, p] of BLOCKED_V6) blocked.addSubnet(a, p, 'ipv6');

/**
 * The IPv4 address an IPv6 address stands for when it is an IPv4-embedding form that reaches the IPv4 range
 * by another spelling: mapped ::ffff:a.b.c.d, compatible ::a.b.c.d (all of ::/96), SIIT-translated
 * ::ffff:0:a.b.c.d (RFC 7915) and the NAT64 well-known prefix 64:ff9b::/96 (RFC 6052 §2.1, which also
 * forbids it for non-global IPv4 addresses). The embedded address then gets the IPv4 rules. (A ::/96 subnet
 * in a BlockList would match every IPv4 address: node compares IPv4 against IPv6 rules in that form.)
 */
function embeddedV4(g: number[]): string | undefined {
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  const embeds =
    (zero(0, 5) && (g[5] === 0 || g[5] === 0xffff)) || // compatible, mapped
    (zero(0, 4) && g[4] === 0xffff && g[5] === 0) || // SIIT
    (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)); // NAT64 well-known prefix
  if (!embeds) return undefined;
  const hi = g[6]!;
  const lo = g[7]!;
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** True when `address` (an IP literal, IPv6 possibly in brackets) is one the verifier must not connect to. */
export function isForbiddenAddress(address: string): boolean {
  const a = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(a);
  if (family === 0) return true; // not an address at all: refuse rather than guess
  if (family === 4) return blocked.check(a, 'ipv4');
  if (a.includes('%')) return true; // a zone index: scoped to a link, never a public address
  const groups = ipv6Groups(a);
  if (!groups) return true; // node took it for IPv6 and our parser does not: refuse rather than guess
  const v4 = embeddedV4(groups);
  return v4 !== undefined ? blocked.check(v4, 'ipv4') : blocked.check(a, 'ipv6');
}
