/*
 * IP address text to numbers, for everything that compares addresses: SIP source blocks (core), the x5u
 * fetcher's SSRF rules (verify-fetch) and per-source connection caps (net). Written here rather than taken
 * from node:net so the core stays free of network modules.
 */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/;

/** An IPv4 address as a number, or undefined when it is not one (dotted quad, no leading zeros). */
export function ipv4Value(address: string): bigint | undefined {
  if (!IPV4.test(address)) return undefined;
  return address.split('.').reduce((n, octet) => (n << 8n) | BigInt(Number(octet)), 0n);
}

/**
 * The eight 16-bit groups of an IPv6 address (RFC 4291 §2.2 text forms: `::` once at most, an IPv4 tail
 * allowed, any case), or undefined when it is not one. Strict: no zone, no brackets.
 */
export function ipv6Groups(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipv4Value(v4[1]!);
    if (n === undefined || !(text.length === v4[1]!.length + v4.index) || !text.slice(0, v4.index).endsWith(':')) return undefined;
    text = `${text.slice(0, v4.index)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  if (![...head, ...tail].every((g) => HEX_GROUP.test(g))) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  return [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail].map((g) => parseInt(g, 16));
}

/** An IPv6 address as a 128-bit number, or undefined when it is not one (the forms `ipv6Groups` takes). */
export function ipv6Value(address: string): bigint | undefined {
  return ipv6Groups(address)?.reduce((n, g) => (n << 16n) | BigInt(g), 0n);
}
